#include "cli/cli.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "core/alert.h"
#include "core/log.h"
#include "store/store.h"

static bool use_color(int fd)
{
	const char *term = getenv("TERM");
	if (getenv("NO_COLOR"))
		return false;
	if (term && strcmp(term, "dumb") == 0)
		return false;
	return isatty(fd);
}

char *cli_db_path(const char *explicit_path)
{
	if (explicit_path)
		return strdup(explicit_path);
	return store_default_path();
}

bool cli_color_valid(const char *when)
{
	if (strcmp(when, "auto") == 0 || strcmp(when, "always") == 0 || strcmp(when, "never") == 0)
		return true;
	log_error("--color: expected auto, always or never, not '%s'", when);
	return false;
}

bool cli_color_on(const char *when)
{
	return strcmp(when, "always") == 0 || (strcmp(when, "auto") == 0 && use_color(STDOUT_FILENO));
}

int cli_fail_on_severity(const char *arg)
{
	int sev = severity_from_name(arg);
	if (sev < 0)
		log_error("--fail-on: '%s' is not a severity (low, medium, high, critical)", arg);
	return sev;
}

const char *cli_config_path(const char *explicit_path)
{
	if (!explicit_path && access(MOAT_SYSCONFDIR "/moat.yaml", R_OK) == 0)
		return MOAT_SYSCONFDIR "/moat.yaml";
	return explicit_path;
}
