#include "cli/cli.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/log.h"
#include "store/store.h"

bool cli_use_color(int fd)
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
