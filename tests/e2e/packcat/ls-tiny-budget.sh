#!/bin/sh
# Under a tiny budget (as git's t5301-sliding-window) the output is the same.
for name in basic longchain bigblob; do
	p=$(echo "$FIXTURES/packs/$name"/pack-*.pack)
	packcat ls "$p" >default.txt || exit $?
	packcat --window-size 4k --memory-limit 16k --fd-limit 1 --delta-cache 1k \
		ls "$p" >tiny.txt || exit $?
	packcat --window-size 4k --memory-limit 16k --fd-limit 1 --no-mmap \
		ls "$p" >tiny-no-mmap.txt || exit $?
	cmp -s default.txt tiny.txt && echo "$name: tiny budget: same"
	cmp -s default.txt tiny-no-mmap.txt && echo "$name: tiny budget, no mmap: same"
done
