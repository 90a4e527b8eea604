#!/usr/bin/env bash
# Per-application policy: processes in two cgroups reach the same address, one through the
# tunnel and one directly (TCP, UDP connected and not, ping; IPv4 and IPv6); a `direct`
# cgroup never leaks to a corporate address; policies change live, nest, follow a process
# that moves; `kslice exec` runs a command as the user behind sudo and cleans up after it.
# The "internet" namespace holds decoys on the corporate and public addresses, the corp
# namespace the real ones (tests/lib/netns.sh): the answer says which side was reached.
set -u
source "$(dirname "$0")/../lib/netns.sh"
ks_test_setup
ks_internet || { echo "internet namespace did not come up"; exit 1; }
ks_dns_servers || { echo "the DNS servers did not come up"; exit 1; }
IF=ksap0
CG=$(ks_cgroup_root)
A=kstest-$KS_ID-a
B=kstest-$KS_ID-b
epid=
cleanup_cgroups() {
	[ -n "$epid" ] && kill -KILL "$epid" 2>/dev/null
	rmdir "$CG"/kslice-test.slice/kslice-exec-$IF-*/* "$CG"/kslice-test.slice/kslice-exec-$IF-* \
		"$CG/kslice-test.slice" 2>/dev/null
	rmdir "$CG/$A/child" "$CG/$A" "$CG/$B" "$CG/kslice.exec/$IF."* 2>/dev/null; true; }
trap 'cleanup_cgroups; ks_teardown' EXIT
probe() { ks_cli /usr/bin/python3 "$KS_TOP/tests/lib/idsrv.py" probe "$@" 2>&1; }
# probe from inside cgroup $1 (a process that enters it first)
probe_in() { local cg=$1; shift
	ks_cli bash -c 'echo $$ >"$1/cgroup.procs" && shift && exec /usr/bin/python3 "$@"' _ \
		"$CG/$cg" "$KS_TOP/tests/lib/idsrv.py" probe "$@" 2>&1; }
ks_exec() { ks_cli "$KS_BIN" exec -i $IF "$@"; }

ks_answers alicepass
ks_kslice_bg "$KS_WORK/apps.log" -u alice --passwd-on-stdin --servercert "$PIN" -i $IF $KS_GW_IP
pid=$KS_PID
ks_expect "tunnel up" ks_wait_tunnel $IF "$pid" || { cat "$KS_WORK/apps.log"; ks_done; exit 1; }

# --- the baseline: the gateway's split (corporate through the tunnel, the rest direct) ---
ks_expect_eq "no policy: corporate via the tunnel" corp "$(probe tcp $KS_CORP_IP)"
ks_expect_eq "no policy: public address direct (its decoy answers)" decoy "$(probe tcp $KS_PUBLIC_IP)"

# --- kslice exec --via tunnel: everything through the tunnel ---
for kind in tcp udp udp-unconnected; do
	ks_expect_eq "exec --via tunnel: $kind to the public address goes through the tunnel" corp \
		"$(ks_exec --via tunnel -- /usr/bin/python3 "$KS_TOP/tests/lib/idsrv.py" probe $kind $KS_PUBLIC_IP 2>&1)"
	ks_expect_eq "exec --via tunnel: $kind over IPv6 too" corp \
		"$(ks_exec --via tunnel -- /usr/bin/python3 "$KS_TOP/tests/lib/idsrv.py" probe $kind $KS_PUBLIC_IP6 2>&1)"
done
ks_expect_eq "meanwhile, outside it: still direct" decoy "$(probe tcp $KS_PUBLIC_IP)"
# A socket bound to the uplink skips the connect hook's steering: the uplink filter drops
# what a tunnel-only cgroup sends there (fail closed), and counts it.
ks_expect_eq "a socket bound to eth1 reaches the public address outside a policy" decoy \
	"$(probe tcp@eth1 $KS_PUBLIC_IP)"
ks_expect_eq "exec --via tunnel: a socket bound to eth1 does not leak" "ERR timed out" \
	"$(ks_exec -- /usr/bin/python3 "$KS_TOP/tests/lib/idsrv.py" probe tcp@eth1 $KS_PUBLIC_IP 2>&1)"
ks_expect "... the uplink filter counted it (egress_app_leak)" \
	test "$(ks_cli "$KS_BIN" status --json -i $IF | jq -r .split.stats.egress_app_leak)" -gt 0

# ping: counted where the decoy would see it
ks_in "$KS_NET" nft -f - <<EOF
table inet ksapps {
	chain input {
		type filter hook input priority 0;
		ip daddr $KS_PUBLIC_IP icmp type echo-request counter name decoy4
		ip6 daddr $KS_PUBLIC_IP6 icmpv6 type echo-request counter name decoy6
	}
	counter decoy4 { }
	counter decoy6 { }
}
EOF
decoy_pings() { ks_in "$KS_NET" nft list counter inet ksapps "decoy$1" | awk '/packets/ { print $2 }'; }
ks_expect "exec --via tunnel: ping the public address answers" \
	ks_exec -- ping -q -c 2 -i 0.2 -W 2 $KS_PUBLIC_IP
ks_expect "exec --via tunnel: ping6 answers" ks_exec -- ping -6 -q -c 2 -i 0.2 -W 2 $KS_PUBLIC_IP6
ks_expect_eq "... and no echo reached the decoys (they went through the tunnel)" "0 0" \
	"$(decoy_pings 4) $(decoy_pings 6)"
ks_cli ping -q -c 1 -W 2 $KS_PUBLIC_IP >/dev/null
ks_expect_eq "a plain ping does reach the decoy (the counter can count)" 1 "$(decoy_pings 4)"

# --- DNS follows the policy: a tunnel cgroup's queries go to the corporate DNS, whatever
# resolver they name, and the answers read as from that resolver (or dig would refuse them).
# www.public.example: the public resolver knows it, the corporate one refuses it.
ks_expect_eq "no policy: the public resolver answers www.public.example" "$KS_PUBLIC_IP" \
	"$(ks_cli dig +short +time=2 +tries=1 @198.18.2.53 www.public.example A)"
for q in "@198.18.2.53" "+tcp @198.18.2.53" "@fd00:2::53" "@127.0.0.1"; do
	out=$(ks_exec -- dig +time=2 +tries=1 $q www.public.example A 2>&1)
	ks_expect "exec --via tunnel: dig $q is answered by the corporate DNS (REFUSED)" \
		grep -q "status: REFUSED" <<<"$out" || echo "$out" | sed 's/^/#   /'
	ks_expect "... and the answer reads as from ${q#*@}" grep -qF "SERVER: ${q#*@}#53" <<<"$out"
done
for r in 198.18.2.53 fd00:2::53; do
	for kind in dns-from dns-peer; do
		ks_expect_eq "exec --via tunnel: the answer to a query for $r reads as from $r ($kind)" "$r" \
			"$(ks_exec -- /usr/bin/python3 "$KS_TOP/tests/lib/idsrv.py" probe $kind $r 2>&1)"
	done
done
# glibc takes an answer only from the server it asked (dig does not check): getent, with
# the namespace's resolv.conf, that names the public resolver (which would say a decoy).
printf 'nameserver fd00:2::53\noptions timeout:2 attempts:1\n' >"$KS_WORK/resolv6.conf"
for rc in "/etc/netns/$KS_CLI/resolv.conf" "$KS_WORK/resolv6.conf"; do
	got=$(ks_exec -- unshare -m sh -c 'mount --bind "$1" /etc/resolv.conf &&
		exec getent ahostsv4 jira.corp.example' _ "$rc" 2>&1 | awk 'NR == 1 { print $1 }')
	ks_expect_eq "exec --via tunnel: glibc resolves jira.corp.example by the corporate DNS ($(head -c 22 "$rc"))" \
		10.79.0.20 "$got"
done
ks_expect_eq "the corporate DNS saw those 8 queries" 8 \
	"$(grep -c 'query\[A\] www.public.example from' "$KS_WORK/dns-corp.log")"
ks_expect "status counts them (app_dns)" \
	test "$(ks_cli "$KS_BIN" status --json -i $IF | jq -r .split.stats.app_dns)" -ge 4

# --- --via direct: never through the tunnel, corporate blocked rather than leaked ---
ks_expect_eq "exec --via direct: the public address direct" decoy \
	"$(ks_exec --via direct -- /usr/bin/python3 "$KS_TOP/tests/lib/idsrv.py" probe tcp $KS_PUBLIC_IP 2>&1)"
for kind in tcp udp udp-unconnected; do
	ks_expect_eq "exec --via direct: $kind to corporate is refused" "ERR Operation not permitted" \
		"$(ks_exec --via direct -- /usr/bin/python3 "$KS_TOP/tests/lib/idsrv.py" probe $kind $KS_CORP_IP 2>&1)"
done
ks_expect_eq "exec --via direct: corporate IPv6 refused" "ERR Operation not permitted" \
	"$(ks_exec --via direct -- /usr/bin/python3 "$KS_TOP/tests/lib/idsrv.py" probe tcp $KS_CORP_IP6 2>&1)"
ks_exec --via direct -- ping -q -c 1 -W 1 $KS_CORP_IP >/dev/null 2>&1
ks_expect "exec --via direct: a corporate ping is not answered (exit $?)" test $? -ne 0
ks_expect "nothing reached a corporate decoy" bash -c "! grep -q ' $KS_CORP_IP' '$KS_WORK/decoy.log'"

# --- exec: the caller's user, the command's exit code, nothing left ---
out=$(SUDO_UID=65534 SUDO_GID=65534 ks_cli "$KS_BIN" --trust-env exec -i $IF -- id -u 2>&1)
ks_expect_eq "exec runs COMMAND as the user behind sudo" 65534 "$out"
ks_expect_eq "exec -u nobody: as that user" 65534 "$(ks_exec -u nobody -- id -u 2>&1)"
out=$(SUDO_UID=65534 SUDO_GID=65534 ks_cli "$KS_BIN" --trust-env exec -i $IF -u root -- id -u 2>&1)
ks_expect_eq "under sudo, -u another user is refused: exit 2" 2 "$?"
ks_expect "... saying why ($out)" grep -q "only root may run COMMAND as another user" <<<"$out"
ks_expect_eq "exec by root without sudo: as root" 0 "$(ks_exec -- id -u 2>&1)"
ks_expect_eq "exec -u nobody: HOME and USER are that user's" "nobody /nonexistent" \
	"$(ks_exec -u nobody -- sh -c 'echo $USER $HOME' 2>&1)"
# What COMMAND leaves running keeps the policy; a signal ends it, and the cleanup runs.
# (nsenter execs kslice: $! is its PID, not a subshell's)
nsenter --net=/run/netns/$KS_CLI "$KS_BIN" exec -i $IF -- sh -c 'sleep 60 >/dev/null 2>&1 & exit 0' \
	>"$KS_WORK/left.out" 2>&1 &
epid=$!
ks_expect "exec waits for what COMMAND left running" \
	ks_wait_for 5 grep -q "waiting for what it left" "$KS_WORK/left.out"
sleep 2
ticks=$(awk '{ print $14 + $15 }' "/proc/$epid/stat")
ks_expect "... without spinning (CPU ticks while waiting 2 s: $ticks)" test "$ticks" -lt 30
kill -TERM $epid
wait $epid
ks_expect_eq "a signal then ends the wait with COMMAND's exit code" 0 "$?"
epid=
ks_expect "... and what was left is killed" bash -c "! ls -d '$CG/kslice.exec/$IF.'* 2>/dev/null"
# Where systemd runs, COMMAND's cgroup is inside a transient scope unit of its own
# (systemd-run --scope; a stand-in here, tests/lib/fake-systemd-run).
sd() { KS_FAKE_SYSTEMD_LOG=$KS_WORK/systemd-run.log KSLICE_SYSTEMD_RUN=$KS_TOP/tests/lib/fake-systemd-run "$@"; }
out=$(sd ks_exec -- cat /proc/self/cgroup 2>&1)
ks_expect "exec where systemd runs: in a cgroup of its own inside a scope unit ($out)" \
	grep -qE "^0::/kslice-test.slice/kslice-exec-$IF-[0-9]+\.scope/$IF\.[0-9]+\$" <<<"$out"
ks_expect "... which it asked for with Delegate=yes" grep -q "^unit=kslice-exec-$IF-[0-9]*.scope delegate=yes" \
	"$KS_WORK/systemd-run.log"
ks_expect_eq "... the policy holds there: the public address through the tunnel" corp \
	"$(sd ks_exec -- /usr/bin/python3 "$KS_TOP/tests/lib/idsrv.py" probe tcp $KS_PUBLIC_IP 2>&1)"
ks_expect "... and COMMAND's cgroup went after it (the scope goes with systemd's collection)" \
	bash -c "[ -z \"\$(find '$CG/kslice-test.slice' -mindepth 2 -type d)\" ]"
ks_expect_eq "... --no-scope: under /kslice.exec all the same" "/kslice.exec/$IF" \
	"$(sd ks_exec --no-scope -- cat /proc/self/cgroup 2>&1 | sed -n 's|^0::\(/kslice.exec/[^.]*\)\..*|\1|p')"
ks_exec -- sh -c 'exit 3'
ks_expect_eq "exec ends with COMMAND's exit code" 3 "$?"
ks_exec -- /nonexistent/cmd 2>/dev/null
ks_expect_eq "exec of a missing command: 127" 127 "$?"
ks_expect "its cgroups are gone" bash -c "! ls -d '$CG/kslice.exec/$IF.'* 2>/dev/null"
out=$(ks_cli "$KS_BIN" app list -i $IF)
ks_expect_eq "and so are their policies (app list: exit and output)" "0:" "$?:$out"
ks_cli "$KS_BIN" exec -i ksnone0 -- true 2>/dev/null
ks_expect_eq "exec with no tunnel on that interface: exit 8" 8 "$?"

# --- kslice app: live policies on running cgroups ---
mkdir "$CG/$A" "$CG/$A/child" "$CG/$B"
ks_cli "$KS_BIN" app add --via tunnel -i $IF "/$A"
ks_expect_eq "app add --via tunnel /A: exit 0" 0 "$?"
ks_expect_eq "a process in A: public through the tunnel" corp "$(probe_in $A tcp $KS_PUBLIC_IP)"
ks_expect_eq "a process in A's child cgroup inherits it" corp "$(probe_in $A/child tcp $KS_PUBLIC_IP)"
ks_cli "$KS_BIN" app add --via split -i $IF "$A/child"
ks_expect_eq "--via split on the child: the usual decision again" decoy "$(probe_in $A/child tcp $KS_PUBLIC_IP)"
ks_cli "$KS_BIN" app add --via direct -i $IF "$B"
ks_expect_eq "B (by its name alone): direct" decoy "$(probe_in $B tcp $KS_PUBLIC_IP)"
ks_expect_eq "B: corporate refused" "ERR Operation not permitted" "$(probe_in $B tcp $KS_CORP_IP)"
moved=$(ks_cli bash -c 'py() { /usr/bin/python3 "$1" probe tcp "$2"; }
	echo $$ >"$1/cgroup.procs"; py "$3" "$4"; echo $$ >"$2/cgroup.procs"; py "$3" "$4"' _ \
	"$CG/$A" "$CG/$B" "$KS_TOP/tests/lib/idsrv.py" $KS_PUBLIC_IP 2>&1 | tr '\n' ' ')
ks_expect_eq "a process that moves from A to B follows B for its new connections" "corp decoy " "$moved"
ks_cli "$KS_BIN" app add --via direct -i $IF "/$A"
ks_expect_eq "A changed live to direct" decoy "$(probe_in $A tcp $KS_PUBLIC_IP)"
list=$(ks_cli "$KS_BIN" app list -i $IF)
ks_expect "app list: A direct with its hits" grep -qE "^app +/$A +direct +hits [1-9]" <<<"$list"
ks_expect "app list: the child's split" grep -qE "^app +/$A/child +split +hits" <<<"$list"
ks_expect_eq "route list shows the policies too" 3 "$(ks_cli "$KS_BIN" route list -i $IF | grep -c '^app ')"
ks_expect_eq "status --json: split.apps" "direct" \
	"$(ks_cli "$KS_BIN" status --json -i $IF | jq -r --arg p "/$A" '.split.apps[] | select(.cgroup == $p) | .via')"
ks_expect "the pinned map holds A's cgroup id for bpftool" \
	bash -c "bpftool map dump pinned '$KSLICE_PIN_ROOT/$IF/ks_app_policy' | grep -q '\"key\": $(stat -c %i "$CG/$A")'"
ks_cli "$KS_BIN" app del -i $IF "/$A"
ks_expect_eq "app del /A: exit 0" 0 "$?"
ks_expect_eq "A has no policy any more: public direct" decoy "$(probe_in $A tcp $KS_PUBLIC_IP)"
ks_expect_eq "... and corporate through the tunnel again" corp "$(probe_in $A tcp $KS_CORP_IP)"
rmdir "$CG/$B"
ks_expect "B is listed while it exists" grep -q "^app  */$B " <<<"$list"
ks_expect "a removed cgroup's policy goes by itself" \
	ks_wait_for 5 bash -c "out=\$('$KS_BIN' app list -i $IF) && ! grep -q '/$B ' <<<\"\$out\""

# --- refusals ---
out=$(ks_cli "$KS_BIN" app add -i $IF /no/such/cgroup 2>&1)
ks_expect_eq "app add of a cgroup that does not exist: exit 1" "1" "$?"
ks_expect "... saying so ($out)" grep -q "no such cgroup" <<<"$out"
out=$(ks_cli "$KS_BIN" app add -i $IF ../../etc 2>&1)
ks_expect "a path that climbs out of the hierarchy is refused ($out)" grep -q "not a path below" <<<"$out"
ks_cli "$KS_BIN" app add --via bogus -i $IF "/$A" 2>/dev/null
ks_expect_eq "--via bogus: usage (exit 2)" 2 "$?"
echo "$pid" >"$CG/$A/cgroup.procs"
out=$(ks_cli "$KS_BIN" app add -i $IF "/$A" 2>&1)
ks_expect "a policy on kslice's own cgroup is refused ($out)" grep -q "holds kslice itself" <<<"$out"
echo "$pid" >"$CG/cgroup.procs"
chmod 711 "$KS_WORK"
out=$(setpriv --reuid=nobody --regid=nogroup --clear-groups -- "$KS_BIN" --trust-env app add -i $IF "/$A" 2>&1)
ks_expect "another user cannot set a policy ($out)" grep -q "permission denied" <<<"$out"

ks_end_clean "apps" "$pid" $IF
cleanup_cgroups
ks_done
