#!/usr/bin/env bash
# The test library's own checks can fail (issue #13 §8): each is shown a failure it must
# catch, and kept here so that a later edit that blunts one is caught too.
# - ks_expect / ks_expect_eq return and count a failure; ks_skip is a skip, not a pass;
#   ks_done fails when anything failed; ks_wait_gone fails (and kills) on a process that
#   does not end, rather than waiting forever.
# - tests/integration/run counts a test that exits non-zero after a clean summary, one that
#   ends without a summary, one that hangs (its time limit, KS_TEST_TIMEOUT), and a skip.
# - tests/run-all fails on a sanitizer report in KS_SAN_DIR, whatever the tests said.
# - ks_left_behind names every kind of thing a SIGKILLed kslice leaves, and nothing after
#   `kslice cleanup`.
set -u
source "$(dirname "$0")/../lib/netns.sh"
ks_test_setup
IF=kst0
lib=$KS_TOP/tests/lib/netns.sh

# Runs a snippet against a fresh copy of the library's counters; prints its output, then
# "rc=N pass=N fail=N skip=N".
in_lib() { # (in this test's work directory: the library makes none of its own)
	KS_WORK=$KS_WORK bash -c "source '$lib'; KS_PASS=0 KS_FAIL=0 KS_SKIP=0; $1; echo \"rc=\$? pass=\$KS_PASS fail=\$KS_FAIL skip=\$KS_SKIP\"" 2>&1
}

out=$(in_lib 'ks_expect "x" false')
ks_expect "ks_expect: a false check is reported, counted and returned" \
	test "$out" = $'not ok - x\nrc=1 pass=0 fail=1 skip=0'
out=$(in_lib 'ks_expect "x" true')
ks_expect "ks_expect: a true check passes" test "$out" = $'ok - x\nrc=0 pass=1 fail=0 skip=0'
out=$(in_lib 'ks_expect_eq "x" a b')
ks_expect "ks_expect_eq: a difference is a failure that shows both values" \
	test "$out" = $'not ok - x (want \'a\', got \'b\')\nrc=1 pass=0 fail=1 skip=0'
out=$(in_lib 'ks_skip "x"')
ks_expect "ks_skip: counted as a skip, not a pass" test "$out" = $'ok - x # SKIP\nrc=0 pass=0 fail=0 skip=1'
out=$(in_lib 'ks_expect "x" false; ks_expect "y" true; ks_done')
ks_expect "ks_done: fails when a check failed" grep -q '^1 passed, 1 failed, 0 skipped$' <<<"$out"
ks_expect "ks_done: ... with a non-zero status" grep -q 'rc=1 ' <<<"$out"
t0=$(ks_ms_now)
out=$(in_lib 'sleep 300 & ks_wait_gone $!; echo "KS_RC=$KS_RC"')
took=$(($(ks_ms_now) - t0))
ks_expect "ks_wait_gone: a process that does not end is a failure" \
	grep -q '^not ok - pid [0-9]* did not exit within 10 s: killed$' <<<"$out"
ks_expect "ks_wait_gone: ... it is killed (SIGKILL), not waited for ($took ms)" \
	bash -c "grep -q '^KS_RC=137$' <<<'$out' && [ $took -lt 30000 ]"

# --- the integration runner ---
d=$KS_WORK/fake-tests
mkdir -p "$d"
printf '#!/bin/bash\necho "ok - a"; echo "ok - b"; echo "ok - c # SKIP"\necho "2 passed, 0 failed, 1 skipped"\n' >"$d/test_a_ok.sh"
printf '#!/bin/bash\necho "1 passed, 0 failed, 0 skipped"; exit 3\n' >"$d/test_b_exit.sh"
printf '#!/bin/bash\necho "ok - c"\n' >"$d/test_c_nosummary.sh"
printf '#!/bin/bash\nexit 77\n' >"$d/test_d_skip.sh"
printf '#!/bin/bash\necho "ok - e"; sleep 300; echo "1 passed, 0 failed, 0 skipped"\n' >"$d/test_e_hang.sh"
KS_INTEGRATION_DIR=$d KS_TEST_TIMEOUT=2 "$KS_TOP/tests/integration/run" >"$KS_WORK/runner.out" 2>&1
rc=$?
ks_expect_eq "runner: the sum counts each way to fail" "3 passed, 3 failed, 2 skipped" \
	"$(tail -1 "$KS_WORK/runner.out")"
ks_expect_eq "runner: ... and its exit status says so" 1 "$rc"
ks_expect "runner: a test's non-zero exit after a clean summary" \
	grep -q '^not ok - test_b_exit exited 3$' "$KS_WORK/runner.out"
ks_expect "runner: a test that ends without a summary" \
	grep -q '^not ok - test_c_nosummary ended (exit 0) before its summary$' "$KS_WORK/runner.out"
ks_expect "runner: a test that hangs is ended by its time limit (timeout -k)" \
	grep -q '^not ok - test_e_hang ended (exit 124) before its summary$' "$KS_WORK/runner.out"

# --- run-all and the sanitizers' reports ---
ok=$KS_WORK/ok-tests
mkdir -p "$ok"
printf '#!/bin/bash\necho "1 passed, 0 failed, 0 skipped"\n' >"$ok/test_ok.sh"
printf '#!/bin/bash\necho "1 passed, 0 failed, 0 skipped"\n[ -n "${REPORT:-}" ] && echo "==1==ERROR: AddressSanitizer: heap-use-after-free" >"$KS_SAN_DIR/asan.4242"\nexit 0\n' \
	>"$KS_WORK/unit.sh"
chmod +x "$KS_WORK/unit.sh"
KS_INTEGRATION_DIR=$ok KS_SAN_DIR=$KS_WORK/san "$KS_TOP/tests/run-all" "$KS_WORK/unit.sh" \
	>"$KS_WORK/run-all.out" 2>&1
ks_expect_eq "run-all: no report, all passed" "0 2 passed, 0 failed, 0 skipped" \
	"$? $(tail -1 "$KS_WORK/run-all.out")"
REPORT=1 KS_INTEGRATION_DIR=$ok KS_SAN_DIR=$KS_WORK/san "$KS_TOP/tests/run-all" \
	"$KS_WORK/unit.sh" >"$KS_WORK/run-all.out" 2>&1
ks_expect_eq "run-all: a sanitizer report fails the run though every test passed" \
	"1 2 passed, 1 failed, 0 skipped" "$? $(tail -1 "$KS_WORK/run-all.out")"
ks_expect "run-all: ... and shows it" \
	grep -q '^not ok - sanitizer report asan.4242:' "$KS_WORK/run-all.out"

# --- what kslice has in place, and what a SIGKILLed one leaves: each kind named ---
ks_answers alicepass
ks_kslice_bg "$KS_WORK/kill.log" -u alice --passwd-on-stdin --servercert "$PIN" -i $IF $KS_GW_IP
pid=$KS_PID
ks_expect "SIGKILL: up" ks_wait_tunnel $IF "$pid"
ks_expect_eq "ks_left_behind names all a running kslice has in place" \
	"device control-socket pins cgroup-hook uplink-filter(eth0) rules " "$(ks_left_behind $IF)"
{ kill -KILL "$pid"; ks_wait_gone "$pid"; } 2>/dev/null
# The TUN device and the cgroup hook (a BPF link) go with the process; the kill switch stays.
ks_expect_eq "ks_left_behind names what a SIGKILLed kslice leaves" \
	"control-socket pins uplink-filter(eth0) rules " "$(ks_left_behind $IF)"
ks_expect "ks_nothing_left: false then" eval "! ks_nothing_left $IF"
ks_expect "kslice cleanup" ks_cli "$KS_BIN" cleanup -i $IF
ks_expect_eq "ks_left_behind: nothing after cleanup" "" "$(ks_left_behind $IF)"
ks_expect "ks_nothing_left: true at the end" ks_nothing_left $IF
ks_done
