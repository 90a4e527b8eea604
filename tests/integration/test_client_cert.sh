#!/usr/bin/env bash
# Client certificates (issue #15 §1) against ocserv with auth = "certificate" (its CA, the
# CN as user name, a CRL), then certificate plus password: PEM (certificate and key in one
# file), PKCS#12 with its password on stdin, RSA with an encrypted key apart (--key-password
# @FILE), a SoftHSM2 token (pkcs11: URIs, PIN). Refused, each with a clear error and exit 4:
# a key that does not match, a wrong password, an expired and a revoked certificate, none at
# all, a token that is not there. The key stays with the monitor: the worker asks it for
# one signature per connection, and a reconnect presents the certificate again.
set -u
source "$(dirname "$0")/../lib/netns.sh"
C=$KS_WORK/cca
IF=ksc0

# The client CA (openssl ca: it can backdate a certificate and revoke one), and its users.
client_pki() {
	mkdir -p "$C/new" && : > "$C/index.txt" && echo 1000 > "$C/serial" && echo 1000 > "$C/crlnumber"
	cat > "$C/ca.cnf" <<-EOF
	[ ca ]
	default_ca = kc
	[ kc ]
	dir = $C
	database = $C/index.txt
	new_certs_dir = $C/new
	certificate = $C/ca.pem
	private_key = $C/ca.key
	serial = $C/serial
	crlnumber = $C/crlnumber
	default_md = sha256
	default_days = 2
	default_crl_days = 2
	policy = pol
	unique_subject = no
	[ pol ]
	commonName = supplied
	[ usr ]
	extendedKeyUsage = clientAuth
	EOF
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
		-subj "/CN=kslice client CA" -keyout "$C/ca.key" -out "$C/ca.pem" 2>/dev/null || return 1
	issue alice ec "" && issue alice-rsa rsa "" && issue old ec "-startdate 20200101000000Z -enddate 20200201000000Z" &&
		issue revoked ec "" && issue stranger ec "" || return 1
	openssl ca -batch -config "$C/ca.cnf" -revoke "$C/revoked.pem" 2>/dev/null &&
		openssl ca -batch -config "$C/ca.cnf" -gencrl -out "$C/crl.pem" 2>/dev/null || return 1
	# alice's certificate and key in one PEM file; PKCS#12; the RSA key apart, encrypted.
	cat "$C/alice.pem" "$C/alice.key" > "$C/alice-both.pem"
	openssl pkcs12 -export -in "$C/alice.pem" -inkey "$C/alice.key" -passout pass:p12pass \
		-out "$C/alice.p12" 2>/dev/null || return 1
	openssl pkey -in "$C/alice-rsa.key" -aes-256-cbc -passout pass:rsapass \
		-out "$C/alice-rsa.enc.key" 2>/dev/null || return 1
	printf 'rsapass\n' > "$C/rsapass" && chmod 600 "$C/rsapass"
	cat "$C/old.pem" "$C/old.key" > "$C/old-both.pem"
	# An intermediate CA under the client CA, and alice's certificate under it: ocserv
	# knows only the root, so the intermediate must go in the handshake (PEM with chain).
	printf 'basicConstraints=critical,CA:true\nkeyUsage=critical,keyCertSign,cRLSign\n' \
		> "$C/inter.ext"
	printf 'extendedKeyUsage=clientAuth\n' > "$C/leaf.ext"
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=kslice intermediate" \
		-keyout "$C/inter.key" -out "$C/inter.csr" 2>/dev/null &&
		openssl x509 -req -in "$C/inter.csr" -CA "$C/ca.pem" -CAkey "$C/ca.key" -CAcreateserial \
			-days 2 -extfile "$C/inter.ext" -out "$C/inter.pem" 2>/dev/null &&
		openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=alice" \
			-keyout "$C/leaf.key" -out "$C/leaf.csr" 2>/dev/null &&
		openssl x509 -req -in "$C/leaf.csr" -CA "$C/inter.pem" -CAkey "$C/inter.key" \
			-CAcreateserial -days 2 -extfile "$C/leaf.ext" -out "$C/leaf.pem" 2>/dev/null || return 1
	cat "$C/leaf.pem" "$C/inter.pem" "$C/leaf.key" > "$C/leaf-chain.pem"
	cat "$C/leaf.pem" "$C/leaf.key" > "$C/leaf-alone.pem"
	cat "$C/revoked.pem" "$C/revoked.key" > "$C/revoked-both.pem"
}
issue() { # NAME ec|rsa "openssl ca options": NAME.key, NAME.pem with CN=alice
	local alg="-newkey ec -pkeyopt ec_paramgen_curve:P-256"
	[ "$2" = rsa ] && alg="-newkey rsa:2048"
	# shellcheck disable=SC2086
	openssl req $alg -nodes -subj "/CN=alice" -keyout "$C/$1.key" -out "$C/$1.csr" 2>/dev/null &&
		openssl ca -batch -config "$C/ca.cnf" -extensions usr -notext $3 -in "$C/$1.csr" \
			-out "$C/$1.pem" 2>/dev/null
}

# A SoftHSM2 token of the test's own, holding alice's key and certificate.
token() {
	export SOFTHSM2_CONF=$KS_WORK/softhsm2.conf
	mkdir -p "$KS_WORK/tokens"
	printf 'directories.tokendir = %s\nobjectstore.backend = file\nlog.level = ERROR\n' \
		"$KS_WORK/tokens" > "$SOFTHSM2_CONF"
	softhsm2-util --init-token --free --label ks-token --so-pin 12345678 --pin 4321 >/dev/null &&
		softhsm2-util --import "$C/alice.key" --token ks-token --label alice --id 01 \
			--pin 4321 >/dev/null &&
		GNUTLS_PIN=4321 p11tool --provider /usr/lib/softhsm/libsofthsm2.so --login --write \
			--load-certificate "$C/alice.pem" --label alice --id 01 \
			"pkcs11:token=ks-token" >/dev/null 2>&1
}

ks_require_root
trap ks_teardown EXIT
KS_OCSERV_SET="auth = \"certificate\"
ca-cert = $C/ca.pem
crl = $C/crl.pem
cert-user-oid = 2.5.4.3
cisco-client-compat = true"
ks_topology && ks_pki && client_pki && ks_ocserv_start || { echo "setup failed"; exit 1; }
PIN=pin-sha256:$(ks_pubkey_pin)
json() { ks_cli "$KS_BIN" status -i $IF --json; }

up() { # NAME ARGS...: kslice up with a client certificate, stdin from ks_answers
	local n=$1; shift
	ks_kslice_bg "$KS_WORK/$n.log" --servercert "$PIN" -i $IF "$@" $KS_GW_IP
	PID=$KS_PID
	if ! ks_expect "$n: up" ks_wait_tunnel $IF "$PID"; then
		cat "$KS_WORK/$n.log"
		return 1
	fi
	ks_expect "$n: corp answers through the tunnel" ks_corp_ping_within $IF 5 >/dev/null
	STATUS=$(json)
	ks_expect "$n: status names the client certificate ($(jq -r .client_cert.subject <<<"$STATUS"))" \
		grep -q 'CN *= *alice' <<<"$(jq -r .client_cert.subject <<<"$STATUS")"
	ks_expect "$n: ocserv took alice by her certificate" \
		grep -q '"Username": *"alice"' <<<"$(ks_occtl -j show user alice 2>&1)"
}
refused() { # NAME WANT-IN-MESSAGE ARGS...: exit 4, and the message says why
	local n=$1 want=$2 rc; shift 2
	ks_kslice_fg "$KS_WORK/$n.log" --servercert "$PIN" -i $IF "$@" $KS_GW_IP
	rc=$?
	ks_expect_eq "$n: exit code of a failed login" 4 "$rc"
	ks_expect "$n: says '$want'" grep -q "$want" "$KS_WORK/$n.log" ||
		sed 's/^/#   /' "$KS_WORK/$n.log"
	ks_expect "$n: nothing left" ks_nothing_left $IF
}

# --- certificate alone ------------------------------------------------------------------
ks_answers ""
up pem -c "$C/alice-both.pem"
ks_expect "pem: the certificate expires within 2 days: warned at connect" \
	grep -q 'warning: the client certificate.*expires in [12] day' "$KS_WORK/pem.log"
# One signature per TLS connection: the login's and the CONNECT's.
ks_expect_eq "pem: the monitor signed two handshakes" 2 "$(jq -r .client_cert.signatures <<<"$STATUS")"
ks_expect "pem: days_left in status ($(jq -r .client_cert.days_left <<<"$STATUS"))" \
	test "$(jq -r .client_cert.days_left <<<"$STATUS")" -le 2
ks_expect "pem: status text shows it" grep -q '^client: .*alice.*expires' <<<"$(ks_cli "$KS_BIN" status -i $IF)"
# The worker's TCP connection cut: it reconnects, and the new connection presents the
# certificate again (ocserv asks on every handshake): a second signature.
ks_in "$KS_CLI" ss -K dst $KS_GW_IP dport = 443 >/dev/null 2>&1
ks_expect "pem: back after the connection was cut" ks_wait_for 20 \
	bash -c "[ \"\$(nsenter --net=/run/netns/$KS_CLI $KS_BIN status -i $IF --json | jq -r .reconnects)\" -ge 1 ]"
ks_expect "pem: corp answers after the reconnect" ks_corp_ping_within $IF 10 >/dev/null
ks_expect_eq "pem: the reconnect signed again" 3 "$(json | jq -r .client_cert.signatures)"
ks_end_clean pem "$PID" $IF

# --authenticate with the certificate: the unprivileged worker logs in, the monitor signs.
nsenter --net=/run/netns/$KS_CLI "$KS_BIN" connect --authenticate -c "$C/alice-both.pem" \
	--servercert "$PIN" $KS_GW_IP </dev/null >"$KS_WORK/auth.out" 2>"$KS_WORK/auth.err"
ks_expect_eq "authenticate: exit 0" 0 $?
ks_expect "authenticate: a cookie for alice's certificate" grep -q "^COOKIE='webvpn=" "$KS_WORK/auth.out" ||
	sed 's/^/#   /' "$KS_WORK/auth.err"

ks_answers p12pass
up p12 -c "$C/alice.p12" --key-password-on-stdin --cert-expire-warning 0
ks_expect "p12: no warning with --cert-expire-warning 0" \
	bash -c "! grep -q 'warning: the client certificate' '$KS_WORK/p12.log'"
ks_end_clean p12 "$PID" $IF

ks_answers ""
up rsa -c "$C/alice-rsa.pem" -k "$C/alice-rsa.enc.key" --key-password "@$C/rsapass"
ks_end_clean rsa "$PID" $IF

# PEM with its chain: the intermediate goes along (PS_CERT carries it to the worker).
up chain -c "$C/leaf-chain.pem"
ks_end_clean chain "$PID" $IF

if token; then
	ks_answers ""
	up token -c "pkcs11:token=ks-token;object=alice;type=cert" \
		-k "pkcs11:token=ks-token;object=alice;type=private" --key-password 4321
	ks_end_clean token "$PID" $IF
	refused token-absent "token absent" -c "$C/alice.pem" \
		-k "pkcs11:token=no-such-token;object=alice;type=private" --key-password 4321
	refused token-pin "wrong PIN" -c "$C/alice.pem" \
		-k "pkcs11:token=ks-token;object=alice;type=private" --key-password 9999
else
	ks_not_ok "token: SoftHSM2 token set up (softhsm2-util, p11tool)"
fi

ks_answers ""
refused wrong-key "does not match" -c "$C/alice.pem" -k "$C/stranger.key"
refused wrong-pass "wrong password" -c "$C/alice-rsa.pem" -k "$C/alice-rsa.enc.key" --key-password nope
refused no-pass "no password was given" -c "$C/alice-rsa.pem" -k "$C/alice-rsa.enc.key" --non-inter
refused no-chain "refused the client certificate" -c "$C/leaf-alone.pem"
refused expired "expired" -c "$C/old-both.pem"
ks_expect "expired: warned before trying" grep -q 'warning: the client certificate.*expired' "$KS_WORK/expired.log"
refused revoked "refused the client certificate" -c "$C/revoked-both.pem"
# The revoked certificate is alice's twin (same CA, same dates, same CN): the CRL is why.
refused none "wants a client certificate" -u alice
cat "$KS_WORK/server.pem" "$KS_WORK/server.key" > "$C/untrusted.pem"
refused untrusted "refused the client certificate" -c "$C/untrusted.pem"
ks_expect "no key file, no connection: a missing file is named" bash -c \
	"nsenter --net=/run/netns/$KS_CLI $KS_BIN connect -c /nonexistent.pem -i $IF $KS_GW_IP </dev/null 2>&1 | grep -q 'cannot open /nonexistent.pem'"

# --- the ASA's <client-cert-request/> (tests/lib/hostile_gw.py cert-request) ------------
# The first connection's handshake asks for no certificate; the answer to the init asks in
# XML. kslice logs in again on a new connection, whose handshake presents alice's; without
# a certificate it says so (<client-cert-fail/>) and the gateway's form takes a password.
asa() { # NAME PORT ARGS...
	local n=$1 port=$2; shift 2
	ks_scripted_gw "$KS_WORK/$n" cert-request $port --client-ca "$C/ca.pem" || ks_not_ok "$n: gateway"
	ks_answers alicepass
	ks_kslice_bg "$KS_WORK/$n.log" -u alice --passwd-on-stdin --servercert "$PIN" -i $IF "$@" \
		$KS_GW_IP:$port
	PID=$KS_PID
	ks_expect "$n: up" ks_wait_tunnel $IF "$PID" || cat "$KS_WORK/$n.log"
	REC=$KS_WORK/$n/rec.json
	ks_expect_eq "$n: the gateway asked once" 1 "$(jq -r .cert_requests "$REC")"
	ks_end_clean "$n" "$PID" $IF
}
asa asa-cert 8443 -c "$C/alice-both.pem"
ks_expect_eq "asa-cert: the new connection presented alice's certificate" alice "$(jq -r .client_cert_cn "$REC")"
ks_expect "asa-cert: kslice logged the request" grep -q 'event=client_cert_request .*have_cert=yes' "$KS_WORK/asa-cert.log"
asa asa-none 8444
ks_expect_eq "asa-none: kslice said it has none (<client-cert-fail/>)" true "$(jq -r .cert_fail "$REC")"
ks_expect_eq "asa-none: and presented none" null "$(jq -r .client_cert_cn "$REC")"

# A gateway that fails the pin check gets no certificate and no signature, even when its
# handshake asks: the certificate goes out only after the gateway's passed (exit 3).
ks_scripted_gw "$KS_WORK/wrongpin" cert-request 8445 --client-ca "$C/ca.pem" --ask-first ||
	ks_not_ok "wrongpin: gateway"
ks_answers alicepass
ks_kslice_fg "$KS_WORK/wrongpin.log" -u alice --passwd-on-stdin -c "$C/alice-both.pem" \
	--servercert sha256:0000000000000000000000000000000000000000000000000000000000000000 \
	-i $IF $KS_GW_IP:8445
ks_expect_eq "wrong pin: exit 3" 3 $?
ks_expect_eq "wrong pin: the gateway got no client certificate" null \
	"$(jq -r .handshake_certs "$KS_WORK/wrongpin/rec.json")"
ks_scripted_gw "$KS_WORK/rightpin" cert-request 8446 --client-ca "$C/ca.pem" --ask-first ||
	ks_not_ok "rightpin: gateway"
ks_kslice_bg "$KS_WORK/rightpin.log" -u alice --passwd-on-stdin -c "$C/alice-both.pem" \
	--servercert "$PIN" -i $IF $KS_GW_IP:8446
PID=$KS_PID
ks_expect "right pin: up" ks_wait_tunnel $IF "$PID"
ks_expect "right pin (the control): the gateway got it in the handshake" \
	test "$(jq -r .handshake_certs "$KS_WORK/rightpin/rec.json")" -ge 1
ks_end_clean rightpin "$PID" $IF

# --- certificate and password (two auth lines: both are needed) --------------------------
KS_OCSERV_SET="$KS_OCSERV_SET
auth = \"plain[passwd=$KS_WORK/ocpasswd]\""
ks_ocserv_restart || ks_not_ok "ocserv with certificate and password"
ks_answers alicepass
up both -u alice --passwd-on-stdin -c "$C/alice-both.pem"
ks_end_clean both "$PID" $IF
ks_answers wrongpass
refused both-wrong-pass "login failed" -u alice --passwd-on-stdin -c "$C/alice-both.pem"
ks_answers alicepass
refused both-no-cert "certificate" -u alice --passwd-on-stdin

ks_done
