#!/bin/sh
# refs: git show-ref's listing and options; a broken ref left out with a warning.
cp -R "$FIXTURES/repos/basic.git" r.git || exit 2
packcat -C r.git refs
echo "--- --head -d --tags"
packcat -C r.git refs --head -d --tags
echo "--- patterns"
packcat -C r.git refs main v1.0
packcat -C r.git refs ain; echo "rc=$?"
echo "--- --json"
packcat -C r.git refs --json heads/main v1.0
echo "--- a stray file under refs/heads/"
echo 'not a ref' > r.git/refs/heads/dummy-marker.txt
packcat -C r.git refs --heads 2>err.txt; echo "rc=$?"
sed 's/(.*)$/(...)/' err.txt
