#!/usr/bin/env bash
# `make demo`: a real ocserv in network namespaces, kslice connecting to it, the tunnel at
# work, then a clean teardown. Everything runs in namespaces this script creates.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
if [ "$(id -u)" != 0 ]; then
	echo "make demo needs root (namespaces, a TUN device, BPF): run it with sudo" >&2
	exit 1
fi
# A private mount namespace: the `ip netns` mounts die with the demo whatever happens.
if [ -z "${KS_DEMO_INNER:-}" ]; then
	KS_DEMO_INNER=1 exec unshare -m --propagation private "$0" "$@"
fi
source "$top/tests/lib/netns.sh"
trap ks_teardown EXIT
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
show() { printf '$ %s\n' "$*"; "$@"; }

step "Setting up: client, gateway (ocserv $(ocserv --version 2>&1 | head -1 | awk '{print $2}')), corporate and internet namespaces"
KS_FRESH=${KS_FRESH:-20}
ks_topology && ks_pki && ks_ocserv_start otp && ks_internet && ks_dns_servers ||
	{ echo "setup failed" >&2; exit 1; }
echo "the internet namespace holds decoys on the corporate addresses: reaching one would be a leak"
echo "the client's resolv.conf names the public resolver (198.18.2.53); the corporate DNS is 10.78.0.53 behind the gateway"
mkdir -p "$KS_WORK/www"
echo "hello from the corporate network (10.78.0.10)" > "$KS_WORK/www/index.txt"
ks_blobsrv_start || exit 1
PIN=pin-sha256:$(ks_pubkey_pin)
echo "gateway https://$KS_GW_IP  users: alice (password), bob (password + TOTP)"

step "First contact: the certificate is not signed by a system CA, so kslice refuses and says how to pin it"
ks_answers bobpass
ks_kslice_fg "$KS_WORK/refused.log" -u bob --passwd-on-stdin $KS_GW_IP
echo "(exit code $?)"
cat "$KS_WORK/refused.log"

step "Connecting as bob: password on stdin, the one-time code computed locally from the TOTP secret"
echo "base32:$KS_OTP_B32" > "$KS_WORK/totp.secret"
chmod 600 "$KS_WORK/totp.secret"
echo "\$ echo bobpass | kslice connect -b -u bob --passwd-on-stdin --token-secret @totp.secret --servercert $PIN $KS_GW_IP"
ks_kslice_fg "$KS_WORK/connect.log" -b -u bob --passwd-on-stdin --token-secret "@$KS_WORK/totp.secret" \
	--pid-file "$KS_WORK/kslice.pid" --servercert "$PIN" $KS_GW_IP
rc=$?
cat "$KS_WORK/connect.log"
[ $rc = 0 ] || { echo "connect failed (exit $rc)"; exit 1; }
KS_PIDS+=($(cat "$KS_WORK/kslice.pid"))
monitor=$(cat "$KS_WORK/kslice.pid")
worker=$(cat /proc/$monitor/task/*/children 2>/dev/null | awk '{print $1}')
step "Two processes: the monitor (root) sets the system up; the worker talks to the gateway"
ps -o pid,user,args -p "$monitor" -p "$worker" 2>/dev/null | cut -c1-100
grep -E '^(Uid|CapEff|NoNewPrivs|Seccomp):' /proc/$worker/status 2>/dev/null

step "Split tunneling in eBPF: plain tools, no -I, no routes; corp goes through the tunnel"
show ks_cli ping -c 3 -i 0.3 $KS_CORP_IP
show ks_cli curl -sS http://$KS_CORP_IP:8080/index.txt
echo "\$ idsrv probe: who answers on $KS_CORP_IP, 10.78.0.200 (excluded by the gateway), $KS_PUBLIC_IP (internet)?"
for h in $KS_CORP_IP 10.78.0.200 $KS_PUBLIC_IP $KS_CORP_IP6; do
	printf '  %-16s -> %s\n' "$h" "$(ks_probe tcp $h)"
done

step "Corporate names: asked of the public resolver, answered by the corporate DNS, tunnelled from the first packet"
show ks_in "$KS_CLI" getent ahosts jira.corp.example
echo "\$ idsrv probe by name (jira.corp.example is on 10.79.0.20, a prefix the gateway does not push)"
for h in jira.corp.example www.public.example; do
	printf '  %-20s -> %s\n' "$h" "$(ks_in "$KS_CLI" /usr/bin/python3 "$KS_TOP/tests/lib/idsrv.py" probe tcp $h)"
done
echo "queries for corp.example the public resolver saw: $(grep -cE 'query\[[A-Z]+\] ([^ ]+\.)?corp\.example from' "$KS_WORK/dns-public.log")"
show ks_cli "$KS_BIN" domain list --learned

step "Changing the split set at runtime: a map update, no reconnect"
show ks_cli "$KS_BIN" route add --exclude $KS_CORP_IP
printf '  %-16s -> %s\n' "$KS_CORP_IP" "$(ks_probe tcp $KS_CORP_IP)"
show ks_cli "$KS_BIN" route del $KS_CORP_IP
printf '  %-16s -> %s\n' "$KS_CORP_IP" "$(ks_probe tcp $KS_CORP_IP)"
show ks_cli "$KS_BIN" route list

step "kslice status"
show ks_cli "$KS_BIN" status
step "kslice status --json (for scripts)"
ks_cli "$KS_BIN" status --json | /usr/bin/python3 -m json.tool | head -40

step "Kernel-side counters, readable with bpftool"
show bpftool map dump pinned "$KSLICE_PIN_ROOT/kslice0/ks_tun_stats" | head -20

step "The routing table was not touched: only the fixed policy (3 rules, 1 table)"
show ks_in "$KS_CLI" ip route
show ks_in "$KS_CLI" ip rule
show ks_in "$KS_CLI" ip route show table 27507

step "Disconnecting"
show ks_cli "$KS_BIN" disconnect
ks_in "$KS_CLI" ip link show kslice0 >/dev/null 2>&1 && echo "kslice0 still there!" || echo "kslice0 is gone"
[ -e "$KSLICE_PIN_ROOT/kslice0" ] && echo "pins still there!" || echo "no pins left"
show ks_in "$KS_CLI" ip rule
echo
echo "Demo done; tearing down the namespaces."
