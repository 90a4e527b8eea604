#!/usr/bin/env bash
# Data both ways through the tunnel, checksummed: 64 MiB down and up over TCP, ICMP v4 and
# v6 from tiny to MTU-sized packets. Rates are printed, never asserted.
set -u
source "$(dirname "$0")/../lib/netns.sh"
ks_test_setup
mkdir -p "$KS_WORK/www"
head -c $((64 << 20)) /dev/urandom > "$KS_WORK/www/blob"
want=$(sha256sum < "$KS_WORK/www/blob" | cut -d' ' -f1)
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

for size in 0 1 100 1000 $((mtu - 28)); do
	ks_expect "ping v4, $size-byte payload" ks_in "$KS_CLI" ping -q -c 3 -i 0.2 -W 2 -s $size -I $IF $KS_CORP_IP
done
# IPv6 does not fall back to on-link for a device-bound socket with no matching route, as
# IPv4 does; kslice adds no routes (split tunneling steers in eBPF), so the test adds one.
ks_in "$KS_CLI" ip -6 route add fd78:78::/64 dev $IF
ks_expect "ping v6 through the tunnel" ks_in "$KS_CLI" ping -6 -q -c 3 -i 0.2 -W 2 -I $IF $KS_CORP_IP6
ks_expect "ping v6, MTU-sized" ks_in "$KS_CLI" ping -6 -q -c 2 -i 0.2 -W 2 -s $((mtu - 48)) -I $IF $KS_CORP_IP6
ks_expect "a packet larger than the MTU is fragmented, not lost" \
	ks_in "$KS_CLI" ping -q -c 2 -i 0.2 -W 2 -s $((mtu + 200)) -I $IF $KS_CORP_IP
ks_expect "flood of 2000 small packets all answered" bash -c \
	"ip netns exec $KS_CLI ping -q -f -c 2000 -W 2 -I $IF $KS_CORP_IP | grep -q ' 0% packet loss'"

json=$(ks_cli "$KS_BIN" status --json -i $IF)
ks_expect "counters: no drops, no bad frames" /usr/bin/python3 -c '
import json,sys; c=json.loads(sys.stdin.read())["counters"]
assert c["tx_dropped"] == 0 and c["rx_dropped"] == 0 and c["rx_bad_frames"] == 0, c
assert c["rx_bytes"] > 64 << 20 and c["tx_bytes"] > 64 << 20, c
print("# measured: tls_writes=%d socket_sends=%d ring_submits=%d tx_packets=%d rx_packets=%d" %
      (c["tls_writes"], c["socket_sends"], c["ring_submits"], c["tx_packets"], c["rx_packets"]))' <<<"$json"

kill -TERM "$pid"
ks_wait_gone "$pid"
ks_expect_eq "clean exit" 0 "$KS_RC"
ks_expect "nothing left" ks_nothing_left $IF
ks_done
