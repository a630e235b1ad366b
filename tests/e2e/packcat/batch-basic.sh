#!/bin/sh
# batch and batch --check on names from stdin: found, missing, malformed;
# lines git splits or trims: the same bytes as git cat-file.
repo=$FIXTURES/repos/basic.git
printf '%s\n' HEAD v1.0 2c32 HEAD:README nonexist HEAD:nope 'HEAD^{foo}' '' ' HEAD' \
	'HEAD extra words' 'HEAD^{tree}' >names.txt
printf 'HEAD\r\nv1.0' >>names.txt
packcat -C "$repo" batch --check <names.txt
echo "--- with %(rest)"
packcat -C "$repo" batch --check --format '%(objectname) %(objecttype) [%(rest)]' <names.txt
echo "--- every atom, and text around them"
echo v1.0 | packcat -C "$repo" batch --check \
	--format '%(objectname) %(objecttype) %(objectsize) %(objectsize:disk) %(deltabase) %% %x 100%'
echo "HEAD:src/util.c" | packcat -C "$repo" batch --check --format '%(objectsize:disk) %(deltabase)'
echo "--- --batch: the line, the content, a newline"
printf 'HEAD:link\nnonexist\nHEAD:empty\n' | packcat -C "$repo" batch | od -An -c
echo "--- --all"
packcat -C "$repo" batch --all --check >sorted.txt || exit $?
head -n 3 sorted.txt
wc -l <sorted.txt
packcat -C "$repo" batch --all --unordered --check | sort >unordered.txt
cmp -s sorted.txt unordered.txt && echo "--unordered: the same objects"
