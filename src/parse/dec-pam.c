#include "parse/decoder.h"

/* Placeholder until the pam decoder lands: recognises nothing. */
int dec_pam(struct sv msg, struct event *ev)
{
	(void)msg;
	(void)ev;
	return 0;
}
