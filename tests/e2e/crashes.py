"""kill -9 at random points, for the e2e scripts' crash cases (reliability.py,
journal.py)."""
import os
import signal
import subprocess
import time


def kill_randomly(argv, env, whole, rng):
    """Runs argv up to three times, each killed (SIGKILL) at a random point
    within whole seconds if it is still running; after each run, one chance
    in two to stop (the run that finishes an interrupted one may be killed
    too). Returns how many runs were killed."""
    kills = 0
    for _ in range(3):
        proc = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(0.0, whole))
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
            kills += 1
        proc.wait()
        if rng.random() < 0.5:
            break
    return kills
