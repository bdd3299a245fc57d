#include "parse/decoder.h"

/* Placeholder until the sudo decoder lands: recognises nothing. */
int dec_sudo(struct sv msg, struct event *ev)
{
	(void)msg;
	(void)ev;
	return 0;
}
