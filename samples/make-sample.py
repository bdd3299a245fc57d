#!/usr/bin/env python3
"""Writes samples/auth.log: a deterministic, synthetic month of a small
server's auth log (Ubuntu 24.04 style RFC 3339 timestamps) that tells the
story moat exists for, plus the everyday noise around it:

- deploy logs in every working day with its ed25519 key from the office
  network 198.51.100.0/24, between 08:00 and 18:00;
- carol, a friend with a shell account, logs in with her key from
  192.0.2.0/24 in the evenings. Her password leaked elsewhere: on
  2026-11-12 at 03:12 someone logs in as carol with that password from
  185.220.101.34, looks around, tries sudo (refused: not in sudoers) three
  times and su once, then leaves after 14 minutes;
- a brute force from 203.0.113.5, a password spray from 203.0.113.77,
  a distributed attack on "admin" from 12 addresses, a slow brute force
  from 198.18.0.9 (a few tries an hour for three days), a credential
  stuffer that succeeds after failures (alice, from 203.0.113.99),
  a hostile user name that contains an address, and deploy, in an
  ordinary session, using sudo to add mallory to the sudo group.

Run: python3 samples/make-sample.py > samples/auth.log
"""
import random
from datetime import datetime, timedelta, timezone

rnd = random.Random(20261122)
HOST = "web1"
lines = []
pid = [2000]


def npid():
    pid[0] += rnd.randint(3, 40)
    return pid[0]


def emit(t, prog, p, msg):
    ts = t.strftime("%Y-%m-%dT%H:%M:%S.") + "%06d" % t.microsecond + "+00:00"
    tag = f"{prog}[{p}]" if p is not None else prog
    lines.append((t, f"{ts} {HOST} {tag}: {msg}"))


def login(t, user, src, method, key=None, dur_min=30, sess=[100], sudo=None):
    p = npid()
    port = rnd.randint(40000, 65000)
    if method == "publickey":
        emit(t, "sshd", p, f"Accepted publickey for {user} from {src} port {port} ssh2: ED25519 {key}")
    else:
        emit(t, "sshd", p, f"Accepted password for {user} from {src} port {port} ssh2")
    t += timedelta(milliseconds=40)
    emit(t, "sshd", p, f"pam_unix(sshd:session): session opened for user {user}(uid={1000 + len(user)}) by (uid=0)")
    sess[0] += 1
    sid = sess[0]
    emit(t + timedelta(milliseconds=60), "systemd-logind", 412, f"New session {sid} of user {user}.")
    if sudo:
        sudo(t + timedelta(minutes=2))
    end = t + timedelta(minutes=dur_min, seconds=rnd.randint(0, 59))
    emit(end, "sshd", p, f"Received disconnect from {src} port {port}:11: disconnected by user")
    emit(end, "sshd", p, f"Disconnected from user {user} {src} port {port}")
    emit(end, "sshd", p, f"pam_unix(sshd:session): session closed for user {user}")
    emit(end + timedelta(milliseconds=5), "systemd-logind", 412, f"Removed session {sid}.")


def fail(t, user, src, invalid=False):
    p = npid()
    port = rnd.randint(30000, 65000)
    if invalid:
        emit(t, "sshd", p, f"Invalid user {user} from {src} port {port}")
        emit(t + timedelta(seconds=2), "sshd", p, f"Failed password for invalid user {user} from {src} port {port} ssh2")
        emit(t + timedelta(seconds=3), "sshd", p, f"Connection closed by invalid user {user} {src} port {port} [preauth]")
    else:
        emit(t, "sshd", p, f"Failed password for {user} from {src} port {port} ssh2")
        emit(t + timedelta(seconds=1), "sshd", p, f"Connection closed by authenticating user {user} {src} port {port} [preauth]")


start = datetime(2026, 10, 19, tzinfo=timezone.utc)
DEPLOY_KEY = "SHA256:q3X0rV1mB0l4yVdI5bYc3S7o4rj1Ue8mV0m2B2X9kZk"
CAROL_KEY = "SHA256:8fJm2qz1c7w0Lr0h3oTgNw6YxgkJm4pD2sQ5e1Vb9aE"

# everyday life: 4 weeks
for day in range(28):
    d = start + timedelta(days=day)
    if d.weekday() < 5:
        login(d + timedelta(hours=rnd.randint(8, 10), minutes=rnd.randint(0, 59)), "deploy",
              f"198.51.100.{rnd.randint(10, 40)}", "publickey", DEPLOY_KEY, dur_min=rnd.randint(5, 90))
        if rnd.random() < 0.5:
            login(d + timedelta(hours=rnd.randint(14, 17), minutes=rnd.randint(0, 59)), "deploy",
                  f"198.51.100.{rnd.randint(10, 40)}", "publickey", DEPLOY_KEY, dur_min=rnd.randint(5, 40))
    if day < 24 and rnd.random() < 0.8:
        login(d + timedelta(hours=rnd.randint(19, 21), minutes=rnd.randint(0, 59)), "carol",
              f"192.0.2.{rnd.randint(50, 60)}", "publickey", CAROL_KEY, dur_min=rnd.randint(10, 60))
    if day % 3 == 0:
        # alice uses a password from her home line; she sometimes mistypes once
        t = d + timedelta(hours=12, minutes=rnd.randint(0, 59))
        if day % 6 == 0:
            fail(t - timedelta(seconds=20), "alice", "192.0.2.200")
        login(t, "alice", "192.0.2.200", "password", dur_min=20)
    # background scanner noise
    for _ in range(rnd.randint(2, 5)):
        t = d + timedelta(seconds=rnd.randint(0, 86399))
        p = npid()
        src = f"{rnd.choice([45, 62, 80, 91, 103, 141])}.{rnd.randint(1, 254)}.{rnd.randint(1, 254)}.{rnd.randint(1, 254)}"
        emit(t, "sshd", p, f"Connection closed by {src} port {rnd.randint(30000, 65000)} [preauth]")

# brute force: 203.0.113.5, 60 passwords for root in 5 minutes on 2026-10-22
t = datetime(2026, 10, 22, 2, 10, tzinfo=timezone.utc)
for i in range(60):
    fail(t + timedelta(seconds=5 * i), "root", "203.0.113.5")

# password spray: 203.0.113.77 tries one password for 25 names within 40 minutes
t = datetime(2026, 10, 25, 14, 0, tzinfo=timezone.utc)
for i, u in enumerate(["admin", "test", "oracle", "postgres", "git", "ubuntu", "pi", "user", "ftp",
                       "www-data", "backup", "support", "guest", "jenkins", "hadoop", "mysql", "dev",
                       "tomcat", "nagios", "minecraft", "deploy", "carol", "alice", "steam", "ansible"]):
    fail(t + timedelta(seconds=95 * i), u, "203.0.113.77", invalid=u not in ("deploy", "carol", "alice"))

# distributed attack on "admin": 12 sources, 3 tries each, within one hour
t = datetime(2026, 10, 28, 9, 30, tzinfo=timezone.utc)
for i in range(12):
    for k in range(3):
        fail(t + timedelta(minutes=4 * i + k), "admin", f"100.64.{i + 1}.{10 + i}", invalid=True)

# slow brute force: 198.18.0.9, 2 tries an hour for 3 days
t = datetime(2026, 11, 2, 0, 7, tzinfo=timezone.utc)
for h in range(72):
    for k in range(2):
        fail(t + timedelta(hours=h, minutes=17 * k + rnd.randint(0, 9)), "root", "198.18.0.9")

# credential stuffing: 203.0.113.99 fails for alice 4 times, then gets in
t = datetime(2026, 11, 6, 23, 40, tzinfo=timezone.utc)
for k in range(4):
    fail(t + timedelta(seconds=30 * k), "alice", "203.0.113.99")
login(t + timedelta(seconds=150), "alice", "203.0.113.99", "password", dur_min=3)

# a hostile user name that contains an address: never blame 10.0.0.5
t = datetime(2026, 11, 9, 16, 5, tzinfo=timezone.utc)
for k in range(3):
    fail(t + timedelta(seconds=10 * k), "x from 10.0.0.5 port 22", "203.0.113.66", invalid=True)


# THE INCIDENT: carol's leaked password, used from an unknown network at 03:12
def escalate(t0):
    for k in range(3):
        emit(t0 + timedelta(seconds=20 * k), "sudo", None,
             f"   carol : user NOT in sudoers ; TTY=pts/1 ; PWD=/home/carol ; USER=root ; COMMAND=/bin/bash")
    emit(t0 + timedelta(minutes=3), "su", npid(),
         "pam_unix(su:auth): authentication failure; logname=carol uid=1003 euid=0 tty=/dev/pts/1 ruser=carol rhost=  user=root")
    emit(t0 + timedelta(minutes=3, seconds=2), "su", pid[0], "FAILED SU (to root) carol on pts/1")


login(datetime(2026, 11, 12, 3, 12, 9, tzinfo=timezone.utc), "carol", "185.220.101.34", "password",
      dur_min=14, sudo=escalate)

# deploy, in a normal session from the office, uses sudo to add mallory to the sudo group:
# privilege used legitimately, and an account change to review
def add_mallory(t):
    emit(t, "sudo", None, "  deploy : TTY=pts/0 ; PWD=/home/deploy ; USER=root ; COMMAND=/usr/sbin/useradd -m mallory")
    emit(t + timedelta(seconds=1), "useradd", npid(), "new group: name=mallory, GID=1010")
    emit(t + timedelta(seconds=1), "useradd", pid[0], "new user: name=mallory, UID=1010, GID=1010, home=/home/mallory, shell=/bin/sh, from=/dev/pts/0")
    emit(t + timedelta(seconds=30), "sudo", None, "  deploy : TTY=pts/0 ; PWD=/home/deploy ; USER=root ; COMMAND=/usr/sbin/usermod -aG sudo mallory")
    emit(t + timedelta(seconds=31), "usermod", npid(), "add 'mallory' to group 'sudo'")
    emit(t + timedelta(seconds=31), "usermod", pid[0], "add 'mallory' to shadow group 'sudo'")


login(datetime(2026, 11, 13, 10, 0, 3, tzinfo=timezone.utc), "deploy", "198.51.100.22", "publickey",
      DEPLOY_KEY, dur_min=12, sudo=add_mallory)

for _, line in sorted(lines, key=lambda x: x[0]):
    print(line)
