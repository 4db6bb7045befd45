#!/bin/sh
# Records the managed runtimes of the corpus as a user would, and keeps the
# traces the rest of the corpus lacks:
#   tests/traces/real/record-runtimes.sh [RMEMU [WORK]]
# RMEMU is the rmemu command (default: rmemu on the PATH), WORK where the
# recordings go (default: a temporary directory, removed afterwards). Needs
# strace, ptrace permission and Debian 12's golang-go, gccgo, openjdk-17,
# nodejs and python3.
#
# Recorded: workloads/work.go built with 'go build' and with 'gccgo', Java
# 17 running workloads/WordCount.java with G1 (its default here) and with
# ZGC, Node 20 and CPython 3.11 on their word counts. Kept here: go.trace,
# gccgo.trace and java-zgc.trace (java.trace, node.trace and python3.trace,
# recorded by record-corpus.sh, have the others).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
rmemu=${1:-rmemu}
case $rmemu in */*) rmemu=$(cd "$(dirname "$rmemu")" && pwd)/$(basename "$rmemu") ;; esac
if [ -n "${2:-}" ]; then
	work=$2
	mkdir -p "$work"
else
	work=$(mktemp -d)
	trap 'rm -rf "$work"' EXIT
fi
work=$(cd "$work" && pwd)
cp "$here"/workloads/* "$work"
cd "$work"

# the programs: Go's module cache and build cache stay in the scratch directory
export GOPATH="$work/gopath" GOCACHE="$work/gocache" GOFLAGS=-mod=mod
go mod init work >/dev/null 2>&1 || true
go build -o work-go work.go
gccgo -O2 -o work-gccgo work.go
javac WordCount.java

# record NAME COMMAND...: record COMMAND with prefix NAME, keeping its log
record() {
	name=$1
	shift
	"$rmemu" record -l "$name.log" -o "$name" -- "$@" >"$name.names" 2>"$name.err" ||
		{ cat "$name.err" >&2; exit 1; }
}

# main NAME PATTERN: the trace of NAME's recording whose execve line matches PATTERN
main() {
	t=$(grep -lE "^# execve\\($2" "$1".*trace | head -n 1)
	[ -n "$t" ] || { echo "no trace of $1 matches $2" >&2; exit 1; }
	echo "$t"
}

# keep NAME PATTERN: copy that trace here as NAME.trace
keep() {
	t=$(main "$1" "$2")
	cp "$t" "$here/$1.trace"
	echo "$1.trace: $(wc -c <"$t") bytes, from $t"
}

record go ./work-go
record gccgo ./work-gccgo
record java-g1 java -Xmx256m -XX:+UseG1GC -cp . WordCount 2000000
record java-zgc java -Xmx256m -XX:+UseZGC -cp . WordCount 2000000
record node node work.js
record python3 /usr/bin/python3 work.py

keep go '"./work-go"'
keep gccgo '"./work-gccgo"'
keep java-zgc '"[^"]*java"'
for n in java-g1 node python3; do
	echo "$n: $(main "$n" '"[^"]*(java|node|python3)"') (not kept)"
done
