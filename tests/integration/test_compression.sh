#!/usr/bin/env bash
# Compression that a real server checks (issue #14 §2): ocserv with compression = true takes
# kslice's offer of oc-lz4 (an LZ4 block per packet) and, asked for it alone, of lzs (Stac
# LZS per packet). A compressible download and upload, sha256-checked, cross the tunnel
# with compressed frames both ways: ocserv decodes kslice's (the upload arrives whole) and
# kslice decodes ocserv's (the download does). --compression none asks for nothing.
set -u
source "$(dirname "$0")/../lib/netns.sh"
KS_OCSERV_SET='compression = true'
ks_test_setup
mkdir -p "$KS_WORK/www"
# 8 MiB that LZ4 shrinks: numbered lines of text.
seq -f 'line %.0f of what kslice compresses, and ocserv too' 1 150000 | head -c $((8 << 20)) \
	> "$KS_WORK/www/text"
want=$(sha256sum < "$KS_WORK/www/text" | cut -d' ' -f1)
ks_blobsrv_start || { echo "blob server did not start"; exit 1; }
IF=ksz0
json() { ks_cli "$KS_BIN" status -i $IF --json; }

transfer() { # MODE: a download and an upload through the tunnel, sha256-checked
	local m=$1 pid
	ks_answers alicepass
	ks_kslice_bg "$KS_WORK/$m.log" -u alice --passwd-on-stdin --servercert "$PIN" -i $IF \
		--compression $m $KS_GW_IP
	pid=$KS_PID
	ks_expect "$m: up" ks_wait_tunnel $IF "$pid" || { cat "$KS_WORK/$m.log"; return 1; }
	ks_in "$KS_CLI" curl -sS --max-time 60 --interface $IF -o "$KS_WORK/$m.down" \
		http://$KS_CORP_IP:8080/text
	ks_expect_eq "$m: download arrives whole (sha256)" "$want" \
		"$(sha256sum < "$KS_WORK/$m.down" | cut -d' ' -f1)"
	ks_expect_eq "$m: upload arrives whole at the server (sha256)" "$want" \
		"$(ks_in "$KS_CLI" curl -sS --max-time 60 --interface $IF -T "$KS_WORK/www/text" \
			http://$KS_CORP_IP:8080/sink | tr -d '\n')"
	STATUS=$(json)
	ks_end_clean "$m" "$pid" $IF
}

for m in all stateless oc-lz4 lzs; do
	transfer $m
	want_codec=$([ $m = lzs ] && echo lzs || echo oc-lz4)
	ks_expect_eq "$m: the gateway chose $want_codec (status)" $want_codec \
		"$(jq -r .tunnel.compression <<<"$STATUS")"
	ks_expect "$m: kslice decoded ocserv's blocks ($(jq .counters.rx_compressed <<<"$STATUS"))" \
		test "$(jq .counters.rx_compressed <<<"$STATUS")" -gt 1000
	ks_expect "$m: ocserv decoded kslice's ($(jq .counters.tx_compressed <<<"$STATUS"))" \
		test "$(jq .counters.tx_compressed <<<"$STATUS")" -gt 1000
	ks_expect_eq "$m: no frame refused" 0 "$(jq .counters.rx_bad_frames <<<"$STATUS")"
done

transfer none
ks_expect_eq "none: nothing asked, nothing chosen" "none 0 0" \
	"$(jq -r '"\(.tunnel.compression) \(.counters.rx_compressed) \(.counters.tx_compressed)"' <<<"$STATUS")"
ks_done
