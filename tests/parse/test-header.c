/*
 * test-header: the syslog header parser, table-driven (one line per case,
 * as systemd's test-journald-syslog.c), plus zones checked against libc,
 * hostile bytes, a deterministic mutation loop and every line of two real
 * auth logs from $MOAT_SHARED_DATA.
 *
 * Each line is copied into a buffer of exactly its length before parsing,
 * so ASan/valgrind see any read past the end (lines are not NUL-terminated).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/macro.h"
#include "core/timeutil.h"
#include "parse/header.h"
#include "../test-tz.h"

#define MTIME_DEFAULT "2026-11-15T12:00:00Z"
#define PREV_TEST_LEN 9000 /* longer than the previous line header.c keeps */

struct hcase {
	const char *tz; /* NULL: "UTC" */
	const char *mtime; /* NULL: MTIME_DEFAULT */
	const char *line;
	int ret;
	const char *time; /* expected UTC time, RFC 3339 */
	const char *host, *program;
	int32_t pid;
	const char *msg;
	uint32_t repeat; /* 0: expect 1 */
	int guessed;
};

/* a recognised line (UTC zone, default mtime) */
#define OK(l, t, h, p, pid_, m) { .line = (l), .ret = 1, .time = (t), .host = (h), .program = (p), .pid = (pid_), .msg = (m) }
/* the same in zone z with mtime mt */
#define OKZ(z, mt, l, t, h, p, pid_, m) \
	{ .tz = (z), .mtime = (mt), .line = (l), .ret = 1, .time = (t), .host = (h), .program = (p), .pid = (pid_), .msg = (m) }
/* not a syslog line */
#define NO(l) { .line = (l), .ret = 0 }

static const struct hcase cases[] = {
	/* RFC 3164 */
	OK("Nov  1 00:00:01 host sshd[1234]: Failed password for root from 1.2.3.4 port 22 ssh2",
	   "2026-11-01T00:00:01Z", "host", "sshd", 1234, "Failed password for root from 1.2.3.4 port 22 ssh2"),
	OK("Nov 1 00:00:01 host sshd[1]: unpadded day", "2026-11-01T00:00:01Z", "host", "sshd", 1, "unpadded day"),
	OK("Nov 01 00:00:01 host sshd[1]: zero-padded day", "2026-11-01T00:00:01Z", "host", "sshd", 1, "zero-padded day"),
	OK("Nov  1 00:00:01 host prog: no pid", "2026-11-01T00:00:01Z", "host", "prog", -1, "no pid"),
	OK("Nov  1 00:00:01 host sshd[1]:", "2026-11-01T00:00:01Z", "host", "sshd", 1, ""),
	OK("Nov  1 00:00:01 host sshd[1]: ", "2026-11-01T00:00:01Z", "host", "sshd", 1, ""),
	OK("Nov  1 00:00:01 host sshd[2147483647]: max pid", "2026-11-01T00:00:01Z", "host", "sshd", 2147483647, "max pid"),
	OK("Nov  1 00:00:01 host -- MARK --", "2026-11-01T00:00:01Z", "host", "", -1, "-- MARK --"),
	OK("Nov  1 00:00:01 host", "2026-11-01T00:00:01Z", "host", "", -1, ""),
	OK("Nov  1 00:00:01 host sshd[2147483648]: pid too big", "2026-11-01T00:00:01Z", "host", "", -1,
	   "sshd[2147483648]: pid too big"),
	OK("Nov  1 00:00:01 host sshd[12a]: bad pid", "2026-11-01T00:00:01Z", "host", "", -1, "sshd[12a]: bad pid"),
	OK("Dec 31 23:59:60 host p[1]: leap second", "2026-01-01T00:00:00Z", "host", "p", 1, "leap second"),
	/* program forms */
	OK("Nov  1 00:00:01 host sshd[123]: [ID 800047 auth.info] Failed password for x",
	   "2026-11-01T00:00:01Z", "host", "sshd", 123, "Failed password for x"),
	OK("Nov  1 00:00:01 host sshd[123]: [ID 800047 auth.info]", "2026-11-01T00:00:01Z", "host", "sshd", 123, ""),
	OK("Nov  1 00:00:01 host sshd[123]: [ID x auth.info] kept", "2026-11-01T00:00:01Z", "host", "sshd", 123,
	   "[ID x auth.info] kept"),
	OK("Nov  1 00:00:01 host [sshd]: bracketed", "2026-11-01T00:00:01Z", "host", "sshd", -1, "bracketed"),
	OK("Nov  1 00:00:01 host sshd-session[123]: x", "2026-11-01T00:00:01Z", "host", "sshd-session", 123, "x"),
	OK("Nov  1 00:00:01 host /usr/sbin/cron[5]: (root) CMD (true)", "2026-11-01T00:00:01Z", "host",
	   "/usr/sbin/cron", 5, "(root) CMD (true)"),
	OK("Nov  1 00:00:01 host systemd.journald[77]: x", "2026-11-01T00:00:01Z", "host", "systemd.journald", 77, "x"),
	OK("Nov  1 00:00:01 host sshd(pam_unix)[19939]: check pass; user unknown", "2026-11-01T00:00:01Z", "host",
	   "sshd(pam_unix)", 19939, "check pass; user unknown"),
	OK("Nov  1 00:00:01 host sudo:    alice : TTY=pts/0 ; PWD=/ ; USER=root ; COMMAND=/bin/ls",
	   "2026-11-01T00:00:01Z", "host", "sudo", -1, "   alice : TTY=pts/0 ; PWD=/ ; USER=root ; COMMAND=/bin/ls"),
	/* no host */
	OK("Nov  1 00:00:01 sshd[123]: hostless", "2026-11-01T00:00:01Z", "", "sshd", 123, "hostless"),
	OK("Nov  1 00:00:01 sudo: alice : TTY=pts/0", "2026-11-01T00:00:01Z", "", "sudo", -1, "alice : TTY=pts/0"),
	OK("Nov  1 00:00:01 [sshd]: bracketed", "2026-11-01T00:00:01Z", "", "sshd", -1, "bracketed"),
	OK("Nov  1 00:00:01 fe80::1 sshd[1]: v6 host", "2026-11-01T00:00:01Z", "fe80::1", "sshd", 1, "v6 host"),
	OK("Nov  1 00:00:01 2001:db8:: sshd[1]: v6 host", "2026-11-01T00:00:01Z", "2001:db8::", "sshd", 1, "v6 host"),
	/* journalctl -o short-precise */
	OK("Nov 01 00:00:01.123456 host sshd[123]: msg", "2026-11-01T00:00:01.123456Z", "host", "sshd", 123, "msg"),
	/* RFC 3339 (rsyslog/Ubuntu high precision), journalctl short-iso(-precise) */
	OK("2023-09-10T00:00:17.123456+00:00 host prog[42]: msg", "2023-09-10T00:00:17.123456Z", "host", "prog", 42, "msg"),
	OK("2026-11-01T00:00:01+0100 host sshd[123]: msg", "2026-10-31T23:00:01Z", "host", "sshd", 123, "msg"),
	OK("2026-11-01T00:00:01.003000+01:00 host sshd[123]: msg", "2026-10-31T23:00:01.003Z", "host", "sshd", 123, "msg"),
	OK("2026-11-01T00:00:01-05:30 host sshd[123]: msg", "2026-11-01T05:30:01Z", "host", "sshd", 123, "msg"),
	OK("2026-11-01T00:00:01Z host sshd[123]: msg", "2026-11-01T00:00:01Z", "host", "sshd", 123, "msg"),
	OK("2026-11-01T00:00:01.123456789Z host sshd[123]: ns", "2026-11-01T00:00:01.123456Z", "host", "sshd", 123, "ns"),
	OK("2026-11-01T00:00:01 host sshd[123]: zone-less", "2026-11-01T00:00:01Z", "host", "sshd", 123, "zone-less"),
	OK("2028-02-29T00:00:01Z host sshd[1]: leap day", "2028-02-29T00:00:01Z", "host", "sshd", 1, "leap day"),
	/* RFC 5424 */
	OK("<34>1 2026-11-01T00:00:01.003Z host sshd 1234 - - msg", "2026-11-01T00:00:01.003Z", "host", "sshd", 1234, "msg"),
	OK("<34>1 2026-11-01T00:00:01.003Z host sshd 1234 ID47 [exampleSDID@32473 iut=\"3\" eventSource=\"App\"] msg",
	   "2026-11-01T00:00:01.003Z", "host", "sshd", 1234, "msg"),
	OK("<34>1 2026-11-01T00:00:01Z host sshd 1 - [a@1 x=\"a\\]b\\\"c] d\"][b@2 y=\"z\"] after sd",
	   "2026-11-01T00:00:01Z", "host", "sshd", 1, "after sd"),
	OK("<34>1 2026-11-01T00:00:01Z host sshd 1 - [a@1 x=\"y\"]", "2026-11-01T00:00:01Z", "host", "sshd", 1, ""),
	OK("<34>1 2026-11-01T00:00:01Z - - - - -", "2026-11-01T00:00:01Z", "", "", -1, ""),
	OK("<13>1 2026-11-01T00:00:01Z host app abc - - procid not numeric", "2026-11-01T00:00:01Z", "host", "app", -1,
	   "procid not numeric"),
	OK("<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut=\"3\" "
	   "eventSource=\"Application\" eventID=\"1011\"] \xEF\xBB\xBF" "An application event log entry...",
	   "2003-10-11T22:14:15.003Z", "mymachine.example.com", "evntslog", -1, "An application event log entry..."),
	OK("<13>1 2026-11-01T00:00:01Z host app 2147483648 - - procid too big", "2026-11-01T00:00:01Z", "host", "app",
	   -1, "procid too big"),
	OK("<13>1 2026-11-01T00:00:01Z host app 2147483647 - - procid max", "2026-11-01T00:00:01Z", "host", "app",
	   2147483647, "procid max"),
	OK("<34>1 2026-11-01T00:00:01+02:00 host sshd 1 - - offset", "2026-10-31T22:00:01Z", "host", "sshd", 1, "offset"),
	{ .line = "<34>1 - host app 7 - - no time", .ret = 1, .time = MTIME_DEFAULT, .host = "host", .program = "app",
	  .pid = 7, .msg = "no time", .guessed = 1 },
	/* <PRI> before RFC 3164 / RFC 3339 */
	OK("<13>Nov  1 00:00:01 host sshd[1]: pri", "2026-11-01T00:00:01Z", "host", "sshd", 1, "pri"),
	OK("<0>Nov  1 00:00:01 sshd[1]: pri hostless", "2026-11-01T00:00:01Z", "", "sshd", 1, "pri hostless"),
	OK("<191>2026-11-01T00:00:01Z host sshd[1]: pri iso", "2026-11-01T00:00:01Z", "host", "sshd", 1, "pri iso"),
	/* rsyslog's repeat compression */
	{ .line = "Nov  1 00:00:01 host sshd[1]: message repeated 3 times: [ Failed password for root from 1.2.3.4 port 22 ssh2]",
	  .ret = 1, .time = "2026-11-01T00:00:01Z", .host = "host", .program = "sshd", .pid = 1,
	  .msg = "Failed password for root from 1.2.3.4 port 22 ssh2", .repeat = 3 },
	{ .line = "Nov  1 00:00:01 host sshd[1]: message repeated 2 times: [ Disconnected from 1.2.3.4 [preauth] ]",
	  .ret = 1, .time = "2026-11-01T00:00:01Z", .host = "host", .program = "sshd", .pid = 1,
	  .msg = "Disconnected from 1.2.3.4 [preauth]", .repeat = 2 },
	{ .line = "Nov  1 00:00:01 host sshd[1]: message repeated 4294967295 times: [ cut", .ret = 1,
	  .time = "2026-11-01T00:00:01Z", .host = "host", .program = "sshd", .pid = 1, .msg = "cut", .repeat = 4294967295u },
	OK("Nov  1 00:00:01 host sshd[1]: message repeated 0 times: [ x]", "2026-11-01T00:00:01Z", "host", "sshd", 1,
	   "message repeated 0 times: [ x]"),
	OK("Nov  1 00:00:01 host sshd[1]: message repeated 4294967296 times: [ x]", "2026-11-01T00:00:01Z", "host", "sshd",
	   1, "message repeated 4294967296 times: [ x]"),
	OK("Nov  1 00:00:01 host sshd[1]: message repeated many times: [ x]", "2026-11-01T00:00:01Z", "host", "sshd", 1,
	   "message repeated many times: [ x]"),
	/* journalctl -o json */
	OK("{\"__REALTIME_TIMESTAMP\":\"1793491201003000\",\"_HOSTNAME\":\"host\",\"SYSLOG_IDENTIFIER\":\"sshd\","
	   "\"_PID\":\"1234\",\"MESSAGE\":\"Failed password for root from 1.2.3.4 port 22 ssh2\"}",
	   "2026-11-01T00:00:01.003Z", "host", "sshd", 1234, "Failed password for root from 1.2.3.4 port 22 ssh2"),
	OK("{\"__REALTIME_TIMESTAMP\":\"1793491201000000\",\"_COMM\":\"sshd-session\",\"SYSLOG_PID\":\"77\","
	   "\"MESSAGE\":\"a \\\"q\\\" \\\\ \\u00e9\\ttab\"}",
	   "2026-11-01T00:00:01Z", "", "sshd-session", 77, "a \"q\" \\ \xC3\xA9\ttab"),
	OK("{\"__REALTIME_TIMESTAMP\":\"1793491201000000\",\"SYSLOG_IDENTIFIER\":\"su\",\"_COMM\":\"su\",\"_PID\":\"9\","
	   "\"MESSAGE\":[104,105,32,255,254]}",
	   "2026-11-01T00:00:01Z", "", "su", 9, "hi \xFF\xFE"),
	OK("{\"__REALTIME_TIMESTAMP\":\"1793491201000000\",\"SYSLOG_IDENTIFIER\":[\"one\",\"two\"],"
	   "\"MESSAGE\":[\"first\",\"second\"]}",
	   "2026-11-01T00:00:01Z", "", "one", -1, "first"),
	OK("{\"__REALTIME_TIMESTAMP\":\"1793491201000000\",\"MESSAGE\":\"\"}", "2026-11-01T00:00:01Z", "", "", -1, ""),
	{ .line = "{\"MESSAGE\":\"big\",\"_PID\":\"2147483648\",\"__REALTIME_TIMESTAMP\":\"99999999999999999999\"}",
	  .ret = 1, .time = MTIME_DEFAULT, .host = "", .program = "", .pid = -1, .msg = "big", .guessed = 1 },
	/* past year 9999 (INT64_MAX here): no time, like a missing one */
	{ .line = "{\"MESSAGE\":\"far\",\"__REALTIME_TIMESTAMP\":\"9223372036854775807\"}",
	  .ret = 1, .time = MTIME_DEFAULT, .host = "", .program = "", .pid = -1, .msg = "far", .guessed = 1 },
	OK("{\"__REALTIME_TIMESTAMP\":\"253402300799999999\",\"MESSAGE\":\"last\"}", "9999-12-31T23:59:59.999999Z", "",
	   "", -1, "last"),
	{ .line = "{\"MESSAGE\":\"no time\",\"_PID\":\"x\"}", .ret = 1, .time = MTIME_DEFAULT, .host = "", .program = "",
	  .pid = -1, .msg = "no time", .guessed = 1 },
	/* zones: --tz Europe/Berlin (CET/CEST; 2026 changes: Mar 29, Oct 25) */
	OKZ("Europe/Berlin", NULL, "Jan 15 12:00:00 h p[1]: winter", "2026-01-15T11:00:00Z", "h", "p", 1, "winter"),
	OKZ("Europe/Berlin", NULL, "Jul  1 12:00:00 h p[1]: summer", "2026-07-01T10:00:00Z", "h", "p", 1, "summer"),
	OKZ("Europe/Berlin", NULL, "Mar 29 01:59:59 h p[1]: before", "2026-03-29T00:59:59Z", "h", "p", 1, "before"),
	OKZ("Europe/Berlin", NULL, "Mar 29 02:30:00 h p[1]: gap", "2026-03-29T01:30:00Z", "h", "p", 1, "gap"),
	OKZ("Europe/Berlin", NULL, "Mar 29 03:00:00 h p[1]: after", "2026-03-29T01:00:00Z", "h", "p", 1, "after"),
	OKZ("Europe/Berlin", NULL, "Oct 25 01:59:59 h p[1]: before", "2026-10-24T23:59:59Z", "h", "p", 1, "before"),
	OKZ("Europe/Berlin", NULL, "Oct 25 02:30:00 h p[1]: twice", "2026-10-25T00:30:00Z", "h", "p", 1, "twice"),
	OKZ("Europe/Berlin", NULL, "Oct 25 03:00:00 h p[1]: after", "2026-10-25T02:00:00Z", "h", "p", 1, "after"),
	OKZ("Europe/Berlin", NULL, "2026-07-01T12:00:00 h p[1]: zone-less", "2026-07-01T10:00:00Z", "h", "p", 1, "zone-less"),
	OKZ("Europe/Berlin", NULL, "2026-07-01T12:00:00Z h p[1]: zoned", "2026-07-01T12:00:00Z", "h", "p", 1, "zoned"),
	OKZ("Europe/Berlin", NULL, "<34>1 2026-07-01T12:00:00 h p 1 - - x", "2026-07-01T10:00:00Z", "h", "p", 1, "x"),
	/* past the TZif table (2037): the footer's POSIX rule */
	OKZ("Europe/Berlin", NULL, "2040-07-01T12:00:00 h p[1]: rule", "2040-07-01T10:00:00Z", "h", "p", 1, "rule"),
	OKZ("Europe/Berlin", NULL, "2040-01-10T12:00:00 h p[1]: rule", "2040-01-10T11:00:00Z", "h", "p", 1, "rule"),
	OKZ("Europe/Berlin", NULL, "2040-03-25T03:00:00 h p[1]: rule", "2040-03-25T01:00:00Z", "h", "p", 1, "rule"),
	OKZ("Europe/Berlin", NULL, "2040-10-28T03:00:00 h p[1]: rule", "2040-10-28T02:00:00Z", "h", "p", 1, "rule"),
	OKZ("Europe/Berlin", NULL, "2100-07-01T12:00:00 h p[1]: rule", "2100-07-01T10:00:00Z", "h", "p", 1, "rule"),
	OKZ("America/New_York", NULL, "Nov  1 00:00:01 h p[1]: EDT", "2026-11-01T04:00:01Z", "h", "p", 1, "EDT"),
	OKZ("America/New_York", NULL, "Nov  1 03:00:00 h p[1]: EST", "2026-11-01T08:00:00Z", "h", "p", 1, "EST"),
	OKZ("Asia/Kolkata", NULL, "Nov  1 05:30:00 h p[1]: IST", "2026-11-01T00:00:00Z", "h", "p", 1, "IST"),
	OKZ("UTC", NULL, "Jul  1 12:00:00 h p[1]: utc", "2026-07-01T12:00:00Z", "h", "p", 1, "utc"),
	OKZ("Etc/UTC", NULL, "Jul  1 12:00:00 h p[1]: utc", "2026-07-01T12:00:00Z", "h", "p", 1, "utc"),
	/* year inference: file written Jan 3 2027 */
	OKZ(NULL, "2027-01-03T10:00:00Z", "Dec 31 23:59:59 h p[1]: old year", "2026-12-31T23:59:59Z", "h", "p", 1, "old year"),
	OKZ(NULL, "2027-01-03T10:00:00Z", "Jan  2 00:00:00 h p[1]: x", "2027-01-02T00:00:00Z", "h", "p", 1, "x"),
	OKZ(NULL, "2027-01-03T10:00:00Z", "Jan  4 00:00:00 h p[1]: slack", "2027-01-04T00:00:00Z", "h", "p", 1, "slack"),
	OKZ(NULL, "2027-01-03T10:00:00Z", "Jan  5 00:00:00 h p[1]: x", "2026-01-05T00:00:00Z", "h", "p", 1, "x"),
	OKZ(NULL, "2027-01-03T10:00:00Z", "Feb 29 00:00:00 h p[1]: leap", "2024-02-29T00:00:00Z", "h", "p", 1, "leap"),
	OKZ(NULL, "2028-03-01T10:00:00Z", "Feb 29 00:00:00 h p[1]: leap", "2028-02-29T00:00:00Z", "h", "p", 1, "leap"),
	/* the mtime's date is taken in the ctx zone: 23:30Z Dec 31 is Jan 1 in Berlin */
	OKZ("Europe/Berlin", "2026-12-31T23:30:00Z", "Jan  1 00:10:00 h p[1]: x", "2026-12-31T23:10:00Z", "h", "p", 1, "x"),
	OKZ("Europe/Berlin", "2026-12-31T23:30:00Z", "Dec 31 23:50:00 h p[1]: x", "2026-12-31T22:50:00Z", "h", "p", 1, "x"),
	OKZ("UTC", "2026-12-31T23:30:00Z", "Jan  1 00:10:00 h p[1]: slack", "2026-01-01T00:10:00Z", "h", "p", 1, "slack"),
	/* real lines: ../shared/data/auth-real-cseanburns/auth.log (Ubuntu 22.04) */
	OKZ(NULL, "2023-09-16T23:00:00Z", "Sep 10 00:05:39 fall-2023 sshd[6581]: Invalid user admin from 141.98.11.11 port 30422",
	    "2023-09-10T00:05:39Z", "fall-2023", "sshd", 6581, "Invalid user admin from 141.98.11.11 port 30422"),
	OKZ(NULL, "2023-09-16T23:00:00Z",
	    "Sep 10 00:17:01 fall-2023 CRON[6592]: pam_unix(cron:session): session opened for user root by (uid=0)",
	    "2023-09-10T00:17:01Z", "fall-2023", "CRON", 6592,
	    "pam_unix(cron:session): session opened for user root by (uid=0)"),
	/* loghub OpenSSH_2k.log */
	OKZ(NULL, "2017-01-10T00:00:00Z",
	    "Dec 10 06:55:46 LabSZ sshd[24200]: reverse mapping checking getaddrinfo for ns.marryaldkfaczcz.com "
	    "[173.234.31.186] failed - POSSIBLE BREAK-IN ATTEMPT!",
	    "2016-12-10T06:55:46Z", "LabSZ", "sshd", 24200,
	    "reverse mapping checking getaddrinfo for ns.marryaldkfaczcz.com [173.234.31.186] failed - POSSIBLE BREAK-IN ATTEMPT!"),
	/* crowdsec-hub: sshd-session (ssh-generic-test), pam via sudo (pam-logs), trailing space (bad-keyexchange) */
	OKZ(NULL, "2025-06-13T00:00:00Z",
	    "Jun 12 16:20:12 leto sshd-session[406147]: Invalid user crowdsec-test-NtktlJHV4TfBSK3wvlhiOBnl from 127.0.0.1 port 49916",
	    "2025-06-12T16:20:12Z", "leto", "sshd-session", 406147,
	    "Invalid user crowdsec-test-NtktlJHV4TfBSK3wvlhiOBnl from 127.0.0.1 port 49916"),
	OKZ(NULL, "2020-12-08T00:00:00Z",
	    "Dec  7 14:53:04 vskub1master01p sudo: pam_tally2(sudo:auth): user zbadguy (4001) tally 6, deny 5",
	    "2020-12-07T14:53:04Z", "vskub1master01p", "sudo", -1, "pam_tally2(sudo:auth): user zbadguy (4001) tally 6, deny 5"),
	OKZ(NULL, "2023-06-08T12:00:00Z",
	    "Jun  8 10:44:36 server sshd[3204729]: Unable to negotiate with 123.57.135.134 port 45626: no matching key "
	    "exchange method found. [preauth] ",
	    "2023-06-08T10:44:36Z", "server", "sshd", 3204729,
	    "Unable to negotiate with 123.57.135.134 port 45626: no matching key exchange method found. [preauth] "),
	/* ossec-tests: rsyslog high precision, program with digits and '-' */
	OK("2013-10-30T14:51:30.267401+01:00 srv sshd[12671]: Invalid user opcione from 192.241.237.101",
	   "2013-10-30T13:51:30.267401Z", "srv", "sshd", 12671, "Invalid user opcione from 192.241.237.101"),
	OKZ(NULL, "2021-03-01T00:00:00Z",
	    "Feb  5 13:07:52 plugh rsyslogd-2177: imuxsock begins to drop messages from pid 12105 due to rate-limiting",
	    "2021-02-05T13:07:52Z", "plugh", "rsyslogd-2177", -1,
	    "imuxsock begins to drop messages from pid 12105 due to rate-limiting"),
	/* sshguard tests.txt: exim's "[exim]" */
	OK("Oct 14 19:45:05 [exim] LOGIN authenticator failed for (localhost) [46.148.40.63]", "2026-10-14T19:45:05Z", "",
	   "exim", -1, "LOGIN authenticator failed for (localhost) [46.148.40.63]"),
	/* banner forms (SSHGuard tests.txt "Banner formats"): busybox syslogd's facility.level token */
	OKZ(NULL, "2026-07-01T00:00:00Z", "Jun 20 02:18:39 vps auth.info sshd[13482]: Invalid user admin from 192.168.2.2",
	    "2026-06-20T02:18:39Z", "vps", "sshd", 13482, "Invalid user admin from 192.168.2.2"),
	OK("Nov  1 00:00:01 vps authpriv.notice sudo: alice : TTY=pts/0", "2026-11-01T00:00:01Z", "vps", "sudo", -1,
	   "alice : TTY=pts/0"),
	OK("Nov  1 00:00:01 vps local7.err prog[9]: m", "2026-11-01T00:00:01Z", "vps", "prog", 9, "m"),
	OK("Nov  1 00:00:01 vps foo.info sshd[1]: m", "2026-11-01T00:00:01Z", "vps", "", -1, "foo.info sshd[1]: m"),
	OK("Nov  1 00:00:01 vps auth.loud sshd[1]: m", "2026-11-01T00:00:01Z", "vps", "", -1, "auth.loud sshd[1]: m"),
	OK("Nov  1 00:00:01 vps auth.info", "2026-11-01T00:00:01Z", "vps", "", -1, "auth.info"),
	OK("Nov  1 00:00:01 vps auth.info x", "2026-11-01T00:00:01Z", "vps", "", -1, "auth.info x"),
	/* FreeBSD syslogd -v "<facility.priority>" numbers, -vv names */
	OK("Jan  1 00:00:00 <10.5> foxtrot sshd[1234]: Invalid user admin from 1.2.3.4", "2026-01-01T00:00:00Z",
	   "foxtrot", "sshd", 1234, "Invalid user admin from 1.2.3.4"),
	OK("Nov  1 00:00:01 <auth.info> foxtrot sshd[1]: m", "2026-11-01T00:00:01Z", "foxtrot", "sshd", 1, "m"),
	OK("Nov  1 00:00:01 <10.5> sshd[1]: hostless", "2026-11-01T00:00:01Z", "", "sshd", 1, "hostless"),
	OK("Nov  1 00:00:01 <10.x> foxtrot sshd[1]: m", "2026-11-01T00:00:01Z", "<10.x>", "", -1, "foxtrot sshd[1]: m"),
	OK("Nov  1 00:00:01 <1000.5> foxtrot sshd[1]: m", "2026-11-01T00:00:01Z", "<1000.5>", "", -1,
	   "foxtrot sshd[1]: m"),
	OK("Nov  1 00:00:01 <10.5> foxtrot -- MARK --", "2026-11-01T00:00:01Z", "<10.5>", "", -1,
	   "foxtrot -- MARK --"),
	/* macOS: a space for the 'T', "+0000" */
	OK("2018-12-20 10:09:05.180218+0000 localhost sshd[67566]: Invalid user git from 185.52.1.9 port 35968",
	   "2018-12-20T10:09:05.180218Z", "localhost", "sshd", 67566, "Invalid user git from 185.52.1.9 port 35968"),
	OK("2026-11-01 00:00:01 host p: m", "2026-11-01T00:00:01Z", "host", "p", -1, "m"),
	/* rsyslog templates without the colon after the pid */
	OK("2020-05-29T11:28:56.058908+02:00 bastion sshd[20974] error: PAM: Authentication error for illegal user plop "
	   "from 10.11.12.13",
	   "2020-05-29T09:28:56.058908Z", "bastion", "sshd", 20974,
	   "error: PAM: Authentication error for illegal user plop from 10.11.12.13"),
	OK("Nov  1 00:00:01 host sshd[1] m", "2026-11-01T00:00:01Z", "host", "sshd", 1, "m"),
	OK("Nov  1 00:00:01 host sshd m", "2026-11-01T00:00:01Z", "host", "", -1, "sshd m"),
	OK("Nov  1 00:00:01 host sshd[] m", "2026-11-01T00:00:01Z", "host", "", -1, "sshd[] m"),
	OK("Nov  1 00:00:01 host sshd[1]x m", "2026-11-01T00:00:01Z", "host", "", -1, "sshd[1]x m"),
	OK("Nov  1 00:00:01 host sshd[1]", "2026-11-01T00:00:01Z", "host", "", -1, "sshd[1]"),
	/* socklog: "TIME facility.level: " then an inner header, a bare program, or no program */
	OK("2015-05-27T04:31:28.10040 auth.info: May 27 04:31:28 sshd[30993]: Invalid user admin from 1.2.3.4",
	   "2015-05-27T04:31:28.1004Z", "", "sshd", 30993, "Invalid user admin from 1.2.3.4"),
	OK("2015-05-27T04:31:28.10040 auth.info: sshd[30993]:  Invalid user admin from 1.2.3.4",
	   "2015-05-27T04:31:28.1004Z", "", "sshd", 30993, "Invalid user admin from 1.2.3.4"),
	OK("2015-05-27T04:31:28.10040 authpriv.notice: May 27 04:31:28 h1 sudo: alice : x", "2015-05-27T04:31:28.1004Z",
	   "h1", "sudo", -1, "alice : x"),
	OK("2015-05-27T04:31:27.46667 auth.info: Invalid user admin from 192.168.2.1", "2015-05-27T04:31:27.46667Z", "",
	   "", -1, "Invalid user admin from 192.168.2.1"),
	OK("2015-05-27T04:31:27.46667 auth.info:", "2015-05-27T04:31:27.46667Z", "", "", -1, ""),
	OK("2015-05-27T04:31:27.46667 auth.info: ", "2015-05-27T04:31:27.46667Z", "", "", -1, ""),
	OK("2015-05-27T04:31:27.46667 auth.info: May 27 04:31:28", "2015-05-27T04:31:27.46667Z", "", "", -1,
	   "May 27 04:31:28"),
	OK("2015-05-27T04:31:27Z kern.foo: x", "2015-05-27T04:31:27Z", "", "kern.foo", -1, "x"),
	OK("2015-05-27T04:31:27Z h auth.info: x", "2015-05-27T04:31:27Z", "h", "auth.info", -1, "x"),
	/* repeated spaces between the fields; rsyslog's empty %HOSTNAME% */
	OK("Nov  1 00:00:01  host p: m", "2026-11-01T00:00:01Z", "host", "p", -1, "m"),
	OK("Nov  1 00:00:01  sshd[1]: empty host", "2026-11-01T00:00:01Z", "", "sshd", 1, "empty host"),
	OK("Nov  1 00:00:01 host  sshd[1]: two spaces", "2026-11-01T00:00:01Z", "host", "sshd", 1, "two spaces"),
	OK("Nov  1 00:00:01    host    sshd[1]: many", "2026-11-01T00:00:01Z", "host", "sshd", 1, "many"),
	OK("2026-11-01T00:00:01Z  sudo: alice : x", "2026-11-01T00:00:01Z", "", "sudo", -1, "alice : x"),
	OK("<13>Nov  1 00:00:01  sshd[1]: pri, empty host", "2026-11-01T00:00:01Z", "", "sshd", 1, "pri, empty host"),
	/* macOS `log show --style syslog`: two spaces after the time */
	OK("2020-03-24 08:38:42.344447-0700  localhost sshd[2519]: Invalid user admin from 1.2.3.4 port 22",
	   "2020-03-24T15:38:42.344447Z", "localhost", "sshd", 2519, "Invalid user admin from 1.2.3.4 port 22"),
	OK("2020-03-24 08:38:42.344447-0700  localhost sshd[2519]: error: PAM: authentication error for illegal user "
	   "x from 1.2.3.4",
	   "2020-03-24T15:38:42.344447Z", "localhost", "sshd", 2519,
	   "error: PAM: authentication error for illegal user x from 1.2.3.4"),
	/* what follows the program is the message, whatever it looks like: a
	 * header written into it (by a client) stays message */
	OK("Nov  1 00:00:01 host sshd[1]:  Nov  1 00:00:02 evil sudo[2]: x", "2026-11-01T00:00:01Z", "host", "sshd",
	   1, " Nov  1 00:00:02 evil sudo[2]: x"),
	OK("Nov  1 00:00:01 host sshd[1]: Invalid user x  sudo[2]: y from 1.2.3.4", "2026-11-01T00:00:01Z", "host",
	   "sshd", 1, "Invalid user x  sudo[2]: y from 1.2.3.4"),
	/* rsyslog's repeat in a CRLF file */
	{ .line = "Dec 10 07:13:56 LabSZ sshd[24227]: message repeated 5 times: [ Failed password for root from "
		  "5.36.59.76 port 42393 ssh2]\r",
	  .ret = 1, .time = "2026-12-10T07:13:56Z", .host = "LabSZ", .program = "sshd", .pid = 24227,
	  .msg = "Failed password for root from 5.36.59.76 port 42393 ssh2", .repeat = 5, .mtime = "2026-12-11T00:00:00Z" },
	/* multilog/s6-log before a program's stderr (sshd -e): no host, no program */
	OK("2018-06-26 13:22:02.108781500 Failed password for woold from 10.10.10.76 port 34718 ssh2",
	   "2018-06-26T13:22:02.108781Z", "", "", -1, "Failed password for woold from 10.10.10.76 port 34718 ssh2"),
	OK("2026-11-01 00:00:01 host -- MARK --", "2026-11-01T00:00:01Z", "", "", -1, "host -- MARK --"),
	/* not syslog */
	NO(""),
	NO(":"),
	NO(" "),
	NO("<13>"),
	NO("<999>x"),
	NO("<192>Nov  1 00:00:01 host p: pri too big"),
	NO("<>Nov  1 00:00:01 host p: m"),
	NO("<13"),
	NO("<1234>1 2026-11-01T00:00:01Z h a - - - m"),
	NO("Nov"),
	NO("Nov  1 00:00:01"),
	NO("Nov  1 00:00:01 "),
	NO("Nov  1 00:00:01.123456"),
	NO("2026-11-01T00:00:01Z"),
	NO("2026-11-01T00:00:01Z "),
	NO("Foo  1 00:00:01 host p: m"),
	NO("nov  1 00:00:01 host p: m"),
	NO("Nov 32 00:00:01 host p: m"),
	NO("Nov  0 00:00:01 host p: m"),
	NO("Feb 30 00:00:01 host p: m"),
	NO("Nov  1 24:00:00 host p: m"),
	NO("Nov  1 00:60:00 host p: m"),
	NO("Nov  1 0:00:01 host p: m"),
	NO("Nov  1 00:00:01host p: m"),
	NO("2026-13-01T00:00:00Z host p: m"),
	NO("2026-02-29T00:00:00Z host p: m"),
	NO("2026-11-01T00:00:01+2400 host p: m"),
	NO("2026-11-01T00:00:01+01 host p: m"),
	NO("2026-11-01  00:00:01 host p: m"),
	NO("2026-11-01_00:00:01 host p: m"),
	NO("2026-11-01 00:00:01"),
	NO("<34>1 2026-11-01 00:00:01Z host app 1 - - m"),
	NO("hello world"),
	NO("-- MARK --"),
	NO("<34>1 2026-11-01T00:00:01Z host"),
	NO("<34>1 2026-11-01T00:00:01Z host app 1 - [unterminated x=\"]\""),
	NO("<34>1 2026-11-01T00:00:01Z host app 1 - x msg"),
	NO("<34>1 2026-11-01T00:00:01Z host app 1 - [a x=\"y\"]msg"),
	NO("<34>1 bogus host app 1 - - m"),
	NO("{"),
	NO("{}"),
	NO("{\"MESSAGE\":5}"),
	NO("{\"MESSAGE\":null}"),
	NO("{\"MESSAGE\":[256]}"),
	NO("{\"MESSAGE\":[-1]}"),
	NO("{\"MESSAGE\":[1,\"x\"]}"),
	NO("{\"MESSAGE\":\"x\"} trailing"),
	NO("[\"MESSAGE\",\"x\"]"),
};

static int64_t rfc3339(const char *s)
{
	int64_t t = 0;
	if (time_parse_rfc3339(s, &t) < 0)
		fail_msg("bad time in the test table: %s", s);
	return t;
}

/* Parses line[0..len) from an exact-size copy. */
static int parse_copy(struct header_ctx *ctx, const char *line, size_t len, struct syslog_header *h, char **ret_copy)
{
	char *copy = malloc(len ? len : 1);
	assert_non_null(copy);
	memcpy(copy, line, len);
	*ret_copy = copy;
	return header_parse(ctx, copy, len, h);
}

static int n_bad;

/* Reports a wrong case and carries on, so one run lists every wrong case. */
#define BAD(...)                          \
	do {                              \
		print_error(__VA_ARGS__); \
		print_error("\n");        \
		n_bad++;                  \
	} while (0)

static void check_sv(struct sv v, const char *want, const char *what, const char *line)
{
	if (v.n != strlen(want) || (v.n && memcmp(v.p, want, v.n) != 0))
		BAD("%s: %s is \"%.*s\", want \"%s\"", line, what, (int)v.n, v.p ? v.p : "", want);
}

static struct header_ctx *ctx_for(const struct hcase *c)
{
	struct header_ctx *ctx = header_ctx_new(c->tz ? c->tz : "UTC");
	assert_non_null(ctx);
	header_ctx_set_mtime(ctx, rfc3339(c->mtime ? c->mtime : MTIME_DEFAULT) / 1000000);
	return ctx;
}

static void check_case(const struct hcase *c)
{
	struct header_ctx *ctx = ctx_for(c);
	struct syslog_header h = { .pid = 12345 };
	char *copy, tb[TIME_STRLEN], wb[TIME_STRLEN];
	int r = parse_copy(ctx, c->line, strlen(c->line), &h, &copy);

	if (r != c->ret) {
		BAD("%s: returned %d, want %d", c->line, r, c->ret);
	} else if (r == 1) {
		int64_t want = rfc3339(c->time);
		if (h.time_us != want)
			BAD("%s: time %s, want %s", c->line, time_format_rfc3339(h.time_us, tb),
			    time_format_rfc3339(want, wb));
		check_sv(h.host, c->host, "host", c->line);
		check_sv(h.program, c->program, "program", c->line);
		check_sv(h.msg, c->msg, "msg", c->line);
		if (h.pid != c->pid)
			BAD("%s: pid %d, want %d", c->line, (int)h.pid, (int)c->pid);
		if (h.repeat != (c->repeat ? c->repeat : 1))
			BAD("%s: repeat %u, want %u", c->line, h.repeat, c->repeat ? c->repeat : 1);
		if (h.time_guessed != c->guessed)
			BAD("%s: time_guessed %d, want %d", c->line, h.time_guessed, c->guessed);
	} else if (h.pid != 12345) {
		BAD("%s: *ret written though not matched", c->line);
	}
	free(copy);
	header_ctx_free(ctx);
}

static void test_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < ELEMENTSOF(cases); i++)
		check_case(&cases[i]);
	print_message("%zu cases, %d wrong\n", ELEMENTSOF(cases), n_bad);
	assert_int_equal(n_bad, 0);
}

static void test_ctx(void **state)
{
	(void)state;
	assert_null(header_ctx_free(NULL));
	assert_null(header_ctx_new("No/Such_Zone"));
	assert_null(header_ctx_new(""));
	assert_null(header_ctx_new("utc"));
	assert_null(header_ctx_new("../../../etc/passwd"));
	assert_null(header_ctx_new("/etc/localtime"));
	assert_null(header_ctx_new("Europe")); /* a directory */
	assert_null(header_ctx_new("zone1970.tab")); /* not a TZif file */
	assert_null(header_ctx_free(header_ctx_new("Europe/Berlin")));
	assert_null(header_ctx_free(header_ctx_new(NULL)));
}

/* A time guessed from the last good line, not from the mtime. */
static void test_last_good_time(void **state)
{
	struct header_ctx *ctx = header_ctx_new("UTC");
	struct syslog_header h;
	const char *l1 = "Nov  1 00:00:01 host sshd[1]: first", *l2 = "<34>1 - host sshd 1 - - second";
	(void)state;
	assert_non_null(ctx);
	header_ctx_set_mtime(ctx, rfc3339(MTIME_DEFAULT) / 1000000);
	assert_int_equal(header_parse(ctx, l1, strlen(l1), &h), 1);
	assert_int_equal(header_parse(ctx, l2, strlen(l2), &h), 1);
	assert_int_equal(h.time_guessed, 1);
	assert_true(h.time_us == rfc3339("2026-11-01T00:00:01Z"));
	/* mtime 0 means now: this year's Jan 1 is never in the future */
	header_ctx_set_mtime(ctx, 0);
	assert_int_equal(header_parse(ctx, "Jan  1 00:00:00 h p: m", 22, &h), 1);
	assert_true(h.time_us <= (int64_t)time(NULL) * 1000000);
	assert_true(h.time_us > ((int64_t)time(NULL) - 367 * 86400) * 1000000);
	header_ctx_free(ctx);
}

/* Classic syslogd's "last message repeated N times": the previous line of
 * the same input again, N times, at the marker's time; the previous line
 * is a copy (the caller's buffer is gone by then). */
static void test_last_repeated(void **state)
{
	static const struct {
		const char *line;
		int ret;
		const char *program, *msg;
		int32_t pid;
		uint32_t repeat;
		const char *time;
		bool new_input; /* header_ctx_set_mtime() before this line */
	} seq[] = {
		{ "Nov  1 00:00:01 host sshd[7]: Failed password for root from 1.2.3.4 port 22 ssh2", 1, "sshd",
		  "Failed password for root from 1.2.3.4 port 22 ssh2", 7, 1, "2026-11-01T00:00:01Z", false },
		{ "Nov  1 00:00:09 host last message repeated 3 times", 1, "sshd",
		  "Failed password for root from 1.2.3.4 port 22 ssh2", 7, 3, "2026-11-01T00:00:09Z", false },
		/* a marker is not itself the previous line */
		{ "Nov  1 00:00:10 host --- last message repeated 1 time ---\r", 1, "sshd",
		  "Failed password for root from 1.2.3.4 port 22 ssh2", 7, 1, "2026-11-01T00:00:10Z", false },
		/* an rsyslog repeat repeated: the counts multiply */
		{ "Nov  1 00:00:11 host sshd[8]: message repeated 2 times: [ Invalid user a from 1.2.3.5]", 1, "sshd",
		  "Invalid user a from 1.2.3.5", 8, 2, "2026-11-01T00:00:11Z", false },
		{ "Nov  1 00:00:12 host last message repeated 5 times", 1, "sshd", "Invalid user a from 1.2.3.5", 8, 10,
		  "2026-11-01T00:00:12Z", false },
		/* not markers */
		{ "Nov  1 00:00:13 host last message repeated 0 times", 1, "", "last message repeated 0 times", -1, 1,
		  "2026-11-01T00:00:13Z", false },
		{ "Nov  1 00:00:14 host last message repeated many times", 1, "", "last message repeated many times", -1,
		  1, "2026-11-01T00:00:14Z", false },
		{ "Nov  1 00:00:15 host sshd[9]: last message repeated 2 times", 1, "sshd", "last message repeated 2 times",
		  9, 1, "2026-11-01T00:00:15Z", false },
		/* a new input forgets the previous line: the marker stays a message */
		{ "Nov  1 00:00:16 host last message repeated 2 times", 1, "", "last message repeated 2 times", -1, 1,
		  "2026-11-01T00:00:16Z", true },
		/* a journal entry is never repeated that way */
		{ "{\"__REALTIME_TIMESTAMP\":\"1793491217000000\",\"SYSLOG_IDENTIFIER\":\"sshd\",\"MESSAGE\":\"x\"}", 1,
		  "sshd", "x", -1, 1, "2026-11-01T00:00:17Z", false },
		{ "Nov  1 00:00:18 host last message repeated 2 times", 1, "", "last message repeated 2 times", -1, 1,
		  "2026-11-01T00:00:18Z", false },
	};
	char big[PREV_TEST_LEN];
	struct syslog_header h;
	struct header_ctx *ctx = NULL;
	(void)state;
	/* mode 0: each line's buffer is freed (scribbled over first) before the
	 * next is read, so a marker's views must not need the earlier line's
	 * buffer. Modes 1 and 2: the caller keeps its lines
	 * (header_ctx_keep_lines) and lets them go after each line, or after
	 * every third, each time after header_ctx_release. */
	for (int mode = 0; mode < 3; mode++) {
		char *held[ELEMENTSOF(seq)];
		size_t n_held = 0;
		header_ctx_free(ctx);
		ctx = header_ctx_new("UTC");
		assert_non_null(ctx);
		if (mode)
			header_ctx_keep_lines(ctx);
		header_ctx_set_mtime(ctx, rfc3339(MTIME_DEFAULT) / 1000000);
		for (size_t i = 0; i < ELEMENTSOF(seq); i++) {
			size_t len = strlen(seq[i].line);
			int r;
			if (seq[i].new_input)
				header_ctx_set_mtime(ctx, rfc3339(MTIME_DEFAULT) / 1000000);
			r = parse_copy(ctx, seq[i].line, len, &h, &held[n_held++]);
			assert_int_equal(r, seq[i].ret);
			check_sv(h.program, seq[i].program, "program", seq[i].line);
			check_sv(h.msg, seq[i].msg, "msg", seq[i].line);
			if (h.pid != seq[i].pid)
				BAD("%s: pid %d, want %d (mode %d)", seq[i].line, (int)h.pid, (int)seq[i].pid, mode);
			if (h.repeat != seq[i].repeat)
				BAD("%s: repeat %u, want %u (mode %d)", seq[i].line, h.repeat, seq[i].repeat, mode);
			if (h.time_us != rfc3339(seq[i].time))
				BAD("%s: wrong time (mode %d)", seq[i].line, mode);
			if (mode == 0 || mode == 1 || i % 3 == 2) {
				if (mode)
					header_ctx_release(ctx);
				for (size_t k = 0; k < n_held; k++) {
					memset(held[k], '#', strlen(seq[i - (n_held - 1 - k)].line));
					free(held[k]);
				}
				n_held = 0;
			}
		}
		for (size_t k = 0; k < n_held; k++)
			free(held[k]);
	}
	/* a previous line longer than what is kept: the marker stays a message */
	memset(big, 'x', sizeof(big));
	memcpy(big, "Nov  1 00:00:20 host sshd[1]: ", 30);
	assert_int_equal(header_parse(ctx, big, sizeof(big), &h), 1);
	{
		static const char marker[] = "Nov  1 00:00:21 host last message repeated 2 times";
		assert_int_equal(header_parse(ctx, marker, sizeof(marker) - 1, &h), 1);
	}
	check_sv(h.msg, "last message repeated 2 times", "msg", "after a long line");
	assert_int_equal(h.repeat, 1);
	assert_int_equal(n_bad, 0);
	header_ctx_free(ctx);
}

/* tz NULL is the process zone (TZ): libc's answer and our TZif reader must
 * agree on every hour over years inside the table and past it (footer). */
static void test_zones_vs_libc(void **state)
{
	static const char *zones[] = { "Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "America/Sao_Paulo",
				       "Asia/Kolkata", "Pacific/Chatham", "Africa/Casablanca", "America/St_Johns" };
	static const int years[] = { 1995, 2026, 2027, 2040, 2041 };
	char *saved = test_tz_save();
	(void)state;
	for (size_t z = 0; z < ELEMENTSOF(zones); z++) {
		struct header_ctx *mine = header_ctx_new(zones[z]), *libc;
		unsigned long checked = 0;
		assert_non_null(mine);
		assert_int_equal(setenv("TZ", zones[z], 1), 0);
		libc = header_ctx_new(NULL);
		assert_non_null(libc);
		for (size_t y = 0; y < ELEMENTSOF(years); y++) {
			for (int day = 0; day < 366; day++) {
				for (int hour = 0; hour < 24; hour += 1) {
					int64_t t = (time_days_from_civil(years[y], 1, 1) + day) * 86400 + hour * 3600 + 1234;
					time_t tt = (time_t)t;
					struct tm tm;
					char line[64];
					struct syslog_header a, b;
					int n;
					assert_non_null(gmtime_r(&tt, &tm));
					n = snprintf(line, sizeof(line), "%04d-%02d-%02dT%02d:%02d:%02d h p: m", tm.tm_year + 1900,
						     tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
					assert_int_equal(header_parse(mine, line, (size_t)n, &a), 1);
					assert_int_equal(header_parse(libc, line, (size_t)n, &b), 1);
					if (a.time_us != b.time_us)
						fail_msg("%s: %s: TZif %lld, libc %lld", zones[z], line, (long long)a.time_us,
							 (long long)b.time_us);
					checked++;
				}
			}
		}
		assert_true(checked > 40000);
		header_ctx_free(mine);
		header_ctx_free(libc);
	}
	test_tz_restore(saved);
}

/* Hostile bytes: NUL, invalid UTF-8, overlong lines. */
static void test_bytes(void **state)
{
	struct header_ctx *ctx = header_ctx_new("UTC");
	struct syslog_header h;
	char *copy;
	(void)state;
	assert_non_null(ctx);
	header_ctx_set_mtime(ctx, rfc3339(MTIME_DEFAULT) / 1000000);

	static const char nul_msg[] = "Nov  1 00:00:01 host sshd[1]: a\0b";
	assert_int_equal(parse_copy(ctx, nul_msg, sizeof(nul_msg) - 1, &h, &copy), 1);
	assert_int_equal(h.msg.n, 3);
	assert_memory_equal(h.msg.p, "a\0b", 3);
	free(copy);

	static const char nul_host[] = "Nov  1 00:00:01 ho\0st sshd[1]: m";
	assert_int_equal(parse_copy(ctx, nul_host, sizeof(nul_host) - 1, &h, &copy), 1);
	assert_int_equal(h.host.n, 5);
	assert_true(sv_eq(h.program, "sshd"));
	free(copy);

	static const char nul_time[] = "Nov \0 1 00:00:01 host sshd[1]: m";
	assert_int_equal(parse_copy(ctx, nul_time, sizeof(nul_time) - 1, &h, &copy), 0);
	free(copy);
	static const char nul_first[] = "\0Nov  1 00:00:01 host sshd[1]: m";
	assert_int_equal(parse_copy(ctx, nul_first, sizeof(nul_first) - 1, &h, &copy), 0);
	free(copy);
	static const char nul_json[] = "{\"MESSAGE\":\"a\\u0000b\",\"__REALTIME_TIMESTAMP\":\"1\"}";
	assert_int_equal(parse_copy(ctx, nul_json, sizeof(nul_json) - 1, &h, &copy), 1);
	assert_int_equal(h.msg.n, 3);
	assert_memory_equal(h.msg.p, "a\0b", 3);
	assert_true(h.time_us == 1);
	free(copy);
	static const char raw_nul_json[] = "{\"MESSAGE\":\"a\0b\"}";
	assert_int_equal(parse_copy(ctx, raw_nul_json, sizeof(raw_nul_json) - 1, &h, &copy), 0);
	free(copy);

	const char *bad = "Nov  1 00:00:01 h\xC3 sshd[1]: \xFF\xFE\xC3";
	assert_int_equal(parse_copy(ctx, bad, strlen(bad), &h, &copy), 1);
	assert_true(sv_eq(h.host, "h\xC3"));
	assert_true(sv_eq(h.msg, "\xFF\xFE\xC3"));
	free(copy);
	const char *bad_json = "{\"MESSAGE\":\"\xFF\"}";
	assert_int_equal(parse_copy(ctx, bad_json, strlen(bad_json), &h, &copy), 0);
	free(copy);
	const char *bad_prog = "Nov  1 00:00:01 h \xFF\xFE[1]: x";
	assert_int_equal(parse_copy(ctx, bad_prog, strlen(bad_prog), &h, &copy), 1);
	assert_true(sv_eq(h.program, "\xFF\xFE"));
	free(copy);

	/* 1 MiB lines: a message, a host, a program name, a JSON object, no header */
	const size_t big = 1u << 20;
	const char *hdr = "Nov  1 00:00:01 host sshd[1]: ";
	size_t hl = strlen(hdr);
	char *line = malloc(hl + big);
	assert_non_null(line);
	memcpy(line, hdr, hl);
	memset(line + hl, 'A', big);
	assert_int_equal(header_parse(ctx, line, hl + big, &h), 1);
	assert_int_equal(h.msg.n, big);
	assert_true(h.msg.p == line + hl);
	memset(line + 16, 'h', big); /* "Nov  1 00:00:01 hhhh…": host too long */
	assert_int_equal(header_parse(ctx, line, 16 + big, &h), 0);
	memcpy(line + 16, "host ", 5); /* "… host pppp…": no program, all message */
	memset(line + 21, 'p', big - 5);
	assert_int_equal(header_parse(ctx, line, 16 + big, &h), 1);
	assert_true(sv_eq(h.host, "host"));
	assert_true(sv_empty(h.program));
	assert_int_equal(h.msg.n, big - 5);
	memset(line, 'A', hl + big);
	assert_int_equal(header_parse(ctx, line, hl + big, &h), 0);
	line[0] = '{';
	assert_int_equal(header_parse(ctx, line, hl + big, &h), 0);
	free(line);

	/* a big JSON message fits the scratch buffer, which grows and is reused */
	const char *jh = "{\"MESSAGE\":\"";
	size_t jl = strlen(jh);
	line = malloc(jl + big + 2);
	assert_non_null(line);
	memcpy(line, jh, jl);
	memset(line + jl, 'm', big);
	memcpy(line + jl + big, "\"}", 2);
	assert_int_equal(header_parse(ctx, line, jl + big + 2, &h), 1);
	assert_int_equal(h.msg.n, big);
	assert_int_equal(h.msg.p[big - 1], 'm');
	free(line);
	assert_int_equal(header_parse(ctx, "{\"MESSAGE\":\"s\"}", 15, &h), 1);
	assert_true(sv_eq(h.msg, "s"));

	header_ctx_free(ctx);
}

static bool within(struct sv v, const char *buf, size_t len)
{
	return v.n == 0 || (v.p >= buf && v.p + v.n <= buf + len);
}

static void check_views(struct header_ctx *ctx, const char *buf, size_t len, unsigned long *matched)
{
	struct syslog_header h;
	int r = header_parse(ctx, buf, len, &h);
	if (r == 0)
		return;
	assert_int_equal(r, 1);
	(*matched)++;
	assert_true(h.repeat >= 1);
	assert_true(h.pid >= -1);
	assert_true(h.time_guessed == 0 || h.time_guessed == 1);
	if (buf[0] != '{') {
		assert_true(within(h.host, buf, len));
		assert_true(within(h.program, buf, len));
		assert_true(within(h.msg, buf, len));
	}
}

/* Every truncation and every single-bit flip of each valid case: must not
 * crash or read outside the line (ASan/valgrind), views stay inside it. */
static void test_mutations(void **state)
{
	unsigned long runs = 0, matched = 0;
	(void)state;
	for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
		const struct hcase *c = &cases[i];
		size_t n = strlen(c->line);
		struct header_ctx *ctx;
		char *buf;
		if (c->ret != 1)
			continue;
		ctx = ctx_for(c);
		for (size_t cut = 0; cut < n; cut++) {
			buf = malloc(cut ? cut : 1);
			assert_non_null(buf);
			memcpy(buf, c->line, cut);
			check_views(ctx, buf, cut, &matched);
			free(buf);
			runs++;
		}
		for (size_t bit = 0; bit < n * 8; bit++) {
			buf = malloc(n);
			assert_non_null(buf);
			memcpy(buf, c->line, n);
			buf[bit / 8] = (char)(buf[bit / 8] ^ (1u << (bit % 8)));
			check_views(ctx, buf, n, &matched);
			/* and two flips: this one plus one 13 bytes on */
			if (bit / 8 + 13 < n) {
				buf[bit / 8 + 13] = (char)(buf[bit / 8 + 13] ^ (1u << ((bit * 7) % 8)));
				check_views(ctx, buf, n, &matched);
				runs++;
			}
			free(buf);
			runs++;
		}
		header_ctx_free(ctx);
	}
	print_message("mutations: %lu parsed, %lu still matched\n", runs, matched);
	assert_true(runs > 10000);
	assert_true(matched > runs / 4);
}

/* A line of the hour parsed last takes a shortcut (its minutes and
 * seconds checked in one compare); it must give what a parser that has
 * not seen that hour gives, for every byte in the minute's and second's
 * places (digits at the edges of their ranges, ':' and its neighbours,
 * letters, NUL, high bytes), with and without a fraction, and for the
 * shortest lines. */
static void test_hour_cache(void **state)
{
	static const char alphabet[] = "01569:;/ a\0\xb5";
	const size_t na = sizeof(alphabet) - 1;
	static const char *const tails[] = { " h p[1]: m", ".25 h p[1]: m", " ", "" };
	struct header_ctx *warm = header_ctx_new("Europe/Berlin"), *cold = header_ctx_new("Europe/Berlin");
	unsigned long runs = 0, ok = 0;
	(void)state;
	assert_non_null(warm);
	assert_non_null(cold);
	header_ctx_set_mtime(warm, rfc3339(MTIME_DEFAULT) / 1000000);
	header_ctx_set_mtime(cold, rfc3339(MTIME_DEFAULT) / 1000000);
	for (size_t t = 0; t < ELEMENTSOF(tails); t++) {
		for (size_t i = 0; i < na * na * na * na * na; i++) {
			char line[64];
			size_t n, k = i;
			struct syslog_header a, b;
			int ra, rb;
			memcpy(line, "Nov  1 05:", 10);
			for (size_t j = 10; j < 15; j++, k /= na)
				line[j] = alphabet[k % na];
			n = 15 + strlen(tails[t]);
			memcpy(line + 15, tails[t], strlen(tails[t]));
			/* warm knows this hour; cold was last at another one */
			assert_int_equal(header_parse(warm, "Nov  1 05:00:00 h p: m", 22, &a), 1);
			assert_int_equal(header_parse(cold, "Dec  2 07:00:00 h p: m", 22, &b), 1);
			ra = header_parse(warm, line, n, &a);
			rb = header_parse(cold, line, n, &b);
			if (ra != rb || (ra == 1 && (a.time_us != b.time_us || !sv_eq_sv(a.host, b.host) ||
						     !sv_eq_sv(a.msg, b.msg) || a.pid != b.pid)))
				fail_msg("%.*s: with the hour cached %d/%lld, without %d/%lld", (int)n, line, ra,
					 (long long)a.time_us, rb, (long long)b.time_us);
			runs++;
			ok += ra == 1;
		}
	}
	print_message("hour cache: %lu lines, %lu parsed\n", runs, ok);
	/* minutes 00-59 and seconds 00-60 from the alphabet's digits (15 and
	 * 16 of them), in the two tails that leave a space after the time */
	assert_int_equal(ok, 15 * 16 * 2);
	header_ctx_free(warm);
	header_ctx_free(cold);
}

/* Every line of a real log parses, with the host expected; strict: with a
 * program, a message and (but for sudo) a pid; all_sshd: program "sshd". */
static void check_file(const char *dir, const char *rel, const char *mtime, const char *host, bool strict, bool all_sshd)
{
	char path[4096], *line = NULL;
	size_t cap = 0;
	ssize_t n;
	unsigned long lines = 0, parsed = 0;
	struct header_ctx *ctx = header_ctx_new("UTC");
	FILE *f;

	assert_non_null(ctx);
	header_ctx_set_mtime(ctx, rfc3339(mtime) / 1000000);
	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	f = fopen(path, "re");
	if (!f)
		fail_msg("%s: %s", path, strerror(errno));
	while ((n = getline(&line, &cap, f)) > 0) {
		struct syslog_header h;
		if (line[n - 1] == '\n')
			n--;
		lines++;
		if (header_parse(ctx, line, (size_t)n, &h) != 1) {
			print_error("%s:%lu: not parsed: %.*s\n", rel, lines, (int)n, line);
			continue;
		}
		if (!sv_eq(h.host, host) ||
		    (strict && (sv_empty(h.program) || (h.pid <= 0 && !sv_eq(h.program, "sudo")) || h.msg.n == 0)) ||
		    (all_sshd && !sv_eq(h.program, "sshd"))) {
			print_error("%s:%lu: host/program/pid/msg wrong: %.*s\n", rel, lines, (int)n, line);
			continue;
		}
		parsed++;
	}
	free(line);
	fclose(f);
	header_ctx_free(ctx);
	print_message("%s: %lu of %lu lines parsed\n", rel, parsed, lines);
	assert_true(lines > 1000);
	assert_int_equal(parsed, lines);
}

/* The pid of "prog[DIGITS]:" is read 8 bytes at a time where 8 bytes are
 * left in the line and one by one elsewhere: both must give the one
 * answer, for 0 to 12 digits, any byte after them, and every length of
 * the line's rest (the message may be empty, the ']' may be the last byte). */
static void test_pid_forms(void **state)
{
	struct header_ctx *ctx = header_ctx_new("UTC");
	static const char tails[][8] = { "]: m", "]:", "] m", "]", "]x", "", "a]: m", "\x80]: m", "/]: m", ":]: m" };
	uint64_t rng = 0x243f6a8885a308d3ull;
	unsigned long n_ok = 0;
	(void)state;
	assert_non_null(ctx);
	for (int i = 0; i < 200000; i++) {
		char line[96], digits[16];
		size_t nd, n, k;
		const char *tail;
		struct syslog_header h = { .pid = 12345 };
		char *copy;
		int r, want_r;
		int64_t want_pid = 0;

		rng ^= rng << 13;
		rng ^= rng >> 7;
		rng ^= rng << 17;
		nd = (size_t)(rng % 13);
		for (k = 0; k < nd; k++)
			digits[k] = (char)('0' + (rng >> (8 + 4 * k % 48)) % 10);
		if (nd && (rng >> 60) == 0)
			digits[0] = '0'; /* leading zeros are fine in a pid */
		tail = tails[(rng >> 40) % (sizeof(tails) / sizeof(tails[0]))];
		n = (size_t)snprintf(line, sizeof(line), "Nov  1 00:00:01 host sshd[%.*s%s", (int)nd, digits, tail);
		for (k = 0; k < nd; k++)
			want_pid = want_pid * 10 + (digits[k] - '0');
		/* the reference: 1-10 digits, at most INT32_MAX, then "]:" and the
		 * end or a space, or "] " (rsyslog without the colon); anything
		 * else is a host "host" and no program */
		want_r = nd >= 1 && nd <= 10 && want_pid <= INT32_MAX && tail[0] == ']' &&
			 ((tail[1] == ':' && (tail[2] == '\0' || tail[2] == ' ')) || tail[1] == ' ');
		r = parse_copy(ctx, line, n, &h, &copy);
		assert_int_equal(r, 1);
		if (want_r) {
			if (h.pid != want_pid || !sv_eq(h.program, "sshd"))
				fail_msg("%s: pid %d program %.*s, want %lld sshd", line, (int)h.pid, (int)h.program.n,
					 h.program.p, (long long)want_pid);
			n_ok++;
		} else if (h.program.n != 0 || h.pid != -1) {
			fail_msg("%s: took pid %d program %.*s", line, (int)h.pid, (int)h.program.n, h.program.p);
		}
		free(copy);
	}
	assert_true(n_ok > 10000);
	header_ctx_free(ctx);
}

static void test_real_logs(void **state)
{
	const char *dir = getenv("MOAT_SHARED_DATA");
	char probe[4096];
	FILE *f;
	(void)state;
	if (!dir) {
		print_message("MOAT_SHARED_DATA not set: skipping the real-log test\n");
		skip();
	}
	snprintf(probe, sizeof(probe), "%s/auth-real-cseanburns/auth.log", dir);
	f = fopen(probe, "re");
	if (!f) {
		print_message("%s missing: skipping the real-log test\n", probe);
		skip();
	}
	fclose(f);
	/* auth.log: Ubuntu 22.04, Sep 10..16 2023; all CRON, sshd, sudo, systemd-logind with pids
	 * except sudo's "sudo:" lines */
	check_file(dir, "auth-real-cseanburns/auth.log", "2023-09-17T00:00:00Z", "fall-2023", true, false);
	check_file(dir, "loghub/OpenSSH_OpenSSH_2k.log", "2017-01-31T00:00:00Z", "LabSZ", true, true);
	/* /var/log/messages of 2005: kernel, "sshd(pam_unix)[pid]:", and sysklogd's "syslogd 1.4.1: restart." */
	check_file(dir, "loghub/Linux_Linux_2k.log", "2005-08-01T00:00:00Z", "combo", false, false);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_ctx),
		cmocka_unit_test(test_last_good_time),
		cmocka_unit_test(test_last_repeated),
		cmocka_unit_test(test_zones_vs_libc),
		cmocka_unit_test(test_bytes),
		cmocka_unit_test(test_mutations),
		cmocka_unit_test(test_hour_cache),
		cmocka_unit_test(test_pid_forms),
		cmocka_unit_test(test_real_logs),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
