#!/bin/sh
# ls without PACK: every pack of the repository (-C, or found from the
# current directory as git does, also from inside the git directory).
packcat -C "$FIXTURES/repos/basic.git" ls >c.txt || exit $?
(cd "$FIXTURES/repos/basic.git/refs/heads" && packcat ls) >found.txt || exit $?
packcat ls "$FIXTURES"/packs/basic/pack-*.pack >pack.txt || exit $?
cmp -s c.txt pack.txt && echo "-C: the same as ls PACK"
cmp -s found.txt pack.txt && echo "found from a subfolder: the same as ls PACK"
head -n 3 c.txt
tail -n 2 c.txt
