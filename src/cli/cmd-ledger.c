/* moat ledger: the signed, hash-chained trail of decisions, and the operators' keys. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "core/escape.h"
#include "core/log.h"
#include "core/macro.h"
#include "core/timeutil.h"
#include "exceptions/keys.h"
#include "exceptions/ledger.h"
#include "exceptions/paths.h"
#include "exceptions/register.h"

static void usage(FILE *f)
{
	fputs("usage: moat ledger path\n"
	      "       moat ledger head   [--ledger FILE]\n"
	      "       moat ledger verify [--ledger FILE] [--head HASH]\n"
	      "       moat ledger log    [--ledger FILE] [--json]\n"
	      "       moat ledger export [--ledger FILE] OUTPUT\n"
	      "       moat ledger key new NAME\n"
	      "       moat ledger key list [--ledger FILE]\n"
	      "       moat ledger key add PUBLIC-KEY --name NAME [--key SIGNER] [--ledger FILE]\n"
	      "       moat ledger key revoke PUBLIC-KEY [--key SIGNER] [--ledger FILE]\n"
	      "\n"
	      "Every decision about an exception (add, renew, revoke, a control failure\n"
	      "acknowledged) and every change of who may decide is one entry of the ledger:\n"
	      "a file of its own, append-only, each entry chained to the one before by its\n"
	      "BLAKE2b hash and signed with the deciding operator's Ed25519 key.\n"
	      "\n"
	      "path     where the ledger is (STATE/ledger; STATE is $MOAT_STATE_DIR, else\n"
	      "         ~/.local/state/moat, /var/lib/moat for root)\n"
	      "head     the hash of the last entry: keep it somewhere else (a ticket, a mail)\n"
	      "verify   checks every entry and names the first bad one: an entry edited,\n"
	      "         removed, inserted or reordered, a forged signature or one by a key the\n"
	      "         ledger never trusted, a torn last line, entries cut off the end (this\n"
	      "         host records the head at every append). --head HASH: the ledger must\n"
	      "         still contain the entry with that head (catches a rewrite of the whole\n"
	      "         file, and checks an exported copy on another machine)\n"
	      "log      the entries, oldest first\n"
	      "export   writes a verified copy for cold storage: self-contained (the public\n"
	      "         keys are entries of it); verify it anywhere with\n"
	      "         'moat ledger verify --ledger COPY --head HASH'\n"
	      "key new  makes an Ed25519 key pair in STATE/keys (the private key mode 0600;\n"
	      "         moat refuses a private key others can read). The first decision signed\n"
	      "         with it founds an empty ledger\n"
	      "key list your keys, and the keys the ledger trusts\n"
	      "key add  lets another operator's key sign (an entry signed by yours)\n"
	      "key revoke  stops a key from signing from now on\n"
	      "\n"
	      "Options:\n"
	      "  --ledger FILE  another ledger file (default: STATE/ledger)\n"
	      "  --key NAME     the key to sign with (default: the only one in STATE/keys)\n"
	      "  --name NAME    key add: the operator's name\n"
	      "  --head HASH    verify: the head kept elsewhere\n"
	      "  --json         log: one JSON object per entry\n"
	      "  -h, --help     this help\n"
	      "\n"
	      "Examples:\n"
	      "  moat ledger key new alice\n"
	      "  moat ledger head > /mnt/usb/moat-head.txt\n"
	      "  moat ledger export /mnt/usb/ledger-2026-12.moat\n"
	      "  moat ledger verify --ledger /mnt/usb/ledger-2026-12.moat --head \"$(cat /mnt/usb/moat-head.txt)\"\n"
	      "\n"
	      "Exit status: 0 done (verify: the ledger verifies), 1 verify found a bad entry,\n"
	      "2 bad usage, unreadable or refused file, or a failed write.\n",
	      f);
}

struct lopts {
	const char *ledger, *key, *name, *head;
	bool json;
	char *ledger_alloc, *heads;
};

/* The heads record applies to the default ledger and to any --ledger file this host appends to. */
static const char *ledger_path(struct lopts *o)
{
	if (o->ledger)
		return o->ledger;
	if (!o->ledger_alloc)
		o->ledger_alloc = ledger_default_path();
	return o->ledger_alloc;
}

static int load_verified(struct lopts *o, struct ledger **ret, struct ledger_problem *bad, bool must_exist)
{
	char *err = NULL;
	const char *path = ledger_path(o);
	if (!path || !o->heads) {
		log_error("out of memory");
		return -ENOMEM;
	}
	int r = ledger_load(path, o->heads, must_exist, ret, bad, &err);
	if (r < 0) {
		log_error("%s", err ? err : strerror(-r));
		free(err);
	}
	return r;
}

static void print_problem(const char *path, const struct ledger_problem *bad)
{
	fputs("moat: ledger ", stderr);
	escape_text(stderr, sv_cstr(path), 0);
	fputs(" does NOT verify: ", stderr);
	escape_text(stderr, sv_cstr(bad->why), 0);
	fputc('\n', stderr);
}

static int do_verify(struct lopts *o)
{
	struct ledger *l = NULL;
	struct ledger_problem bad;
	const char *path = ledger_path(o);
	int r = load_verified(o, &l, &bad, true);
	if (r < 0)
		return EXIT_USAGE;
	int ret = EXIT_DONE;
	if (r == 1) {
		print_problem(path, &bad);
		ret = EXIT_FINDING;
	} else if (o->head) {
		if (ledger_find_hash(l, o->head) < 0) {
			fputs("moat: ledger ", stderr);
			escape_text(stderr, sv_cstr(path), 0);
			fputs(" does NOT verify: no entry has head ", stderr);
			escape_text(stderr, sv_cstr(o->head), 80);
			fprintf(stderr, " (the file was rewritten, cut off before it, or the head is another ledger's)\n");
			ret = EXIT_FINDING;
		}
	}
	if (ret == EXIT_DONE) {
		char head[LEDGER_HASH_HEX];
		ledger_head_hex(l, head);
		printf("ledger verifies: %zu entries, head %s\n", ledger_count(l), head);
	}
	ledger_free(l);
	return ret;
}

static int do_head(struct lopts *o)
{
	struct ledger *l = NULL;
	struct ledger_problem bad;
	int r = load_verified(o, &l, &bad, false);
	if (r < 0)
		return EXIT_USAGE;
	if (r == 1) {
		print_problem(ledger_path(o), &bad);
		ledger_free(l);
		return EXIT_FINDING;
	}
	char head[LEDGER_HASH_HEX];
	ledger_head_hex(l, head);
	printf("%s\n", head);
	ledger_free(l);
	return EXIT_DONE;
}

static int do_log(struct lopts *o)
{
	struct ledger *l = NULL;
	struct ledger_problem bad;
	int r = load_verified(o, &l, &bad, false);
	if (r < 0)
		return EXIT_USAGE;
	for (size_t i = 0; i < ledger_count(l); i++) {
		const struct ledger_entry *e = ledger_get(l, i);
		char hash[LEDGER_HASH_HEX], t[TIME_DISPLAY_STRLEN];
		ledger_hex(e->hash, LEDGER_HASH_BYTES, hash);
		if (o->json) {
			char *body = json_dumps(e->body, JSON_COMPACT | JSON_PRESERVE_ORDER);
			printf("{\"hash\":\"%s\",\"entry\":%s}\n", hash, body ? body : "null");
			free(body);
			continue;
		}
		printf("%4" PRIu64 " %s %-16s by ", e->seq, time_format_display(e->time_s * 1000000, t), e->kind);
		escape_text(stdout, sv_cstr(e->by), 40);
		const char *id = json_string_value(json_object_get(e->body, "id"));
		const char *kn = json_string_value(json_object_get(e->body, "key_name"));
		if (id) {
			fputs("  ", stdout);
			escape_text(stdout, sv_cstr(id), 16);
		}
		if (kn) {
			fputs("  key ", stdout);
			escape_text(stdout, sv_cstr(kn), 64);
		}
		printf("  %.16s…\n", hash);
	}
	int ret = EXIT_DONE;
	if (r == 1) {
		print_problem(ledger_path(o), &bad);
		ret = EXIT_FINDING;
	}
	ledger_free(l);
	return ret;
}

static int do_export(struct lopts *o, const char *out)
{
	struct ledger *l = NULL;
	struct ledger_problem bad;
	char *err = NULL;
	int r = load_verified(o, &l, &bad, true);
	if (r < 0)
		return EXIT_USAGE;
	if (r == 1) {
		print_problem(ledger_path(o), &bad);
		log_error("nothing exported: a copy of a ledger that does not verify proves nothing");
		ledger_free(l);
		return EXIT_FINDING;
	}
	size_t len;
	const char *bytes = ledger_bytes(l, &len);
	r = trail_write_file(out, bytes, len, 0644, &err);
	if (r < 0) {
		log_error("%s", err ? err : strerror(-r));
		free(err);
		ledger_free(l);
		return EXIT_USAGE;
	}
	char head[LEDGER_HASH_HEX];
	ledger_head_hex(l, head);
	printf("exported %zu entries, head %s\n", ledger_count(l), head);
	fprintf(stderr, "keep the head apart from the copy; verify with: moat ledger verify --ledger COPY --head %s\n",
		head);
	ledger_free(l);
	return EXIT_DONE;
}

static void print_key(void *ud, const char *name, const char *pub)
{
	(void)ud;
	printf("  %-20s %s\n", name, pub ? pub : "(public key unreadable)");
}

static int do_key(struct lopts *o, int argc, char **argv)
{
	_cleanup_free_ char *dir = keys_dir();
	char *err = NULL;
	if (!dir) {
		log_error("out of memory");
		return EXIT_USAGE;
	}
	if (argc < 1) {
		log_error("ledger key: new, list, add or revoke?");
		return EXIT_USAGE;
	}
	if (strcmp(argv[0], "new") == 0) {
		char pub[KEY_HEX_PUBLIC];
		if (argc != 2) {
			log_error("usage: moat ledger key new NAME");
			return EXIT_USAGE;
		}
		int r = key_generate(dir, argv[1], pub, &err);
		if (r < 0) {
			log_error("%s", err ? err : strerror(-r));
			free(err);
			return EXIT_USAGE;
		}
		printf("key %s: public %s\n", argv[1], pub);
		fprintf(stderr, "private key in %s/%s.key (mode 0600): keep it, and a copy offline\n", dir, argv[1]);
		return EXIT_DONE;
	}
	if (strcmp(argv[0], "list") == 0) {
		puts("your keys:");
		(void)keys_foreach(dir, print_key, NULL);
		struct ledger *l = NULL;
		struct ledger_problem bad;
		int r = load_verified(o, &l, &bad, false);
		if (r < 0)
			return EXIT_USAGE;
		puts("keys the ledger trusts:");
		for (size_t i = 0; i < ledger_count(l); i++) {
			const struct ledger_entry *e = ledger_get(l, i);
			if (strcmp(e->kind, "key-add") != 0)
				continue;
			const char *pk = json_string_value(json_object_get(e->body, "public_key"));
			uint8_t bin[32];
			if (!pk || !ledger_unhex32(pk, bin))
				continue;
			printf("  %-20s %s%s\n", json_string_value(json_object_get(e->body, "key_name")), pk,
			       ledger_key_trusted(l, bin) ? "" : " (revoked)");
		}
		if (r == 1)
			print_problem(ledger_path(o), &bad);
		ledger_free(l);
		return r == 1 ? EXIT_FINDING : EXIT_DONE;
	}
	bool add = strcmp(argv[0], "add") == 0;
	if (!add && strcmp(argv[0], "revoke") != 0) {
		log_error("ledger key: unknown '%s' (new, list, add, revoke)", argv[0]);
		return EXIT_USAGE;
	}
	uint8_t bin[32];
	if (argc != 2 || !ledger_unhex32(argv[1], bin)) {
		log_error("ledger key %s: expected one public key (64 lower-case hex digits, from 'moat ledger key new')",
			  argv[0]);
		return EXIT_USAGE;
	}
	if (add && (!o->name || !key_name_valid(o->name))) {
		log_error("ledger key add: --name NAME (letters, digits, '.', '_', '-') is required");
		return EXIT_USAGE;
	}
	int64_t now = exc_now();
	if (now < 0) {
		log_error("MOAT_NOW: not a time");
		return EXIT_USAGE;
	}
	struct ledger_key *k = NULL;
	int r = key_load(dir, o->key, &k, &err);
	if (r < 0) {
		log_error("%s", err ? err : strerror(-r));
		free(err);
		return EXIT_USAGE;
	}
	json_t *f = add ? json_pack("{s:s, s:s}", "key_name", o->name, "public_key", argv[1])
			: json_pack("{s:s}", "public_key", argv[1]);
	uint64_t seq;
	char head[LEDGER_HASH_HEX];
	r = f ? ledger_append(ledger_path(o), o->heads, k, add ? "key-add" : "key-revoke", f, now, &seq, head, &err)
	      : -ENOMEM;
	key_free(k);
	if (r < 0) {
		log_error("%s", err ? err : strerror(-r));
		free(err);
		return EXIT_USAGE;
	}
	printf("entry %" PRIu64 ": key %s %s; head %s\n", seq, argv[1], add ? "added" : "revoked", head);
	return EXIT_DONE;
}

int cmd_ledger(int argc, char **argv)
{
	enum { O_LEDGER = 256, O_KEY, O_NAME, O_HEAD, O_JSON };
	static const struct option options[] = {
		{ "ledger", required_argument, NULL, O_LEDGER }, { "key", required_argument, NULL, O_KEY },
		{ "name", required_argument, NULL, O_NAME },	 { "head", required_argument, NULL, O_HEAD },
		{ "json", no_argument, NULL, O_JSON },		 { "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct lopts o = { 0 };
	int c, ret = EXIT_USAGE;
	struct cli cl;
	cli_init(&cl, "ledger", usage, 0, "", options, argc, argv);
	while ((c = cli_next(&cl)) != CLI_END) {
		switch (c) {
		case CLI_STOP:
			return cl.exit;
		case O_LEDGER:
			o.ledger = optarg;
			break;
		case O_KEY:
			o.key = optarg;
			break;
		case O_NAME:
			o.name = optarg;
			break;
		case O_HEAD:
			o.head = optarg;
			break;
		case O_JSON:
			o.json = true;
			break;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	const char *verb = argv[optind];
	int rest = argc - optind - 1;
	char **rv = argv + optind + 1;
	o.heads = state_path("ledger-heads");
	if (strcmp(verb, "path") == 0 && rest == 0) {
		const char *p = ledger_path(&o);
		if (p) {
			printf("%s\n", p);
			ret = EXIT_DONE;
		}
	} else if (strcmp(verb, "head") == 0 && rest == 0) {
		ret = do_head(&o);
	} else if (strcmp(verb, "verify") == 0 && rest == 0) {
		ret = do_verify(&o);
	} else if (strcmp(verb, "log") == 0 && rest == 0) {
		ret = do_log(&o);
	} else if (strcmp(verb, "export") == 0 && rest == 1) {
		ret = do_export(&o, rv[0]);
	} else if (strcmp(verb, "key") == 0) {
		ret = do_key(&o, rest, rv);
	} else {
		log_error("ledger: unknown or incomplete command '%s' (see moat ledger --help)", verb);
	}
	if (ret != EXIT_DONE && ret != EXIT_FINDING && ret != EXIT_USAGE)
		ret = EXIT_USAGE;
	if (fflush(stdout) != 0 || ferror(stdout)) {
		log_error("cannot write the output: %s", strerror(errno));
		ret = EXIT_USAGE;
	}
	free(o.ledger_alloc);
	free(o.heads);
	return ret;
}
