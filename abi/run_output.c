// SPDX-License-Identifier: GPL-2.0-only
/* The pcap-run output of `sluice run` and `sluice-load run`; see sluice/run_output.h. */
#include "sluice/run_output.h"
#include "sluice/json.h"

#include <errno.h>
#include <string.h>
#define PCAP_DONT_INCLUDE_PCAP_BPF_H
#include <pcap/dlt.h> /* constants only: nothing here links libpcap */

#ifndef DLT_IPV4
#define DLT_IPV4 228
#endif
#ifndef DLT_IPV6
#define DLT_IPV6 229
#endif

void sl_run_out_begin(struct sl_run_out *o, FILE *f, bool json)
{
	*o = (struct sl_run_out){.f = f, .json = json};
	if (json)
		fputs("{\"packets\":[", f);
}

static void print_rule(const struct sl_run_out *o, const struct sl_run_rule *r)
{
	if (o->json) {
		fprintf(o->f, "{\"id\":%u,\"file\":", r->id);
		sl_json_str(o->f, r->file);
		fprintf(o->f, ",\"line\":%u,\"col\":%u", r->line, r->col);
	} else {
		fprintf(o->f, "%s:%u:%u", r->file, r->line, r->col);
	}
}

void sl_run_out_verdict(struct sl_run_out *o, bool accept, enum sl_run_decider by,
			const struct sl_run_rule *rule)
{
	const char *verdict = accept ? "accept" : "drop";

	o->n++;
	accept ? o->accept++ : o->drop++;
	if (o->json)
		fprintf(o->f, "%s{\"n\":%u,\"verdict\":\"%s\",\"rule\":", o->n > 1 ? "," : "", o->n,
			verdict);
	else
		fprintf(o->f, "%u\t%s\t", o->n, verdict);
	if (by == SL_RUN_BY_RULE) {
		print_rule(o, rule);
		if (o->json)
			fputc('}', o->f);
	} else if (by == SL_RUN_BY_POLICY) {
		fputs(o->json ? "null" : "policy", o->f);
	} else {
		fputs(o->json ? "\"?\"" : "?", o->f);
	}
	fputs(o->json ? "}" : "\n", o->f);
}

void sl_run_out_tracked(struct sl_run_out *o)
{
	o->n++;
	o->accept++;
	if (o->json)
		fprintf(o->f, "%s{\"n\":%u,\"verdict\":\"accept\",\"rule\":\"other-direction\"}",
			o->n > 1 ? "," : "", o->n);
	else
		fprintf(o->f, "%u\taccept\tother-direction\n", o->n);
}

void sl_run_out_skipped(struct sl_run_out *o, const char *reason)
{
	o->n++;
	o->skipped++;
	if (o->json) {
		fprintf(o->f,
			"%s{\"n\":%u,\"verdict\":\"skipped\",\"reason\":", o->n > 1 ? "," : "",
			o->n);
		sl_json_str(o->f, reason);
		fputc('}', o->f);
	} else {
		fprintf(o->f, "%u\tskipped\t%s\n", o->n, reason);
	}
}

void sl_run_out_total(struct sl_run_out *o)
{
	if (o->json) {
		fprintf(o->f, "],\"total\":{\"packets\":%u,\"accept\":%u,\"drop\":%u", o->n,
			o->accept, o->drop);
		if (o->skipped)
			fprintf(o->f, ",\"skipped\":%u", o->skipped);
		fputs("},\"counters\":[", o->f);
	} else {
		fprintf(o->f, "total: %u packets, %u accept, %u drop", o->n, o->accept, o->drop);
		if (o->skipped)
			fprintf(o->f, ", %u skipped", o->skipped);
		fputc('\n', o->f);
	}
}

void sl_run_out_counter(struct sl_run_out *o, const struct sl_run_rule *rule, uint64_t packets,
			uint64_t bytes)
{
	if (o->json) {
		fputs(o->counters ? "," : "", o->f);
		print_rule(o, rule);
		fprintf(o->f, ",\"packets\":%llu,\"bytes\":%llu}", (unsigned long long)packets,
			(unsigned long long)bytes);
	} else {
		fputs("counter\t", o->f);
		print_rule(o, rule);
		fprintf(o->f, "\t%llu packets\t%llu bytes\n", (unsigned long long)packets,
			(unsigned long long)bytes);
	}
	o->counters++;
}

void sl_run_out_end(struct sl_run_out *o)
{
	if (o->json)
		fputs("]}\n", o->f);
}

void sl_run_out_abort(struct sl_run_out *o)
{
	if (o->json)
		fputs("]}\n", o->f);
}

int sl_run_link_type(int dlt, bool *raw)
{
	*raw = dlt == DLT_RAW || dlt == DLT_IPV4 || dlt == DLT_IPV6;
#ifdef DLT_RAW_ALT
	*raw = *raw || dlt == DLT_RAW_ALT;
#endif
	return *raw || dlt == DLT_EN10MB ? 0 : -EINVAL;
}

int sl_run_frame(const uint8_t *data, uint32_t caplen, bool raw, uint8_t *buf, uint32_t *len)
{
	unsigned version = caplen ? data[0] >> 4 : 0;

	if (caplen > SL_RUN_MAX_CAPLEN)
		caplen = SL_RUN_MAX_CAPLEN;
	if (!raw) {
		memcpy(buf, data, caplen);
		*len = caplen;
		return 0;
	}
	if (version != 4 && version != 6)
		return -EINVAL;
	memset(buf, 0, 12);
	buf[12] = version == 4 ? 0x08 : 0x86;
	buf[13] = version == 4 ? 0x00 : 0xdd;
	memcpy(buf + SL_RUN_ETH_HLEN, data, caplen);
	*len = caplen + SL_RUN_ETH_HLEN;
	return 0;
}
