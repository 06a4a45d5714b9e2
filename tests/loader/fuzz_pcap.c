// SPDX-License-Identifier: GPL-2.0-only
/*
 * Fuzz target: reading a capture as `sluice-load run` does (libpcap's offline
 * reader, link type check, every packet's header and bytes).
 */
#include <pcap/pcap.h>
#include <stdint.h>
#include <stdio.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char errbuf[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *h;
	const u_char *pkt;
	unsigned sum = 0;
	FILE *f;
	pcap_t *p;

	if (!size)
		return 0;
	f = fmemopen((void *)data, size, "rb");
	if (!f)
		return 0;
	p = pcap_fopen_offline(f, errbuf); /* owns f from here on */
	if (!p) {
		fclose(f);
		return 0;
	}
	(void)pcap_datalink_val_to_name(pcap_datalink(p));
	while (pcap_next_ex(p, &h, &pkt) == 1)
		for (uint32_t i = 0; i < h->caplen; i++)
			sum += pkt[i];
	pcap_close(p);
	return (int)(sum & 0);
}
