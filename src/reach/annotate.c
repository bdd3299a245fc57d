/*
 * annotate: an unusual login carries what the account could do. A valid
 * password used from a new network is bad news; it is worse news when the
 * account is one sudo rule away from root, and that belongs in the alert a
 * person reads first, not in a second command.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "core/alert.h"
#include "reach/reach-internal.h"

int reach_root_hostname(const char *root, char *buf, size_t size)
{
	struct fsroot r;
	if (!root)
		root = "/";
	int rc = fsroot_open(root, &r);
	if (rc < 0)
		return rc;
	char *text = NULL;
	ssize_t n = fsroot_read(&r, "/etc/hostname", 4096, &text);
	bool is_slash = strcmp(r.path, "") == 0;
	fsroot_close(&r);
	if (n > 0) {
		text[strcspn(text, " \t\r\n")] = '\0';
		if (*text) {
			snprintf(buf, size, "%s", text);
			free(text);
			return 0;
		}
	}
	free(text);
	if (is_slash && gethostname(buf, size) == 0 && *buf) {
		buf[size - 1] = '\0';
		return 0;
	}
	return -ENOENT;
}

/* "web1" and "web1.example.org" name the same host. */
static bool same_host(const char *a, const char *b)
{
	size_t la = strcspn(a, "."), lb = strcspn(b, ".");
	if (strcasecmp(a, b) == 0)
		return true;
	return la == lb && strncasecmp(a, b, la) == 0 && (!a[la] || !b[lb]);
}

int reach_annotate_alert(const char *root, struct alert *a)
{
	if (a->kind != AK_UNUSUAL_LOGIN || !a->user || !*a->user)
		return 0;
	if (a->host && *a->host) {
		char host[256];
		if (reach_root_hostname(root, host, sizeof(host)) == 0 && !same_host(host, a->host))
			return 0;
	}
	struct reach_summary s;
	int rc = reach_verdict(root, a->user, &s);
	if (rc == -ENOENT)
		return 0;
	if (rc < 0)
		return rc;
	/* the verdict is escaped text already (names, paths) */
	if ((rc = alert_add_why(a, "reach: %s", s.verdict)) < 0)
		return rc;
	if (!s.is_root && s.root_steps >= 1 && s.root_steps <= REACH_SHORT_PATH && a->severity < SEV_CRITICAL) {
		enum severity was = a->severity;
		a->severity = (enum severity)(a->severity + 1);
		if ((rc = alert_add_why(a, "severity raised from %s to %s: the account is %d step%s from root",
					severity_name(was), severity_name(a->severity), s.root_steps,
					s.root_steps == 1 ? "" : "s")) < 0)
			return rc;
	} else if (s.is_root && a->severity < SEV_CRITICAL) {
		enum severity was = a->severity;
		a->severity = SEV_CRITICAL;
		if ((rc = alert_add_why(a, "severity raised from %s to %s: the account is root",
					severity_name(was), severity_name(a->severity))) < 0)
			return rc;
	}
	return 1;
}
