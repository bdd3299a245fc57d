/*
 * Password spraying: one source, many user names, few tries each.
 *
 * User names are attacker text: a burst keeps a bounded set of their
 * hashes with when each was last tried and how often
 * (limits.max_names_per_source; names beyond it are not kept). The number
 * of different names is exact until a name of the burst had to go, then
 * said to be "at least" that many (never a name counted twice) and copies of the first three, cut to
 * 32 bytes, for the reader. The set starts empty with each burst: with
 * spraying detected the burst gap is at least the window, so every name
 * tried within the window is one of the burst's (with it off, only the
 * burst's own name count is read, which does not depend on older names).
 * A burst that reaches password_spray.min_users names within the window
 * and averages at most max_tries_per_user attempts per name is reported as
 * a spray; more tries per name make it a brute force with a user list.
 *
 * Part of the burst detector (burst.h, brute.c): one burst, two verdicts.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "detect/burst.h"

void spray_copy_name(char *dst, struct sv user)
{
	size_t len = MIN(user.n, (size_t)SAMPLE_LEN);
	const char *s = user.p;

	/* Every failure with a name copies it (a one-attempt burst keeps it),
	 * and names are a few bytes of any length: memcpy's branches on the
	 * length were guessed wrong about once a name. Up to 16 bytes the
	 * copy is two loads that overlap, or three bytes. A NUL in the name
	 * is copied too, and ends the C string there. */
	if (len > 16) {
		memcpy(dst, s, len);
	} else if (len >= 8) {
		uint64_t a = load_u64(s), b = load_u64(s + len - 8);
		memcpy(dst, &a, 8);
		memcpy(dst + len - 8, &b, 8);
	} else if (len >= 4) {
		uint32_t a = load_u32(s), b = load_u32(s + len - 4);
		memcpy(dst, &a, 4);
		memcpy(dst + len - 4, &b, 4);
	} else if (len > 0) { /* (no name: nothing is read; its view may be NULL) */
		char a = s[0], b = s[len / 2], c = s[len - 1];
		dst[0] = a;
		dst[len / 2] = b;
		dst[len - 1] = c;
	}
	dst[len] = '\0';
}

void spray_note(const struct detect_config *c, struct sburst *b, struct sv user, uint64_t uh, uint32_t now_s,
		uint32_t tries)
{
	bool fresh, kept, lost = b->names_lost;
	uint32_t live, prev_s;

	if (user.n == 0)
		return;
	kept = nset_touch(&b->names_tried, uh, now_s, c->spray_window, c->max_names_per_source, tries, &fresh,
			  &prev_s, &live);
	/* The set starts empty with the burst: until one of its names is
	 * pushed out (or one could not be kept), a name not in it is one the
	 * burst never tried, and the count is exact. After that, a name not
	 * in the set may be one tried before: the count stops there and is
	 * said to be "at least". */
	if (!kept || b->names_tried.replaced_s)
		b->names_lost = true;
	if (kept && prev_s == 0 && !lost) {
		b->users++;
		if (b->n_names < SAMPLE_NAMES) {
			spray_copy_name(b->names[b->n_names], user);
			if (b->names[b->n_names][0]) /* a name cut to nothing leaves its place to the next */
				b->n_names++;
		}
	}
	if (!fresh)
		return; /* seen within the window: not a new name for the spray count */
	/* full of fresh names: at least that many (no need to count again) */
	uint32_t active = kept ? live : b->names_tried.n;
	if (active > b->users_peak)
		b->users_peak = active;
	if (c->spray_enabled && active >= c->spray_min_users)
		b->spray_hit = true;
}

uint32_t spray_users(const struct sburst *b, bool *ret_at_least)
{
	*ret_at_least = b->names_lost;
	/* the names in the set are all the burst's, and all different */
	return MAX(b->users, (uint32_t)b->names_tried.n);
}

bool spray_is_spray(const struct detect_config *c, const struct sburst *b)
{
	if (!b->spray_hit || !b->users)
		return false;
	if (!b->names_lost)
		return b->count <= (uint64_t)b->users * c->spray_max_tries;
	/* the names known no longer all of the burst's: the tries per name
	 * are those of the names in the set */
	return b->names_tried.n && nset_tries(&b->names_tried) <= (uint64_t)b->names_tried.n * c->spray_max_tries;
}

static void names_list(const struct sburst *b, struct sbuf *sb, uint32_t total)
{
	unsigned shown = 0;
	for (unsigned i = 0; i < b->n_names; i++)
		sb_printf(sb, "%s%s", shown++ ? ", " : "", b->names[i]);
	if (total > shown)
		sb_printf(sb, ", …");
}

void spray_why(const struct detect_config *c, const struct sburst *b, struct alert *a)
{
	char win[32], span[32];
	struct sbuf sb = { .n = 0 };

	bool at_least;
	uint32_t users = spray_users(b, &at_least);

	sb.b[0] = '\0';
	if (spray_is_spray(c, b)) {
		fmt_duration(win, sizeof(win), (int64_t)c->spray_window * USEC_PER_SEC);
		fmt_duration(span, sizeof(span), b->last - b->first);
		uint64_t per = at_least ? (nset_tries(&b->names_tried) + b->names_tried.n / 2) / b->names_tried.n
					: (b->count + users / 2) / users;
		(void)alert_add_why(a,
				    "%s%u different user names tried in %s with %u attempts, about %llu per name; up to %u "
				    "names within %s (threshold: %u; high from %u)",
				    at_least ? "at least " : "", users, span, b->count, (unsigned long long)(per ? per : 1),
				    b->users_peak, win, c->spray_min_users, c->spray_high_users);
		sb_printf(&sb, "user names tried: ");
		names_list(b, &sb, users);
	} else if (b->multi && users > 1) {
		sb_printf(&sb, "for %s%u different user names: ", at_least ? "at least " : "", users);
		names_list(b, &sb, users);
	} else if (b->n_names) {
		sb_printf(&sb, "all for user %s", b->names[0]);
	} else {
		return;
	}
	(void)alert_add_why(a, "%s", sb.b);
}
