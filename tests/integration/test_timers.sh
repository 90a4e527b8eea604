#!/usr/bin/env bash
# The gateway's timers (issue #13 §4).
# - Rekey: ocserv with rekey-time 4 s, first rekey-method ssl (on TLS 1.3 a KeyUpdate on the
#   same connection), then new-tunnel (a CONNECT again with the cookie, the system left as
#   it is). Across several rekeys: every ping answered, a transfer spanning them arrives
#   whole (sha256), no reconnect counted, status counts the rekeys, nothing left after.
# - Idle-Timeout: ocserv with idle-timeout 5 s ends a session that carries no packet; kslice
#   says so, exits 7, and the kill switch stays.
# - DPD from the gateway's side: ocserv with dpd 3 s tears down a client whose answers are
#   dropped; kslice reconnects with the session once the path is back.
# - Disconnected-Timeout (ocserv always sends "none"; tests/lib/hostile_gw.py sends 3 s):
#   once the connection is lost, kslice stops asking with a cookie the gateway has
#   forgotten; with no way to log in alone it ends with exit 4 and says why.
# (X-CSTP-Session-Timeout: test_lifecycle.sh.)
set -u
source "$(dirname "$0")/../lib/netns.sh"
KS_OCSERV_SET=$'rekey-time = 4\nrekey-method = ssl'
ks_test_setup
mkdir -p "$KS_WORK/www"
head -c $((6 << 20)) /dev/urandom > "$KS_WORK/www/blob"
want=$(sha256sum < "$KS_WORK/www/blob" | cut -d' ' -f1)
ks_blobsrv_start || { echo "blob server did not start"; exit 1; }
IF=ksr0

json() { ks_cli "$KS_BIN" status -i $IF --json; }

restart_ocserv() { ks_ocserv_restart; } # the template with other KS_OCSERV_SET

# rekeys METHOD: a session of about 11 s, pings every 0.2 s and a slow download throughout.
rekeys() {
	local m=$1 pid got took n
	ks_answers alicepass
	ks_kslice_bg "$KS_WORK/$m.log" -u alice --passwd-on-stdin --servercert "$PIN" -i $IF \
		$KS_GW_IP
	pid=$KS_PID
	ks_expect "$m: up" ks_wait_tunnel $IF "$pid" || { cat "$KS_WORK/$m.log"; return 1; }
	ks_expect_eq "$m: status shows the gateway's rekey method and time" "$m 4" \
		"$(json | jq -r '"\(.tunnel.rekey_method) \(.tunnel.rekey_time)"')"
	# 6 MiB at 600 KB/s: about 10 s, across two rekeys or more.
	ks_in "$KS_CLI" curl -sS --max-time 60 --limit-rate 600k --interface $IF \
		-o "$KS_WORK/$m.down" http://$KS_CORP_IP:8080/blob &
	local curl=$!
	got=$(ks_in "$KS_CLI" ping -q -c 50 -i 0.2 -W 3 -w 30 -I $IF $KS_CORP_IP |
		sed -n 's/^\([0-9]*\) packets transmitted, \([0-9]*\) received.*/\2/p')
	wait $curl
	ks_expect_eq "$m: 50 pings over 10 s of rekeys, every one answered" 50 "$got"
	ks_expect_eq "$m: the download across the rekeys arrives whole (sha256)" "$want" \
		"$(sha256sum < "$KS_WORK/$m.down" | cut -d' ' -f1)"
	n=$(json | jq -r .counters.rekeys)
	ks_expect "$m: status counts the rekeys (2 or more in 10 s, got $n)" test "${n:-0}" -ge 2
	ks_expect_eq "$m: a rekey is not a reconnect" "0 0 connected" \
		"$(json | jq -r '"\(.reconnects) \(.reconnect.count) \(.state)"')"
	ks_expect "$m: the log says each rekey (event=rekeyed method=$m)" \
		grep -q "event=rekeyed method=$m" "$KS_WORK/$m.log"
	ks_expect "$m: status text has the rekey line" \
		bash -c "nsenter --net=/run/netns/$KS_CLI $KS_BIN status -i $IF | grep -q '^rekey: *$m every 4 s, [0-9]* done'"
	sessions=$(grep -c "initiating session for user 'alice'" "$KS_WORK/ocserv.log")
	if [ "$m" = ssl ]; then
		# A KeyUpdate that asks for one back: the gateway's answers are the proof it
		# was taken (OpenSSL's message callback counts them).
		ks_expect "ssl: the gateway answered each KeyUpdate with its own ($n rekeys)" \
			test "$(json | jq -r .counters.key_updates_received)" -ge "$n"
		ks_expect_eq "ssl: one connection to the gateway throughout" 1 "$sessions"
	else
		ks_expect "new-tunnel: a connection to the gateway for each rekey ($sessions for $n)" \
			test "$sessions" -ge $((n + 1))
		ks_expect "new-tunnel: the gateway kept the session (no invalidation)" \
			eval "! grep -q 'invalidating session' '$KS_WORK/ocserv.log'"
	fi
	ks_end_clean "$m" "$pid" $IF
}

rekeys ssl

KS_OCSERV_SET=$'rekey-time = 4\nrekey-method = new-tunnel'
ks_expect "new-tunnel: ocserv restarted with rekey-method new-tunnel" restart_ocserv
rekeys new-tunnel

# --- Idle-Timeout ---
KS_OCSERV_SET='idle-timeout = 5'
ks_expect "idle: ocserv restarted with idle-timeout 5" restart_ocserv
ks_answers alicepass
ks_kslice_bg "$KS_WORK/idle.log" -u alice --passwd-on-stdin --servercert "$PIN" -i $IF $KS_GW_IP
pid=$KS_PID
ks_expect "idle: up" ks_wait_tunnel $IF "$pid"
ks_expect_eq "idle: status shows the gateway's limit" 5 "$(json | jq .tunnel.idle_timeout)"
# ocserv looks every 30 s or so; DPD and keepalives are not traffic to it.
for _ in $(seq 600); do ks_alive "$pid" || break; sleep 0.1; done
ks_wait_gone "$pid"
ks_expect_eq "idle: exit code 7 (ended by the gateway)" 7 "$KS_RC"
ks_expect "idle: says the idle limit ended it" \
	grep -q 'no packet went through the tunnel for [0-9]* s, and its idle limit is 5 s' \
	"$KS_WORK/idle.log"
ks_expect "idle: the kill switch stays (an end nobody asked for)" \
	bash -c "nsenter --net=/run/netns/$KS_CLI tc filter show dev eth0 egress | grep -q ks_tc_uplink"
ks_expect "idle: cleanup lifts it" ks_cli "$KS_BIN" cleanup -i $IF
ks_expect "idle: nothing left" ks_nothing_left $IF

# --- the gateway's DPD on a path that silently drops what the client sends: ocserv with dpd
# 3 s gives up on the client and closes (ocserv looks every 30 s); kslice (its own DPD set
# to 100 s) sees the close and
# reconnects once the path is back, with the cookie the gateway still keeps ---
KS_OCSERV_SET='dpd = 3'
ks_expect "gateway DPD: ocserv restarted with dpd 3" restart_ocserv
ks_answers alicepass
ks_kslice_bg "$KS_WORK/gwdpd.log" -u alice --passwd-on-stdin --servercert "$PIN" -i $IF \
	--force-dpd 100 --timeout 3 $KS_GW_IP
pid=$KS_PID
ks_expect "gateway DPD: up" ks_wait_tunnel $IF "$pid"
ks_cli nft -f - <<EOF
table inet ksmute {
	chain out { type filter hook output priority 0; ip daddr $KS_GW_IP tcp dport 443 drop; }
}
EOF
t0=$(ks_ms_now)
# ocserv looks every 30 s whether the client answered within 3 DPD periods. Its FIN waits
# behind data the client never acknowledged: kslice learns of it when the path is back.
for _ in $(seq 700); do
	grep -q 'connection timeout (DPD)' "$KS_WORK/ocserv.log" && break
	sleep 0.1
done
ks_expect "gateway DPD: the gateway gave up on the silent client (ocserv: connection timeout)" \
	grep -q 'connection timeout (DPD)' "$KS_WORK/ocserv.log"
echo "# measured: the gateway's DPD (3 s) tore the connection down $(($(ks_ms_now) - t0)) ms into the silence"
ks_expect "gateway DPD: kslice's own DPD did not fire (100 s)" \
	eval "! grep -q 'cause=dead_peer' '$KS_WORK/gwdpd.log'"
ks_cli nft delete table inet ksmute
took=$(ks_corp_ping_within $IF 30)
ks_expect "gateway DPD: traffic through the tunnel again once the path is back" test -n "$took"
echo "# measured: after the gateway's DPD: first corporate ping ${took:-?} ms after the path came back"
ks_expect "gateway DPD: kslice found the connection gone and reconnected" \
	bash -c "grep -q 'event=ended cause=closed' '$KS_WORK/gwdpd.log' && grep -q 'event=reconnected' '$KS_WORK/gwdpd.log'"
ks_expect "gateway DPD: with the same session (the cookie kept: no login again)" \
	eval "! grep -q 'event=relogin' '$KS_WORK/gwdpd.log'"
ks_end_clean "gateway DPD" "$pid" $IF

# --- Disconnected-Timeout, from a scripted gateway ---
d=$KS_WORK/dt
ks_expect "disconnected-timeout: the scripted gateway runs" \
	ks_scripted_gw "$d" disconnected-timeout 20443
# The session token of that gateway (HOSTILE0123...: 32 bytes) on stdin: no login again.
printf 'webvpn=HOSTILE0123456789ABCDEF012345678\n' > "$KS_WORK/answers"
ks_kslice_bg "$d/kslice.log" --cookie-on-stdin --servercert "$PIN" -i $IF \
	--reconnect-timeout 60 $KS_GW_IP:20443
pid=$KS_PID
ks_expect "disconnected-timeout: up" ks_wait_tunnel $IF "$pid"
ks_expect_eq "disconnected-timeout: status shows the gateway's 3 s" 3 \
	"$(json | jq .tunnel.disconnected_timeout)"
touch "$d/go"
# Well before --reconnect-timeout 60 ends it.
for _ in $(seq 300); do ks_alive "$pid" || break; sleep 0.1; done
ks_wait_gone "$pid"
ks_expect_eq "disconnected-timeout: exit code 4 (log in again)" 4 "$KS_RC"
ks_expect "disconnected-timeout: says the gateway forgot the session, and why" \
	grep -q 'the gateway no longer knows this session.*keeps a disconnected session 3 s (X-CSTP-Disconnected-Timeout)' \
	"$d/kslice.log"
ks_expect "disconnected-timeout: it tried to reconnect before that" \
	test "$(jq -r '.cut_after_drop // 0' "$d/rec.json")" -ge 1
ks_expect "disconnected-timeout: the kill switch stays" \
	bash -c "nsenter --net=/run/netns/$KS_CLI tc filter show dev eth0 egress | grep -q ks_tc_uplink"
ks_expect "disconnected-timeout: cleanup lifts it" ks_cli "$KS_BIN" cleanup -i $IF
ks_expect "disconnected-timeout: nothing left" ks_nothing_left $IF
ks_done
