// SPDX-License-Identifier: GPL-2.0-only
/* set list|add|del|flush|load: the named sets of an attachment, edited in place (sets.h). */
#include <bpf/bpf.h>
#include <errno.h>
#include <stdarg.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include <sluice/set_text.h>

#include "cmd.h"
#include "sets.h"
#include "state.h"
#include "target.h"
#include "util.h"

static const char set_help[] =
    "usage: sluice-load set list  TARGET [SET] [--json]\n"
    "       sluice-load set add   TARGET SET ELEMENT... [timeout T]\n"
    "       sluice-load set del   TARGET SET ELEMENT...\n"
    "       sluice-load set flush TARGET SET\n"
    "       sluice-load set load  TARGET SET FILE\n"
    "\n"
    "The named sets (`set NAME { ... }` in the policy) of what sluice attached at\n"
    "TARGET (--xdp DEV | --tc DEV ingress|egress | --cgroup PATH ingress|egress,\n"
    "[--netns NAME|PATH]), changed while the program runs, without re-attaching.\n"
    "\n"
    "ELEMENT: 192.0.2.7, 192.0.2.0/24, 10.0.0.1-10.0.0.9 (interval sets), 2001:db8::/32,\n"
    "  02:00:5e:10:00:01, tcp, 443, https, concatenations as 10.0.0.1 . 443;\n"
    "  separate elements by spaces or commas. timeout T (30s, 10m, 1h30m, 2d) applies to\n"
    "  each element (sets with `flags timeout`).\n"
    "add and del are all or nothing: a bad element, a full set or (del) an element\n"
    "that is not there changes nothing. load reads FILE (one element a line, `#`\n"
    "comments) into a new map and swaps it in at once: packets see the old or the new\n"
    "contents, never a mix; flush swaps in an empty one. Expired elements are removed\n"
    "whenever sluice-load touches a set. list shows prefixes (a range is stored as its\n"
    "prefixes).\n";

enum set_op { OP_LIST, OP_ADD, OP_DEL, OP_FLUSH, OP_LOAD };

struct set_args {
	enum set_op op;
	struct sl_target t;
	bool json;
	const char *set;
	const char *file;
	char **words; /* the element words of add/del */
	int nwords;
	uint64_t timeout;
};

__attribute__((format(printf, 1, 2))) static int usage(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "sluice-load: usage error: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n\n%s", set_help);
	return SL_EXIT_USAGE;
}

static int parse_args(int argc, char **argv, struct set_args *a)
{
	static const char *const ops[] = {"list", "add", "del", "flush", "load"};
	int i = 2, r;

	if (argc < 2 || sl_is_help(argv[1])) {
		fputs(set_help, argc < 2 ? stderr : stdout);
		return argc < 2 ? SL_EXIT_USAGE : -1;
	}
	a->op = SL_ARRAY_SIZE(ops);
	for (size_t k = 0; k < SL_ARRAY_SIZE(ops); k++)
		if (!strcmp(argv[1], ops[k]))
			a->op = k;
	if (a->op == SL_ARRAY_SIZE(ops))
		return usage("unknown set command '%s' (list, add, del, flush or load)", argv[1]);
	a->words = calloc(argc, sizeof(*a->words));
	if (!a->words)
		return SL_EXIT_FAIL;
	while (i < argc) {
		if (sl_is_help(argv[i])) {
			fputs(set_help, stdout);
			return -1;
		}
		if (a->op == OP_LIST && !strcmp(argv[i], "--json")) {
			a->json = true;
			i++;
			continue;
		}
		r = sl_target_parse_opt(&a->t, argc, argv, &i, false);
		if (r < 0)
			return fprintf(stderr, "\n%s", set_help), SL_EXIT_USAGE;
		if (r)
			continue;
		if (!a->set) {
			a->set = argv[i++];
		} else if (a->op == OP_LOAD && !a->file) {
			a->file = argv[i++];
		} else if ((a->op == OP_ADD || a->op == OP_DEL) && argv[i][0] != '-') {
			a->words[a->nwords++] = argv[i++];
		} else {
			return usage("unexpected argument '%s'", argv[i]);
		}
	}
	if (sl_target_check(&a->t, false))
		return fprintf(stderr, "\n%s", set_help), SL_EXIT_USAGE;
	if (a->op != OP_LIST && !a->set)
		return usage("set %s needs the name of a set", argv[1]);
	if (a->op == OP_LOAD && !a->file)
		return usage("set %s needs a file of elements, one a line", argv[1]);
	if ((a->op == OP_ADD || a->op == OP_DEL) && !a->nwords)
		return usage("set %s needs at least one element", argv[1]);
	/* A trailing `timeout T` applies to every element of add. */
	if (a->op == OP_ADD && a->nwords >= 2 && !strcmp(a->words[a->nwords - 2], "timeout")) {
		const char *d = a->words[a->nwords - 1];

		if (sl_set_text_duration(d, strlen(d), &a->timeout) || !a->timeout)
			return usage("'%s' is not a duration (e.g. 30s, 10m, 1h30m, 2d)", d);
		a->nwords -= 2;
		if (!a->nwords)
			return usage("set %s needs at least one element", argv[1]);
	}
	return 0;
}

/* An attachment's set: its record (from the state map's metadata) and its outer map. */
struct set_ref {
	struct sl_set s;
	int outer;
	int inner;
};

static void ref_close(struct set_ref *r)
{
	if (r->outer >= 0)
		close(r->outer);
	if (r->inner >= 0)
		close(r->inner);
	r->outer = r->inner = -1;
}

static int open_set(const char *dir, const struct sl_meta *m, uint32_t i, struct set_ref *r)
{
	char sub[PATH_MAX];
	int err;

	r->outer = r->inner = -1;
	err = sl_set_at(m, i, &r->s);
	if (err)
		return err;
	snprintf(sub, sizeof(sub), "%s/sets", dir);
	r->outer = sl_pin_open(sub, r->s.name);
	if (r->outer < 0) {
		err = sl_err(r->outer, "the pin of set '%s' (%s/%s) is missing: %s", r->s.name, sub,
			     r->s.name, strerror(-r->outer));
		sl_hint("`sluice-load replace` with the policy's object pins it again");
		return err;
	}
	r->inner = sl_set_slot_get(r->outer);
	if (r->inner == -ENOENT)
		return 0; /* an empty slot: no element matches; add/load make a map */
	if (r->inner < 0)
		return sl_err(r->inner, "cannot open the map of set '%s': %s", r->s.name,
			      strerror(-r->inner));
	return 0;
}

/* Appends a token to an element being built (NULL: a new one). */
static char *append(char *el, const char *tok, size_t len)
{
	size_t o = el ? strlen(el) : 0;
	char *p = realloc(el, o + len + 2);

	if (!p) {
		free(el);
		return NULL;
	}
	snprintf(p + o, len + 2, "%s%.*s", o ? " " : "", (int)len, tok);
	return p;
}

/*
 * The element words as element lines: "." joins values into a concatenation,
 * `timeout T` belongs to the element before it, commas and spaces separate.
 */
static int split_elements(struct set_args *a, char ***out, int *n)
{
	size_t max = a->nwords + 1;
	bool open = false, glue = false;
	char **el;

	for (int i = 0; i < a->nwords; i++) /* each comma may start one more */
		for (const char *p = a->words[i]; *p; p++)
			max += *p == ',';
	el = calloc(max, sizeof(*el));
	*n = 0;
	if (!el)
		return -ENOMEM;
	for (int i = 0; i < a->nwords; i++) {
		for (const char *p = a->words[i]; *p;) {
			size_t len = strcspn(p, ",");
			bool joins = len && ((len == 1 && *p == '.') ||
					     (len == 7 && !strncmp(p, "timeout", 7)));

			if (len) {
				if (!open || (!glue && !joins))
					(*n)++;
				el[*n - 1] = append(el[*n - 1], p, len);
				if (!el[*n - 1])
					return -ENOMEM;
				open = true;
				glue = joins;
			}
			p += len;
			if (*p == ',') {
				open = glue = false;
				p++;
			}
		}
	}
	*out = el;
	return 0;
}

struct parsed {
	uint8_t *keys; /* nkeys * key_size */
	uint64_t *expires;
	size_t nkeys, cap;
	uint32_t ks;
	uint64_t exp; /* of the element being encoded */
};

static int collect_key(const uint8_t *key, void *ctx)
{
	struct parsed *p = ctx;

	if (p->nkeys == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 64;
		uint8_t *k = realloc(p->keys, cap * p->ks);
		uint64_t *e = k ? realloc(p->expires, cap * sizeof(*e)) : NULL;

		if (k)
			p->keys = k;
		if (!k || !e)
			return -ENOMEM;
		p->expires = e;
		p->cap = cap;
	}
	memcpy(p->keys + p->nkeys * p->ks, key, p->ks);
	p->expires[p->nkeys++] = p->exp;
	return 0;
}

/* Every element of add/del parsed and encoded before anything changes. */
static int parse_elements(struct set_args *a, const struct sl_set *s, struct parsed *p)
{
	char **el = NULL, why[256];
	uint64_t now = sl_mono_ns();
	int n = 0, err;

	p->ks = s->d.key_size;
	err = split_elements(a, &el, &n);
	for (int i = 0; !err && i < n; i++) {
		struct sl_set_elem e;
		uint64_t timeout;

		err =
		    sl_set_text_parse(&s->d, el[i], strlen(el[i]), &e, &timeout, why, sizeof(why));
		if (err == 1)
			continue;
		if (!err && a->op == OP_DEL && timeout) {
			snprintf(why, sizeof(why), "del takes no timeout");
			err = -EINVAL;
		}
		if (!timeout)
			timeout = a->timeout;
		if (!err && timeout && !(s->d.flags & SLUICE_SET_F_TIMEOUT)) {
			snprintf(why, sizeof(why),
				 "a timeout, but set '%s' has no `flags timeout`: its elements "
				 "cannot expire",
				 s->name);
			err = -EINVAL;
		}
		if (err) {
			sl_err(err, "element '%s' of set '%s': %s", el[i], s->name, why);
			sl_hint("nothing was changed; `sluice-load set list TARGET %s` shows the "
				"set's type and elements",
				s->name);
			break;
		}
		if (!timeout && a->op == OP_ADD)
			timeout = s->rec->timeout_ns;
		p->exp = timeout ? now + timeout : 0;
		err = sl_set_elem_keys(&s->d, &e, collect_key, p, NULL);
		if (err)
			sl_err(err, "out of memory");
	}
	for (int i = 0; i < n; i++)
		free(el[i]);
	free(el);
	return err;
}

/* Undo of add/del: the keys changed so far and what they held before. */
static void rollback(int fd, struct parsed *p, size_t done, const bool *existed,
		     const struct sluice_set_value *old)
{
	for (size_t i = done; i-- > 0;) {
		const uint8_t *k = p->keys + i * p->ks;

		if (existed[i])
			bpf_map_update_elem(fd, k, &old[i], BPF_ANY);
		else
			bpf_map_delete_elem(fd, k);
	}
}

static int apply(struct set_args *a, struct set_ref *r, struct parsed *p)
{
	_cleanup_free_ bool *existed = calloc(p->nkeys + 1, sizeof(bool));
	_cleanup_free_ struct sluice_set_value *old = calloc(p->nkeys + 1, sizeof(*old));
	size_t fresh = 0;
	int count, err = 0;

	if (!existed || !old)
		return sl_err(-ENOMEM, "out of memory");
	for (size_t i = 0; i < p->nkeys; i++) {
		/*
		 * A key given twice is written twice and, on a rollback, deleted twice
		 * (the second finds nothing): harmless, so no O(n^2) search for repeats.
		 */
		existed[i] = !bpf_map_lookup_elem(r->inner, p->keys + i * p->ks, &old[i]);
		fresh += !existed[i];
		if (a->op == OP_DEL && !existed[i]) {
			struct sl_set_elem e;
			char text[256];

			sl_set_key_decode(&r->s.d, p->keys + i * p->ks, &e, NULL);
			sl_set_text_format(&r->s.d, &e, text, sizeof(text));
			sl_err(-ENOENT, "%s is not in set '%s'", text, r->s.name);
			sl_hint("`sluice-load set list TARGET %s` shows its elements (a range is "
				"stored as prefixes); nothing was deleted",
				r->s.name);
			return -ENOENT;
		}
	}
	for (size_t i = 0; i < p->nkeys; i++) {
		const uint8_t *k = p->keys + i * p->ks;
		struct sluice_set_value v = {p->expires[i]};

		if (a->op == OP_ADD ? bpf_map_update_elem(r->inner, k, &v, BPF_ANY)
				    : (bpf_map_delete_elem(r->inner, k) && errno != ENOENT)) {
			err = -errno;
			rollback(r->inner, p, i, existed, old);
			/* The kernel enforces the capacity: counting first would cost O(size). */
			if (a->op == OP_ADD && (err == -E2BIG || err == -ENOSPC)) {
				count = sl_set_count(r->inner, p->ks);
				sl_err(-ENOSPC,
				       "set '%s' is full: it holds %d of at most %u elements (map "
				       "keys); these would add up to %zu",
				       r->s.name, count, r->s.rec->size, fresh);
				sl_hint("delete elements first, or raise `size` of the set in the "
					"policy and `replace`; nothing was added");
				return -ENOSPC;
			}
			sl_err(err, "cannot %s the elements of set '%s': %s",
			       a->op == OP_ADD ? "add" : "delete", r->s.name, strerror(-err));
			sl_hint("nothing was changed");
			return err;
		}
	}
	return 0;
}

/* add into an empty slot: a new map gets the elements, then goes into the slot. */
static int ensure_inner(struct set_ref *r)
{
	int err;

	if (r->inner >= 0)
		return 0;
	r->inner = sl_set_inner_create(&r->s);
	if (r->inner < 0)
		return r->inner;
	err = sl_set_slot_put(r->outer, r->inner);
	return err ? sl_err(err, "cannot store the map of set '%s': %s", r->s.name, strerror(-err))
		   : 0;
}

static int do_edit(struct set_args *a, struct set_ref *r)
{
	struct parsed p = {};
	int err;

	err = parse_elements(a, &r->s, &p);
	if (!err)
		err = ensure_inner(r);
	if (!err) {
		if (r->s.d.flags & SLUICE_SET_F_TIMEOUT)
			sl_set_expire(r->inner, r->s.d.key_size);
		err = apply(a, r, &p);
	}
	if (!err)
		printf("%s %zu key%s %s set '%s'\n", a->op == OP_ADD ? "added" : "deleted", p.nkeys,
		       p.nkeys == 1 ? "" : "s", a->op == OP_ADD ? "to" : "from", r->s.name);
	free(p.keys);
	free(p.expires);
	return err;
}

static int do_swap(struct set_args *a, struct set_ref *r)
{
	_cleanup_close_ int fresh = -1;
	uint32_t count = 0;
	uint64_t t0 = sl_mono_ns();
	int err;

	fresh = a->op == OP_LOAD ? sl_set_load_file(&r->s, a->file, &count)
				 : sl_set_inner_create(&r->s);
	if (fresh < 0)
		return fresh;
	err = sl_set_slot_put(r->outer, fresh);
	if (err)
		return sl_err(err, "cannot swap the map of set '%s': %s", r->s.name,
			      strerror(-err));
	if (a->op == OP_LOAD)
		printf("loaded %u element%s into set '%s' (%.2f s)\n", count, count == 1 ? "" : "s",
		       r->s.name, (sl_mono_ns() - t0) / 1e9);
	else
		printf("flushed set '%s'\n", r->s.name);
	return 0;
}

struct list_ctx {
	const struct set_ref *r;
	uint8_t *keys;
	struct sluice_set_value *vals;
	size_t n, cap;
};

static int list_cb(int fd, const uint8_t *k, const struct sluice_set_value *v, void *ctx)
{
	struct list_ctx *c = ctx;
	uint32_t ks = c->r->s.d.key_size;

	(void)fd;
	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 256;
		uint8_t *nk = realloc(c->keys, cap * ks);
		struct sluice_set_value *nv = nk ? realloc(c->vals, cap * sizeof(*nv)) : NULL;

		if (nk)
			c->keys = nk;
		if (!nk || !nv)
			return -ENOMEM;
		c->vals = nv;
		c->cap = cap;
	}
	memcpy(c->keys + c->n * ks, k, ks);
	c->vals[c->n++] = *v;
	return 0;
}

static const struct list_ctx *sort_ctx;

/* Sorted by the data bytes (address order), then prefix length. */
static int cmp_idx(const void *a, const void *b)
{
	const struct list_ctx *c = sort_ctx;
	uint32_t ks = c->r->s.d.key_size, off = c->r->s.d.flags & SLUICE_SET_F_INTERVAL ? 4 : 0;
	const uint8_t *ka = c->keys + *(const size_t *)a * ks,
		      *kb = c->keys + *(const size_t *)b * ks;
	int d = memcmp(ka + off, kb + off, ks - off);

	return d ? d : memcmp(ka, kb, off);
}

static void type_text(const struct sl_set *s, char *buf, size_t len)
{
	size_t o = 0;

	buf[0] = '\0';
	for (uint32_t i = 0; i < s->d.nfields && o < len; i++)
		o += snprintf(buf + o, len - o, "%s%s", i ? " . " : "",
			      sl_set_type_name(s->d.types[i]));
}

static int list_one(const struct set_ref *r, bool json, bool first)
{
	struct list_ctx c = {.r = r};
	_cleanup_free_ size_t *idx = NULL;
	uint64_t now = sl_mono_ns();
	char type[96], text[256], dur[48];
	int err = 0;

	if (r->inner >= 0 && (r->s.d.flags & SLUICE_SET_F_TIMEOUT))
		sl_set_expire(r->inner, r->s.d.key_size);
	if (!err && r->inner >= 0)
		err = sl_set_each(r->inner, r->s.d.key_size, list_cb, &c);
	if (err) {
		free(c.keys);
		free(c.vals);
		return sl_err(err, "cannot read set '%s': %s", r->s.name, strerror(-err));
	}
	idx = calloc(c.n + 1, sizeof(*idx));
	for (size_t i = 0; idx && i < c.n; i++)
		idx[i] = i;
	sort_ctx = &c;
	if (idx)
		qsort(idx, c.n, sizeof(*idx), cmp_idx);
	type_text(&r->s, type, sizeof(type));
	if (json) {
		printf("%s\n  {\"set\":", first ? "" : ",");
		sl_json_str(stdout, r->s.name);
		printf(",\"type\":");
		sl_json_str(stdout, type);
		printf(",\"interval\":%s,\"timeout\":%s,\"size\":%u,\"count\":%zu,\"elements\":[",
		       r->s.d.flags & SLUICE_SET_F_INTERVAL ? "true" : "false",
		       r->s.d.flags & SLUICE_SET_F_TIMEOUT ? "true" : "false", r->s.rec->size, c.n);
	} else {
		printf(
		    "%sset %s { type %s;%s%s size %u; %zu element%s }\n", first ? "" : "\n",
		    r->s.name, type, r->s.d.flags & SLUICE_SET_F_INTERVAL ? " flags interval" : "",
		    r->s.d.flags & SLUICE_SET_F_TIMEOUT
			? (r->s.d.flags & SLUICE_SET_F_INTERVAL ? ", timeout;" : " flags timeout;")
			: (r->s.d.flags & SLUICE_SET_F_INTERVAL ? ";" : ""),
		    r->s.rec->size, c.n, c.n == 1 ? "" : "s");
	}
	for (size_t j = 0; idx && j < c.n; j++) {
		size_t i = idx[j];
		struct sl_set_elem e;
		uint64_t exp = c.vals[i].expires_ns;

		if (sl_set_key_decode(&r->s.d, c.keys + i * r->s.d.key_size, &e, NULL))
			snprintf(text, sizeof(text), "(a key no element gives)");
		else
			sl_set_text_format(&r->s.d, &e, text, sizeof(text));
		dur[0] = '\0';
		if (exp)
			sl_set_text_format_duration(exp > now ? exp - now : 0, dur, sizeof(dur));
		if (json) {
			printf("%s{\"element\":", j ? "," : "");
			sl_json_str(stdout, text);
			if (exp)
				printf(",\"expires_ms\":%llu",
				       (unsigned long long)((exp > now ? exp - now : 0) / 1000000));
			printf("}");
		} else {
			printf("\t%s%s%s\n", text, exp ? " expires " : "", dur);
		}
	}
	if (json)
		printf("]}");
	free(c.keys);
	free(c.vals);
	return 0;
}

static int run(struct set_args *a)
{
	_cleanup_meta_ struct sl_meta *m = NULL;
	struct set_ref r = {.outer = -1, .inner = -1};
	struct sl_state st;
	char path[PATH_MAX];
	int err;

	err = sl_target_resolve(&a->t);
	sl_target_release(&a->t);
	if (err)
		return err;
	snprintf(path, sizeof(path), "%s/state", a->t.pin_dir);
	if (access(path, F_OK)) {
		sl_err(-ENOENT, "sluice has nothing attached as %s", sl_target_describe(&a->t));
		sl_hint("`sluice-load list` shows what sluice attached");
		return -ENOENT;
	}
	err = sl_state_read(a->t.pin_dir, &st, &m);
	if (err)
		return err;
	if (a->op == OP_LIST) {
		uint32_t n = 0;

		if (a->set) {
			struct sl_set s;

			err = sl_set_find(m, a->set, &s);
			if (err)
				return err;
		}
		if (a->json)
			printf("[");
		for (uint32_t i = 0; !err && i < m->hdr.nsets; i++) {
			if (a->set && strcmp(sl_meta_str(m, m->sets[i].name_str), a->set))
				continue;
			err = open_set(a->t.pin_dir, m, i, &r);
			if (!err)
				err = list_one(&r, a->json, !n++);
			ref_close(&r);
		}
		if (a->json)
			printf("%s]\n", n ? "\n" : "");
		else if (!n)
			printf("the policy attached as %s has no named sets\n",
			       sl_target_describe(&a->t));
		return err;
	}
	{
		struct sl_set s;

		err = sl_set_find(m, a->set, &s);
		if (err)
			return err;
		err = open_set(a->t.pin_dir, m, s.rec - m->sets, &r);
	}
	if (!err)
		err = a->op == OP_ADD || a->op == OP_DEL ? do_edit(a, &r) : do_swap(a, &r);
	ref_close(&r);
	return err;
}

int sl_cmd_set(int argc, char **argv)
{
	struct set_args a = {.t.cgroup_fd = -1};
	__attribute__((cleanup(sl_unlock))) int lock = -1;
	int r;

	r = parse_args(argc, argv, &a);
	if (r) {
		free(a.words);
		return r < 0 ? SL_EXIT_OK : r;
	}
	r = sl_check_privileges(false, false, a.t.netns != NULL,
				a.op == OP_LIST ? "reading sets" : "changing sets");
	if (!r) {
		lock = sl_lock(sl_can_change());
		r = lock < 0 ? lock : 0;
	}
	if (!r)
		r = run(&a);
	free(a.words);
	return r ? SL_EXIT_FAIL : SL_EXIT_OK;
}
