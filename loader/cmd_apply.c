// SPDX-License-Identifier: GPL-2.0-only
/*
 * apply: makes what sluice has attached match a config file. Every line names
 * an object, optionally a table, and a target; apply attaches what is missing,
 * replaces what changed (the SHA-256 of the object's bytes, or the table),
 * keeps what is the same and detaches what an earlier apply of the same file
 * attached and the file no longer names. Attachments made by hand on targets
 * the file does not name are left alone.
 *
 * Two phases. Checking changes nothing: the file is parsed, every object read,
 * validated and loaded (verifier), every target resolved; any error there and
 * apply stops with nothing changed. Then, under one lock, the steps run in
 * file order, detaches last; each is an attach, replace or detach with the
 * crash safety and rollback of its command. A step that fails stops the run:
 * the steps before it stay done, the host is between the old and the new
 * config, and running apply again goes on from there.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attach.h"
#include "cmd.h"
#include "ct.h"
#include "common/sha256.h"
#include "hook.h"
#include "state.h"
#include "util.h"

static const char apply_help[] =
    "usage: sluice-load apply FILE [--dry-run]\n"
    "\n"
    "Makes the host's sluice attachments match FILE (e.g. /etc/sluice/sluice.conf):\n"
    "attaches what is missing, replaces what changed (object bytes or table),\n"
    "detaches what an earlier apply of FILE attached and FILE no longer names.\n"
    "Every object is validated and loaded and every target resolved before\n"
    "anything changes. One attachment per line, `#` comments:\n"
    "\n"
    "  OBJECT [table NAME] xdp DEV [mode native|generic] [multi [priority N]] [netns NS]\n"
    "  OBJECT [table NAME] tc DEV ingress|egress [tc-legacy] [netns NS]\n"
    "  OBJECT [table NAME] cgroup PATH ingress|egress\n"
    "\n"
    "(a relative OBJECT is relative to FILE's directory)\n"
    "\n"
    "  -n, --dry-run   check everything, print the plan, change nothing\n";

enum apply_action {
	APPLY_KEEP,
	APPLY_ATTACH,
	APPLY_REPLACE,
	APPLY_REATTACH, /* mode or tc flavour changed: detach, then attach */
	APPLY_RESTORE,	/* the kernel dropped it (device, netns, link gone): pins go, attach */
};

struct apply_line {
	unsigned int lineno;
	char *words; /* the line, split in place: a.obj, a.table, a.t point into it */
	char obj_path[PATH_MAX];
	struct attach_args a;
	struct sl_obj *o;
	enum apply_action action;
	const char *why;
};

struct apply_ctx {
	const char *file; /* as given, for messages */
	char config[PATH_MAX];
	struct apply_line *lines;
	size_t n;
	bool dry_run;
	/* Attachments this config made earlier and no longer names. */
	char (*gone)[PATH_MAX];
	struct sl_state *gone_st;
	bool *gone_defunct; /* the kernel dropped it already: only its pins go */
	size_t ngone;
	int errors;
};

__attribute__((format(printf, 3, 4))) static int line_err(struct apply_ctx *c, unsigned int lineno,
							  const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "%s:%u: error: ", c->file, lineno);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	c->errors++;
	return -EINVAL;
}

static int parse_dir_word(struct apply_ctx *c, unsigned int lineno, const char *kw, const char *w,
			  uint32_t in, uint32_t out, uint32_t *hook)
{
	if (w && !strcmp(w, "ingress"))
		*hook = in;
	else if (w && !strcmp(w, "egress"))
		*hook = out;
	else
		return line_err(c, lineno, "'%s' needs ingress or egress after the %s, not '%s'",
				kw, kw[0] == 'c' ? "path" : "device",
				w ? w : "the end of the line");
	return 0;
}

/* One line's words after OBJECT: `table NAME`, the target and its options. */
static int parse_words(struct apply_ctx *c, struct apply_line *l, char **w, int nw)
{
	struct sl_target *t = &l->a.t;

	for (int i = 1; i < nw;) {
		const char *kw = w[i], *a1 = i + 1 < nw ? w[i + 1] : NULL;
		const char *a2 = i + 2 < nw ? w[i + 2] : NULL;
		bool target = !strcmp(kw, "xdp") || !strcmp(kw, "tc") || !strcmp(kw, "cgroup");
		bool known = target || !strcmp(kw, "table") || !strcmp(kw, "netns") ||
			     !strcmp(kw, "mode") || !strcmp(kw, "tc-legacy") ||
			     !strcmp(kw, "multi") || !strcmp(kw, "priority");

		if (!known)
			return line_err(
			    c, l->lineno,
			    "unknown word '%s' (expected table, xdp, tc, cgroup, netns, "
			    "mode, tc-legacy, multi or priority)",
			    kw);
		if (target && t->set)
			return line_err(c, l->lineno,
					"'%s': a line names one target (xdp, tc or "
					"cgroup); write one line per attachment",
					kw);
		if (!a1 && strcmp(kw, "tc-legacy") && strcmp(kw, "multi"))
			return line_err(c, l->lineno, "'%s' needs %s", kw,
					!strcmp(kw, "xdp") ? "a device"
					: target	   ? "a device or path, then ingress|egress"
							   : "a value");
		if (!strcmp(kw, "table")) {
			if (l->a.table)
				return line_err(c, l->lineno, "'table' given twice");
			l->a.table = a1;
			i += 2;
		} else if (!strcmp(kw, "xdp")) {
			t->set = true;
			t->hook = SLUICE_HOOK_XDP;
			t->dev = a1;
			i += 2;
		} else if (!strcmp(kw, "tc") || !strcmp(kw, "cgroup")) {
			bool tc = kw[0] == 't';

			if (tc ? parse_dir_word(c, l->lineno, kw, a2, SLUICE_HOOK_TC_INGRESS,
						SLUICE_HOOK_TC_EGRESS, &t->hook)
			       : parse_dir_word(c, l->lineno, kw, a2, SLUICE_HOOK_CGROUP_INGRESS,
						SLUICE_HOOK_CGROUP_EGRESS, &t->hook))
				return -EINVAL;
			t->set = true;
			if (tc)
				t->dev = a1;
			else
				t->cgroup = a1;
			i += 3;
		} else if (!strcmp(kw, "netns")) {
			t->netns = a1;
			i += 2;
		} else if (!strcmp(kw, "mode")) {
			if (strcmp(a1, "native") && strcmp(a1, "generic"))
				return line_err(c, l->lineno,
						"'mode' takes native or generic, not '%s'", a1);
			t->xdp_mode = !strcmp(a1, "native") ? SL_XDP_NATIVE : SL_XDP_GENERIC;
			i += 2;
		} else if (!strcmp(kw, "multi")) {
			t->xdp_multi = true;
			i += 1;
		} else if (!strcmp(kw, "priority")) {
			if (sl_parse_u32(a1, &t->xdp_priority) || t->xdp_priority > 10000)
				return line_err(c, l->lineno,
						"'priority' takes a number 0..10000, not '%s'", a1);
			t->xdp_prio_set = true;
			i += 2;
		} else { /* tc-legacy */
			t->tc_legacy = true;
			i += 1;
		}
	}
	if (t->xdp_multi && t->hook != SLUICE_HOOK_XDP)
		return line_err(c, l->lineno, "'multi' applies to xdp only");
	if (t->xdp_prio_set && !t->xdp_multi)
		return line_err(c, l->lineno, "'priority' applies to xdp DEV multi only");
	if (t->xdp_multi && !t->xdp_prio_set)
		t->xdp_priority = 50; /* libxdp's default, as --multi */
	if (!t->set)
		return line_err(c, l->lineno,
				"no target: add xdp DEV, tc DEV ingress|egress or cgroup PATH "
				"ingress|egress");
	if (t->cgroup && t->netns)
		return line_err(c, l->lineno, "'netns' applies to devices, not to cgroups");
	if (t->xdp_mode && t->hook != SLUICE_HOOK_XDP)
		return line_err(c, l->lineno, "'mode' applies to xdp only");
	if (t->tc_legacy && t->hook != SLUICE_HOOK_TC_INGRESS && t->hook != SLUICE_HOOK_TC_EGRESS)
		return line_err(c, l->lineno, "'tc-legacy' applies to tc only");
	return 0;
}

static int parse_line(struct apply_ctx *c, struct apply_line *l, const char *dir)
{
	char *w[32], *save = NULL;
	int nw = 0;

	for (char *tok = strtok_r(l->words, " \t\r\f\v", &save); tok;
	     tok = strtok_r(NULL, " \t\r\f\v", &save)) {
		if (nw == (int)SL_ARRAY_SIZE(w))
			return line_err(c, l->lineno, "too many words");
		w[nw++] = tok;
	}
	if (w[0][0] == '/')
		snprintf(l->obj_path, sizeof(l->obj_path), "%s", w[0]);
	else
		snprintf(l->obj_path, sizeof(l->obj_path), "%s/%s", dir, w[0]);
	l->a.t.cgroup_fd = -1;
	return parse_words(c, l, w, nw);
}

static int read_config(struct apply_ctx *c)
{
	_cleanup_free_ char *data = NULL;
	char dir[PATH_MAX], *slash, *line, *next;
	size_t size;
	unsigned int lineno = 0;
	int err;

	err = sl_read_file(c->file, &data, &size);
	if (err)
		return sl_err(err, "cannot read %s: %s", c->file, strerror(-err));
	if (!realpath(c->file, c->config))
		return sl_err(-errno, "cannot resolve %s: %s", c->file, strerror(errno));
	snprintf(dir, sizeof(dir), "%s", c->config);
	slash = strrchr(dir, '/');
	*(slash == dir ? slash + 1 : slash) = '\0';
	if (memchr(data, '\0', size))
		return sl_err(-EINVAL, "%s is not a text file (it holds a NUL byte)", c->file);
	for (line = data; line && line < data + size; line = next) {
		struct apply_line *l;
		char *hash;

		lineno++;
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		hash = strchr(line, '#');
		if (hash)
			*hash = '\0';
		if (!line[strspn(line, " \t\r\f\v")])
			continue;
		l = reallocarray(c->lines, c->n + 1, sizeof(*l));
		if (!l)
			return sl_err(-ENOMEM, "out of memory");
		c->lines = l;
		l = &c->lines[c->n++];
		memset(l, 0, sizeof(*l));
		l->lineno = lineno;
		l->words = strdup(line);
		if (!l->words)
			return sl_err(-ENOMEM, "out of memory");
		parse_line(c, l, dir);
	}
	return c->errors ? -EINVAL : 0;
}

static bool same_sha(const uint8_t a[32], const uint8_t b[32])
{
	return !memcmp(a, b, 32);
}

static bool attached(const struct sl_state *st, const char *dir)
{
	struct sl_link_status s = {0};

	return !sl_hook_status(st, dir, &s) && s.attached;
}

/* Checks one line against the kernel and bpffs: what it needs done. Changes nothing. */
static int plan_line(struct apply_ctx *c, struct apply_line *l)
{
	struct sl_target *t = &l->a.t;
	uint8_t sha[32];
	struct sl_state st;
	int err;

	l->a.obj = l->obj_path; /* here: c->lines moved while the file was read */
	l->a.config = c->config;
	err = sl_attach_prepare(&l->a, &l->o);
	if (err)
		return line_err(c, l->lineno, "%s: see above", l->a.obj);
	for (size_t i = 0; i < c->n && &c->lines[i] != l; i++)
		if (c->lines[i].o && !strcmp(c->lines[i].a.t.pin_dir, t->pin_dir))
			return line_err(c, l->lineno, "%s is also the target of line %u",
					sl_target_describe(t), c->lines[i].lineno);
	/* A replace keeps the running flow table (ct.h), as `sluice-load replace` does. */
	err = sl_ct_reuse_flows(l->o, t->pin_dir);
	l->o->netns = t->netns;
	if (!err)
		err = sl_obj_load(l->o);
	if (err)
		return line_err(c, l->lineno, "%s: the kernel refused it (see above)", l->a.obj);
	if (sl_state_read_quiet(t->pin_dir, &st)) {
		l->action = APPLY_ATTACH;
		l->why = "not attached";
		return 0;
	}
	sl_sha256(l->o->data, l->o->size, sha);
	if (!attached(&st, t->pin_dir)) {
		l->action = APPLY_RESTORE;
		l->why = "recorded, but the kernel dropped it";
	} else if ((st.hook == SLUICE_HOOK_XDP && t->xdp_mode && t->xdp_mode != st.xdp_mode) ||
		   (st.hook != SLUICE_HOOK_XDP && t->dev &&
		    (st.attach == SL_ATTACH_TC_LEGACY) != sl_tc_use_legacy(t))) {
		l->action = APPLY_REATTACH;
		l->why = st.hook == SLUICE_HOOK_XDP ? "xdp mode changed" : "tc flavour changed";
	} else if (!same_sha(sha, st.object_sha256)) {
		l->action = APPLY_REPLACE;
		l->why = "object changed";
	} else if (strcmp(st.table, sl_meta_str(l->o->meta, l->o->table->name_str))) {
		l->action = APPLY_REPLACE;
		l->why = "table changed";
	} else {
		l->action = APPLY_KEEP;
		l->why = strcmp(st.config, c->config) ? "the same object, attached by hand: adopted"
						      : "unchanged";
	}
	return 0;
}

/* Attachments an earlier apply of this config made that no line names now. */
static int find_gone(const char *dir, void *ctx)
{
	struct apply_ctx *c = ctx;
	struct sl_state st;

	if (sl_state_read_quiet(dir, &st) || strcmp(st.config, c->config))
		return 0;
	for (size_t i = 0; i < c->n; i++)
		if (!strcmp(c->lines[i].a.t.pin_dir, dir))
			return 0;
	void *g = reallocarray(c->gone, c->ngone + 1, sizeof(*c->gone));

	if (g)
		c->gone = g;
	g = g ? reallocarray(c->gone_st, c->ngone + 1, sizeof(*c->gone_st)) : NULL;
	if (g)
		c->gone_st = g;
	g = g ? reallocarray(c->gone_defunct, c->ngone + 1, sizeof(*c->gone_defunct)) : NULL;
	if (!g)
		return -ENOMEM;
	c->gone_defunct = g;
	snprintf(c->gone[c->ngone], PATH_MAX, "%s", dir);
	c->gone_defunct[c->ngone] = !attached(&st, dir);
	c->gone_st[c->ngone++] = st;
	return 0;
}

/* A target for the attachment recorded in st at dir, enough to detach and describe it. */
static void target_of_state(const struct sl_state *st, const char *dir, struct sl_target *t)
{
	memset(t, 0, sizeof(*t));
	t->cgroup_fd = -1;
	t->hook = st->hook;
	if (st->cgroup[0])
		t->cgroup = st->cgroup;
	else
		t->dev = st->ifname;
	t->netns = st->netns[0] ? st->netns : NULL;
	snprintf(t->pin_dir, sizeof(t->pin_dir), "%s", dir);
}

static const char *const action_names[] = {"keep", "attach", "replace", "reattach", "restore"};

static void print_plan(const struct apply_ctx *c)
{
	for (size_t i = 0; i < c->n; i++) {
		const struct apply_line *l = &c->lines[i];

		printf("%s:%u: %s %s (table %s) as %s: %s\n", c->file, l->lineno,
		       action_names[l->action], l->a.obj,
		       sl_meta_str(l->o->meta, l->o->table->name_str), sl_target_describe(&l->a.t),
		       l->why);
	}
	for (size_t i = 0; i < c->ngone; i++) {
		struct sl_target t;

		target_of_state(&c->gone_st[i], c->gone[i], &t);
		printf("%s: detach %s (table %s) as %s: no longer in the file%s\n", c->file,
		       c->gone_st[i].object, c->gone_st[i].table, sl_target_describe(&t),
		       c->gone_defunct[i] ? " (the kernel dropped it: its pins go)" : "");
	}
}

/* Marks an attachment the file names but another apply or a person made as this file's. */
static int adopt(const struct apply_ctx *c, const struct apply_line *l)
{
	struct sl_state st;
	int err = sl_state_read_quiet(l->a.t.pin_dir, &st);

	if (err || !strcmp(st.config, c->config))
		return err;
	snprintf(st.config, sizeof(st.config), "%s", c->config);
	return sl_state_write(l->a.t.pin_dir, &st);
}

/* As prune does: the kernel dropped the attachment, its pins (and a dead link) go. */
static void drop_defunct(const char *dir)
{
	struct sl_state st;

	if (!sl_state_read_quiet(dir, &st) && st.attach == SL_ATTACH_LINK)
		sl_hook_detach(&st, dir);
	sl_pin_dir_remove(dir);
	printf("removed the pins of %s (the kernel had dropped it)\n", dir);
}

/*
 * Attaches again what the kernel dropped at the same place (a cls_bpf filter
 * deleted by hand). A clsact qdisc sluice made stays sluice's: the new record
 * says so, so that detach removes it again.
 */
static int restore(struct apply_line *l)
{
	struct sl_state old, st;
	bool had_old = !sl_state_read_quiet(l->a.t.pin_dir, &old);
	int err;

	drop_defunct(l->a.t.pin_dir);
	err = sl_attach_locked(&l->a, l->o);
	if (err || !had_old || !old.qdisc_created || sl_state_read_quiet(l->a.t.pin_dir, &st) ||
	    st.attach != SL_ATTACH_TC_LEGACY || st.qdisc_created)
		return err;
	st.qdisc_created = 1;
	return sl_state_write(l->a.t.pin_dir, &st);
}

static int run_line(struct apply_ctx *c, struct apply_line *l)
{
	int err = 0;

	switch (l->action) {
	case APPLY_KEEP:
		return adopt(c, l);
	case APPLY_ATTACH:
		return sl_attach_locked(&l->a, l->o);
	case APPLY_REPLACE:
		err = sl_replace_locked(&l->a, l->o);
		return err ? err : adopt(c, l);
	case APPLY_REATTACH:
		err = sl_detach_locked(&l->a.t);
		return err ? err : sl_attach_locked(&l->a, l->o);
	case APPLY_RESTORE:
		return restore(l);
	}
	return -EINVAL;
}

static int execute(struct apply_ctx *c)
{
	__attribute__((cleanup(sl_unlock))) int lock = -1;
	size_t done = 0, changed = 0;
	int err = 0;

	lock = sl_lock(true);
	if (lock < 0)
		return lock;
	for (size_t i = 0; i < c->n && !err; i++, done++) {
		err = run_line(c, &c->lines[i]);
		if (err)
			line_err(c, c->lines[i].lineno, "%s of %s as %s failed (see above)",
				 action_names[c->lines[i].action], c->lines[i].a.obj,
				 sl_target_describe(&c->lines[i].a.t));
		else
			changed += c->lines[i].action != APPLY_KEEP;
	}
	for (size_t i = 0; i < c->ngone && !err; i++, done++) {
		struct sl_target t;

		target_of_state(&c->gone_st[i], c->gone[i], &t);
		if (c->gone_defunct[i])
			drop_defunct(c->gone[i]);
		else
			err = sl_detach_locked(&t);
		changed += !err;
	}
	if (err) {
		sl_hint("%zu of %zu steps were done and stay; the others were not made. Fix the "
			"cause and run `sluice-load apply %s` again",
			done - 1, c->n + c->ngone, c->file);
		return err;
	}
	printf("applied %s: %zu attachment%s, %zu change%s\n", c->file, c->n, c->n == 1 ? "" : "s",
	       changed, changed == 1 ? "" : "s");
	return 0;
}

static void ctx_free(struct apply_ctx *c)
{
	for (size_t i = 0; i < c->n; i++) {
		sl_obj_close(c->lines[i].o);
		sl_target_release(&c->lines[i].a.t);
		free(c->lines[i].words);
	}
	free(c->lines);
	free(c->gone);
	free(c->gone_st);
	free(c->gone_defunct);
}

int sl_cmd_apply(int argc, char **argv)
{
	struct apply_ctx c = {};
	int err = 0;

	for (int i = 1; i < argc; i++) {
		if (sl_is_help(argv[i])) {
			fputs(apply_help, stdout);
			return SL_EXIT_OK;
		}
		if (!strcmp(argv[i], "--dry-run") || !strcmp(argv[i], "-n")) {
			c.dry_run = true;
		} else if (!c.file && argv[i][0] != '-') {
			c.file = argv[i];
		} else {
			fprintf(stderr, "sluice-load: usage error: unexpected argument '%s'\n\n%s",
				argv[i], apply_help);
			return SL_EXIT_USAGE;
		}
	}
	if (!c.file) {
		fprintf(stderr, "sluice-load: usage error: apply needs a config file\n\n%s",
			apply_help);
		return SL_EXIT_USAGE;
	}
	if (sl_check_privileges(true, true, false, "applying a config"))
		return SL_EXIT_FAIL;
	err = read_config(&c);
	for (size_t i = 0; !err && i < c.n; i++)
		plan_line(&c, &c.lines[i]);
	if (!err && c.errors)
		err = -EINVAL;
	if (!err)
		err = sl_walk_attachments(find_gone, &c);
	if (err) {
		if (c.errors)
			fprintf(stderr, "sluice-load: %s: %d error%s, nothing changed\n", c.file,
				c.errors, c.errors == 1 ? "" : "s");
		ctx_free(&c);
		return SL_EXIT_FAIL;
	}
	if (c.dry_run)
		print_plan(&c);
	else
		err = execute(&c);
	ctx_free(&c);
	return err ? SL_EXIT_FAIL : SL_EXIT_OK;
}
