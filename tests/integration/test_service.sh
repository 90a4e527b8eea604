#!/usr/bin/env bash
# kslice as systemd runs it from kslice@.service: `connect @NAME` from a profile, the
# password a credential ($CREDENTIALS_DIRECTORY), the notify protocol (READY=1, STATUS=,
# WATCHDOG=1, STOPPING=1) on a socket of our own, only the unit's capability bounding set,
# metrics in Prometheus's format (promtool). Also the profile's errors, and the unit itself
# (systemd-analyze verify, its exit codes against exitcodes.h).
set -u
source "$(dirname "$0")/../lib/netns.sh"
ks_test_setup
IF=kssv0
UNIT_IN=$KS_TOP/systemd/kslice@.service.in
ETC=$KS_WORK/etc
CREDS=$KS_WORK/creds
NOTES=$KS_WORK/notify.log
PROM=$KS_WORK/metrics/kslice.prom
mkdir -p "$ETC" "$CREDS" "$KS_WORK/metrics"
chgrp nogroup "$KS_WORK/metrics" # the collector's group, as Debian's textfile directory has
export KSLICE_CONFIG_DIR=$ETC

# --- the profile: readable by all (no secret in it), the password a credential ---
cat >"$ETC/work.conf" <<EOF
# the test gateway
server $KS_GW_IP
user alice
passwd-file credential:passwd
servercert $PIN
interface=$IF
metrics-file $PROM
EOF
chmod 644 "$ETC/work.conf"
printf 'alicepass\n' >"$CREDS/passwd"
chmod 400 "$CREDS/passwd"

# --- errors name the file and the line; nothing is started ---
bad() { # NAME MODE LINE...: a profile with these lines; kslice's stderr; its code in RC
	printf '%s\n' "${@:3}" >"$ETC/$1.conf"
	chmod "$2" "$ETC/$1.conf"
	OUT=$(ks_cli "$KS_BIN" connect --non-inter @"$1" </dev/null 2>&1)
	RC=$?
}
bad unknown 600 "server $KS_GW_IP" "user alice" "frobnicate yes"
ks_expect_eq "unknown option: exit 2" 2 "$RC"
ks_expect "unknown option: file and line named ($OUT)" grep -q "unknown.conf:3: unknown option 'frobnicate'" <<<"$OUT"
bad novalue 600 "server $KS_GW_IP" "user"
ks_expect "an option without its value: file and line ($OUT)" grep -q "novalue.conf:2: 'user' needs a value" <<<"$OUT"
bad badvalue 600 "server $KS_GW_IP" "# comment" "" "timeout 0"
ks_expect "a bad value: file and line, the option's own message ($OUT)" \
	grep -q "badvalue.conf:4: --timeout: '0' is not 1..3600 seconds" <<<"$OUT"
bad secret 644 "server $KS_GW_IP" "token-secret base32:GEZDGNBVGY3TQOJQ"
ks_expect_eq "an inline secret in a file others can read: exit 2" 2 "$RC"
ks_expect "... refused, saying why ($OUT)" grep -q "holds a secret and others may read it" <<<"$OUT"
bad secret 600 "server $KS_GW_IP" "token-secret base32:GEZDGNBVGY3TQOJQ" "bogus-option"
ks_expect "the same secret in a private file is taken (the next line is what fails)" \
	grep -q "secret.conf:3: unknown option" <<<"$OUT"
bad writable 664 "server $KS_GW_IP"
ks_expect "a profile others may change is refused ($OUT)" grep -q "others than its owner may change it" <<<"$OUT"
bad noserver 600 "user alice"
ks_expect "@NAME without a server line ($OUT)" grep -q "no 'server' line" <<<"$OUT"
OUT=$(ks_cli "$KS_BIN" connect @../etc/work </dev/null 2>&1)
ks_expect_eq "a profile name that climbs out of the directory: exit 2" 2 "$?"
OUT=$(ks_cli "$KS_BIN" connect @nosuch </dev/null 2>&1)
ks_expect "a missing profile says which file ($OUT)" grep -q "$ETC/nosuch.conf: No such file" <<<"$OUT"

# --- the profile and the credential log in; the command line wins over the profile ---
export CREDENTIALS_DIRECTORY=$CREDS
OUT=$(ks_cli "$KS_BIN" connect @work --authenticate </dev/null 2>"$KS_WORK/auth.err")
ks_expect "--authenticate from the profile, password from the credential: a cookie" \
	grep -q "^COOKIE='" <<<"$OUT"
ks_cli "$KS_BIN" connect @work --authenticate --user mallory </dev/null >/dev/null 2>&1
ks_expect_eq "the command line's --user overrides the profile's (mallory: refused, exit 4)" 4 "$?"
ks_cli "$KS_BIN" connect --config "$ETC/work.conf" --authenticate </dev/null >/dev/null 2>&1
ks_expect_eq "--config FILE is the same profile" 0 "$?"

# --- the unit's capability bounding set, as setpriv spells it ---
caps=$(sed -n 's/^CapabilityBoundingSet=//p' "$UNIT_IN")
bounding=-all$(for c in $caps; do c=${c#CAP_}; printf ',+%s' "${c,,}"; done)
want_bits=$(for c in $caps; do printf '%s\n' "$c"; done | wc -l)

# --- systemd's view: notify socket, watchdog every 2 s, credentials ---
/usr/bin/python3 "$KS_TOP/tests/lib/notify_sink.py" "$KS_WORK/notify.sock" "$NOTES" &
KS_PIDS+=($!)
ks_wait_for 5 test -S "$KS_WORK/notify.sock"
NOTIFY_SOCKET=$KS_WORK/notify.sock WATCHDOG_USEC=2000000 \
	nsenter --net=/run/netns/$KS_CLI setpriv --bounding-set "$bounding" -- \
	"$KS_BIN" connect --non-inter @work </dev/null >"$KS_WORK/svc.log" 2>&1 &
pid=$!
KS_PIDS+=($pid)
ks_expect "up from the profile" ks_wait_tunnel $IF $pid || { cat "$KS_WORK/svc.log"; ks_done; exit 1; }
bnd=$(awk '/^CapBnd:/ { print $2 }' /proc/$pid/status)
ks_expect_eq "it runs with the unit's $want_bits capabilities, no more" "$want_bits" \
	"$(python3 -c "print(bin(0x$bnd).count('1'))")"
ks_expect "corporate traffic through it (the unit's capabilities are enough)" \
	ks_cli ping -q -c 2 -w 10 -i 0.2 -W 2 -I $IF $KS_CORP_IP >/dev/null
ks_expect "READY=1 once usable, from the main PID" ks_wait_for 5 grep -q "^pid=$pid READY=1|STATUS=connected to $KS_GW_IP" "$NOTES"
ks_expect "STATUS= while logging in" grep -q "^pid=$pid STATUS=logging in to $KS_GW_IP" "$NOTES"
sleep 3
n=$(grep -c "^pid=$pid WATCHDOG=1$" "$NOTES")
ks_expect "the watchdog is fed (every half period: $n in about 3 s)" test "$n" -ge 2
ks_expect "nothing from the worker (it has no NOTIFY_SOCKET)" \
	bash -c "! grep -v '^pid=$pid ' '$NOTES'"

# --- metrics: the file and status --prometheus, checked by promtool ---
if command -v promtool >/dev/null; then
	ks_expect "--metrics-file written within 5 s" ks_wait_for 7 test -s "$PROM"
	ks_expect_eq "... readable by the directory's group alone (it names corporate prefixes)" \
		"640 nogroup" "$(stat -c '%a %G' "$PROM")"
	ks_expect "... promtool check metrics accepts it" bash -c "promtool check metrics <'$PROM' >'$KS_WORK/promtool.out' 2>&1"
	ks_cli "$KS_BIN" status --prometheus -i $IF >"$KS_WORK/status.prom"
	ks_expect_eq "status --prometheus: exit 0" 0 "$?"
	ks_expect "... promtool check metrics accepts it" bash -c "promtool check metrics <'$KS_WORK/status.prom' >>'$KS_WORK/promtool.out' 2>&1"
	cat "$KS_WORK/promtool.out" | sed 's/^/# /'
else
	ks_skip "promtool (Debian's prometheus package) is not installed"
fi
ks_expect "kslice_up is 1" grep -q "^kslice_up{interface=\"$IF\"} 1$" "$KS_WORK/status.prom"
ks_expect "bytes each way are counted" \
	awk '/^kslice_bytes_total\{.*direction="to_gateway"/ && $2 > 0 { ok = 1 } END { exit !ok }' "$KS_WORK/status.prom"
ks_expect "the kill switch's counters are there" grep -q '^kslice_split_events_total{interface="kssv0",event="egress_dropped"} ' "$KS_WORK/status.prom"
ks_expect "every family has HELP and TYPE" bash -c "
	for f in \$(grep -v '^#' '$KS_WORK/status.prom' | sed 's/[{ ].*//' | sort -u); do
		grep -q \"^# HELP \$f \" '$KS_WORK/status.prom' && grep -q \"^# TYPE \$f \" '$KS_WORK/status.prom' || exit 1
	done"
ks_cli "$KS_BIN" status --prometheus -i kssv9 >"$KS_WORK/down.prom"
ks_expect_eq "status --prometheus without a daemon: exit 8" 8 "$?"
ks_expect "... and says kslice_up 0" grep -q '^kslice_up{interface="kssv9"} 0$' "$KS_WORK/down.prom"

# --- the gateway forgets us: STATUS says reconnecting, the credential logs in again ---
ks_ocserv_restart
ks_expect "STATUS=reconnecting, with the cause" ks_wait_for 20 grep -q "^pid=$pid STATUS=reconnecting to $KS_GW_IP: " "$NOTES"
ks_expect "STATUS=connected again (logged in again with the credential)" \
	ks_wait_for 30 grep -q "^pid=$pid STATUS=connected to $KS_GW_IP (reconnected 1 times)" "$NOTES"

# --- systemctl stop: SIGTERM to the main PID ---
kill -TERM $pid
ks_wait_gone $pid
ks_expect_eq "stopped: exit 0" 0 "$KS_RC"
ks_expect "STOPPING=1 was said" grep -q "^pid=$pid STOPPING=1|STATUS=disconnecting" "$NOTES"
ks_expect "the metrics file says down at the end" grep -q "^kslice_up{interface=\"$IF\"} 0$" "$PROM"
ks_expect "no temporary metrics file is left" bash -c "! ls -A '$KS_WORK/metrics' | grep -q '^\.'"
ks_expect "nothing left" ks_nothing_left $IF

# --- the unit: its exit codes are kslice's, and systemd takes it ---
code() { sed -n "s/.*KS_EXIT_$1 = \([0-9]*\),.*/\1/p" "$KS_TOP/user/exitcodes.h"; }
ks_expect_eq "RestartPreventExitStatus is usage, certificate and login (exitcodes.h)" \
	"$(code USAGE) $(code CERT) $(code AUTH)" "$(sed -n 's/^RestartPreventExitStatus=//p' "$UNIT_IN")"
if command -v systemd-analyze >/dev/null; then
	sed -e "s|@BINDIR@|$(dirname "$KS_BIN")|g" -e "s|@DOCDIR@|$KS_TOP/docs|g" "$UNIT_IN" \
		>"$KS_WORK/kslice@work.service"
	# A template is verified through an instance; without systemd as PID 1, only the
	# unit's own errors count (not "system has not been booted with systemd").
	out=$(SYSTEMD_LOG_LEVEL=warning systemd-analyze verify --man=no "$KS_WORK/kslice@work.service" 2>&1 |
		grep -v -e 'not been booted with systemd' -e 'Failed to connect to bus' -e '^$')
	ks_expect "systemd-analyze verify: no complaint${out:+ ($out)}" test -z "$out"
else
	ks_skip "systemd-analyze is not installed"
fi
ks_done
