#!/usr/bin/env bash
# A hostile gateway: tests/lib/hostile_gw.py (no ocserv) brings kslice to each phase (TCP,
# TLS, login, CONNECT, tunnel up) and attacks it there, one scenario per gateway process.
# Each scenario asserts kslice's exit code (README table), that it was not killed by a
# signal, no sanitizer report, a message naming the problem, no raw control byte (C0 but
# \n, DEL) and no forged log line in anything it printed, valid UTF-8 output, and nothing
# left behind. Attacks that must not end the session check it stays up and answers.
# Expectations are the target contract: silent/trickling gateways end `--timeout 3` with
# exit 5 and "timed out after 3 s waiting for"; DTDs are refused with exit 6 and "DTD";
# gateway text appears escaped (\x1b, \n, \"); a DPD-REQ is echoed whole when the answer
# fits one TLS record (16,376 bytes), a 60,000-byte one is dropped and counted.
set -u
source "$(dirname "$0")/../lib/netns.sh"
ks_require_root
trap ks_teardown EXIT
PY=/usr/bin/python3
HGW=$KS_TOP/tests/lib/hostile_gw.py
TIMEOUT=3          # kslice --timeout
TIMED_MAX=8        # a silent/trickling gateway: --timeout plus slack (2 shared cores, ASan)
WATCHDOG=15        # a kslice still running this long after it should have ended is killed

hostile_setup() {
	local d=$KS_WORK
	ks_client_gateway || return 1
	# A self-signed certificate, pinned by the client as the other tests do.
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
		-subj "/CN=$KS_GW_IP" -addext "subjectAltName=IP:$KS_GW_IP" \
		-keyout "$d/server.key" -out "$d/server.pem" 2>/dev/null
}
hostile_setup || { echo "setup failed"; exit 1; }
PIN=pin-sha256:$(ks_pubkey_pin)

# A reaped PID leaves KS_PIDS, so that ks_teardown never signals a recycled one.
forget_pid() {
	local p keep=()
	for p in "${KS_PIDS[@]}"; do [ "$p" = "$1" ] || keep+=("$p"); done
	KS_PIDS=("${keep[@]}")
}

ms_now() { echo $(($(date +%s%N) / 1000000)); }

# Waits for PID to end, at most LIMIT s, then SIGTERM, SIGKILL. Sets KS_RC, KS_TOOK (s since
# START_MS, one decimal) and KS_KILLED (1: the watchdog had to end it).
wait_exit() { # PID LIMIT START_MS
	local pid=$1 end=$(($(ms_now) + $2 * 1000)) t
	KS_KILLED=0
	while kill -0 "$pid" 2>/dev/null && [ "$(ms_now)" -lt "$end" ]; do sleep 0.1; done
	t=$(ms_now)
	if kill -0 "$pid" 2>/dev/null; then
		KS_KILLED=1
		kill -TERM "$pid" 2>/dev/null
		for _ in $(seq 30); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$pid" 2>/dev/null
	fi
	wait "$pid" 2>/dev/null
	KS_RC=$?
	forget_pid "$pid"
	t=$((t - $3))
	KS_TOOK=$((t / 1000)).$((t % 1000 / 100))
}

# No C0 control byte but \n, no DEL, in any of FILES; names the first one found.
ctl_free() {
	$PY - "$@" <<-'EOF'
	import re, sys
	for path in sys.argv[1:]:
	    data = open(path, "rb").read()
	    m = re.search(rb"[\x00-\x09\x0b-\x1f\x7f]", data)
	    if m:
	        ctx = data[max(0, m.start() - 30):m.start() + 10]
	        print(f"# raw byte 0x{m.group()[0]:02x} at offset {m.start()} of "
	              f"{path.rsplit('/', 1)[-1]}, after {ctx!r}")
	        sys.exit(1)
	EOF
}
# No line (split at \n or \r) that starts with the gateway's forged log line.
no_forged() {
	! cat "$@" | tr '\r' '\n' | grep -aq '^level=err sub=auth event=login_failed user="root"'
}
valid_utf8() {
	$PY -c 'import sys
for p in sys.argv[1:]: open(p, "rb").read().decode("utf-8")' "$@" 2>/dev/null
}
no_sanitizer() { ! grep -aqE 'ERROR: AddressSanitizer|runtime error:|LeakSanitizer' "$1"; }
show_sanitizer() { # the report's first lines, as comments
	grep -aE -A14 'ERROR: AddressSanitizer|runtime error:|ERROR: LeakSanitizer' "$1" |
		head -24 | cat -v | cut -c1-200 | sed 's/^/#   /'
}
rec() { jq -r "$2" "$1" 2>/dev/null; } # FILE JQ-EXPR

# The line a user would read: kslice's own "kslice: ..." message, else the tunnel's end, else
# the last log line; shown through cat -v so this test's own output stays clean.
what_it_said() {
	local l
	l=$(grep -a '^kslice: ' "$1" | tail -1)
	[ -z "$l" ] && l=$(grep -a 'event=ended\|event=stream_corrupt' "$1" | tail -1)
	[ -z "$l" ] && l=$(tail -1 "$1")
	printf '%s' "$l" | cat -v | tr -d '\n' | cut -c1-220
}

# scenario NAME MODE WANT-EXIT KEYWORD-ERE [ESCAPED-MARKER...]
# MODE: timed  ends by itself within TIMED_MAX s (silent/trickling gateway)
#       setup  ends by itself before the tunnel is up
#       end    the tunnel comes up, the attack ends the session
#       stay   the tunnel comes up, survives the attack, answers; then we disconnect (exit 0)
#       cookie huge cookie: carried whole (up, then TERMINATE: 7) or refused (6, names it)
# ARGS (array) and ANSWERS (lines for --passwd-on-stdin) may be set just before the call.
# KS_HOSTILE_ONLY=REGEX runs only the scenarios whose names match.
N=0
ARGS=()
ANSWERS=alicepass
scenario() {
	local name=$1 mode=$2 want=$3 kw=$4
	shift 4
	if [ -n "${KS_HOSTILE_ONLY:-}" ] && ! [[ $name =~ $KS_HOSTILE_ONLY ]]; then
		ARGS=()
		ANSWERS=alicepass
		return
	fi
	local d=$KS_WORK/$name port ifn gwpid pid start up=0 files m msg rc_status left
	N=$((N + 1))
	port=$((20000 + N))
	ifn=ksh$N
	mkdir -p "$d"
	ks_bg "$KS_GW" "$d/gw.out" $PY "$HGW" --scenario "$name" \
		--listen "$KS_GW_IP:$port" --cert "$KS_WORK/server.pem" --key "$KS_WORK/server.key" \
		--log "$d/gw.log" --record "$d/rec.json" --trigger "$d/go" --ready "$d/ready" \
		--max-seconds 120 >/dev/null
	gwpid=${KS_PIDS[-1]}
	for _ in $(seq 50); do [ -e "$d/ready" ] && break; sleep 0.1; done
	[ -e "$d/ready" ] || { ks_not_ok "$name: hostile gateway did not start"; cat "$d/gw.out"; return; }
	[ ${#ARGS[@]} -eq 0 ] && ARGS=(-u alice --passwd-on-stdin)
	printf '%s\n' $ANSWERS > "$d/answers"
	start=$(ms_now)
	# --kill-switch off: a hostile gateway ends sessions; what stays then is
	# test_lifecycle's subject, here it is "nothing left behind".
	nsenter --net=/run/netns/$KS_CLI "$KS_BIN" connect --timeout $TIMEOUT --reconnect-timeout 0 \
		--kill-switch off \
		--servercert "$PIN" -i $ifn "${ARGS[@]}" $KS_GW_IP:$port <"$d/answers" >"$d/out" 2>&1 &
	pid=$!
	KS_PIDS+=($pid)
	: >"$d/status"
	: >"$d/status.json"
	case $mode in
	end | stay | cookie)
		ks_wait_tunnel $ifn $pid && up=1
		if [ $up = 1 ]; then
			ks_cli "$KS_BIN" status -i $ifn >"$d/status" 2>&1
		fi
		[ "$mode" != cookie ] && ks_expect_eq "$name: tunnel comes up before the attack" 1 $up
		touch "$d/go"
		;;
	esac
	if [ "$mode" = stay ]; then
		for _ in $(seq 150); do
			[ "$(rec "$d/rec.json" 'has("alive_after_attack")')" = true ] && break
			kill -0 $pid 2>/dev/null || break
			sleep 0.1
		done
		ks_expect "$name: kslice still runs after the attack" ks_alive $pid
		ks_cli "$KS_BIN" status -i $ifn >>"$d/status" 2>&1
		rc_status=$?
		ks_expect_eq "$name: \`kslice status\` answers after the attack" 0 $rc_status
		ks_cli "$KS_BIN" status --json -i $ifn >"$d/status.json" 2>&1
		case $name in
		unknown-type)
			ks_expect "$name: the frame is counted (rx_unknown_frames)" test \
				"$(rec "$d/status.json" '.counters.rx_unknown_frames >= 1')" = true ;;
		data-65535)
			ks_expect "$name: the frame over any MTU is dropped and counted (rx_oversized)" \
				test "$(rec "$d/status.json" '.counters.rx_oversized >= 1')" = true ;;
		esac
		ks_expect "$name: kslice answers a DPD after the attack" \
			test "$(rec "$d/rec.json" .alive_after_attack)" = true
		if [ "$name" = dpd-record ]; then
			ks_expect "$name: DPD-RESP carries the same 16,376 bytes" \
				test "$(rec "$d/rec.json" '.dpd_resp.len == 16376 and .dpd_resp.match')" = true
		fi
		if [ "$name" = dpd-big ]; then
			ks_expect "$name: no echo larger than a TLS record" \
				test "$(rec "$d/rec.json" '.dpd_resp.len == null')" = true
			ks_expect "$name: dropped and counted (rx_oversized)" \
				test "$(rec "$d/status.json" '.counters.rx_oversized >= 1')" = true
		fi
		ks_cli "$KS_BIN" disconnect -i $ifn >/dev/null 2>&1
	fi
	wait_exit $pid $WATCHDOG $start
	msg=$(what_it_said "$d/out")
	echo "# $name: exit=$KS_RC took=${KS_TOOK}s$([ $KS_KILLED = 1 ] && echo ' (killed by the test watchdog)') said: $msg"

	if [ "$mode" = cookie ]; then
		if [ $up = 1 ]; then
			ks_expect "$name: carried whole (gateway got the 100 KB cookie) and exit 7" \
				test "$(rec "$d/rec.json" .cookie_ok)/$KS_RC" = true/7
		else
			ks_expect "$name: refused with exit 6 and a message naming the cookie" \
				bash -c "[ $KS_RC = 6 ] && grep -aqEi 'cookie|token' '$d/out'"
		fi
	else
		ks_expect_eq "$name: exit code" "$want" "$KS_RC"
		[ -n "$kw" ] &&
			ks_expect "$name: message names the problem (/$kw/)" grep -aqEi -- "$kw" "$d/out"
	fi
	ks_expect "$name: not killed by a signal (exit $KS_RC)" test "$KS_RC" -lt 128
	if [ "$mode" = timed ]; then
		ks_expect "$name: ends within ${TIMED_MAX} s of --timeout $TIMEOUT (took ${KS_TOOK} s)" \
			test "$KS_KILLED" = 0 -a "${KS_TOOK%.*}" -lt $TIMED_MAX
	fi
	if no_sanitizer "$d/out"; then
		ks_ok "$name: no sanitizer report"
	else
		ks_not_ok "$name: no sanitizer report"
		show_sanitizer "$d/out"
	fi
	files=("$d/out" "$d/status" "$d/status.json")
	ks_expect "$name: no raw control byte in kslice's output" ctl_free "${files[@]}"
	ks_expect "$name: no forged log line" no_forged "${files[@]}"
	ks_expect "$name: output is valid UTF-8" valid_utf8 "${files[@]}"
	for m in "$@"; do
		ks_expect "$name: gateway text shown escaped ('$m')" grep -aqF -- "$m" "${files[@]}"
	done
	if [ "$(rec "$d/rec.json" .refuse_before_reply)" = true ]; then
		ks_expect "$name: refused before answering the form" \
			test "$(rec "$d/rec.json" .continued_after_attack)" = false
	fi
	if [ "$name" = redirect-loop ]; then
		ks_expect "$name: bounded number of requests ($(rec "$d/rec.json" '.requests | length'))" \
			test "$(rec "$d/rec.json" '.requests | length')" -le 10
	fi
	left=$(ks_left_behind $ifn)
	ks_expect "$name: nothing left behind${left:+ (left: $left)}$([ $KS_KILLED = 1 ] &&
		echo ", after the watchdog's SIGTERM")" ks_nothing_left $ifn
	if [ $KS_KILLED = 1 ] || [ -n "$left" ]; then # keep later scenarios clean
		ks_cli "$KS_BIN" cleanup -i $ifn >/dev/null 2>&1
		rm -f "$KSLICE_RUN_DIR/$ifn.sock"
	fi
	kill -TERM "$gwpid" 2>/dev/null
	wait "$gwpid" 2>/dev/null
	forget_pid "$gwpid"
	ARGS=()
	ANSWERS=alicepass
}

TMO="timed out after $TIMEOUT s waiting for"
HEAD_KW='(head|header).*(exceed|limit|too (large|long|many))'
SIZE_KW='(body|xml|document|content-length).*(exceed|limit|too (large|long|big)|> ?[0-9])'
NL='\nlevel=err'       # LF then the forged line, escaped
QQ='user=\"root\"'     # its quotes, escaped
ESC='\x1b'             # ESC, escaped

# --- before TLS, before HTTP, while answering: the --timeout deadline ---
scenario silent-tcp timed 5 "$TMO"
scenario silent-tls timed 5 "$TMO"
scenario trickle timed 5 "$TMO"
scenario silent-connect timed 5 "$TMO"
scenario trickle-connect timed 5 "$TMO"

# --- HTTP framing and sizes ---
scenario big-head setup 6 "$HEAD_KW"
scenario huge-header setup 6 "$HEAD_KW"
scenario big-body setup 6 "$SIZE_KW"
scenario big-body-close setup 6 "$SIZE_KW"
scenario chunk-overflow setup 6 'chunk'
scenario chunk-wrap setup 6 'chunk'
scenario chunk-negative setup 6 'chunk'
scenario chunk-nocrlf setup 6 'chunk'
scenario redirect-loop setup 6 '302|redirect'

# --- XML ---
scenario xml-dtd-entity setup 6 'DTD'
scenario xml-billion-laughs setup 6 'DTD'
scenario xml-external-entity setup 6 'DTD'
scenario xml-10mb setup 6 "$SIZE_KW"
scenario xml-600k setup 6 "$SIZE_KW"
scenario xml-raw-ctl setup 6 'XML'

# --- the gateway's words, with control characters ---
ARGS=(--non-inter); ANSWERS=
scenario ctl-form setup 4 'asks for' "$NL" "$QQ"
scenario ctl-login-failed setup 4 'login failed' "$NL" "$QQ"
scenario ctl-401-auth setup 4 'login failed|401' "$ESC"
scenario ctl-401-connect setup 4 'cookie|401' "$ESC"
scenario ctl-banner end 7 'session ended by the gateway' "$NL" "$ESC"
scenario huge-cookie cookie '' ''

# --- CONNECT answer ---
scenario mtu-zero setup 6 'X-CSTP-MTU'
scenario mtu-huge setup 6 'X-CSTP-MTU'
scenario addr-garbage setup 6 'X-CSTP-Address' "$ESC"
scenario split-10k setup 6 "$HEAD_KW"

# --- CSTP frames once the tunnel is up ---
scenario dpd-big stay 0 ''
scenario dpd-record stay 0 ''
scenario bad-magic end 6 'magic'
scenario hdr-byte7 end 6 'byte 7'
scenario data-65535 stay 0 ''
scenario truncated-close end 7 'closed|lost|truncat'
scenario compressed-unagreed end 6 'compress'
scenario deflate-garbage end 6 'inflate|deflate|compress'
scenario unknown-type stay 0 ''
scenario disconnect-ctl end 7 'session ended by the gateway' "$ESC" "$QQ"
scenario terminate end 7 'session ended by the gateway'
ks_done
