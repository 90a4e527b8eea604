#!/usr/bin/env bash
# Split tunneling end to end: real ocserv, real clients in the client namespace, decoys on
# the corp addresses in an "internet" namespace behind the uplink's default route, so any
# leak lands on a decoy and shows in its log. Strict rp_filter throughout.
set -u
source "$(dirname "$0")/../lib/netns.sh"
ks_test_setup
ks_internet || { echo "internet namespace did not come up"; exit 1; }
ks_in "$KS_CLI" sysctl -qw net.ipv4.conf.all.rp_filter=1 net.ipv4.conf.default.rp_filter=1
IF=kss0
rules_before=$(ks_cli ip rule; ks_cli ip -6 rule)
routes_before=$(ks_cli ip route; ks_cli ip -6 route | grep -v '^fe80')

# Which side answered, for every kind of client; "ERR ..." when nothing did.
expect_side() { # NAME WANT KIND HOST
	ks_expect_eq "$1" "$2" "$(ks_probe "$3" "$4")"
}
decoy_hits() { # lines of the decoy log naming a corp address (not the excluded ones)
	grep -cE " (10\.78\.0\.10|10\.78\.0\.53|10\.79\.0\.10|fd78:78::10) " "$KS_WORK/decoy.log"
}
quiet_ping() { ks_cli ping "$@" >/dev/null 2>&1; }

# A workstation with many interfaces (container veths): 70 more, past the old table of 64.
for i in $(seq 35); do
	ks_cli ip link add ksd$i type veth peer name ksd$((i + 35)) &&
		ks_cli ip link set ksd$i up && ks_cli ip link set ksd$((i + 35)) up
done
ks_answers alicepass
ks_kslice_bg "$KS_WORK/kslice.log" -u alice --passwd-on-stdin --servercert "$PIN" -i $IF \
	$KS_GW_IP 10.79.0.0/24
pid=$KS_PID
ks_expect "tunnel up (gateway routes + a positional user prefix)" ks_wait_tunnel $IF "$pid" ||
	{ cat "$KS_WORK/kslice.log"; ks_done; exit 1; }

covered=0
for i in $(seq 70); do
	ks_cli tc filter show dev ksd$i egress | grep -q ks_tc_uplink && covered=$((covered + 1))
done
ks_expect_eq "every one of 72 uplinks has the kill switch (no table limit)" 70 "$covered"
ks_expect_eq "status lists them all" 72 \
	"$(ks_cli "$KS_BIN" status -i $IF --json | jq '.split.uplinks | length')"
# A LAN that claims the corporate range: in split mode the include still decides.
ks_cli ip addr add 10.78.0.250/16 dev eth1
expect_side "split mode: a LAN covering the corp range does not take corp traffic" corp tcp $KS_CORP_IP
ks_cli ip addr del 10.78.0.250/16 dev eth1
for kind in tcp udp udp-unconnected; do
	expect_side "$kind v4 to a corp host goes through the tunnel" corp $kind $KS_CORP_IP
	expect_side "$kind v6 to a corp host goes through the tunnel" corp $kind $KS_CORP_IP6
	expect_side "$kind to a user-included prefix goes through the tunnel" corp $kind 10.79.0.10
	expect_side "$kind v4 to a gateway-excluded address goes direct" decoy $kind 10.78.0.200
	expect_side "$kind v6 to a gateway-excluded address goes direct" decoy $kind fd78:78::200
	expect_side "$kind v4 to the internet goes direct" decoy $kind $KS_PUBLIC_IP
	expect_side "$kind v6 to the internet goes direct" decoy $kind $KS_PUBLIC_IP6
done
ks_expect "ping v4 to corp (no -I) answers through the tunnel" \
	quiet_ping -c 2 -w 10 -i 0.2 -W 2 $KS_CORP_IP
ks_expect "ping v6 to corp (no -I) answers through the tunnel" \
	quiet_ping -6 -c 2 -w 10 -i 0.2 -W 2 $KS_CORP_IP6
ks_expect "ping to the internet goes direct" quiet_ping -c 1 -W 2 $KS_PUBLIC_IP
ks_expect_eq "no corp-bound connection or ping reached a decoy" 0 "$(decoy_hits)"
ks_expect "the pings were caught on the uplink and sent into the tunnel (egress_redirected)" \
	test "$(ks_cli "$KS_BIN" status -i $IF --json | jq .split.stats.egress_redirected)" -ge 4
ks_expect "corp saw the tunnel address as source, not the uplink's" \
	grep -q " 10.77.0.[0-9]*$" "$KS_WORK/corp.log"

# The routing state: the fixed policy and nothing per prefix.
ks_expect_eq "main routing tables untouched" "$routes_before" \
	"$(ks_cli ip route; ks_cli ip -6 route | grep -v '^fe80')"
rules=$(ks_cli ip rule | grep -c '^53[0-9][0-9]:')
ks_expect_eq "three v4 rules (fwmark, from, unreachable)" 3 "$rules"
ks_expect_eq "three v6 rules" 3 "$(ks_cli ip -6 rule | grep -c '^53[0-9][0-9]:')"
ks_expect "rule 5302 is the fail-closed unreachable" \
	bash -c "nsenter --net=/run/netns/$KS_CLI ip rule | grep -q '^5302:.*fwmark 0x400000/0x400000 unreachable'"
ks_expect_eq "table 27507 holds one default route per family" \
	"default dev $IF|default dev $IF" \
	"$(ks_cli ip route show table 27507 | awk '{print $1,$2,$3}')|$(ks_cli ip -6 route show table 27507 | awk '{print $1,$2,$3}')"
ks_expect "uplinks carry the kill-switch filter" \
	bash -c "nsenter --net=/run/netns/$KS_CLI tc filter show dev eth1 egress | grep -q ks_tc_uplink"
# An uplink without Ethernet (a TUN, as wireguard or ppp would be) appearing later gets the
# L3 program, which loads after the rest and is fetched at the first such uplink.
ks_cli ip tuntap add dev ksl3 mode tun
ks_cli ip link set ksl3 up
for _ in $(seq 50); do
	grep -q "event=uplink_attached interface=ksl3 .* l3=1" "$KS_WORK/kslice.log" && break
	sleep 0.1
done
# tc shows program names cut to 15 characters: ks_tc_uplink_eg / ks_tc_uplink_in.
ks_expect "a hotplugged L3 uplink gets the L3 kill-switch filter" \
	bash -c "grep -q 'event=uplink_attached interface=ksl3 .* l3=1' '$KS_WORK/kslice.log' &&
		nsenter --net=/run/netns/$KS_CLI tc filter show dev ksl3 egress | grep -q ks_tc_uplink_eg"
ks_expect "  ... and the L3 DNS learner on its ingress" \
	bash -c "nsenter --net=/run/netns/$KS_CLI tc filter show dev ksl3 ingress | grep -q ks_tc_uplink_in"
ks_cli ip link del ksl3

# What a user and a script see.
st=$(ks_cli "$KS_BIN" status -i $IF --json)
ks_expect_eq "status --json: split mode" split "$(jq -r .split.mode <<<"$st")"
ks_expect_eq "status --json: gateway include with hits" "gateway" \
	"$(jq -r '.split.include[] | select(.prefix=="10.78.0.0/24") | .origin' <<<"$st")"
ks_expect "status --json: hits counted on 10.78.0.0/24" \
	test "$(jq -r '.split.include[] | select(.prefix=="10.78.0.0/24") | .hits' <<<"$st")" -gt 0
ks_expect_eq "status --json: the gateway's address is not excluded (ServerIP)" "" \
	"$(jq -r ".split.exclude[] | select(.prefix==\"$KS_GW_IP/32\") | .origin" <<<"$st")"
ks_expect_eq "status --json: kslice's own sockets carry the bit next to the mark" 0x800000 \
	"$(jq -r .split.own_mark <<<"$st")"
ks_expect "status --json: its TLS connection is passed as its own on the uplink" \
	test "$(jq -r .split.stats.egress_own <<<"$st")" -gt 0
ks_expect "status --json: connects steered counted" \
	test "$(jq -r .split.stats.connect_tunnel <<<"$st")" -ge 4
ks_expect "status text lists the split set" \
	bash -c "nsenter --net=/run/netns/$KS_CLI '$KS_BIN' status -i $IF | grep -q '^include  10.79.0.0/24 .*user'"
ks_expect "bpftool reads the pinned include map with BTF" \
	bash -c "bpftool map dump pinned '$KSLICE_PIN_ROOT/$IF/ks_include4' | grep -q '\"addr\": \[10,78,0,0'"

# Runtime changes: new connections follow at once, no reconnect, no route.
ks_expect "route del of the user prefix" ks_cli "$KS_BIN" route del 10.79.0.0/24 -i $IF
expect_side "after route del: 10.79.0.10 goes direct" decoy tcp 10.79.0.10
ks_expect "route add puts it back" ks_cli "$KS_BIN" route add 10.79.0.0/24 -i $IF
expect_side "after route add: 10.79.0.10 through the tunnel" corp tcp 10.79.0.10
ks_expect "route add --exclude of a corp host" ks_cli "$KS_BIN" route add --exclude $KS_CORP_IP -i $IF
expect_side "excluded at runtime: goes direct" decoy tcp $KS_CORP_IP
ks_expect "route del removes the exclude" ks_cli "$KS_BIN" route del $KS_CORP_IP -i $IF
leaked_before=$(decoy_hits) # the runtime exclude above sent one on purpose
expect_side "and it is corporate again" corp tcp $KS_CORP_IP
ks_expect "route list shows the runtime origin" \
	bash -c "nsenter --net=/run/netns/$KS_CLI '$KS_BIN' route list -i $IF | grep -q '10.79.0.0/24 .*runtime'"
out=$(ks_cli "$KS_BIN" route add 10.1.2.3/16 -i $IF 2>&1)
ks_expect_eq "route add with host bits set: usage error" 2 "$?"
ks_expect "  ... and says what is wrong" grep -q "address bits set" <<<"$out"
out=$(ks_cli "$KS_BIN" route del 10.99.0.0/16 -i $IF 2>&1)
ks_expect "route del of an unknown prefix fails clearly" grep -q "not in the include or exclude set" <<<"$out"
ks_expect_eq "still no per-prefix routes" "$routes_before" \
	"$(ks_cli ip route; ks_cli ip -6 route | grep -v '^fe80')"

# A clean exit leaves nothing: no rules, no table, no filters or qdiscs, no pins.
ks_expect "disconnect" ks_cli "$KS_BIN" disconnect -i $IF
ks_wait_gone "$pid"
ks_expect_eq "kslice exit code 0" 0 "$KS_RC"
ks_expect_eq "ip rule back to what it was" "$rules_before" "$(ks_cli ip rule; ks_cli ip -6 rule)"
ks_expect_eq "no filter, no clsact left on the uplinks" "" \
	"$(ks_cli tc qdisc show dev eth1 | grep clsact; ks_cli tc qdisc show dev eth0 | grep clsact)"
ks_expect "nothing else left (device, socket, pins)" ks_nothing_left $IF
ks_expect_eq "status: nothing left to report" "$IF: not connected" "$(ks_cli "$KS_BIN" status -i $IF)"
left=0
for i in $(seq 70); do
	ks_cli tc qdisc show dev ksd$i | grep -q clsact && left=$((left + 1))
done
for i in $(seq 35); do ks_cli ip link del ksd$i; done
ks_expect_eq "no clsact left on the 70 extra interfaces" 0 "$left"

# Full tunnel: carol's gateway config pushes no split-include at all (tests/data/users).
ks_answers carolpass
ks_kslice_bg "$KS_WORK/kslice-full.log" -u carol --passwd-on-stdin --servercert "$PIN" -i $IF $KS_GW_IP
pid=$KS_PID
ks_expect "full tunnel: up" ks_wait_tunnel $IF "$pid"
st=$(ks_cli "$KS_BIN" status -i $IF --json)
ks_expect_eq "full tunnel: mode full, 0.0.0.0/0 and ::/0 included" "full 0.0.0.0/0 ::/0" \
	"$(jq -r '[.split.mode, (.split.include[] | select(.origin=="auto") | .prefix)] | join(" ")' <<<"$st")"
expect_side "full tunnel: the internet goes through the tunnel (corp plays it)" corp tcp $KS_PUBLIC_IP
expect_side "full tunnel: v6 internet too" corp udp-unconnected $KS_PUBLIC_IP6
expect_side "full tunnel: corp through the tunnel" corp tcp $KS_CORP_IP
expect_side "full tunnel: the gateway's excludes still go direct" decoy tcp 10.78.0.200
# The uplink's network now also claims 10.78.0.0/16, the corporate range (TunnelCrack
# LocalNet); a private LAN 192.168.77.0/24 sits beside it, its host .1 a decoy.
ks_cli ip addr add 10.78.0.250/16 dev eth1
ks_cli ip addr add 192.168.77.2/24 dev eth1
ip -n "$KS_NET" addr add 192.168.77.1/24 dev eth0
ks_expect_eq "full tunnel: no local network is exempt by default (LocalNet)" "" \
	"$(jq -r '.split.exclude[] | select(.origin=="auto") | .prefix' <<<"$st")"
expect_side "LocalNet: a LAN covering the corp range does not take corp traffic" corp tcp $KS_CORP_IP
expect_side "LocalNet: ... nor udp" corp udp-unconnected $KS_CORP_IP
ks_expect "LocalNet: ... nor ping" quiet_ping -c 1 -W 2 $KS_CORP_IP
# (through the tunnel, the gateway has no route there: it says so)
expect_side "full tunnel: a private LAN host goes through the tunnel too" \
	"ERR Network is unreachable" tcp 192.168.77.1
rtr6=$(ip -n "$KS_NET" -6 -o addr show dev eth0 scope link | awk '{print $4}' | cut -d/ -f1)
ks_expect "full tunnel: link-local still works (the router's fe80 address answers)" \
	quiet_ping -6 -c 1 -W 2 "$rtr6%eth1"
ks_expect "full tunnel: the tunnel does not carry itself (still up)" ks_alive "$pid"
ks_cli "$KS_BIN" disconnect -i $IF >/dev/null
ks_wait_gone "$pid"

# --allow-lan: only when the gateway allows it (carol's does not; dave's does).
ks_kslice_bg "$KS_WORK/kslice-lan1.log" -u carol --passwd-on-stdin --servercert "$PIN" -i $IF \
	--allow-lan $KS_GW_IP
pid=$KS_PID
ks_expect "--allow-lan, gateway says no: up" ks_wait_tunnel $IF "$pid"
ks_expect "... says why nothing is exempt" grep -q "event=lan_not_permitted" "$KS_WORK/kslice-lan1.log"
expect_side "... the private LAN still goes through the tunnel" "ERR Network is unreachable" \
	tcp 192.168.77.1
ks_cli "$KS_BIN" disconnect -i $IF >/dev/null
ks_wait_gone "$pid"
ks_answers davepass
ks_kslice_bg "$KS_WORK/kslice-lan2.log" -u dave --passwd-on-stdin --servercert "$PIN" -i $IF \
	--allow-lan $KS_GW_IP
pid=$KS_PID
ks_expect "--allow-lan, gateway allows (split-exclude 0.0.0.0/32): up" ks_wait_tunnel $IF "$pid"
st=$(ks_cli "$KS_BIN" status -i $IF --json)
ks_expect_eq "... exempt: the private (and unique-local) subnets of the uplinks" \
	"192.168.77.0/24 fd00:2::/64" \
	"$(jq -r '[.split.exclude[] | select(.origin=="auto") | .prefix] | join(" ")' <<<"$st")"
expect_side "... its host is reached directly" decoy tcp 192.168.77.1
ks_expect "... the LAN claiming 10.78.0.0/16 is refused: it overlaps the corporate DNS" \
	grep -q 'event=lan_refused interface=eth1 prefix=10.78.0.0/16 reason="overlaps the corporate DNS server"' \
	"$KS_WORK/kslice-lan2.log"
ks_expect "... the public uplink subnet is refused: not private" \
	grep -q 'event=lan_refused interface=eth1 prefix=198.18.2.0/24 reason="not a private' \
	"$KS_WORK/kslice-lan2.log"
expect_side "... corp still through the tunnel" corp tcp $KS_CORP_IP
ks_cli "$KS_BIN" disconnect -i $IF >/dev/null
ks_wait_gone "$pid"
ks_cli ip addr del 10.78.0.250/16 dev eth1
ks_cli ip addr del 192.168.77.2/24 dev eth1
ks_answers carolpass

# v4-only full tunnel (--disable-ipv6: no IPv6 address from the gateway): IPv6 is blocked,
# not sent around the tunnel.
ks_kslice_bg "$KS_WORK/kslice-v4.log" -u carol --passwd-on-stdin --servercert "$PIN" -i $IF \
	--disable-ipv6 $KS_GW_IP
pid=$KS_PID
ks_expect "v4-only full tunnel: up" ks_wait_tunnel $IF "$pid"
expect_side "v4-only: IPv6 to the internet is refused, not direct" "ERR Operation not permitted" \
	tcp $KS_PUBLIC_IP6
expect_side "v4-only: ... unconnected udp too" "ERR Operation not permitted" \
	udp-unconnected $KS_PUBLIC_IP6
ks_expect "v4-only: ... ping6 gets no answer" bash -c "! nsenter --net=/run/netns/$KS_CLI ping -6 -q -c 1 -W 1 $KS_PUBLIC_IP6 >/dev/null 2>&1"
ks_expect "v4-only: link-local IPv6 still works" quiet_ping -6 -c 1 -W 2 "$rtr6%eth1"
expect_side "v4-only: IPv4 goes through the tunnel" corp tcp $KS_PUBLIC_IP
ks_cli "$KS_BIN" disconnect -i $IF >/dev/null
ks_wait_gone "$pid"

# ServerIP: the gateway's address also serves something else, and its name is made to
# resolve to an attacker's relay (198.18.1.3) that passes TLS on to the real gateway.
# Only kslice's own connection skips the tunnel; the rest for those addresses goes in.
ip -n "$KS_GW" addr add 198.18.1.3/24 dev eth0
ks_bg "$KS_GW" "$KS_WORK/idsrv-gw.out" /usr/bin/python3 "$KS_TOP/tests/lib/idsrv.py" \
	--name gwhost --log "$KS_WORK/gwhost.log" >/dev/null
ks_bg "$KS_GW" "$KS_WORK/relay.out" /usr/bin/python3 "$KS_TOP/tests/lib/tcp_relay.py" \
	198.18.1.3 443 $KS_GW_IP 443 >/dev/null
[ -d /etc/netns ] || KS_ETC_NETNS_MADE=1
mkdir -p "/etc/netns/$KS_CLI" && KS_ETC_NETNS=/etc/netns/$KS_CLI
echo "$KS_GW_IP gw.kslice.test" > "/etc/netns/$KS_CLI/hosts"
for _ in $(seq 50); do ks_in "$KS_GW" bash -c "exec 3<>/dev/tcp/198.18.1.3/443" 2>/dev/null && break; sleep 0.1; done
ip netns exec "$KS_CLI" "$KS_BIN" connect -u carol --passwd-on-stdin --servercert "$PIN" -i $IF \
	gw.kslice.test <"$KS_WORK/answers" >"$KS_WORK/kslice-serverip.log" 2>&1 &
pid=$!
KS_PIDS+=($pid)
ks_expect "ServerIP: full tunnel up, gateway by name" ks_wait_tunnel $IF "$pid"
vpn4=$(ks_cli "$KS_BIN" status -i $IF --json | jq -r .tunnel.address4)
ks_expect_eq "ServerIP: another service on the gateway's address answers" gwhost \
	"$(ks_probe tcp $KS_GW_IP)"
ks_expect "... through the tunnel (it saw the VPN address, not the uplink's)" \
	grep -q "^tcp $KS_GW_IP $vpn4\$" "$KS_WORK/gwhost.log"
echo "198.18.1.3 gw.kslice.test" > "/etc/netns/$KS_CLI/hosts"
for p in $(ip netns pids "$KS_GW"); do
	[ "$(cat /proc/$p/comm 2>/dev/null)" = ocserv-worker ] && kill -KILL "$p"
done
for _ in $(seq 100); do grep -q 'event=reconnected' "$KS_WORK/kslice-serverip.log" && break; sleep 0.1; done
ks_expect "ServerIP: the name now resolves to the relay; full tunnel reconnects through it" \
	grep -q 'event=reconnected' "$KS_WORK/kslice-serverip.log"
ks_expect_eq "... the session's gateway address is the relay's" 198.18.1.3 \
	"$(ks_cli "$KS_BIN" status -i $IF --json | jq -r .gateway.address)"
ks_expect_eq "... and traffic to the relay's address is not exempt: through the tunnel" gwhost \
	"$(ks_probe tcp 198.18.1.3)"
ks_expect "... (seen from the VPN address)" grep -q "^tcp 198.18.1.3 $vpn4\$" "$KS_WORK/gwhost.log"
ks_expect_eq "... nothing reached the gateway host from the uplink's address" 0 \
	"$(grep -c ' 198.18.1.2$' "$KS_WORK/gwhost.log")"
ks_cli "$KS_BIN" disconnect -i $IF >/dev/null
ks_wait_gone "$pid"
ks_answers alicepass

# Kill switch 1: the gateway dies without a goodbye (every ocserv process in its namespace,
# by PID); kslice keeps trying to resume, corp traffic fails closed meanwhile.
ks_kslice_bg "$KS_WORK/kslice2.log" -u alice --passwd-on-stdin --servercert "$PIN" -i $IF $KS_GW_IP
pid=$KS_PID
ks_expect "tunnel up again" ks_wait_tunnel $IF "$pid"
for p in $(ip netns pids "$KS_GW"); do
	case "$(cat /proc/$p/comm 2>/dev/null)" in
	ocserv*) { kill -KILL "$p"; wait "$p"; } 2>/dev/null ;; # wait: no "Killed" job notice
	esac
done
for _ in $(seq 100); do grep -q event=reconnecting "$KS_WORK/kslice2.log" && break; sleep 0.1; done
ks_expect "kslice noticed and is reconnecting" grep -q event=reconnecting "$KS_WORK/kslice2.log"
expect_side "down: tcp connect to corp fails at once" "ERR Operation not permitted" tcp $KS_CORP_IP
expect_side "down: tcp v6 connect to corp fails at once" "ERR Operation not permitted" tcp $KS_CORP_IP6
expect_side "down: connected udp to corp fails" "ERR Operation not permitted" udp $KS_CORP_IP
expect_side "down: unconnected udp to corp fails" "ERR Operation not permitted" udp-unconnected $KS_CORP_IP
ks_expect "down: ping to corp gets no answer" bash -c "! nsenter --net=/run/netns/$KS_CLI ping -q -c 2 -i 0.2 -W 1 $KS_CORP_IP >/dev/null 2>&1"
expect_side "down: the internet still works" decoy tcp $KS_PUBLIC_IP
ks_expect_eq "down: nothing reached a corp decoy" "$leaked_before" "$(decoy_hits)"
# (from inside the internet namespace, 10.78.0.10 is the decoy's own address)
ks_expect_eq "down: another network namespace is not touched by the hooks (netns cookie)" decoy \
	"$(ks_in "$KS_NET" /usr/bin/python3 "$KS_TOP/tests/lib/idsrv.py" probe tcp $KS_CORP_IP)"
leaked_before=$(decoy_hits)

# Kill switch 2: kslice itself is SIGKILLed. Its uplink filter and rules stay, by design.
{ kill -KILL "$pid"; ks_wait_gone "$pid"; } 2>/dev/null
ks_expect "after SIGKILL: the uplink filter is still there" \
	bash -c "nsenter --net=/run/netns/$KS_CLI tc filter show dev eth1 egress | grep -q ks_tc_uplink"
expect_side "after SIGKILL: tcp to corp goes nowhere" "ERR timed out" tcp $KS_CORP_IP
expect_side "after SIGKILL: udp to corp goes nowhere" "ERR timed out" udp-unconnected $KS_CORP_IP
expect_side "after SIGKILL: tcp v6 to corp goes nowhere" "ERR timed out" tcp $KS_CORP_IP6
expect_side "after SIGKILL: udp v6 to corp goes nowhere" "ERR timed out" udp-unconnected $KS_CORP_IP6
ks_expect "after SIGKILL: ping to corp gets no answer" bash -c "! nsenter --net=/run/netns/$KS_CLI ping -q -c 2 -i 0.2 -W 1 $KS_CORP_IP >/dev/null 2>&1"
ks_expect_eq "after SIGKILL: nothing reached a corp decoy" "$leaked_before" "$(decoy_hits)"
# Fail closed across restarts: a connect that fails keeps the kill switch, and says so.
ks_expect "the gateway comes back" ks_ocserv_start
ks_answers wrongpass
ks_kslice_fg "$KS_WORK/after-kill-wrong.log" -u alice --passwd-on-stdin --servercert "$PIN" \
	-i $IF $KS_GW_IP
ks_expect_eq "after SIGKILL, a wrong password: exit 4" 4 "$?"
ks_expect "... which says the kill switch stays" \
	grep -q "kill switch a previous kslice left on $IF stays in force" "$KS_WORK/after-kill-wrong.log"
ks_expect "... and it does: the uplink filter is there" \
	bash -c "nsenter --net=/run/netns/$KS_CLI tc filter show dev eth1 egress | grep -q ks_tc_uplink"
expect_side "... tcp to corp goes nowhere" "ERR timed out" tcp $KS_CORP_IP
expect_side "... udp to corp goes nowhere" "ERR timed out" udp-unconnected $KS_CORP_IP
ks_answers alicepass
ks_kslice_fg "$KS_WORK/after-kill-down.log" -u alice --passwd-on-stdin --servercert "$PIN" \
	--timeout 3 -i $IF $KS_GW_IP:4 # nothing listens there: the gateway is "down"
ks_expect_eq "after SIGKILL, the gateway down: exit 5" 5 "$?"
ks_expect "... the kill switch stays" \
	bash -c "nsenter --net=/run/netns/$KS_CLI tc filter show dev eth1 egress | grep -q ks_tc_uplink"
expect_side "... tcp to corp goes nowhere" "ERR timed out" tcp $KS_CORP_IP
ks_expect "... ping to corp gets no answer" bash -c "! nsenter --net=/run/netns/$KS_CLI ping -q -c 2 -i 0.2 -W 1 $KS_CORP_IP >/dev/null 2>&1"
ks_expect_eq "through the kill, the failed connects and the probes: nothing reached a corp decoy" \
	"$leaked_before" "$(decoy_hits)"
st=$(ks_cli "$KS_BIN" status -i $IF)
ks_expect "status explains the residue" grep -q "kill switch still active" <<<"$st"
ks_expect_eq "status --json counts the residue's rules" 6 \
	"$(ks_cli "$KS_BIN" status -i $IF --json | jq .residue.rules)"
out=$(ks_cli "$KS_BIN" cleanup -i $IF)
ks_expect "cleanup reports what it removed" grep -q "removed what a killed kslice left" <<<"$out"
ks_expect_eq "after cleanup: ip rule as before" "$rules_before" "$(ks_cli ip rule; ks_cli ip -6 rule)"
ks_expect_eq "after cleanup: no clsact left" "" "$(ks_cli tc qdisc show dev eth1 | grep clsact)"
ks_expect "after cleanup: no pins" test ! -e "$KSLICE_PIN_ROOT/$IF"
expect_side "after cleanup: corp addresses take the normal path again" decoy tcp $KS_CORP_IP
ks_expect_eq "cleanup again: nothing to do" "$IF: nothing to clean up" "$(ks_cli "$KS_BIN" cleanup -i $IF)"

# Takeover: killed again, then a connect that works replaces the kill switch in place.
leaked_before=$(decoy_hits) # the probe after cleanup went to the decoy on purpose
ks_kslice_bg "$KS_WORK/kslice3.log" -u alice --passwd-on-stdin --servercert "$PIN" -i $IF $KS_GW_IP
pid=$KS_PID
ks_expect "up again" ks_wait_tunnel $IF "$pid"
{ kill -KILL "$pid"; ks_wait_gone "$pid"; } 2>/dev/null
ks_kslice_bg "$KS_WORK/kslice4.log" -u alice --passwd-on-stdin --servercert "$PIN" -i $IF $KS_GW_IP
pid=$KS_PID
ks_expect "a new session takes over" ks_wait_tunnel $IF "$pid"
ks_expect "... and logged the takeover" grep -q "event=takeover" "$KS_WORK/kslice4.log"
expect_side "... corp goes through its tunnel" corp tcp $KS_CORP_IP
ks_expect_eq "... one filter on the uplink, its own" 1 \
	"$(ks_cli tc filter show dev eth1 egress | grep -c ks_tc_uplink)"
ks_expect "disconnect" ks_cli "$KS_BIN" disconnect -i $IF
ks_wait_gone "$pid"
ks_expect_eq "after the takeover, a clean exit leaves ip rule as before" "$rules_before" \
	"$(ks_cli ip rule; ks_cli ip -6 rule)"
ks_expect_eq "... no clsact (the dead one's qdisc went too)" "" \
	"$(ks_cli tc qdisc show dev eth1 | grep clsact)"
ks_expect "... nothing else left" ks_nothing_left $IF
ks_expect_eq "no corp packet reached a decoy at any point" "$leaked_before" "$(decoy_hits)"

# SIGKILL, then cleanup straight away: nothing of kslice is left, in the run directory too.
ks_kslice_bg "$KS_WORK/kslice5.log" -u alice --passwd-on-stdin --servercert "$PIN" -i $IF $KS_GW_IP
pid=$KS_PID
ks_expect "up once more" ks_wait_tunnel $IF "$pid"
{ kill -KILL "$pid"; ks_wait_gone "$pid"; } 2>/dev/null
ks_expect "after SIGKILL, the control socket file is left" test -S "$KSLICE_RUN_DIR/$IF.sock"
out=$(ks_cli "$KS_BIN" cleanup -i $IF)
ks_expect "cleanup says it removed the socket too" grep -q "its control socket" <<<"$out"
ks_expect_eq "after cleanup: no file of it in the run directory (socket, uplink state)" "" \
	"$(ls "$KSLICE_RUN_DIR" | grep "^$IF\.")"
ks_expect "after cleanup: nothing left" ks_nothing_left $IF
ks_done
