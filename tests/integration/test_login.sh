#!/usr/bin/env bash
# Logging in: password, certificate trust by pin and by CA, and what failures look like.
set -u
source "$(dirname "$0")/../lib/netns.sh"
ks_test_setup
bpffs_before=$(stat -f -c %T /sys/fs/bpf 2>/dev/null)
CERT=sha256:$(ks_cert_sha256)
IF=ksl0

# --- password login, tunnel up, status, clean exit ---
ks_answers alicepass
ks_kslice_bg "$KS_WORK/alice.log" -u alice --passwd-on-stdin --servercert "$PIN" -i $IF $KS_GW_IP
pid=$KS_PID
ks_expect "password login brings $IF up" ks_wait_tunnel $IF "$pid"
ks_expect "ping through the tunnel" ks_in "$KS_CLI" ping -c 2 -w 10 -W 2 -I $IF $KS_CORP_IP
json=$(ks_cli "$KS_BIN" status --json -i $IF)
ks_expect "status --json names the interface" grep -q "\"interface\":\"$IF\"" <<<"$json"
ks_expect "status --json has the pushed route" grep -q '"split_include":\["10.78.0.0/24"' <<<"$json"
ks_expect "status --json has the split excludes (v4 and v6)" grep -q '"split_exclude":\["10.78.0.200/32","fd78:78::200/128"\]' <<<"$json"
ks_expect "status --json has the DNS server" grep -q '"dns":\["10.78.0.53","fd78:78::53"\]' <<<"$json"
ks_expect "status --json is valid JSON" /usr/bin/python3 -c 'import json,sys; json.loads(sys.stdin.read())' <<<"$json"
ks_expect "status --json counts packets" /usr/bin/python3 -c '
import json,sys; j=json.loads(sys.stdin.read()); c=j["counters"]
assert c["tx_packets"] >= 2 and c["rx_packets"] >= 2, c
assert j["kernel"]["bpf_attached"] and j["kernel"]["from_gateway"]["packets"] >= 2, j["kernel"]' <<<"$json"
echo "# measured: connect_ms=$(sed -n 's/.*"connect_ms":\([0-9]*\).*/\1/p' <<<"$json")"
ks_expect "bpftool reads the pinned stats map" bash -c \
	"bpftool map dump pinned $KSLICE_PIN_ROOT/$IF/ks_tun_stats | grep -q '\"packets\"'"
ks_expect "no routes were added in the client" bash -c \
	"[ -z \"\$(ip netns exec $KS_CLI ip route show dev $IF)\" ]"
ks_expect "a second kslice on the same interface is refused" bash -c \
	"timeout 20 nsenter --net=/run/netns/$KS_CLI $KS_BIN connect -u alice --passwd-on-stdin --servercert $PIN -i $IF $KS_GW_IP <$KS_WORK/answers 2>&1 | grep -q 'already running'"
ks_expect "text status" bash -c "nsenter --net=/run/netns/$KS_CLI $KS_BIN status -i $IF | grep -q 'address:   10.77.0.'"
kill -TERM "$pid"
ks_wait_gone "$pid"
ks_expect_eq "SIGTERM: clean exit code 0" 0 "$KS_RC"
ks_expect "SIGTERM: nothing left behind" ks_nothing_left $IF
if [ "$bpffs_before" != bpf_fs ]; then
	ks_expect "kslice unmounted the bpffs it had to mount" \
		bash -c '[ "$(stat -f -c %T /sys/fs/bpf)" != bpf_fs ]'
fi
ks_expect "gateway saw the disconnect" bash -c "sleep 0.5; ! ip netns exec $KS_GW occtl -s $KS_WORK/occtl.sock show users | grep -q alice"

# --- wrong password ---
ks_answers wrongpass
ks_kslice_fg "$KS_WORK/wrong.log" -u alice --passwd-on-stdin \
	--servercert "$PIN" -i $IF $KS_GW_IP
ks_expect_eq "wrong password: exit code 4" 4 "$?"
ks_expect "wrong password: says login failed" grep -q 'login failed' "$KS_WORK/wrong.log"
ks_expect "wrong password: log line for SIEM" grep -q 'event=login_failed user="alice"' "$KS_WORK/wrong.log"
ks_expect "wrong password: nothing left behind" ks_nothing_left $IF

# --- no answer for the password form ---
ks_answers
: > "$KS_WORK/answers"
ks_kslice_fg "$KS_WORK/noans.log" -u alice --non-inter --servercert "$PIN" -i $IF $KS_GW_IP
ks_expect_eq "no password given: exit code 4" 4 "$?"
ks_expect "no password given: names the field" grep -q "asks for 'Password:'" "$KS_WORK/noans.log"

# --- certificate not trusted: system store, other CA, wrong pin ---
ks_answers alicepass
ks_kslice_fg "$KS_WORK/nopin.log" -u alice --passwd-on-stdin -i $IF $KS_GW_IP
ks_expect_eq "untrusted certificate: exit code 3" 3 "$?"
ks_expect "untrusted: prints the sha256 fingerprint" grep -q "certificate: $CERT" "$KS_WORK/nopin.log"
ks_expect "untrusted: prints the option to add" grep -q -- "--servercert $PIN" "$KS_WORK/nopin.log"
ks_kslice_fg "$KS_WORK/badpin.log" -u alice --passwd-on-stdin -i $IF \
	--servercert sha256:0000000000000000000000000000000000000000000000000000000000000000 $KS_GW_IP
ks_expect_eq "wrong pin: exit code 3" 3 "$?"
ks_kslice_fg "$KS_WORK/otherca.log" -u alice --passwd-on-stdin -i $IF \
	--cafile "$KS_WORK/other-ca.pem" $KS_GW_IP
ks_expect_eq "CA that did not sign it: exit code 3" 3 "$?"
ks_expect "other CA: says why" grep -q 'CA check' "$KS_WORK/otherca.log"

# --- trusted by the printed pin, by certificate hash, by CA file ---
for trust in "--servercert $PIN" "--servercert $CERT" "--cafile $KS_WORK/ca.pem"; do
	label=${trust:0:24}
	ks_kslice_bg "$KS_WORK/trust.log" -u alice --passwd-on-stdin $trust -i $IF $KS_GW_IP
	pid=$KS_PID
	ks_expect "trusted with $label" ks_wait_tunnel $IF "$pid"
	ks_cli "$KS_BIN" disconnect -i $IF
	ks_expect_eq "kslice disconnect returns" 0 "$?"
	ks_wait_gone "$pid"
	ks_expect_eq "daemon exit code after disconnect ($label)" 0 "$KS_RC"
done
ks_expect "nothing left after disconnect" ks_nothing_left $IF

# --- a gateway that does not speak TLS ---
ks_bg "$KS_GW" /dev/null /usr/bin/python3 -c '
import socket,time; s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("198.18.1.1", 8443)); s.listen(4); end=time.time()+60
while time.time() < end:
    c,_=s.accept(); c.sendall(b"HTTP/1.0 200 OK\r\n\r\nnot tls"); c.close()' >/dev/null
sleep 0.3
ks_kslice_fg "$KS_WORK/notls.log" -u alice --non-inter -i $IF $KS_GW_IP:8443
ks_expect_eq "not a TLS server: exit code 5" 5 "$?"
ks_expect "not a TLS server: says handshake failed" grep -q 'handshake' "$KS_WORK/notls.log"
ks_expect "not a TLS server: nothing left behind" ks_nothing_left $IF
ks_done
