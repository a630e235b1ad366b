#!/bin/sh
# ls without PACK: every pack of the repository (-C, or found from the
# current directory as git does, also from inside the git directory).
packcat -C "$FIXTURES/repos/basic.git" ls >c.txt || exit $?
(cd "$FIXTURES/repos/basic.git/refs/heads" && packcat ls) >found.txt || exit $?
packcat ls "$FIXTURES"/packs/basic/pack-*.pack >pack.txt || exit $?
# the last line names the pack, whose path differs
sed '$d' pack.txt >objects.txt
sed '$d' c.txt | cmp -s - objects.txt && echo "-C: the same as ls PACK"
sed '$d' found.txt | cmp -s - objects.txt && echo "found from a subfolder: the same as ls PACK"
head -n 3 c.txt
tail -n 3 c.txt | sed "s|$FIXTURES/||"
tail -n 1 found.txt | sed "s|.*/objects/pack/|.../objects/pack/|"
