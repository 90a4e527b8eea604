#!/usr/bin/env bash
# The benchmark harness still runs end to end (one short round). No figure is judged here:
# benchmarks report, tests check correctness.
set -u
source "$(dirname "$0")/../lib/netns.sh"
ks_require_root
out=$(mktemp -d /tmp/ks-bench.XXXXXX)
trap 'rm -rf "$out"; ks_teardown' EXIT
# BENCH_PERF's split of a client's CPU (perf_shares.py), on a perf script of known samples:
# two processes' eight samples, two of a process not asked for left out.
shares=$(/usr/bin/python3 "$KS_TOP/tools/bench/perf_shares.py" --script "$KS_TOP/tests/data/perf-script.txt" 4242 4243 | tr '\t\n' ': ')
ks_expect_eq "perf_shares: each sample in the first category its stack holds" \
	"bpf:0.0000 softirq:0.1250 tun_write:0.1250 tun_read:0.1250 udp_send:0.1250 udp_recv:0.0000 tcp_send:0.0000 tcp_recv:0.0000 wait:0.0000 kernel_other:0.1250 user_cipher:0.2500 user_other:0.1250 samples:8 " \
	"$shares"
# Stacks holding two categories' functions, a BPF program, a module's frame, a compiler's
# copy of kslice's cipher, a generic name in another library, and an empty stack (dropped).
shares=$(/usr/bin/python3 "$KS_TOP/tools/bench/perf_shares.py" --script "$KS_TOP/tests/data/perf-script.txt" 4244 | tr '\t\n' ': ')
ks_expect_eq "perf_shares: BPF, then softirq, before the system call; a read in a wait is a read" \
	"bpf:0.1250 softirq:0.1250 tun_write:0.1250 tun_read:0.1250 udp_send:0.1250 udp_recv:0.0000 tcp_send:0.0000 tcp_recv:0.0000 wait:0.0000 kernel_other:0.0000 user_cipher:0.2500 user_other:0.1250 samples:8 " \
	"$shares"
/usr/bin/python3 "$KS_TOP/tools/bench/perf_shares.py" --script "$KS_TOP/tests/data/perf-script.txt" 7 > /dev/null 2>&1
ks_expect_eq "perf_shares: no sample of the process exits 1" 1 "$?"
# report.py turns the shares into ns/byte beside the CPU figures
mkdir -p "$out/split"
{
	printf 'client\tround\tmetric\tvalue\n'
	for c in kslice-dtls openconnect-dtls; do
		printf '%s\t1\tup_user_ns_per_byte\t1\n%s\t1\tup_sys_ns_per_byte\t3\n' $c $c
		printf '%s\t1\tup_perf_tun_write\t0.25\n%s\t1\tup_perf_user_cipher\t0.5\n' $c $c
	done
} > "$out/split/samples.tsv"
BENCH_PERF_ON=1 /usr/bin/python3 "$KS_TOP/tools/bench/report.py" "$out/split/samples.tsv" "$out/split" > "$out/split/log" 2>&1
ks_expect "report.py prints where each client's CPU went" grep -q "^up: where each client's CPU went" "$out/split/log"
ks_expect "results.json: the TUN write's ns/byte is its share of the CPU, the rest apart" /usr/bin/python3 -c '
import json,sys; s=json.load(open(sys.argv[1]))["perf_split"]["kslice-dtls vs openconnect-dtls"]["up"]
assert s["tun_write"]["kslice-dtls"]["ns_per_byte"] == 1.0, s["tun_write"]
assert s["user_cipher"]["openconnect-dtls"]["ns_per_byte"] == 2.0, s["user_cipher"]
assert s["without_tun_write"]["kslice-dtls"]["ns_per_byte"] == 3.0, s["without_tun_write"]' "$out/split/results.json"
# A congestion control the kernel lacks is refused before any transfer. Each run makes its
# own work directory (its teardown removes it; not this test's).
BENCH_OUT=$out/cc BENCH_CC=ks-no-such-cc env -u KS_WORK "$KS_TOP/tools/bench/run" 1 > "$out/cc.log" 2>&1
ks_expect_eq "BENCH_CC naming no congestion control of the kernel's exits 2" 2 "$?"
ks_expect "... and says which it has" grep -q "BENCH_CC: 'ks-no-such-cc' is not one of" "$out/cc.log"

BENCH_OUT=$out BENCH_SECONDS=1 env -u KS_WORK "$KS_TOP/tools/bench/run" 1 > "$out/log" 2>&1
ks_expect_eq "tools/bench/run 1 exits 0" 0 "$?"
ks_expect "prints the side-by-side table" grep -q 'kslice vs openconnect' "$out/log"
ks_expect "results.json has both clients for every throughput and CPU figure" /usr/bin/python3 -c '
import json,sys; m=json.load(open(sys.argv[1]))["metrics"]
for k in ("up_mbit_s","down_mbit_s","up_cpu_ns_per_byte","down_cpu_ns_per_byte","launch_to_usable_ms","ping_rtt_ms","peak_rss_kib"):
    assert m[k]["kslice"] and m[k]["openconnect"] and m[k]["ratio"], k' "$out/results.json"
ks_expect "results.json has the DTLS pair too (kslice-dtls, openconnect-dtls)" /usr/bin/python3 -c '
import json,sys; m=json.load(open(sys.argv[1]))["metrics_dtls"]
for k in ("up_mbit_s","down_mbit_s","up_cpu_ns_per_byte","down_cpu_ns_per_byte","launch_to_usable_ms","loaded_rtt_p99_ms"):
    assert m[k]["kslice-dtls"] and m[k]["openconnect-dtls"] and m[k]["ratio"], k' "$out/results.json"
ks_expect "the DTLS clients carried their data over DTLS (launch to DTLS measured)" /usr/bin/python3 -c '
import json,sys; m=json.load(open(sys.argv[1]))["metrics_dtls"]["dtls_up_ms"]
assert m["kslice-dtls"]["median"] > 0 and m["openconnect-dtls"]["median"] > 0' "$out/results.json"
ks_expect "ratios.png is a PNG" bash -c "file '$out/ratios.png' | grep -q 'PNG image'"
ks_done || { cat "$out/log"; exit 1; }
