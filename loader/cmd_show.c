// SPDX-License-Identifier: GPL-2.0-only
/* list and stats: reading back what sluice attached, from bpffs alone. */
#include <bpf/bpf.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "cmd.h"
#include "counters.h"
#include "ct.h"
#include "hook.h"
#include "orphan.h"
#include "state.h"
#include "target.h"
#include "util.h"

static const char list_help[] =
    "usage: sluice-load list [--json]\n"
    "\n"
    "Shows every attachment sluice made (found in bpffs, whichever process made it):\n"
    "hook, device or cgroup, network namespace, policy, source hash, program and\n"
    "link ids, since when, and whether the kernel still has it attached.\n";

static const char stats_help[] =
    "usage: sluice-load stats TARGET [--netns NAME|PATH] [--json]\n"
    "\n"
    "Prints the attached policy's rules with their counters (rules marked\n"
    "`counter`), like `nft list ruleset`. TARGET as for detach. A table that\n"
    "tracks connections adds its flow table's entries by protocol and state;\n"
    "at its companion's target (the other direction) that flow table is shown.\n";

static int walk_dir(const char *dir, int depth, int (*fn)(const char *, void *), void *ctx)
{
	struct dirent **ents;
	char path[PATH_MAX];
	struct stat st;
	int n, err = 0;

	snprintf(path, sizeof(path), "%s/state", dir);
	if (depth > 0 && !stat(path, &st))
		return fn(dir, ctx);
	if (depth >= 3)
		return 0;
	n = scandir(dir, &ents, NULL, alphasort);
	if (n < 0)
		return errno == ENOENT ? 0 : -errno;
	for (int i = 0; i < n; i++) {
		/* Skips ".", ".." and in-flight staging directories. */
		if (!err && ents[i]->d_name[0] != '.' && strncmp(ents[i]->d_name, "staging-", 8)) {
			snprintf(path, sizeof(path), "%s/%s", dir, ents[i]->d_name);
			if (!stat(path, &st) && S_ISDIR(st.st_mode))
				err = walk_dir(path, depth + 1, fn, ctx);
		}
		free(ents[i]);
	}
	free(ents);
	return err;
}

int sl_walk_attachments(int (*fn)(const char *dir, void *ctx), void *ctx)
{
	return walk_dir(sl_pin_root(), 0, fn, ctx);
}

static void fmt_time(uint64_t t, char *buf, size_t len)
{
	time_t tt = t;
	struct tm tm;

	if (!t || !gmtime_r(&tt, &tm))
		snprintf(buf, len, "-");
	else
		strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static const char *mode_name(const struct sl_state *st)
{
	if (st->hook == SLUICE_HOOK_XDP)
		return st->xdp_mode == SL_XDP_GENERIC ? "generic" : "native";
	if (st->hook == SLUICE_HOOK_TC_INGRESS || st->hook == SLUICE_HOOK_TC_EGRESS)
		return st->attach == SL_ATTACH_TC_LEGACY ? "clsact" : "tcx";
	return "link";
}

struct list_row {
	char hook[48];
	char target[PATH_MAX + 64];
	char policy[256];
	char table[256];
	char source[16];
	char prog[12];
	char link[12];
	char since[32];
	char status[16];
};

struct list_ctx {
	bool json;
	int count;
	struct list_row *rows;
	size_t nrows, cap;
};

static void list_json(const char *dir, const struct sl_state *st, const struct sl_meta *m,
		      const struct sl_link_status *s, const char *hash, const char *since,
		      const char *replaced, int n)
{
	printf("%s\n  {\"hook\":", n ? "," : "");
	sl_json_str(stdout, sl_hook_name(st->hook));
	printf(",\"mode\":\"%s\",", mode_name(st));
	if (st->attach == SL_ATTACH_XDP_MULTI)
		printf("\"dispatcher_priority\":%u,", st->xdp_priority);
	if (st->cgroup[0]) {
		printf("\"device\":null,\"ifindex\":null,\"netns\":null,\"netns_inode\":null,"
		       "\"cgroup\":");
		sl_json_str(stdout, st->cgroup);
		printf(",\"cgroup_inode\":%llu", (unsigned long long)st->cgroup_ino);
	} else {
		printf("\"device\":");
		sl_json_str(stdout, st->ifname);
		printf(",\"ifindex\":%u,\"netns\":", st->ifindex);
		if (st->netns[0])
			sl_json_str(stdout, st->netns);
		else
			printf("null");
		printf(",\"netns_inode\":%llu,\"cgroup\":null,\"cgroup_inode\":null",
		       (unsigned long long)st->netns_ino);
	}
	printf(",\"policy\":");
	sl_json_str(stdout, sl_meta_str(m, m->hdr.policy_name_str));
	printf(",\"table\":");
	sl_json_str(stdout, st->table);
	printf(",\"source_hash\":\"%s\",\"compiler\":", hash);
	sl_json_str(stdout, sl_meta_str(m, m->hdr.compiler_str));
	printf(",\"object\":");
	sl_json_str(stdout, st->object);
	printf(",\"program_id\":%u,\"link_id\":%u,\"attached_at\":\"%s\",\"replaced_at\":",
	       s->prog_id, s->link_id, since);
	if (st->replaced_at)
		printf("\"%s\"", replaced);
	else
		printf("null");
	printf(",\"replacements\":%u,\"status\":\"%s\",\"pin\":", st->nreplaced,
	       s->attached ? "attached" : "defunct");
	sl_json_str(stdout, dir);
	printf("}");
}

static struct list_row *new_row(struct list_ctx *ctx)
{
	if (ctx->nrows == ctx->cap) {
		size_t cap = ctx->cap ? 2 * ctx->cap : 16;
		struct list_row *r = realloc(ctx->rows, cap * sizeof(*r));

		if (!r)
			return NULL;
		ctx->rows = r;
		ctx->cap = cap;
	}
	memset(&ctx->rows[ctx->nrows], 0, sizeof(ctx->rows[0]));
	return &ctx->rows[ctx->nrows++];
}

/* Text for a terminal: bytes that are not printable ASCII (or UTF-8) are shown escaped. */
static void printable(char *out, size_t len, const char *in)
{
	size_t o = 0;

	for (const unsigned char *p = (const unsigned char *)in; *p && o + 5 < len; p++) {
		if (*p >= 0x20 && *p != 0x7f && *p < 0x80)
			out[o++] = *p;
		else
			o += snprintf(out + o, len - o, "\\x%02x", *p);
	}
	out[o] = '\0';
}

static int list_one(const char *dir, void *vctx)
{
	struct list_ctx *ctx = vctx;
	struct sl_state st;
	struct sl_link_status s;
	_cleanup_meta_ struct sl_meta *m = NULL;
	char hash[65], since[32], replaced[32], target[PATH_MAX + 64];
	struct list_row *row;
	uint32_t running = 0;

	if (sl_state_read(dir, &st, &m)) {
		sl_hint("remove the broken entry with `sluice-load prune`");
		return 0;
	}
	if (sl_hook_status(&st, dir, &s))
		s = (struct sl_link_status){};
	/* What the kernel runs there, not what the pins say. */
	if (!sl_hook_running_prog(&st, dir, &running) && running)
		s.prog_id = running;
	sl_meta_hash_hex(m->hdr.source_hash, hash);
	fmt_time(st.attached_at, since, sizeof(since));
	fmt_time(st.replaced_at, replaced, sizeof(replaced));
	if (ctx->json) {
		list_json(dir, &st, m, &s, hash, since, replaced, ctx->count++);
		return 0;
	}
	ctx->count++;
	row = new_row(ctx);
	if (!row)
		return -ENOMEM;
	if (st.attach == SL_ATTACH_XDP_MULTI)
		snprintf(row->hook, sizeof(row->hook), "xdp (%s, dispatcher prio %u)",
			 mode_name(&st), st.xdp_priority);
	else
		snprintf(row->hook, sizeof(row->hook), "%s (%s)", sl_hook_name(st.hook),
			 mode_name(&st));
	if (st.cgroup[0])
		snprintf(target, sizeof(target), "cgroup %s", st.cgroup);
	else
		snprintf(target, sizeof(target), "%s netns %s", st.ifname,
			 st.netns[0] ? st.netns : "(own)");
	printable(row->target, sizeof(row->target), target);
	printable(row->policy, sizeof(row->policy), sl_meta_str(m, m->hdr.policy_name_str));
	printable(row->table, sizeof(row->table), st.table);
	snprintf(row->source, sizeof(row->source), "%.12s", hash);
	snprintf(row->prog, sizeof(row->prog), "%u", s.prog_id);
	snprintf(row->link, sizeof(row->link), "%u", s.link_id);
	/* SINCE: when the program running now was put there. */
	snprintf(row->since, sizeof(row->since), "%s", st.replaced_at ? replaced : since);
	snprintf(row->status, sizeof(row->status), "%s", s.attached ? "attached" : "defunct");
	return 0;
}

static int list_orphan(const struct sl_orphan *o, void *vctx)
{
	struct list_ctx *ctx = vctx;
	const char *dir = o->hook == SLUICE_HOOK_TC_INGRESS ? "ingress" : "egress";
	struct list_row *row;
	char target[PATH_MAX];

	if (ctx->json) {
		printf("%s\n  {\"hook\":\"tc %s\",\"mode\":\"clsact\",\"device\":",
		       ctx->count++ ? "," : "", dir);
		sl_json_str(stdout, o->ifname);
		printf(",\"ifindex\":%u,\"netns\":", o->ifindex);
		if (o->netns[0])
			sl_json_str(stdout, o->netns);
		else
			printf("null");
		printf(
		    ",\"netns_inode\":%llu,\"cgroup\":null,\"cgroup_inode\":null,\"policy\":null,"
		    "\"table\":null,\"source_hash\":null,\"compiler\":null,\"object\":null,"
		    "\"program_id\":%u,\"link_id\":0,\"attached_at\":null,\"replaced_at\":null,"
		    "\"replacements\":0,\"status\":\"orphan\",\"pin\":null,\"tc_handle\":%u,"
		    "\"tc_priority\":%u}",
		    (unsigned long long)o->netns_ino, o->f.prog_id, o->f.handle, o->f.priority);
		return 0;
	}
	ctx->count++;
	row = new_row(ctx);
	if (!row)
		return -ENOMEM;
	snprintf(row->hook, sizeof(row->hook), "tc %s (clsact)", dir);
	snprintf(target, sizeof(target), "%s netns %s", o->ifname,
		 o->netns[0] ? o->netns : "(own)");
	printable(row->target, sizeof(row->target), target);
	snprintf(row->policy, sizeof(row->policy), "?");
	snprintf(row->table, sizeof(row->table), "?");
	snprintf(row->source, sizeof(row->source), "-");
	snprintf(row->prog, sizeof(row->prog), "%u", o->f.prog_id);
	snprintf(row->link, sizeof(row->link), "0");
	snprintf(row->since, sizeof(row->since), "-");
	snprintf(row->status, sizeof(row->status), "orphan");
	return 0;
}

#define COLS 9

static const char *col(const struct list_row *r, int c)
{
	const char *v[COLS] = {r->hook, r->target, r->policy, r->table, r->source,
			       r->prog, r->link,   r->since,  r->status};

	return v[c];
}

/* Columns as wide as their widest cell: long names and cgroup paths do not shift the rest. */
static void list_print_rows(const struct list_ctx *ctx)
{
	static const struct list_row head = {"HOOK", "TARGET", "POLICY", "TABLE", "SOURCE",
					     "PROG", "LINK",   "SINCE",	 "STATUS"};
	size_t w[COLS];

	for (int c = 0; c < COLS; c++) {
		w[c] = strlen(col(&head, c));
		for (size_t i = 0; i < ctx->nrows; i++)
			if (strlen(col(&ctx->rows[i], c)) > w[c])
				w[c] = strlen(col(&ctx->rows[i], c));
	}
	for (size_t i = 0; i <= ctx->nrows; i++) {
		const struct list_row *r = i ? &ctx->rows[i - 1] : &head;

		for (int c = 0; c < COLS - 1; c++)
			printf("%-*s  ", (int)w[c], col(r, c));
		printf("%s\n", col(r, COLS - 1));
	}
}

int sl_cmd_list(int argc, char **argv)
{
	struct list_ctx ctx = {};
	__attribute__((cleanup(sl_unlock))) int lock = -1;
	int err;

	for (int i = 1; i < argc; i++) {
		if (sl_is_help(argv[i])) {
			fputs(list_help, stdout);
			return SL_EXIT_OK;
		} else if (!strcmp(argv[i], "--json")) {
			ctx.json = true;
		} else {
			fprintf(stderr, "sluice-load: usage error: unexpected argument '%s'\n\n%s",
				argv[i], list_help);
			return SL_EXIT_USAGE;
		}
	}
	if (sl_check_privileges(false, false, false, "listing"))
		return SL_EXIT_FAIL;
	/* Under the lock: no half-made attachment is seen, and a killed one is recovered first. */
	lock = sl_lock(sl_can_change());
	if (lock < 0)
		return SL_EXIT_FAIL;
	if (ctx.json)
		printf("[");
	err = sl_walk_attachments(list_one, &ctx);
	if (!err)
		err = sl_orphans_walk(list_orphan, &ctx);
	if (ctx.json)
		printf("%s]\n", ctx.count ? "\n" : "");
	else if (!ctx.count)
		printf("sluice has nothing attached\n");
	else
		list_print_rows(&ctx);
	free(ctx.rows);
	if (err)
		sl_err(err, "cannot read %s: %s", sl_pin_root(), strerror(-err));
	return err ? SL_EXIT_FAIL : SL_EXIT_OK;
}

static bool is_table_name(const struct sl_meta *m, const char *name)
{
	for (uint32_t i = 0; i < m->hdr.ntables; i++)
		if (!strcmp(sl_meta_str(m, m->tables[i].name_str), name))
			return true;
	return false;
}

/* nft style: the counts go right after the rule's `counter` keyword. */
static void print_rule_text(const char *text, const struct sluice_counter *c)
{
	const char *p = text;
	size_t klen = strlen("counter");

	for (; c && (p = strstr(p, "counter")); p += klen) {
		bool start = p == text || p[-1] == ' ' || p[-1] == '\t';
		bool end = p[klen] == '\0' || p[klen] == ' ' || p[klen] == '\t';

		if (start && end) {
			printf("%.*s packets %llu bytes %llu%s", (int)(p - text + klen), text,
			       (unsigned long long)c->packets, (unsigned long long)c->bytes,
			       p + klen);
			return;
		}
	}
	printf("%s", text);
	if (c)
		printf(" counter packets %llu bytes %llu", (unsigned long long)c->packets,
		       (unsigned long long)c->bytes);
}

struct stats_view {
	const struct sl_meta *m;
	const struct sluice_meta_table *table;
	int counters_fd;
	int carried_fd; /* counts of the programs before the last replaces, or -1 */
};

static const struct sluice_counter *rule_counter(const struct stats_view *v,
						 const struct sluice_meta_rule *r,
						 struct sluice_counter *buf)
{
	if (r->counter_slot == SLUICE_NO_COUNTER || v->counters_fd < 0)
		return NULL;
	if (sl_counters_total(v->counters_fd, v->carried_fd, r->counter_slot, buf))
		memset(buf, 0, sizeof(*buf));
	return buf;
}

static void print_chain(const struct stats_view *v, const char *chain, bool is_table)
{
	const struct sl_meta *m = v->m;

	if (is_table) {
		printf("table %s {\n\thook %s\n\tpolicy %s\n", chain, sl_hook_name(v->table->hook),
		       v->table->policy == SLUICE_VERDICT_DROP ? "drop" : "accept");
	} else {
		printf("\nchain %s {\n", chain);
	}
	for (uint32_t i = 0; i < m->hdr.nrules; i++) {
		const struct sluice_meta_rule *r = &m->rules[i];
		struct sluice_counter c;

		if (strcmp(sl_meta_str(m, r->chain_str), chain))
			continue;
		printf("\t");
		print_rule_text(sl_meta_str(m, r->text_str), rule_counter(v, r, &c));
		printf("\t# %s:%u:%u\n", sl_meta_str(m, r->file_str), r->line, r->col);
	}
	printf("}\n");
}

static bool chain_seen_before(const struct sl_meta *m, uint32_t upto, const char *chain)
{
	for (uint32_t i = 0; i < upto; i++)
		if (!strcmp(sl_meta_str(m, m->rules[i].chain_str), chain))
			return true;
	return false;
}

static void stats_text(const struct stats_view *v, const struct sl_state *st,
		       const struct sl_target *t)
{
	const struct sl_meta *m = v->m;
	const char *tname = sl_meta_str(m, v->table->name_str);
	char hash[65];

	sl_meta_hash_hex(m->hdr.source_hash, hash);
	printf("# policy %s, table %s, %s; %s\n# object %s, source sha256 %s\n",
	       sl_meta_str(m, m->hdr.policy_name_str), tname, sl_target_describe(t),
	       sl_meta_str(m, m->hdr.compiler_str), st->object, hash);
	print_chain(v, tname, true);
	for (uint32_t i = 0; i < m->hdr.nrules; i++) {
		const char *chain = sl_meta_str(m, m->rules[i].chain_str);

		if (!is_table_name(m, chain) && !chain_seen_before(m, i, chain))
			print_chain(v, chain, false);
	}
}

static void stats_json(const struct stats_view *v, const struct sl_state *st)
{
	const struct sl_meta *m = v->m;
	const char *tname = sl_meta_str(m, v->table->name_str);
	char hash[65];
	bool first = true;

	sl_meta_hash_hex(m->hdr.source_hash, hash);
	printf("{\"policy\":");
	sl_json_str(stdout, sl_meta_str(m, m->hdr.policy_name_str));
	printf(",\"table\":");
	sl_json_str(stdout, tname);
	printf(",\"hook\":");
	sl_json_str(stdout, sl_hook_name(st->hook));
	printf(",\"source_hash\":\"%s\",\"object\":", hash);
	sl_json_str(stdout, st->object);
	printf(",\"rules\":[");
	for (uint32_t i = 0; i < m->hdr.nrules; i++) {
		const struct sluice_meta_rule *r = &m->rules[i];
		const char *chain = sl_meta_str(m, r->chain_str);
		struct sluice_counter c;
		const struct sluice_counter *pc;

		if (is_table_name(m, chain) && strcmp(chain, tname))
			continue;
		pc = rule_counter(v, r, &c);
		printf("%s\n  {\"id\":%u,\"chain\":", first ? "" : ",", r->id);
		first = false;
		sl_json_str(stdout, chain);
		printf(",\"file\":");
		sl_json_str(stdout, sl_meta_str(m, r->file_str));
		printf(",\"line\":%u,\"col\":%u,\"text\":", r->line, r->col);
		sl_json_str(stdout, sl_meta_str(m, r->text_str));
		if (pc)
			printf(",\"counter\":{\"packets\":%llu,\"bytes\":%llu}}",
			       (unsigned long long)pc->packets, (unsigned long long)pc->bytes);
		else
			printf(",\"counter\":null}");
	}
	printf("%s]", first ? "" : "\n");
}

/* A flow table's entries by protocol and state (abi.h: flags and idle timeouts). */
struct flow_census {
	uint32_t entries, max, expired, out_orig;
	uint32_t tcp_opening, tcp_est, tcp_closing, udp_new, udp_replied, icmp;
};

static bool flow_expired(const struct sluice_flow_key *k, const struct sluice_flow *f, uint64_t now)
{
	uint64_t idle = now > f->seen_ns ? (now - f->seen_ns) / 1000000000u : 0, limit;

	if (k->proto == 6)
		limit = !(f->flags & SLUICE_FLOW_REPLIED) ? SLUICE_CT_TCP_OPENING
			: (f->flags & SLUICE_FLOW_FIN_ORIG) && (f->flags & SLUICE_FLOW_FIN_REPLY)
			    ? SLUICE_CT_TCP_CLOSING
			    : SLUICE_CT_TCP_EST;
	else if (k->proto == 17)
		limit = f->flags & SLUICE_FLOW_REPLIED ? SLUICE_CT_UDP_REPLIED : SLUICE_CT_UDP;
	else
		limit = SLUICE_CT_ICMP;
	return idle > limit;
}

static void flow_count(struct flow_census *c, const struct sluice_flow_key *k,
		       const struct sluice_flow *f, uint64_t now)
{
	bool fin = (f->flags & SLUICE_FLOW_FIN_ORIG) && (f->flags & SLUICE_FLOW_FIN_REPLY);

	c->entries++;
	if (flow_expired(k, f, now)) {
		c->expired++;
		return;
	}
	c->out_orig += !!(f->flags & SLUICE_FLOW_OUT_ORIG);
	if (k->proto == 6)
		*(!(f->flags & SLUICE_FLOW_REPLIED) ? &c->tcp_opening
		  : fin				    ? &c->tcp_closing
						    : &c->tcp_est) += 1;
	else if (k->proto == 17)
		*(f->flags & SLUICE_FLOW_REPLIED ? &c->udp_replied : &c->udp_new) += 1;
	else
		c->icmp++;
}

static int flow_census(const char *dir, struct flow_census *c)
{
	_cleanup_close_ int fd = sl_pin_open(dir, "flows");
	struct sluice_flow_key k, next;
	struct sluice_flow f;
	struct bpf_map_info info = {};
	uint32_t len = sizeof(info);
	struct timespec ts;
	uint64_t now;
	void *prev = NULL;

	if (fd < 0)
		return fd;
	if (bpf_obj_get_info_by_fd(fd, &info, &len) ||
	    info.key_size != sizeof(struct sluice_flow_key) ||
	    info.value_size != sizeof(struct sluice_flow))
		return -EINVAL;
	clock_gettime(CLOCK_MONOTONIC, &ts); /* the clock of bpf_ktime_get_(coarse_)ns */
	now = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
	memset(c, 0, sizeof(*c));
	c->max = info.max_entries;
	while (!bpf_map_get_next_key(fd, prev, &next)) {
		k = next;
		prev = &k;
		if (!bpf_map_lookup_elem(fd, &k, &f))
			flow_count(c, &k, &f, now);
	}
	return 0;
}

static void stats_flows(const char *dir, bool json)
{
	struct flow_census c;

	if (flow_census(dir, &c)) {
		if (json)
			printf(",\"flows\":null");
		return;
	}
	if (json) {
		printf(",\"flows\":{\"entries\":%u,\"max\":%u,\"expired\":%u,\"outgoing\":%u,"
		       "\"tcp\":{\"opening\":%u,\"established\":%u,\"closing\":%u},"
		       "\"udp\":{\"unreplied\":%u,\"replied\":%u},\"icmp\":%u}",
		       c.entries, c.max, c.expired, c.out_orig, c.tcp_opening, c.tcp_est,
		       c.tcp_closing, c.udp_new, c.udp_replied, c.icmp);
		return;
	}
	printf("\n# flow table: %u of %u entries; tcp: %u opening, %u established, %u closing; "
	       "udp: %u unreplied, %u replied; icmp: %u; %u opened by outgoing packets; "
	       "%u expired (reused when the table is full)\n",
	       c.entries, c.max, c.tcp_opening, c.tcp_est, c.tcp_closing, c.udp_new, c.udp_replied,
	       c.icmp, c.out_orig, c.expired);
}

/* The companion has no rules of its own: say what it is, and show the flow table it keeps. */
static void stats_companion(const struct stats_view *v, const struct sl_state *st,
			    const struct sl_target *t, bool json)
{
	struct sl_target tt = *t;
	const char *tname = sl_meta_str(v->m, v->table->name_str);

	tt.hook = v->table->hook;
	if (json) {
		printf("{\"policy\":");
		sl_json_str(stdout, sl_meta_str(v->m, v->m->hdr.policy_name_str));
		printf(",\"table\":");
		sl_json_str(stdout, tname);
		printf(",\"hook\":");
		sl_json_str(stdout, sl_hook_name(st->hook));
		printf(",\"role\":\"companion\",\"table_hook\":");
		sl_json_str(stdout, sl_hook_name(v->table->hook));
		printf(",\"object\":");
		sl_json_str(stdout, st->object);
		printf(",\"rules\":[]");
		return;
	}
	printf("# %s runs the connection tracking companion of table %s, ", sl_target_describe(t),
	       tname);
	printf("attached as %s, policy %s\n# object %s\n", sl_target_describe(&tt),
	       sl_meta_str(v->m, v->m->hdr.policy_name_str), st->object);
	printf("# it records the packets of the other direction in the table's flow table and "
	       "accepts them all;\n# the rules and their counters are the table's: `sluice-load "
	       "stats` of %s\n",
	       sl_target_describe(&tt));
}

static int find_table(const struct sl_meta *m, const char *name,
		      const struct sluice_meta_table **out)
{
	for (uint32_t i = 0; i < m->hdr.ntables; i++) {
		if (!strcmp(sl_meta_str(m, m->tables[i].name_str), name)) {
			*out = &m->tables[i];
			return 0;
		}
	}
	return sl_err(-ENOENT, "the stored metadata has no table '%s'", name);
}

struct find_gone {
	const struct sl_target *t;
	char abs[PATH_MAX];
	char dir[PATH_MAX];
	int found;
};

static int match_gone(const char *dir, void *vctx)
{
	struct find_gone *g = vctx;
	const struct sl_target *t = g->t;
	struct sl_state st;

	if (sl_state_read_quiet(dir, &st) || st.hook != t->hook)
		return 0;
	if (t->cgroup ? strcmp(st.cgroup, g->abs)
		      : strcmp(st.ifname, t->dev) || strcmp(st.netns, t->netns ? t->netns : ""))
		return 0;
	snprintf(g->dir, sizeof(g->dir), "%s", dir);
	g->found++;
	return 0;
}

/*
 * The device, namespace or cgroup is gone, and the kernel dropped the
 * attachment with it; its record and counter map are still pinned: finds them
 * by the name the target was given with.
 */
static bool find_gone_target(struct sl_target *t)
{
	struct find_gone g = {.t = t};
	char cwd[PATH_MAX];

	if (t->cgroup && t->cgroup[0] != '/' && getcwd(cwd, sizeof(cwd)))
		snprintf(g.abs, sizeof(g.abs), "%s/%s", cwd, t->cgroup);
	else if (t->cgroup)
		snprintf(g.abs, sizeof(g.abs), "%s", t->cgroup);
	if (sl_walk_attachments(match_gone, &g) || g.found != 1)
		return false;
	snprintf(t->pin_dir, sizeof(t->pin_dir), "%s", g.dir);
	return true;
}

int sl_cmd_stats(int argc, char **argv)
{
	struct sl_target t = {.cgroup_fd = -1};
	_cleanup_meta_ struct sl_meta *m = NULL;
	struct stats_view v = {.counters_fd = -1, .carried_fd = -1};
	__attribute__((cleanup(sl_unlock))) int lock = -1;
	bool gone = false;
	struct sl_state st;
	char path[PATH_MAX];
	bool json = false;
	int i = 1, r;

	while (i < argc) {
		if (sl_is_help(argv[i])) {
			fputs(stats_help, stdout);
			return SL_EXIT_OK;
		}
		if (!strcmp(argv[i], "--json")) {
			json = true;
			i++;
			continue;
		}
		r = sl_target_parse_opt(&t, argc, argv, &i, false);
		if (r < 0)
			return fprintf(stderr, "\n%s", stats_help), SL_EXIT_USAGE;
		if (!r) {
			fprintf(stderr, "sluice-load: usage error: unexpected argument '%s'\n\n%s",
				argv[i], stats_help);
			return SL_EXIT_USAGE;
		}
	}
	if (sl_target_check(&t, false))
		return fprintf(stderr, "\n%s", stats_help), SL_EXIT_USAGE;
	r = sl_check_privileges(false, false, t.netns != NULL, "reading counters");
	if (r)
		return SL_EXIT_FAIL;
	lock = sl_lock(sl_can_change());
	if (lock < 0)
		return SL_EXIT_FAIL;
	gone = !sl_target_exists(&t) && find_gone_target(&t);
	if (!gone) {
		r = sl_target_resolve(&t);
		sl_target_release(&t);
		if (r)
			return SL_EXIT_FAIL;
	}
	snprintf(path, sizeof(path), "%s/state", t.pin_dir);
	if (access(path, F_OK)) {
		sl_err(-ENOENT, "sluice has nothing attached as %s", sl_target_describe(&t));
		sl_hint("`sluice-load list` shows what sluice attached");
		return SL_EXIT_FAIL;
	}
	if (sl_state_read(t.pin_dir, &st, &m) || find_table(m, st.table, &v.table))
		return SL_EXIT_FAIL;
	v.m = m;
	snprintf(path, sizeof(path), "%s/counters", t.pin_dir);
	v.counters_fd = bpf_obj_get(path);
	if (v.counters_fd >= 0 && sl_counters_check(v.counters_fd, path)) {
		close(v.counters_fd);
		return SL_EXIT_FAIL;
	}
	snprintf(path, sizeof(path), "%s/carried", t.pin_dir);
	v.carried_fd = bpf_obj_get(path);
	if (gone)
		fprintf(
		    stderr,
		    "sluice-load: note: %s is gone and the kernel dropped the attachment; these "
		    "are its last counters (`sluice-load prune` forgets it)\n",
		    t.cgroup ? "the cgroup" : "the device (or its namespace)");
	if (st.ct_role == SL_CT_ROLE_COMPANION) {
		stats_companion(&v, &st, &t, json);
	} else {
		if (json)
			stats_json(&v, &st);
		else
			stats_text(&v, &st, &t);
		sl_limits_stats(t.pin_dir, m, json);
	}
	if (st.ct_role != SL_CT_ROLE_NONE)
		stats_flows(t.pin_dir, json);
	if (json)
		printf("}\n");
	if (v.counters_fd >= 0)
		close(v.counters_fd);
	if (v.carried_fd >= 0)
		close(v.carried_fd);
	return SL_EXIT_OK;
}
