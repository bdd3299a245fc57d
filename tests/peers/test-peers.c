/*
 * The peers' own test suites, run against moat's header parser and
 * decoders (../shared/data):
 *
 *   sshguard   SSHGuard's src/parser/tests.txt, SSH and banner sections:
 *              "line / 100 ADDR 4 10 / M" must decode as an attack from ADDR;
 *              "line / * / M" must blame no one.
 *   crowdsec   the CrowdSec hub's parser tests: a line whose s01-parse result
 *              has Meta.source_ip X (and Success true) must decode with source
 *              X; a line with Success false must blame no one.
 *   ossec      OSSEC's sshd/su/sudo/pam rule tests: a "pass" line whose rule
 *              has alert level >= 5 must decode as an attack (or a privilege
 *              escalation attempt); a "pass" line below level 5 must not.
 *
 * "Blames" means: decoded into an attack kind (failures, invalid users,
 * refusals, pre-auth probes) with a source address. Cases that moat reads
 * differently on purpose are listed in differences.txt with the reason;
 * a listed case that starts passing is an error too (the list must stay
 * true). Output is TAP plus a per-suite summary.
 */
#include <dirent.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/escape.h"
#include "parse/decoder.h"
#include "parse/header.h"

enum expect { EXPECT_ATTACK, EXPECT_DECODED, EXPECT_NOTHING };

struct diff {
	char *id;
	char *reason;
	bool used;
};

static struct diff *diffs;
static size_t n_diffs;
static struct header_ctx *hdr;
static int n_test, n_fail;

struct tally {
	const char *suite;
	int cases, pass, known, fail, out_of_scope;
};

static bool attack_kind(enum event_kind k)
{
	switch (k) {
	case EV_AUTH_FAILURE:
	case EV_INVALID_USER:
	case EV_USER_NOT_ALLOWED:
	case EV_ROOT_REFUSED:
	case EV_MAX_AUTH:
	case EV_PREAUTH_CLOSE:
	case EV_PROTOCOL_ERROR:
	case EV_CONN_REFUSED:
	case EV_MAXSTARTUPS:
	case EV_SUDO_FAILURE:
	case EV_SUDO_REFUSED:
	case EV_SU_FAILURE:
		return true;
	default:
		return false;
	}
}

static bool privesc_kind(enum event_kind k)
{
	return k == EV_SUDO_FAILURE || k == EV_SUDO_REFUSED || k == EV_SU_FAILURE;
}

/* Decodes a line: a full syslog line, or (SSHGuard's bare cases, which no
 * header parser takes) a message that sshd wrote. A line whose header was
 * understood is not tried again as a bare message: that would hide a
 * header read wrongly. Returns 1 when decoded. */
static int decode_line(const char *line, struct event *ev)
{
	struct syslog_header h;
	size_t len = strlen(line);
	if (header_parse(hdr, line, len, &h) > 0)
		return decode(&h, ev);
	memset(&h, 0, sizeof(h));
	h.program = SV_LIT("sshd");
	h.msg = sv_make(line, len);
	h.pid = -1;
	h.repeat = 1;
	return decode(&h, ev);
}

/* Does any token of the line parse as an address? */
static bool has_address(const char *line)
{
	const char *p = line;
	while (*p) {
		size_t n = strcspn(p, " \t()[],;=<>'\"");
		struct addr a;
		if (n) {
			struct sv v = sv_make(p, n);
			(void)sv_consume_end(&v, ":");
			(void)sv_consume_end(&v, ".");
			if (addr_parse(v, &a) > 0)
				return true;
		}
		p += n ? n : 1;
	}
	return false;
}

static struct diff *find_diff(const char *id)
{
	for (size_t i = 0; i < n_diffs; i++)
		if (strcmp(diffs[i].id, id) == 0)
			return &diffs[i];
	return NULL;
}

static void check(struct tally *t, const char *id, const char *line, enum expect want, const char *want_addr,
		  bool privesc_ok)
{
	struct event ev;
	char ab[ADDR_STRLEN], got[512];
	int m = decode_line(line, &ev);
	bool ok;
	struct diff *d = find_diff(id);

	if (m > 0)
		snprintf(got, sizeof(got), "%s source=%s", event_kind_name(ev.kind), addr_format(&ev.source, ab));
	else
		snprintf(got, sizeof(got), "not decoded");
	if (want == EXPECT_DECODED) {
		struct addr a;
		ok = m > 0 && want_addr && addr_parse(sv_cstr(want_addr), &a) > 0 && addr_equal(&a, &ev.source);
	} else if (want == EXPECT_ATTACK) {
		if (m <= 0 || !attack_kind(ev.kind))
			ok = false;
		else if (want_addr) {
			struct addr a;
			ok = addr_parse(sv_cstr(want_addr), &a) > 0 && addr_equal(&a, &ev.source);
		} else {
			/* no expected address given: blame the source when the line has one */
			ok = ev.source.family != ADDR_NONE || (privesc_ok && privesc_kind(ev.kind)) ||
			     !has_address(line);
		}
	} else {
		ok = !(m > 0 && attack_kind(ev.kind) && ev.source.family != ADDR_NONE);
	}
	t->cases++;
	n_test++;
	if (d) {
		d->used = true;
		if (ok) {
			printf("not ok %d - %s: listed in differences.txt but now passes (remove it)\n", n_test, id);
			t->fail++;
			n_fail++;
		} else {
			printf("ok %d - %s # known difference: %s\n", n_test, id, d->reason);
			t->known++;
		}
		return;
	}
	if (ok) {
		printf("ok %d - %s\n", n_test, id);
		t->pass++;
		return;
	}
	printf("not ok %d - %s\n#   line: ", n_test, id);
	escape_text(stdout, sv_cstr(line), 300);
	printf("\n#   want: %s%s%s\n#    got: %s\n",
	       want == EXPECT_ATTACK ? "attack" : want == EXPECT_DECODED ? "decoded" : "nothing blamed",
	       want_addr ? " from " : "", want_addr ? want_addr : "", got);
	t->fail++;
	n_fail++;
}

static char *chomp(char *s)
{
	size_t n = strlen(s);
	while (n && (s[n - 1] == '\n' || s[n - 1] == '\r'))
		s[--n] = '\0';
	return s;
}

/* SSHGuard tests.txt: triplets; sections "#### NAME {{{". We run the SSH
 * section and, in "Banner formats", the cases whose service is 100 (sshd). */
static void run_sshguard(const char *dir, struct tally *t)
{
	char path[4096], id[64];
	snprintf(path, sizeof(path), "%s/sshguard/tests.txt", dir);
	FILE *f = fopen(path, "r");
	char a[8192], b[512], c[64];
	unsigned long lineno = 0;
	bool ssh = false, banner = false;
	if (!f) {
		printf("Bail out! %s: cannot open\n", path);
		exit(1);
	}
	while (fgets(a, sizeof(a), f)) {
		lineno++;
		chomp(a);
		if (strncmp(a, "####", 4) == 0) {
			ssh = strstr(a, "SSH {{{") && !strstr(a, "Remote");
			banner = strstr(a, "Banner formats") != NULL;
			continue;
		}
		if (a[0] == '\0' || a[0] == '#' || (!ssh && !banner))
			continue;
		unsigned long case_line = lineno;
		if (!fgets(b, sizeof(b), f) || !fgets(c, sizeof(c), f))
			break;
		lineno += 2;
		chomp(b);
		chomp(c);
		snprintf(id, sizeof(id), "sshguard:%lu", case_line);
		if (strcmp(b, "*") == 0) {
			check(t, id, a, EXPECT_NOTHING, NULL, false);
			continue;
		}
		char svc[16], addr[128];
		int fam, danger;
		/* "SERVICE ADDR FAMILY DANGER" from the test table, not from log text */
		if (sscanf(b, "%15s %127s %d %d", svc, addr, &fam, &danger) != 4) {
			printf("Bail out! %s:%lu: unreadable expectation '%s'\n", path, case_line + 1, b);
			exit(1);
		}
		if (strcmp(svc, "100") != 0) {
			t->out_of_scope++; /* dropbear (101) etc.: moat has no decoder for them */
			continue;
		}
		check(t, id, a, EXPECT_ATTACK, addr, false);
	}
	fclose(f);
}

/* CrowdSec: DIR/crowdsec-hub/<test>/parser.assert next to its *.log. */
static void run_crowdsec(const char *dir, struct tally *t)
{
	char base[4096];
	snprintf(base, sizeof(base), "%s/crowdsec-hub", dir);
	DIR *d = opendir(base);
	struct dirent *de;
	char **names = NULL;
	size_t nn = 0;
	if (!d) {
		printf("Bail out! %s: cannot open\n", base);
		exit(1);
	}
	while ((de = readdir(d)))
		if (de->d_name[0] != '.' && de->d_name[0] != '_') {
			names = realloc(names, (nn + 1) * sizeof(*names));
			names[nn++] = strdup(de->d_name);
		}
	closedir(d);
	qsort(names, nn, sizeof(*names), (int (*)(const void *, const void *))strcmp);
	for (size_t i = 0; i < nn; i++) {
		char p[8192], logpath[8192] = "", line[8192];
		snprintf(p, sizeof(p), "%s/%s/config.yaml", base, names[i]);
		FILE *cf = fopen(p, "r");
		if (!cf)
			goto next;
		while (fgets(line, sizeof(line), cf))
			if (strncmp(line, "log_file: ", 10) == 0)
				snprintf(logpath, sizeof(logpath), "%s/%s/%s", base, names[i], chomp(line + 10));
		fclose(cf);
		snprintf(p, sizeof(p), "%s/%s/parser.assert", base, names[i]);
		FILE *af = fopen(p, "r");
		if (!af || !logpath[0]) {
			if (af)
				fclose(af);
			goto next;
		}
		/* collect the log's lines */
		char **lines = NULL;
		size_t nl = 0;
		FILE *lf = fopen(logpath, "r");
		if (!lf) {
			printf("Bail out! %s: cannot open\n", logpath);
			exit(1);
		}
		while (fgets(line, sizeof(line), lf)) {
			lines = realloc(lines, (nl + 1) * sizeof(*lines));
			lines[nl++] = strdup(chomp(line));
		}
		fclose(lf);
		/* per line index: -1 unknown, 0 success false, 1 success true; and source ip */
		int *succ = calloc(nl ? nl : 1, sizeof(int));
		bool *success_log = calloc(nl ? nl : 1, sizeof(bool));
		char **ip = calloc(nl ? nl : 1, sizeof(char *));
		for (size_t k = 0; k < nl; k++)
			succ[k] = -1;
		while (fgets(line, sizeof(line), af)) {
			const char *q = strstr(line, "results[\"s01-parse\"]");
			char *idx;
			if (!q)
				continue;
			/* results["s01-parse"]["PARSER"][N]... : N is the line index */
			idx = strstr(q + strlen("results[\"s01-parse\"][\""), "\"][");
			if (!idx)
				continue;
			size_t k = strtoul(idx + 3, NULL, 10);
			if (k >= nl)
				continue;
			if (strstr(q, "].Success == true"))
				succ[k] = succ[k] < 0 ? 1 : succ[k];
			else if (strstr(q, "].Success == false"))
				succ[k] = 0;
			else if (strstr(q, "Evt.Meta[\"log_type\"] == \"auth_success\""))
				success_log[k] = true; /* a successful login: decoded, not an attack */
			else if ((q = strstr(q, "Evt.Meta[\"source_ip\"] == \""))) {
				char *s = strdup(q + strlen("Evt.Meta[\"source_ip\"] == \""));
				char *e = strchr(s, '"');
				if (e)
					*e = '\0';
				free(ip[k]);
				ip[k] = s;
			}
		}
		fclose(af);
		/* lines no s01 parser claimed at all are "expect nothing" too */
		for (size_t k = 0; k < nl; k++) {
			char id[256];
			snprintf(id, sizeof(id), "crowdsec:%s:%zu", names[i], k + 1);
			if (succ[k] == 1 && ip[k])
				check(t, id, lines[k], success_log[k] ? EXPECT_DECODED : EXPECT_ATTACK, ip[k], false);
			else if (succ[k] == 0)
				check(t, id, lines[k], EXPECT_NOTHING, NULL, false);
			else
				t->out_of_scope++; /* no s01-parse verdict, or parsed without an address */
			free(lines[k]);
			free(ip[k]);
		}
		free(lines);
		free(ip);
		free(succ);
		free(success_log);
	next:
		free(names[i]);
	}
	free(names);
}

static void run_ossec(const char *dir, struct tally *t)
{
	static const char *const files[] = { "sshd.ini", "su.ini", "sudo.ini", "pam.ini" };
	for (size_t fi = 0; fi < sizeof(files) / sizeof(files[0]); fi++) {
		char path[4096], line[8192], section[256] = "";
		char *logs[32];
		unsigned long loglines[32];
		size_t nlog = 0;
		int level = -1;
		unsigned long lineno = 0;
		snprintf(path, sizeof(path), "%s/ossec-tests/%s", dir, files[fi]);
		FILE *f = fopen(path, "r");
		if (!f) {
			printf("Bail out! %s: cannot open\n", path);
			exit(1);
		}
		for (;;) {
			char *got = fgets(line, sizeof(line), f);
			if (got) {
				lineno++;
				chomp(line);
			}
			if (!got || line[0] == '[') {
				for (size_t k = 0; k < nlog; k++) {
					char id[512];
					snprintf(id, sizeof(id), "ossec:%s:%lu", files[fi], loglines[k]);
					bool privesc_file = fi > 0; /* su, sudo, pam */
					if (level >= 5 && !privesc_file && !has_address(logs[k]))
						t->out_of_scope++; /* an sshd attack without an address: nobody to blame */
					else
						check(t, id, logs[k], level >= 5 ? EXPECT_ATTACK : EXPECT_NOTHING, NULL,
						      true);
					free(logs[k]);
				}
				nlog = 0;
				level = -1;
				if (!got)
					break;
				snprintf(section, sizeof(section), "%.255s", line);
				continue;
			}
			if (strncmp(line, "log ", 4) == 0) {
				char *eq = strstr(line, " = ");
				if (!eq)
					continue;
				if (strstr(line, " fail = ") && (size_t)(strstr(line, " fail = ") - line) < 12) {
					t->out_of_scope++; /* a rule-specific negative: says nothing about attacks */
					continue;
				}
				if (nlog < 32) {
					logs[nlog] = strdup(eq + 3);
					loglines[nlog++] = lineno;
				}
			} else if (strncmp(line, "alert = ", 8) == 0) {
				level = (int)strtol(line + 8, NULL, 10);
			}
		}
		fclose(f);
	}
}

static void load_diffs(const char *path)
{
	FILE *f = fopen(path, "r");
	char line[2048];
	if (!f) {
		printf("Bail out! %s: cannot open\n", path);
		exit(1);
	}
	while (fgets(line, sizeof(line), f)) {
		chomp(line);
		if (line[0] == '\0' || line[0] == '#')
			continue;
		char *sp = strchr(line, ' ');
		if (!sp) {
			printf("Bail out! %s: '%s' has no reason\n", path, line);
			exit(1);
		}
		*sp = '\0';
		diffs = realloc(diffs, (n_diffs + 1) * sizeof(*diffs));
		diffs[n_diffs].id = strdup(line);
		diffs[n_diffs].reason = strdup(sp + 1);
		diffs[n_diffs].used = false;
		n_diffs++;
	}
	fclose(f);
}

int main(int argc, char **argv)
{
	const char *data = getenv("MOAT_SHARED_DATA");
	const char *src = getenv("MOAT_SOURCE_ROOT");
	char dpath[4096];
	struct tally ts[3] = { { .suite = "sshguard" }, { .suite = "crowdsec" }, { .suite = "ossec" } };
	(void)argc;
	(void)argv;
	if (!data || !src) {
		printf("1..0 # SKIP MOAT_SHARED_DATA / MOAT_SOURCE_ROOT not set\n");
		return 77;
	}
	snprintf(dpath, sizeof(dpath), "%s/tests/peers/differences.txt", src);
	load_diffs(dpath);
	hdr = header_ctx_new("UTC");
	if (!hdr) {
		printf("Bail out! header_ctx_new\n");
		return 1;
	}
	run_sshguard(data, &ts[0]);
	run_crowdsec(data, &ts[1]);
	run_ossec(data, &ts[2]);
	for (size_t i = 0; i < n_diffs; i++)
		if (!diffs[i].used) {
			printf("not ok %d - differences.txt lists %s, which is not a case\n", ++n_test, diffs[i].id);
			n_fail++;
		}
	for (int i = 0; i < 3; i++)
		printf("# %s: %d cases, %d pass, %d known differences, %d fail; %d not applicable to moat\n",
		       ts[i].suite, ts[i].cases, ts[i].pass, ts[i].known, ts[i].fail, ts[i].out_of_scope);
	printf("1..%d\n", n_test);
	header_ctx_free(hdr);
	return n_fail ? 1 : 0;
}
