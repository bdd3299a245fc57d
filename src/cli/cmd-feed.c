#include <stdio.h>

#include "cli/cli.h"
#include "core/log.h"

/* Placeholder until 'moat feed' lands. */
int cmd_feed(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	log_error("'moat feed' is not implemented yet");
	return EXIT_USAGE;
}
