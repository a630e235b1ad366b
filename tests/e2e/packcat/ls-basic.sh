#!/bin/sh
# ls on the basic fixture pack: git verify-pack -v's lines, "PACK: ok" last.
cd "$FIXTURES"/packs/basic && packcat ls pack-*.pack
