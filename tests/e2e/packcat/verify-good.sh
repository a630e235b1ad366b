#!/bin/sh
# verify on good packs: silent (stderr is not a terminal), exit 0.
set --
for name in basic basic-norev basic-idx1 basic-idx64 refdelta longchain bigblob sha256; do
	set -- "$@" "$FIXTURES/packs/$name"/pack-*.pack
done
packcat verify "$@" 2>&1; echo "exit $?"
packcat verify --threads 1 "$FIXTURES"/packs/sha256/pack-*.idx 2>&1; echo "exit $?"
packcat --window-size 4k --memory-limit 64k --fd-limit 1 verify --threads 2 \
	"$FIXTURES"/packs/longchain/pack-*.pack 2>&1
