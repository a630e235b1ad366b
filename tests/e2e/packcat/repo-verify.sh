#!/bin/sh
# verify without PACK: every pack, then every loose object's id recomputed.
# A loose object whose content does not hash to its name fails (exit 1),
# as does one that is not zlib data; the other objects are still checked.
# A loose copy of a packed object is checked too (reads never reach it).
packcat -C "$FIXTURES/repos/basic.git" verify; echo "fixture: exit $?"
cp -R "$FIXTURES/repos/basic.git" repo.git && chmod -R u+w repo.git || exit 2
export GIT_CONFIG_NOSYSTEM=1 HOME=$PWD
id=$(echo 'a loose blob' | git --git-dir=repo.git hash-object -w --stdin)
packcat -C repo.git verify; echo "a good loose object: exit $?"
# the file of one object under the name of another: a hash mismatch
bad=$(echo 'another blob' | git --git-dir=repo.git hash-object --stdin)
mkdir -p "repo.git/objects/$(echo "$bad" | cut -c1-2)"
cp "repo.git/objects/$(echo "$id" | cut -c1-2)/$(echo "$id" | cut -c3-)" \
	"repo.git/objects/$(echo "$bad" | cut -c1-2)/$(echo "$bad" | cut -c3-)"
packcat -C repo.git verify 2>err.txt; echo "a mismatched loose object: exit $?"
sed "s/$bad/BAD/; s/$id/GOOD/; s|$PWD/||" err.txt
# not zlib data at all
rm "repo.git/objects/$(echo "$bad" | cut -c1-2)/$(echo "$bad" | cut -c3-)"
printf 'garbage' >"repo.git/objects/$(echo "$bad" | cut -c1-2)/$(echo "$bad" | cut -c3-)"
packcat -C repo.git verify 2>err.txt; echo "a garbled loose object: exit $?"
sed "s/$bad/BAD/g; s|$PWD/||" err.txt
rm "repo.git/objects/$(echo "$bad" | cut -c1-2)/$(echo "$bad" | cut -c3-)"
# a bad loose copy of a packed object: git fsck reports it too
packed=$(git --git-dir=repo.git rev-parse HEAD)
mkdir -p "repo.git/objects/$(echo "$packed" | cut -c1-2)"
printf 'garbage' >"repo.git/objects/$(echo "$packed" | cut -c1-2)/$(echo "$packed" | cut -c3-)"
packcat -C repo.git verify 2>err.txt; echo "a garbled loose copy of a packed commit: exit $?"
sed "s/$packed/PACKED/g; s|$PWD/||; s|objects/[0-9a-f][0-9a-f]/[0-9a-f]*|objects/XX/PACKED|" err.txt
packcat -C repo.git cat -t "$packed"; echo "read from the pack: exit $?"
