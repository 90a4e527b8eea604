// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <bpf/bpf.h>

#include "ks_test.h"
#include "split_prog.h"

unsigned char split_out[9000];
__u32 split_out_len;

struct ks_split *split_test_load(void)
{
	struct ks_split *skel = ks_split__open();
	struct bpf_map *m;
	int err;

	if (!ASSERT_OK_PTR(skel, "open"))
		return NULL;
	bpf_object__for_each_map(m, skel->obj)
		bpf_map__set_pin_path(m, NULL);
	skel->rodata->tun_l2_len = 14;
	err = ks_split__load(skel);
	if (err == -EPERM)
		test__skip("bpf() needs root");
	else
		ASSERT_OK(err, "load (verifier accepts every program)");
	if (err) {
		ks_split__destroy(skel);
		return NULL;
	}
	return skel;
}

int split_run(const struct bpf_program *prog, const void *data, size_t len)
{
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = data, .data_size_in = (__u32)len,
		    .data_out = split_out, .data_size_out = sizeof(split_out), .repeat = 1);
	int err = bpf_prog_test_run_opts(bpf_program__fd(prog), &opts);

	split_out_len = opts.data_size_out;
	return err ? err : (int)opts.retval;
}
