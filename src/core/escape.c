#include "core/escape.h"

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

void escape_json(FILE *f, struct sv v)
{
	const unsigned char *p = (const unsigned char *)v.p;
	size_t i = 0;
	while (i < v.n) {
		unsigned c = p[i];
		if (c == '"' || c == '\\') {
			fputc('\\', f);
			fputc((int)c, f);
			i++;
		} else if (c < 0x20 || c == 0x7f) {
			fprintf(f, "\\u%04x", c);
			i++;
		} else if (c < 0x80) {
			fputc((int)c, f);
			i++;
		} else {
			size_t l = utf8_valid_len(p + i, v.n - i);
			if (l == 0) {
				fprintf(f, "\\u%04x", c);
				i++;
			} else {
				fwrite(p + i, 1, l, f);
				i += l;
			}
		}
	}
}

void escape_text(FILE *f, struct sv v, size_t max)
{
	const unsigned char *p = (const unsigned char *)v.p;
	size_t n = v.n, i = 0;
	int cut = 0;
	if (max && n > max) {
		n = max;
		cut = 1;
	}
	while (i < n) {
		unsigned c = p[i];
		if (c == '\\') {
			fputs("\\\\", f);
			i++;
		} else if (c >= 0x20 && c < 0x7f) {
			fputc((int)c, f);
			i++;
		} else if (c >= 0x80) {
			size_t l = utf8_valid_len(p + i, n - i);
			/* C1 controls (U+0080..U+009F) are escaped too */
			if (l == 0 || (l == 2 && p[i] == 0xc2 && p[i + 1] < 0xa0)) {
				fprintf(f, "\\x%02x", c);
				i++;
			} else {
				fwrite(p + i, 1, l, f);
				i += l;
			}
		} else {
			fprintf(f, "\\x%02x", c);
			i++;
		}
	}
	if (cut)
		fputs("…", f);
}
