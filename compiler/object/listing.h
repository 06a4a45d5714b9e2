/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Listings of BPF objects (`sluice dump --bpf`): a header from the sluice
 * metadata, then every program disassembled by LLVM's BPF disassembler with
 * instruction indices, map references by name and the policy lines from
 * line_info interleaved:
 *
 *   ; edge.sluice:12  tcp dport 22 accept
 *     14: if r2 != 22 goto +3  ; -> 18
 *
 * Lives in its own library (sluice_listing) because it needs LLVM, which
 * only the `sluice` command links.
 */
#pragma once

#include <stddef.h>
#include <stdio.h>

/* Print the listing of an object image. Returns 0 or -errno with a reason in why. */
int sl_listing_print(const void *image, size_t size, FILE *out, char *why, size_t whylen);
