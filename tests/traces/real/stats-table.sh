#!/bin/sh
# Prints the rows of doc/recording.md's table of stats for the traces given
# (sizes in MiB), from 'rmemu stats --json' and each trace's head (how far
# brk grew):
#   tests/traces/real/stats-table.sh RMEMU TRACE...
set -eu
[ $# -ge 2 ] || { echo "usage: $0 RMEMU TRACE..." >&2; exit 2; }
rmemu=$1
shift

echo "| trace | peak mappings | peak mapped | peak committed | largest reservation | mmap-area needed | mmap-area written | brk grew by | layer's RAM at the peak | layer's caps at the peak |"
echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
for t in "$@"; do
	brk=$(sed -n 's/^# The program break .* grew by \(0x[0-9a-f]*\) bytes.*/\1/p' "$t")
	"$rmemu" stats --json "$t" | awk -v name="${t##*/}" -v brk="$((${brk:-0}))" '
	function field(key,   rest) {
		if (!match($0, "\"" key "\": [0-9]+")) return 0
		rest = substr($0, RSTART, RLENGTH)
		sub(/.*: /, "", rest)
		return rest + 0
	}
	function mib(n) { return sprintf("%.1f", n / 1048576) }
	{
		printf "| %s | %d | %s | %s | %s | %s | %s | %s | %s | %d |\n", name, field("peak_mappings"),
		       mib(field("peak_mapped_bytes")), mib(field("peak_committed_bytes")),
		       mib(field("largest_reservation_bytes")), mib(field("needed_bytes")),
		       sprintf("%d", field("size") / 1048576), mib(brk), mib(field("peak_ram_bytes")),
		       field("peak_caps")
	}'
done
