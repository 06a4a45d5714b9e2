/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A sluice object opened with libbpf: its metadata, the table chosen and that
 * table's program, with every other program left unloaded.
 */
#pragma once

#include <bpf/libbpf.h>

#include "meta.h"

struct sl_obj {
	const char *path;
	/* The file as read once: metadata and libbpf both see these bytes (libbpf keeps a pointer).
	 */
	char *data;
	size_t size;
	struct sl_meta *meta;
	const struct sluice_meta_table *table;
	struct bpf_object *obj;
	struct bpf_program *prog;
	struct bpf_map *counters;  /* NULL when the policy has no counter */
	struct bpf_map *decisions; /* NULL unless built with decision recording */
	int prog_fd;
	/* A table that tracks connections (ct.h): its companion, its hook, the flow map. */
	struct bpf_program *ct_prog;
	uint32_t ct_hook;
	struct bpf_map *flows;
	int ct_prog_fd;
	bool ct_view; /* this is the companion's view of the object (sl_ct_view()) */
	/* --multi: the template dispatcher the program is verified against (xdp_multi.h). */
	struct bpf_object *ext_target;
	/* Where interface names resolve (iface.c): the target's --netns, NULL = the loader's. */
	const char *netns;
};

/*
 * Reads the file once, checks its bytes (validate.h) and metadata, then hands the
 * same bytes to libbpf; checks table and program type. Prints what is wrong.
 */
int sl_obj_open(const char *path, const char *table, struct sl_obj **out);
/* The object has `log` rules (its ring buffer map). */
bool sl_obj_has_log(const struct sl_obj *o);
/* Loads into the kernel (verifier); prints the verifier's complaint on error. */
int sl_obj_load(struct sl_obj *o);
void sl_obj_close(struct sl_obj *o);
static inline void sl_obj_closep(struct sl_obj **o)
{
	sl_obj_close(*o);
}
#define _cleanup_obj_ __attribute__((cleanup(sl_obj_closep)))

/* libbpf output goes to a buffer, shown only when something fails (or with -v). */
void sl_libbpf_capture(void);
/* Text of a -errno or of a libbpf error code (-4001 ...). */
void sl_strerror(int err, char *buf, size_t len);
/* Explains errors of the bpf() syscall that are about privileges; true when it did. */
bool sl_explain_bpf_perm(int err);
