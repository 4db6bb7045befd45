#!/bin/sh
# Makes repo/: 2000 small text files in 40 directories and four commits,
# for git repack to pack.
set -eu
rm -rf repo
mkdir repo
cd repo
git init -q
for d in $(seq 1 40); do
	mkdir "d$d"
	for f in $(seq 1 50); do
		seq $((d * f)) $((d * f + 200)) >"d$d/f$f.txt"
	done
done
git add -A
git -c user.name=rmemu -c user.email=rmemu@localhost commit -qm init
for i in 1 2 3; do
	sed -i "1s/^/$i /" "d$i/f1.txt" "d$((i + 3))/f2.txt"
	git -c user.name=rmemu -c user.email=rmemu@localhost commit -qam "change $i"
done
