#!/usr/bin/env bash
# The control socket against hostile local users: it is not world-writable, a client that
# dribbles or holds many connections costs the tunnel nothing, and clients that vanish
# mid-exchange neither kill nor stall the daemon.
set -u
source "$(dirname "$0")/../lib/netns.sh"
ks_test_setup
IF=ksc0
SOCK=$KSLICE_RUN_DIR/$IF.sock

ks_answers alicepass
ks_kslice_bg "$KS_WORK/ctl.log" -u alice --passwd-on-stdin --servercert "$PIN" -i $IF $KS_GW_IP
pid=$KS_PID
ks_expect "tunnel up" ks_wait_tunnel $IF "$pid"

# --- privilege separation: the process that talks to the gateway is not root ---
worker=$(cat /proc/$pid/task/*/children 2>/dev/null | awk '{print $1}')
ks_expect "a worker process runs" test -n "$worker"
ks_expect "the worker has a non-zero uid" \
	awk '/^Uid:/ { exit !($2 != 0 && $3 != 0 && $4 != 0 && $5 != 0) }' /proc/$worker/status
ks_expect "the worker has no capability (effective, permitted, inheritable, ambient)" \
	awk '/^CapEff:|^CapPrm:|^CapInh:|^CapAmb:/ { if ($2 != "0000000000000000") bad=1 } END { exit bad }' /proc/$worker/status
ks_expect "the worker cannot regain privileges (NoNewPrivs)" grep -q '^NoNewPrivs:.*1' /proc/$worker/status
ks_expect "the worker runs under a seccomp filter" grep -q '^Seccomp:.*2' /proc/$worker/status
# Fields 6 and 7 of stat: session id and controlling tty (after the ")" of comm).
ks_expect "the worker leads its own session, without a terminal" \
	awk -v w="$worker" '{ sub(/.*\) /, ""); exit !($4 == w && $5 == 0) }' /proc/$worker/stat
gwpid=$(ks_in "$KS_CLI" ss -Htnp state established "( dport = :443 )" | grep -o 'pid=[0-9]*' | head -1)
ks_expect_eq "the TLS connection to the gateway is the worker's" "pid=$worker" "$gwpid"
ks_expect "the monitor holds no TCP connection" \
	bash -c "! nsenter --net=/run/netns/$KS_CLI ss -Htnp | grep -q 'pid=$pid,'"

# --- permissions: 0660, so another user cannot even connect ---
mode=$(stat -c %a "$SOCK")
ks_expect_eq "control socket mode" 660 "$mode"
chmod 711 "$KS_WORK" # let another user reach the run directory, to meet the socket itself
out=$(setpriv --reuid=nobody --regid=nogroup --clear-groups -- \
	"$KS_BIN" --trust-env status -i $IF 2>&1)
rc=$?
ks_expect_eq "another user: status refused (exit 1)" 1 "$rc"
ks_expect "another user: told permission denied" grep -q 'permission denied' <<<"$out"
out=$(setpriv --reuid=nobody --regid=nogroup --clear-groups -- \
	"$KS_BIN" --trust-env disconnect -i $IF 2>&1)
ks_expect "another user: cannot disconnect" ks_alive "$pid"
out=$(setpriv --reuid=nobody --regid=nogroup --clear-groups -- "$KS_BIN" status -i $IF 2>&1)
ks_expect_eq "another user: KSLICE_RUN_DIR ignored without --trust-env (not running there)" 8 "$?"

# RTT through the tunnel: 40 pings 0.1 s apart; prints "loss avg_ms".
rtt() {
	ks_in "$KS_CLI" ping -n -q -c 40 -i 0.1 -W 2 -I $IF $KS_CORP_IP 2>/dev/null |
		awk -F'[ /,%]+' '/packets transmitted/ {loss=$6} /^rtt/ {avg=$8} END {print loss, avg}'
}
read -r base_loss base_avg <<<"$(rtt)"
ks_expect_eq "baseline: no ping lost" 0 "$base_loss"

# --- slow clients: 40 connections dribbling a byte every 0.3 s, run as root (the worst) ---
/usr/bin/python3 "$KS_TOP/tests/lib/ctl_abuse.py" dribble "$SOCK" 6 >"$KS_WORK/dribble.out" 2>&1 &
abuse=$!
KS_PIDS+=($abuse)
sleep 0.5
read -r loss avg <<<"$(rtt)"
wait "$abuse"
ks_log "baseline avg ${base_avg} ms; under dribbling clients avg ${avg} ms; $(cat "$KS_WORK/dribble.out")"
ks_expect_eq "dribbling clients: no ping lost" 0 "$loss"
ks_expect "dribbling clients: less than 50 ms more RTT" \
	awk -v a="$avg" -v b="$base_avg" 'BEGIN { exit !(a != "" && a - b < 50) }'
ks_expect "dribbling clients: the daemon dropped the slow ones" \
	grep -Eq 'dropped=[1-9]' "$KS_WORK/dribble.out"

# --- clients that hang up before, during and after their reply ---
/usr/bin/python3 "$KS_TOP/tests/lib/ctl_abuse.py" vanish "$SOCK" 100 >"$KS_WORK/vanish.out" 2>&1
ks_log "$(cat "$KS_WORK/vanish.out")"
ks_expect "vanishing clients: the daemon runs" ks_alive "$pid"
ks_cli "$KS_BIN" status -i $IF >/dev/null
ks_expect_eq "vanishing clients: status still answers" 0 "$?"
ks_expect "vanishing clients: traffic flows" ks_in "$KS_CLI" ping -q -c 3 -w 10 -W 2 -I $IF $KS_CORP_IP

# --- malformed requests get an error line, the daemon goes on ---
reply=$(printf 'status  json\n' | ks_in "$KS_CLI" python3 -c "
import socket,sys; s=socket.socket(socket.AF_UNIX); s.connect('$SOCK'); s.sendall(sys.stdin.buffer.read())
print(s.makefile().read(), end='')")
ks_expect_eq "malformed request: error reply" "error unknown request" "$reply"

ks_cli "$KS_BIN" disconnect -i $IF
ks_expect_eq "disconnect: exit 0" 0 "$?"
ks_wait_gone "$pid"
ks_expect_eq "clean exit" 0 "$KS_RC"
ks_expect "no SIGPIPE or sanitizer report in the log" \
	bash -c "! grep -Eq 'AddressSanitizer|runtime error|LeakSanitizer|Broken pipe' '$KS_WORK/ctl.log'"
ks_expect "nothing left" ks_nothing_left $IF
ks_done
