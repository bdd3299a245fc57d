/*
 * fuzz-sshd: the sshd decoder on arbitrary bytes, plus the injection
 * property: the input used as a user name (or certificate key ID) inside
 * sshd's own shapes must never move the source away from the address sshd
 * wrote. Corpus: tests/fuzz/corpus/sshd/ (seeded from tests/golden/parse/sshd.txt).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "parse/decoder.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static volatile unsigned sink;

/* Reads every byte of a view (ASan flags one that points outside memory). */
static void touch(struct sv v)
{
	for (size_t i = 0; i < v.n; i++)
		sink += (unsigned char)v.p[i];
}

static void check_event(const struct event *ev)
{
	if (ev->kind <= EV_NONE || ev->kind >= EV_KIND_MAX || ev->count == 0 || ev->method >= AM_MAX)
		abort();
	if (ev->source.family != ADDR_NONE && ev->source.family != ADDR_V4 && ev->source.family != ADDR_V6)
		abort();
	touch(ev->user);
	touch(ev->source_name);
	touch(ev->key_type);
	touch(ev->key_fp);
	touch(ev->tty);
	touch(ev->detail);
}

/* pre + data + post decoded: the source must be 1.2.3.4 port 4242 (or, with
 * may_be_none, no source at all, marked ambiguous, or 1.2.3.4 with no port
 * when the data repeats the address with another port), and with exact_user
 * the user is data. */
static void hostile(const char *pre, const uint8_t *data, size_t size, const char *post, int exact_user,
		    int may_be_none)
{
	static const uint8_t want[4] = { 1, 2, 3, 4 };
	size_t a = strlen(pre), b = strlen(post);
	char *buf = malloc(a + size + b);
	struct event ev;
	int r;
	if (!buf)
		return;
	memcpy(buf, pre, a);
	if (size)
		memcpy(buf + a, data, size);
	memcpy(buf + a + size, post, b);
	event_init(&ev);
	r = dec_sshd(sv_make(buf, a + size + b), &ev);
	if (r == 1)
		check_event(&ev);
	if (exact_user && r != 1)
		abort();
	if (r == 1 && ev.source.family != ADDR_NONE &&
	    (ev.source.family != ADDR_V4 || memcmp(ev.source.bytes, want, 4) != 0 ||
	     (ev.port != 4242 && (ev.port != 0 || !may_be_none))))
		abort();
	if (r == 1 && ev.source.family == ADDR_NONE && (!may_be_none || !(ev.flags & EVF_AMBIGUOUS_SOURCE)))
		abort();
	if (exact_user && (ev.user.n != size || (size && memcmp(ev.user.p, data, size) != 0)))
		abort();
	free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct event ev;

	event_init(&ev);
	if (dec_sshd(sv_make((const char *)data, size), &ev) == 1)
		check_event(&ev);

	if (size > 4096)
		return 0;
	hostile("Failed password for invalid user ", data, size, " from 1.2.3.4 port 4242 ssh2", 1, 0);
	hostile("Invalid user ", data, size, " from 1.2.3.4 port 4242", 1, 0);
	hostile("Connection closed by invalid user ", data, size, " 1.2.3.4 port 4242 [preauth]", 1, 0);
	hostile("error: maximum authentication attempts exceeded for invalid user ", data, size,
		" from 1.2.3.4 port 4242 ssh2 [preauth]", 1, 0);
	hostile("Failed publickey for invalid user ", data, size,
		" from 1.2.3.4 port 4242 ssh2: RSA SHA256:kzfjfps/WFgXAdNgzvHBLuI072Y", 1, 0);
	hostile("Failed publickey for invalid user u from 1.2.3.4 port 4242 ssh2: RSA-CERT SHA256:aa ID ", data,
		size, " (serial 1) CA RSA SHA256:bb", 0, 1);
	hostile("Disconnecting invalid user ", data, size,
		" 1.2.3.4 port 4242: Too many authentication failures [preauth]", 0, 1);
	hostile("Received disconnect from 1.2.3.4 port 4242:11: ", data, size, " [preauth]", 0, 0);
	/* the text after "ssh2: " is the client's too */
	hostile("Accepted gssapi-with-mic for alice from 1.2.3.4 port 4242 ssh2: ", data, size, "", 0, 1);
	hostile("Failed hostbased for x from 1.2.3.4 port 4242 ssh2: RSA SHA256:aa, client user \"u\", client host \"",
		data, size, "\"", 0, 1);
	hostile("Failed hostbased for x from 1.2.3.4 port 4242 ssh2: RSA SHA256:aa, client user \"", data, size,
		"\", client host \"h\"", 0, 1);
	/* sshd wrote no address here (before 6.7 the user name ends the line) */
	{
		static const char pre[] = "Disconnecting: Too many authentication failures for ";
		char *buf = malloc(sizeof(pre) - 1 + size);
		if (buf) {
			memcpy(buf, pre, sizeof(pre) - 1);
			if (size)
				memcpy(buf + sizeof(pre) - 1, data, size);
			event_init(&ev);
			if (dec_sshd(sv_make(buf, sizeof(pre) - 1 + size), &ev) == 1 && ev.source.family != ADDR_NONE)
				abort();
			free(buf);
		}
	}
	return 0;
}
