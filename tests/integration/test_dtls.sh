#!/usr/bin/env bash
# DTLS (issue #14 §1, §5): against ocserv with a UDP port, kslice's data goes over DTLS by
# default, keyed with ocserv's PSK-NEGOTIATE (the TLS exporter) or, with ocserv's legacy
# setup alone, by resuming the session the CONNECT's X-DTLS-Master-Secret made. UDP
# blocked from the start: the tunnel works over TLS and status says tls. UDP blocked in
# the middle of a transfer: data moves to TLS within the DTLS DPD period, the transfer
# completes (sha256), and DTLS comes back once UDP does. --no-dtls asks for none.
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
ks_blobsrv_start || { echo "blob server did not start"; exit 1; }
IF=ksd0
json() { ks_cli "$KS_BIN" status -i $IF --json; }
jqs() { jq -r "$1" <<<"$STATUS"; }
# UDP from the client to the gateway's port, dropped in the client namespace (nft).
udp_block() { ks_in "$KS_CLI" nft -f - <<-N
	table inet ksdtls { chain out { type filter hook output priority 0; udp dport 443 counter drop; } }
	N
}
udp_unblock() { ks_in "$KS_CLI" nft delete table inet ksdtls; }
wait_transport() { # WANT SECONDS
	for _ in $(seq $(($2 * 5))); do
		[ "$(json | jq -r .transport)" = "$1" ] && return 0
		sleep 0.2
	done
	return 1
}

start() { # NAME ARGS...: kslice up on $IF
	local n=$1; shift
	ks_answers alicepass
	ks_kslice_bg "$KS_WORK/$n.log" -u alice --passwd-on-stdin --servercert "$PIN" -i $IF \
		"$@" $KS_GW_IP
	PID=$KS_PID
	ks_expect "$n: up" ks_wait_tunnel $IF "$PID" || cat "$KS_WORK/$n.log"
}
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
ks_end_clean psk "$PID" $IF

ks_done
