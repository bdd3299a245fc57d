#include <stdio.h>

#include "cli/cli.h"
#include "core/log.h"

/* Placeholder until 'moat exposure' lands. */
int cmd_exposure(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	log_error("'moat exposure' is not implemented yet");
	return EXIT_USAGE;
}
