#include <stdio.h>

#include "cli/cli.h"
#include "core/log.h"

/* Placeholder until 'moat trace' lands. */
int cmd_trace(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	log_error("'moat trace' is not implemented yet");
	return EXIT_USAGE;
}
