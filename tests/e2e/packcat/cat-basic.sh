#!/bin/sh
# cat: type, size, existence, pretty-print and raw content, as git cat-file.
cd "$FIXTURES/repos/basic.git" || exit 2
packcat cat -t HEAD
packcat cat -s HEAD
packcat cat -e HEAD && echo "HEAD exists"
packcat cat -t v1.0
packcat cat -p v1.0
echo "--- -p of a tree: as git ls-tree"
packcat cat -p 'HEAD^{tree}'
echo "--- -p of a blob, by REV:path"
packcat cat -p v1.0:src/util.c | head -n 3
echo "--- TYPE: a tag peels to its commit, a commit to its tree"
packcat cat commit v1.0 | head -n 2
packcat cat tree v1.0 | od -An -c | head -n 2
echo "--- an abbreviated id, a branch"
packcat cat -t 2c32
packcat cat -s side
