/*
 * Password spraying: one source, many user names, few tries each.
 *
 * User names are attacker text: a source keeps a bounded set of their
 * hashes (limits.max_names_per_source; names beyond it are counted, not
 * kept) and copies of the first three, cut to 32 bytes, for the reader.
 * A burst that reaches password_spray.min_users names within the window
 * and averages at most max_tries_per_user attempts per name is reported as
 * a spray; more tries per name make it a brute force with a user list.
 */
#include <stdlib.h>
#include <string.h>

#include "detect/internal.h"

void spray_reset(struct src *s)
{
	/* touches struct src_more only when it has something to reset: most
	 * bursts end long after that memory left the cache */
	s->first_name[0] = '\0';
	s->n_names = 0;
	if (s->more && s->users_ovf)
		s->more->users.overflow = 0;
	s->users_ovf = false;
}

static void copy_name(char *dst, struct sv user)
{
	size_t len = MIN(user.n, (size_t)SAMPLE_LEN);
	const char *nul = memchr(user.p, '\0', len);
	if (nul)
		len = (size_t)(nul - user.p);
	memcpy(dst, user.p, len);
	dst[len] = '\0';
}

void spray_note(struct detect *d, struct src *s, struct sv user, uint64_t uh)
{
	const struct detect_config *c = d->cfg;
	uint32_t now_s = (uint32_t)(d->now_us / USEC_PER_SEC);
	uint32_t prev_s, first_s = (uint32_t)(s->b_first / USEC_PER_SEC);
	struct src_more *m = s->more;
	bool fresh, kept;
	uint32_t live;

	if (user.n == 0)
		return;
	if (!m) {
		/* the source's first attempt: one name, kept in struct src */
		s->b_users++;
		copy_name(s->first_name, user);
		if (s->b_users_peak < 1)
			s->b_users_peak = 1;
		if (c->spray_enabled && 1 >= c->spray_min_users)
			s->spray_hit = true;
		return;
	}
	kept = nset_touch(&m->users, uh, now_s, c->spray_window, c->max_names_per_source, &fresh, &prev_s, &live);
	if (!kept)
		s->users_ovf = true;
	if (!fresh && prev_s >= first_s)
		return; /* a name this burst already tried */
	s->b_users++;
	if (s->n_names < SAMPLE_NAMES) {
		copy_name(m->names[s->n_names], user);
		if (m->names[s->n_names][0]) /* a name cut to nothing leaves its place to the next */
			s->n_names++;
	}
	if (!fresh)
		return; /* seen within the window: not a new name for the spray count */
	/* full of fresh names: at least that many (no need to count again) */
	uint32_t active = kept ? live : m->users.n;
	if (active > s->b_users_peak)
		s->b_users_peak = active;
	if (c->spray_enabled && active >= c->spray_min_users)
		s->spray_hit = true;
}

bool spray_is_spray(const struct detect *d, const struct src *s)
{
	return s->spray_hit && s->b_users && s->b_count <= (uint64_t)s->b_users * d->cfg->spray_max_tries;
}

static void names_list(const struct src *s, struct sbuf *sb, uint32_t total)
{
	unsigned shown = 0;
	for (unsigned i = 0; i < SAMPLE_NAMES && src_name(s, i)[0]; i++)
		sb_printf(sb, "%s%s", shown++ ? ", " : "", src_name(s, i));
	if (total > shown)
		sb_printf(sb, ", …");
}

void spray_why(struct detect *d, struct src *s, struct alert *a)
{
	const struct detect_config *c = d->cfg;
	char win[32], span[32];
	struct sbuf sb = { .n = 0 };

	sb.b[0] = '\0';
	if (spray_is_spray(d, s)) {
		fmt_duration(win, sizeof(win), (int64_t)c->spray_window * USEC_PER_SEC);
		fmt_duration(span, sizeof(span), s->b_last - s->b_first);
		uint32_t per = (s->b_count + s->b_users / 2) / s->b_users;
		(void)alert_add_why(a,
				    "%u different user names tried in %s with %u attempts, about %u per name; up to %u "
				    "names within %s (threshold: %u; high from %u)",
				    s->b_users, span, s->b_count, per ? per : 1, s->b_users_peak, win,
				    c->spray_min_users, c->spray_high_users);
		sb_printf(&sb, "user names tried: ");
		names_list(s, &sb, s->b_users);
	} else if (s->b_multi && s->b_users > 1) {
		sb_printf(&sb, "for %u different user names: ", s->b_users);
		names_list(s, &sb, s->b_users);
	} else if (src_name(s, 0)[0]) {
		sb_printf(&sb, "all for user %s", src_name(s, 0));
	} else {
		return;
	}
	(void)alert_add_why(a, "%s", sb.b);
}
