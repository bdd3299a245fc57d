/*
 * fuzz-sudoers: one input = one sudoers file, parsed without includes
 * (no root to read them from), then asked every question the graph asks:
 * each account's grants as root, as another account and with a group.
 * Nothing may crash, hang or leak; a grant's line must be one of the input's.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "reach/reach-internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char passwd[] = "root:x:0:0::/root:/bin/bash\n"
			     "alice:x:1001:1001::/home/alice:/bin/bash\n"
			     "carol:x:1003:1003::/home/carol:/bin/bash\n"
			     "deploy:x:1100:1100::/srv:/usr/sbin/nologin\n";
static const char group[] = "root:x:0:\nsudo:x:27:alice\nshadow:x:42:carol\nalice:x:1001:\n";

static unsigned max_line;

static void on_grant(void *ud, const struct sudo_grant *g)
{
	(void)ud;
	if (g->line == 0 || g->line > max_line || !g->file || !g->rule)
		abort();
	if (!g->all && !g->cmd)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rx_problems pr = { 0 };
	struct accounts acc;
	if (accounts_parse(&acc, passwd, sizeof(passwd) - 1, group, sizeof(group) - 1, &pr) < 0)
		abort();
	max_line = 1;
	for (size_t i = 0; i < size; i++)
		max_line += data[i] == '\n';
	struct sudoers *s = sudoers_new();
	if (!s)
		abort();
	(void)sudoers_parse(s, NULL, "/etc/sudoers", (const char *)data, size, "web1", &pr);
	struct sudo_ctx ctx = { "web1", &acc };
	const char **names;
	size_t nn = sudoers_runas_names(s, &names);
	const char *groups[16];
	size_t ng = sudoers_runas_groups(s, groups, 16);
	for (size_t i = 0; i < acc.n; i++) {
		sudoers_grants(s, &ctx, &acc.u[i], "root", NULL, on_grant, NULL);
		for (size_t k = 0; k < nn && k < 8; k++)
			sudoers_grants(s, &ctx, &acc.u[i], names[k], NULL, on_grant, NULL);
		for (size_t k = 0; k < ng; k++)
			sudoers_grants(s, &ctx, &acc.u[i], acc.u[i].name, groups[k], on_grant, NULL);
	}
	(void)sudoers_secure_path(s);
	sudoers_free(s);
	accounts_done(&acc);
	rx_problems_done(&pr);
	return 0;
}
