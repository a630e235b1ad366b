#!/bin/sh
# ls prints exactly what git verify-pack -v prints, its last line
# ("PACK: ok") included; ls --no-verify the same without that line.
command -v git >/dev/null || { echo "git not found"; exit 77; }
# git reads a SHA-256 pack only from within a SHA-256 repository.
git init -q --bare --object-format=sha256 sha256.git || exit 2
for name in basic basic-idx1 refdelta longchain bigblob sha256; do
	p=$(echo "$FIXTURES/packs/$name"/pack-*.pack)
	packcat ls "$p" >ours.txt || exit $?
	packcat ls --no-verify "$p" >header-only.txt || exit $?
	if [ "$name" = sha256 ]; then
		git --git-dir=sha256.git verify-pack -v "$p"
	else
		git verify-pack -v "$p"
	fi >git.txt
	cmp -s ours.txt git.txt && echo "$name: same as git" || echo "$name: DIFFERENT from git"
	sed '$d' git.txt | cmp -s header-only.txt - && echo "$name: --no-verify: same, without the last line"
done
