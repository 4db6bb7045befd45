#!/bin/sh
# Replays recordings with --teardown and with --linux and prints a
# Markdown table: per recording, its traces' operations, the divergences
# of each replay, and how long --linux took:
#   tests/traces/real/replay-table.sh RMEMU NAME=TRACE... | NAME=DIR...
# A NAME=DIR takes every trace in DIR (a recording by record-ltp.sh or
# record-runtimes.sh, the traces rmemu record wrote for one program).
# A replay that stops comparing with Linux at a documented difference
# says so in the last column, with the operations compared before it.
set -eu
[ $# -ge 2 ] || { echo "usage: $0 RMEMU NAME=TRACE|NAME=DIR..." >&2; exit 2; }
rmemu=$1
shift
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

echo "| recording | traces | operations | divergences, --teardown | leak-free | operations compared with Linux | differences, --linux | --linux time (s) | note |"
echo "| --- | ---: | ---: | ---: | --- | ---: | ---: | ---: | --- |"
for arg in "$@"; do
	name=${arg%%=*}
	path=${arg#*=}
	if [ -d "$path" ]; then
		set -- "$path"/*.trace
	else
		set -- "$path"
	fi
	traces=0 ops=0 div=0 leaks=0 compared=0 diffs=0 secs=0 note=""
	for t in "$@"; do
		traces=$((traces + 1))
		"$rmemu" replay --keep-going --teardown "$t" >/dev/null 2>"$out/td" || true
		line=$(tail -n 1 "$out/td")
		o=$(echo "$line" | sed -n 's/.*: \([0-9]*\) operations, \([0-9]*\) divergence.*/\1/p')
		d=$(echo "$line" | sed -n 's/.*: \([0-9]*\) operations, \([0-9]*\) divergence.*/\2/p')
		ops=$((ops + ${o:-0}))
		div=$((div + ${d:-0}))
		echo "$line" | grep -q "after teardown leak-free" || leaks=$((leaks + 1))
		start=$(date +%s.%N)
		"$rmemu" replay --keep-going --linux "$t" >/dev/null 2>"$out/lx" || true
		end=$(date +%s.%N)
		secs=$(echo "$secs + $end - $start" | bc)
		l=$(grep "linux: " "$out/lx" | tail -n 1)
		c=$(echo "$l" | sed -n 's/.*[ (]\(before: \)\{0,1\}\([0-9]*\) operations compared, \([0-9]*\) differences.*/\2/p')
		x=$(echo "$l" | sed -n 's/.*[ (]\(before: \)\{0,1\}\([0-9]*\) operations compared, \([0-9]*\) differences.*/\3/p')
		compared=$((compared + ${c:-0}))
		diffs=$((diffs + ${x:-0}))
		case $l in
		*"not compared: "*)
			why=$(echo "$l" | sed -n 's/.*not compared: \(.*\) (before: .*/\1/p')
			note="${note:+$note; }${t##*/}: $why" ;;
		esac
	done
	printf '| %s | %d | %d | %d | %s | %d | %d | %.2f | %s |\n' "$name" "$traces" "$ops" "$div" \
		"$([ "$leaks" -eq 0 ] && echo yes || echo "no ($leaks)")" "$compared" "$diffs" "$secs" "$note"
done
