#!/bin/sh
# Several PACKs (.pack or .idx): each one's listing and histogram in turn,
# as git verify-pack -v prints them (without its "PACK: ok" lines).
a=$(echo "$FIXTURES"/packs/basic/pack-*.pack)
b=$(echo "$FIXTURES"/packs/sha256/pack-*.idx)
packcat ls "$a" >a.txt || exit $?
packcat ls "$b" >b.txt || exit $?
packcat ls "$a" "$b" >ab.txt || exit $?
cat a.txt b.txt | cmp -s - ab.txt && echo "ls A B = ls A; ls B"
packcat ls "${a%.pack}.idx" | cmp -s - a.txt && echo "ls X.idx = ls X.pack"
