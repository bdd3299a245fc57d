/*
 * missed: lines not understood, by program and shape (see missed.h).
 */
#include "parse/missed.h"

#include <stdlib.h>
#include <string.h>

#include "core/addr.h"
#include "core/escape.h"
#include "core/hash.h"
#include "core/hmap.h"
#include "core/list.h"
#include "core/macro.h"
#include "parse/decoder.h"

#define WORDS 3 /* first words of a message kept in its shape */
#define WORD_MAX 24 /* a longer word is a variable part (a key, a path, a hash) */

struct row {
	struct hmap_node node;
	struct missed_row pub;
	struct missed_shape key;
};

struct missed {
	struct hmap map; /* (why, program, words) → row */
	struct row *rows; /* MISSED_ROWS_MAX, carved in order */
	size_t n_rows;
	struct row overflow[MISSED_WHY_MAX]; /* lines of new shapes once the table is full */
	struct missed_stats stats;
	const struct missed_row **sorted; /* rows + used overflow rows, in missed_row's order */
	size_t n_sorted;
	bool dirty; /* counts changed since the last sort */
};

static const char *const why_names[MISSED_WHY_MAX] = {
	[MISSED_NO_HEADER] = "no syslog header",
	[MISSED_NO_PROGRAM] = "no program name",
	[MISSED_NO_DECODER] = "no decoder for program",
	[MISSED_NOT_UNDERSTOOD] = "message not understood",
};

static const char *const why_ids[MISSED_WHY_MAX] = {
	[MISSED_NO_HEADER] = "no_header",
	[MISSED_NO_PROGRAM] = "no_program",
	[MISSED_NO_DECODER] = "no_decoder",
	[MISSED_NOT_UNDERSTOOD] = "not_understood",
};

const char *missed_why_name(enum missed_why why)
{
	return (unsigned)why < MISSED_WHY_MAX ? why_names[why] : "unknown";
}

const char *missed_why_id(enum missed_why why)
{
	return (unsigned)why < MISSED_WHY_MAX ? why_ids[why] : "unknown";
}

struct missed *missed_new(void)
{
	struct missed *m = calloc(1, sizeof(*m));
	if (!m)
		return NULL;
	m->rows = calloc(MISSED_ROWS_MAX, sizeof(*m->rows));
	m->sorted = calloc(MISSED_ROWS_MAX + MISSED_WHY_MAX, sizeof(*m->sorted));
	if (!m->rows || !m->sorted || hmap_init(&m->map, hash_random_seed(m)) < 0) {
		free(m->rows);
		free(m->sorted);
		free(m);
		return NULL;
	}
	for (int w = 0; w < MISSED_WHY_MAX; w++) {
		struct row *o = &m->overflow[w];
		o->key.why = (enum missed_why)w;
		memcpy(o->key.program, "\xe2\x80\xa6", 4); /* "…" */
		memcpy(o->key.words, "(more shapes than the table holds)", 35);
		o->pub = (struct missed_row){ (enum missed_why)w, o->key.program, o->key.words, 0 };
	}
	return m;
}

struct missed *missed_free(struct missed *m)
{
	if (!m)
		return NULL;
	hmap_done(&m->map);
	free(m->rows);
	free(m->sorted);
	free(m);
	return NULL;
}

/* ---- classification ---------------------------------------------------- */

/* Appends v to dst (length *n, room for cap bytes plus "…" and a NUL),
 * escaped; past cap bytes of output, "…" ends it. */
static void esc_append(char *dst, size_t *n, size_t cap, struct sv v)
{
	static const char hex[] = "0123456789abcdef";
	size_t i = 0;
	while (i < v.n) {
		unsigned char c = (unsigned char)v.p[i];
		size_t k = c >= 0x80 ? utf8_valid_len((const unsigned char *)v.p + i, v.n - i) : 0;
		size_t need = k ? k : (c >= 0x20 && c < 0x7f && c != '\\') ? 1 : c == '\\' ? 2 : 4;
		if (*n + need > cap) {
			memcpy(dst + *n, "\xe2\x80\xa6", 3);
			*n += 3;
			break;
		}
		if (k) {
			memcpy(dst + *n, v.p + i, k);
			i += k;
		} else if (need == 1) {
			dst[*n] = (char)c;
			i++;
		} else if (need == 2) {
			memcpy(dst + *n, "\\\\", 2);
			i++;
		} else {
			dst[*n] = '\\';
			dst[*n + 1] = 'x';
			dst[*n + 2] = hex[c >> 4];
			dst[*n + 3] = hex[c & 15];
			i++;
		}
		*n += need;
	}
	dst[*n] = '\0';
}

static bool has_digit(struct sv w)
{
	for (size_t i = 0; i < w.n; i++)
		if (w.p[i] >= '0' && w.p[i] <= '9')
			return true;
	return false;
}

/* The mask for a variable word: "<addr>", "<n>" or "<*>", keeping a
 * trailing punctuation mark ("port <n>:" stays readable). */
static struct sv mask(struct sv w, struct sv *ret_punct)
{
	struct sv core = w;
	struct addr a;
	bool digits = true;
	*ret_punct = SV_NULL;
	if (core.n > 1 && strchr(",;:.)]", core.p[core.n - 1])) {
		*ret_punct = sv_make(core.p + core.n - 1, 1);
		core.n--;
	}
	for (size_t i = 0; i < core.n; i++)
		digits &= core.p[i] >= '0' && core.p[i] <= '9';
	if (digits && core.n)
		return SV_LIT("<n>");
	if (core.n && addr_parse(core, &a))
		return SV_LIT("<addr>");
	*ret_punct = SV_NULL;
	return SV_LIT("<*>");
}

/* The first WORDS words of m, variable ones masked, escaped into out. */
static void shape_words(struct sv m, char *out)
{
	size_t n = 0;
	int words = 0;
	out[0] = '\0';
	while (m.n && words < WORDS) {
		long sp;
		struct sv w;
		while (m.n && (m.p[0] == ' ' || m.p[0] == '\t'))
			m = sv_skip(m, 1);
		if (!m.n)
			break;
		sp = sv_chr(m, ' ');
		w = sp < 0 ? m : sv_make(m.p, (size_t)sp);
		m = sv_skip(m, w.n);
		if (words++)
			esc_append(out, &n, MISSED_SHAPE_MAX, SV_LIT(" "));
		if (w.n > WORD_MAX || has_digit(w)) {
			struct sv punct;
			esc_append(out, &n, MISSED_SHAPE_MAX, mask(w, &punct));
			esc_append(out, &n, MISSED_SHAPE_MAX, punct);
		} else {
			esc_append(out, &n, MISSED_SHAPE_MAX, w);
		}
	}
}

void missed_classify(const struct syslog_header *h, const char *line, size_t len, struct missed_shape *ret)
{
	size_t n = 0;
	ret->program[0] = '\0';
	ret->words[0] = '\0';
	if (!h) {
		ret->why = MISSED_NO_HEADER;
		shape_words(sv_make(line, len), ret->words);
		return;
	}
	if (h->program.n == 0) {
		ret->why = MISSED_NO_PROGRAM;
		shape_words(h->msg, ret->words);
		return;
	}
	esc_append(ret->program, &n, MISSED_PROGRAM_MAX, h->program);
	/* pam modules are read under any program name (decoders.c) */
	if (!decoder_for(h->program) && !sv_starts(h->msg, "pam_")) {
		ret->why = MISSED_NO_DECODER;
		return;
	}
	ret->why = MISSED_NOT_UNDERSTOOD;
	shape_words(h->msg, ret->words);
}

/* ---- the table --------------------------------------------------------- */

static bool row_eq(const struct hmap_node *node, const void *key)
{
	const struct row *r = container_of(node, struct row, node);
	const struct missed_shape *k = key;
	return r->key.why == k->why && strcmp(r->key.program, k->program) == 0 && strcmp(r->key.words, k->words) == 0;
}

static uint64_t shape_hash(const struct missed *m, const struct missed_shape *k)
{
	uint64_t h = hmap_hash(&m->map, k->program, strlen(k->program));
	return hash_bytes(k->words, strlen(k->words), h ^ (uint64_t)k->why);
}

void missed_note(struct missed *m, const struct syslog_header *h, const char *line, size_t len,
		 struct missed_shape *ret_shape)
{
	struct missed_shape local, *k = ret_shape ? ret_shape : &local;
	struct hmap_node *node;
	struct row *r;
	uint64_t hash;

	missed_classify(h, line, len, k);
	m->stats.lines++;
	m->stats.by_why[k->why]++;
	m->dirty = true;
	hash = shape_hash(m, k);
	node = hmap_find(&m->map, hash, row_eq, k);
	if (node) {
		container_of(node, struct row, node)->pub.n++;
		return;
	}
	if (m->n_rows < MISSED_ROWS_MAX) {
		r = &m->rows[m->n_rows];
		r->key = *k;
		if (hmap_add(&m->map, &r->node, hash) == 0) {
			r->pub = (struct missed_row){ k->why, r->key.program, r->key.words, 1 };
			m->n_rows++;
			return;
		}
	}
	m->overflow[k->why].pub.n++;
	m->stats.folded++;
}

void missed_get_stats(const struct missed *m, struct missed_stats *ret)
{
	*ret = m->stats;
}

static int row_cmp(const void *a, const void *b)
{
	const struct missed_row *x = *(const struct missed_row *const *)a, *y = *(const struct missed_row *const *)b;
	int c;
	if (x->n != y->n)
		return x->n > y->n ? -1 : 1;
	if (x->why != y->why)
		return x->why < y->why ? -1 : 1;
	if ((c = strcmp(x->program, y->program)) != 0)
		return c;
	return strcmp(x->words, y->words);
}

const struct missed_row *missed_row(struct missed *m, size_t i)
{
	if (m->dirty) {
		m->n_sorted = 0;
		for (size_t k = 0; k < m->n_rows; k++)
			m->sorted[m->n_sorted++] = &m->rows[k].pub;
		for (int w = 0; w < MISSED_WHY_MAX; w++)
			if (m->overflow[w].pub.n)
				m->sorted[m->n_sorted++] = &m->overflow[w].pub;
		qsort(m->sorted, m->n_sorted, sizeof(*m->sorted), row_cmp);
		m->dirty = false;
	}
	return i < m->n_sorted ? m->sorted[i] : NULL;
}
