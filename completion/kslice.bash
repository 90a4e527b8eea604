# bash completion for kslice(1)                                    -*- shell-script -*-
# Install as /usr/share/bash-completion/completions/kslice; needs bash-completion
# (_init_completion, _filedir). Commands and options are read from `kslice --help` and
# `kslice COMMAND --help` when completing, so they never drift from the binary; the binary
# is the command word being completed (build/kslice works as well as the one in PATH).

# The commands: the indented "  name   description" lines of `kslice --help`.
_kslice_commands() { # KSLICE
	"$1" --help 2>/dev/null | awk '/^  [a-z]+  / { print $1 }'
	echo help
}

# The options of COMMAND (of its VERB for route and domain): those of the synopsis lines
# ("usage: kslice route del [--include|--exclude] PREFIX... [-i NAME]") and the option
# table's ("  -x, --long ARG   description": the names lead the line).
_kslice_options() { # KSLICE COMMAND [VERB]
	"$1" "$2" --help 2>/dev/null | awk -v cmd="$2" -v verb="${3-}" '
	/^usage:|^ +kslice / {
		for (i = 1; i < NF && $i != cmd; i++) ;
		if (verb != "" && $(i + 1) != verb) next
		gsub(/[][|]/, " ")
		for (i = 1; i <= NF; i++) if ($i ~ /^--?[a-zA-Z]/) print $i
		next
	}
	/^ +-/ { for (i = 1; i <= NF && $i ~ /^-/; i++) { sub(/,$|\[?=.*/, "", $i); print $i } }'
	echo --help
}

# Running tunnels: the control sockets NAME.sock in the run directory.
_kslice_tunnels() {
	local f
	for f in "${KSLICE_RUN_DIR:-/run/kslice}"/*.sock; do
		[[ -e $f ]] && f=${f##*/} && echo "${f%.sock}"
	done
}

# Profiles: @NAME for each NAME.conf in the configuration directory.
_kslice_profiles() {
	local f
	for f in "${KSLICE_CONFIG_DIR:-/etc/kslice}"/*.conf; do
		[[ -e $f ]] && f=${f##*/} && echo "@${f%.conf}"
	done
}

# Units (*.scope, *.service, *.slice) of the cgroup v2 hierarchy, for `app add`.
_kslice_units() {
	local root
	root=$(findmnt -n -t cgroup2 -o TARGET 2>/dev/null | head -n1)
	[[ -d $root ]] && find "$root" -maxdepth 6 -type d \( -name '*.scope' -o -name '*.service' \
		-o -name '*.slice' \) -printf '%f\n' 2>/dev/null | sort -u
}

# COMPREPLY: the words of $1 that start with $cur (mapfile, not COMPREPLY=($(...)): a
# domain like *.corp.example must not glob).
_kslice_reply() {
	mapfile -t COMPREPLY < <(compgen -W "$1" -- "$cur")
	__ltrim_colon_completions "$cur"
}

_kslice() {
	local cur prev words cword split
	# -n : keeps IPv6 prefixes (fd00::/64) one word
	_init_completion -s -n : || return

	local kslice=${words[0]} cmd='' verb='' ifname='' set='' trust='' i
	[[ $kslice == \~/* ]] && kslice=$HOME/${kslice#\~/}
	# What is on the line already: the command, route's or domain's verb, the tunnel.
	for ((i = 1; i < cword; i++)); do
		case ${words[i]} in
		--trust-env) trust=--trust-env ;;
		-i | --interface) ((i + 1 < cword)) && ifname=${words[i + 1]} && ((i++)) ;;
		--interface=*) ifname=${words[i]#*=} ;;
		--include | --exclude) set=${words[i]#--} ;;
		-v | --via | -u | --user) [[ $cmd == @(app|exec) ]] && ((i + 1 < cword)) && ((i++)) ;;
		--) [[ $cmd == exec ]] && { _command_offset $((i + 1)); return; } ;;
		-*) ;;
		*)
			if [[ -z $cmd ]]; then
				cmd=${words[i]}
			elif [[ $cmd == exec ]]; then # COMMAND: complete it as its own line
				_command_offset "$i"
				return
			elif [[ -z $verb && $cmd == @(route|domain|app) && ${words[i]} == @(add|del|list) ]]; then
				verb=${words[i]}
			fi
			;;
		esac
	done

	case $prev in
	-i | --interface) _kslice_reply "$(_kslice_tunnels)"; return ;;
	--forward-from) mapfile -t COMPREPLY < <(compgen -W "$(ls /sys/class/net 2>/dev/null)" -- "$cur"); return ;;
	--compression) _kslice_reply 'all stateless none oc-lz4 lzs deflate'; return ;;
	--dns) _kslice_reply 'auto bpf resolved off'; return ;;
	--kill-switch) _kslice_reply 'on-failure always off'; return ;;
	--token-mode) _kslice_reply totp; return ;;
	-v | --via) [[ $cmd == @(app|exec) ]] && _kslice_reply 'tunnel direct split' && return ;;
	-u | --user) [[ $cmd == exec ]] && mapfile -t COMPREPLY < <(compgen -u -- "$cur") && return ;;
	--cafile | -c | --certificate | -k | --sslkey | --pid-file | --passwd-file | --config | \
		--metrics-file) _filedir; return ;;
	-U | --setuid) mapfile -t COMPREPLY < <(compgen -u -- "$cur"); return ;;
	esac
	$split && return # --option=value of an option whose values we do not know

	if [[ -z $cmd ]]; then
		if [[ $cur == -* ]]; then
			_kslice_reply '--trust-env --version --help'
		else
			_kslice_reply "$(_kslice_commands "$kslice")"
		fi
	elif [[ $cmd == help ]]; then
		return
	elif [[ $cur == -* ]]; then
		_kslice_reply "$(_kslice_options "$kslice" "$cmd" "$verb" | sort -u)"
	elif [[ $cmd == connect && $cur == @* ]]; then
		_kslice_reply "$(_kslice_profiles)"
	elif [[ $cmd == @(route|domain|app) && -z $verb ]]; then
		_kslice_reply 'add del list'
	elif [[ $cmd == exec ]]; then
		mapfile -t COMPREPLY < <(compgen -c -- "$cur")
	elif [[ $cmd == app && $verb == add ]]; then
		_kslice_reply "$(_kslice_units)"
	elif [[ $cmd == app && $verb == del ]]; then
		# "app CGROUP VIA hits N"
		_kslice_reply "$("$kslice" $trust app list ${ifname:+-i "$ifname"} 2>/dev/null |
			awk '$1 == "app" { print $2 }')"
	elif [[ $cmd == route && $verb == del ]]; then
		# "SET PREFIX ORIGIN hits N"; nothing when no tunnel runs (exit 8)
		_kslice_reply "$("$kslice" $trust route list ${ifname:+-i "$ifname"} 2>/dev/null |
			awk -v set="$set" '$1 ~ /^(include|exclude)$/ && (set == "" || $1 == set) { print $2 }')"
	elif [[ $cmd == domain && $verb == del ]]; then
		# "domain NAME ACTION ORIGIN matches N"
		_kslice_reply "$("$kslice" $trust domain list ${ifname:+-i "$ifname"} 2>/dev/null |
			awk '$1 == "domain" { print $2 }')"
	fi
}
complete -F _kslice kslice
