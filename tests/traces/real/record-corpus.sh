#!/bin/sh
# Records the corpus of real programs in this directory again:
#   tests/traces/real/record-corpus.sh [RMEMU]
# RMEMU is the rmemu command (default: rmemu on the PATH). Needs strace,
# ptrace permission, and the programs: java and javac, python3, perl, node,
# gcc, sqlite3, git, xz (Debian 12's). Each workload runs in a scratch
# directory on the inputs in workloads/; the traces of the processes worth
# keeping are copied here under the program's name. README.md lists them.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
rmemu=${1:-rmemu}
case $rmemu in */*) rmemu=$(cd "$(dirname "$rmemu")" && pwd)/$(basename "$rmemu") ;; esac
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp "$here"/workloads/* "$work"
cd "$work"

# the inputs
javac WordCount.java
python3 gen_big_c.py
sh make_repo.sh
head -c 8000000 "$(find /usr/lib/jvm -name libjvm.so | head -n 1)" >big.bin

# record NAME COMMAND...: record COMMAND with prefix NAME, quietly
record() {
	name=$1
	shift
	"$rmemu" record -o "rec-$name" -- "$@" >"rec-$name.names" 2>"rec-$name.err" ||
		{ cat "rec-$name.err" >&2; exit 1; }
}

# keep NAME PATTERN TARGET: copy the trace of NAME's recording whose execve
# line matches PATTERN (a grep -E expression) to TARGET.trace
keep() {
	t=$(grep -lE "^# execve\\($2" rec-"$1".*trace | head -n 1)
	[ -n "$t" ] || { echo "no trace of $1 matches $2" >&2; exit 1; }
	cp "$t" "$here/$3.trace"
	echo "$3.trace: $(wc -c <"$t") bytes, from ${t#./}"
}

record java java -Xmx256m -cp . WordCount 2000000
keep java '"[^"]*java"' java
record python3 /usr/bin/python3 work.py
keep python3 '"/usr/bin/python3"' python3
record perl perl work.pl
keep perl '"/usr/bin/perl"' perl
record node node work.js
keep node '"/usr/bin/node"' node
record gcc gcc -O2 -c big.c -o big.o
keep gcc '"[^"]*/cc1"' cc1
keep gcc '"/usr/bin/as"' as
record sqlite3 sqlite3 words.db ".read work.sql"
keep sqlite3 '"/usr/bin/sqlite3"' sqlite3
record git git -C repo -c gc.auto=0 repack -adf --threads=2 -q
keep git '"/usr/bin/git", \["git", "-C"' git-repack
keep git '.*"pack-objects"' git-pack-objects
record xz xz -T2 --block-size=2MiB -6 -k -f -q big.bin
keep xz '"/usr/bin/xz"' xz
