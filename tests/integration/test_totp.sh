#!/usr/bin/env bash
# Password + one-time code: the code is computed locally from --token-secret.
set -u
source "$(dirname "$0")/../lib/netns.sh"
ks_test_setup otp
IF=kso0

ks_answers bobpass
for secret in "base32:$KS_OTP_B32" "otpauth://totp/corp:bob?secret=$KS_OTP_B32&issuer=corp"; do
	ks_kslice_bg "$KS_WORK/bob.log" -u bob --passwd-on-stdin --token-mode totp \
		--token-secret "$secret" --servercert "$PIN" -i $IF $KS_GW_IP
	pid=$KS_PID
	ks_expect "password + TOTP (${secret:0:12}...) brings $IF up" ks_wait_tunnel $IF "$pid"
	ks_expect "the gateway asked for the OTP and got it" grep -q 'OTP' "$KS_WORK/bob.log"
	ks_expect "ping through the tunnel" ks_in "$KS_CLI" ping -c 1 -W 2 -I $IF $KS_CORP_IP
	# What another user can read of either process: no secret.
	for p in $pid $(cat /proc/$pid/task/*/children 2>/dev/null); do
		ks_expect "pid $p: no TOTP secret in /proc/PID/cmdline (as nobody)" bash -c \
			"! setpriv --reuid=nobody --regid=nogroup --clear-groups -- cat /proc/$p/cmdline | tr '\\0' ' ' | grep -q '$KS_OTP_B32'"
		ks_expect "pid $p: /proc/PID/environ not readable by another user" bash -c \
			"! setpriv --reuid=nobody --regid=nogroup --clear-groups -- cat /proc/$p/environ >/dev/null 2>&1"
		ks_expect "pid $p: not dumpable (no core, no ptrace by others)" bash -c \
			"grep -q '^Uid:' /proc/$p/status && ! setpriv --reuid=nobody --regid=nogroup --clear-groups -- cat /proc/$p/maps >/dev/null 2>&1"
	done
	ks_cli "$KS_BIN" disconnect -i $IF
	ks_wait_gone "$pid"
	ks_expect_eq "clean exit" 0 "$KS_RC"
	# ocserv refuses a code it has already accepted: wait for the next 30 s step.
	sleep $((31 - $(date +%s) % 30))
done

# The secret from the environment: wiped from /proc/PID/environ once read.
KS_TEST_TOTP="base32:$KS_OTP_B32" ks_kslice_bg "$KS_WORK/env.log" -u bob --passwd-on-stdin \
	--token-secret env:KS_TEST_TOTP --servercert "$PIN" -i $IF $KS_GW_IP
pid=$KS_PID
ks_expect "secret read from env:VAR" ks_wait_tunnel $IF "$pid"
ks_expect "env:VAR: the value is gone from the daemon's environment" bash -c \
	"! tr '\\0' '\\n' < /proc/$pid/environ | grep -q '$KS_OTP_B32'"
kill -INT "$pid"
ks_wait_gone "$pid"
ks_expect_eq "env:VAR: clean exit" 0 "$KS_RC"
sleep $((31 - $(date +%s) % 30))

echo "base32:$KS_OTP_B32" > "$KS_WORK/secret"
chmod 600 "$KS_WORK/secret"
ks_kslice_bg "$KS_WORK/file.log" -u bob --passwd-on-stdin --token-secret "@$KS_WORK/secret" \
	--servercert "$PIN" -i $IF $KS_GW_IP
pid=$KS_PID
ks_expect "secret read from @FILE" ks_wait_tunnel $IF "$pid"
kill -INT "$pid"
ks_wait_gone "$pid"
ks_expect_eq "SIGINT: clean exit" 0 "$KS_RC"
ks_expect "nothing left" ks_nothing_left $IF

ks_kslice_fg "$KS_WORK/badotp.log" -u bob --passwd-on-stdin \
	--token-secret base32:JBSWY3DPEHPK3PXP --servercert "$PIN" -i $IF $KS_GW_IP
ks_expect_eq "wrong TOTP key: exit code 4" 4 "$?"
ks_expect "wrong TOTP key: login failed logged" grep -q 'event=login_failed user="bob"' "$KS_WORK/badotp.log"
ks_expect "nothing left" ks_nothing_left $IF
ks_done
