#!/usr/bin/env bash
# Compression that a real server checks (issue #14 §2): ocserv with compression = true takes
# kslice's offer of oc-lz4 (an LZ4 block per packet) and, asked for it alone, of lzs (Stac
# LZS per packet). A compressible download and upload, sha256-checked, cross the tunnel
# with compressed frames both ways: ocserv decodes kslice's (the upload arrives whole) and
# kslice decodes ocserv's (the download does). --compression none asks for nothing. Deflate,
# which ocserv does not speak, against Python's zlib in tests/lib/hostile_gw.py.
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

# Deflate, the ASA's format, checked by another implementation: tests/lib/hostile_gw.py's
# gateway deflates and inflates with Python's zlib (window 2^12, a sync flush per packet,
# the running adler32 after each) and answers IPv4 echo requests.
d=$KS_WORK/deflate
ks_expect "deflate: the scripted gateway runs" ks_scripted_gw "$d" deflate-echo 20444
touch "$d/go"
ks_answers alicepass
ks_kslice_bg "$d/kslice.log" -u alice --passwd-on-stdin --servercert "$PIN" -i $IF \
	--compression deflate $KS_GW_IP:20444
pid=$KS_PID
ks_expect "deflate: up" ks_wait_tunnel $IF "$pid"
ks_expect_eq "deflate: kslice offered deflate alone" deflate \
	"$(jq -r .accept_encoding "$d/rec.json")"
got=$(ks_in "$KS_CLI" ping -q -c 20 -i 0.1 -w 15 -s 1200 -p 6b736c696365 -I $IF $KS_CORP_IP |
	sed -n 's/^\([0-9]*\) packets transmitted, \([0-9]*\) received.*/\2/p')
ks_expect_eq "deflate: 20 pings of 1,200 bytes, each deflated both ways, every one answered" \
	20 "$got"
STATUS=$(json)
ks_expect_eq "deflate: status says deflate" deflate "$(jq -r .tunnel.compression <<<"$STATUS")"
ks_expect "deflate: Python's zlib inflated kslice's frames, adler32 checked ($(jq -c .deflate "$d/rec.json"))" \
	test "$(jq '(.deflate.inflated // 0) >= 20 and (.deflate.bad // 0) == 0' "$d/rec.json")" = true
ks_expect "deflate: kslice inflated the gateway's ($(jq .counters.rx_compressed <<<"$STATUS"))" \
	test "$(jq .counters.rx_compressed <<<"$STATUS")" -ge 20
ks_end_clean "deflate" "$pid" $IF
# The same gateway answers deflate to an offer of oc-lz4 alone: a codec nobody asked for
# is not run.
ks_kslice_fg "$d/unasked.log" -u alice --passwd-on-stdin --servercert "$PIN" -i $IF \
	--compression oc-lz4 $KS_GW_IP:20444
ks_expect_eq "deflate unasked: refused, exit 6" 6 "$?"
ks_expect "deflate unasked: says so" \
	grep -q "the gateway chose deflate compression, which kslice did not offer" "$d/unasked.log"
ks_expect "deflate unasked: nothing left" ks_nothing_left $IF

transfer none
ks_expect_eq "none: nothing asked, nothing chosen" "none 0 0" \
	"$(jq -r '"\(.tunnel.compression) \(.counters.rx_compressed) \(.counters.tx_compressed)"' <<<"$STATUS")"
ks_done
