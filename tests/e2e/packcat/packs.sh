#!/bin/sh
# packs: one line per pack of the repository: path, objects, bytes.
packcat -C "$FIXTURES/repos/basic.git" packs | sed "s|$FIXTURES|FIXTURES|"
packcat -C "$FIXTURES/repos/sha256.git" packs | sed "s|$FIXTURES|FIXTURES|"
packcat -C "$FIXTURES/repos/basic.git" packs --json | sed "s|$FIXTURES|FIXTURES|"
packcat -C "$FIXTURES/repos/basic.git" packs --json | python3 -c 'import json, sys; p = json.load(sys.stdin); print(len(p), "pack(s),", p[0]["objects"], "objects, flags", p[0]["flags"])'
packcat -C "$FIXTURES/repos/basic.git" packs extra 2>&1
echo "exit $?"
