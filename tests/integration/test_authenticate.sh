#!/usr/bin/env bash
# kslice connect --authenticate (issue #15 §4): a login and nothing else, printed as
# openconnect --authenticate prints it (checked against Debian's openconnect 9.01 on the
# same ocserv: the same variables, in the same order, the same values but the cookie's),
# sourceable by a shell; its COOKIE brings a tunnel up with --cookie-on-stdin. Without
# root it works too (no privilege to drop: no TUN, no BPF, no control socket). A failed
# login prints nothing on stdout and ends with exit 4; nothing is left behind.
set -u
source "$(dirname "$0")/../lib/netns.sh"
ks_test_setup
IF=ksa0

ks_answers alicepass
nsenter --net=/run/netns/$KS_CLI openconnect --protocol=anyconnect --authenticate -u alice \
	--passwd-on-stdin --non-inter --servercert "$PIN" $KS_GW_IP \
	<"$KS_WORK/answers" >"$KS_WORK/oc.out" 2>"$KS_WORK/oc.err"
ks_expect_eq "openconnect --authenticate: exit 0" 0 $?
nsenter --net=/run/netns/$KS_CLI "$KS_BIN" connect --authenticate -u alice --passwd-on-stdin \
	--servercert "$PIN" -i $IF $KS_GW_IP <"$KS_WORK/answers" >"$KS_WORK/ks.out" 2>"$KS_WORK/ks.err"
ks_expect_eq "kslice --authenticate: exit 0" 0 $?
names() { sed -n 's/^\([A-Z_]*\)=.*/\1/p' "$1" | tr '\n' ' '; }
ks_expect_eq "the same variables in the same order" "$(names "$KS_WORK/oc.out")" "$(names "$KS_WORK/ks.out")"
for v in HOST CONNECT_URL FINGERPRINT RESOLVE; do
	ks_expect_eq "$v as openconnect's" "$(grep "^$v=" "$KS_WORK/oc.out")" "$(grep "^$v=" "$KS_WORK/ks.out")"
done
ks_expect "nothing but the assignments on stdout" \
	bash -c "! grep -qv '^[A-Z_]*=' '$KS_WORK/ks.out'"
ks_expect "no interface was made" bash -c "! nsenter --net=/run/netns/$KS_CLI ip link show $IF 2>/dev/null"
ks_expect "nothing left" ks_nothing_left $IF

# The output sourced by a shell; its COOKIE brings a tunnel up, as openconnect's does.
COOKIE=$(bash -c "source '$KS_WORK/ks.out' && printf '%s' \"\$COOKIE\"")
ks_expect "COOKIE is webvpn=... ($(cut -c1-20 <<<"$COOKIE")...)" grep -q '^webvpn=..' <<<"$COOKIE"
for who in ks oc; do
	printf '%s\n' "$(bash -c "source '$KS_WORK/$who.out' && printf '%s' \"\$COOKIE\"")" > "$KS_WORK/answers"
	ks_kslice_bg "$KS_WORK/cookie-$who.log" --cookie-on-stdin --servercert "$PIN" -i $IF $KS_GW_IP
	PID=$KS_PID
	ks_expect "$who's COOKIE: kslice --cookie-on-stdin is up" ks_wait_tunnel $IF "$PID" ||
		sed 's/^/#   /' "$KS_WORK/cookie-$who.log"
	ks_expect "$who's COOKIE: corp answers" ks_corp_ping_within $IF 5 >/dev/null
	ks_end_clean "cookie-$who" "$PID" $IF
done

# Without root: the login runs in the caller's process, with plain sockets.
ks_answers alicepass
chmod 755 "$KS_WORK"
nsenter --net=/run/netns/$KS_CLI setpriv --reuid=65534 --regid=65534 --clear-groups \
	"$KS_BIN" connect --authenticate -u alice --passwd-on-stdin --servercert "$PIN" $KS_GW_IP \
	<"$KS_WORK/answers" >"$KS_WORK/nobody.out" 2>"$KS_WORK/nobody.err"
ks_expect_eq "as nobody: exit 0" 0 $?
ks_expect "as nobody: a cookie" grep -q "^COOKIE='webvpn=" "$KS_WORK/nobody.out" ||
	sed 's/^/#   /' "$KS_WORK/nobody.err"

# A failed login: exit 4, stdout empty.
ks_answers wrongpass
nsenter --net=/run/netns/$KS_CLI "$KS_BIN" connect --authenticate -u alice --passwd-on-stdin \
	--servercert "$PIN" $KS_GW_IP <"$KS_WORK/answers" >"$KS_WORK/bad.out" 2>"$KS_WORK/bad.err"
ks_expect_eq "wrong password: exit 4" 4 $?
ks_expect "wrong password: nothing on stdout" test ! -s "$KS_WORK/bad.out"
ks_expect "wrong password: says so" grep -q 'login failed' "$KS_WORK/bad.err"
ks_expect_eq "--authenticate with --background: usage" 2 \
	"$("$KS_BIN" connect --authenticate -b $KS_GW_IP </dev/null >/dev/null 2>&1; echo $?)"

ks_done
