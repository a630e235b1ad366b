#!/bin/sh
# --stats: counters on stderr at exit, one "name value" line each; stdout untouched.
p=$(echo "$FIXTURES"/packs/basic/pack-*.pack)
packcat ls "$p" >plain.txt || exit $?
packcat --stats ls "$p" >out.txt 2>err.txt
rc=$?
cmp -s plain.txt out.txt && echo "stdout is the same as without --stats"
grep -v '^[a-z_]* [0-9][0-9]*$' err.txt
cut -d' ' -f1 err.txt
exit $rc
