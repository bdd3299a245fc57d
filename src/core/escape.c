#include "core/escape.h"

#include <stdbool.h>
#include <stdint.h>

size_t utf8_valid_len(const unsigned char *p, size_t n)
{
	unsigned c = p[0];
	size_t len;
	uint32_t cp;
	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		len = 2, cp = c & 0x1f;
	else if (c >= 0xe0 && c <= 0xef)
		len = 3, cp = c & 0x0f;
	else if (c >= 0xf0 && c <= 0xf4)
		len = 4, cp = c & 0x07;
	else
		return 0;
	if (n < len)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (p[i] & 0x3f);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

/* Bytes written as they are: printable ASCII but for the escaped ones
 * (JSON: '"' and '\\'; text: '\\'). Runs of them are copied at once. */
static const struct {
	bool json[256], text[256];
} plain = {
	.json = { [0x20 ... 0x21] = true, [0x23 ... 0x5b] = true, [0x5d ... 0x7e] = true },
	.text = { [0x20 ... 0x5b] = true, [0x5d ... 0x7e] = true },
};

/* Byte c as an escape of its two lowercase hex digits: ESC (0x1b) is
 * \u001b in JSON, \x1b for a terminal. */
static void hex_escape(struct obuf *o, bool json, unsigned c)
{
	static const char hex[] = "0123456789abcdef";
	const char digits[2] = { hex[c >> 4 & 15], hex[c & 15] };
	obuf_write(o, json ? "\\u00" : "\\x", json ? 4 : 2);
	obuf_write(o, digits, 2);
}

/* Copies the run of plain bytes at p[i..n) at once; returns where it
 * stopped (n, or the first byte to escape). */
static size_t put_plain(struct obuf *o, const unsigned char *p, size_t i, size_t n, const bool plain_byte[256])
{
	size_t run = i;
	while (run < n && plain_byte[p[run]])
		run++;
	if (run > i) /* else p may be NULL (an empty view): no offset from it */
		obuf_write(o, p + i, run - i);
	return run;
}

void obuf_json(struct obuf *o, struct sv v)
{
	const unsigned char *p = (const unsigned char *)v.p;
	size_t i = 0;
	while ((i = put_plain(o, p, i, v.n, plain.json)) < v.n) {
		unsigned c = p[i];
		if (c == '"' || c == '\\') {
			obuf_putc(o, '\\');
			obuf_putc(o, (char)c);
			i++;
		} else if (c < 0x80) {
			hex_escape(o, true, c); /* a control byte, or DEL */
			i++;
		} else {
			size_t l = utf8_valid_len(p + i, v.n - i);
			if (l == 0) {
				hex_escape(o, true, c);
				i++;
			} else {
				obuf_write(o, p + i, l);
				i += l;
			}
		}
	}
}

void escape_json(FILE *f, struct sv v)
{
	struct obuf o;
	obuf_init(&o, f);
	obuf_json(&o, v);
	obuf_flush(&o);
}

void obuf_text(struct obuf *o, struct sv v, size_t max)
{
	const unsigned char *p = (const unsigned char *)v.p;
	size_t n = v.n, i = 0;
	bool cut = false;
	if (max && n > max) {
		n = max;
		cut = true;
	}
	while ((i = put_plain(o, p, i, n, plain.text)) < n) {
		unsigned c = p[i];
		if (c == '\\') {
			obuf_write(o, "\\\\", 2);
			i++;
		} else if (c >= 0x80) {
			size_t l = utf8_valid_len(p + i, n - i);
			/* C1 controls (U+0080..U+009F) are escaped too */
			if (l == 0 || (l == 2 && p[i] == 0xc2 && p[i + 1] < 0xa0)) {
				hex_escape(o, false, c);
				i++;
			} else {
				obuf_write(o, p + i, l);
				i += l;
			}
		} else {
			hex_escape(o, false, c);
			i++;
		}
	}
	if (cut)
		obuf_puts(o, "…");
}

void escape_text(FILE *f, struct sv v, size_t max)
{
	struct obuf o;
	obuf_init(&o, f);
	obuf_text(&o, v, max);
	obuf_flush(&o);
}
