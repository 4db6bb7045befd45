#!/bin/sh
# Prints doc/recording.md's tables of the corpus for the traces given:
#   tests/traces/real/stats-table.sh [--ops] RMEMU TRACE...
# their stats (sizes in MiB), from 'rmemu stats --json' and each trace's
# head (how far brk grew); with --ops, their operations by kind, the calls
# kept as comments and the command line they were recorded with.
set -eu
ops=0
if [ "${1:-}" = --ops ]; then
	ops=1
	shift
fi
[ $# -ge 2 ] || { echo "usage: $0 [--ops] RMEMU TRACE..." >&2; exit 2; }
rmemu=$1
shift

if [ "$ops" = 1 ]; then
	echo "| trace | command line | operations | mmap | munmap | mprotect | mremap | madvise | msync | locks | calls kept as comments | bytes |"
	echo "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
	for t in "$@"; do
		cmd=$(sed -n 's/^# Recorded with: rmemu record -- //p' "$t" | head -n 1)
		comments=$(sed -n 's/^# From strace: .* \([0-9]*\) calls kept as comments.*/\1/p' "$t")
		"$rmemu" stats --json "$t" | awk -v name="$t" -v cmd="$cmd" -v comments="$comments" \
			-v bytes="$(wc -c <"$t")" '
		function field(key,   rest) {
			if (!match($0, "\"" key "\": [0-9]+")) return 0
			rest = substr($0, RSTART, RLENGTH)
			sub(/.*: /, "", rest)
			return rest + 0
		}
		{
			printf "| %s | `%s` | %d | %d | %d | %d | %d | %d | %d | %d | %d | %d |\n", name, cmd,
			       field("total"), field("mmap"), field("munmap"), field("mprotect"),
			       field("mremap"), field("madvise"), field("msync"),
			       field("mlock") + field("munlock") + field("mlockall") + field("munlockall"),
			       comments, bytes
		}'
	done
	exit 0
fi

echo "| trace | peak mappings | peak mapped | peak committed | largest reservation | mmap-area needed | mmap-area written | brk grew by | layer's RAM at the peak | layer's caps at the peak |"
echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
for t in "$@"; do
	brk=$(sed -n 's/^# The program break .* grew by \(0x[0-9a-f]*\) bytes.*/\1/p' "$t")
	"$rmemu" stats --json "$t" | awk -v name="$t" -v brk="$((${brk:-0}))" '
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
