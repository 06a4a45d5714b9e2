// SPDX-License-Identifier: GPL-2.0-only
/*
 * sluice-bench-limits NAME:OBJECT[:KEYS]...: ns/packet of XDP objects under
 * BPF_PROG_TEST_RUN on IPv4 TCP SYNs to port 22 from KEYS different source
 * addresses (default 1), for the limit, meter and log rows of bench/README.md.
 * A meter's map is filled with the KEYS sources before timing (from user
 * space: a packet per key would take long at 1M keys), so every packet finds
 * its key; each source's packet is run `repeat` times in one call and calls
 * go round the sources, so a meter of many keys pays its cache misses.
 * Prints `name,keys,ns_per_packet,verdict_of_first` rows (median of 5 rounds).
 *
 * sluice-bench-limits --concurrent THREADS MS OBJECT RATE BURST: the accuracy of a
 * shared bucket under contention. THREADS threads (pinned to CPUs 0..) run the
 * object's program as fast as they can for MS ms; its first rule must be
 * `... limit rate RATE/second burst BURST packets counter accept`. Prints what
 * the rule's counter accepted against the most the limit allows (BURST + RATE x
 * the time the threads ran).
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <linux/if_link.h>
#include <bpf/libbpf.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sluice/log.h>

#define ROUNDS 5

static void frame(uint8_t *b, uint32_t src)
{
	memset(b, 0, 54);
	memset(b, 2, 6);
	memset(b + 6, 4, 6);
	b[12] = 0x08;
	b[14] = 0x45;
	b[17] = 40;
	b[22] = 64;
	b[23] = 6;
	b[26] = 10;
	b[27] = (uint8_t)(src >> 16);
	b[28] = (uint8_t)(src >> 8);
	b[29] = (uint8_t)src;
	memcpy(b + 30, (uint8_t[]){192, 0, 2, 1}, 4);
	b[34] = 0x9c;
	b[35] = 0x40;
	b[37] = 22;
	b[46] = 0x50;
	b[47] = 0x02;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Every meter of the object gets the KEYS sources (key: ip saddr as the program packs it). */
static void fill_meters(struct bpf_object *obj, uint32_t keys)
{
	struct bpf_map *m;

	bpf_object__for_each_map(m, obj)
	{
		struct sluice_bucket b = {0};
		uint8_t key[64] = {0};

		if (strncmp(bpf_map__name(m), "sl_meter_", 9))
			continue;
		for (uint32_t k = 0; k < keys; k++) {
			uint64_t v = 0x0a000000u | k;

			memcpy(key, &v, 8);
			bpf_map_update_elem(bpf_map__fd(m), key, &b, BPF_ANY);
		}
	}
}

static int run(const char *name, const char *path, uint32_t keys)
{
	struct bpf_object *obj = bpf_object__open_file(path, NULL);
	struct bpf_program *prog;
	uint32_t sample = keys < 4096 ? keys : 4096, repeat = keys > 1 ? 16 : 100000;
	double ns[ROUNDS];
	uint8_t pkt[54];
	int fd, first = -1;

	if (!obj || bpf_object__load(obj)) {
		fprintf(stderr, "%s: cannot load %s\n", name, path);
		return 1;
	}
	prog = bpf_object__next_program(obj, NULL);
	fd = bpf_program__fd(prog);
	/*
	 * Attached (generic mode) to the private namespace's loopback, an XDP program
	 * stays in the kernel's dispatcher: test runs then skip the RCU grace period
	 * (~20 ms) of putting it in and out each call (bench/sluice_bench.c says more).
	 */
	if (bpf_program__type(prog) == BPF_PROG_TYPE_XDP &&
	    bpf_xdp_attach(1, fd, XDP_FLAGS_SKB_MODE, NULL)) {
		fprintf(stderr, "%s: cannot attach to lo\n", name);
		return 1;
	}
	fill_meters(obj, keys);
	for (int r = 0; r < ROUNDS; r++) {
		uint64_t total = 0, n = 0;

		for (uint32_t s = 0; s < sample; s++) {
			/* spread over all keys: a large meter's entries are not all in cache */
			uint32_t src = (uint32_t)(((uint64_t)s * 2654435761u) % keys);
			LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = pkt,
				    .data_size_in = sizeof(pkt), .repeat = repeat);

			frame(pkt, src);
			if (bpf_prog_test_run_opts(fd, &o)) {
				perror("test run");
				return 1;
			}
			if (first < 0)
				first = (int)o.retval;
			total += (uint64_t)o.duration * repeat;
			n += repeat;
		}
		ns[r] = (double)total / (double)n;
	}
	qsort(ns, ROUNDS, sizeof(*ns), cmp_double);
	printf("%s,%u,%.2f,%d\n", name, keys, ns[ROUNDS / 2], first);
	bpf_xdp_detach(1, XDP_FLAGS_SKB_MODE, NULL);
	bpf_object__close(obj);
	return 0;
}

struct worker {
	int fd, cpu;
	uint64_t stop_ns, runs;
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void *work(void *arg)
{
	struct worker *w = arg;
	cpu_set_t set;
	uint8_t pkt[54];

	CPU_ZERO(&set);
	CPU_SET(w->cpu, &set);
	pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
	frame(pkt, 1);
	while (now_ns() < w->stop_ns) {
		LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = pkt, .data_size_in = sizeof(pkt),
			    .repeat = 200);

		if (bpf_prog_test_run_opts(w->fd, &o))
			break;
		w->runs += 200;
	}
	return NULL;
}

static int concurrent(int threads, int ms, const char *path, double rate, double burst)
{
	struct bpf_object *obj = bpf_object__open_file(path, NULL);
	struct worker w[64];
	pthread_t tid[64];
	struct bpf_map *counters;
	uint64_t start, end, accepted = 0, seen = 0, *v;
	int ncpu = libbpf_num_possible_cpus();
	uint32_t key = 0;

	if (!obj || bpf_object__load(obj) || threads < 1 || threads > 64)
		return fprintf(stderr, "cannot load %s\n", path), 1;
	counters = bpf_object__find_map_by_name(obj, "sluice_counters");
	v = calloc((size_t)ncpu, 2 * sizeof(*v));
	if (!counters || !v)
		return fprintf(stderr, "the object needs a counter\n"), 1;
	start = now_ns();
	for (int i = 0; i < threads; i++) {
		w[i] = (struct worker){.fd = bpf_program__fd(bpf_object__next_program(obj, NULL)),
				       .cpu = i % ncpu,
				       .stop_ns = start + (uint64_t)ms * 1000000ull};
		pthread_create(&tid[i], NULL, work, &w[i]);
	}
	for (int i = 0; i < threads; i++)
		pthread_join(tid[i], NULL);
	end = now_ns();
	if (!bpf_map_lookup_elem(bpf_map__fd(counters), &key, v))
		for (int c = 0; c < ncpu; c++)
			accepted += v[2 * c];
	for (int i = 0; i < threads; i++)
		seen += w[i].runs;
	double allowed = burst + rate * (double)(end - start) / 1e9;
	printf("threads,ms,offered,accepted,allowed,excess_pct\n%d,%.1f,%llu,%llu,%.0f,%.3f\n",
	       threads, (double)(end - start) / 1e6, (unsigned long long)seen,
	       (unsigned long long)accepted, allowed,
	       100.0 * ((double)accepted - allowed) / allowed);
	free(v);
	bpf_object__close(obj);
	return 0;
}

int main(int argc, char **argv)
{
	int rc = 0;

	libbpf_set_print(NULL);
	if (unshare(CLONE_NEWNET)) {
		perror("unshare(CLONE_NEWNET) (needs root)");
		return 1;
	}
	if (argc == 7 && !strcmp(argv[1], "--concurrent"))
		return concurrent(atoi(argv[2]), atoi(argv[3]), argv[4], atof(argv[5]),
				  atof(argv[6]));
	libbpf_set_print(NULL);
	printf("variant,keys,ns_per_packet,retval\n");
	for (int i = 1; i < argc; i++) {
		char *spec = strdup(argv[i]), *name = strtok(spec, ":"), *path = strtok(NULL, ":"),
		     *keys = strtok(NULL, ":");

		if (!name || !path) {
			fprintf(stderr, "usage: sluice-bench-limits NAME:OBJECT[:KEYS]...\n");
			return 2;
		}
		rc |= run(name, path, keys ? (uint32_t)strtoul(keys, NULL, 10) : 1);
		free(spec);
	}
	return rc;
}
