#!/usr/bin/env bash
# Namespaces, PKI and a real ocserv for kslice's integration tests and demo.
# Topology (every name carries the ks- prefix and the PID, every address is ours):
#   ks-cli-N  198.18.1.2 ---- 198.18.1.1  ks-gw-N (ocserv, pool 10.77.0.0/24)
#                                 10.78.0.1 ---- 10.78.0.10, .53  ks-corp-N
# ks_internet adds the client's uplink to the "internet" (default routes), where decoys
# hold the corp addresses: anything that reaches them went around the tunnel.
#   ks-cli-N  eth1 198.18.2.2, fd00:2::2 ---- 198.18.2.1, fd00:2::1  ks-net-N
# Sourced; every helper records what it made so ks_teardown removes exactly that.

KS_TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
KS_BIN=${KS_BIN:-$KS_TOP/build/kslice}
KS_ID=${KS_ID:-$$}
KS_CLI=ks-cli-$KS_ID
KS_GW=ks-gw-$KS_ID
KS_CORP=ks-corp-$KS_ID
KS_NET=ks-net-$KS_ID
KS_PUBLIC_IP=203.0.113.80
KS_PUBLIC_IP6=2001:db8:80::80
KS_GW_IP=198.18.1.1
KS_CLI_IP=198.18.1.2
KS_CORP_IP=10.78.0.10
KS_CORP_IP6=fd78:78::10
KS_WORK=${KS_WORK:-$(mktemp -d /tmp/ks-test.XXXXXX)}
export KSLICE_RUN_DIR=$KS_WORK/run
export KSLICE_PIN_ROOT=/sys/fs/bpf/ks-test-$KS_ID
KS_PIDS=()
KS_NETNS=()
# Was bpffs mounted before this test? kslice mounts it when not, and leaves it mounted when
# our pin root is still in it at its exit; teardown then undoes that mount (a test run
# outside tests/integration/run, which gives each test a mount namespace of its own).
mountpoint -q /sys/fs/bpf 2>/dev/null && KS_BPFFS_BEFORE=1 || KS_BPFFS_BEFORE=
KS_OTP_HEX=3132333435363738393031323334353637383930   # RFC 6238's SHA1 test key
KS_OTP_B32=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ

ks_log() { printf '# %s\n' "$*" >&2; }

ks_in() { local ns=$1; shift; ip netns exec "$ns" "$@"; }
# The loader needs the host's bpffs and cgroupfs: enter only the network namespace.
ks_cli() { nsenter --net=/run/netns/$KS_CLI "$@"; }

ks_bg() { # ks_bg NS LOGFILE CMD...: start in background, remember the PID
	local ns=$1 log=$2; shift 2
	ip netns exec "$ns" "$@" >"$log" 2>&1 &
	KS_PIDS+=($!)
	echo $!
}

ks_teardown() {
	local pid ns
	for pid in "${KS_PIDS[@]}"; do
		kill -TERM "$pid" 2>/dev/null
	done
	for pid in "${KS_PIDS[@]}"; do
		for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$pid" 2>/dev/null
	done
	# ocserv forks workers that carry its PID file; end the main process by that PID.
	if [ -f "$KS_WORK/ocserv.pid" ]; then
		pid=$(cat "$KS_WORK/ocserv.pid" 2>/dev/null)
		[ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null
	fi
	for ns in "${KS_NETNS[@]}"; do
		# Any process still inside a namespace we made is ours: end it by PID.
		for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -KILL "$pid" 2>/dev/null; done
		ip netns del "$ns" 2>/dev/null
	done
	rm -rf "$KSLICE_PIN_ROOT" 2>/dev/null
	if [ -z "$KS_BPFFS_BEFORE" ] && mountpoint -q /sys/fs/bpf 2>/dev/null &&
		[ -z "$(ls -A /sys/fs/bpf | grep -vxE 'maps.debug|progs.debug')" ]; then
		umount /sys/fs/bpf # only the kernel's preloaded entries: ours, made for this test
	fi
	[ -n "${KS_ETC_NETNS:-}" ] && rm -rf "$KS_ETC_NETNS"
	[ -n "${KS_ETC_NETNS_MADE:-}" ] && rmdir /etc/netns 2>/dev/null
	[ -n "$KS_WORK" ] && [ -d "$KS_WORK" ] && [ -z "${KS_KEEP:-}" ] && rm -rf "$KS_WORK"
	return 0
}

ks_require_root() {
	if [ "$(id -u)" != 0 ]; then
		ks_log "SKIP: needs root (namespaces, TUN, BPF)"
		exit 77
	fi
}

ks_netns_add() { ip netns add "$1" && KS_NETNS+=("$1") && ip -n "$1" link set lo up; }

# The client and the gateway namespaces, joined by a veth (eth0 on both sides).
ks_client_gateway() {
	ks_netns_add "$KS_CLI" && ks_netns_add "$KS_GW" || return 1
	ip link add ks-c$KS_ID type veth peer name ks-g$KS_ID || return 1
	ip link set ks-c$KS_ID netns "$KS_CLI" name eth0
	ip link set ks-g$KS_ID netns "$KS_GW" name eth0
	ip -n "$KS_CLI" addr add $KS_CLI_IP/24 dev eth0
	ip -n "$KS_GW" addr add $KS_GW_IP/24 dev eth0
	ip -n "$KS_CLI" link set eth0 up
	ip -n "$KS_GW" link set eth0 up
}

# A second link between client and gateway (Wi-Fi and cable): eth2, 198.18.3.2 <-> 198.18.3.1.
# The gateway's side filters sources (nft, as networks do, BCP 38): a packet with eth0's
# address does not come in by eth2, so a connection cannot just carry on over it.
ks_second_link() {
	ip link add ks-d$KS_ID type veth peer name ks-e$KS_ID || return 1
	ip link set ks-d$KS_ID netns "$KS_CLI" name eth2 &&
		ip link set ks-e$KS_ID netns "$KS_GW" name eth2 &&
		ks_cli ip addr add 198.18.3.2/24 dev eth2 &&
		ks_in "$KS_GW" ip addr add 198.18.3.1/24 dev eth2 &&
		ks_cli ip link set eth2 up && ks_in "$KS_GW" ip link set eth2 up &&
		ks_in "$KS_GW" nft -f - <<-EOF
		table inet kssrc {
			chain in {
				type filter hook prerouting priority 0;
				iifname eth2 ip saddr != 198.18.3.0/24 drop;
			}
		}
		EOF
}

ks_topology() {
	ks_client_gateway && ks_netns_add "$KS_CORP" || return 1
	ip link add ks-h$KS_ID type veth peer name ks-k$KS_ID || return 1
	ip link set ks-h$KS_ID netns "$KS_GW" name corp0
	ip link set ks-k$KS_ID netns "$KS_CORP" name eth0
	ip -n "$KS_GW" addr add 10.78.0.1/24 dev corp0
	ip -n "$KS_GW" addr add fd78:78::1/64 dev corp0 nodad
	ip -n "$KS_GW" link set corp0 up
	ip -n "$KS_CORP" addr add $KS_CORP_IP/24 dev eth0
	ip -n "$KS_CORP" addr add 10.78.0.53/24 dev eth0
	ip -n "$KS_CORP" addr add $KS_CORP_IP6/64 dev eth0 nodad
	ip -n "$KS_CORP" addr add fd78:78::53/64 dev eth0 nodad
	ip -n "$KS_CORP" link set eth0 up
	ip -n "$KS_CORP" route add default via 10.78.0.1
	ip -n "$KS_CORP" -6 route add default via fd78:78::1
	ks_in "$KS_GW" sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1
}

# The client's uplink to the internet, with decoys on every corp address (and the public
# addresses) running tests/lib/idsrv.py as "decoy" / "public"; corp runs it as "corp".
# Corp also answers on 10.79.0.10, a prefix the gateway does not push (user includes).
ks_internet() {
	local a
	ks_netns_add "$KS_NET" || return 1
	ip link add ks-u$KS_ID type veth peer name ks-n$KS_ID || return 1
	ip link set ks-u$KS_ID netns "$KS_CLI" name eth1
	ip link set ks-n$KS_ID netns "$KS_NET" name eth0
	ip -n "$KS_CLI" addr add 198.18.2.2/24 dev eth1
	ip -n "$KS_CLI" addr add fd00:2::2/64 dev eth1 nodad
	ip -n "$KS_CLI" link set eth1 up
	ip -n "$KS_NET" addr add 198.18.2.1/24 dev eth0
	ip -n "$KS_NET" addr add fd00:2::1/64 dev eth0 nodad
	ip -n "$KS_NET" link set eth0 up
	ip -n "$KS_CLI" route add default via 198.18.2.1
	ip -n "$KS_CLI" -6 route add default via fd00:2::1
	for a in $KS_CORP_IP 10.78.0.53 10.78.0.200 10.79.0.10 $KS_PUBLIC_IP; do
		ip -n "$KS_NET" addr add $a/32 dev lo
	done
	for a in $KS_CORP_IP6 fd78:78::53 fd78:78::200 $KS_PUBLIC_IP6; do
		ip -n "$KS_NET" addr add $a/128 dev lo
	done
	ip -n "$KS_CORP" addr add 10.79.0.10/32 dev lo
	ip -n "$KS_GW" route add 10.79.0.0/24 via $KS_CORP_IP
	# Full-tunnel users reach the "internet" through the gateway; corp plays it there.
	ip -n "$KS_CORP" addr add $KS_PUBLIC_IP/32 dev lo
	ip -n "$KS_GW" route add $KS_PUBLIC_IP/32 via $KS_CORP_IP
	ip -n "$KS_CORP" addr add $KS_PUBLIC_IP6/128 dev lo
	ip -n "$KS_GW" -6 route add $KS_PUBLIC_IP6/128 via $KS_CORP_IP6
	ks_bg "$KS_NET" "$KS_WORK/idsrv-net.out" /usr/bin/python3 "$KS_TOP/tests/lib/idsrv.py" \
		--name decoy --log "$KS_WORK/decoy.log" >/dev/null
	ks_bg "$KS_CORP" "$KS_WORK/idsrv-corp.out" /usr/bin/python3 "$KS_TOP/tests/lib/idsrv.py" \
		--name corp --log "$KS_WORK/corp.log" >/dev/null
	for _ in $(seq 50); do
		ks_in "$KS_NET" bash -c "exec 3<>/dev/tcp/$KS_PUBLIC_IP/7000" 2>/dev/null &&
			ks_in "$KS_CORP" bash -c "exec 3<>/dev/tcp/$KS_CORP_IP/7000" 2>/dev/null &&
			return 0
		sleep 0.1
	done
	return 1
}

# DNS for the DNS tests (after ks_internet). Corp runs dnsmasq on 10.78.0.53 and
# fd78:78::53 (the gateway pushes both). It knows jira.corp.example and
# n1..n$KS_FRESH.fresh.corp.example, on addresses the gateway does not push (10.79.0.0/16,
# fd79:79::/64), and mail.publiccorp.example. The internet runs the "public" resolver on
# 198.18.2.53 / fd00:2::53, which the client's resolv.conf names: it knows
# publiccorp.example and answers every corp.example name with a decoy address, so a leaked
# query shows twice: in its log and on a decoy. It lies about evil.example (the corp host's
# address), as a hostile resolver would. Both sides answer on the whole of
# 10.79.0.0/16 and fd79:79::/64 (any-IP local routes), corp for real, the internet as decoys.
KS_FRESH=${KS_FRESH:-1000}
ks_dns_servers() {
	local i d=$KS_WORK
	ip -n "$KS_CORP" route add local 10.79.0.0/16 dev lo
	ip -n "$KS_CORP" -6 route add local fd79:79::/64 dev lo
	ip -n "$KS_NET" route add local 10.79.0.0/16 dev lo
	ip -n "$KS_NET" -6 route add local fd79:79::/64 dev lo
	ip -n "$KS_GW" route add 10.79.0.0/16 via $KS_CORP_IP
	ip -n "$KS_GW" -6 route add fd79:79::/64 via $KS_CORP_IP6
	for a in 203.0.113.25 203.0.113.26; do
		ip -n "$KS_NET" addr add $a/32 dev lo
		ip -n "$KS_CORP" addr add $a/32 dev lo
		ip -n "$KS_GW" route add $a/32 via $KS_CORP_IP
	done
	ip -n "$KS_NET" addr add 203.0.113.66/32 dev lo
	ip -n "$KS_NET" addr add 198.18.2.53/24 dev eth0
	ip -n "$KS_NET" addr add fd00:2::53/64 dev eth0 nodad
	{
		echo "10.79.0.20 jira.corp.example"
		echo "fd79:79::20 jira.corp.example"
		echo "10.79.0.21 wiki.Corp.Example"
		echo "203.0.113.25 mail.publiccorp.example"
		for i in $(seq "$KS_FRESH"); do
			echo "10.79.$((i / 250 + 1)).$((i % 250 + 1)) n$i.fresh.corp.example"
		done
	} > "$d/corp.hosts"
	{
		echo "203.0.113.25 mail.publiccorp.example"
		echo "203.0.113.26 wiki.publiccorp.example"
		echo "$KS_PUBLIC_IP www.public.example"
	} > "$d/public.hosts"
	# TTL 4 s (the tests watch learned addresses expire); no upstream, no caching.
	ks_bg "$KS_CORP" "$d/dnsmasq-corp.out" /usr/sbin/dnsmasq -k -u root --conf-file=/dev/null \
		--no-resolv --no-hosts --addn-hosts="$d/corp.hosts" --local-ttl=4 --cache-size=0 \
		--listen-address=10.78.0.53 --listen-address=fd78:78::53 --bind-interfaces \
		--local=/corp.example/ \
		--local=/publiccorp.example/ --log-queries --log-facility="$d/dns-corp.log" \
		--pid-file= >/dev/null
	ks_bg "$KS_NET" "$d/dnsmasq-net.out" /usr/sbin/dnsmasq -k -u root --conf-file=/dev/null \
		--no-resolv --no-hosts --addn-hosts="$d/public.hosts" --local-ttl=4 --cache-size=0 \
		--listen-address=198.18.2.53 --listen-address=fd00:2::53 --bind-interfaces \
		--address=/corp.example/203.0.113.66 --address=/evil.example/$KS_CORP_IP \
		--local=/publiccorp.example/ \
		--local=/public.example/ --log-queries --log-facility="$d/dns-public.log" \
		--pid-file= >/dev/null
	# The client's resolver is the public one (ip netns exec mounts this over resolv.conf).
	[ -d /etc/netns ] || KS_ETC_NETNS_MADE=1 # then ours to remove too, once empty
	mkdir -p "/etc/netns/$KS_CLI" && KS_ETC_NETNS=/etc/netns/$KS_CLI
	printf 'nameserver 198.18.2.53\noptions timeout:2 attempts:1\n' > "/etc/netns/$KS_CLI/resolv.conf"
	for _ in $(seq 50); do
		ks_in "$KS_CORP" dig +short +time=1 +tries=1 @10.78.0.53 jira.corp.example A 2>/dev/null |
			grep -q 10.79.0.20 &&
			ks_in "$KS_NET" dig +short +time=1 +tries=1 @198.18.2.53 www.public.example 2>/dev/null |
			grep -q "$KS_PUBLIC_IP" && return 0
		sleep 0.1
	done
	return 1
}

# Which side answers a probe from the client namespace: corp, decoy, or "ERR reason".
ks_probe() { # tcp|udp|udp-unconnected HOST
	ks_cli /usr/bin/python3 "$KS_TOP/tests/lib/idsrv.py" probe "$1" "$2"
}

# A CA, a gateway certificate for $KS_GW_IP signed by it, and a second CA that did not sign it.
ks_pki() {
	local d=$KS_WORK
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
		-subj "/CN=kslice test CA" -keyout "$d/ca.key" -out "$d/ca.pem" 2>/dev/null || return 1
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
		-subj "/CN=some other CA" -keyout "$d/other-ca.key" -out "$d/other-ca.pem" 2>/dev/null
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=$KS_GW_IP" \
		-keyout "$d/server.key" -out "$d/server.csr" 2>/dev/null || return 1
	printf 'subjectAltName=IP:%s\nextendedKeyUsage=serverAuth\n' "$KS_GW_IP" > "$d/ext.cnf"
	openssl x509 -req -in "$d/server.csr" -CA "$d/ca.pem" -CAkey "$d/ca.key" -CAcreateserial \
		-days 2 -extfile "$d/ext.cnf" -out "$d/server.pem" 2>/dev/null || return 1
	chmod 644 "$d/server.key"
}

# The sha256 of the gateway certificate and of its public key, as kslice pins them.
ks_cert_sha256() { openssl x509 -in "$KS_WORK/server.pem" -outform DER | sha256sum | cut -d' ' -f1; }
ks_pubkey_pin() {
	openssl x509 -in "$KS_WORK/server.pem" -pubkey -noout | openssl pkey -pubin -outform DER |
		openssl dgst -sha256 -binary | base64
}

# KS_OCSERV_SET="key = value" lines (newline-separated) replace the template's settings of
# those keys, or are added: a test that needs other gateway timers sets it before starting.
# A key given twice keeps both lines (auth = "certificate" and auth = "plain[...]").
ks_ocserv_override() { # CONF
	local line key seen=" "
	[ -n "${KS_OCSERV_SET:-}" ] || return 0
	while IFS= read -r line; do
		[ -n "$line" ] || continue
		key=${line%%=*}
		key=${key%% *}
		[[ "$seen" == *" $key "* ]] || sed -i "/^$key *=/d" "$1"
		seen+="$key "
		printf '%s\n' "$line" >> "$1"
	done <<< "$KS_OCSERV_SET"
}

# Users: alice (password), bob (password + TOTP from $KS_OTP_HEX); carol, dave and erin
# have settings of their own in tests/data/users/.
ks_ocserv_start() { # [otp]
	local d=$KS_WORK otp="" log=$KS_WORK/ocserv.log
	printf 'alice:*:%s\n' "$(openssl passwd -6 alicepass)" > "$d/ocpasswd"
	printf 'bob:*:%s\n' "$(openssl passwd -6 bobpass)" >> "$d/ocpasswd"
	printf 'carol:*:%s\n' "$(openssl passwd -6 carolpass)" >> "$d/ocpasswd"
	printf 'dave:*:%s\n' "$(openssl passwd -6 davepass)" >> "$d/ocpasswd"
	printf 'erin:*:%s\n' "$(openssl passwd -6 erinpass)" >> "$d/ocpasswd"
	printf 'HOTP/T30 bob - %s\n' "$KS_OTP_HEX" > "$d/users.otp"
	chmod 666 "$d/users.otp"
	[ "${1:-}" = otp ] && otp=",otp=$d/users.otp"
	sed -e "s|@DIR@|$d|g" -e "s|@GW_IP@|$KS_GW_IP|g" -e "s|@OTP@|$otp|g" -e "s|@TOP@|$KS_TOP|g" \
		"$KS_TOP/tests/data/ocserv.conf.in" > "$d/ocserv.conf"
	ks_ocserv_override "$d/ocserv.conf"
	chmod 755 "$d"
	ks_bg "$KS_GW" "$log" ocserv -f -d ${KS_OCSERV_DEBUG:-1} -c "$d/ocserv.conf" >/dev/null
	for _ in $(seq 100); do
		ks_in "$KS_GW" bash -c "exec 3<>/dev/tcp/$KS_GW_IP/443" 2>/dev/null && return 0
		sleep 0.1
	done
	ks_log "ocserv did not start:"; cat "$log" >&2
	return 1
}

# A new ocserv: the old one and its workers killed (sessions forgotten), KS_OCSERV_SET read
# again.
ks_ocserv_restart() {
	local p
	for p in $(ip netns pids "$KS_GW"); do
		case "$(cat /proc/$p/comm 2>/dev/null)" in
		ocserv*) { kill -KILL "$p"; wait "$p"; } 2>/dev/null ;;
		esac
	done
	ks_ocserv_start
}

# tests/lib/hostile_gw.py's SCENARIO on the gateway's address, port PORT, with ocserv's
# certificate (so $PIN fits); its files in DIR (rec.json, gw.log; touch DIR/go to trigger).
ks_scripted_gw() { # DIR SCENARIO PORT [MORE OPTIONS]
	local d=$1 sc=$2 port=$3
	shift 3
	mkdir -p "$d"
	ks_bg "$KS_GW" "$d/gw.out" /usr/bin/python3 "$KS_TOP/tests/lib/hostile_gw.py" \
		--scenario "$sc" --listen "$KS_GW_IP:$port" --cert "$KS_WORK/server.pem" \
		--key "$KS_WORK/server.key" --log "$d/gw.log" --record "$d/rec.json" \
		--trigger "$d/go" --ready "$d/ready" --max-seconds 120 "$@" >/dev/null
	for _ in $(seq 50); do [ -e "$d/ready" ] && return 0; sleep 0.1; done
	return 1
}

ks_occtl() { ks_in "$KS_GW" occtl -s "$KS_WORK/occtl.sock" "$@"; }

# Waits until kslice's interface in the client namespace is up (or the PID is gone).
# Up means usable: the address is on the device and the daemon answers with split state up
# (the address comes first; the hooks and the kill switch just after it).
ks_wait_tunnel() { # IFNAME PID
	for _ in $(seq 150); do
		if ks_in "$KS_CLI" ip -o addr show dev "$1" 2>/dev/null | grep -q 'inet ' &&
			[ "$(ks_cli "$KS_BIN" status -i "$1" --json 2>/dev/null | jq -r .split.state)" = up ]; then
			return 0
		fi
		[ -n "${2:-}" ] && ! kill -0 "$2" 2>/dev/null && return 1
		sleep 0.1
	done
	return 1
}

# --- checks: one "ok - name" / "not ok - name" line each, a summary line at the end ---
# Each returns the check's result, so `ks_expect ... || { ...; exit 1; }` works.
KS_PASS=0
KS_FAIL=0
KS_SKIP=0
ks_ok() { echo "ok - $*"; KS_PASS=$((KS_PASS + 1)); }
ks_not_ok() { echo "not ok - $*"; KS_FAIL=$((KS_FAIL + 1)); return 1; }
ks_skip() { echo "ok - $* # SKIP"; KS_SKIP=$((KS_SKIP + 1)); } # counted apart, not a pass
ks_expect() { local name=$1; shift; if "$@"; then ks_ok "$name"; else ks_not_ok "$name"; fi; }
ks_expect_eq() { # NAME WANT GOT
	if [ "$2" = "$3" ]; then ks_ok "$1"; else ks_not_ok "$1 (want '$2', got '$3')"; fi
}
ks_done() { echo "$KS_PASS passed, $KS_FAIL failed, $KS_SKIP skipped"; [ "$KS_FAIL" -eq 0 ]; }

# Answers kslice reads with --passwd-on-stdin, one per line.
ks_answers() { printf '%s\n' "$@" > "$KS_WORK/answers"; }

# kslice connect in the client namespace, in the background, stdin from ks_answers.
# Sets KS_PID (not a subshell: the test can `wait` for its exit code).
ks_kslice_bg() { # LOGFILE ARGS...
	local log=$1; shift
	nsenter --net=/run/netns/$KS_CLI "$KS_BIN" connect "$@" <"$KS_WORK/answers" >"$log" 2>&1 &
	KS_PID=$!
	KS_PIDS+=($!)
}

# kslice connect in the foreground, with a time limit; returns its exit code.
ks_kslice_fg() { # LOGFILE ARGS... (stdin from ks_answers)
	local log=$1; shift
	timeout 60 nsenter --net=/run/netns/$KS_CLI "$KS_BIN" connect "$@" <"$KS_WORK/answers" >"$log" 2>&1
}

ks_blobsrv_start() {
	ks_bg "$KS_CORP" "$KS_WORK/blobsrv.log" /usr/bin/python3 "$KS_TOP/tests/lib/blobsrv.py" \
		--dir "$KS_WORK/www" --max-seconds 900 >/dev/null
	for _ in $(seq 50); do
		ks_in "$KS_CORP" bash -c "exec 3<>/dev/tcp/$KS_CORP_IP/8080" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

# What kslice left behind, as words (nothing: all gone): the device, the control socket, the
# pins, a cgroup hook, an uplink filter in the client namespace, rules at the default
# preferences. test_testlib.sh proves each word can appear.
ks_left_behind() { # IFNAME
	local dev
	ks_in "$KS_CLI" ip link show "$1" >/dev/null 2>&1 && printf 'device '
	[ -e "$KSLICE_RUN_DIR/$1.sock" ] && printf 'control-socket '
	[ -e "$KSLICE_PIN_ROOT/$1" ] && printf 'pins '
	bpftool cgroup show "$(ks_cgroup_root)" 2>/dev/null | grep -q ks_cgroup && printf 'cgroup-hook '
	for dev in eth0 eth1 eth2; do
		ks_cli tc filter show dev $dev egress 2>/dev/null | grep -q ks_tc_uplink &&
			printf 'uplink-filter(%s) ' $dev
	done
	ks_cli ip rule show 2>/dev/null | grep -qE '^530[012]:' && printf 'rules '
	return 0
}
ks_nothing_left() { [ -z "$(ks_left_behind "$1")" ]; } # IFNAME
ks_cgroup_root() { awk '$3 == "cgroup2" { print $2; exit }' /proc/self/mounts; }

ks_wait_gone() { # PID: wait up to 10 s for it to exit; its exit code in KS_RC
	for _ in $(seq 100); do
		kill -0 "$1" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$1" 2>/dev/null; then # a hang is a failure, never an endless wait
		ks_not_ok "pid $1 did not exit within 10 s: killed"
		kill -KILL "$1" 2>/dev/null
	fi
	wait "$1" 2>/dev/null
	KS_RC=$?
}

ks_ms_now() { date +%s%3N; }
ks_wait_for() { # SECONDS CMD...: true once CMD is (polled five times a second)
	local n=$(($1 * 5)); shift
	for _ in $(seq "$n"); do "$@" && return 0; sleep 0.2; done
	return 1
}
# Polls a corporate ping through the tunnel for up to SECONDS; prints how long it took (ms).
ks_corp_ping_within() { # IFNAME SECONDS
	local t0 end
	t0=$(ks_ms_now)
	end=$((t0 + $2 * 1000))
	while [ "$(ks_ms_now)" -lt "$end" ]; do
		if ks_in "$KS_CLI" ping -c 1 -W 1 -I "$1" $KS_CORP_IP >/dev/null 2>&1; then
			echo $(($(ks_ms_now) - t0))
			return 0
		fi
		sleep 0.1
	done
	return 1
}
# SIGTERM to a running kslice: it must exit 0 and leave nothing.
ks_end_clean() { # LABEL PID IFNAME
	kill -TERM "$2"
	ks_wait_gone "$2"
	ks_expect_eq "$1: clean exit" 0 "$KS_RC"
	ks_expect "$1: nothing left" ks_nothing_left "$3"
}

# Running, not a zombie waiting for its reaper (a daemon's reaper is PID 1, not us).
ks_alive() { local s; s=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null); [ -n "$s" ] && [ "$s" != Z ] && [ "$s" != X ]; }

# The start of every gateway test: root, teardown on exit, topology, PKI, ocserv, $PIN.
ks_test_setup() { # [otp]
	ks_require_root
	trap ks_teardown EXIT
	ks_topology && ks_pki && ks_ocserv_start "$@" || { echo "setup failed"; exit 1; }
	PIN=pin-sha256:$(ks_pubkey_pin)
}
