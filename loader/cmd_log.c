// SPDX-License-Identifier: GPL-2.0-only
/*
 * log: reads the log records of an attachment's ring buffer (pinned as
 * "log", sluice/log.h) and prints them decoded, one line each, as JSON
 * lines, or into a pcap; and the limit, meter and log state `stats` shows.
 */
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#define PCAP_DONT_INCLUDE_PCAP_BPF_H
#include <pcap/dlt.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sluice/json.h>
#include <sluice/log.h>

#include "cmd.h"
#include "state.h"
#include "target.h"
#include "util.h"

static const char log_help[] =
    "usage: sluice-load log TARGET [--netns NAME|PATH] [--json] [--follow] [--pcap FILE]\n"
    "\n"
    "Prints the records of the attached policy's `log` rules, oldest first, one line\n"
    "each: local time, the rule's file:line, its prefix, its action, then the packet\n"
    "(protocol, addresses and ports, TCP flags):\n"
    "  12:01:33.120 edge.sluice:14 \"ssh-probe\" drop tcp 203.0.113.9:51234 -> 192.0.2.1:22 [S]\n"
    "--json prints one JSON object per record (the same facts); --pcap FILE writes the\n"
    "packets' first bytes into a pcap instead (Ethernet, or raw IP for cgroup_skb).\n"
    "--follow waits for more until interrupted. Records the ring buffer had no room\n"
    "for, and those the rules' caps (`every`) held back, are counted: shown at the end\n"
    "on stderr (--json: a last object {\"lost\":N,\"capped\":M}). TARGET as for detach.\n";

struct log_view {
	const struct sl_meta *m;
	bool json;
	pcap_t *pcap;
	pcap_dumper_t *dump;
	int64_t mono_to_real; /* ns to add to the kernel's clock for the wall clock */
	unsigned long records;
};

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static uint64_t clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* The rule's `log prefix "..."`, read back from its text in the metadata. */
static void rule_prefix(const char *text, char *out, size_t size)
{
	const char *p = strstr(text, "prefix \""), *end;

	out[0] = '\0';
	if (!p)
		return;
	p += strlen("prefix \"");
	end = strchr(p, '"');
	if (end)
		snprintf(out, size, "%.*s", (int)(end - p), p);
}

static const char *action_name(uint8_t a)
{
	static const char *const names[] = {"continue", "accept", "drop", "jump", "goto", "return"};

	return a < SL_ARRAY_SIZE(names) ? names[a] : "?";
}

struct decoded {
	char proto[16];
	char src[64], dst[64]; /* with :port for TCP and UDP */
	char flags[16];	       /* TCP: [S.], ICMP: type N */
	bool ports;
};

static void tcp_flags(uint8_t f, char *out, size_t size)
{
	char s[8];
	size_t n = 0;

	if (f & 0x02)
		s[n++] = 'S';
	if (f & 0x01)
		s[n++] = 'F';
	if (f & 0x04)
		s[n++] = 'R';
	if (f & 0x08)
		s[n++] = 'P';
	if (f & 0x10)
		s[n++] = '.';
	s[n] = '\0';
	snprintf(out, size, "[%s]", s);
}

static void decode(const struct sluice_log_record *r, struct decoded *d)
{
	const uint8_t *p = r->data;
	uint32_t len = r->caplen, off = 0, l4 = 0;
	uint16_t type = 0;
	uint8_t proto = 0;
	char a[INET6_ADDRSTRLEN], b[INET6_ADDRSTRLEN];

	memset(d, 0, sizeof(*d));
	snprintf(d->proto, sizeof(d->proto), "?");
	if (r->hook != SLUICE_HOOK_CGROUP_INGRESS && r->hook != SLUICE_HOOK_CGROUP_EGRESS) {
		/* L2 hooks: from the Ethernet header */
		if (len < 14)
			return;
		type = (uint16_t)(p[12] << 8 | p[13]);
		off = 14;
		while ((type == 0x8100 || type == 0x88a8) && len >= off + 4) {
			type = (uint16_t)(p[off + 2] << 8 | p[off + 3]);
			off += 4;
		}
	} else {
		type = len && (p[0] >> 4) == 6 ? 0x86dd : 0x0800;
	}
	if (type == 0x0800 && len >= off + 20) {
		inet_ntop(AF_INET, p + off + 12, a, sizeof(a));
		inet_ntop(AF_INET, p + off + 16, b, sizeof(b));
		proto = p[off + 9];
		l4 = off + (uint32_t)(p[off] & 0xf) * 4;
		if ((p[off + 6] & 0x1f) || p[off + 7])
			l4 = UINT32_MAX; /* a later fragment: no L4 header */
	} else if (type == 0x86dd && len >= off + 40) {
		inet_ntop(AF_INET6, p + off + 8, a, sizeof(a));
		inet_ntop(AF_INET6, p + off + 24, b, sizeof(b));
		proto = p[off + 6];
		l4 = off + 40;
	} else {
		snprintf(d->proto, sizeof(d->proto), "ether");
		snprintf(d->flags, sizeof(d->flags), "type 0x%04x", type);
		return;
	}
	snprintf(d->src, sizeof(d->src), "%s", a);
	snprintf(d->dst, sizeof(d->dst), "%s", b);
	switch (proto) {
	case 6:
		snprintf(d->proto, sizeof(d->proto), "tcp");
		break;
	case 17:
		snprintf(d->proto, sizeof(d->proto), "udp");
		break;
	case 1:
		snprintf(d->proto, sizeof(d->proto), "icmp");
		break;
	case 58:
		snprintf(d->proto, sizeof(d->proto), "icmpv6");
		break;
	default:
		snprintf(d->proto, sizeof(d->proto), "proto %u", proto);
		return;
	}
	if (l4 == UINT32_MAX || len < l4 + 4)
		return;
	if (proto == 6 || proto == 17) {
		bool v6 = type == 0x86dd;

		snprintf(d->src, sizeof(d->src), v6 ? "[%s]:%u" : "%s:%u", a,
			 p[l4] << 8 | p[l4 + 1]);
		snprintf(d->dst, sizeof(d->dst), v6 ? "[%s]:%u" : "%s:%u", b,
			 p[l4 + 2] << 8 | p[l4 + 3]);
		d->ports = true;
		if (proto == 6 && len >= l4 + 14)
			tcp_flags(p[l4 + 13], d->flags, sizeof(d->flags));
	} else {
		snprintf(d->flags, sizeof(d->flags), "type %u", p[l4]);
	}
}

static int on_record(void *ctx, void *data, size_t size)
{
	struct log_view *v = ctx;
	const struct sluice_log_record *r = data;
	const struct sl_meta *m = v->m;
	const struct sluice_meta_rule *rule;
	char prefix[SLUICE_LOG_SNAPLEN], when[32];
	uint64_t real;
	time_t sec;
	struct tm tm;
	struct decoded d;

	if (size < sizeof(*r) || r->rule >= m->hdr.nrules)
		return 0;
	v->records++;
	rule = &m->rules[r->rule];
	real = r->time_ns + (uint64_t)v->mono_to_real;
	if (v->dump) {
		struct pcap_pkthdr h = {.caplen = r->caplen, .len = r->len};

		h.ts.tv_sec = (time_t)(real / 1000000000ull);
		h.ts.tv_usec = (suseconds_t)(real % 1000000000ull / 1000);
		pcap_dump((u_char *)v->dump, &h, r->data);
		return 0;
	}
	sec = (time_t)(real / 1000000000ull);
	localtime_r(&sec, &tm);
	snprintf(when, sizeof(when), "%02d:%02d:%02d.%03u", tm.tm_hour, tm.tm_min, tm.tm_sec,
		 (unsigned)(real % 1000000000ull / 1000000));
	rule_prefix(sl_meta_str(m, rule->text_str), prefix, sizeof(prefix));
	decode(r, &d);
	if (!v->json) {
		printf("%s %s:%u \"%s\" %s %s", when, sl_meta_str(m, rule->file_str), rule->line,
		       prefix, action_name(r->action), d.proto);
		if (d.src[0])
			printf(" %s -> %s", d.src, d.dst);
		if (d.flags[0])
			printf(" %s", d.flags);
		printf("\n");
	} else {
		printf("{\"time\":\"%s\",\"time_ns\":%llu,\"rule\":%u,\"file\":", when,
		       (unsigned long long)real, r->rule);
		sl_json_str(stdout, sl_meta_str(m, rule->file_str));
		printf(",\"line\":%u,\"prefix\":", rule->line);
		sl_json_str(stdout, prefix);
		printf(",\"level\":%u,\"action\":\"%s\",\"len\":%u,\"proto\":", r->level,
		       action_name(r->action), r->len);
		sl_json_str(stdout, d.proto);
		printf(",\"src\":");
		sl_json_str(stdout, d.src);
		printf(",\"dst\":");
		sl_json_str(stdout, d.dst);
		printf(",\"flags\":");
		sl_json_str(stdout, d.flags);
		printf(",\"text\":");
		sl_json_str(stdout, sl_meta_str(m, rule->text_str));
		printf("}\n");
	}
	fflush(stdout);
	return 0;
}

/* Sum of a per-CPU u64 at key (0 when the map or key is missing). */
static uint64_t percpu_sum(int fd, uint32_t key)
{
	int n = libbpf_num_possible_cpus();
	uint64_t *v, sum = 0;

	if (fd < 0 || n <= 0 || !(v = calloc((size_t)n, sizeof(*v))))
		return 0;
	if (!bpf_map_lookup_elem(fd, &key, v))
		for (int i = 0; i < n; i++)
			sum += v[i];
	free(v);
	return sum;
}

/* Records held back by the caps: the log buckets' over counts. */
static uint64_t capped_total(const char *dir, const struct sl_meta *m)
{
	char path[PATH_MAX];
	uint64_t sum = 0;
	int fd;

	snprintf(path, sizeof(path), "%s/limits", dir);
	fd = bpf_obj_get(path);
	if (fd < 0)
		return 0;
	for (uint32_t i = 0; i < m->hdr.nrules; i++) {
		struct sluice_bucket b;
		uint32_t key = m->hdr.nrules + i;

		if (!bpf_map_lookup_elem(fd, &key, &b))
			sum += b.over;
	}
	close(fd);
	return sum;
}

static int open_target(int argc, char **argv, int *i, struct sl_target *t, const char *help)
{
	int r = sl_target_parse_opt(t, argc, argv, i, false);

	if (r < 0)
		return fprintf(stderr, "\n%s", help), -EINVAL;
	if (!r) {
		fprintf(stderr, "sluice-load: usage error: unexpected argument '%s'\n\n%s",
			argv[*i], help);
		return -EINVAL;
	}
	return 0;
}

int sl_cmd_log(int argc, char **argv)
{
	struct sl_target t = {.cgroup_fd = -1};
	_cleanup_meta_ struct sl_meta *m = NULL;
	struct log_view v = {0};
	struct ring_buffer *rb = NULL;
	const char *pcap_path = NULL;
	bool follow = false;
	struct sl_state st;
	char path[PATH_MAX];
	int i = 1, fd, lost_fd, rc = SL_EXIT_FAIL;

	while (i < argc) {
		if (sl_is_help(argv[i])) {
			fputs(log_help, stdout);
			return SL_EXIT_OK;
		} else if (!strcmp(argv[i], "--json")) {
			v.json = true;
			i++;
		} else if (!strcmp(argv[i], "--follow")) {
			follow = true;
			i++;
		} else if (!strcmp(argv[i], "--pcap") && i + 1 < argc) {
			pcap_path = argv[i + 1];
			i += 2;
		} else if (open_target(argc, argv, &i, &t, log_help)) {
			return SL_EXIT_USAGE;
		}
	}
	if (sl_target_check(&t, false))
		return fprintf(stderr, "\n%s", log_help), SL_EXIT_USAGE;
	if (sl_check_privileges(false, false, t.netns != NULL, "reading logs"))
		return SL_EXIT_FAIL;
	if (sl_target_resolve(&t))
		return SL_EXIT_FAIL;
	sl_target_release(&t);
	if (sl_state_read(t.pin_dir, &st, &m))
		return SL_EXIT_FAIL;
	snprintf(path, sizeof(path), "%s/log", t.pin_dir);
	fd = bpf_obj_get(path);
	if (fd < 0) {
		sl_err(-errno, "the policy attached as %s has no `log` rule (no %s)",
		       sl_target_describe(&t), path);
		return SL_EXIT_FAIL;
	}
	snprintf(path, sizeof(path), "%s/log-lost", t.pin_dir);
	lost_fd = bpf_obj_get(path);
	v.m = m;
	v.mono_to_real = (int64_t)(clock_ns(CLOCK_REALTIME) - clock_ns(CLOCK_MONOTONIC));
	if (pcap_path) {
		bool l2 =
		    st.hook != SLUICE_HOOK_CGROUP_INGRESS && st.hook != SLUICE_HOOK_CGROUP_EGRESS;

		v.pcap = pcap_open_dead(l2 ? DLT_EN10MB : DLT_RAW, SLUICE_LOG_SNAPLEN);
		v.dump = v.pcap ? pcap_dump_open(v.pcap, pcap_path) : NULL;
		if (!v.dump) {
			sl_err(-EIO, "cannot write %s: %s", pcap_path,
			       v.pcap ? pcap_geterr(v.pcap) : "out of memory");
			goto out;
		}
	}
	rb = ring_buffer__new(fd, on_record, &v, NULL);
	if (!rb) {
		sl_err(-errno, "cannot read the ring buffer: %s", strerror(errno));
		goto out;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	ring_buffer__consume(rb);
	while (follow && !stop) {
		int n = ring_buffer__poll(rb, 200);

		if (n < 0 && n != -EINTR) {
			sl_err(n, "reading the ring buffer failed: %s", strerror(-n));
			goto out;
		}
		if (v.dump)
			pcap_dump_flush(v.dump);
	}
	{
		uint64_t lost = percpu_sum(lost_fd, 0), capped = capped_total(t.pin_dir, m);

		if (v.json && !v.dump)
			printf("{\"lost\":%llu,\"capped\":%llu}\n", (unsigned long long)lost,
			       (unsigned long long)capped);
		else
			fprintf(stderr,
				"sluice-load: %lu records; %llu lost (ring buffer full), %llu held "
				"back by the rules' caps\n",
				v.records, (unsigned long long)lost, (unsigned long long)capped);
	}
	rc = SL_EXIT_OK;
out:
	ring_buffer__free(rb);
	if (v.dump)
		pcap_dump_close(v.dump);
	if (v.pcap)
		pcap_close(v.pcap);
	close(fd);
	if (lost_fd >= 0)
		close(lost_fd);
	return rc;
}

static bool has_word(const char *text, const char *w)
{
	size_t n = strlen(w);

	for (const char *p = text; (p = strstr(p, w)); p += n) {
		bool start = p == text || p[-1] == ' ';
		bool end = p[n] == '\0' || p[n] == ' ';

		if (start && end)
			return true;
	}
	return false;
}

/* Keys in the meter and the sum of their over counts. */
static void meter_state(int fd, uint64_t *keys, uint64_t *over, uint32_t *size)
{
	struct bpf_map_info info = {0};
	uint32_t len = sizeof(info);
	uint8_t key[64], next[64];
	struct sluice_bucket b;
	void *prev = NULL;

	*keys = *over = 0;
	*size = 0;
	if (bpf_obj_get_info_by_fd(fd, &info, &len) || info.key_size > sizeof(key))
		return;
	*size = info.max_entries;
	while (!bpf_map_get_next_key(fd, prev, next)) {
		memcpy(key, next, info.key_size);
		prev = key;
		(*keys)++;
		if (!bpf_map_lookup_elem(fd, key, &b))
			*over += b.over;
	}
}

void sl_limits_stats(const char *dir, const struct sl_meta *m, bool json)
{
	char path[PATH_MAX];
	int limits, lost_fd;
	bool any = false;

	snprintf(path, sizeof(path), "%s/limits", dir);
	limits = bpf_obj_get(path);
	if (limits < 0)
		return;
	snprintf(path, sizeof(path), "%s/log-lost", dir);
	lost_fd = bpf_obj_get(path);
	printf(json ? ",\"limits\":[" : "# limits, meters and logs\n");
	for (uint32_t i = 0; i < m->hdr.nrules; i++) {
		const struct sluice_meta_rule *r = &m->rules[i];
		const char *text = sl_meta_str(m, r->text_str);
		struct sluice_bucket b = {0}, g = {0};
		uint64_t keys = 0, over;
		uint32_t key = i, lkey = m->hdr.nrules + i, size = 0;
		bool limit = strstr(text, "limit rate") != NULL, log = has_word(text, "log");
		int mfd;

		if (!limit && !log)
			continue;
		bpf_map_lookup_elem(limits, &key, &b);
		bpf_map_lookup_elem(limits, &lkey, &g);
		over = b.over;
		snprintf(path, sizeof(path), "%s/meter-%u", dir, i);
		mfd = limit ? bpf_obj_get(path) : -1;
		if (mfd >= 0) {
			meter_state(mfd, &keys, &over, &size);
			close(mfd);
		}
		if (json) {
			printf("%s\n  {\"id\":%u,\"file\":", any ? "," : "", i);
			sl_json_str(stdout, sl_meta_str(m, r->file_str));
			printf(",\"line\":%u,\"col\":%u", r->line, r->col);
			if (limit)
				printf(",\"over\":%llu", (unsigned long long)over);
			if (size)
				printf(",\"meter\":{\"keys\":%llu,\"size\":%u}",
				       (unsigned long long)keys, size);
			if (log)
				printf(",\"log_capped\":%llu", (unsigned long long)g.over);
			printf("}");
		} else {
			printf("#\t%s:%u:%u\t", sl_meta_str(m, r->file_str), r->line, r->col);
			if (size)
				printf("meter: %llu of %u keys, ", (unsigned long long)keys, size);
			if (limit)
				printf("over the limit %llu times%s", (unsigned long long)over,
				       log ? ", " : "");
			if (log)
				printf("log: %llu records held back by its cap",
				       (unsigned long long)g.over);
			printf("\n");
		}
		any = true;
	}
	if (json)
		printf("%s],\"log_lost\":%llu", any ? "\n" : "",
		       (unsigned long long)percpu_sum(lost_fd, 0));
	else if (lost_fd >= 0)
		printf("#\tlog: %llu records lost (ring buffer full)\n",
		       (unsigned long long)percpu_sum(lost_fd, 0));
	close(limits);
	if (lost_fd >= 0)
		close(lost_fd);
}
