#!/usr/bin/env bash
# Session lifecycle: --background and --pid-file, `kslice disconnect`, a gateway-initiated
# disconnect (occtl), a gateway that dies; nothing may be left behind in any case.
set -u
source "$(dirname "$0")/../lib/netns.sh"
ks_test_setup
IF=ksb0
PIDF=$KS_WORK/kslice.pid

# --- --background returns once the tunnel is usable ---
ks_answers alicepass
ks_kslice_fg "$KS_WORK/bg.log" -b --pid-file "$PIDF" -u alice --passwd-on-stdin \
	--servercert "$PIN" -i $IF $KS_GW_IP
ks_expect_eq "--background: exit code 0 once up" 0 "$?"
ks_expect "--background: the tunnel is usable on return" \
	ks_in "$KS_CLI" ping -c 1 -W 2 -I $IF $KS_CORP_IP
dpid=$(cat "$PIDF" 2>/dev/null)
KS_PIDS+=($dpid)
ks_expect "--pid-file holds the daemon's PID" kill -0 "$dpid"
ks_expect "the daemon is a kslice" grep -q kslice "/proc/$dpid/comm"
ks_cli "$KS_BIN" status -i $IF >/dev/null
ks_expect_eq "status: exit 0 while connected" 0 "$?"
ks_cli "$KS_BIN" disconnect -i $IF
ks_expect_eq "disconnect: exit 0" 0 "$?"
ks_expect "daemon gone when disconnect returns" eval "! ks_alive $dpid"
ks_expect "pid file removed" test ! -e "$PIDF"
ks_expect "nothing left" ks_nothing_left $IF
ks_cli "$KS_BIN" status -i $IF >/dev/null
ks_expect_eq "status: exit 8 when not running" 8 "$?"
ks_cli "$KS_BIN" disconnect -i $IF 2>/dev/null
ks_expect_eq "disconnect: exit 8 when not running" 8 "$?"

# --- --background with a failing login reports it ---
ks_answers wrong
ks_kslice_fg "$KS_WORK/bgfail.log" -b -u alice --passwd-on-stdin --servercert "$PIN" -i $IF $KS_GW_IP
ks_expect_eq "--background, wrong password: exit code 4" 4 "$?"

# --- the gateway disconnects the user ---
ks_answers alicepass
ks_kslice_bg "$KS_WORK/occtl.log" -u alice --passwd-on-stdin --servercert "$PIN" -i $IF $KS_GW_IP
pid=$KS_PID
ks_expect "up again" ks_wait_tunnel $IF "$pid"
ks_occtl disconnect user alice >/dev/null
ks_wait_gone "$pid"
ks_expect_eq "occtl disconnect: exit code 7" 7 "$KS_RC"
ks_expect "occtl disconnect: says the gateway ended it" grep -q 'session ended by the gateway' "$KS_WORK/occtl.log"
# --kill-switch on-failure (the default): a session that ends without the user keeps
# blocking corporate traffic until the user lifts it.
ks_expect "occtl disconnect: says the kill switch stays" \
	grep -q 'the kill switch stays in force (--kill-switch on-failure)' "$KS_WORK/occtl.log"
ks_expect "occtl disconnect: the uplink filter is still there" \
	bash -c "nsenter --net=/run/netns/$KS_CLI tc filter show dev eth0 egress | grep -q ks_tc_uplink"
ks_expect "occtl disconnect: a corporate ping gets no answer" \
	bash -c "! nsenter --net=/run/netns/$KS_CLI ping -q -c 1 -W 1 $KS_CORP_IP >/dev/null 2>&1"
ks_expect "occtl disconnect: status explains it" \
	bash -c "nsenter --net=/run/netns/$KS_CLI $KS_BIN status -i $IF | grep -q 'kill switch still active'"
ks_expect "kslice disconnect lifts it" ks_cli "$KS_BIN" disconnect -i $IF
ks_expect "occtl disconnect: then nothing left" ks_nothing_left $IF
ks_kslice_bg "$KS_WORK/occtl-off.log" -u alice --passwd-on-stdin --servercert "$PIN" -i $IF \
	--kill-switch off $KS_GW_IP
pid=$KS_PID
ks_expect "--kill-switch off: up" ks_wait_tunnel $IF "$pid"
ks_occtl disconnect user alice >/dev/null
ks_wait_gone "$pid"
ks_expect_eq "--kill-switch off, occtl disconnect: exit code 7" 7 "$KS_RC"
ks_expect "--kill-switch off: nothing left at once" ks_nothing_left $IF

# --- the connection is lost (the session's ocserv worker dies): kslice resumes it ---
ks_kslice_bg "$KS_WORK/resume.log" -u alice --passwd-on-stdin --servercert "$PIN" -i $IF $KS_GW_IP
pid=$KS_PID
ks_expect "up again" ks_wait_tunnel $IF "$pid"
ifindex=$(ks_in "$KS_CLI" cat /sys/class/net/$IF/ifindex)
ks_in "$KS_CLI" ping -q -c 5 -w 10 -i 0.2 -I $IF $KS_CORP_IP >/dev/null 2>&1
tx_before=$(ks_cli "$KS_BIN" status --json -i $IF | jq .counters.tx_packets)
for p in $(ip netns pids "$KS_GW"); do
	[ "$(cat /proc/$p/comm 2>/dev/null)" = ocserv-worker ] && kill -KILL "$p"
done
for _ in $(seq 100); do grep -q 'event=reconnected' "$KS_WORK/resume.log" && break; sleep 0.1; done
ks_expect "lost connection: kslice reconnects with its cookie" grep -q 'event=reconnected' "$KS_WORK/resume.log"
ks_expect "lost connection: the same TUN device is kept" \
	test "$ifindex" = "$(ks_in "$KS_CLI" cat /sys/class/net/$IF/ifindex 2>/dev/null)"
ks_expect "lost connection: traffic flows again" ks_in "$KS_CLI" ping -c 1 -W 2 -I $IF $KS_CORP_IP
ks_expect "status counts the reconnect" bash -c \
	"nsenter --net=/run/netns/$KS_CLI $KS_BIN status --json -i $IF | grep -q '\"reconnects\":1'"
st=$(ks_cli "$KS_BIN" status --json -i $IF)
ks_expect_eq "status: the reconnect history (count, up again)" "1 false" \
	"$(jq -r '"\(.reconnect.count) \(.reconnect.down)"' <<<"$st")"
ks_expect "status: the last cause is the lost connection" \
	grep -q '^closed: ' <<<"$(jq -r .reconnect.last_cause <<<"$st")"
ks_expect "status: time spent down is counted" test "$(jq .reconnect.down_ms <<<"$st")" -gt 0
ks_expect "status: the traffic counters count since connect, not since the reconnect" \
	test "$(jq .counters.tx_packets <<<"$st")" -ge "$tx_before"
ks_expect "status text: the reconnect line" bash -c \
	"nsenter --net=/run/netns/$KS_CLI $KS_BIN status -i $IF | grep -q '^reconnects: 1, down '"
kill -TERM "$pid"
ks_wait_gone "$pid"
ks_expect_eq "after a reconnect: clean exit" 0 "$KS_RC"

# --- roaming: the network path changes under the tunnel; kslice notices at once (the
# monitor watches rtnetlink) instead of waiting for DPD (60 s here) ---
ks_kslice_bg "$KS_WORK/roam.log" -u alice --passwd-on-stdin --servercert "$PIN" -i $IF $KS_GW_IP
pid=$KS_PID
ks_expect "roaming: up" ks_wait_tunnel $IF "$pid"
ks_cli ip addr del $KS_CLI_IP/24 dev eth0
ks_cli ip addr add 198.18.1.4/24 dev eth0
took=$(ks_corp_ping_within $IF 20)
ks_expect "address change: traffic through the tunnel again, long before DPD" test -n "$took"
echo "# measured: address change: first corporate ping answered after ${took:-?} ms"
ks_expect "address change: kslice saw the path change" grep -q 'event=path_changed' "$KS_WORK/roam.log"
ks_expect "address change: and reconnected from the new address" \
	test "$(ks_cli "$KS_BIN" status -i $IF --json | jq -r .reconnects)" -ge 1
ks_cli ip link set eth0 down
sleep 2
ks_cli ip link set eth0 up
took=$(ks_corp_ping_within $IF 20)
ks_expect "link flap (2 s down): traffic through the tunnel again" test -n "$took"
echo "# measured: link flap: first corporate ping answered ${took:-?} ms after the link came up"
ks_cli ip addr del 198.18.1.4/24 dev eth0
ks_cli ip addr add $KS_CLI_IP/24 dev eth0
took=$(ks_corp_ping_within $IF 20)
ks_expect "address changed back: traffic through the tunnel again" test -n "$took"
ks_end_clean roaming "$pid" $IF

# --- the default route moves to another link (Wi-Fi to Ethernet): the gateway is reached by
# the default route, first over eth0, then over a second link eth2 (ks_second_link) ---
ks_second_link &&
	ks_cli ip route del 198.18.1.0/24 dev eth0 &&
	ks_cli ip route add default via $KS_GW_IP dev eth0 onlink
ks_expect_eq "default route: set up (eth0, the gateway not on-link)" 0 "$?"
ks_kslice_bg "$KS_WORK/defroute.log" -u alice --passwd-on-stdin --servercert "$PIN" -i $IF $KS_GW_IP
pid=$KS_PID
ks_expect "default route: up over eth0" ks_wait_tunnel $IF "$pid"
ks_cli ip route replace default via 198.18.3.1 dev eth2
took=$(ks_corp_ping_within $IF 20)
ks_expect "default route moved to eth2: traffic through the tunnel again, long before DPD" \
	test -n "$took"
echo "# measured: default route change: first corporate ping answered after ${took:-?} ms"
ks_expect "default route: kslice saw the route to the gateway change" \
	grep -q 'event=path_changed reason="the route to the gateway changed"' "$KS_WORK/defroute.log"
ks_expect_eq "default route: reconnected from eth2's address" 198.18.3.2 \
	"$(ks_in "$KS_CLI" ss -Htn state established "( dport = 443 )" | awk '{print $3}' | cut -d: -f1)"
ks_end_clean "default route" "$pid" $IF
ks_cli ip route replace default via $KS_GW_IP dev eth0 onlink
ks_cli ip route add 198.18.1.0/24 dev eth0 src $KS_CLI_IP
ks_cli ip route del default

# --- the gateway restarts and forgets the session ---
restart_ocserv() { ks_ocserv_restart; }
# With the answers on stdin (no person): kslice logs in again by itself.
ks_answers alicepass
ks_kslice_bg "$KS_WORK/restart.log" -u alice --passwd-on-stdin --servercert "$PIN" -i $IF $KS_GW_IP
pid=$KS_PID
ks_expect "gateway restart: up" ks_wait_tunnel $IF "$pid"
ks_expect "gateway restart: ocserv is back (a new one, without the session)" restart_ocserv
for _ in $(seq 100); do grep -q 'event=reconnected' "$KS_WORK/restart.log" && break; sleep 0.1; done
ks_expect "gateway restart: the cookie refused, kslice logged in again by itself" \
	grep -q 'event=relogin_ok' "$KS_WORK/restart.log"
ks_expect "gateway restart: and reconnected" grep -q 'event=reconnected' "$KS_WORK/restart.log"
took=$(ks_corp_ping_within $IF 20)
ks_expect "gateway restart: traffic through the tunnel again" test -n "$took"
ks_expect "gateway restart: still the same session (running)" ks_alive "$pid"
ks_end_clean "gateway restart" "$pid" $IF

# The password from --passwd-file (no stdin at all): kept, so the login again needs nobody.
printf 'alicepass\n' > "$KS_WORK/alice.pw"
chmod 644 "$KS_WORK/alice.pw"
ks_kslice_fg "$KS_WORK/pwfile-open.log" -u alice --passwd-file "$KS_WORK/alice.pw" \
	--servercert "$PIN" -i $IF $KS_GW_IP </dev/null
ks_expect_eq "--passwd-file readable by others: refused, exit 2" 2 "$?"
ks_expect "... the message names the file and the fix" \
	grep -q "alice.pw can be read or written by others than its owner (mode 0644): chmod go-rwx" \
	"$KS_WORK/pwfile-open.log"
chmod 600 "$KS_WORK/alice.pw"
nsenter --net=/run/netns/$KS_CLI "$KS_BIN" connect -u alice --passwd-file "$KS_WORK/alice.pw" \
	--servercert "$PIN" -i $IF $KS_GW_IP </dev/null >"$KS_WORK/pwfile.log" 2>&1 &
pid=$!
KS_PIDS+=($pid)
ks_expect "--passwd-file: up, nothing on stdin" ks_wait_tunnel $IF "$pid"
ks_expect "--passwd-file: restart ocserv" restart_ocserv
for _ in $(seq 200); do grep -q 'event=reconnected' "$KS_WORK/pwfile.log" && break; sleep 0.1; done
ks_expect "--passwd-file: the gateway forgot the session; kslice logged in again with the file's password" \
	grep -q 'event=relogin_ok' "$KS_WORK/pwfile.log"
took=$(ks_corp_ping_within $IF 20)
ks_expect "--passwd-file: traffic through the tunnel again" test -n "$took"
ks_expect "--passwd-file: the password is in no argument or environment" \
	eval "! grep -qa alicepass /proc/$pid/cmdline /proc/$pid/environ"
ks_end_clean "--passwd-file" "$pid" $IF

# With a cookie from stdin (openconnect --authenticate): no credentials to log in again.
cookie=$(echo alicepass | ks_in "$KS_CLI" timeout 30 openconnect --authenticate --user alice \
	--passwd-on-stdin --servercert "$PIN" $KS_GW_IP 2>/dev/null | sed -n "s/^COOKIE='\(.*\)'$/\1/p")
ks_expect "--cookie-on-stdin: openconnect --authenticate gave a cookie list with webvpn=" \
	grep -q 'webvpn=' <<<"$cookie"
printf '%s\n' "$cookie" > "$KS_WORK/answers"
ks_kslice_bg "$KS_WORK/restart-cookie.log" --cookie-on-stdin --servercert "$PIN" -i $IF $KS_GW_IP
pid=$KS_PID
ks_expect "--cookie-on-stdin: up with openconnect's cookie" ks_wait_tunnel $IF "$pid"
ks_expect "--cookie-on-stdin: restart ocserv" restart_ocserv
ks_wait_gone "$pid"
ks_expect_eq "gateway restart, cookie only: exit code 4 (log in again)" 4 "$KS_RC"
ks_expect "gateway restart, cookie only: says the gateway no longer knows the session" \
	grep -q 'the gateway no longer knows this session' "$KS_WORK/restart-cookie.log"
ks_expect "gateway restart, cookie only: the kill switch stays (--kill-switch on-failure)" \
	bash -c "nsenter --net=/run/netns/$KS_CLI tc filter show dev eth0 egress | grep -q ks_tc_uplink"
ks_expect "gateway restart, cookie only: a corporate ping gets no answer" \
	bash -c "! nsenter --net=/run/netns/$KS_CLI ping -q -c 1 -W 1 $KS_CORP_IP >/dev/null 2>&1"
ks_answers alicepass
ks_kslice_bg "$KS_WORK/restart2.log" -u alice --passwd-on-stdin --servercert "$PIN" -i $IF $KS_GW_IP
pid=$KS_PID
ks_expect "gateway restart: a new connect logs in and takes over" ks_wait_tunnel $IF "$pid"
ks_expect "... traffic flows" ks_in "$KS_CLI" ping -c 1 -W 2 -I $IF $KS_CORP_IP
ks_end_clean "after the takeover" "$pid" $IF

# --- the gateway's session time limit (X-CSTP-Session-Timeout: 4 s for erin) ---
ks_answers erinpass
ks_kslice_bg "$KS_WORK/timeout.log" -u erin --passwd-on-stdin --servercert "$PIN" -i $IF \
	--kill-switch off $KS_GW_IP
pid=$KS_PID
ks_expect "session time limit: up" ks_wait_tunnel $IF "$pid"
ks_expect_eq "session time limit: status shows the gateway's limit" 4 \
	"$(ks_cli "$KS_BIN" status -i $IF --json | jq .tunnel.session_timeout)"
for _ in $(seq 300); do ks_alive "$pid" || break; sleep 0.1; done
ks_wait_gone "$pid"
ks_expect_eq "session time limit: exit code 7 (ended by the gateway)" 7 "$KS_RC"
ks_expect "session time limit: says the limit was reached" \
	grep -q 'its time limit of 4 s was reached' "$KS_WORK/timeout.log"
ks_expect "session time limit: nothing left (--kill-switch off)" ks_nothing_left $IF
ks_answers alicepass

# --- --syslog: every line goes to syslog, none to stderr, from both processes ---
# kslice runs in a mount namespace of its own whose /dev is a tmpfs with the devices it
# uses and /dev/log: the test's receiver (this machine's /dev is left alone).
sink=$KS_WORK/syslog.sock
ks_bg "$KS_CLI" "$KS_WORK/syslog.sink" /usr/bin/python3 "$KS_TOP/tests/lib/syslog_sink.py" \
	--socket "$sink" --out "$KS_WORK/syslog.lines" --max-seconds 300 >/dev/null
for _ in $(seq 50); do [ -S "$sink" ] && break; sleep 0.1; done
nsenter --net=/run/netns/$KS_CLI unshare -m --propagation private sh -c '
	mount -t tmpfs -o mode=755 ksdev /dev && mkdir /dev/net &&
	mknod -m 666 /dev/null c 1 3 && mknod -m 666 /dev/zero c 1 5 &&
	mknod -m 666 /dev/random c 1 8 && mknod -m 666 /dev/urandom c 1 9 &&
	mknod -m 666 /dev/net/tun c 10 200 && ln -s /proc/self/fd /dev/fd &&
	ln -s "$1" /dev/log && shift && exec "$@"' sh "$sink" \
	"$KS_BIN" connect -l -u alice --passwd-on-stdin --servercert "$PIN" -i $IF $KS_GW_IP \
	<"$KS_WORK/answers" >"$KS_WORK/syslog.stderr" 2>&1 &
pid=$!
KS_PIDS+=($pid)
ks_expect "--syslog: up" ks_wait_tunnel $IF "$pid"
ks_end_clean "--syslog" "$pid" $IF
worker=$(sed -n 's/.*kslice\[\([0-9]*\)\]: level=info sub=tunnel event=datapath_ready.*/\1/p' \
	"$KS_WORK/syslog.lines" | head -1)
ks_expect "--syslog: the worker's lines arrive (event=datapath_ready, facility daemon)" \
	grep -q "^<30>.*kslice\[$worker\]: level=info sub=tunnel event=datapath_ready" \
	"$KS_WORK/syslog.lines"
ks_expect "--syslog: the monitor's lines arrive, under its own PID ($pid)" \
	grep -q "kslice\[$pid\]: level=" "$KS_WORK/syslog.lines"
ks_expect "--syslog: the login and the goodbye are there" \
	bash -c "grep -q 'event=login_ok user=\"alice\"' '$KS_WORK/syslog.lines' &&
		 grep -q 'event=disconnecting' '$KS_WORK/syslog.lines'"
ks_expect "--syslog: no log line on stderr" \
	eval "! grep -q '^level=' '$KS_WORK/syslog.stderr'"

# --- the gateway dies under us and does not come back ---
ks_kslice_bg "$KS_WORK/dead.log" -u alice --passwd-on-stdin --servercert "$PIN" \
	--reconnect-timeout 3 -i $IF $KS_GW_IP
pid=$KS_PID
ks_expect "up again" ks_wait_tunnel $IF "$pid"
for p in $(ip netns pids "$KS_GW"); do kill -KILL "$p"; done
ks_wait_gone "$pid"
ks_expect_eq "gateway killed, no reconnect within 3 s: exit code 7" 7 "$KS_RC"
ks_expect "gateway killed: it tried to reconnect" grep -q 'event=reconnect_failed' "$KS_WORK/dead.log"
ks_expect "gateway killed: the kill switch stays" \
	bash -c "nsenter --net=/run/netns/$KS_CLI tc filter show dev eth0 egress | grep -q ks_tc_uplink"
ks_expect "gateway killed: cleanup lifts it" ks_cli "$KS_BIN" cleanup -i $IF
ks_expect "gateway killed: then nothing left" ks_nothing_left $IF
ks_done
