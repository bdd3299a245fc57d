/*
 * detect/sets: see sets.h.
 */
#include <stdlib.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "core/array.h"
#include "core/macro.h"
#include "detect/sets.h"

/* ---- small bounded sets ---- */

/* The index of key in s->keys, or -1. Keys are compared four at a time,
 * sixteen before a branch; the room past n holds zeros, which no key is. */
static long sset_index(const struct sset *s, uint32_t key)
{
	uint32_t b = 0;
#ifdef __SSE2__
	const __m128i want = _mm_set1_epi32((int)key);
	for (; b < s->n; b += 16) {
		const __m128i *k = (const __m128i *)(const void *)(s->keys + b);
		__m128i m01 = _mm_packs_epi32(_mm_cmpeq_epi32(_mm_loadu_si128(k), want),
					      _mm_cmpeq_epi32(_mm_loadu_si128(k + 1), want));
		__m128i m23 = _mm_packs_epi32(_mm_cmpeq_epi32(_mm_loadu_si128(k + 2), want),
					      _mm_cmpeq_epi32(_mm_loadu_si128(k + 3), want));
		uint32_t m = (uint32_t)_mm_movemask_epi8(_mm_packs_epi16(m01, m23));
		if (m)
			return (long)(b + (uint32_t)__builtin_ctz(m));
	}
#else
	for (; b < s->n; b++)
		if (s->keys[b] == key)
			return (long)b;
#endif
	return -1;
}

/* Takes item i, not the only one, out of the ring. */
static void sset_unlink(struct sset *s, uint16_t i)
{
	struct sitem *it = &s->v[i];
	s->v[it->prev].next = it->next;
	s->v[it->next].prev = it->prev;
}

/* Links item i, not in the ring, as the newest: between the stalest and
 * the head (alone when it is the only item). */
static void sset_push(struct sset *s, uint16_t i)
{
	struct sitem *it = &s->v[i];
	if (s->n == 1) {
		it->prev = it->next = i;
	} else {
		uint16_t h = s->head, t = s->v[h].prev;
		it->prev = t;
		it->next = h;
		s->v[t].next = i;
		s->v[h].prev = i;
	}
	s->head = i;
}

/* Room for the keys and live times of na items, read sixteen at a time. */
static size_t sset_room(uint32_t na)
{
	return ROUND_UP((size_t)na, 16);
}

static int sset_grow(struct sset *s, uint32_t cap)
{
	/* start at 16: an account's sources usually number a few dozen, and
	 * each growth is a malloc, a copy and a free */
	uint32_t na = s->alloc ? MIN(s->alloc * 2u, cap) : MIN(16u, cap);
	size_t room = sset_room(na);
	/* the keys and live times first, the items after them */
	uint32_t *keys = malloc(room * 2 * sizeof(uint32_t) + (size_t)na * sizeof(struct sitem));
	if (!keys)
		return -1;
	uint32_t *live_s = keys + room;
	struct sitem *v = (struct sitem *)(live_s + room);
	memset(keys, 0, room * 2 * sizeof(uint32_t));
	if (s->n) {
		memcpy(v, s->v, (size_t)s->n * sizeof(*v));
		memcpy(keys, s->keys, (size_t)s->n * sizeof(*keys));
		memcpy(live_s, s->live_s, (size_t)s->n * sizeof(*live_s));
	}
	free(s->keys);
	s->v = v;
	s->keys = keys;
	s->live_s = live_s;
	s->alloc = (uint16_t)na;
	return 0;
}

struct sitem *sset_find(const struct sset *s, uint64_t key)
{
	long i = sset_index(s, key32(key));
	return i >= 0 ? &s->v[i] : NULL;
}

static uint32_t since_of(uint32_t now_s, uint32_t stale_s)
{
	return now_s >= stale_s ? now_s - stale_s : 0;
}

/* An item's live_s: after since (live_s > since) exactly when it was
 * touched at or after since and has a count. */
static uint32_t live_of(const struct sitem *it)
{
	return it->count ? it->last_s + (it->last_s < UINT32_MAX) : 0;
}

struct sitem *sset_touch(struct sset *s, uint64_t key64, uint32_t now_s, uint32_t stale_s, uint32_t cap, uint32_t n,
			 bool *ret_new, uint32_t *ret_prev_s)
{
	uint32_t key = key32(key64);
	struct sitem *it;
	uint16_t i;

	*ret_prev_s = 0;
	long at = sset_index(s, key);
	if (at >= 0) {
		i = (uint16_t)at;
		it = &s->v[i];
		*ret_prev_s = it->last_s;
		/* a key last seen before the window starts counts as new again */
		*ret_new = now_s > it->last_s && now_s - it->last_s > stale_s;
		if (*ret_new)
			it->count = 0;
		it->last_s = now_s;
		it->count += n;
		if (s->head != i) {
			sset_unlink(s, i);
			sset_push(s, i);
		}
		s->live_s[i] = live_of(it);
		return it;
	}
	*ret_new = true;
	if (s->n < cap) {
		if (s->n == s->alloc && sset_grow(s, cap) < 0) {
			s->overflow++;
			return NULL;
		}
		i = s->n++;
		it = &s->v[i];
		*it = (struct sitem){ .count = n, .last_s = now_s };
		s->keys[i] = key;
		s->live_s[i] = live_of(it);
		sset_push(s, i);
		return it;
	}
	/* full: the stalest item takes the key if it left the window, and
	 * becomes the newest where the ring stands (the head moves back onto
	 * it); else an overflow. Every write is made either way, with the
	 * old value when the set is left as it was: no branch. */
	i = s->v[s->head].prev;
	it = &s->v[i];
	uint32_t reuse = (uint32_t)(now_s > it->last_s) & (uint32_t)(now_s - it->last_s > stale_s);
	/* the compiler would turn the selects back into a branch (it
	 * knows the mask is all ones or zero): it goes through memory it
	 * may not reason about (volatile), not an asm barrier */
	volatile uint32_t mv = 0u - reuse;
	uint32_t m = mv;
	s->overflow += 1u - reuse;
	it->count = (n & m) | (it->count & ~m);
	it->last_s = (now_s & m) | (it->last_s & ~m);
	s->keys[i] = (key & m) | (s->keys[i] & ~m);
	s->live_s[i] = live_of(it);
	s->head = (uint16_t)((i & m) | (s->head & ~m));
	return (struct sitem *)((uintptr_t)it & ((uintptr_t)0 - reuse));
}

uint32_t sset_live(const struct sset *s, uint32_t now_s, uint32_t stale_s)
{
	uint32_t since = since_of(now_s, stale_s), live = 0, i = 0;
	/* a count of compares, without a branch on any item: four at a
	 * time over whole blocks of sixteen (the room past n holds zeros,
	 * which are after no time) */
#ifdef __SSE2__
	const __m128i bias = _mm_set1_epi32(INT32_MIN); /* unsigned order as signed */
	const __m128i lim = _mm_xor_si128(_mm_set1_epi32((int)since), bias);
	__m128i acc = _mm_setzero_si128();
	for (; i < s->n; i += 16) {
		const __m128i *l = (const __m128i *)(const void *)(s->live_s + i);
		__m128i c0 = _mm_cmpgt_epi32(_mm_xor_si128(_mm_loadu_si128(l), bias), lim);
		__m128i c1 = _mm_cmpgt_epi32(_mm_xor_si128(_mm_loadu_si128(l + 1), bias), lim);
		__m128i c2 = _mm_cmpgt_epi32(_mm_xor_si128(_mm_loadu_si128(l + 2), bias), lim);
		__m128i c3 = _mm_cmpgt_epi32(_mm_xor_si128(_mm_loadu_si128(l + 3), bias), lim);
		acc = _mm_sub_epi32(acc, _mm_add_epi32(_mm_add_epi32(c0, c1), _mm_add_epi32(c2, c3)));
	}
	acc = _mm_add_epi32(acc, _mm_shuffle_epi32(acc, _MM_SHUFFLE(1, 0, 3, 2)));
	acc = _mm_add_epi32(acc, _mm_shuffle_epi32(acc, _MM_SHUFFLE(2, 3, 0, 1)));
	live = (uint32_t)_mm_cvtsi128_si32(acc);
#else
	for (; i < s->n; i++)
		live += s->live_s[i] > since;
#endif
	return live;
}

void sset_zero(struct sset *s, struct sitem *it)
{
	it->count = 0;
	s->live_s[it - s->v] = 0;
}

uint32_t sset_active(const struct sset *s, uint32_t since_s, uint64_t skip_key, uint32_t *ret_sum)
{
	uint32_t n = 0, sum = 0, skip = skip_key ? key32(skip_key) : 0;
	uint16_t i = s->head;
	for (uint32_t k = 0; k < s->n; k++, i = s->v[i].next) {
		const struct sitem *it = &s->v[i];
		if (it->last_s < since_s)
			break; /* the rest are older */
		if (s->keys[i] == skip || it->count == 0)
			continue;
		n++;
		sum += it->count;
	}
	if (ret_sum)
		*ret_sum = sum;
	return n;
}

void sset_done(struct sset *s)
{
	free(s->keys);
	*s = (struct sset){ 0 };
}

/* ---- name sets ---- */

static struct nitem *nset_at(struct nameset *s, uint32_t i)
{
	return i < NSET_INLINE ? &s->in[i] : &s->more[i - NSET_INLINE];
}

static const struct nitem *nset_at_c(const struct nameset *s, uint32_t i)
{
	return i < NSET_INLINE ? &s->in[i] : &s->more[i - NSET_INLINE];
}

bool nset_touch(struct nameset *s, uint64_t key64, uint32_t now_s, uint32_t stale_s, uint32_t cap, uint32_t tries,
		bool *ret_new, uint32_t *ret_prev_s, uint32_t *ret_live)
{
	uint32_t key = key32(key64), since = since_of(now_s, stale_s), live = 0, n = s->n;
	uint32_t found = UINT32_MAX, old = UINT32_MAX;

	/* one pass: the key, the keys tried within the window, one that is
	 * not; without branches (whether a name is recent is a coin toss) */
	for (uint32_t i = 0; i < n; i++) {
		const struct nitem *it = nset_at_c(s, i);
		uint32_t recent = it->last_s >= since;
		found = it->key == key ? i : found;
		live += recent;
		old = recent ? old : i;
	}
	if (found != UINT32_MAX) {
		struct nitem *it = nset_at(s, found);
		*ret_prev_s = it->last_s;
		*ret_new = it->last_s < since;
		if (*ret_new)
			live++;
		it->last_s = now_s;
		it->tries += tries;
		*ret_live = live;
		s->replaced_s = 0;
		return true;
	}
	*ret_prev_s = 0;
	*ret_new = true;
	if (n < cap) {
		if (n >= NSET_INLINE &&
		    array_reserve(&s->more, &s->more_cap, n + 1 - NSET_INLINE, sizeof(*s->more), NSET_INLINE) < 0) {
			s->overflow++;
			return false;
		}
		old = s->n++;
		s->replaced_s = 0;
	} else if (old == UINT32_MAX) {
		s->overflow++;
		s->replaced_s = 0;
		return false;
	} else {
		s->replaced_s = nset_at(s, old)->last_s;
	}
	*nset_at(s, old) = (struct nitem){ .key = key, .last_s = now_s, .tries = tries };
	*ret_live = live + 1;
	return true;
}

uint64_t nset_tries(const struct nameset *s)
{
	uint64_t sum = 0;
	for (uint32_t i = 0; i < s->n; i++)
		sum += nset_at_c(s, i)->tries;
	return sum;
}

void nset_clear(struct nameset *s)
{
	s->n = 0;
	s->overflow = 0;
	s->replaced_s = 0;
}

void nset_done(struct nameset *s)
{
	free(s->more);
	*s = (struct nameset){ 0 };
}

