/*
 * debver: table tests from the published vectors (dpkg, apt, osv-scalibr;
 * ../shared/data/debver), order properties, and a differential test against
 * dpkg --compare-versions on thousands of real versions (this host's apt
 * lists and dpkg status) and adversarial ones.
 *
 * The differential test sorts all versions with debver_cmp and asks dpkg
 * about each adjacent pair (plus random pairs): when dpkg agrees on every
 * adjacent pair, it agrees on all N*(N-1)/2 pairs, since both are total
 * preorders. dpkg is run by a fixed shell loop that reads the cases from a
 * file, in two workers.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "exposure-test.h"
#include "core/macro.h"
#include "exposure/debver.h"

static int sign(int x)
{
	return (x > 0) - (x < 0);
}

static void check_cmp(const char *a, const char *b, int expect, const char *where)
{
	int r = sign(debver_cmp(a, b)), rr = sign(debver_cmp(b, a));
	if (r != expect || rr != -expect) {
		print_error("%s: cmp('%s', '%s') = %d (reverse %d), expected %d\n", where, a, b, r, rr, expect);
		fail();
	}
}

static char *data_path(const char *rel)
{
	static char buf[4096];
	snprintf(buf, sizeof(buf), "%s/%s", t_env("MOAT_SHARED_DATA", "../shared/data"), rel);
	return buf;
}

static void test_basic(void **state)
{
	struct debver v;
	const char *why = NULL;
	(void)state;
	assert_int_equal(debver_parse(sv_cstr("1:2.38.1-5+deb12u1"), &v, &why), 1);
	assert_int_equal(v.epoch, 1);
	assert_true(sv_eq(v.upstream, "2.38.1"));
	assert_true(sv_eq(v.revision, "5+deb12u1"));
	assert_int_equal(debver_parse(sv_cstr("2.38.1"), &v, &why), 1);
	assert_true(sv_empty(v.revision));

	check_cmp("2.38.1-5+b1", "2.38.1-5+deb12u1", -1, "binNMU below security update");
	check_cmp("1.0~bpo12+1", "1.0", -1, "backport below release");
	check_cmp("1.2-3~bpo12+1", "1.2-3", -1, "backport revision");
	check_cmp("1.2-3+deb12u1", "1.2-3", 1, "security update above");
	check_cmp("1.2-3+deb12u1", "1.2-3+deb12u2", -1, "second security update");
	check_cmp("114.0.5735.90-2~deb12u1", "114.0.5735.90-2", -1, "rebuild for stable");
	check_cmp("1.0", "1.0-0", 0, "absent revision is 0");
	check_cmp("00000000000000000000000000000000001", "1", 0, "leading zeros");
	check_cmp("99999999999999999999999999999999999", "99999999999999999999999999999999998", 1,
		  "digits longer than 64 bits");
	check_cmp("1~~", "1~~a", -1, "tilde run");
	check_cmp("1a", "1+", -1, "letters before non-letters");
	check_cmp("1:0", "999", 1, "epoch wins");
	check_cmp("2147483647:0", "2147483646:9", 1, "big epoch");
	/* strings that do not parse still compare, without crashing */
	check_cmp("abc", "abc", 0, "invalid equal");
	assert_true(debver_cmp("", "1") < 0);
	assert_false(debver_valid(""));
	assert_false(debver_valid("1.0 1"));
	assert_false(debver_valid("2147483648:1"));
	assert_true(debver_valid("2147483647:1"));
	assert_false(debver_valid("1.0-"));
	assert_false(debver_valid("1.0-a_b"));
	assert_false(debver_valid("x1.0"));
	assert_true(debver_valid("1.0-a-b"));
}

/* dpkg's Dpkg_Version.data.txt: "A B expected" */
static void test_dpkg_vectors(void **state)
{
	char *buf = t_read_file(data_path("debver/dpkg/Dpkg_Version.data.txt"), NULL);
	unsigned n = 0;
	(void)state;
	assert_non_null(buf);
	for (char *save = NULL, *line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char a[256], b[256];
		int e;
		if (sscanf(line, "%255s %255s %d", a, b, &e) != 3)
			continue;
		check_cmp(a, b, e, "Dpkg_Version.data.txt");
		n++;
	}
	assert_true(n >= 40);
	free(buf);
}

/* apt's compareversion cases: "A<TAB>op<TAB>B" */
static void test_apt_vectors(void **state)
{
	char *buf = t_read_file(data_path("debver/apt/apt-compareversion.data.tsv"), NULL);
	unsigned n = 0;
	(void)state;
	assert_non_null(buf);
	for (char *save = NULL, *line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *t1, *t2;
		if (line[0] == '#' || !(t1 = strchr(line, '\t')) || !(t2 = strchr(t1 + 1, '\t')))
			continue;
		*t1 = *t2 = '\0';
		check_cmp(line, t2 + 1, t1[1] == '<' ? -1 : t1[1] == '>' ? 1 : 0, "apt");
		n++;
	}
	assert_int_equal(n, 64);
	free(buf);
}

/* osv-scalibr: "A OP B", blank lines and "# " comments ignored */
static unsigned run_scalibr(const char *rel)
{
	char *buf = t_read_file(data_path(rel), NULL);
	unsigned n = 0;
	assert_non_null(buf);
	for (char *save = NULL, *line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char a[512], op[4], b[512];
		if (line[0] == '#' || line[0] == '/' || sscanf(line, "%511s %3s %511s", a, op, b) != 3)
			continue;
		check_cmp(a, b, op[0] == '<' ? -1 : op[0] == '>' ? 1 : 0, rel);
		n++;
	}
	free(buf);
	return n;
}

static void test_scalibr_vectors(void **state)
{
	(void)state;
	assert_true(run_scalibr("debver/osv-scalibr/debian-versions.txt") >= 30);
	assert_true(run_scalibr("debver/osv-scalibr/debian-versions-generated.txt") >= 14000);
}

/* Decodes a Python repr string literal ('...' or "...", \t \n \\ \' escapes). */
static int unrepr(const char *s, char *out, size_t cap)
{
	char q = *s++;
	size_t n = 0;
	if (q != '\'' && q != '"')
		return -1;
	for (; *s && *s != q; s++) {
		char c = *s;
		if (c == '\\') {
			s++;
			c = *s == 't' ? '\t' : *s == 'n' ? '\n' : *s;
		}
		if (n + 1 >= cap)
			return -1;
		out[n++] = c;
	}
	out[n] = '\0';
	return *s == q ? 0 : -1;
}

/* dpkg's parse vectors: VALID input -> epoch|upstream|revision, INVALID must be rejected. */
static void test_parse_vectors(void **state)
{
	char *buf = t_read_file(data_path("debver/dpkg/t-version.parse-vectors.tsv"), NULL);
	unsigned valid = 0, invalid = 0;
	(void)state;
	assert_non_null(buf);
	for (char *save = NULL, *line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char in[256], expect[256];
		struct debver v;
		const char *why = NULL;
		char *tab = strchr(line, '\t'), *tab2;
		if (line[0] == '#' || !tab)
			continue;
		*tab = '\0';
		tab2 = strchr(tab + 1, '\t');
		if (tab2)
			*tab2 = '\0';
		assert_int_equal(unrepr(tab + 1, in, sizeof(in)), 0);
		if (strcmp(line, "VALID") == 0) {
			assert_non_null(tab2);
			if (debver_parse(sv_cstr(in), &v, &why) != 1) {
				print_error("'%s' rejected: %s\n", in, why);
				fail();
			}
			snprintf(expect, sizeof(expect), "%u|%.*s|%.*s", v.epoch, (int)v.upstream.n, v.upstream.p,
				 (int)v.revision.n, v.revision.p);
			assert_string_equal(expect, tab2 + 1);
			valid++;
		} else {
			if (debver_parse(sv_cstr(in), &v, &why) != 0) {
				print_error("'%s' accepted, dpkg rejects it\n", in);
				fail();
			}
			assert_non_null(why);
			invalid++;
		}
	}
	assert_int_equal(valid, 17);
	assert_true(invalid >= 60);
	free(buf);
}

/* ---- deterministic pseudo-random numbers (xorshift) ---- */
static uint64_t rng_state = 0x9E3779B97F4A7C15ULL;
static uint64_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}
static unsigned rndn(unsigned n)
{
	return (unsigned)(rnd() % n);
}

/* An adversarial but valid version: epochs, leading zeros, long digit runs,
 * tilde runs, letters against punctuation, hyphens inside the upstream. */
static void gen_version(char *out, size_t cap)
{
	static const char *const pieces[] = { "0", "00", "1", "9", "10", "010", "2", "99999999999999999999999",
					      "a", "b", "Z", "z", "~", "~~", "+", ".", "~a", "+b1", "+deb12u1",
					      "~bpo12+1", "~deb12u1", "+really", "dfsg", "~rc1", "a1", ".0" };
	size_t n = 0;
	bool epoch = rndn(4) == 0, rev = rndn(3) != 0;
	unsigned parts = 1 + rndn(5);
	out[0] = '\0';
	if (epoch)
		n += (size_t)snprintf(out + n, cap - n, "%s:", rndn(8) ? (rndn(2) ? "1" : "0") : "2147483647");
	n += (size_t)snprintf(out + n, cap - n, "%u", rndn(3) ? rndn(12) : 0);
	for (unsigned i = 0; i < parts && n < cap - 40; i++) {
		const char *p = pieces[rndn(ELEMENTSOF(pieces))];
		n += (size_t)snprintf(out + n, cap - n, "%s", p);
		if (rev && rndn(9) == 0 && n < cap - 40)
			n += (size_t)snprintf(out + n, cap - n, "-%u", rndn(3)); /* hyphen inside upstream */
		if (epoch && rndn(12) == 0 && n < cap - 40)
			n += (size_t)snprintf(out + n, cap - n, ":%u", rndn(3)); /* colon inside upstream */
	}
	if (rev && n < cap - 40) {
		static const char *const revs[] = { "0", "1", "1+b1", "1+deb12u1", "1~bpo12+1", "0~", "a", "1.1",
						    "2~deb12u1", "00", "1+b2", "1ubuntu1", "~", "1~~a" };
		n += (size_t)snprintf(out + n, cap - n, "-%s", revs[rndn(ELEMENTSOF(revs))]);
	}
}

struct vlist {
	char **v;
	size_t n, cap;
};

static void vl_add(struct vlist *l, const char *s, size_t len)
{
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 4096;
		l->v = realloc(l->v, l->cap * sizeof(*l->v));
		assert_non_null(l->v);
	}
	l->v[l->n] = strndup(s, len);
	assert_non_null(l->v[l->n]);
	l->n++;
}

static int qcmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int qcmp_ver(const void *a, const void *b)
{
	return debver_cmp(*(char *const *)a, *(char *const *)b);
}

static bool dpkg_present(void)
{
	return access("/usr/bin/dpkg", X_OK) == 0;
}

/* Real versions: every Version: of this host's apt lists and dpkg status,
 * and the "(version)" of Source: fields. */
static void collect_host_versions(const char *dir, struct vlist *all)
{
	char out[4200];
	const char *args[] = { NULL };
	char *buf;
	snprintf(out, sizeof(out), "%s/host-versions", dir);
	(void)args;
	assert_int_equal(t_run_sh("{ for f in /var/lib/apt/lists/*_Packages*; do\n"
				  "    [ -e \"$f\" ] && /usr/lib/apt/apt-helper cat-file \"$f\" 2>/dev/null\n"
				  "  done; cat /var/lib/dpkg/status; } |\n"
				  "sed -n -e 's/^Version: *//p' -e 's/^Source: .*(\\(.*\\)).*/\\1/p' | sort -u",
				  out, NULL),
			 0);
	buf = t_read_file(out, NULL);
	assert_non_null(buf);
	for (char *save = NULL, *line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		vl_add(all, line, strlen(line));
	free(buf);
}

/* Runs dpkg --compare-versions over "a\nop\nb\n" triples in cases_path, two
 * workers, writing one exit status per case to results_path. */
static void run_dpkg_cases(const char *dir, size_t n_cases, char ***ret_results)
{
	char cases[4200], res[4200], err[4200];
	const char *args[] = { dir, NULL };
	(void)n_cases;
	snprintf(cases, sizeof(cases), "%s/cases", dir);
	snprintf(res, sizeof(res), "%s/results", dir);
	snprintf(err, sizeof(err), "%s/stderr", dir);
	/* split into two halves on a triple boundary, run both, join in order */
	assert_int_equal(t_run_sh("cd \"$1\" || exit 1\n"
				  "total=$(wc -l < cases); half=$(( (total / 3 + 1) / 2 * 3 ))\n"
				  "head -n \"$half\" cases > c1; tail -n +$((half + 1)) cases > c2\n"
				  "run() { while IFS= read -r a && IFS= read -r op && IFS= read -r b; do\n"
				  "  dpkg --compare-versions -- \"$a\" \"$op\" \"$b\"; echo $?; done < \"$1\"; }\n"
				  "run c1 > r1 2> e1 & run c2 > r2 2> e2; wait\n"
				  "cat r1 r2 > results; cat e1 e2 > stderr\n",
				  NULL, args),
			 0);
	char *buf = t_read_file(res, NULL);
	assert_non_null(buf);
	*ret_results = (char **)buf;
	char *e = t_read_file(err, NULL);
	assert_non_null(e);
	if (*e) {
		/* dpkg warned about a version debver_parse accepted */
		print_error("dpkg complained:\n%.2000s\n", e);
		fail();
	}
	free(e);
}

static void test_dpkg_differential(void **state)
{
	struct vlist all = { 0 }, pick = { 0 };
	char *dir;
	FILE *f;
	char path[4200], buf[512];
	size_t n_cases = 0, mismatches = 0, invalid_real = 0;
	char **res_raw = NULL;
	(void)state;
	if (!dpkg_present()) {
		skip();
		return;
	}
	dir = t_tmpdir();
	assert_non_null(dir);
	collect_host_versions(dir, &all);
	/* the apt lists are there on any Debian host with apt; ask for a real sample */
	assert_true(all.n >= 1000);
	for (size_t i = 0; i < all.n; i++)
		if (!debver_valid(all.v[i]))
			invalid_real++;
	assert_int_equal(invalid_real, 0);

	/* a deterministic sample of the real versions, each with near neighbours
	 * made by adding the suffixes that matter for security matching */
	size_t want = 2300, step = all.n > want ? all.n / want : 1;
	for (size_t i = 0; i < all.n; i += step) {
		const char *v = all.v[i];
		vl_add(&pick, v, strlen(v));
		if (i % (step * 4) == 0) {
			static const char *const sfx[] = { "~", "+b1", "+deb12u1", "~bpo12+1", "~deb12u1", "a", ".0", "+" };
			snprintf(buf, sizeof(buf), "%s%s", v, sfx[rndn(ELEMENTSOF(sfx))]);
			if (debver_valid(buf))
				vl_add(&pick, buf, strlen(buf));
		}
	}
	for (unsigned i = 0; i < 1000; i++) {
		gen_version(buf, 200);
		assert_true(debver_valid(buf));
		vl_add(&pick, buf, strlen(buf));
	}
	/* distinct strings, then sorted by debver */
	qsort(pick.v, pick.n, sizeof(*pick.v), qcmp_str);
	size_t w = 0;
	for (size_t i = 0; i < pick.n; i++) {
		if (w && strcmp(pick.v[w - 1], pick.v[i]) == 0) {
			free(pick.v[i]);
			continue;
		}
		pick.v[w++] = pick.v[i];
	}
	pick.n = w;
	qsort(pick.v, pick.n, sizeof(*pick.v), qcmp_ver);

	snprintf(path, sizeof(path), "%s/cases", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	size_t classes = 1;
	for (size_t i = 0; i + 1 < pick.n; i++) {
		int c = sign(debver_cmp(pick.v[i], pick.v[i + 1]));
		assert_true(c <= 0); /* qsort put them in order */
		classes += c < 0;
		fprintf(f, "%s\n%s\n%s\n", pick.v[i], c < 0 ? "lt" : "eq", pick.v[i + 1]);
		n_cases++;
	}
	/* random pairs too, asking for the exact relation */
	for (unsigned i = 0; i < 300; i++) {
		const char *a = pick.v[rndn((unsigned)pick.n)], *b = pick.v[rndn((unsigned)pick.n)];
		int c = sign(debver_cmp(a, b));
		fprintf(f, "%s\n%s\n%s\n", a, c < 0 ? "lt" : c > 0 ? "gt" : "eq", b);
		n_cases++;
	}
	assert_int_equal(fclose(f), 0);
	assert_true(classes > pick.n / 2);

	run_dpkg_cases(dir, n_cases, &res_raw);
	char *res = (char *)res_raw;
	size_t k = 0;
	char *cases = t_read_file(path, NULL);
	assert_non_null(cases);
	char *cs = cases, *rs = res;
	for (; k < n_cases && *rs; k++) {
		char *a = cs, *op = strchr(a, '\n') + 1, *b = strchr(op, '\n') + 1;
		cs = strchr(b, '\n') + 1;
		if (strncmp(rs, "0\n", 2) != 0 && mismatches++ < 20)
			print_error("dpkg disagrees: %.*s %.*s %.*s\n", (int)(op - a - 1), a, (int)(b - op - 1), op,
				    (int)(cs - b - 1), b);
		rs = strchr(rs, '\n');
		if (!rs)
			break;
		rs++;
	}
	printf("# dpkg --compare-versions agreed on %zu of %zu cases (%zu versions, %zu real)\n", k - mismatches,
	       n_cases, pick.n, all.n);
	assert_int_equal(k, n_cases);
	assert_int_equal(mismatches, 0);
	assert_true(n_cases >= 4000);
	free(cases);
	free(res);
	for (size_t i = 0; i < all.n; i++)
		free(all.v[i]);
	for (size_t i = 0; i < pick.n; i++)
		free(pick.v[i]);
	free(all.v);
	free(pick.v);
	t_rm_rf(dir);
	free(dir);
}

/* dpkg rejects (error or warning "bad syntax") exactly the parse vectors we reject. */
static void test_dpkg_rejects(void **state)
{
	char *buf = t_read_file(data_path("debver/dpkg/t-version.parse-vectors.tsv"), NULL);
	char *dir, path[4200];
	FILE *f;
	unsigned n = 0;
	(void)state;
	if (!dpkg_present()) {
		free(buf);
		skip();
		return;
	}
	assert_non_null(buf);
	dir = t_tmpdir();
	assert_non_null(dir);
	snprintf(path, sizeof(path), "%s/cases", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	for (char *save = NULL, *line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char in[256];
		char *tab = strchr(line, '\t'), *tab2;
		if (line[0] == '#' || !tab)
			continue;
		tab2 = strchr(tab + 1, '\t');
		if (tab2)
			*tab2 = '\0';
		assert_int_equal(unrepr(tab + 1, in, sizeof(in)), 0);
		/* dpkg takes an empty argument as "no version", not as a string to parse */
		if (strchr(in, '\n') || in[0] == '\0')
			continue;
		fprintf(f, "%s\n", in);
		n++;
	}
	/* adversarial strings around the edges of the grammar */
	static const char *const extra[] = { "1:", "1.0:2", "1a:0", "2147483648:1", "2147483647:1", "1.0-a:b",
					     "1_2", "1-1-1", "1-", "1.0-a_b", "x", "00:1", "1:1:1-1:1", "1-~" };
	for (size_t i = 0; i < ELEMENTSOF(extra); i++, n++)
		fprintf(f, "%s\n", extra[i]);
	assert_int_equal(fclose(f), 0);
	free(buf);

	const char *args[] = { dir, NULL };
	char out[4200];
	snprintf(out, sizeof(out), "%s/verdicts", dir);
	assert_int_equal(t_run_sh("cd \"$1\" || exit 1\n"
				  "while IFS= read -r v; do\n"
				  "  if dpkg --compare-versions -- \"$v\" eq \"$v\" 2>&1 | grep -q 'bad syntax'; then\n"
				  "    echo bad; else echo ok; fi\n"
				  "done < cases\n",
				  out, args),
			 0);
	char *cases = t_read_file(path, NULL), *verdicts = t_read_file(out, NULL);
	assert_non_null(cases);
	assert_non_null(verdicts);
	char *c = cases, *v = verdicts;
	for (unsigned i = 0; i < n; i++) {
		char *ce = strchr(c, '\n'), *ve = strchr(v, '\n');
		assert_non_null(ce);
		assert_non_null(ve);
		*ce = *ve = '\0';
		bool ours = debver_valid(c), theirs = strcmp(v, "ok") == 0;
		if (ours != theirs) {
			print_error("'%s': debver says %s, dpkg says %s\n", c, ours ? "valid" : "invalid", v);
			fail();
		}
		c = ce + 1;
		v = ve + 1;
	}
	free(cases);
	free(verdicts);
	t_rm_rf(dir);
	free(dir);
}

/* Order properties on random versions: antisymmetry, reflexivity, transitivity. */
static void test_properties(void **state)
{
	char a[256], b[256], c[256];
	(void)state;
	for (unsigned i = 0; i < 20000; i++) {
		gen_version(a, 200);
		gen_version(b, 200);
		gen_version(c, 200);
		int ab = sign(debver_cmp(a, b)), bc = sign(debver_cmp(b, c)), ac = sign(debver_cmp(a, c));
		assert_int_equal(debver_cmp(a, a), 0);
		assert_int_equal(ab, -sign(debver_cmp(b, a)));
		if (ab <= 0 && bc <= 0)
			assert_true(ac <= 0);
		if (ab >= 0 && bc >= 0)
			assert_true(ac >= 0);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_basic),
		cmocka_unit_test(test_dpkg_vectors),
		cmocka_unit_test(test_apt_vectors),
		cmocka_unit_test(test_scalibr_vectors),
		cmocka_unit_test(test_parse_vectors),
		cmocka_unit_test(test_properties),
		cmocka_unit_test(test_dpkg_rejects),
		cmocka_unit_test(test_dpkg_differential),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
