#include "parse/decoder.h"

/* Placeholder until the logind decoder lands: recognises nothing. */
int dec_logind(struct sv msg, struct event *ev)
{
	(void)msg;
	(void)ev;
	return 0;
}
