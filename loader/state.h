/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What sluice-load remembers about an attachment, kept in bpffs so that it
 * outlives the process: bpffs holds only BPF objects, so the record lives in
 * a pinned array map ("state") next to the pinned link and counter map.
 * Entry 0 holds struct sl_state; entries 1.. hold the object's metadata
 * section, SL_STATE_CHUNK bytes each, so `stats` can name every rule even
 * when the object file has changed or is gone.
 *
 *   <root>/net-<netns inode>/<ifindex>-<ifname>/{xdp,tc-ingress,tc-egress}/
 *   <root>/cgroup-<cgroup inode>/{ingress,egress}/
 *       link      the bpf_link (tcx, xdp, cgroup_skb)
 *       prog      the program (legacy tc: cls_bpf has no link)
 *       counters  the per-rule counter map (when the policy counts)
 *       carried   counts carried over replaces (array, slot -> {packets, bytes}), added to
 *                 counters when read: the live map is never written by sluice-load
 *       state     this record
 *   <root>/intent the operation in flight (intent.h)
 *   <root>/lock   what sluice-load processes lock: never removed
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "meta.h"

#define SL_PIN_ROOT_DEFAULT "/sys/fs/bpf/sluice"
#define SL_STATE_MAGIC	    0x54534c53u /* "SLST" */
#define SL_STATE_VERSION    1u
#define SL_STATE_CHUNK	    4096u

enum sl_attach_kind {
	SL_ATTACH_LINK = 0,
	SL_ATTACH_TC_LEGACY = 1,
	SL_ATTACH_XDP_MULTI = 2, /* a slot of libxdp's dispatcher (xdp_multi.h) */
};

enum sl_xdp_mode {
	SL_XDP_AUTO = 0,
	SL_XDP_NATIVE = 1,
	SL_XDP_GENERIC = 2,
};

struct sl_state {
	uint32_t magic;
	uint32_t version;
	uint32_t hook;	 /* enum sluice_meta_hook */
	uint32_t attach; /* enum sl_attach_kind */
	uint32_t ifindex;
	uint32_t xdp_mode; /* enum sl_xdp_mode actually used */
	uint32_t tc_handle;
	uint32_t tc_priority;
	uint32_t qdisc_created;
	uint32_t meta_size;
	uint32_t nreplaced;
	uint32_t prog_id; /* the program attached by the last attach/replace (0: older records) */
	uint64_t netns_ino;
	uint64_t cgroup_ino;
	uint64_t attached_at; /* unix seconds */
	uint64_t replaced_at;
	char ifname[16];
	char netns[256]; /* --netns as given; "" = the namespace sluice-load ran in */
	char cgroup[512];
	char object[1024]; /* absolute path of the object attached last */
	char table[256];
	/*
	 * Appended (records without them read as zeros): SHA-256 of the object's bytes
	 * as attached, so `apply` sees whether a file changed; the absolute path of the
	 * config whose `apply` made the attachment ("" = attached by hand), so `apply`
	 * detaches only what its file named before.
	 */
	uint8_t object_sha256[32];
	char config[512];
	/* Connection tracking (loader/ct.h): enum sl_ct_role; 0 in records of older loaders. */
	uint32_t ct_role;
	/* XDP through libxdp's dispatcher: the run priority (lower runs first). */
	uint32_t xdp_priority;
};

_Static_assert(sizeof(struct sl_state) <= SL_STATE_CHUNK, "state record fits one chunk");

/* Root of sluice's pins: $SLUICE_PIN_ROOT or SL_PIN_ROOT_DEFAULT. */
const char *sl_pin_root(void);
/*
 * Makes sure bpffs is mounted and the root exists; returns a locked fd (flock,
 * exclusive) on <root>/lock, an empty directory no sluice-load ever removes:
 * a lock on a removed inode would not exclude a newcomer.
 */
int sl_pin_root_lock(void);

/*
 * Entry 0 of a state map (nchunks entries) as read: checks magic, version,
 * enums and the metadata size, and NUL-terminates the strings. 0, -EPROTO
 * (another version) or -EINVAL.
 */
int sl_state_decode(const void *chunk0, size_t len, uint32_t nchunks, struct sl_state *st);

/* Creates the state map holding st and m; returns its fd or -errno. */
int sl_state_create(const struct sl_state *st, const struct sl_meta *m);
/* Reads a pinned state map; prints what is wrong on error. */
int sl_state_read(const char *dir, struct sl_state *st, struct sl_meta **m);
/* Entry 0 only, printing nothing: for walks that report broken entries elsewhere. */
int sl_state_read_quiet(const char *dir, struct sl_state *st);
/* The same for a state map pinned at path (new-state of a replace). */
int sl_state_read_path(const char *path, struct sl_state *st, struct sl_meta **m);

/* mkdir -p for bpffs; returns 0 or -errno. */
int sl_mkdirs(const char *path);
/*
 * Removes every pin of an attachment directory (including new-* leftovers of an
 * interrupted replace) and the directory, then empty parents up to the root.
 */
void sl_pin_dir_remove(const char *dir);
/* The object pinned as dir/name: its fd, or -errno. */
int sl_pin_open(const char *dir, const char *name);
/* Rewrites the record (entry 0) of a pinned state map; metadata stays. */
int sl_state_write(const char *dir, const struct sl_state *st);
