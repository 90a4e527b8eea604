#!/usr/bin/env bash
# DNS in eBPF end to end: a real ocserv pushing corp.example and its DNS server; dnsmasq as
# the corporate DNS behind the gateway and as the public resolver on the internet side (the
# client's resolv.conf names the public one); decoys on every corp address. Corporate names
# must resolve through the corporate DNS, their addresses must go through the tunnel from
# the first connection, and the public resolver must never see a corporate query.
set -u
source "$(dirname "$0")/../lib/netns.sh"
ks_test_setup
ks_internet || { echo "internet namespace did not come up"; exit 1; }
ks_dns_servers || { echo "DNS servers did not come up"; exit 1; }
ks_in "$KS_CLI" sysctl -qw net.ipv4.conf.all.rp_filter=1 net.ipv4.conf.default.rp_filter=1
IF=kss1

# Clients resolve through resolv.conf: run them with ip netns exec (it mounts ours).
resolve() { ks_in "$KS_CLI" getent "$@" 2>/dev/null | awk '{print $1}' | sort -u | tr '\n' ' '; }
side() { ks_in "$KS_CLI" /usr/bin/python3 "$KS_TOP/tests/lib/idsrv.py" probe "$@"; }
public_saw_corp() { # corporate queries the public resolver received
	grep -cE 'query\[[A-Z]+\] ([^ ]+\.)?corp\.example from' "$KS_WORK/dns-public.log"
}
decoy_hits() { # connections that reached a decoy on a corp-only address
	grep -cE " (10\.79\.[0-9.]+|fd79:79::[0-9a-f]+|203\.0\.113\.2[56]|203\.0\.113\.66) " \
		"$KS_WORK/decoy.log"
}
json() { ks_cli "$KS_BIN" status -i $IF --json; }

ks_answers alicepass
ks_kslice_bg "$KS_WORK/kslice.log" -u alice --passwd-on-stdin --servercert "$PIN" -i $IF \
	--domain mail.publiccorp.example --learn-domain wiki.publiccorp.example --dns bpf \
	--exclude-domain evil.example \
	--dns-grace 0 $KS_GW_IP
pid=$KS_PID
ks_expect "tunnel up with corp.example from the gateway" ks_wait_tunnel $IF "$pid" ||
	{ cat "$KS_WORK/kslice.log"; ks_done; exit 1; }

st=$(json)
ks_expect_eq "status: the gateway's DNS servers, one per family" "10.78.0.53 fd78:78::53" \
	"$(jq -r '.dns.servers | join(" ")' <<<"$st")"
ks_expect_eq "status: corp.example from the gateway, resolved and tunnelled" \
	"tunnel,resolve gateway" \
	"$(jq -r '.dns.domains[] | select(.domain=="corp.example") | "\(.action) \(.origin)"' <<<"$st")"
ks_expect_eq "status: --domain, --learn-domain and --exclude-domain from the user" \
	"exclude|tunnel,resolve|tunnel" \
	"$(jq -r '[.dns.domains[] | select(.origin=="user") | .action] | join("|")' <<<"$st")"
ks_expect_eq "status: the DNS server is included, as the gateway's" gateway \
	"$(jq -r '.split.include[] | select(.prefix=="10.78.0.53/32") | .origin' <<<"$st")"
ks_expect "the learner sits on the uplink's ingress" \
	bash -c "nsenter --net=/run/netns/$KS_CLI tc filter show dev eth1 ingress | grep -q ks_tc_uplink_in"

# Corporate names: asked of the public resolver, answered by the corporate one.
ks_expect_eq "jira.corp.example resolves to its corp address (no hosts file)" \
	"10.79.0.20 " "$(resolve ahostsv4 jira.corp.example)"
ks_expect_eq "... and is reached through the tunnel at once" corp "$(side tcp jira.corp.example)"
ks_expect_eq "its AAAA too, over IPv6" corp "$(side tcp6 jira.corp.example)"
ks_expect_eq "udp by name through the tunnel" corp "$(side udp jira.corp.example)"
ks_expect_eq "any case: WIKI.CORP.EXAMPLE" corp "$(side tcp WIKI.CORP.EXAMPLE)"
ks_expect_eq "dig at the public resolver gets the corporate answer" 10.79.0.20 \
	"$(ks_in "$KS_CLI" dig +short +time=2 +tries=1 @198.18.2.53 jira.corp.example A)"
ks_expect_eq "an unknown corporate name is NXDOMAIN from the corp DNS, not the public decoy" \
	NXDOMAIN "$(ks_in "$KS_CLI" dig +time=2 +tries=1 @198.18.2.53 nope.corp.example A |
		sed -n 's/.*status: \([A-Z]*\),.*/\1/p')"
ks_expect_eq "over IPv6 to the public resolver: steered to the corp DNS's v6 address" \
	fd79:79::20 "$(ks_in "$KS_CLI" dig +short +time=2 +tries=1 @fd00:2::53 jira.corp.example AAAA)"
ks_expect_eq "DNS over TCP: a corporate query to the public resolver is dropped" "" \
	"$(ks_in "$KS_CLI" dig +tcp +short +time=1 +tries=1 @198.18.2.53 jira.corp.example A 2>/dev/null | grep -v '^;')"
ks_expect_eq "DNS over TCP: a public name still resolves" "$KS_PUBLIC_IP" \
	"$(ks_in "$KS_CLI" dig +tcp +short +time=2 +tries=1 @198.18.2.53 www.public.example A)"

# Public names with VPN-only addresses (USER-STORY 7).
ks_expect_eq "--domain mail.publiccorp.example: resolved by the corp DNS, reached via tunnel" \
	corp "$(side tcp mail.publiccorp.example)"
ks_expect_eq "--learn-domain wiki.publiccorp.example: resolved publicly, reached via tunnel" \
	corp "$(side tcp wiki.publiccorp.example)"
ks_expect "... and the public resolver did answer it" \
	grep -q 'query\[A\] wiki.publiccorp.example' "$KS_WORK/dns-public.log"
ks_expect_eq "a public name resolves publicly and goes direct" decoy "$(side tcp www.public.example)"

# The first-connection race, a thousand times: resolve a fresh name, connect at once.
sweep=$(ks_in "$KS_CLI" /usr/bin/python3 "$KS_TOP/tests/lib/idsrv.py" sweep "$KS_FRESH" \
	fresh.corp.example)
ks_expect_eq "$KS_FRESH fresh names resolved and connected at once: all reach corp" \
	"corp=$KS_FRESH" "$sweep"
ks_expect_eq "no connection to a corp-only address reached a decoy" 0 "$(decoy_hits)"
ks_expect_eq "the public resolver saw no corporate query" 0 "$(public_saw_corp)"

# Spoofed answers (docs/dns.md): evil.example is an exclude domain. An attacker on the
# client's network forges answers from the resolver's address, on every port, naming the
# corp host under it; then the resolver itself lies about it when asked.
unsolicited() { json | jq .dns.stats.answers_unsolicited; }
refused() { json | jq '.dns.stats.refused_private + .dns.stats.refused_include'; }
corp_decoy_hits() { grep -c " $KS_CORP_IP " "$KS_WORK/decoy.log"; }
u0=$(unsolicited)
sent=$(ks_in "$KS_NET" /usr/bin/python3 "$KS_TOP/tests/lib/dns_spoof.py" 198.18.2.53 198.18.2.2 \
	x.evil.example "$KS_CORP_IP" --ports 1024:64512 --ids 1)
ks_expect_eq "forged answers sent on every port" 64512 "$sent"
for _ in $(seq 50); do [ "$(unsolicited)" -gt "$u0" ] && break; sleep 0.1; done
ks_expect "forged answers counted as unsolicited" test "$(unsolicited)" -gt "$u0"
ks_expect_eq "... and nothing learned from them" "" \
	"$(json | jq -r '.dns.learned[] | select(.name | endswith("evil.example")) | .address')"
ks_expect_eq "the corp host is still reached through the tunnel" corp "$(side tcp $KS_CORP_IP)"
r0=$(refused)
ks_expect_eq "the resolver lies: y.evil.example is the corp host" "$KS_CORP_IP" \
	"$(ks_in "$KS_CLI" dig +short +time=2 +tries=1 @198.18.2.53 y.evil.example A)"
ks_expect "its answer (to our query) is refused: an included, private address" \
	test "$(refused)" -gt "$r0"
ks_expect_eq "... so the corp host still goes through the tunnel" corp "$(side tcp y.evil.example)"
ks_expect_eq "no connection to the corp host reached its decoy" 0 "$(corp_decoy_hits)"

st=$(json)
ks_expect_eq "status: jira's address learned, with its name" jira.corp.example \
	"$(jq -r '.dns.learned[] | select(.address=="10.79.0.20") | .name' <<<"$st")"
ks_expect "status: the learned address has hits" \
	test "$(jq -r '.dns.learned[] | select(.address=="10.79.0.20") | .hits' <<<"$st")" -gt 0
ks_expect "status: queries steered and answers translated counted" \
	test "$(jq -r '.dns.stats.answers_translated' <<<"$st")" -ge "$KS_FRESH"
ks_expect "bpftool reads ks_learned4 with BTF (the name shows)" \
	bash -c "bpftool map dump pinned '$KSLICE_PIN_ROOT/$IF/ks_learned4' | grep -q 'jira.corp.example'"
ks_expect "status text lists the domains" \
	bash -c "nsenter --net=/run/netns/$KS_CLI '$KS_BIN' status -i $IF | grep -q '^domain   corp.example .*gateway'"

# Runtime domains.
ks_expect "domain add --learn-only" ks_cli "$KS_BIN" domain add --learn-only -i $IF Other.Example.
ks_expect "domain list shows it as runtime" \
	bash -c "nsenter --net=/run/netns/$KS_CLI '$KS_BIN' domain list -i $IF | grep -q '^domain   other.example  *tunnel  *runtime'"
ks_expect "domain del" ks_cli "$KS_BIN" domain del -i $IF other.example
ks_expect "domain del of an unknown domain fails" \
	bash -c "! nsenter --net=/run/netns/$KS_CLI '$KS_BIN' domain del -i $IF other.example 2>/dev/null"
err=$(ks_cli "$KS_BIN" domain add -i $IF 'bad..name' 2>&1)
ks_expect "a malformed domain is refused with the reason" grep -q "not a domain name: empty label" <<<"$err"
ks_expect "domain add --exclude of a gateway domain is refused (opposite action)" \
	bash -c "! nsenter --net=/run/netns/$KS_CLI '$KS_BIN' domain add --exclude -i $IF corp.example 2>/dev/null"
ks_expect "domain list --learned lists addresses" \
	bash -c "nsenter --net=/run/netns/$KS_CLI '$KS_BIN' domain list --learned -i $IF | grep -q '^learned  10.79.0.20 '"

# TTL expiry: dnsmasq answers with TTL 4, the grace is 0, the sweep runs every 2 s.
for _ in $(seq 100); do
	[ "$(json | jq '.dns.learned | length')" = 0 ] && break
	sleep 0.2
done
ks_expect_eq "learned addresses expire with their TTL" 0 "$(json | jq '.dns.learned | length')"
ks_expect_eq "a new lookup learns again" corp "$(side tcp jira.corp.example)"

# Tunnel down (gateway gone without a goodbye): corporate queries fail closed.
for p in $(ip netns pids "$KS_GW"); do
	case "$(cat /proc/$p/comm 2>/dev/null)" in
	ocserv*) { kill -KILL "$p"; wait "$p"; } 2>/dev/null ;;
	esac
done
for _ in $(seq 100); do grep -q event=reconnecting "$KS_WORK/kslice.log" && break; sleep 0.1; done
ks_expect "kslice is reconnecting" grep -q event=reconnecting "$KS_WORK/kslice.log"
ks_expect_eq "down: a corporate query gets no answer" "" \
	"$(ks_in "$KS_CLI" dig +short +time=1 +tries=1 @198.18.2.53 jira.corp.example A 2>/dev/null | grep -v '^;')"
ks_expect_eq "down: a public name still resolves" "$KS_PUBLIC_IP" \
	"$(ks_in "$KS_CLI" dig +short +time=2 +tries=1 @198.18.2.53 www.public.example A)"
ks_expect_eq "down: the public resolver still saw no corporate query" 0 "$(public_saw_corp)"
ks_expect "down: blocked queries counted" test "$(json | jq .dns.stats.queries_blocked)" -ge 1
ks_expect_eq "down: status answers between attempts, state reconnecting" reconnecting \
	"$(json | jq -r .state)"

ks_expect "disconnect is heard between reconnect attempts" ks_cli "$KS_BIN" disconnect -i $IF
ks_wait_gone "$pid"
ks_expect "... and kslice ends at once" test "$(ks_alive "$pid" && echo alive)" != alive
ks_expect "disconnect leaves nothing (device, socket, pins)" ks_nothing_left $IF
ks_expect_eq "no filter left on the uplink's ingress" "" \
	"$(ks_cli tc filter show dev eth1 ingress)"

# The default, --dns auto: no systemd-resolved in this namespace, so eBPF steering alone.
ks_expect "the gateway is back" ks_ocserv_start
ks_kslice_bg "$KS_WORK/kslice-auto.log" -u alice --passwd-on-stdin --servercert "$PIN" -i $IF \
	$KS_GW_IP
pid=$KS_PID
ks_expect "--dns auto (the default): up" ks_wait_tunnel $IF "$pid"
ks_expect_eq "--dns auto: steering in eBPF, no resolved here" "bpf false" \
	"$(json | jq -r '"\(.dns.steering) \(.dns.resolved)"')"
ks_expect_eq "--dns auto: a corporate name resolves through the corporate DNS" "10.79.0.20 " \
	"$(resolve ahostsv4 jira.corp.example)"
ks_expect_eq "--dns auto: and is reached through the tunnel" corp "$(side tcp jira.corp.example)"
ks_expect_eq "--dns auto: the public resolver saw no corporate query" 0 "$(public_saw_corp)"
ks_end_clean "--dns auto" "$pid" $IF
ks_done
