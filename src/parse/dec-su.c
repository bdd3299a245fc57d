#include "parse/decoder.h"

/* Placeholder until the su decoder lands: recognises nothing. */
int dec_su(struct sv msg, struct event *ev)
{
	(void)msg;
	(void)ev;
	return 0;
}
