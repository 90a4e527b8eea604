#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# Runs the fuzz targets for `make fuzz` / `make fuzz-replay` and prints one line each:
#   NAME execs=N crashes=N
# usage: run.sh fuzz|replay|campaign OUT SECONDS NAME:MAX_LEN...
# campaign: like fuzz, but stops at $FUZZ_RUNS executions (10 million by default) or after
# SECONDS, whichever comes first, and adds "seconds=N" to the line; the corpus it grows
# in OUT/corpus/NAME carries over to the next campaign.
# The committed corpus (tests/fuzz/corpus/NAME) is copied to OUT/corpus/NAME, which is
# the only corpus libFuzzer writes to; artifacts go to OUT/artifacts/NAME/, the full
# libFuzzer output to OUT/logs/NAME.log. Exit status 1 if any target crashed.
set -u
mode=$1 out=$2 secs=$3
shift 3
src=tests/fuzz
failed=

# stat::number_of_executed_units from -print_final_stats=1, else the last "#N" status line.
execs_of() {
	n=$(sed -n 's/^stat::number_of_executed_units: *\([0-9]*\).*/\1/p' "$1" | tail -n 1)
	[ -n "$n" ] || n=$(sed -n 's/^#\([0-9][0-9]*\).*/\1/p' "$1" | tail -n 1)
	echo "${n:-0}"
}

# run NAME BIN LOG ARGS...: libFuzzer with the common options, output appended to LOG.
run() {
	r_dict=
	[ -f "$src/dict/$1.dict" ] && r_dict=-dict=$src/dict/$1.dict
	r_bin=$2 r_log=$3
	shift 3
	"$r_bin" -print_final_stats=1 -rss_limit_mb=2048 -timeout=10 -max_len="$max_len" \
		-artifact_prefix="$art/" $r_dict "$@" >>"$r_log" 2>&1
}

for spec in "$@"; do
	name=${spec%%:*} max_len=${spec#*:}
	bin=$out/fuzz_$name work=$out/corpus/$name art=$out/artifacts/$name log=$out/logs/$name.log
	mkdir -p "$work" "$art" "$out/logs"
	[ -d "$src/corpus/$name" ] && cp -p "$src/corpus/$name"/* "$work"/ 2>/dev/null
	: >"$log"
	marker=$art/.run-start
	touch "$marker"
	sleep 0.01
	rc=0 execs=0 took=
	if [ "$mode" = replay ]; then
		# Only the committed inputs, each once; nothing is written anywhere.
		seeds=$out/replay/$name
		rm -rf "$seeds"
		mkdir -p "$seeds"
		[ -d "$src/corpus/$name" ] && cp -p "$src/corpus/$name"/* "$seeds"/ 2>/dev/null
		run "$name" "$bin" "$log" -runs=0 "$seeds" || rc=1
		execs=$(execs_of "$log")
		echo "--- short run" >>"$log"
		slog=$log.short
		: >"$slog"
		[ $rc = 0 ] && { run "$name" "$bin" "$slog" -max_total_time="$secs" "$work" || rc=1; }
		cat "$slog" >>"$log"
		execs=$((execs + $(execs_of "$slog")))
		rm -f "$slog"
	elif [ "$mode" = campaign ]; then
		t0=$(date +%s)
		run "$name" "$bin" "$log" -runs="${FUZZ_RUNS:-10000000}" -max_total_time="$secs" \
			"$work" || rc=1
		execs=$(execs_of "$log")
		took=" seconds=$(($(date +%s) - t0))"
	else
		run "$name" "$bin" "$log" -max_total_time="$secs" "$work" || rc=1
		execs=$(execs_of "$log")
	fi
	crashes=$(find "$art" -maxdepth 1 -type f -newer "$marker" \
		\( -name 'crash-*' -o -name 'leak-*' -o -name 'timeout-*' -o -name 'oom-*' \) | wc -l)
	# A target that failed without an artifact (an error at start-up) counts as one.
	[ "$rc" != 0 ] && [ "$crashes" = 0 ] && crashes=1
	rm -f "$marker"
	echo "$name execs=$execs crashes=$crashes$took"
	[ "$crashes" = 0 ] || failed="$failed $name"
done
if [ -n "$failed" ]; then
	echo "fuzz: crashed:$failed (see $out/logs/NAME.log and $out/artifacts/NAME/)" >&2
	exit 1
fi
exit 0
