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
	ks_cli "$KS_BIN" disconnect -i $IF
	ks_wait_gone "$pid"
	ks_expect_eq "clean exit" 0 "$KS_RC"
	# ocserv refuses a code it has already accepted: wait for the next 30 s step.
	sleep $((31 - $(date +%s) % 30))
done

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
