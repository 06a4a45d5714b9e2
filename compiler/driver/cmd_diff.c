// SPDX-License-Identifier: GPL-2.0-only
/*
 * `sluice diff OLD NEW`: which packets the change treats differently
 * (compiler/analysis/diff.h), with example packets the reference
 * interpreter confirms.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/diff.h"
#include "driver/args.h"
#include "driver/commands.h"
#include "interp/interp.h"
#include "lib/compile.h"
#include "sluice/json.h"

struct diff_cli {
	const char *table;
	bool json, allow_drop, allow_depends, by_rule, stats;
	unsigned examples;
	size_t max_boxes, max_mib;
};

static void diff_usage(const struct sl_args *a, FILE *out)
{
	fprintf(
	    out,
	    "usage: sluice diff [OPTIONS] OLD.sluice NEW.sluice\n\n"
	    "The packets whose verdict differs between two policies, exactly (from the IR,\n"
	    "through chains and jumps), summarised as regions of header space, each with its\n"
	    "old and new verdict and the deciding rules on both sides. Either policy may be\n"
	    "`-` (standard input). What a named set (@set) holds is known only at run time:\n"
	    "a region that differs for some contents only says \"depends on set @name\".\n\n"
	    "  -t, --table=T        compare table T only\n"
	    "  -j, --json           JSON instead of text\n"
	    "  -e, --examples=N     N example packets per region (default 1; 0: none), each\n"
	    "                       checked with the reference interpreter\n"
	    "  -a, --allow=WHAT     drop: exit 1 only when some traffic is (or may be) newly\n"
	    "                       accepted; depends: not for differences that depend on\n"
	    "                       what named sets hold (comma-separated, repeatable)\n"
	    "  -r, --rules          also packets whose verdict stays but whose deciding rule\n"
	    "                       (counter) changes; rules are the same when their text is\n"
	    "      --max-boxes=N    give up (exit 2) past N boxes (default %u)\n"
	    "      --max-memory=MIB give up (exit 2) past MIB MiB of boxes (default %zu)\n"
	    "      --stats          boxes made and regions before and after merging, to stderr\n",
	    SL_DIFF_MAX_BOXES, SL_DIFF_MAX_BYTES >> 20);
	sl_args_help(a, out);
	fprintf(out, "\nexit status: 0 equivalent, 1 they differ (for some set contents too), 2 "
		     "errors\n(policies, usage, limits)\n");
}

/* The file of a location, for messages. */
static const char *limit_file(const struct sl_result *res, struct sl_loc loc)
{
	const struct sl_source *src = res->written->srcs && loc.file != UINT32_MAX
					  ? sl_sources_get(res->written->srcs, loc.file)
					  : NULL;

	return src && src->path ? src->path : "?";
}

/* Interface names are numbered by first use: diff compares policies that number them alike. */
static bool same_ifnames(const struct sl_ir *a, const struct sl_ir *b)
{
	if (a->nifnames != b->nifnames)
		return false;
	for (uint32_t i = 0; i < a->nifnames; i++)
		if (strcmp(a->ifnames[i].name, b->ifnames[i].name))
			return false;
	return true;
}

static int load(const char *arg, const struct sl_compile_opts *o, struct sl_result **res)
{
	__attribute__((cleanup(sl_policy_fini))) struct sl_policy policy = {0};
	int status;

	if (sl_policy_open(&policy, arg))
		return -EINVAL;
	status = sl_compile_front(policy.path, policy.text, policy.len, o, res);
	if (status != SL_COMPILE_OK || !*res || !(*res)->written) {
		fprintf(stderr, "sluice diff: error: %s does not compile\n", policy.path);
		return -EINVAL;
	}
	/* Set lookups are free booleans (analysis/README.md); a limit is not compared. */
	for (uint32_t c = 0; c < (*res)->written->nchains; c++) {
		for (uint32_t i = 0; i < (*res)->written->chains[c].nrules; i++) {
			const struct sl_ir_rule *r = &(*res)->written->chains[c].rules[i];

			if (r->limit) {
				/*
				 * Whether a limited rule decides depends on the traffic's rate:
				 * no region is exactly "old verdict X, new verdict Y".
				 */
				fprintf(
				    stderr,
				    "sluice diff: error: %s has a rule with `limit` (%s:%u): "
				    "sluice diff does not compare such policies (whether the rule "
				    "decides depends on the rate of the traffic)\n",
				    policy.path, limit_file(*res, r->loc), r->loc.line);
				return -EINVAL;
			}
		}
	}
	return 0;
}

/*
 * What a set holds is compared as unknown, whatever its declaration says:
 * say so when the declared elements of a set in both policies changed (the
 * loader's first contents), since no region will show it.
 */
static void note_changed_elements(const struct sl_ir *a, const struct sl_ir *b)
{
	for (uint32_t i = 0; i < a->nsets; i++) {
		const struct sl_ir_set *x = &a->sets[i], *y = sl_ir_set_find(b, x->name);

		if (y && (x->nkeys != y->nkeys || x->key_size != y->key_size ||
			  (x->nkeys && memcmp(x->keys, y->keys, (size_t)x->nkeys * x->key_size))))
			fprintf(
			    stderr,
			    "sluice diff: note: set @%s's declared elements changed: sluice diff "
			    "takes what a set holds as unknown, so no region shows it\n",
			    x->name);
	}
}

/* Rules by id (ids run 0 .. nrules-1): a policy's deciding rules are looked up per region. */
static const struct sl_ir_rule **rules_by_id(const struct sl_ir *ir)
{
	const struct sl_ir_rule **v = calloc(ir->nrules + 1, sizeof(*v));

	for (uint32_t c = 0; v && c < ir->nchains; c++)
		for (uint32_t i = 0; i < ir->chains[c].nrules; i++)
			if (ir->chains[c].rules[i].id < ir->nrules)
				v[ir->chains[c].rules[i].id] = &ir->chains[c].rules[i];
	return v;
}

static void loc_str(const struct sl_ir *ir, const struct sl_ir_rule **by_id, uint32_t rule,
		    char *buf, size_t n)
{
	const struct sl_ir_rule *r = rule < ir->nrules && by_id ? by_id[rule] : NULL;
	const struct sl_source *src = r ? sl_sources_get(ir->srcs, r->loc.file) : NULL;

	if (rule == SL_DIFF_POLICY)
		snprintf(buf, n, "table policy");
	else if (!r)
		snprintf(buf, n, "rule %u", rule);
	else
		snprintf(buf, n, "%s:%u:%u", src ? src->path : "?", r->loc.line, r->loc.col);
}

/* The region's fields that say more than its shape, in the IR's text form. */
static char *region_text(const struct sl_diff *d, enum sl_hook hook, const struct sl_diff_region *r)
{
	const struct sl_diff_shape *sh = &d->shapes[hook][r->shape];
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	bool any = false;

	if (!f)
		return NULL;
	fprintf(f, "%s", sh->name);
	for (unsigned fld = 0; fld < SL_FIELD_COUNT; fld++) {
		const struct sl_iset *s = sl_diff_box_get(&r->box, fld);
		const struct sl_iset *c = sl_diff_box_get(&sh->cons, fld);

		if (!s || (c && sl_iset_equal(*s, *c)))
			continue;
		fprintf(f, "%s", any ? ", " : "; ");
		any = true;
		if (fld == SL_FIELD_VLAN_ID) {
			bool none = sl_iset_contains(*s, SL_DIFF_VLAN_NONE);
			struct sl_interval tags[64];
			uint32_t n = 0;

			for (uint32_t i = 0; i < s->n && n < 64; i++) {
				tags[n] = s->iv[i];
				if (tags[n].hi == SL_DIFF_VLAN_NONE)
					tags[n].hi--;
				if (tags[n].lo <= tags[n].hi)
					n++;
			}
			if (n) {
				struct sl_ir_pred p = {.field = fld, .set = {n, tags}};
				sl_ir_dump_pred(&p, f);
			}
			fprintf(f, "%s", none ? (n ? " or untagged" : "untagged") : "");
			continue;
		}
		struct sl_ir_pred p = {.field = fld, .set = *s};
		sl_ir_dump_pred(&p, f);
	}
	fclose(f);
	return buf;
}

/* "ip saddr . tcp dport" */
static void lookup_key(FILE *f, const struct sl_diff_lookup *l)
{
	for (uint32_t i = 0; i < l->nfields; i++)
		fprintf(f, "%s%s", i ? " . " : "", sl_field_info(l->fields[i])->name);
}

/* Whether lookup b is the first of the region's deciding lookups into its set (a set is named
 * once however many keys look into it). */
static bool first_of_its_set(const struct sl_diff_region *r, unsigned b)
{
	for (unsigned j = 0; j < b; j++)
		if ((r->depends >> j & 1) && !strcmp(r->lookups[j].set, r->lookups[b].set))
			return false;
	return true;
}

/* "depends on set @a, @b: " (each set once), or "" when the region differs whatever they hold. */
static char *depends_text(const struct sl_diff_region *r)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return NULL;
	for (uint32_t m = r->depends, first = 1; m; m &= m - 1) {
		unsigned b = (unsigned)__builtin_ctz(m);

		if (!first_of_its_set(r, b))
			continue;
		fprintf(f, "%s@%s", first ? "depends on set " : ", ", r->lookups[b].set);
		first = 0;
	}
	if (r->depends)
		fprintf(f, ": ");
	fclose(f);
	return buf;
}

/* " if ip saddr in @a, ip daddr not in @b": the lookup results the verdicts assume. */
static char *assume_text(const struct sl_diff_region *r)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return NULL;
	for (uint32_t m = r->assumed; m; m &= m - 1) {
		unsigned b = (unsigned)__builtin_ctz(m);

		fprintf(f, "%s", m == r->assumed ? " if " : ", ");
		lookup_key(f, &r->lookups[b]);
		fprintf(f, " %s @%s", r->member >> b & 1 ? "in" : "not in", r->lookups[b].set);
	}
	if (r->assumed && !r->depends)
		fprintf(f, " (it differs whatever the sets hold)");
	fclose(f);
	return buf;
}

/*
 * A shallow copy of ir whose sets hold what region r assumes for example ex
 * (sl_diff_assume_sets()); *contradicts when no contents can. Free with
 * free_ir_copy().
 */
static struct sl_ir *with_assumed_sets(const struct sl_ir *ir, const struct sl_diff_region *r,
				       const struct sl_diff_example *ex, bool *contradicts)
{
	struct sl_ir *c = malloc(sizeof(*c));
	struct sl_ir_set *sets = calloc(ir->nsets + 1, sizeof(*sets));
	struct sl_ir_set_elem *elems = calloc(SL_DIFF_MAX_LOOKUPS + 1, sizeof(*elems));

	if (!c || !sets || !elems) {
		free(c), free(sets), free(elems);
		return NULL;
	}
	*c = *ir;
	c->sets = sets;
	c->nsets = ir->nsets;
	if (!sl_diff_assume_sets(ir, r, r->member, ex->value, sets, elems))
		*contradicts = true;
	sets[ir->nsets].elems = elems; /* for free_ir_copy() */
	return c;
}

static void free_ir_copy(struct sl_ir *c)
{
	if (!c)
		return;
	free((void *)c->sets[c->nsets].elems);
	free(c->sets);
	free(c);
}

/* " with @a = {ip saddr 10.0.0.1}, @b empty": the set contents an example assumes. */
static char *contents_text(const struct sl_diff_region *r, const struct sl_diff_example *ex)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return NULL;
	for (uint32_t m = r->assumed; m; m &= m - 1) {
		unsigned b = (unsigned)__builtin_ctz(m);
		const struct sl_diff_lookup *l = &r->lookups[b];
		bool seen = false, any = false;

		for (unsigned j = 0; j < b; j++)
			seen |= (r->assumed >> j & 1) && !strcmp(r->lookups[j].set, l->set);
		if (seen)
			continue;
		fprintf(f, "%s@%s", m == r->assumed ? "; with " : ", ", l->set);
		for (uint32_t n = r->assumed & r->member; n; n &= n - 1) {
			const struct sl_diff_lookup *k = &r->lookups[__builtin_ctz(n)];

			if (strcmp(k->set, l->set))
				continue;
			fprintf(f, "%s", any ? ", " : " = {");
			any = true;
			for (uint32_t i = 0; i < k->nfields; i++) {
				struct sl_interval iv = {ex->value[k->fields[i]],
							 ex->value[k->fields[i]]};
				struct sl_ir_pred p = {.field = k->fields[i], .set = {1, &iv}};

				fprintf(f, "%s", i ? " . " : "");
				sl_ir_dump_pred(&p, f);
			}
		}
		fprintf(f, "%s", any ? "}" : " empty");
	}
	fclose(f);
	return buf;
}

/* Whether field fld is a key field of a lookup the region assumes (the example's set
 * contents are written with its value: the reader needs it in the packet too). */
static bool assumed_key(const struct sl_diff_region *r, unsigned fld)
{
	for (uint32_t m = r->assumed; m; m &= m - 1) {
		const struct sl_diff_lookup *l = &r->lookups[__builtin_ctz(m)];

		for (uint32_t k = 0; k < l->nfields; k++)
			if (l->fields[k] == fld)
				return true;
	}
	return false;
}

/* The fields the region constrains (all of them with `all`), as the example has them; and
 * the key fields of the lookups it assumes. */

static char *example_text(const struct sl_diff_example *ex, const struct sl_diff_region *r,
			  bool all)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	bool first = true;

	if (!f)
		return NULL;
	for (unsigned fld = 0; fld < SL_FIELD_COUNT; fld++) {
		if (!ex->has[fld] || fld == SL_FIELD_ETHER_TYPE || fld == SL_FIELD_IP_PROTOCOL ||
		    fld == SL_FIELD_TH_SPORT || fld == SL_FIELD_TH_DPORT)
			continue;
		if (!all && fld != SL_FIELD_META_LENGTH && !sl_diff_box_get(&r->box, fld) &&
		    !assumed_key(r, fld))
			continue;
		struct sl_interval iv = {ex->value[fld], ex->value[fld]};
		struct sl_ir_pred p = {.field = fld, .set = {1, &iv}};
		fprintf(f, "%s", first ? "" : ", ");
		first = false;
		sl_ir_dump_pred(&p, f);
	}
	fclose(f);
	return buf;
}

/* The packet's bytes, and the connection state the example gives it; its length. */
static uint64_t example_fields(enum sl_hook hook, const struct sl_diff_example *ex,
			       struct sl_interp_fields *f)
{
	struct sl_interp_packet pkt = {.hook = hook,
				       .data = ex->data,
				       .len = ex->len,
				       .protocol = ex->protocol,
				       .ifindex = ex->ifindex};

	sl_interp_parse(&pkt, f);
	f->present[SL_FIELD_CT_STATE] = ex->has[SL_FIELD_CT_STATE];
	f->value[SL_FIELD_CT_STATE] = ex->value[SL_FIELD_CT_STATE];
	f->present[SL_FIELD_META_IFNAME] = true;
	f->value[SL_FIELD_META_IFNAME] = ex->value[SL_FIELD_META_IFNAME];
	return sl_interp_wire_length(&pkt);
}

static bool verdicts_are(const struct sl_diff_region *r, const struct sl_interp_result *a,
			 const struct sl_interp_result *b)
{
	return a->verdict == r->old_verdict && b->verdict == r->new_verdict &&
	       a->rule == r->old_rule && b->rule == r->new_rule;
}

/* The example through both policies: the region's verdicts and deciding rules? */
static bool run_both(const struct sl_ir *oi, uint32_t ot, const struct sl_ir *ni, uint32_t nt,
		     enum sl_hook hook, const struct sl_diff_region *r,
		     const struct sl_diff_example *ex)
{
	struct sl_interp_result a, b;
	struct sl_interp_fields f;
	uint64_t len = example_fields(hook, ex, &f);

	if (sl_interp_run_fields(oi, ot, &f, len, &a, NULL) ||
	    sl_interp_run_fields(ni, nt, &f, len, &b, NULL))
		return false;
	return verdicts_are(r, &a, &b);
}

/*
 * The interpreter's verdicts on the example must be the region's, with the
 * sets holding what the region assumes (with_assumed_sets()).
 */
static bool example_checks(const struct sl_ir *oi, uint32_t ot, const struct sl_ir *ni, uint32_t nt,
			   enum sl_hook hook, const struct sl_diff_region *r,
			   const struct sl_diff_example *ex, bool *contradicts)
{
	struct sl_ir *oc = NULL, *nc = NULL;
	bool ok;

	*contradicts = false;
	if (r->assumed) {
		oc = with_assumed_sets(oi, r, ex, contradicts);
		nc = with_assumed_sets(ni, r, ex, contradicts);
		if (!oc || !nc) {
			free_ir_copy(oc), free_ir_copy(nc);
			return false;
		}
		oi = oc, ni = nc;
	}
	ok = run_both(oi, ot, ni, nt, hook, r, ex);
	free_ir_copy(oc), free_ir_copy(nc);
	return ok;
}

/* "depends_on": the sets whose contents decide whether the packets differ; "assumes": the lookups'
 * results the verdicts hold under. */
static void print_json_lookups(const struct sl_diff_region *r)
{
	fprintf(stdout, ", \"depends_on\": [");
	for (uint32_t m = r->depends, first = 1; m; m &= m - 1) {
		unsigned b = (unsigned)__builtin_ctz(m);

		if (!first_of_its_set(r, b))
			continue;
		fprintf(stdout, "%s", first ? "" : ", ");
		sl_json_str(stdout, r->lookups[b].set);
		first = 0;
	}
	fprintf(stdout, "], \"assumes\": [");
	for (uint32_t m = r->assumed; m; m &= m - 1) {
		unsigned b = (unsigned)__builtin_ctz(m);
		char *key = NULL;
		size_t len = 0;
		FILE *f = open_memstream(&key, &len);

		if (f) {
			lookup_key(f, &r->lookups[b]);
			fclose(f);
		}
		fprintf(stdout, "%s{\"set\": ", m == r->assumed ? "" : ", ");
		sl_json_str(stdout, r->lookups[b].set);
		fprintf(stdout, ", \"key\": ");
		sl_json_str(stdout, key ? key : "");
		fprintf(stdout, ", \"member\": %s}", r->member >> b & 1 ? "true" : "false");
		free(key);
	}
	fprintf(stdout, "]");
}

/* An example packet and whether the interpreter confirms it. */
struct checked {
	int e; /* sl_diff_example()'s: -ERANGE when there is none */
	bool ok, contradicts;
	struct sl_diff_example ex;
};

/*
 * The `per` examples of every region of table t, checked: those of regions
 * without set lookups together (sl_interp_run_many(): a policy of 100,000
 * rules is read once per 64 examples, not once per example), the others
 * one by one with the set contents they assume. NULL: out of memory.
 */
static struct checked *check_table(const struct sl_ir *oi, const struct sl_ir *ni,
				   const struct sl_diff *d, const struct sl_diff_table *t,
				   unsigned per)
{
	size_t n = t->nregions * per, nb = 0;
	struct checked *c = calloc(n + 1, sizeof(*c));
	struct sl_interp_fields *f = malloc((n + 1) * sizeof(*f));
	uint64_t *len = malloc((n + 1) * sizeof(*len));
	size_t *at = malloc((n + 1) * sizeof(*at));
	struct sl_interp_result *ra = malloc((n + 1) * sizeof(*ra));
	struct sl_interp_result *rb = malloc((n + 1) * sizeof(*rb));

	for (size_t i = 0; c && f && len && at && ra && rb && i < n; i++) {
		const struct sl_diff_region *r = &t->regions[i / per];

		c[i].e = sl_diff_example(d, t->hook, r, (unsigned)(i % per), &c[i].ex);
		if (c[i].e)
			continue;
		if (r->assumed) {
			c[i].ok = example_checks(oi, t->old_index, ni, t->new_index, t->hook, r,
						 &c[i].ex, &c[i].contradicts);
			continue;
		}
		len[nb] = example_fields(t->hook, &c[i].ex, &f[nb]);
		at[nb++] = i;
	}
	if (c && f && len && at && ra && rb && nb &&
	    !sl_interp_run_many(oi, t->old_index, f, len, nb, ra) &&
	    !sl_interp_run_many(ni, t->new_index, f, len, nb, rb)) {
		for (size_t j = 0; j < nb; j++)
			c[at[j]].ok = verdicts_are(&t->regions[at[j] / per], &ra[j], &rb[j]);
	}
	if (!(f && len && at && ra && rb)) {
		free(c);
		c = NULL;
	}
	free(f), free(len), free(at), free(ra), free(rb);
	return c;
}

struct printer {
	const struct diff_cli *o;
	const struct sl_ir *oi, *ni;
	const struct sl_ir_rule **old_rules, **new_rules;
	bool first_table;
	int bad_examples;
	bool out_of_memory; /* for checking examples */
};

static void print_region(struct printer *p, const struct sl_diff *d, const struct sl_diff_table *t,
			 const struct sl_diff_region *r, const struct checked *ck, bool first)
{
	char ol[512], nl[512];
	char *text = region_text(d, t->hook, r);
	char *dep = depends_text(r), *assume = assume_text(r);

	loc_str(p->oi, p->old_rules, r->old_rule, ol, sizeof(ol));
	loc_str(p->ni, p->new_rules, r->new_rule, nl, sizeof(nl));
	if (p->o->json) {
		fprintf(stdout,
			"%s\n      {\"old\": {\"verdict\": \"%s\", \"by\": ", first ? "" : ",",
			sl_verdict_name(r->old_verdict));
		sl_json_str(stdout, ol);
		fprintf(stdout, "}, \"new\": {\"verdict\": \"%s\", \"by\": ",
			sl_verdict_name(r->new_verdict));
		sl_json_str(stdout, nl);
		fprintf(stdout, "}, \"packets\": ");
		sl_json_str(stdout, text);
		if (r->assumed)
			print_json_lookups(r);
		fprintf(stdout, ", \"examples\": [");
	} else if (r->old_verdict == r->new_verdict) {
		printf("  %sstill %s, by another rule (was by %s)%s: %s   %s\n", dep ? dep : "",
		       r->new_verdict == SL_VERDICT_ACCEPT ? "accepted" : "dropped", ol,
		       assume ? assume : "", text ? text : "?", nl);
	} else {
		printf("  %snow %s (was %s by %s)%s: %s   %s\n", dep ? dep : "",
		       r->new_verdict == SL_VERDICT_ACCEPT ? "accepted" : "dropped",
		       sl_verdict_name(r->old_verdict), ol, assume ? assume : "", text ? text : "?",
		       nl);
	}
	free(text), free(dep), free(assume);
	for (unsigned k = 0; ck && k < p->o->examples; k++) {
		const struct sl_diff_example *ex = &ck[k].ex;
		int e = ck[k].e;
		char *et = e ? NULL : example_text(ex, r, p->o->json);
		char *sets = e || !r->assumed ? NULL : contents_text(r, ex);
		bool contradicts = ck[k].contradicts, ok = !e && ck[k].ok;

		/* keys that coincide in this packet: no set contents give the assumed results */
		if (!e && !ok && !contradicts)
			p->bad_examples++;
		if (p->o->json) {
			fprintf(stdout, "%s{\"fields\": ", k ? ", " : "");
			sl_json_str(stdout, e ? "" : et);
			if (sets) {
				fprintf(stdout, ", \"sets\": ");
				sl_json_str(stdout, sets + strlen("; with "));
			}
			fprintf(stdout, ", \"checked\": %s, \"hex\": \"", ok ? "true" : "false");
			for (size_t i = 0; !e && i < ex->len; i++)
				fprintf(stdout, "%02x", ex->data[i]);
			fprintf(stdout, "\"}");
		} else if (e) {
			printf("    e.g. none: no packet of this shape has a meta length in the "
			       "region\n");
		} else {
			printf("    e.g. %s%s%s\n", et ? et : "?", sets ? sets : "",
			       ok ? ""
			       : contradicts
				   ? "  (not checked: lookups of one set with the same key "
				     "here cannot give the results assumed)"
				   : "  (the interpreter disagrees: a bug in sluice diff)");
		}
		free(et), free(sets);
	}
	if (p->o->json)
		fprintf(stdout, "]}");
}

/* Returns true when the table counts as a difference for the exit status. */
static bool print_table(struct printer *p, const struct sl_diff *d, const struct sl_diff_table *t)
{
	const char *status = t->old_index == UINT32_MAX	  ? "only in new"
			     : t->new_index == UINT32_MAX ? "only in old"
			     : t->hook_changed		  ? "hook changed"
							  : NULL;
	bool fails = status != NULL;

	if (p->o->json) {
		fprintf(stdout, "%s\n    {\"table\": ", p->first_table ? "" : ",");
		sl_json_str(stdout, t->name);
		fprintf(stdout, ", \"hook\": \"%s\", \"status\": \"%s\", \"regions\": [",
			sl_hook_name(t->hook),
			status	      ? status
			: t->nregions ? "differs"
				      : "equivalent");
	} else if (status) {
		printf("table %s: %s\n", t->name, status);
	} else if (t->nregions) {
		size_t dep = 0;

		for (size_t i = 0; i < t->nregions; i++)
			dep += t->regions[i].depends != 0;
		printf("table %s (%s): %zu region%s differ", t->name, sl_hook_name(t->hook),
		       t->nregions, t->nregions == 1 ? "" : "s");
		if (dep)
			printf(" (%zu of them only for some contents of named sets)", dep);
		printf("\n");
	}
	p->first_table = false;
	struct checked *ck =
	    t->nregions && p->o->examples ? check_table(p->oi, p->ni, d, t, p->o->examples) : NULL;
	if (t->nregions && p->o->examples && !ck)
		p->out_of_memory = true;
	for (size_t i = 0; i < t->nregions; i++) {
		const struct sl_diff_region *r = &t->regions[i];

		print_region(p, d, t, r, ck ? ck + i * p->o->examples : NULL, i == 0);
		/* each way a part can differ is a region of its own (diff.c): all are seen */
		bool accepts =
		    r->new_verdict == SL_VERDICT_ACCEPT && r->old_verdict == SL_VERDICT_DROP;
		if ((!p->o->allow_drop || accepts) && !(p->o->allow_depends && r->depends))
			fails = true;
	}
	if (p->o->json)
		fprintf(stdout, "]}");
	free(ck);
	return fails;
}

enum { OPT_MAX_BOXES = SL_ARGS_OWN, OPT_MAX_MEMORY };

/* A positive count in *out, or a usage error. */
static int positive(struct sl_args *a, const char *opt, const char *arg, size_t *out)
{
	char *end;

	errno = 0;
	*out = strtoull(arg, &end, 10);
	if (errno || *end || !*out || *arg == '-')
		return sl_args_error(a, "%s wants a positive number, not '%s'", opt, arg);
	return 0;
}

static int diff_opt(struct sl_args *a, int c, const char *arg)
{
	struct diff_cli *o = a->ctx;
	char *end;

	switch (c) {
	case 't':
		o->table = arg;
		return 0;
	case 'j':
		o->json = true;
		return 0;
	case 'r':
		o->by_rule = true;
		return 0;
	case 'e':
		o->examples = (unsigned)strtoul(arg, &end, 10);
		if (*end || !*arg || *arg == '-' || o->examples > 100)
			return sl_args_error(a, "--examples wants 0..100, not '%s'", arg);
		return 0;
	case 'a':
		for (const char *w = arg;; w += strcspn(w, ",") + 1) {
			size_t n = strcspn(w, ",");

			if (n == 4 && !strncmp(w, "drop", n))
				o->allow_drop = true;
			else if (n == 7 && !strncmp(w, "depends", n))
				o->allow_depends = true;
			else
				return sl_args_error(
				    a, "--allow knows 'drop' and 'depends', not '%s'", arg);
			if (!w[n])
				break;
		}
		return 0;
	case OPT_MAX_BOXES:
		return positive(a, "--max-boxes", arg, &o->max_boxes);
	case OPT_MAX_MEMORY:
		return positive(a, "--max-memory", arg, &o->max_mib);
	}
	return -1;
}

int sl_cmd_diff(int argc, char **argv)
{
	static const struct option own[] = {
	    {"table", required_argument, NULL, 't'},
	    {"json", no_argument, NULL, 'j'},
	    {"examples", required_argument, NULL, 'e'},
	    {"allow", required_argument, NULL, 'a'},
	    {"rules", no_argument, NULL, 'r'},
	    {"max-boxes", required_argument, NULL, OPT_MAX_BOXES},
	    {"max-memory", required_argument, NULL, OPT_MAX_MEMORY},
	    {0},
	};
	struct diff_cli o = {.examples = 1};
	__attribute__((cleanup(sl_args_fini))) struct sl_args a = {
	    .cmd = "diff",
	    .groups = SL_ARGS_WARN | SL_ARGS_STATS,
	    .own = own,
	    .own_short = "t:je:a:r",
	    .own_opt = diff_opt,
	    .ctx = &o,
	    .usage = diff_usage,
	    /* the policies' warnings are check's business; -W still fails on them */
	    .compile = {.quiet_warnings = true},
	};
	struct sl_result *ra = NULL, *rb = NULL;
	struct sl_diff *d = NULL;
	const struct sl_ir_rule **old_rules = NULL, **new_rules = NULL;
	char err[512] = "";
	int r, code;

	code = sl_args_parse(&a, argc, argv);
	if (code >= 0)
		return code;
	if (a.ninputs != 2)
		return sl_args_error(&a, "needs two policies, OLD and NEW (got %d)", a.ninputs);
	if (!strcmp(a.inputs[0], "-") && !strcmp(a.inputs[1], "-"))
		return sl_args_error(&a, "only one policy can be standard input");
	o.stats = a.stats;
	a.compile.diag = stderr;
	code = SL_EXIT_USAGE;
	if (load(a.inputs[0], &a.compile, &ra) || load(a.inputs[1], &a.compile, &rb))
		goto out;

	if (!same_ifnames(ra->written, rb->written)) {
		fprintf(stderr,
			"sluice diff: error: the policies name different interfaces (meta "
			"iifname ...); diff compares policies whose interface names are the "
			"same, in the same order of first use\n");
		goto out;
	}
	note_changed_elements(ra->written, rb->written);
	struct sl_diff_opts dopts = {.table = o.table,
				     .max_boxes = o.max_boxes,
				     .max_bytes = o.max_mib << 20,
				     .by_rule = o.by_rule};
	r = sl_diff_run(ra->written, rb->written, &dopts, &d, err, sizeof(err));
	if (r) {
		fprintf(stderr, "sluice diff: error: %s\n", err[0] ? err : strerror(-r));
		goto out;
	}

	if (o.stats) {
		size_t raw = 0, merged = 0;

		for (size_t i = 0; i < d->ntables; i++)
			raw += d->tables[i].raw_regions, merged += d->tables[i].nregions;
		fprintf(stderr, "sluice diff: %zu boxes, %zu regions, %zu after merging\n",
			d->boxes, raw, merged);
	}
	old_rules = rules_by_id(ra->written);
	new_rules = rules_by_id(rb->written);
	struct printer p = {&o, ra->written, rb->written, old_rules, new_rules, true, 0, false};
	bool fails = false;
	if (o.json) {
		printf("{\"old\": ");
		sl_json_str(stdout, a.inputs[0]);
		printf(", \"new\": ");
		sl_json_str(stdout, a.inputs[1]);
		printf(", \"tables\": [");
	}
	for (size_t i = 0; i < d->ntables; i++)
		fails |= print_table(&p, d, &d->tables[i]);
	bool differ = false;
	for (size_t i = 0; i < d->ntables; i++)
		differ |= d->tables[i].nregions || d->tables[i].hook_changed ||
			  d->tables[i].old_index == UINT32_MAX ||
			  d->tables[i].new_index == UINT32_MAX;
	if (o.json)
		printf("\n  ], \"equivalent\": %s}\n", differ ? "false" : "true");
	else if (!differ)
		printf("equivalent: no packet is treated differently\n");
	if (p.out_of_memory) {
		fprintf(stderr, "sluice diff: error: out of memory checking the examples\n");
		goto out;
	}
	if (p.bad_examples) {
		fprintf(stderr, "sluice diff: error: %d example(s) contradict the interpreter\n",
			p.bad_examples);
		goto out;
	}
	code = fails ? SL_EXIT_POLICY : SL_EXIT_OK;
out:
	free(old_rules);
	free(new_rules);
	sl_diff_free(d);
	sl_result_free(ra);
	sl_result_free(rb);
	return code;
}
