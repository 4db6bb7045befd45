# tests/testlib.sh: what the shell suites share; each sources it first.
#
# - $rmemu, the command under test: top_builddir's rmemu, or in
#   'make check-valgrind' (where the harness's LOG_COMPILER runs valgrind,
#   passed on as $memcheck) tests/memcheck-run, which runs it under
#   memcheck with the flags the Check suites get there. A run with a
#   memcheck error exits 99 and is noted, and finish counts every noted
#   run as a failure, also where the suite expected rmemu to fail.
# - no_memcheck REASON: for a suite that must run the real rmemu even there.
# - result OK|FAIL|SKIP NAME [DETAIL]: one line per check, counted.
# - finish: the closing line "N passed, N failed, N skipped" and the exit
#   status (0 only if nothing failed and something passed).
set -u
rmemu="${top_builddir:-..}/rmemu"
case $rmemu in /*) ;; *) rmemu="$PWD/$rmemu" ;; esac
passed=0
failed=0
skipped=0

# Under check-valgrind: every rmemu run of the suite under memcheck.
RMEMU_MEMCHECK_ERRORS=
case ${memcheck:-} in
*valgrind*)
	RMEMU_MEMCHECK_ERRORS="$(dirname "$rmemu")/tests/$(basename "$0" .test).memcheck"
	: >"$RMEMU_MEMCHECK_ERRORS" || exit 99
	RMEMU_REAL="$rmemu"
	rmemu="${top_srcdir:-..}/tests/memcheck-run"
	case $rmemu in /*) ;; *) rmemu="$PWD/$rmemu" ;; esac
	export RMEMU_MEMCHECK_ERRORS RMEMU_REAL memcheck
	echo "NOTE: rmemu runs under memcheck: $memcheck"
	;;
esac

no_memcheck() {
	if [ -n "$RMEMU_MEMCHECK_ERRORS" ]; then
		rmemu="$RMEMU_REAL"
		RMEMU_MEMCHECK_ERRORS=
		echo "NOTE: but not in this suite: $1"
	fi
}

result() {
	case $1 in
	OK) passed=$((passed + 1)); echo "PASS: $2" ;;
	SKIP) skipped=$((skipped + 1)); echo "SKIP: $2${3:+: $3}" ;;
	*) failed=$((failed + 1)); echo "FAIL: $2: ${3:-}" ;;
	esac
}

finish() {
	if [ -n "$RMEMU_MEMCHECK_ERRORS" ] && [ -s "$RMEMU_MEMCHECK_ERRORS" ]; then
		n=$(grep -c '^memcheck: ' "$RMEMU_MEMCHECK_ERRORS")
		failed=$((failed + n))
		echo "FAIL: memcheck found errors in $n rmemu runs:"
		head -n 60 "$RMEMU_MEMCHECK_ERRORS"
	fi
	echo "$passed passed, $failed failed, $skipped skipped"
	[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
}
