// SPDX-License-Identifier: GPL-2.0-only
/*
 * Attaches the first program of a BPF object to tcx with libbpf alone, for
 * tests that need a second program on a hook sluice-load holds (one sluice
 * attachment per hook): prints the program id, pins the link at PIN.
 *   tcx-obj DEV ingress|egress OBJ PIN
 */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

struct tcx_link_create {
	__u32 prog_fd, ifindex, attach_type, flags, rel, pad;
	__u64 rev;
};

int main(int argc, char **argv)
{
	struct tcx_link_create a = {0};
	struct bpf_prog_info info = {0};
	__u32 len = sizeof(info);
	struct bpf_object *obj;
	struct bpf_program *prog;
	int lfd;

	if (argc != 5) {
		fprintf(stderr, "usage: tcx-obj DEV ingress|egress OBJ PIN\n");
		return 2;
	}
	a.ifindex = if_nametoindex(argv[1]);
	a.attach_type = !strcmp(argv[2], "ingress") ? 46 /* BPF_TCX_INGRESS */ : 47;
	obj = bpf_object__open_file(argv[3], NULL);
	if (!obj || bpf_object__load(obj)) {
		fprintf(stderr, "tcx-obj: cannot load %s\n", argv[3]);
		bpf_object__close(obj);
		return 1;
	}
	prog = bpf_object__next_program(obj, NULL);
	if (!prog || !a.ifindex) {
		fprintf(stderr, "tcx-obj: no program or no device %s\n", argv[1]);
		bpf_object__close(obj);
		return 1;
	}
	a.prog_fd = bpf_program__fd(prog);
	lfd = syscall(__NR_bpf, BPF_LINK_CREATE, &a, sizeof(a));
	if (lfd < 0 || bpf_obj_pin(lfd, argv[4])) {
		perror("tcx-obj: tcx link");
		bpf_object__close(obj);
		return 1;
	}
	bpf_obj_get_info_by_fd(a.prog_fd, &info, &len);
	printf("%u\n", info.id);
	/* the pinned link keeps the program attached */
	bpf_object__close(obj);
	return 0;
}
