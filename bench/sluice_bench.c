// SPDX-License-Identifier: GPL-2.0-only
/*
 * sluice-bench: the measuring half of bench/run.
 *
 *   sluice-bench exec --result KV [--log FILE] [--timeout S] -- CMD...
 *       runs a compiler, records wall time, peak RSS (wait4 rusage) and status.
 *   sluice-bench measure --rules F --trace F [options] NAME:OBJECT[:KV]...
 *       loads each object (verifier cost or rejection), checks every verdict on
 *       every trace packet against the naive first-match scan of the rule file
 *       (the correctness guard), times the objects with BPF_PROG_TEST_RUN and
 *       prints one CSV row per object.
 *
 * No figure is reported for an object that fails the guard.
 */
#define _GNU_SOURCE
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <linux/bpf.h>
#include <linux/if_link.h>
#include <math.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "classbench.h"
#include "packet.h"
#include "tss.h"
#include "common/util.h"

#define XDP_DROP_RC	  1
#define XDP_PASS_RC	  2
#define VERIFIER_LOG_SIZE (4u << 20)
#define TARGET_CALL_NS	  20000.0 /* aim for ~20 us of program runs per test-run call */
#define CALL_OVERHEAD_NS  2000.0
/* Without the attachment trick below every repeated test run costs an RCU grace period. */
#define SLOW_CALL_OVERHEAD_NS 25e6
#define LOOPBACK_IFINDEX      1
#define MAX_REPEAT	      5000
#define MAX_MISMATCH_REPORTS  5
#define MAX_PROBES	      8

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* ---- exec: run a compiler under wait4 ---- */

struct exec_opts {
	const char *result, *log;
	double timeout;
	char **argv;
};

static int spawn(const struct exec_opts *o, pid_t *pid)
{
	*pid = fork();
	if (*pid < 0)
		return -errno;
	if (*pid == 0) {
		sigset_t none;

		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		setpgid(0, 0);
		if (o->log) {
			int fd = open(o->log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

			if (fd < 0 || dup2(fd, 1) < 0 || dup2(fd, 2) < 0)
				_exit(126);
		}
		execvp(o->argv[0], o->argv);
		fprintf(stderr, "sluice-bench: cannot run '%s': %s\n", o->argv[0], strerror(errno));
		_exit(127);
	}
	setpgid(*pid, *pid);
	return 0;
}

/* Wait for the child, killing its process group at the deadline. */
static int wait_child(pid_t pid, double timeout, int *status, struct rusage *ru, bool *timed_out)
{
	double deadline = timeout > 0 ? now_s() + timeout : 0;
	sigset_t chld;

	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	*timed_out = false;
	for (;;) {
		pid_t got = wait4(pid, status, WNOHANG, ru);

		if (got == pid)
			return 0;
		if (got < 0 && errno != EINTR)
			return -errno;
		double left = deadline ? deadline - now_s() : 1.0;

		if (deadline && left <= 0 && !*timed_out) {
			kill(-pid, SIGKILL);
			*timed_out = true;
			continue;
		}
		if (left > 0.5 || *timed_out)
			left = 0.5;
		struct timespec ts = {(time_t)left, (long)((left - (time_t)left) * 1e9)};

		sigtimedwait(&chld, NULL, &ts);
	}
}

static int cmd_exec(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"result", required_argument, NULL, 'r'},
	    {"log", required_argument, NULL, 'l'},
	    {"timeout", required_argument, NULL, 't'},
	    {0},
	};
	struct exec_opts o = {0};
	struct rusage ru = {0};
	bool timed_out;
	sigset_t chld;
	double start, wall;
	int c, status = 0, r;
	pid_t pid;
	FILE *f;

	while ((c = getopt_long(argc, argv, "+", longopts, NULL)) != -1) {
		switch (c) {
		case 'r':
			o.result = optarg;
			break;
		case 'l':
			o.log = optarg;
			break;
		case 't':
			o.timeout = atof(optarg);
			break;
		default:
			return 2;
		}
	}
	if (!o.result || optind >= argc) {
		fprintf(stderr,
			"usage: sluice-bench exec --result KV [--log F] [--timeout S] -- CMD...\n");
		return 2;
	}
	o.argv = argv + optind;
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	sigprocmask(SIG_BLOCK, &chld, NULL);
	start = now_s();
	r = spawn(&o, &pid);
	if (!r)
		r = wait_child(pid, o.timeout, &status, &ru, &timed_out);
	wall = now_s() - start;
	if (r) {
		fprintf(stderr, "sluice-bench: exec: %s\n", strerror(-r));
		return 2;
	}
	f = fopen(o.result, "w");
	if (!f) {
		fprintf(stderr, "sluice-bench: cannot write '%s': %s\n", o.result, strerror(errno));
		return 2;
	}
	fprintf(f, "status=%s\n",
		timed_out				    ? "timeout"
		: WIFEXITED(status) && !WEXITSTATUS(status) ? "ok"
							    : "failed");
	fprintf(f, "exit=%d\n", WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
	fprintf(f, "wall_s=%.6f\nmaxrss_kb=%ld\n", wall, ru.ru_maxrss);
	fclose(f);
	return 0;
}

/* ---- measure ---- */

struct variant {
	const char *name, *object, *kv;
	/* compile */
	char compile_status[32];
	double compile_s;
	long compile_rss_kb;
	/* object and load */
	long object_bytes;
	long map_bytes; /* the maps' keys and values at their sizes (max_entries) */
	long insns;
	const char *status;
	double verifier_ms, load_ms;
	long verified_insns;
	char note[512];
	char compile_note[512]; /* from the compile KV */
	/* guard and timing */
	const char *guard;
	size_t mismatches;
	double est_ns;
	size_t timed, repeat, rounds;
	double ns_median, ns_min, ns_max;
	double round_ns[64];
	uint32_t *pkt_ns; /* --per-packet: rounds x timed, each packet's ns per run */
	bool timed_ok;
	bool attached;
	struct bpf_object *obj; /* loaded and guarded, waiting to be timed */
	int fd;
};

struct measure_opts {
	const char *rules, *trace, *set, *csv, *floor, *baseline;
	/* variants timed without the guard: lower bounds that decide nothing (--probe) */
	const char *probe[MAX_PROBES];
	size_t nprobes;
	/* the tuple-space search baseline: its tables are built here and filled after the load */
	const char *tss;
	const char *per_packet; /* --per-packet FILE */
	size_t limit, packets, rounds;
	int cpu;
	double budget_s;
	bool header;
	enum cb_family family;
};

struct workload {
	struct cb_rules rules;
	struct cb_trace trace;
	uint8_t (*pkts)[CB_PACKET_MAX];
	uint32_t *pkt_len;
	int *expected_rc;
	size_t matched;
	size_t *sample;
	size_t nsample;
};

static char libbpf_last[512];

static bool is_probe(const struct measure_opts *o, const char *name)
{
	for (size_t i = 0; i < o->nprobes; i++)
		if (!strcmp(o->probe[i], name))
			return true;
	return false;
}

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level == LIBBPF_DEBUG)
		return 0;
	vsnprintf(libbpf_last, sizeof(libbpf_last), fmt, ap);
	return 0;
}

static void read_kv(struct variant *v)
{
	char line[1024];
	FILE *f;

	snprintf(v->compile_status, sizeof(v->compile_status), "%s", v->kv ? "missing" : "n/a");
	if (!v->kv || !*v->kv)
		return;
	f = fopen(v->kv, "r");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		if (!strncmp(line, "status=", 7))
			snprintf(v->compile_status, sizeof(v->compile_status), "%.31s", line + 7);
		else if (!strncmp(line, "wall_s=", 7))
			v->compile_s = atof(line + 7);
		else if (!strncmp(line, "maxrss_kb=", 10))
			v->compile_rss_kb = atol(line + 10);
		else if (!strncmp(line, "note=", 5))
			snprintf(v->compile_note, sizeof(v->compile_note), "%.500s", line + 5);
	}
	fclose(f);
}

/* The verifier's own words for a rejection: the last lines before its statistics. */
static void rejection_reason(const char *log, char *out, size_t size)
{
	const char *lines[3] = {0};
	size_t lens[3] = {0};
	const char *p = log;

	while (*p) {
		const char *nl = strchrnul(p, '\n');

		if (nl > p && strncmp(p, "processed ", 10) && strncmp(p, "verification time", 17) &&
		    strncmp(p, "stack depth", 11) && strncmp(p, "-- END PROG LOAD LOG --", 23)) {
			memmove(lines, lines + 1, 2 * sizeof(*lines));
			memmove(lens, lens + 1, 2 * sizeof(*lens));
			lines[2] = p;
			lens[2] = nl - p;
		}
		p = *nl ? nl + 1 : nl;
	}
	out[0] = '\0';
	for (int i = 1; i < 3; i++) {
		if (!lines[i])
			continue;
		size_t used = strlen(out);

		snprintf(out + used, size - used, "%s%.*s", used ? " | " : "", (int)lens[i],
			 lines[i]);
	}
}

static void parse_verifier_log(struct variant *v, const char *log)
{
	const char *p;

	p = strstr(log, "verification time ");
	if (p)
		v->verifier_ms = atof(p + strlen("verification time ")) / 1000.0;
	p = strstr(log, "processed ");
	if (p && v->verified_insns < 0)
		v->verified_insns = atol(p + strlen("processed "));
}

static long map_bytes(struct bpf_object *obj)
{
	struct bpf_map *map;
	long sum = 0;

	bpf_object__for_each_map(map, obj) sum +=
	    (long)bpf_map__max_entries(map) * (bpf_map__key_size(map) + bpf_map__value_size(map));
	return sum;
}

static int update_all(struct bpf_object *obj, const char *name, const void *keys,
		      const void *values, size_t n)
{
	struct bpf_map *map = bpf_object__find_map_by_name(obj, name);
	LIBBPF_OPTS(bpf_map_batch_opts, opts);
	__u32 count = (__u32)n;

	if (!map)
		return -ENOENT;
	if (!n)
		return 0;
	if (bpf_map_update_batch(bpf_map__fd(map), keys, values, &count, &opts))
		return -errno;
	return count == n ? 0 : -EIO;
}

/* Size the tuple-space search's maps before the load. */
static int tss_size(struct bpf_object *obj, const struct tss_tables *t)
{
	struct bpf_map *entries = bpf_object__find_map_by_name(obj, "entries");
	struct bpf_map *rules = bpf_object__find_map_by_name(obj, "rules");
	struct bpf_map *tuples = bpf_object__find_map_by_name(obj, "tuples");

	if (!entries || !rules || !tuples)
		return -ENOENT;
	if (bpf_map__set_max_entries(tuples, t->ntuples ? (__u32)t->ntuples : 1) ||
	    bpf_map__set_max_entries(entries, t->nentries ? (__u32)t->nentries : 1) ||
	    bpf_map__set_max_entries(rules, t->nrules ? (__u32)t->nrules : 1))
		return -EINVAL;
	return 0;
}

/* Fill them after it: tuples, entries, candidate rules, the configuration. */
static int tss_fill(struct bpf_object *obj, const struct tss_tables *t)
{
	struct tss_config cfg = {(__u32)t->ntuples, t->non_ip4_verdict};
	size_t nidx = t->ntuples > t->nrules ? t->ntuples : t->nrules;
	_cleanup_free_ __u32 *idx = calloc(nidx ? nidx : 1, sizeof(*idx));
	__u32 zero = 0;
	int r;

	if (!idx)
		return -ENOMEM;
	for (size_t i = 0; i < nidx; i++)
		idx[i] = (__u32)i;
	r = update_all(obj, "tuples", idx, t->tuples, t->ntuples);
	if (!r)
		r = update_all(obj, "rules", idx, t->rules, t->nrules);
	if (!r)
		r = update_all(obj, "entries", t->keys, t->lists, t->nentries);
	if (!r)
		r = update_all(obj, "config", &zero, &cfg, 1);
	return r;
}

static int load_object(struct variant *v, struct bpf_object **objp, int *prog_fd,
		       const struct tss_tables *tss)
{
	_cleanup_free_ char *log = calloc(1, VERIFIER_LOG_SIZE);
	struct bpf_prog_info info = {0};
	__u32 info_len = sizeof(info);
	struct bpf_program *prog;
	struct bpf_object *obj;
	struct bpf_map *map;
	struct stat st;
	double start;
	int r;

	if (!log)
		return -ENOMEM;
	if (stat(v->object, &st) == 0)
		v->object_bytes = st.st_size;
	libbpf_last[0] = '\0';
	obj = bpf_object__open_file(v->object, NULL);
	if (!obj) {
		r = -errno;
		v->status = "open-failed";
		snprintf(v->note, sizeof(v->note), "libbpf cannot open the object: %s %.400s",
			 strerror(-r), libbpf_last);
		return r;
	}
	prog = bpf_object__next_program(obj, NULL);
	if (!prog) {
		v->status = "open-failed";
		snprintf(v->note, sizeof(v->note), "the object holds no program");
		bpf_object__close(obj);
		return -ENOENT;
	}
	v->insns = 0;
	bpf_object__for_each_program(prog, obj)
	{
		v->insns += bpf_program__insn_cnt(prog);
		bpf_program__set_type(prog, BPF_PROG_TYPE_XDP);
	}
	prog = bpf_object__next_program(obj, NULL);
	bpf_program__set_log_buf(prog, log, VERIFIER_LOG_SIZE);
	bpf_program__set_log_level(prog, 4); /* statistics and errors, not the whole trace */
	/* Never pin anything from the bench: no state may outlive it. */
	bpf_object__for_each_map(map, obj) bpf_map__set_pin_path(map, NULL);
	if (tss && (r = tss_size(obj, tss))) {
		v->status = "open-failed";
		snprintf(v->note, sizeof(v->note), "not a tuple-space search object: %s",
			 strerror(-r));
		bpf_object__close(obj);
		return r;
	}
	start = now_s();
	r = bpf_object__load(obj);
	v->load_ms = (now_s() - start) * 1000.0;
	parse_verifier_log(v, log);
	if (r) {
		v->status = "rejected";
		rejection_reason(log, v->note, sizeof(v->note));
		if (!v->note[0])
			snprintf(v->note, sizeof(v->note), "%s %.400s", strerror(-r), libbpf_last);
		bpf_object__close(obj);
		return r;
	}
	v->map_bytes = map_bytes(obj);
	if (tss && (r = tss_fill(obj, tss))) {
		v->status = "run-failed";
		snprintf(v->note, sizeof(v->note), "filling the tuple-space tables failed: %s",
			 strerror(-r));
		bpf_object__close(obj);
		return r;
	}
	*prog_fd = bpf_program__fd(prog);
	if (!bpf_obj_get_info_by_fd(*prog_fd, &info, &info_len) && info.verified_insns)
		v->verified_insns = info.verified_insns;
	*objp = obj;
	return 0;
}

static int run_once(int fd, const uint8_t *pkt, uint32_t len, int repeat, int *rc, __u32 *ns)
{
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = pkt, .data_size_in = len, .repeat = repeat);
	int r = bpf_prog_test_run_opts(fd, &opts);

	*rc = (int)opts.retval;
	*ns = opts.duration;
	if (r)
		return -errno;
	*ns = opts.duration;
	return 0;
}

static void report_mismatch(const struct workload *w, size_t i, int got)
{
	const struct cb_header *h = &w->trace.v[i];

	fprintf(stderr,
		"  MISMATCH packet %zu (src %u dst %u sport %u dport %u proto %u): expected %s "
		"(rule %ld), the object returned %d\n",
		i, h->src, h->dst, h->sport, h->dport, h->proto,
		w->expected_rc[i] == XDP_PASS_RC ? "XDP_PASS" : "XDP_DROP",
		cb_first_match(&w->rules, h), got);
}

/* Every verdict on every packet of the trace, against the reference. */
static int guard(struct variant *v, const struct workload *w, int fd, bool check)
{
	double sum = 0;

	v->mismatches = 0;
	for (size_t i = 0; i < w->trace.n; i++) {
		__u32 ns = 0;
		int rc = 0, r;

		r = run_once(fd, w->pkts[i], w->pkt_len[i], 1, &rc, &ns);
		if (r) {
			v->status = "run-failed";
			snprintf(v->note, sizeof(v->note), "BPF_PROG_TEST_RUN: %s", strerror(-r));
			return r;
		}
		sum += ns;
		if (check && rc != w->expected_rc[i]) {
			if (v->mismatches < MAX_MISMATCH_REPORTS)
				report_mismatch(w, i, rc);
			v->mismatches++;
		}
	}
	v->est_ns = w->trace.n ? sum / w->trace.n : 0;
	v->guard = !check ? "n/a" : v->mismatches ? "FAILED" : "ok";
	return 0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* How many packets, how many runs each: what fits the time budget. */
static void plan_timing(struct variant *v, const struct workload *w, const struct measure_opts *o)
{
	double est = v->est_ns > 1 ? v->est_ns : 1, per_call;
	size_t repeat = (size_t)(TARGET_CALL_NS / est), n;

	repeat = repeat < 1 ? 1 : repeat > MAX_REPEAT ? MAX_REPEAT : repeat;
	per_call = est * repeat + (v->attached ? CALL_OVERHEAD_NS : SLOW_CALL_OVERHEAD_NS);
	n = (size_t)(o->budget_s * 1e9 / (per_call * o->rounds));
	n = n < 10 ? 10 : n;
	n = n > w->nsample ? w->nsample : n;
	v->repeat = repeat;
	v->rounds = 0;
	v->timed = n;
}

/* One round: the mean over the timed packets of the kernel's time per run. */
static int time_round(struct variant *v, const struct workload *w)
{
	double sum = 0;

	for (size_t j = 0; j < v->timed; j++) {
		/* spread the timed packets evenly over the sample */
		size_t i = w->sample[j * w->nsample / v->timed];
		__u32 ns = 0;
		int rc = 0, r;

		r = run_once(v->fd, w->pkts[i], w->pkt_len[i], (int)v->repeat, &rc, &ns);
		if (r) {
			v->status = "run-failed";
			snprintf(v->note, sizeof(v->note), "BPF_PROG_TEST_RUN: %s", strerror(-r));
			return r;
		}
		if (v->pkt_ns)
			v->pkt_ns[v->rounds * v->timed + j] = ns;
		sum += ns;
	}
	v->round_ns[v->rounds++] = sum / v->timed;
	return 0;
}

static void summarise_rounds(struct variant *v)
{
	double *r = v->round_ns;
	size_t k = v->rounds;

	qsort(r, k, sizeof(double), cmp_double);
	v->ns_min = r[0];
	v->ns_max = r[k - 1];
	v->ns_median = k % 2 ? r[k / 2] : (r[k / 2 - 1] + r[k / 2]) / 2;
	v->timed_ok = true;
}

/*
 * BPF_PROG_TEST_RUN with repeat > 1 puts an XDP program into the kernel's XDP
 * dispatcher and takes it out again afterwards, each time waiting for an RCU
 * grace period (~20 ms of sleep per call, outside the measured time but ruinous
 * for the wall clock). When the program is attached to a device it stays in
 * the dispatcher and those calls become cheap. So attach it (generic mode) to
 * the loopback device of the bench's private network namespace (see
 * enter_private_netns): no traffic flows there, and the namespace and the
 * attachment vanish with the process whatever happens.
 */
static bool attach_to_private_lo(int fd)
{
	return bpf_xdp_attach(LOOPBACK_IFINDEX, fd, XDP_FLAGS_SKB_MODE, NULL) == 0;
}

static void variant_close(struct variant *v)
{
	bpf_object__close(v->obj);
	v->obj = NULL;
	v->fd = -1;
}

/* Compile figures, load (verifier), correctness guard; keeps the object loaded when it passed. */
static void check_variant(struct variant *v, const struct workload *w, const struct measure_opts *o,
			  bool is_floor)
{
	struct tss_tables tables;

	v->verified_insns = -1;
	v->insns = -1;
	v->object_bytes = -1;
	v->map_bytes = -1;
	v->fd = -1;
	v->guard = "n/a";
	read_kv(v);
	if (strcmp(v->compile_status, "ok") && strcmp(v->compile_status, "n/a")) {
		v->status = !strcmp(v->compile_status, "timeout")   ? "compile-timeout"
			    : !strcmp(v->compile_status, "skipped") ? "skipped"
								    : "compile-failed";
		return;
	}
	fprintf(stderr, "  %s: loading %s\n", v->name, v->object);
	if (o->tss && !strcmp(v->name, o->tss)) {
		double start = now_s();
		int r = tss_build(&w->rules, &tables);

		if (r) {
			v->status = "compile-failed";
			snprintf(v->compile_status, sizeof(v->compile_status), "failed");
			snprintf(v->note, sizeof(v->note), "building the tuple-space tables: %s",
				 strerror(-r));
			return;
		}
		r = load_object(v, &v->obj, &v->fd, &tables);
		/* its "compilation": building the tables and filling the maps */
		v->compile_s = now_s() - start - v->load_ms / 1000.0;
		snprintf(v->compile_status, sizeof(v->compile_status), "ok");
		snprintf(v->compile_note, sizeof(v->compile_note),
			 "%zu tuples, %zu keys, %zu candidates (at most %d per key)",
			 tables.ntuples, tables.nentries, tables.nrules, TSS_MAX_CANDIDATES);
		tss_tables_free(&tables);
		if (r)
			return;
	} else if (load_object(v, &v->obj, &v->fd, NULL)) {
		return;
	}
	v->status = "ok";
	v->attached = attach_to_private_lo(v->fd);
	if (guard(v, w, v->fd, !is_floor)) {
		variant_close(v);
	} else if (v->mismatches) {
		v->status = "wrong-verdicts";
		snprintf(v->note, sizeof(v->note),
			 "%zu of %zu verdicts differ from the first-match reference: no figures "
			 "reported",
			 v->mismatches, w->trace.n);
		fprintf(stderr, "  %s: %s\n", v->name, v->note);
		variant_close(v);
	} else {
		plan_timing(v, w, o);
	}
	if (v->attached)
		bpf_xdp_detach(LOOPBACK_IFINDEX, XDP_FLAGS_SKB_MODE, NULL);
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* --per-packet: "variant,trace index,ns" per timed packet, the median of its rounds. */
static void write_per_packet(const struct variant *v, const struct workload *w, const char *path)
{
	FILE *f = fopen(path, "a");
	uint32_t r[64];

	if (!f) {
		fprintf(stderr, "sluice-bench: %s: %s\n", path, strerror(errno));
		return;
	}
	for (size_t j = 0; j < v->timed; j++) {
		for (size_t k = 0; k < v->rounds; k++)
			r[k] = v->pkt_ns[k * v->timed + j];
		qsort(r, v->rounds, sizeof(*r), cmp_u32);
		fprintf(f, "%s,%zu,%.1f\n", v->name, w->sample[j * w->nsample / v->timed],
			v->rounds % 2 ? r[v->rounds / 2]
				      : (r[v->rounds / 2 - 1] + r[v->rounds / 2]) / 2.0);
	}
	fclose(f);
}

/*
 * Round k of every object before round k + 1 of any: a slow phase of a shared
 * machine then spreads over all objects instead of biasing the last ones.
 */
static void time_variants(struct variant *vars, size_t nvars, const struct workload *w,
			  const struct measure_opts *o)
{
	for (size_t i = 0; o->per_packet && i < nvars; i++)
		if (vars[i].obj)
			vars[i].pkt_ns = calloc(o->rounds * vars[i].timed + 1, sizeof(uint32_t));
	for (size_t k = 0; k < o->rounds; k++) {
		for (size_t i = 0; i < nvars; i++) {
			struct variant *v = &vars[i];

			if (!v->obj)
				continue;
			v->attached = attach_to_private_lo(v->fd);
			if (time_round(v, w))
				variant_close(v);
			if (v->attached)
				bpf_xdp_detach(LOOPBACK_IFINDEX, XDP_FLAGS_SKB_MODE, NULL);
		}
	}
	for (size_t i = 0; i < nvars; i++) {
		struct variant *v = &vars[i];

		if (!v->obj)
			continue;
		summarise_rounds(v);
		fprintf(stderr, "  %s: %.1f ns/packet (median of %zu rounds)\n", v->name,
			v->ns_median, v->rounds);
		if (v->pkt_ns && v->rounds == o->rounds)
			write_per_packet(v, w, o->per_packet);
		free(v->pkt_ns);
		v->pkt_ns = NULL;
		variant_close(v);
	}
}

/*
 * On IPv6, protocol numbers 0, 43, 44, 51 and 60 announce extension headers,
 * which sluice walks to the upper-layer protocol (lang-spec): a header with
 * such a protocol has no IPv6 form, so the IPv6 workload leaves it out.
 */
static void drop_ip6_extension_headers(struct cb_trace *t)
{
	size_t kept = 0;

	for (size_t i = 0; i < t->n; i++)
		if (!cb_ip6_extension_header(t->v[i].proto))
			t->v[kept++] = t->v[i];
	if (kept < t->n)
		fprintf(stderr,
			"sluice-bench: %zu trace headers left out: their protocol is an "
			"IPv6 extension header\n",
			t->n - kept);
	t->n = kept;
}

static int prepare_workload(const struct measure_opts *o, struct workload *w)
{
	struct sl_sources srcs;
	struct sl_diag diag;
	int r;

	sl_sources_init(&srcs);
	sl_diag_init(&diag, &srcs, stderr);
	r = cb_rules_load(o->rules, o->limit, &srcs, &diag, &w->rules);
	if (!r)
		r = cb_trace_load(o->trace, &srcs, &diag, &w->trace);
	sl_sources_fini(&srcs);
	if (r)
		return r;
	if (o->family == CB_IP6)
		drop_ip6_extension_headers(&w->trace);
	if (!w->trace.n) {
		fprintf(stderr, "sluice-bench: the trace '%s' is empty\n", o->trace);
		return -EINVAL;
	}
	w->pkts = calloc(w->trace.n, sizeof(*w->pkts));
	w->pkt_len = calloc(w->trace.n, sizeof(*w->pkt_len));
	w->expected_rc = calloc(w->trace.n, sizeof(*w->expected_rc));
	w->nsample = o->packets && o->packets < w->trace.n ? o->packets : w->trace.n;
	w->sample = calloc(w->nsample, sizeof(*w->sample));
	if (!w->pkts || !w->pkt_len || !w->expected_rc || !w->sample)
		return -ENOMEM;
	for (size_t i = 0; i < w->trace.n; i++) {
		long m = cb_first_match_hinted(&w->rules, &w->trace.v[i]);

		w->pkt_len[i] = (uint32_t)cb_packet_build(&w->trace.v[i], o->family, w->pkts[i]);
		w->expected_rc[i] = m < 0 || cb_rule_drops((size_t)m) ? XDP_DROP_RC : XDP_PASS_RC;
		w->matched += m >= 0;
	}
	/* A deterministic, evenly spread sample of the trace for timing. */
	for (size_t j = 0; j < w->nsample; j++)
		w->sample[j] = j * w->trace.n / w->nsample;
	return 0;
}

static void workload_free(struct workload *w)
{
	cb_rules_free(&w->rules);
	cb_trace_free(&w->trace);
	free(w->pkts);
	free(w->pkt_len);
	free(w->expected_rc);
	free(w->sample);
}

static void csv_text(FILE *f, const char *s)
{
	fputc('"', f);
	for (; s && *s; s++) {
		if (*s == '"')
			fputc('"', f);
		fputc(*s == '\n' || *s == '\r' ? ' ' : *s, f);
	}
	fputc('"', f);
}

static void csv_num(FILE *f, double v, bool present, int decimals)
{
	if (present)
		fprintf(f, ",%.*f", decimals, v);
	else
		fputc(',', f);
}

static const char csv_header[] =
    "set,rules_requested,rules,trace_packets,matched_fraction,variant,status,compile_status,"
    "compile_s,compile_rss_kb,object_bytes,insns,verifier_ms,load_ms,verified_insns,guard,"
    "mismatches,timed_packets,repeat,rounds,ns_median,ns_min,ns_max,x_floor,x_baseline,"
    "map_bytes,note\n";

static void write_row(FILE *f, const struct measure_opts *o, const struct workload *w,
		      const struct variant *v, const struct variant *floor,
		      const struct variant *base)
{
	bool loaded = v->verified_insns >= 0;

	fprintf(f, "%s,%zu,%zu,%zu,%.4f,%s,%s,%s", o->set, o->limit ? o->limit : w->rules.n,
		w->rules.n, w->trace.n, (double)w->matched / w->trace.n, v->name, v->status,
		v->compile_status);
	csv_num(f, v->compile_s,
		!strcmp(v->compile_status, "ok") || !strcmp(v->compile_status, "timeout") ||
		    !strcmp(v->compile_status, "failed"),
		4);
	csv_num(f, v->compile_rss_kb, v->compile_rss_kb > 0, 0);
	csv_num(f, v->object_bytes, v->object_bytes >= 0, 0);
	csv_num(f, v->insns, v->insns >= 0, 0);
	csv_num(f, v->verifier_ms, v->verifier_ms > 0 || loaded, 3);
	csv_num(f, v->load_ms, v->load_ms > 0, 3);
	csv_num(f, v->verified_insns, loaded, 0);
	fprintf(f, ",%s", v->guard);
	csv_num(f, v->mismatches, strcmp(v->guard, "n/a"), 0);
	csv_num(f, v->timed, v->timed_ok, 0);
	csv_num(f, v->repeat, v->timed_ok, 0);
	csv_num(f, v->rounds, v->timed_ok, 0);
	csv_num(f, v->ns_median, v->timed_ok, 2);
	csv_num(f, v->ns_min, v->timed_ok, 2);
	csv_num(f, v->ns_max, v->timed_ok, 2);
	csv_num(f, floor && v->timed_ok ? v->ns_median / floor->ns_median : 0,
		v->timed_ok && floor && floor->timed_ok && floor->ns_median > 0, 2);
	csv_num(f, base && v->timed_ok ? v->ns_median / base->ns_median : 0,
		v->timed_ok && base && base->timed_ok && base->ns_median > 0, 3);
	csv_num(f, v->map_bytes, v->map_bytes >= 0, 0);
	fputc(',', f);
	if (v->note[0] && v->compile_note[0]) {
		char both[1100];

		snprintf(both, sizeof(both), "%s; %s", v->note, v->compile_note);
		csv_text(f, both);
	} else {
		csv_text(f, v->note[0] ? v->note : v->compile_note);
	}
	fputc('\n', f);
}

static int parse_variant(char *spec, struct variant *v)
{
	char *obj = strchr(spec, ':'), *kv;

	if (!obj) {
		fprintf(stderr, "sluice-bench: a variant is NAME:OBJECT[:COMPILE-KV], not '%s'\n",
			spec);
		return -EINVAL;
	}
	*obj++ = '\0';
	kv = strchr(obj, ':');
	if (kv)
		*kv++ = '\0';
	*v = (struct variant){.name = spec, .object = obj, .kv = kv};
	return 0;
}

static void pin_cpu(int cpu)
{
	cpu_set_t set;

	if (cpu < 0)
		cpu = (int)sysconf(_SC_NPROCESSORS_ONLN) - 1;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		fprintf(stderr,
			"sluice-bench: warning: cannot pin to CPU %d: %s (timings are "
			"noisier)\n",
			cpu, strerror(errno));
}

static void measure_usage(FILE *out)
{
	fprintf(
	    out,
	    "usage: sluice-bench measure --rules FILE --trace FILE [OPTIONS] NAME:OBJECT[:KV]...\n"
	    "  -n, --limit N     the first N rules of the file (default all)\n"
	    "      --set NAME    set name for the CSV (default: the rule file's name)\n"
	    "      --packets P   time at most P packets of the trace (default all)\n"
	    "      --rounds K    timing rounds, median reported (default 5, at most 64)\n"
	    "      --budget S    seconds of timing per object, at most (default 20)\n"
	    "      --cpu C       pin to CPU C (default: the last CPU)\n"
	    "      --floor NAME  the variant that is the empty program (default floor)\n"
	    "      --baseline NAME  the variant ratios compare to (default clang-c)\n"
	    "      --csv FILE    append rows there (default stdout); --header writes the header\n"
	    "      --family F    ip4 (default) or ip6: the packets' family (lib/classbench.h\n"
	    "                    says how IPv6 packets carry the headers' addresses)\n"
	    "      --probe NAME  time variant NAME without the guard: a lower bound that\n"
	    "                    decides nothing (bench/bpf/probe.bpf.c); repeatable\n"
	    "      --tss NAME    variant NAME is the tuple-space search (bench/bpf/tss.bpf.c):\n"
	    "                    its tables are built from the rules and filled after the load\n"
	    "      --per-packet FILE  append \"variant,trace index,ns\" for every timed packet\n"
	    "                    (the median of its rounds; bench/why/run.sh reads it)\n"
	    "KV is a file written by `sluice-bench exec` for the object's compilation.\n");
}

static int parse_measure_opts(int argc, char **argv, struct measure_opts *o)
{
	static const struct option longopts[] = {
	    {"rules", required_argument, NULL, 'r'},
	    {"trace", required_argument, NULL, 't'},
	    {"limit", required_argument, NULL, 'n'},
	    {"set", required_argument, NULL, 's'},
	    {"packets", required_argument, NULL, 'p'},
	    {"rounds", required_argument, NULL, 'k'},
	    {"budget", required_argument, NULL, 'b'},
	    {"cpu", required_argument, NULL, 'c'},
	    {"floor", required_argument, NULL, 'f'},
	    {"baseline", required_argument, NULL, 'B'},
	    {"csv", required_argument, NULL, 'o'},
	    {"header", no_argument, NULL, 'H'},
	    {"family", required_argument, NULL, 'F'},
	    {"help", no_argument, NULL, 'h'},
	    {"probe", required_argument, NULL, 'P'},
	    {"tss", required_argument, NULL, 'T'},
	    {"per-packet", required_argument, NULL, 'X'},
	    {0},
	};
	int c;

	*o = (struct measure_opts){
	    .rounds = 5, .budget_s = 20, .cpu = -1, .floor = "floor", .baseline = "clang-c"};
	while ((c = getopt_long(argc, argv, "n:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'r':
			o->rules = optarg;
			break;
		case 't':
			o->trace = optarg;
			break;
		case 'n':
			o->limit = strtoul(optarg, NULL, 10);
			break;
		case 's':
			o->set = optarg;
			break;
		case 'p':
			o->packets = strtoul(optarg, NULL, 10);
			break;
		case 'k':
			o->rounds = strtoul(optarg, NULL, 10);
			break;
		case 'b':
			o->budget_s = atof(optarg);
			break;
		case 'c':
			o->cpu = atoi(optarg);
			break;
		case 'f':
			o->floor = optarg;
			break;
		case 'B':
			o->baseline = optarg;
			break;
		case 'o':
			o->csv = optarg;
			break;
		case 'H':
			o->header = true;
			break;
		case 'X':
			o->per_packet = optarg;
			break;
		case 'F':
			if (cb_family_parse(optarg, &o->family)) {
				fprintf(stderr,
					"sluice-bench: error: --family is ip4 or ip6, not '%s'\n",
					optarg);
				return -EINVAL;
			}
			break;
		case 'P':
			if (o->nprobes == MAX_PROBES) {
				fprintf(stderr, "sluice-bench: error: at most %d --probe\n",
					MAX_PROBES);
				return -EINVAL;
			}
			o->probe[o->nprobes++] = optarg;
			break;
		case 'T':
			o->tss = optarg;
			break;
		case 'h':
			measure_usage(stdout);
			exit(0);
		default:
			measure_usage(stderr);
			return -EINVAL;
		}
	}
	if (!o->rules || !o->trace || o->rounds < 1 || o->rounds > 64 || o->budget_s <= 0) {
		measure_usage(stderr);
		return -EINVAL;
	}
	if (!o->set) {
		const char *slash = strrchr(o->rules, '/');

		o->set = slash ? slash + 1 : o->rules;
	}
	return 0;
}

static int cmd_measure(int argc, char **argv)
{
	struct variant *vars = NULL, *floor = NULL, *base = NULL;
	struct workload w = {0};
	struct measure_opts o;
	size_t nvars;
	FILE *out = stdout;
	int r;

	if (parse_measure_opts(argc, argv, &o))
		return 2;
	nvars = argc - optind;
	vars = calloc(nvars ? nvars : 1, sizeof(*vars));
	if (!vars)
		return 2;
	for (size_t i = 0; i < nvars; i++) {
		if (parse_variant(argv[optind + i], &vars[i]))
			return 2;
		if (!strcmp(vars[i].name, o.floor))
			floor = &vars[i];
		if (!strcmp(vars[i].name, o.baseline))
			base = &vars[i];
	}
	r = prepare_workload(&o, &w);
	if (r) {
		workload_free(&w);
		free(vars);
		return r == -EINVAL ? 1 : 2;
	}
	libbpf_set_print(libbpf_print);
	if (unshare(CLONE_NEWNET))
		fprintf(stderr,
			"sluice-bench: warning: no private network namespace (%s): test runs "
			"will be slow, fewer packets are timed\n",
			strerror(errno));
	pin_cpu(o.cpu);
	fprintf(stderr, "%s: %zu rules, %zu packets (%.1f%% match a rule)\n", o.set, w.rules.n,
		w.trace.n, 100.0 * w.matched / w.trace.n);
	for (size_t i = 0; i < nvars; i++) {
		check_variant(&vars[i], &w, &o, &vars[i] == floor || is_probe(&o, vars[i].name));
		if (is_probe(&o, vars[i].name) && !vars[i].note[0])
			snprintf(vars[i].note, sizeof(vars[i].note),
				 "probe: a lower bound that decides nothing; verdicts not checked");
	}
	time_variants(vars, nvars, &w, &o);
	if (o.csv) {
		out = fopen(o.csv, "a");
		if (!out) {
			fprintf(stderr, "sluice-bench: cannot write '%s': %s\n", o.csv,
				strerror(errno));
			workload_free(&w);
			free(vars);
			return 2;
		}
	}
	if (o.header)
		fputs(csv_header, out);
	for (size_t i = 0; i < nvars; i++)
		write_row(out, &o, &w, &vars[i], floor, base);
	if (out != stdout)
		fclose(out);
	workload_free(&w);
	free(vars);
	return 0;
}

/* ---- expect: the reference's verdicts, for tests and for the curious ---- */

static int cmd_expect(int argc, char **argv)
{
	struct measure_opts o;
	struct workload w = {0};
	int r;

	if (parse_measure_opts(argc, argv, &o))
		return 2;
	r = prepare_workload(&o, &w);
	for (size_t i = 0; !r && i < w.trace.n; i++)
		printf("%zu\t%ld\t%s\n", i, cb_first_match(&w.rules, &w.trace.v[i]),
		       w.expected_rc[i] == XDP_PASS_RC ? "accept" : "drop");
	workload_free(&w);
	return r ? 1 : 0;
}

int main(int argc, char **argv)
{
	if (argc >= 2 && !strcmp(argv[1], "exec"))
		return cmd_exec(argc - 1, argv + 1);
	if (argc >= 2 && !strcmp(argv[1], "measure"))
		return cmd_measure(argc - 1, argv + 1);
	if (argc >= 2 && !strcmp(argv[1], "expect"))
		return cmd_expect(argc - 1, argv + 1);
	fprintf(stderr, "usage: sluice-bench exec|measure|expect ... (--help for each)\n");
	return 2;
}
