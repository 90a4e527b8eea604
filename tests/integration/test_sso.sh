#!/usr/bin/env bash
# SAML single sign-on (issue #15 §2), against the ASA's flow as tests/lib/saml_asa.py plays
# it (behind tests/lib/hostile_gw.py's CONNECT and CSTP), with a real headless Chromium
# (tests/lib/browser.sh) following the redirects through a tiny identity provider:
# - the test gateway is first checked with Debian's openconnect 9.01 --external-browser;
# - kslice --external-browser: the init announces single-sign-on-v2 and the external
#   browser, sends both STRAP keys; the browser runs as a user who is not root; the token
#   comes back encrypted to the 127.0.0.1/[::1]:29786 listener, which closes at once; the
#   CONNECT proves the STRAP key (X-AnyConnect-STRAP-Verify checked by the gateway); the
#   tunnel comes up;
# - --sso-token-on-stdin: the address the browser ended at, or the token itself, pasted;
# - a browser that never comes back: a clear message within --sso-timeout, exit 4; a
#   forged or stray request to the listener is refused and the wait goes on.
set -u
source "$(dirname "$0")/../lib/netns.sh"
ks_test_setup
IF=kss0
BR=$KS_WORK/br
mkdir -p "$BR" && chmod 777 "$BR"
export KS_BROWSER_DIR=$BR
BROWSER=$KS_TOP/tests/lib/browser.sh
gw() { # NAME SCENARIO PORT
	ks_scripted_gw "$KS_WORK/$1" "$2" "$3" || ks_not_ok "$1: test gateway started"
	REC=$KS_WORK/$1/rec.json
}
rec() { jq -r "$1" "$REC"; }
browser_gone() { # the test's own Chromium, by the PID its wrapper wrote
	local p
	p=$(cat "$BR/pid" 2>/dev/null) && kill "$p" 2>/dev/null
	rm -f "$BR/pid" "$BR/uid"
	return 0
}
listening() { ks_in "$KS_CLI" ss -ltnH "sport = :29786" | grep -q .; }
not_listening() { ! listening; }

# --- the test gateway, checked with openconnect ---------------------------------------
gw oc saml-external 8443
timeout 90 nsenter --net=/run/netns/$KS_CLI openconnect --protocol=anyconnect --authenticate \
	--non-inter --external-browser="$BROWSER" --servercert "$PIN" $KS_GW_IP:8443 \
	</dev/null >"$KS_WORK/oc.out" 2>"$KS_WORK/oc.err"
ks_expect_eq "openconnect 9.01 --external-browser logs in through the test gateway" 0 $?
ks_expect "openconnect: a session cookie" grep -q "webvpn=HOSTILE" "$KS_WORK/oc.out"
ks_expect_eq "openconnect: its token came back through localhost:29786" true "$(rec .token_sent_to_localhost)"
ks_expect_eq "openconnect: the gateway took its token" true "$(rec .sso_token_ok)"
browser_gone

# --- kslice with the external browser --------------------------------------------------
gw ext saml-external 8444
ks_answers ""
ks_kslice_bg "$KS_WORK/ext.log" --external-browser="$BROWSER" --servercert "$PIN" -i $IF \
	$KS_GW_IP:8444
PID=$KS_PID
if ks_expect "ext: up" ks_wait_tunnel $IF "$PID"; then
	ks_expect_eq "ext: the init announced single-sign-on-v2 and the external browser" \
		'["single-sign-on-v2","single-sign-on-external-browser"]' "$(jq -c .init_auth_methods "$REC")"
	ks_expect_eq "ext: with both STRAP keys" true "$(rec .strap_headers)"
	ks_expect_eq "ext: Chromium went through the identity provider" true "$(rec .idp_login_ok)"
	ks_expect_eq "ext: the token went back through localhost:29786" true "$(rec .token_sent_to_localhost)"
	ks_expect_eq "ext: the browser was sent on to the final page (302 from the listener)" true "$(rec .final_page)"
	ks_expect_eq "ext: the gateway took the token kslice decrypted" true "$(rec .sso_token_ok)"
	ks_expect_eq "ext: the answer carried the gateway's <opaque>" true "$(rec .reply_has_opaque)"
	ks_expect_eq "ext: the CONNECT proved the STRAP key (X-AnyConnect-STRAP-Verify)" ok "$(rec .strap_verify)"
	ks_expect "ext: the browser did not run as root (uid $(cat "$BR/uid" 2>/dev/null))" \
		bash -c "[ -s '$BR/uid' ] && [ \"\$(cat '$BR/uid')\" != 0 ]"
	ks_expect "ext: the listener is closed once the token came" not_listening
fi
ks_end_clean ext "$PID" $IF
for t in $(jq -r '.tokens_issued[]' "$REC"); do
	ks_expect "ext: the token is not in kslice's output" bash -c "! grep -q '$t' '$KS_WORK/ext.log'"
done
browser_gone

# Under sudo the browser is the user's who ran it (SUDO_UID), not the worker's user.
gw sudo saml-external 8448
SUDO_UID=4242 SUDO_GID=4242 nsenter --net=/run/netns/$KS_CLI "$KS_BIN" --trust-env connect \
	--external-browser="$BROWSER" --servercert "$PIN" -i $IF $KS_GW_IP:8448 \
	</dev/null >"$KS_WORK/sudo.log" 2>&1 &
PID=$!
KS_PIDS+=($PID)
ks_expect "sudo: up" ks_wait_tunnel $IF "$PID" || sed 's/^/#   /' "$KS_WORK/sudo.log"
ks_expect_eq "sudo: the browser ran as SUDO_UID" 4242 "$(cat "$BR/uid" 2>/dev/null)"
ks_end_clean sudo "$PID" $IF
browser_gone

# --- the token on stdin ------------------------------------------------------------------
# What a person on a headless machine does: log in in a browser elsewhere, paste the address
# it ended at (saml-external) or the token cookie (saml-embedded). curl plays that browser.
walk() { # PORT LOGIN-URL: the ACS's answer headers after the IdP's form, as a browser posts
	local j=$KS_WORK/jar.$1 rs
	rs=$(ks_in "$KS_CLI" curl -sk -c "$j" -b "$j" -o /dev/null -w '%{redirect_url}' "$2" |
		sed -n 's/.*RelayState=\([^&]*\).*/\1/p')
	ks_in "$KS_CLI" curl -sk -c "$j" -b "$j" -o /dev/null -D - \
		--data "SAMLResponse=x&RelayState=$rs" \
		"https://$KS_GW_IP:$1/+CSCOE+/saml/sp/acs?tgname=KSLICE"
}
paste_flow() { # NAME SCENARIO PORT WHAT(address|cookie)
	local n=$1 fifo=$KS_WORK/$1.in url hdr
	gw "$n" "$2" "$3"
	mkfifo "$fifo"
	nsenter --net=/run/netns/$KS_CLI "$KS_BIN" connect --authenticate --sso-token-on-stdin \
		--servercert "$PIN" $KS_GW_IP:$3 <"$fifo" >"$KS_WORK/$n.out" 2>"$KS_WORK/$n.err" &
	local pid=$!
	KS_PIDS+=($pid)
	exec 7>"$fifo"
	ks_wait_for 20 grep -q "https://.*/saml/sp/login" "$KS_WORK/$n.err"
	url=$(grep -o 'https://[^ ]*/saml/sp/login[^ ]*' "$KS_WORK/$n.err" | head -1)
	ks_expect "$n: kslice printed the login address" test -n "$url"
	hdr=$(walk "$3" "$url")
	if [ "$4" = address ]; then
		sed -n 's/^[Ll]ocation: \(http:\/\/localhost:29786\/[^\r]*\).*/\1/p' <<<"$hdr" >&7
	else
		sed -n 's/^[Ss]et-[Cc]ookie: acSamlv2Token=\([A-Za-z0-9]*\).*/\1/p' <<<"$hdr" >&7
	fi
	exec 7>&-
	wait "$pid"
	ks_expect_eq "$n: exit 0" 0 $?
	ks_expect "$n: a session cookie printed" grep -q "^COOKIE='webvpn=HOSTILE" "$KS_WORK/$n.out" ||
		sed 's/^/#   /' "$KS_WORK/$n.err"
	ks_expect_eq "$n: the gateway took the token" true "$(rec .sso_token_ok)"
}
paste_flow paste-address saml-external 8445 address
paste_flow paste-token saml-embedded 8446 cookie

# --- a browser that never comes back; stray and forged requests ---------------------------
gw late saml-external 8447
ks_answers ""
nsenter --net=/run/netns/$KS_CLI "$KS_BIN" connect --authenticate --external-browser=/bin/true \
	--sso-timeout 10 --servercert "$PIN" $KS_GW_IP:8447 </dev/null >"$KS_WORK/late.out" \
	2>"$KS_WORK/late.err" &
LPID=$!
KS_PIDS+=($LPID)
ks_expect "late: the listener is up" ks_wait_for 10 listening
ks_expect_eq "late: it listens on the loopback only (127.0.0.1 and ::1)" "127.0.0.1:29786 [::1]:29786" \
	"$(ks_in "$KS_CLI" ss -ltnH "sport = :29786" | awk '{print $4}' | sort | tr '\n' ' ' | sed 's/ $//')"
ks_expect_eq "late: another path gets 404" 404 \
	"$(ks_in "$KS_CLI" curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:29786/favicon.ico)"
ks_expect_eq "late: a forged token gets 400, over IPv6 too" 400 \
	"$(ks_in "$KS_CLI" curl -s -o /dev/null -w '%{http_code}' 'http://[::1]:29786/api/sso/AAEAAQAA')"
wait "$LPID"
ks_expect_eq "late: exit 4 after --sso-timeout" 4 $?
ks_expect "late: says the browser did not come back" grep -q 'did not come back within 10 s' "$KS_WORK/late.err"
ks_expect "late: the forged request was logged as refused" grep -q 'event=sso_listener_refused' "$KS_WORK/late.err"
ks_expect "late: nothing on stdout" test ! -s "$KS_WORK/late.out"
ks_expect "late: the listener is closed" not_listening
ks_kslice_fg "$KS_WORK/none.log" --servercert "$PIN" -i $IF --non-inter $KS_GW_IP:8447
ks_expect_eq "no SSO option, no terminal: exit 4" 4 $?
ks_expect "no SSO option: says which to give" grep -q 'external-browser or --sso-token-on-stdin' "$KS_WORK/none.log"

ks_done
