#!/usr/bin/env bash
# DTLS (issue #14 §1, §5): against ocserv with a UDP port, kslice's data goes over DTLS by
# default, keyed with ocserv's PSK-NEGOTIATE (the TLS exporter) or, with ocserv's legacy
# setup alone, by resuming the session the CONNECT's X-DTLS-Master-Secret made. UDP
# blocked from the start: the tunnel works over TLS and status says tls. UDP blocked in
# the middle of a transfer: data moves to TLS within the DTLS DPD period, the transfer
# completes (sha256), and DTLS comes back once UDP does. A full tunnel: the UDP socket
# passes the kill switch as kslice's own. A reconnect brings DTLS back. 2 % loss each way
# leaves data on DTLS. --no-dtls asks for none.
set -u
source "$(dirname "$0")/../lib/netns.sh"
KS_OCSERV_SET='udp-port = 443
dtls-legacy = false
cisco-client-compat = false
dpd = 4
compression = true'
ks_test_setup
mkdir -p "$KS_WORK/www"
head -c $((24 << 20)) /dev/urandom > "$KS_WORK/www/blob"
want=$(sha256sum < "$KS_WORK/www/blob" | cut -d' ' -f1)
seq -f 'line %.0f of what kslice compresses over DTLS' 1 150000 | head -c $((4 << 20)) \
	> "$KS_WORK/www/text"
want_text=$(sha256sum < "$KS_WORK/www/text" | cut -d' ' -f1)
ks_blobsrv_start || { echo "blob server did not start"; exit 1; }
IF=ksd0
json() { ks_cli "$KS_BIN" status -i $IF --json; }
jqs() { jq -r "$1" <<<"$STATUS"; }
# UDP from the client to the gateway's port, dropped in the client namespace (nft).
udp_block() {
	printf '%s\n' 'table inet ksdtls {' \
		'chain out { type filter hook output priority 0; udp dport 443 counter drop; }' \
		'}' | ks_in "$KS_CLI" nft -f -
}
udp_unblock() { ks_in "$KS_CLI" nft delete table inet ksdtls; }
transport_is() { [ "$(json | jq -r .transport)" = "$1" ]; }
wait_transport() { ks_wait_for "$2" transport_is "$1"; } # WANT SECONDS

start() { # NAME ARGS...: kslice up on $IF
	local n=$1; shift
	ks_answers alicepass
	ks_kslice_bg "$KS_WORK/$n.log" -u alice --passwd-on-stdin --servercert "$PIN" -i $IF \
		"$@" $KS_GW_IP
	PID=$KS_PID
	ks_expect "$n: up" ks_wait_tunnel $IF "$PID" || cat "$KS_WORK/$n.log"
}
# A lost connection: the session's ocserv worker killed.
lose_connection() {
	local p
	for p in $(ip netns pids "$KS_GW"); do
		[ "$(cat /proc/$p/comm 2>/dev/null)" = ocserv-worker ] && kill -KILL "$p"
	done
}
reconnected() { grep -q 'event=reconnected' "$KS_WORK/$1.log"; } # NAME
download() { # NAME: the blob through the tunnel, sha256-checked
	ks_in "$KS_CLI" curl -sS --max-time 120 --interface $IF -o "$KS_WORK/$1.down" \
		http://$KS_CORP_IP:8080/blob
	ks_expect_eq "$1: download arrives whole (sha256)" "$want" \
		"$(sha256sum < "$KS_WORK/$1.down" | cut -d' ' -f1)"
}
upload() { # NAME
	ks_expect_eq "$1: upload arrives whole at the server (sha256)" "$want" \
		"$(ks_in "$KS_CLI" curl -sS --max-time 120 --interface $IF -T "$KS_WORK/www/blob" \
			http://$KS_CORP_IP:8080/sink | tr -d '\n')"
}

# --- PSK-NEGOTIATE -------------------------------------------------------------------
start psk
ks_expect "psk: data moves to DTLS" wait_transport dtls 10
download psk
upload psk
STATUS=$(json)
ks_expect_eq "psk: status says dtls" dtls "$(jqs .transport)"
ks_expect_eq "psk: DTLS 1.2" DTLSv1.2 "$(jqs .gateway.dtls_version)"
ks_expect "psk: a PSK cipher ($(jqs .gateway.dtls_cipher))" grep -q '^PSK-' <<<"$(jqs .gateway.dtls_cipher)"
ks_expect "psk: kslice sealed and opened the AES-GCM records itself, ocserv read them" \
	grep -q 'sub=dtls event=up .*records=kslice' "$KS_WORK/psk.log"
# kslice's AES-GCM (user/aes_gcm.c) where the CPU has VAES, VPCLMULQDQ and AVX-512BW
GCM=openssl
grep -qw vaes /proc/cpuinfo && grep -qw vpclmulqdq /proc/cpuinfo && grep -qw avx512bw /proc/cpuinfo &&
	grep -qw avx512vl /proc/cpuinfo && GCM=kslice
ks_expect "psk: the records' AES-GCM is ${GCM}'s" \
	grep -q "sub=dtls event=up .*aes_gcm=$GCM" "$KS_WORK/psk.log"
ks_expect_eq "psk: no record was refused" 0 "$(jqs .counters.dtls_bad_records)"
ks_expect "psk: packets went out over DTLS ($(jqs .counters.dtls_tx_packets))" \
	test "$(jqs .counters.dtls_tx_packets)" -gt 10000
ks_expect "psk: and came in over it ($(jqs .counters.dtls_rx_packets))" \
	test "$(jqs .counters.dtls_rx_packets)" -gt 10000
ks_expect "psk: in UDP_SEGMENT batches ($(jqs .counters.udp_gso_sends) of $(jqs .counters.udp_sends) sends)" \
	test "$(jqs .counters.udp_gso_sends)" -gt 0
echo "$STATUS" > "$KS_WORK/psk.json"
ks_occtl -j show user alice > "$KS_WORK/psk.occtl" 2>&1
ks_expect "psk: ocserv runs the session's DTLS ($(jq -r '.[0]["DTLS cipher"]' "$KS_WORK/psk.occtl"))" \
	grep -q '"DTLS cipher".*PSK' "$KS_WORK/psk.occtl"
# Compressible data: ocserv (compression = true) chose oc-lz4 for DTLS too; each record
# that shrinks goes compressed, both ways, and decodes on the other side.
ks_expect_eq "psk: oc-lz4 over DTLS too" oc-lz4 "$(jqs .tunnel.dtls_compression)"
z0=$(jqs .counters.rx_compressed); y0=$(jqs .counters.tx_compressed)
ks_in "$KS_CLI" curl -sS --max-time 60 --interface $IF -o "$KS_WORK/psk.text" \
	http://$KS_CORP_IP:8080/text
ks_expect_eq "psk: a compressible download arrives whole (sha256)" "$want_text" \
	"$(sha256sum < "$KS_WORK/psk.text" | cut -d' ' -f1)"
ks_expect_eq "psk: a compressible upload arrives whole (sha256)" "$want_text" \
	"$(ks_in "$KS_CLI" curl -sS --max-time 60 --interface $IF -T "$KS_WORK/www/text" \
		http://$KS_CORP_IP:8080/sink | tr -d '\n')"
STATUS=$(json)
ks_expect "psk: kslice decoded ocserv's compressed records ($(( $(jqs .counters.rx_compressed) - z0 )))" \
	test $(( $(jqs .counters.rx_compressed) - z0 )) -gt 1000
ks_expect "psk: ocserv decoded kslice's ($(( $(jqs .counters.tx_compressed) - y0 )))" \
	test $(( $(jqs .counters.tx_compressed) - y0 )) -gt 1000
ks_expect_eq "psk: still on DTLS" dtls "$(jqs .transport)"
# UDP GRO: the client's end of the underlay merges the gateway's datagrams as a NIC's GRO
# would (veth hands UDP to GRO with rx-udp-gro-forwarding; the flush timeout and deferred
# interrupts stand for a NIC's interrupt moderation, so that a poll finds several). kslice
# asked for UDP_GRO: a receive brings many datagrams, each opened alone.
g0=$(jqs .counters.udp_gro_recvs); r0=$(jqs .counters.udp_recvs); b0=$(jqs .counters.dtls_bad_records)
ks_in "$KS_CLI" ethtool -K eth0 gro on rx-udp-gro-forwarding on >/dev/null &&
	ks_in "$KS_CLI" sh -c 'echo 20000 > /sys/class/net/eth0/gro_flush_timeout;
		echo 1 > /sys/class/net/eth0/napi_defer_hard_irqs'
download psk-gro
STATUS=$(json)
ks_in "$KS_CLI" sh -c 'echo 0 > /sys/class/net/eth0/gro_flush_timeout;
	echo 0 > /sys/class/net/eth0/napi_defer_hard_irqs'
ks_in "$KS_CLI" ethtool -K eth0 gro off rx-udp-gro-forwarding off >/dev/null
gro=$(( $(jqs .counters.udp_gro_recvs) - g0 )); dgrams=$(( $(jqs .counters.udp_recvs) - r0 ))
ks_expect "psk-gro: receives brought merged datagrams ($gro of them, $dgrams datagrams)" \
	test "$gro" -gt 100
ks_expect "psk-gro: each merged receive cut into its datagrams ($dgrams >= 8 x $gro)" \
	test "$dgrams" -ge $(( 8 * gro ))
ks_expect_eq "psk-gro: no record refused" "$b0" "$(jqs .counters.dtls_bad_records)"
ks_end_clean psk "$PID" $IF

# --- full tunnel (carol: every address through the tunnel, the kill switch on every
# uplink): only kslice's own sockets pass, the UDP one as the TLS one ---------------------
ks_answers carolpass
ks_kslice_bg "$KS_WORK/full.log" -u carol --passwd-on-stdin --servercert "$PIN" -i $IF $KS_GW_IP
PID=$KS_PID
ks_expect "full: up" ks_wait_tunnel $IF "$PID"
ks_expect_eq "full: a full tunnel" full "$(json | jq -r .split.mode)"
ks_expect "full: the DTLS socket passes the kill switch (data on DTLS)" wait_transport dtls 10
printf '%s\n' 'table inet ksuplink {' \
	'chain out { type filter hook output priority 0; oifname "eth0" udp dport 443 counter; }' \
	'}' | ks_in "$KS_CLI" nft -f -
download full
upload full
# On the uplink, not inside the tunnel (a socket the split programs took for corporate
# would carry DTLS over the TLS tunnel, and still "work").
# Bytes, not packets: netfilter sees a UDP_SEGMENT send as one packet.
on_uplink=$(ks_in "$KS_CLI" nft list table inet ksuplink | grep -o 'bytes [0-9]*' | awk '{print $2}')
ks_expect "full: the upload's 24 MiB leave by the uplink as DTLS (${on_uplink:-0} bytes)" \
	test "${on_uplink:-0}" -gt $((24 << 20))
ks_in "$KS_CLI" nft delete table inet ksuplink
ks_end_clean full "$PID" $IF

# --- a lost connection (the session's ocserv worker dies): the reconnect brings DTLS back
start again
ks_expect "again: on DTLS" wait_transport dtls 10
lose_connection
ks_expect "again: kslice reconnects" ks_wait_for 20 reconnected again
ks_expect "again: and data is on DTLS again" wait_transport dtls 15
download again
STATUS=$(json)
ks_expect "again: the session's counters span both tunnels ($(jqs .counters.dtls_handshakes) handshakes)" \
	test "$(jqs .counters.dtls_handshakes)" -ge 2
ks_end_clean again "$PID" $IF

# --- UDP blocked in the middle of a transfer, then open again --------------------------
start mid
ks_expect "mid: on DTLS first" wait_transport dtls 10
ks_in "$KS_CLI" curl -sS --max-time 120 --limit-rate 2500k --interface $IF \
	-o "$KS_WORK/mid.down" http://$KS_CORP_IP:8080/blob &
CURL=$!
sleep 2
udp_block
t0=$(ks_ms_now)
ks_expect "mid: UDP blocked: data moves to TLS within the DTLS DPD period (4 s)" \
	wait_transport tls 8
echo "# measured: on TLS $(( $(ks_ms_now) - t0 )) ms after UDP was blocked"
sleep 3
udp_unblock
t0=$(ks_ms_now)
ks_expect "mid: UDP open again: back to DTLS (attempts 5 s apart, doubling)" \
	wait_transport dtls 40
echo "# measured: on DTLS again $(( $(ks_ms_now) - t0 )) ms after UDP was open"
wait $CURL
ks_expect_eq "mid: the transfer completes whole (sha256)" "$want" \
	"$(sha256sum < "$KS_WORK/mid.down" | cut -d' ' -f1)"
STATUS=$(json)
ks_expect "mid: the DTLS link went down once at least ($(jqs .counters.dtls_falls))" \
	test "$(jqs .counters.dtls_falls)" -ge 1
ks_expect "mid: and came up again ($(jqs .counters.dtls_handshakes) handshakes)" \
	test "$(jqs .counters.dtls_handshakes)" -ge 2
ks_expect "mid: the log says why" grep -q 'sub=dtls event=down reason="dead peer' "$KS_WORK/mid.log"
ks_end_clean mid "$PID" $IF

# --- UDP blocked from the start --------------------------------------------------------
udp_block
start blocked
ks_expect_eq "blocked: the tunnel runs over TLS" tls "$(json | jq -r .transport)"
download blocked
STATUS=$(json)
ks_expect_eq "blocked: status still says tls" tls "$(jqs .transport)"
ks_expect_eq "blocked: no packet went over DTLS" 0 "$(jqs .counters.dtls_tx_packets)"
ks_expect "blocked: status text says tls" grep -q '^transport: tls' \
	<<<"$(ks_cli "$KS_BIN" status -i $IF)"
attempt_failed() {
	grep -q 'sub=dtls event=attempt_failed reason="handshake timed out' "$KS_WORK/blocked.log"
}
ks_expect "blocked: the first attempt gives up after 10 s and says so" \
	ks_wait_for 15 attempt_failed
udp_unblock
ks_expect "blocked: UDP open: DTLS comes up on a later attempt" wait_transport dtls 40
ks_expect "blocked: status text says dtls" grep -q '^transport: dtls (DTLSv1.2 PSK-' \
	<<<"$(ks_cli "$KS_BIN" status -i $IF)"
ks_end_clean blocked "$PID" $IF

# --- 2 % of the UDP datagrams lost each way ----------------------------------------------
printf '%s\n' 'table inet ksloss {' \
	'chain out { type filter hook output priority 0; udp dport 443 numgen random mod 100 < 2 counter drop; }' \
	'chain in { type filter hook input priority 0; udp sport 443 numgen random mod 100 < 2 counter drop; }' \
	'}' | ks_in "$KS_CLI" nft -f -
start lossy
ks_expect "lossy: on DTLS" wait_transport dtls 10
download lossy
upload lossy
dropped=$(ks_in "$KS_CLI" nft list table inet ksloss | grep -o 'packets [0-9]*' | awk '{s += $2} END {print s + 0}')
ks_expect "lossy: datagrams were lost on the way ($dropped)" test "$dropped" -gt 100
ks_expect_eq "lossy: and data stayed on DTLS" dtls "$(json | jq -r .transport)"
ks_in "$KS_CLI" nft delete table inet ksloss
ks_end_clean lossy "$PID" $IF

# --- a path to the gateway whose MTU is below the gateway's base MTU (PPPoE, a tunnel) ---
# Records are sized for the route (IP_MTU of the socket), not for ocserv's 1400: none
# arrives in fragments (counted at the gateway before any reassembly). The route's MTU, not the link's: a veth drops what is larger than
# its peer's MTU, which would cut the other way too.
ks_in "$KS_CLI" ip route add $KS_GW_IP/32 dev eth0 mtu lock 1280
printf '%s\n' 'table ip ksfrag {' \
	'chain pre { type filter hook prerouting priority -500; udp dport 443 counter; ip frag-off & 0x1fff != 0 counter; ip frag-off & 0x2000 != 0 counter; }' \
	'}' | ks_in "$KS_GW" nft -f -
start smallmtu
ks_expect "smallmtu: on DTLS" wait_transport dtls 10
download smallmtu
upload smallmtu
STATUS=$(json)
dmtu=$(sed -n 's/.*sub=dtls event=up .* data_mtu=\([0-9]*\).*/\1/p' "$KS_WORK/smallmtu.log" | tail -1)
# The CONNECT announced the path (X-CSTP-Base-MTU: 1280, as openconnect does from TCP's
# path MTU), so ocserv sized the tunnel for a DTLS record over it, not for 1500: every
# packet fits a record (announcing 1500, the tunnel was 1400 and larger packets took TLS).
ks_expect "smallmtu: the gateway sized the tunnel for the path (MTU $(jqs .tunnel.mtu) <= 1280 - 28 - 37 - 1)" \
	test "$(jqs .tunnel.mtu)" -le $((1280 - 28 - 37 - 1))
ks_expect "smallmtu: a record's packet fits the route (data MTU ${dmtu:-none} <= 1280 - 28 - 37)" \
	test "${dmtu:-9999}" -le $((1280 - 28 - 37))
frags=$(ks_in "$KS_GW" nft list table ip ksfrag | grep -o 'packets [0-9]*' | awk '{print $2}' | tr '\n' ' ')
read -r dgrams later more <<<"$frags"
ks_expect "smallmtu: datagrams reached the gateway ($dgrams)" test "${dgrams:-0}" -gt 50
ks_expect_eq "smallmtu: none of them in fragments" "0 0" "${later:-x} ${more:-x}"
ks_expect_eq "smallmtu: so no packet was too large for a record" 0 "$(jqs .counters.dtls_too_big)"
ks_expect_eq "smallmtu: still on DTLS" dtls "$(jqs .transport)"
ks_in "$KS_GW" nft delete table ip ksfrag
# Then the path changes (another network: 1400) and the connection is lost: the reconnect
# announces the session's first base MTU again, so the gateway answers the same tunnel
# MTU (another would be refused: the TUN keeps its MTU, and the session would end).
MTU1=$(jqs .tunnel.mtu)
ks_in "$KS_CLI" ip route replace $KS_GW_IP/32 dev eth0 mtu lock 1400
lose_connection
ks_expect "smallmtu: after a path change, kslice reconnects" ks_wait_for 20 reconnected smallmtu
ks_expect "smallmtu: and data is on DTLS again" wait_transport dtls 15
STATUS=$(json)
ks_expect_eq "smallmtu: the same tunnel MTU as before" "$MTU1" "$(jqs .tunnel.mtu)"
download smallmtu-again
ks_end_clean smallmtu "$PID" $IF
ks_in "$KS_CLI" ip route del $KS_GW_IP/32 dev eth0

# --- --no-dtls -------------------------------------------------------------------------
start nodtls --no-dtls
download nodtls
STATUS=$(json)
ks_expect_eq "nodtls: status says tls" tls "$(jqs .transport)"
ks_expect_eq "nodtls: no UDP socket was used" 0 "$(jqs .counters.udp_sends)"
ks_end_clean nodtls "$PID" $IF

# --- ocserv's legacy setup alone: X-DTLS-Master-Secret and a resumed session ----------
KS_OCSERV_SET="$KS_OCSERV_SET
dtls-psk = false
dtls-legacy = true"
ks_ocserv_restart
# and with OpenSSL's AES-GCM in kslice's records (KSLICE_DTLS_GCM=openssl, as in FIPS mode)
KSLICE_DTLS_GCM=openssl start legacy
ks_expect "legacy: data moves to DTLS" wait_transport dtls 10
download legacy
upload legacy
STATUS=$(json)
ks_expect "legacy: a resumed AES-GCM session, not PSK ($(jqs .gateway.dtls_cipher))" \
	grep -q '^AES[0-9]*-GCM-SHA' <<<"$(jqs .gateway.dtls_cipher)"
ks_expect "legacy: the log says legacy" grep -q 'sub=dtls event=up .*mode=legacy' "$KS_WORK/legacy.log"
ks_expect "legacy: kslice's records with OpenSSL's AES-GCM, as told" \
	grep -q 'sub=dtls event=up .*records=kslice aes_gcm=openssl' "$KS_WORK/legacy.log"
ks_expect "legacy: packets went over DTLS ($(jqs .counters.dtls_tx_packets))" \
	test "$(jqs .counters.dtls_tx_packets)" -gt 10000
ks_end_clean legacy "$PID" $IF
# The pre-RFC DTLS 1.0 of older ASAs (AES256-SHA), asked for alone: OpenSSL keeps its
# records (not AES-GCM).
start legacy10 --dtls-ciphers AES256-SHA
ks_expect "legacy10: data moves to DTLS" wait_transport dtls 10
download legacy10
upload legacy10
STATUS=$(json)
ks_expect_eq "legacy10: AES256-SHA" AES256-SHA "$(jqs .gateway.dtls_cipher)"
ks_expect "legacy10: Cisco's DTLS 1.0 ($(jqs .gateway.dtls_version))" \
	grep -q '^DTLSv0.9$\|^DTLSv1$' <<<"$(jqs .gateway.dtls_version)"
ks_expect "legacy10: OpenSSL's records" grep -q 'sub=dtls event=up .*records=openssl' \
	"$KS_WORK/legacy10.log"
ks_end_clean legacy10 "$PID" $IF
ks_kslice_fg "$KS_WORK/badsuite.log" -u alice --passwd-on-stdin --servercert "$PIN" -i $IF \
	--dtls-ciphers AES256-SHA:RC4-MD5 $KS_GW_IP
ks_expect_eq "--dtls-ciphers with a suite kslice does not run: exit 2" 2 "$?"
ks_expect "... naming it" grep -q "'RC4-MD5' is not a suite kslice runs" "$KS_WORK/badsuite.log"

ks_done
