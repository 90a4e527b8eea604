#!/usr/bin/env bash
# Faults a laptop meets, end to end against ocserv (issue #13 §6): a path that goes silent
# for 40 s with DPD 10 s (nft drops everything to the gateway; no netem in this kernel),
# 2 % loss during a transfer (nft numgen), kslice stopped 30 s and resumed (SIGSTOP/SIGCONT,
# as a suspend), an iperf3 transfer across a link flap, an address change and a gateway
# restart, two tunnels on two interfaces at once. Each asserts recovery or a clean failure, that nothing is left, and that none of
# the corporate traffic sent all through (pings, v4 and v6) reached a decoy on the
# internet side (an nft counter there); recovery times are printed (measured), bounded
# only generously.
set -u
source "$(dirname "$0")/../lib/netns.sh"
ks_test_setup
command -v nft >/dev/null || { echo "# nft missing (tools/deps.sh installs it)"; exit 77; }
ks_internet || { echo "internet namespace did not come up"; exit 1; }
# Every packet for a corporate address that reaches the internet side is counted.
ks_in "$KS_NET" nft -f - <<EOF || { echo "decoy counter setup failed"; exit 1; }
table inet ksdecoy {
	chain in {
		type filter hook prerouting priority 0;
		ip daddr { $KS_CORP_IP, 10.78.0.53, 10.79.0.10 } counter;
		ip6 daddr { $KS_CORP_IP6, fd78:78::53 } counter;
	}
}
EOF
decoy_packets() {
	ks_in "$KS_NET" nft list table inet ksdecoy |
		sed -n 's/.*counter packets \([0-9]*\).*/\1/p' | awk '{ n += $1 } END { print n + 0 }'
}
# Corporate pings, v4 and v6, five a second, for as long as a fault lasts. Started as
# simple commands so that $! is ping itself (ip netns exec execs it), which the kill ends.
corp_traffic_start() {
	ip netns exec "$KS_CLI" ping -q -i 0.2 $KS_CORP_IP >/dev/null 2>&1 &
	CT4=$!
	ip netns exec "$KS_CLI" ping -q -6 -i 0.2 $KS_CORP_IP6 >/dev/null 2>&1 &
	CT6=$!
}
corp_traffic_stop() { # LABEL
	kill $CT4 $CT6 2>/dev/null
	wait $CT4 $CT6 2>/dev/null
	ks_expect_eq "$1: no corporate packet reached a decoy" 0 "$(decoy_packets)"
	ks_expect "$1: the corporate pings are over" eval "! kill -0 $CT4 2>/dev/null && ! kill -0 $CT6 2>/dev/null"
}
mkdir -p "$KS_WORK/www"
head -c $((16 << 20)) /dev/urandom > "$KS_WORK/www/blob"
want=$(sha256sum < "$KS_WORK/www/blob" | cut -d' ' -f1)
ks_blobsrv_start || { echo "blob server did not start"; exit 1; }
IF=ksf0

# nft in the client namespace: everything to the gateway's TLS port is dropped (silent).
silence() { ks_cli nft -f - <<-EOF
	table inet ksfault {
		chain out { type filter hook output priority 0; ip daddr $KS_GW_IP tcp dport 443 drop; }
	}
	EOF
}
unsilence() { ks_cli nft delete table inet ksfault; }

ks_answers alicepass
# --- a path that goes silent for 40 s; DPD every 10 s (--force-dpd), attempts of 5 s ---
ks_kslice_bg "$KS_WORK/silent.log" -u alice --passwd-on-stdin --servercert "$PIN" -i $IF \
	--force-dpd 10 --timeout 5 $KS_GW_IP
pid=$KS_PID
ks_expect "silent path: up" ks_wait_tunnel $IF "$pid" || { cat "$KS_WORK/silent.log"; ks_done; exit 1; }
corp_traffic_start
t0=$(ks_ms_now)
ks_expect "silent path: nft rule in place" silence
for _ in $(seq 350); do grep -q 'event=reconnecting' "$KS_WORK/silent.log" && break; sleep 0.1; done
ks_expect "silent path: DPD notices (the tunnel is torn down to reconnect)" \
	grep -q 'cause=dead_peer' "$KS_WORK/silent.log"
echo "# measured: silent path: DPD gave up after $(($(ks_ms_now) - t0)) ms of silence (DPD 10 s)"
ks_expect_eq "silent path: meanwhile corporate traffic fails closed" "ERR Operation not permitted" \
	"$(ks_probe tcp $KS_CORP_IP)"
left=$((40000 - ($(ks_ms_now) - t0)))
[ $left -gt 0 ] && sleep $((left / 1000)).$(printf '%03d' $((left % 1000)))
unsilence
took=$(ks_corp_ping_within $IF 30)
corp_traffic_stop "silent path"
ks_expect "silent path: traffic through the tunnel again once the path is back" test -n "$took"
echo "# measured: silent path (40 s, DPD 10 s): first corporate ping ${took:-?} ms after the path came back"
ks_end_clean "silent path" "$pid" $IF

# --- 2 % loss on the path to the gateway during a transfer ---
ks_kslice_bg "$KS_WORK/loss.log" -u alice --passwd-on-stdin --servercert "$PIN" -i $IF $KS_GW_IP
pid=$KS_PID
ks_expect "loss: up" ks_wait_tunnel $IF "$pid"
ks_expect "loss: nft drops 2 % of what goes to the gateway" ks_cli nft -f - <<-EOF
	table inet ksloss {
		chain out {
			type filter hook output priority 0;
			ip daddr $KS_GW_IP tcp dport 443 numgen random mod 50 == 0 counter drop;
		}
	}
	EOF
got=$(ks_in "$KS_CLI" curl -sS --max-time 120 --interface $IF -w '%{speed_download}\n' \
	-o "$KS_WORK/down" http://$KS_CORP_IP:8080/blob)
ks_expect_eq "loss: 16 MiB download, sha256 matches" "$want" \
	"$(sha256sum < "$KS_WORK/down" | cut -d' ' -f1)"
ks_expect_eq "loss: 16 MiB upload, sha256 matches" "$want" "$(ks_in "$KS_CLI" curl -sS \
	--max-time 120 --interface $IF -T "$KS_WORK/www/blob" http://$KS_CORP_IP:8080/sink | tr -d '\n')"
dropped=$(ks_cli nft list table inet ksloss | sed -n 's/.*counter packets \([0-9]*\).*/\1/p')
ks_expect "loss: packets were really dropped ($dropped)" test "${dropped:-0}" -gt 10
echo "# measured: download at 2 % loss: $(awk '{printf "%.1f MB/s", $1/1e6}' <<<"$got")"
ks_cli nft delete table inet ksloss
ks_end_clean "loss" "$pid" $IF

# --- kslice stopped for 30 s (as a suspend), then resumed ---
ks_kslice_bg "$KS_WORK/stop.log" -u alice --passwd-on-stdin --servercert "$PIN" -i $IF $KS_GW_IP
pid=$KS_PID
ks_expect "SIGSTOP: up" ks_wait_tunnel $IF "$pid"
corp_traffic_start
kill -STOP $pid $(pgrep -P "$pid")
sleep 30
kill -CONT $pid $(pgrep -P "$pid")
took=$(ks_corp_ping_within $IF 20)
corp_traffic_stop "SIGSTOP"
ks_expect "SIGSTOP 30 s, SIGCONT: traffic through the tunnel again" test -n "$took"
echo "# measured: after SIGCONT: first corporate ping in ${took:-?} ms"
ks_expect "SIGSTOP: still running" ks_alive "$pid"
ks_end_clean "SIGSTOP" "$pid" $IF

# --- an iperf3 transfer across a 3 s link flap: it finishes or fails cleanly, never hangs ---
ks_kslice_bg "$KS_WORK/iperf.log" -u alice --passwd-on-stdin --servercert "$PIN" -i $IF $KS_GW_IP
pid=$KS_PID
ks_expect "iperf3 flap: up" ks_wait_tunnel $IF "$pid"
ks_bg "$KS_CORP" "$KS_WORK/iperf3-server.log" iperf3 -s -1 -B $KS_CORP_IP >/dev/null
for _ in $(seq 50); do ks_in "$KS_CORP" ss -Hltn "( sport = 5201 )" | grep -q . && break; sleep 0.1; done
# 12 s of sending; a hang would be caught by the 60 s limit (exit 124).
ks_in "$KS_CLI" timeout -k 5 60 iperf3 -c $KS_CORP_IP -t 12 --connect-timeout 5000 -J \
	> "$KS_WORK/iperf3.json" 2>&1 &
ip3=$!
sleep 4
corp_traffic_start
ks_cli ip link set eth0 down
sleep 3
ks_cli ip link set eth0 up
wait $ip3
rc=$?
corp_traffic_stop "iperf3 flap"
echo "# measured: iperf3 across a 3 s flap: exit $rc, $(jq -r '.end.sum_received.bytes // "?"' \
	"$KS_WORK/iperf3.json" 2>/dev/null) bytes received, error: $(jq -r '.error // "none"' \
	"$KS_WORK/iperf3.json" 2>/dev/null)"
ks_expect "iperf3 flap: finished or failed cleanly (exit 0 or 1), never hung (exit $rc)" \
	test "$rc" = 0 -o "$rc" = 1
ks_expect "iperf3 flap: the transfer went on after the flap (it finished)" test "$rc" = 0
ks_expect "iperf3 flap: kslice noticed the link and reconnected" \
	grep -q 'event=reconnected' "$KS_WORK/iperf.log"
ks_expect "iperf3 flap: traffic through the tunnel afterwards" \
	ks_in "$KS_CLI" ping -c 1 -W 2 -I $IF $KS_CORP_IP
ks_end_clean "iperf3 flap" "$pid" $IF

# --- the laptop's address changes under the tunnel (roaming), then the gateway restarts and
# forgets the session: corporate pings all through, none at a decoy ---
ks_kslice_bg "$KS_WORK/roam.log" -u alice --passwd-on-stdin --servercert "$PIN" -i $IF $KS_GW_IP
pid=$KS_PID
ks_expect "roaming: up" ks_wait_tunnel $IF "$pid"
corp_traffic_start
ks_cli ip addr del $KS_CLI_IP/24 dev eth0
ks_cli ip addr add 198.18.1.4/24 dev eth0
took=$(ks_corp_ping_within $IF 20)
ks_expect "roaming: traffic through the tunnel again from the new address" test -n "$took"
echo "# measured: address change: first corporate ping after ${took:-?} ms"
ks_cli ip addr del 198.18.1.4/24 dev eth0
ks_cli ip addr add $KS_CLI_IP/24 dev eth0
ks_expect "roaming: back on the first address" test -n "$(ks_corp_ping_within $IF 20)"
corp_traffic_stop "roaming"
corp_traffic_start
ks_expect "gateway restart: ocserv is back, without the session" ks_ocserv_restart
took=$(ks_corp_ping_within $IF 30)
ks_expect "gateway restart: logged in again, traffic through the tunnel" test -n "$took"
echo "# measured: gateway restart: first corporate ping after ${took:-?} ms"
corp_traffic_stop "gateway restart"
ks_end_clean "roaming and restart" "$pid" $IF

# --- two tunnels on two interfaces at once (their own table, rules and mark) ---
ks_kslice_bg "$KS_WORK/two-a.log" -u alice --passwd-on-stdin --servercert "$PIN" -i ksf1 $KS_GW_IP
pa=$KS_PID
ks_kslice_bg "$KS_WORK/two-b.log" -u alice --passwd-on-stdin --servercert "$PIN" -i ksf2 \
	--table 27508 --rule-pref 5310 --mark 0x1000000 $KS_GW_IP
pb=$KS_PID
ks_expect "two tunnels: the first up" ks_wait_tunnel ksf1 "$pa"
ks_expect "two tunnels: the second up" ks_wait_tunnel ksf2 "$pb"
ks_expect "two tunnels: a ping through the first" ks_in "$KS_CLI" ping -c 1 -W 2 -I ksf1 $KS_CORP_IP
ks_expect "two tunnels: a ping through the second" ks_in "$KS_CLI" ping -c 1 -W 2 -I ksf2 $KS_CORP_IP
ks_expect_eq "two tunnels: each status answers for its own" "ksf1 ksf2" \
	"$(ks_cli "$KS_BIN" status -i ksf1 --json | jq -r .interface) $(ks_cli "$KS_BIN" status -i ksf2 --json | jq -r .interface)"
ks_expect "two tunnels: disconnect the second" ks_cli "$KS_BIN" disconnect -i ksf2
ks_wait_gone "$pb"
ks_expect "two tunnels: the first still carries traffic" \
	ks_in "$KS_CLI" ping -c 1 -W 2 -I ksf1 $KS_CORP_IP
ks_expect "two tunnels: disconnect the first" ks_cli "$KS_BIN" disconnect -i ksf1
ks_wait_gone "$pa"
ks_expect "two tunnels: nothing left of the first" ks_nothing_left ksf1
ks_expect "two tunnels: nothing left of the second" ks_nothing_left ksf2
ks_expect_eq "two tunnels: no rule of the second left" "" "$(ks_cli ip rule show | grep -E '^531[012]:')"
ks_done
