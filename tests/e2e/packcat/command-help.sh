#!/bin/sh
# Each command's own --help (and -h): its usage on stdout, exit 0.
for cmd in ls verify stats cat batch packs refs; do
	packcat $cmd --help || exit $?
	packcat $cmd -h >short.txt || exit $?
	packcat $cmd --help | cmp -s - short.txt || echo "$cmd: -h and --help differ"
	echo "--- end of $cmd"
done
