#!/bin/sh
# ls on a SHA-256 pack: 64-digit ids, found from the idx.
packcat ls "$FIXTURES"/packs/sha256/pack-*.idx
