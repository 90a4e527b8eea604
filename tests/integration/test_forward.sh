#!/usr/bin/env bash
# Forwarded traffic: a "container" namespace behind a bridge of the client namespace (as
# Docker, Podman and libvirt make them) and one behind a plain veth reach the corporate host
# through the tunnel, by address and by name, TCP, UDP and ping, IPv4 and IPv6; the corporate
# side sees the tunnel address; nothing reaches a decoy while the tunnel is down; the way
# back after a reconnect; --forward-from picks the interfaces. The decoys: tests/lib/netns.sh.
set -u
source "$(dirname "$0")/../lib/netns.sh"
ks_test_setup
ks_internet || { echo "internet namespace did not come up"; exit 1; }
ks_dns_servers || { echo "the DNS servers did not come up"; exit 1; }
IF=ksfw0
CB=ks-ctb-$KS_ID # behind the bridge
CV=ks-ctv-$KS_ID # behind a plain veth
trap 'rm -rf "/etc/netns/$CB" "/etc/netns/$CV"; ks_teardown' EXIT

ks_netns_add "$CB" && ks_netns_add "$CV" || exit 1
ip -n "$KS_CLI" link add ksbr0 type bridge &&
	ip -n "$KS_CLI" addr add 172.30.0.1/24 dev ksbr0 &&
	ip -n "$KS_CLI" addr add fd30::1/64 dev ksbr0 nodad &&
	ip -n "$KS_CLI" link set ksbr0 up &&
	ip -n "$KS_CLI" link add ksbp0 type veth peer name eth0 netns "$CB" &&
	ip -n "$KS_CLI" link set ksbp0 master ksbr0 up &&
	ip -n "$KS_CLI" link add ksvp0 type veth peer name eth0 netns "$CV" &&
	ip -n "$KS_CLI" addr add 172.31.0.1/24 dev ksvp0 &&
	ip -n "$KS_CLI" addr add fd31::1/64 dev ksvp0 nodad &&
	ip -n "$KS_CLI" link set ksvp0 up &&
	ip -n "$KS_CLI" link add ksbr1 type bridge &&
	ip -n "$KS_CLI" link add ksdm0 type vxlan id 77 dstport 4789 &&
	ip -n "$KS_CLI" link set ksdm0 master ksbr1 up &&
	ip -n "$KS_CLI" addr add 172.29.0.1/24 dev ksbr1 &&
	ip -n "$KS_CLI" link set ksbr1 up || exit 1
for c in "$CB:30" "$CV:31"; do
	ns=${c%:*} n=${c#*:}
	ip -n "$ns" addr add 172.$n.0.2/24 dev eth0 && ip -n "$ns" addr add fd$n::2/64 dev eth0 nodad &&
		ip -n "$ns" link set eth0 up && ip -n "$ns" route add default via 172.$n.0.1 &&
		ip -n "$ns" -6 route add default via fd$n::1 || exit 1
	# the containers' resolver: the public one, reached by plain forwarding (its side
	# routes the containers' networks back, as a runtime's masquerade would make work)
	mkdir -p "/etc/netns/$ns"
	printf 'nameserver 198.18.2.53\noptions timeout:2 attempts:1\n' >"/etc/netns/$ns/resolv.conf"
	ip -n "$KS_NET" route add 172.$n.0.0/24 via 198.18.2.2
	ip -n "$KS_NET" -6 route add fd$n::/64 via fd00:2::2
done
# forwarding on, as container runtimes turn it on; strict reverse-path filtering, as
# distributions set it (the answers for guests come out of the TUN)
ks_in "$KS_CLI" sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1 \
	net.ipv4.conf.all.rp_filter=1 net.ipv4.conf.default.rp_filter=1
# a server in the veth's container, for traffic from one guest to another
ks_bg "$CV" "$KS_WORK/ctv.out" /usr/bin/python3 "$KS_TOP/tests/lib/idsrv.py" --name ctv \
	--log "$KS_WORK/ctv.log" --max-seconds 600
cprobe() { ks_in "$1" /usr/bin/python3 "$KS_TOP/tests/lib/idsrv.py" probe "${@:2}" 2>&1; }
corp_seen() { grep -c "$1" "$KS_WORK/corp.log"; }
decoy_hits() { grep -c " $KS_CORP_IP\| $KS_CORP_IP6" "$KS_WORK/decoy.log"; }

ks_expect_eq "before kslice: the bridged container reaches the corporate address's decoy" decoy \
	"$(cprobe "$CB" tcp $KS_CORP_IP)"
leaked_before=$(decoy_hits)

ks_answers alicepass
ks_kslice_bg "$KS_WORK/fw.log" -u alice --passwd-on-stdin --servercert "$PIN" -i $IF \
	--domain corp.example $KS_GW_IP
pid=$KS_PID
ks_expect "tunnel up" ks_wait_tunnel $IF "$pid" || { cat "$KS_WORK/fw.log"; ks_done; exit 1; }
st=$(ks_cli "$KS_BIN" status --json -i $IF)
ks_expect_eq "detected guests: the bridge and the plain veth; not the uplinks, the bridge's port, or a bridge with a non-virtual port (vxlan) in it" \
	"ksbr0 ksvp0" "$(jq -r '.split.forward.guests | sort | join(" ")' <<<"$st")"
vpn4=$(jq -r .tunnel.address4 <<<"$st")
vpn6=$(jq -r .tunnel.address6 <<<"$st")

for c in "$CB:bridge" "$CV:veth"; do
	ns=${c%:*} via=${c#*:}
	for kind in tcp udp udp-unconnected; do
		ks_expect_eq "behind a $via: $kind to the corporate host through the tunnel" corp \
			"$(cprobe "$ns" $kind $KS_CORP_IP)"
		ks_expect_eq "behind a $via: $kind over IPv6 too" corp "$(cprobe "$ns" $kind $KS_CORP_IP6)"
	done
	ks_expect "behind a $via: ping answers" ks_in "$ns" ping -q -c 2 -i 0.2 -W 2 $KS_CORP_IP
	ks_expect "behind a $via: ping6 answers" ks_in "$ns" ping -6 -q -c 2 -i 0.2 -W 2 $KS_CORP_IP6
	ks_expect_eq "behind a $via: a public address still goes direct" decoy \
		"$(cprobe "$ns" tcp $KS_PUBLIC_IP)"
done
ks_expect "the corporate host saw the tunnel's IPv4 address, never a container's" \
	bash -c "[ \$(grep -c ' $vpn4\$' '$KS_WORK/corp.log') -gt 0 ] && ! grep -q ' 172\\.3[01]\\.' '$KS_WORK/corp.log'"
ks_expect "... and the tunnel's IPv6 address, never a container's" \
	bash -c "grep -q ' $vpn6\$' '$KS_WORK/corp.log' && ! grep -q ' fd3[01]::' '$KS_WORK/corp.log'"
ks_expect_eq "nothing reached a corporate decoy" "$leaked_before" "$(decoy_hits)"
st=$(ks_cli "$KS_BIN" status --json -i $IF)
ks_expect "status counts the forwarded packets (fwd_tunnel, fwd_snat, fwd_answer)" \
	jq -e '.split.stats | .fwd_tunnel > 0 and .fwd_snat > 0 and .fwd_answer > 0' <<<"$st" >/dev/null
out=$(ks_cli "$KS_BIN" route list -i $IF)
ks_expect "route list names the guests' interfaces ($(grep '^forward' <<<"$out" | tr -s ' \n' ' '))" \
	grep -q '^forward  *ksbr0 ' <<<"$out"

# by name: the containers ask the public resolver; kslice steers corp.example to the
# corporate DNS (the public one would say 203.0.113.66, a decoy)
ks_expect_eq "behind the bridge, by name: jira.corp.example resolves to the corporate address" \
	10.79.0.20 "$(ks_in "$CB" getent ahostsv4 jira.corp.example | awk 'NR == 1 { print $1 }')"
ks_expect_eq "... and the container reaches it through the tunnel" corp \
	"$(cprobe "$CB" tcp jira.corp.example)"

# the kill switch: the gateway dies; kslice reconnects; the guests' corporate packets are
# dropped meanwhile, and nothing reaches a decoy
for p in $(ip netns pids "$KS_GW"); do
	case "$(cat /proc/$p/comm 2>/dev/null)" in
	ocserv*) { kill -KILL "$p"; wait "$p"; } 2>/dev/null ;;
	esac
done
ks_expect "kslice is reconnecting" ks_wait_for 10 grep -q event=reconnecting "$KS_WORK/fw.log"
ks_expect_eq "down: the bridged container's corporate TCP goes nowhere" "ERR timed out" \
	"$(cprobe "$CB" tcp $KS_CORP_IP)"
ks_expect_eq "down: the veth container's corporate UDP goes nowhere" "ERR timed out" \
	"$(cprobe "$CV" udp $KS_CORP_IP)"
ks_expect "down: no ping answer" bash -c "! ip netns exec '$CB' ping -q -c 2 -i 0.2 -W 1 $KS_CORP_IP >/dev/null 2>&1"
ks_expect_eq "down: nothing reached a corporate decoy" "$leaked_before" "$(decoy_hits)"
ks_expect "down: the way in dropped them (fwd_blocked)" \
	test "$(ks_cli "$KS_BIN" status --json -i $IF | jq -r .split.stats.fwd_blocked)" -gt 0
ks_ocserv_restart
ks_expect "reconnected" ks_wait_for 30 grep -q event=reconnected "$KS_WORK/fw.log"
ks_expect_eq "after the reconnect: the bridged container through the tunnel again" corp \
	"$(cprobe "$CB" tcp $KS_CORP_IP)"
ks_cli "$KS_BIN" disconnect -i $IF >/dev/null
ks_wait_gone "$pid"
ks_expect_eq "disconnected: exit 0" 0 "$KS_RC"

# full tunnel (everything included): guests still reach each other directly, and the
# answers for them leave by their interface (there every address reads as corporate)
ks_answers alicepass
ks_kslice_bg "$KS_WORK/fw-full.log" -u alice --passwd-on-stdin --servercert "$PIN" -i $IF \
	--include 0.0.0.0/0 --include ::/0 $KS_GW_IP
pid=$KS_PID
ks_expect "full tunnel up" ks_wait_tunnel $IF "$pid"
ks_expect_eq "full tunnel: the bridged container reaches the corporate host" corp \
	"$(cprobe "$CB" tcp $KS_CORP_IP)"
ks_expect_eq "full tunnel: ... and over IPv6" corp "$(cprobe "$CB" tcp $KS_CORP_IP6)"
ks_expect_eq "full tunnel: the public address too goes through the tunnel (corp answers)" corp \
	"$(cprobe "$CB" tcp $KS_PUBLIC_IP)"
ks_expect_eq "full tunnel: one guest reaches the other directly" ctv "$(cprobe "$CB" tcp 172.31.0.2)"
ks_expect_eq "full tunnel: ... over IPv6 too" ctv "$(cprobe "$CB" tcp fd31::2)"
ks_expect "... seen from the guest's own address, not the tunnel's" grep -q ' 172.30.0.2$' "$KS_WORK/ctv.log"
ks_expect "full tunnel: the bridge's address (this host) answers the guest's ping" \
	ks_in "$CB" ping -q -c 1 -W 2 172.30.0.1
ks_expect "answers to guests passed the kill switch as such (egress_to_guest)" \
	test "$(ks_cli "$KS_BIN" status --json -i $IF | jq -r .split.stats.egress_to_guest)" -gt 0
ks_cli "$KS_BIN" disconnect -i $IF >/dev/null
ks_wait_gone "$pid"

# --forward-from: only the interfaces named; the bridge's container is then not carried,
# and its corporate packets are dropped at the uplink (the kill switch), not leaked
ks_answers alicepass
ks_kslice_bg "$KS_WORK/fw2.log" -u alice --passwd-on-stdin --servercert "$PIN" -i $IF \
	--forward-from ksvp0 $KS_GW_IP
pid=$KS_PID
ks_expect "tunnel up with --forward-from ksvp0" ks_wait_tunnel $IF "$pid"
ks_expect_eq "--forward-from ksvp0: the only guest" ksvp0 \
	"$(ks_cli "$KS_BIN" status --json -i $IF | jq -r '.split.forward.guests | join(" ")')"
ks_expect_eq "--forward-from ksvp0: its container through the tunnel" corp "$(cprobe "$CV" tcp $KS_CORP_IP)"
ks_expect_eq "--forward-from ksvp0: the bridged one is not carried (dropped)" "ERR timed out" \
	"$(cprobe "$CB" tcp $KS_CORP_IP)"
ks_expect_eq "nothing reached a corporate decoy" "$leaked_before" "$(decoy_hits)"
ks_end_clean "forward" "$pid" $IF
ks_done
