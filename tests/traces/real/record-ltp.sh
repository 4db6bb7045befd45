#!/bin/sh
# Records the Linux Test Project's mmap-family tests as a user would, and
# keeps in ltp/ the traces that exercise what the rest of the corpus lacks:
#   tests/traces/real/record-ltp.sh LTP-BUILD [RMEMU [WORK]]
# LTP-BUILD is a built LTP tree (its lib and the test directories below:
# ./configure && make -C lib && make -C testcases/kernel/syscalls/DIR for
# each); its source is not part of rmemu. RMEMU is the rmemu command
# (default: rmemu on the PATH), WORK where the recordings go (default: a
# temporary directory, removed afterwards). Needs root (LTP's tests of locks
# and of the map-count limit want it), strace and ptrace permission.
#
# Every test is recorded with 'rmemu record -l LOG' (so with
# vm.max_map_count read from /proc) in WORK/TEST/. Then:
# - the trace of the process that ran each kept test's case (the one LTP's
#   library forked last; see keep) is copied to ltp/TEST.trace;
# - munmap04 maps until vm.max_map_count refuses (65,530 here: 131,000
#   operations). ltp/munmap04-trimmed.trace keeps its log's lines but all
#   of its 3-page reservations after the first 1000 (and their munmaps),
#   imported with vm.max_map_count lowered by as many: the same calls, the
#   same refusals, at a limit of about 1000 instead of 65,506.
set -eu
[ $# -ge 1 ] || { echo "usage: $0 LTP-BUILD [RMEMU [WORK]]" >&2; exit 2; }
here=$(cd "$(dirname "$0")" && pwd)
ltp=$(cd "$1" && pwd)
rmemu=${2:-rmemu}
case $rmemu in */*) rmemu=$(cd "$(dirname "$rmemu")" && pwd)/$(basename "$rmemu") ;; esac
if [ -n "${3:-}" ]; then
	work=$3
	mkdir -p "$work"
else
	work=$(mktemp -d)
	trap 'rm -rf "$work"' EXIT
fi
work=$(cd "$work" && pwd)
mkdir -p "$work/tmp" "$here/ltp"
dirs="mmap munmap mprotect mremap madvise msync mlock mlock2 munlock mlockall mincore"

for d in $dirs; do
	for t in "$ltp/testcases/kernel/syscalls/$d"/*; do
		[ -f "$t" ] && [ -x "$t" ] || continue
		name=${t##*/}
		mkdir -p "$work/$name"
		(cd "$work/$name" && TMPDIR="$work/tmp" timeout 900 "$rmemu" record -l "$name.log" \
			-o "$name" -- "$t" >run.out 2>run.err) ||
			echo "$name: rmemu record exited $? (see $work/$name/run.err)" >&2
	done
done

# keep TEST: the trace of the test's own case: the process LTP's library
# forks from the test's main process last (the others run helpers like
# tst_kconfig), or the main process itself for a test that does not fork
keep() {
	main=$(grep -l "^# execve(\"[^\"]*/$1\"" "$work/$1/$1".*.trace | head -n 1)
	pid=$(sed -n 's/^# From strace: pid \([0-9]*\),.*/\1/p' "$main")
	t=$(grep -l "^# Forked from pid $pid:" "$work/$1/$1".*.trace |
	    sed 's/.*\.\([0-9]*\)\.trace$/\1 &/' | sort -n | tail -n 1 | cut -d' ' -f2)
	t=${t:-$main}
	[ -n "$t" ] || { echo "no trace of $1" >&2; exit 1; }
	cp "$t" "$here/ltp/$1.trace"
	echo "ltp/$1.trace: $(wc -c <"$t") bytes, from ${t#"$work"/}"
}

keep mmap06      # no mapping type (MAP_FILE alone): EINVAL
keep mmap20      # MAP_SHARED_VALIDATE with an unknown flag: EOPNOTSUPP
keep mmap01      # file mappings, msync
keep madvise02   # MADV_DONTNEED on locked memory: EINVAL
keep msync03     # msync's flags, MS_INVALIDATE on locked memory: EBUSY
keep mlock201    # mlock2 with MLOCK_ONFAULT
keep mlockall01  # mlockall with MCL_CURRENT, MCL_FUTURE, both
keep mremap05    # MREMAP_FIXED without MREMAP_MAYMOVE: EINVAL

# munmap04, trimmed (see above)
log=$work/munmap04/munmap04.log
sys=$(cat /proc/sys/vm/max_map_count)
awk -v K=1000 -v removed="$work/munmap04/removed" '
/MAP_FIXED_NOREPLACE, -1, 0\) = 0x/ {
	if (++n > K) { split($2, a, "("); sub(/,$/, "", a[2]); drop[a[2]] = 1; r++; next }
}
/munmap\(0x[0-9a-f]+, 12288\) += 0$/ { split($2, a, "("); sub(/,$/, "", a[2]); if (a[2] in drop) next }
{ print }
END { print r + 0 > removed }' "$log" >"$work/munmap04/munmap04-trimmed.log"
mkdir -p "$work/munmap04/trimmed"
"$rmemu" import-strace --max-map-count $((sys - $(cat "$work/munmap04/removed"))) \
	-o "$work/munmap04/trimmed" "$work/munmap04/munmap04-trimmed.log" >/dev/null 2>&1
t=$(grep -l "^map-count-max" "$work/munmap04/trimmed"/*.trace | head -n 1)
[ -n "$t" ] || { echo "munmap04, trimmed: no trace with map-count-max" >&2; exit 1; }
{
	head -n 1 "$t"
	grep -h -m 1 '^# Recorded with: ' "$work/munmap04"/munmap04.*.trace
	echo "# LTP's munmap04, trimmed by tests/traces/real/record-ltp.sh: its log's reservations after"
	echo "# the first 1000 (and their munmaps) left out, imported with vm.max_map_count lowered by"
	echo "# as many ($sys - $(cat "$work/munmap04/removed"))."
	tail -n +2 "$t"
} >"$here/ltp/munmap04-trimmed.trace"
echo "ltp/munmap04-trimmed.trace: $(wc -c <"$here/ltp/munmap04-trimmed.trace") bytes"
