#!/usr/bin/env bash
# kslice(1): generated from docs/kslice.1.md by tools/md2man.py. The page must render
# without a groff warning, hold the sections a reader looks for, and agree with the binary:
# every option `kslice [COMMAND] --help` prints is documented in one of the page's option
# tables, and every --option a table documents is one some --help prints (but for the few
# spellings listed in DOC_ONLY below). The failure lines name what to fix. No namespaces:
# this needs only the binary, python3 and (for rendering) man-db and groff.
set -u
# Our own directory, set before netns.sh is sourced (it would make one otherwise, which
# only ks_teardown removes; this test never sets up namespaces, so never tears down).
KS_WORK=$(mktemp -d /tmp/ks-docs.XXXXXX)
trap 'rm -rf "$KS_WORK"' EXIT
source "$(dirname "$0")/../lib/netns.sh"
D=$KS_WORK
MD=$KS_TOP/docs/kslice.1.md
PY=${PYTHON:-python3}
CMDS=(connect status disconnect route domain app exec cleanup)
SECTIONS=(NAME SYNOPSIS DESCRIPTION "EXIT CODES" ENVIRONMENT FILES EXAMPLES)
# Documented in the page's tables though no --help prints them, each for a reason:
DOC_ONLY=(
	--no-full-tunnel # the older name of --split-only, still accepted (user/opts.c); the
	                 # help names the option once, the page says it is an alias
	--version        # `kslice --version` (user/main.c); the short usage lists commands only
)
export MANWIDTH=80 MANPAGER=cat PAGER=cat

# Options in text: -x or --long-name standing alone (not the "-DTLS1" of OC-DTLS1_2, not
# the "-3600" of 10-3600); "--external-browser[=CMD]" gives --external-browser.
opts_in() { grep -oP '(?<![\w-])(--[a-z0-9][a-z0-9-]*|-[a-zA-Z])(?![\w-])' | sort -u; }

# The options a page documents: the tags of its .TP paragraphs (the first column of the
# markdown's tables), roff escapes removed.
page_opts() {
	awk 'prev == ".TP" { print } { prev = $0 }' "$1" |
		sed -e 's/\\%//g; s/\\&//g; s/\\f[BIRP]//g; s/\\-/-/g; s/\\e/\\/g' | opts_in
}

# What `kslice [CMD] --help` prints, one option per line, as "CMD OPTION" ("kslice" for
# the top level, whose usage names --trust-env and --help).
help_opts() {
	local c out
	for c in "" "${CMDS[@]}"; do
		out=$("$KS_BIN" $c --help 2>&1) || { echo "${c:-kslice} --help-FAILED"; continue; }
		opts_in <<<"$out" | sed "s/^/${c:-kslice} /"
	done
}

# One line for a check over a list: ok, or not ok naming what is missing (what to fix).
none_missing() { # NAME MISSING
	if [ -z "$2" ]; then ks_ok "$1"; else ks_not_ok "$1; missing:$2"; fi
}

# Renders; no warning; the sections; the options both ways. LABEL names the page.
check_page() { # LABEL FILE
	local label=$1 page=$2 err missing s o
	if command -v man >/dev/null && command -v groff >/dev/null; then
		err=$(man --warnings -l "$page" 2>&1 >"$D/page.txt")
		ks_expect_eq "$label: man --warnings -l renders it without a warning" "" "$err"
		err=$(groff -man -ww -z "$page" 2>&1)
		ks_expect_eq "$label: groff -man -ww -z: no warning" "" "$err"
		col -bx <"$D/page.txt" >"$D/page.plain"
		missing=
		for s in "${SECTIONS[@]}"; do
			grep -Fxq "$s" "$D/page.plain" || missing+=" '$s'"
		done
		none_missing "$label: renders the sections ${SECTIONS[*]}" "$missing"
		if command -v lexgrog >/dev/null; then
			ks_expect "$label: its NAME line is one whatis/apropos can index" \
				grep -q ': "kslice - ' <<<"$(lexgrog "$page" 2>&1)"
		fi
	else
		ks_skip "$label: rendering checks need man (man-db) and groff"
	fi

	page_opts "$page" >"$D/documented"
	# --help -> page: every option printed is documented ("connect:--foo": printed by
	# `kslice connect --help`).
	missing=$(help_opts | while read -r c o; do
		grep -Fxq -- "$o" "$D/documented" || printf ' %s:%s' "$c" "$o"
	done)
	none_missing "$label: every option kslice [${CMDS[*]}] --help prints is in its tables" \
		"$missing"
	# page -> --help: every documented --option exists (some --help prints it).
	help_opts | awk '{ print $2 }' | sort -u >"$D/helped"
	printf '%s\n' "${DOC_ONLY[@]}" >>"$D/helped"
	missing=$(grep -- '^--' "$D/documented" | while read -r o; do
		grep -Fxq -- "$o" "$D/helped" || printf ' %s' "$o"
	done)
	none_missing "$label: every --option its tables document is printed by some --help" \
		"$missing"
	# The documented-only list stays current: each entry is still documented.
	missing=$(for o in "${DOC_ONLY[@]}"; do
		grep -Fxq -- "$o" "$D/documented" || printf ' %s' "$o"
	done)
	none_missing "$label: each DOC_ONLY entry is still documented" "$missing"
}

if ! [ -x "$KS_BIN" ]; then
	ks_skip "kslice not built ($KS_BIN)"
	ks_done
	exit
fi

# --- the generator ---
if ! SOURCE_DATE_EPOCH=86400 "$PY" "$KS_TOP/tools/md2man.py" --version 9.9 "$MD" \
	>"$D/kslice.1" 2>"$D/md2man.err"; then
	ks_not_ok "tools/md2man.py docs/kslice.1.md: $(cat "$D/md2man.err")"
	ks_done
	exit
fi
ks_ok "tools/md2man.py generates the page"
ks_expect_eq "the header: date from SOURCE_DATE_EPOCH, the version given" \
	'.TH KSLICE 1 1970-01-02 "kslice 9.9" "User Commands"' "$(grep '^\.TH' "$D/kslice.1")"
SOURCE_DATE_EPOCH=86400 "$PY" "$KS_TOP/tools/md2man.py" --version 9.9 "$MD" >"$D/again.1"
ks_expect "reproducible: a second run gives the same bytes" cmp -s "$D/kslice.1" "$D/again.1"

check_page "kslice.1 from docs/kslice.1.md" "$D/kslice.1"

# --- the page the build made (Makefile: build/kslice.1), when there is one ---
built=$KS_TOP/build/kslice.1
if [ -f "$built" ]; then
	ks_expect "build/kslice.1 is docs/kslice.1.md's of now (else: make man)" \
		cmp -s <(grep -v '^\.TH' "$built") <(grep -v '^\.TH' "$D/kslice.1")
	check_page "build/kslice.1" "$built"
else
	ks_skip "build/kslice.1 not built (make man)"
fi

ks_done
