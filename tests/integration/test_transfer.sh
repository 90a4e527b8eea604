#!/usr/bin/env bash
# Data both ways through the tunnel, checksummed: 64 MiB down and up over TCP (v4; 16 MiB
# over v6), UDP with segmentation offload, ICMP v4 and v6 from tiny to MTU-sized packets;
# then the same with --no-offload. Rates are printed, never asserted.
set -u
source "$(dirname "$0")/../lib/netns.sh"
ks_test_setup
mkdir -p "$KS_WORK/www"
head -c $((64 << 20)) /dev/urandom > "$KS_WORK/www/blob"
head -c $((16 << 20)) "$KS_WORK/www/blob" > "$KS_WORK/www/blob16"
want=$(sha256sum < "$KS_WORK/www/blob" | cut -d' ' -f1)
want16=$(sha256sum < "$KS_WORK/www/blob16" | cut -d' ' -f1)
ks_blobsrv_start || { echo "blob server did not start"; exit 1; }
IF=kst0

ks_answers alicepass
ks_kslice_bg "$KS_WORK/kslice.log" -u alice --passwd-on-stdin \
	--servercert "$PIN" -i $IF $KS_GW_IP
pid=$KS_PID
ks_expect "tunnel up" ks_wait_tunnel $IF "$pid" || { ks_done; exit 1; }
mtu=$(ks_in "$KS_CLI" cat /sys/class/net/$IF/mtu)

got=$(ks_in "$KS_CLI" curl -sS --max-time 120 --interface $IF \
	-w '%{speed_download} %{time_total}\n' -o "$KS_WORK/down" http://$KS_CORP_IP:8080/blob)
ks_expect_eq "64 MiB download through the tunnel: sha256 matches" "$want" \
	"$(sha256sum < "$KS_WORK/down" | cut -d' ' -f1)"
echo "# measured: download 64 MiB: $(awk '{printf "%.1f MB/s in %.2f s", $1/1e6, $2}' <<<"$got")"

got=$(ks_in "$KS_CLI" curl -sS --max-time 120 --interface $IF -T "$KS_WORK/www/blob" \
	-w '%{speed_upload} %{time_total}\n' -o "$KS_WORK/up.sha" http://$KS_CORP_IP:8080/sink)
ks_expect_eq "64 MiB upload through the tunnel: sha256 matches" "$want" "$(tr -d '\n' < "$KS_WORK/up.sha")"
echo "# measured: upload 64 MiB: $(awk '{printf "%.1f MB/s in %.2f s", $1/1e6, $2}' <<<"$got")"

# TCP over IPv6 (the TSO6/GRO v6 paths), 16 MiB each way. IPv6 does not fall back to
# on-link for a device-bound socket with no matching route, as IPv4 does; kslice adds no
# routes (split tunneling steers in eBPF), so the test adds one.
ks_in "$KS_CLI" ip -6 route add fd78:78::/64 dev $IF
transfer16() { # URL-HOST LABEL
	ks_expect_eq "$2: 16 MiB download, sha256 matches" "$want16" "$(ks_in "$KS_CLI" curl -sS \
		--max-time 60 --interface $IF -g "http://$1:8080/blob16" | sha256sum | cut -d' ' -f1)"
	ks_expect_eq "$2: 16 MiB upload, sha256 matches" "$want16" "$(ks_in "$KS_CLI" curl -sS \
		--max-time 60 --interface $IF -g -T "$KS_WORK/www/blob16" "http://$1:8080/sink" | tr -d '\n')"
}
transfer16 "[$KS_CORP_IP6]" "TCP over IPv6"

# UDP_SEGMENT: the stack hands kslice 10-datagram super-packets (USO) it must cut and
# checksum; the receiver counts intact datagrams (a bad checksum would never arrive).
udp_gso() { # HOST LABEL PORT
	local rlog=$KS_WORK/udp-$3.log
	ks_bg "$KS_CORP" "$rlog" /usr/bin/python3 "$KS_TOP/tests/lib/udpgso.py" recv --host "$1" \
		--port "$3" --count 1000 --seconds 10 >/dev/null
	for _ in $(seq 50); do grep -q ready "$rlog" 2>/dev/null && break; sleep 0.1; done
	ks_in "$KS_CLI" /usr/bin/python3 "$KS_TOP/tests/lib/udpgso.py" send --host "$1" --port "$3" \
		--dev $IF --sends 100 --segs 10 --size 1000
	for _ in $(seq 120); do [ "$(wc -l < "$rlog")" -ge 2 ] && break; sleep 0.1; done
	ks_expect_eq "$2: 1000 datagrams sent 10 per send arrive intact" "1000 0" "$(tail -1 "$rlog")"
}
supers() { ks_cli "$KS_BIN" status --json -i $IF | jq '.counters.tx_super_packets'; }
s0=$(supers)
udp_gso $KS_CORP_IP "UDP GSO over IPv4" 9999
udp_gso $KS_CORP_IP6 "UDP GSO over IPv6" 9998
if ks_cli "$KS_BIN" status --json -i $IF | jq -e '.datapath.tun_offloads | test("uso4")' >/dev/null; then
	ks_expect "USO: kslice cut the UDP super-packets itself" [ $(($(supers) - s0)) -ge 150 ]
else
	ks_skip "USO: the kernel has no TUN USO (6.2+); the stack cut the UDP super-packets"
fi

for size in 0 1 100 1000 $((mtu - 28)); do
	ks_expect "ping v4, $size-byte payload" ks_in "$KS_CLI" ping -q -c 3 -w 10 -i 0.2 -W 2 -s $size -I $IF $KS_CORP_IP
done
ks_expect "ping v6 through the tunnel" ks_in "$KS_CLI" ping -6 -q -c 3 -w 10 -i 0.2 -W 2 -I $IF $KS_CORP_IP6
ks_expect "ping v6, MTU-sized" ks_in "$KS_CLI" ping -6 -q -c 2 -w 10 -i 0.2 -W 2 -s $((mtu - 48)) -I $IF $KS_CORP_IP6
ks_expect "a packet larger than the MTU is fragmented, not lost" \
	ks_in "$KS_CLI" ping -q -c 2 -w 10 -i 0.2 -W 2 -s $((mtu + 200)) -I $IF $KS_CORP_IP
ks_expect "flood of 2000 small packets all answered" bash -c \
	"ip netns exec $KS_CLI ping -q -f -c 2000 -W 2 -I $IF $KS_CORP_IP | grep -q ' 0% packet loss'"

json=$(ks_cli "$KS_BIN" status --json -i $IF)
ks_expect "counters: no drops, no bad frames" /usr/bin/python3 -c '
import json,sys; c=json.loads(sys.stdin.read())["counters"]
assert c["tx_dropped"] == 0 and c["rx_dropped"] == 0 and c["rx_bad_frames"] == 0, c
assert c["rx_bytes"] > 64 << 20 and c["tx_bytes"] > 64 << 20, c
print("# measured: tls_writes=%d socket_sends=%d ring_submits=%d tx_packets=%d rx_packets=%d" %
      (c["tls_writes"], c["socket_sends"], c["ring_submits"], c["tx_packets"], c["rx_packets"]))' <<<"$json"
ks_expect "offloads in use: super-packets cut on the way out, coalesced on the way in" \
	/usr/bin/python3 -c '
import json,sys; j=json.loads(sys.stdin.read()); c=j["counters"]; d=j["datapath"]
assert "tso4" in d["tun_offloads"] and "tso6" in d["tun_offloads"] and d["gro"], d
assert c["tx_super_packets"] > 100 and c["rx_super_packets"] > 100, c
assert c["rx_coalesced"] > 2 * c["rx_super_packets"] and c["rx_bad_checksums"] == 0, c
print("# measured: %d TUN reads carried %d packets; %d TUN writes carried %d (%d coalesced)" %
      (c["tun_reads"], c["tx_packets"], c["tun_writes"], c["rx_packets"], c["rx_coalesced"]))' <<<"$json"

kill -TERM "$pid"
ks_wait_gone "$pid"
ks_expect_eq "clean exit" 0 "$KS_RC"
ks_expect "nothing left" ks_nothing_left $IF

# The plain path: no virtio header, every packet alone.
ks_kslice_bg "$KS_WORK/kslice-plain.log" -u alice --passwd-on-stdin --no-offload \
	--servercert "$PIN" -i $IF $KS_GW_IP
pid=$KS_PID
ks_expect "--no-offload: tunnel up" ks_wait_tunnel $IF "$pid" || { ks_done; exit 1; }
transfer16 "$KS_CORP_IP" "--no-offload, IPv4"
ks_in "$KS_CLI" ip -6 route add fd78:78::/64 dev $IF
transfer16 "[$KS_CORP_IP6]" "--no-offload, IPv6"
udp_gso $KS_CORP_IP "--no-offload, UDP GSO (the kernel cuts it)" 9997
ks_expect "--no-offload: no offloads, nothing coalesced, no drops" /usr/bin/python3 -c '
import json,sys; j=json.loads(sys.stdin.read()); c=j["counters"]; d=j["datapath"]
assert d["tun_offloads"] == "" and not d["gro"], d
assert c["tx_super_packets"] == 0 and c["rx_super_packets"] == 0, c
assert c["tx_dropped"] == 0 and c["rx_dropped"] == 0, c' <<<"$(ks_cli "$KS_BIN" status --json -i $IF)"
kill -TERM "$pid"
ks_wait_gone "$pid"
ks_expect_eq "--no-offload: clean exit" 0 "$KS_RC"
ks_expect "--no-offload: nothing left" ks_nothing_left $IF
ks_done
