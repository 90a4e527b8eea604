#!/usr/bin/env bash
# HTTP proxies (issue #15 §3): a real tinyproxy in the gateway's namespace, with and
# without Basic authentication, is the only way to the gateway (the client's direct TCP to
# port 443 is dropped). kslice reaches ocserv through CONNECT (--proxy, https_proxy), logs
# in and carries data; reconnects go through the proxy too; DTLS is skipped (no UDP leaves
# the client); the kill switch exempts kslice's connection to the proxy, not the proxy's
# address (another program's connection to it goes into a full tunnel). Errors: 407
# without or with wrong credentials (exit 4), a refused CONNECT (exit 5), no_proxy and
# --no-proxy honoured.
set -u
source "$(dirname "$0")/../lib/netns.sh"
KS_OCSERV_SET='udp-port = 443'
ks_test_setup
IF=ksp0
P=$KS_GW_IP

tinyproxy_start() { # NAME PORT [BasicAuth line]
	local conf=$KS_WORK/$1.conf
	: > "$KS_WORK/$1.log" && chmod 666 "$KS_WORK/$1.log"
	cat > "$conf" <<-EOF
	User nobody
	Group nogroup
	Port $2
	Listen $P
	Timeout 600
	LogFile "$KS_WORK/$1.log"
	LogLevel Connect
	MaxClients 20
	Allow 198.18.0.0/16
	Allow 10.77.0.0/24
	ConnectPort 443
	DisableViaHeader Yes
	${3:-}
	EOF
	ks_bg "$KS_GW" "$KS_WORK/$1.out" tinyproxy -d -c "$conf" >/dev/null
	for _ in $(seq 50); do
		ks_in "$KS_GW" bash -c "exec 3<>/dev/tcp/$P/$2" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}
tinyproxy_start authproxy 3128 "BasicAuth kuser k.pass-1" || { echo "tinyproxy did not start"; exit 1; }
tinyproxy_start openproxy 3129 || { echo "tinyproxy did not start"; exit 1; }
AUTH_URL="http://kuser:k%2Epass-1@$P:3128" # %2E: the decoder too

# The client's own TCP to the gateway's port 443 (and its UDP, counted) is dropped: only
# the proxy's ports get through.
printf '%s\n' 'table inet ksproxy {' \
	"chain out { type filter hook output priority 0; ip daddr $P tcp dport 443 counter drop; ip daddr $P udp dport 443 counter drop; }" \
	'}' | ks_in "$KS_CLI" nft -f - || { echo "nft failed"; exit 1; }
udp_dropped() { ks_in "$KS_CLI" nft list chain inet ksproxy out | sed -n 's/.*udp dport 443 counter packets \([0-9]*\).*/\1/p'; }
json() { ks_cli "$KS_BIN" status -i $IF --json; }

up() { # NAME USER PASSWORD ARGS...
	local n=$1 u=$2 pw=$3; shift 3
	ks_answers "$pw"
	ks_kslice_bg "$KS_WORK/$n.log" -u "$u" --passwd-on-stdin --servercert "$PIN" -i $IF "$@" \
		$KS_GW_IP
	PID=$KS_PID
	if ! ks_expect "$n: up" ks_wait_tunnel $IF "$PID"; then
		sed 's/^/#   /' "$KS_WORK/$n.log"
		return 1
	fi
	ks_expect "$n: corp answers through the tunnel" ks_corp_ping_within $IF 5 >/dev/null
}
refused() { # NAME EXIT WANT ARGS...
	local n=$1 want_rc=$2 want=$3 rc; shift 3
	ks_answers alicepass
	ks_kslice_fg "$KS_WORK/$n.log" -u alice --passwd-on-stdin --servercert "$PIN" -i $IF "$@"
	rc=$?
	ks_expect_eq "$n: exit $want_rc" "$want_rc" "$rc"
	ks_expect "$n: says '$want'" grep -q -- "$want" "$KS_WORK/$n.log" ||
		sed 's/^/#   /' "$KS_WORK/$n.log"
	ks_expect "$n: nothing left" ks_nothing_left $IF
}

# --- through a proxy that wants credentials ------------------------------------------
up auth alice alicepass --proxy "$AUTH_URL"
ks_expect "auth: tinyproxy carried the CONNECT to the gateway" grep -q "CONNECT.*$P:443" "$KS_WORK/authproxy.log"
STATUS=$(json)
ks_expect_eq "auth: status shows the proxy, without its password" "http://kuser@$P:3128" \
	"$(jq -r .gateway.proxy <<<"$STATUS")"
ks_expect_eq "auth: data over TLS: no DTLS through a proxy" tls "$(jq -r .transport <<<"$STATUS")"
ks_expect_eq "auth: no UDP left for the gateway" 0 "$(udp_dropped)"
ks_expect "auth: the password is not in the command line" bash -c "! tr '\\0' ' ' < /proc/$PID/cmdline | grep -q 'k%2Epass'"
ks_expect "auth: nor in the log" bash -c "! grep -q 'k.pass-1\\|k%2Epass' '$KS_WORK/auth.log'"
n0=$(grep -c "CONNECT.*$P:443" "$KS_WORK/authproxy.log")
ks_in "$KS_CLI" ss -K dst $P dport = 3128 >/dev/null 2>&1
ks_expect "auth: reconnected after the connection to the proxy was cut" ks_wait_for 20 \
	bash -c "[ \"\$(nsenter --net=/run/netns/$KS_CLI $KS_BIN status -i $IF --json | jq -r .reconnects)\" -ge 1 ]"
ks_expect "auth: corp answers after the reconnect" ks_corp_ping_within $IF 10 >/dev/null
ks_expect "auth: the reconnect went through the proxy ($n0 CONNECTs before)" \
	test "$(grep -c "CONNECT.*$P:443" "$KS_WORK/authproxy.log")" -gt "$n0"
ks_end_clean auth "$PID" $IF

# --- full tunnel, the proxy from the environment ---------------------------------------
# carol's tunnel takes everything: kslice's own connection to the proxy passes the kill
# switch, but the proxy's address is not exempt: curl's connection to it goes through the
# tunnel and reaches it from carol's tunnel address.
export https_proxy="http://$P:3129"
up env carol carolpass
unset https_proxy
ks_expect "env: https_proxy was used" grep -q 'event=proxy .*from=https_proxy' "$KS_WORK/env.log"
ks_in "$KS_CLI" curl -s --max-time 5 -o /dev/null -x "http://$P:3129" "https://$P:443/" 2>/dev/null
ks_expect "env: another program's connection to the proxy went through the tunnel" \
	grep -q 'Connect (file descriptor [0-9]*): 10\.77\.0\.' "$KS_WORK/openproxy.log"
ks_end_clean env "$PID" $IF

# --- refusals ----------------------------------------------------------------------------
refused no-creds 4 "wants credentials" --proxy "http://$P:3128" $KS_GW_IP
refused bad-creds 4 "refused the credentials" --proxy "http://kuser:wrong@$P:3128" $KS_GW_IP
refused not-443 5 "refused CONNECT to $KS_GW_IP:8443: 403" --proxy "http://$P:3129" $KS_GW_IP:8443
refused bad-url 2 "only http:// proxies" --proxy "socks5://$P:1080" $KS_GW_IP
export https_proxy="http://$P:3129" no_proxy="$KS_GW_IP"
refused no_proxy 5 "connect: $KS_GW_IP port 443" --timeout 3 $KS_GW_IP
unset no_proxy
refused no-proxy-opt 5 "connect: $KS_GW_IP port 443" --timeout 3 --no-proxy $KS_GW_IP
unset https_proxy

ks_done
