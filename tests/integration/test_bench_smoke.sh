#!/usr/bin/env bash
# The benchmark harness still runs end to end (one short round). No figure is judged here:
# benchmarks report, tests check correctness.
set -u
source "$(dirname "$0")/../lib/netns.sh"
ks_require_root
out=$(mktemp -d /tmp/ks-bench.XXXXXX)
trap 'rm -rf "$out"; ks_teardown' EXIT
BENCH_OUT=$out BENCH_SECONDS=1 "$KS_TOP/tools/bench/run" 1 > "$out/log" 2>&1
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
