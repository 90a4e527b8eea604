#!/usr/bin/env bash
# Shell completion (completion/kslice.bash, completion/_kslice): the commands and options
# come from the binary's --help, option values, running tunnels (KSLICE_RUN_DIR), profiles
# (KSLICE_CONFIG_DIR), and the prefixes and domains of a running tunnel, from a stand-in
# kslice that prints what `route list` / `domain list` print. No namespaces, no tunnel.
set -u
KS_WORK=$(mktemp -d /tmp/ks-comp.XXXXXX) # netns.sh takes it rather than making its own
trap 'rm -rf "$KS_WORK"' EXIT
source "$(dirname "$0")/../lib/netns.sh"
T=$KS_WORK
BC=/usr/share/bash-completion/bash_completion

# The completed command is `kslice`, found in PATH: the real binary ($T/bin), or a stand-in
# ($T/fake) that logs its arguments, prints a running tunnel's lists (or, with $T/down,
# fails as kslice does with no tunnel), and runs the real binary for anything else (--help).
mkdir -p "$T/bin" "$T/fake" "$T/run" "$T/norun" "$T/conf"
ln -s "$KS_BIN" "$T/bin/kslice"
printf '#!/bin/sh\n' > "$T/bin/ks-uniquecmd" && chmod +x "$T/bin/ks-uniquecmd"
cat > "$T/fake/kslice" <<EOF
#!/bin/sh
echo "\$*" >> "$T/fake.args"
case "\$1 \$2" in
"route list" | "domain list" | "app list")
	[ -e "$T/down" ] && { echo "kslice: no kslice running on kslice0" >&2; exit 8; } ;;
esac
case "\$1 \$2" in
"route list") printf '%s\n' 'include 10.1.0.0/16 user hits 3' 'include fd00:1::/64 gateway hits 0' \
	'exclude 10.1.5.0/24 user hits 1' ;;
"domain list") printf '%s\n' 'domain corp.example corporate user matches 2' \
	'domain *.lab.example learn user matches 0' 'learned 10.79.0.20 corp.example 30' ;;
"app list") printf '%s\n' 'app      /user.slice/app-firefox.scope tunnel           hits 4' \
	'app      /kslice.exec/kslice0.77         direct           hits 0' ;;
*) exec "$KS_BIN" "\$@" ;;
esac
EOF
chmod +x "$T/fake/kslice"
touch "$T/run/ks-a.sock" "$T/run/ks-b.sock" "$T/run/ks-a.uplinks"
touch "$T/conf/work.conf" "$T/conf/lab.conf" "$T/conf/notes.txt"
export KSLICE_CONFIG_DIR=$T/conf
export KSLICE_RUN_DIR=$T/norun # empty: no tunnel

sorted() { printf '%s\n' "$@" | sort | paste -sd' ' -; }
has() { [[ " $1 " == *" $2 "* ]]; } # LIST WORD

# ---- bash ----
if [ -r "$BC" ]; then
	set +u # bash_completion is not written for set -u
	source "$BC"
	source "$KS_TOP/completion/kslice.bash"
	comp() { # WORDS...: the completions of the last word, sorted, on one line
		COMP_WORDS=("$@")
		COMP_CWORD=$(($# - 1))
		COMP_LINE="$*"
		COMP_POINT=${#COMP_LINE}
		COMPREPLY=()
		_kslice "$1" "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
		sorted "${COMPREPLY[@]}"
	}
	ks_expect_eq "bash: complete -F _kslice kslice" "complete -F _kslice kslice" "$(complete -p kslice)"
	PATH=$T/bin:$PATH
	ks_expect_eq "bash: commands" "$(sorted connect status disconnect route domain app exec cleanup help)" \
		"$(comp kslice "")"
	ks_expect_eq "bash: a command after --trust-env" status "$(comp kslice --trust-env st)"
	got=$(comp kslice connect --comp)
	ks_expect "bash: connect --comp offers --compression ($got)" has "$got" --compression
	got=$(comp kslice connect -)
	for o in -U --kill-switch --external-browser --key-password-on-stdin; do
		ks_expect "bash: connect - offers $o (from the option table)" has "$got" $o
	done
	got=$(comp kslice status -)
	ks_expect "bash: status - offers --json and -i ($got)" \
		eval 'has "$got" --json && has "$got" -i'
	got=$(comp kslice route del -)
	ks_expect "bash: route del - offers --include (from the synopsis: $got)" has "$got" --include
	got=$(comp kslice route add -)
	ks_expect "bash: route add - does not ($got)" eval '! has "$got" --include'
	ks_expect_eq "bash: --compression values" "$(sorted all stateless none oc-lz4 lzs deflate)" \
		"$(comp kslice connect --compression "")"
	ks_expect_eq "bash: --compression=s" stateless "$(comp kslice connect --compression=s)"
	ks_expect_eq "bash: --dns values" "$(sorted auto bpf resolved off)" "$(comp kslice connect --dns "")"
	ks_expect_eq "bash: --kill-switch values" "$(sorted on-failure always off)" \
		"$(comp kslice connect --kill-switch "")"
	ks_expect_eq "bash: -i: the tunnels of KSLICE_RUN_DIR" "ks-a ks-b" \
		"$(KSLICE_RUN_DIR=$T/run comp kslice status -i "")"
	ks_expect_eq "bash: -i with no tunnel: nothing" "" "$(comp kslice status -i "")"
	ks_expect_eq "bash: connect @: the profiles of KSLICE_CONFIG_DIR" "@lab @work" \
		"$(comp kslice connect @)"
	ks_expect_eq "bash: route verbs" "add del list" "$(comp kslice route "")"
	ks_expect_eq "bash: domain verbs" "add del list" "$(comp kslice domain "")"
	ks_expect_eq "bash: app verbs" "add del list" "$(comp kslice app "")"
	ks_expect_eq "bash: app add --via values" "direct split tunnel" "$(comp kslice app add --via "")"
	got=$(comp kslice exec -)
	ks_expect "bash: exec - offers --via and --user ($got)" eval 'has "$got" --via && has "$got" --user'
	ks_expect_eq "bash: exec --via direct -- ks-un: a command from PATH" ks-uniquecmd \
		"$(comp kslice exec --via direct -- ks-un 2>/dev/null)"
	ks_expect_eq "bash: exec ks-un: the same without --" ks-uniquecmd "$(comp kslice exec ks-un 2>/dev/null)"
	got=$(comp kslice exec ping - 2>/dev/null) # (compopt complains outside a real completion)
	ks_expect "bash: exec ping -: ping's own options, not ours ($got)" eval '! has "$got" --via'

	PATH=$T/fake:$PATH
	touch "$T/down"
	ks_expect_eq "bash: no tunnel: route del offers nothing, says nothing" "" \
		"$(comp kslice route del "" 2>&1)"
	ks_expect_eq "bash: no tunnel: domain del offers nothing, says nothing" "" \
		"$(comp kslice domain del "" 2>&1)"
	rm "$T/down"
	ks_expect_eq "bash: route del: the prefixes of route list" \
		"$(sorted 10.1.0.0/16 fd00:1::/64 10.1.5.0/24)" "$(comp kslice route del "")"
	ks_expect_eq "bash: route del --exclude: the excluded ones" 10.1.5.0/24 \
		"$(comp kslice route del --exclude "")"
	rm -f "$T/fake.args"
	comp kslice route del -i ks-b 10. >/dev/null
	ks_expect_eq "bash: route del -i ks-b asks ks-b" "route list -i ks-b" "$(cat "$T/fake.args")"
	ks_expect_eq "bash: app del: the cgroups of app list" \
		"$(sorted /user.slice/app-firefox.scope /kslice.exec/kslice0.77)" "$(comp kslice app del "")"
	ks_expect_eq "bash: domain del: the domains of domain list" "$(sorted corp.example '*.lab.example')" \
		"$(comp kslice domain del "")"
	set -u
else
	ks_skip "bash: no $BC (Debian package bash-completion)"
fi

# ---- zsh ----
# An interactive zsh in a pseudo-terminal (zpty) is sent the keys; what it prints, escape
# sequences removed, is in $T/NAME.out. -u: compinit must not stop to ask about the
# ownership of a checkout's directories.
zsh_probes() { # runs in zsh -f
	cat > "$T/drive.zsh" <<'EOF'
zmodload zsh/zpty || exit 3
setopt extendedglob
T=$1
zpty z 'TERM=vt100 zsh -f -i'
zpty -w z "PS1='zp> '; fpath=($2 \$fpath); path=($T/fake \$path); autoload -U compinit; compinit -u -D"
probe() { # NAME KEYS COMMAND: the keys, then COMMAND DONE42, and wait for the prompt:
	local out # keys sent before it are read by the terminal, not by the line editor
	zpty -w -n z "$2"
	zpty -w z "$3 DONE\$((6*7))"
	zpty -r -m z out '*DONE42*zp> *'
	out=${out//$'\0'/}
	out=${out//$'\e'\[[0-9;?]#[a-zA-Z]/}
	print -r -- "${out//$'\r'/}" > $T/$1.out
}
probe setup '' print # compinit has run
probe commands $'kslice \t' $'\C-u print'
# one match: inserted; then the line is made a print of itself to see it whole
probe comp $'kslice connect --comp\t' $'\C-aprint -r -- \C-e'
probe profiles $'kslice connect @\t' $'\C-u print'
probe routes $'kslice route del -i ks-b --exclude \t' $'\C-aprint -r -- \C-e'
probe via $'kslice exec --via tu\t' $'\C-aprint -r -- \C-e'
probe appdel $'kslice app del /user\t' $'\C-aprint -r -- \C-e'
zpty -d z
EOF
	timeout 30 zsh -f "$T/drive.zsh" "$T" "$KS_TOP/completion"
}
if command -v zsh >/dev/null; then
	ks_expect "zsh: zsh -n completion/_kslice" zsh -n "$KS_TOP/completion/_kslice"
	ks_expect "zsh: compinit -D finds and loads _kslice" zsh -f -c "fpath=($KS_TOP/completion \$fpath)
		autoload -U compinit && compinit -u -D && [[ \$_comps[kslice] == _kslice ]] &&
		autoload +X _kslice && (( \$+functions[_kslice] ))"
	zsh_probes
	ks_expect_eq "zsh: the pty session ran" 0 $?
	shown() { sed 's/^/#   /' "$T/$1.out" >&2; } # what the terminal showed, on a failure
	ks_expect "zsh: kslice <TAB> lists connect" grep -q '^connect  *-- ' "$T/commands.out" &&
		ks_expect "zsh: kslice <TAB> lists status" grep -q '^status  *-- ' "$T/commands.out" ||
		shown commands
	ks_expect "zsh: kslice connect --comp<TAB> gives --compression" \
		grep -qx 'kslice connect --compression DONE42' "$T/comp.out" || shown comp
	ks_expect "zsh: kslice connect @<TAB> lists @lab and @work" \
		grep -qE '^@lab +@work' "$T/profiles.out" || shown profiles
	ks_expect "zsh: kslice route del -i ks-b --exclude <TAB> gives 10.1.5.0/24" \
		grep -qx 'kslice route del -i ks-b --exclude 10.1.5.0/24 DONE42' "$T/routes.out" || shown routes
	ks_expect "zsh: kslice exec --via tu<TAB> gives tunnel" \
		grep -qx 'kslice exec --via tunnel DONE42' "$T/via.out" || shown via
	ks_expect "zsh: kslice app del /user<TAB> gives the cgroup of app list" \
		grep -qx 'kslice app del /user.slice/app-firefox.scope DONE42' "$T/appdel.out" || shown appdel
	ks_expect "zsh: ... from kslice route list -i ks-b" grep -qx 'route list -i ks-b' "$T/fake.args"
else
	ks_skip "zsh: not installed"
fi
ks_done
