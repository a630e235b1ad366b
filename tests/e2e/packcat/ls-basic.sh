#!/bin/sh
# ls on the basic fixture pack: git verify-pack -v's lines, without "PACK: ok".
packcat ls "$FIXTURES"/packs/basic/pack-*.pack
