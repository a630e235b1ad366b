#!/bin/sh
# ls on a SHA-256 pack: 64-digit ids, found from the idx.
cd "$FIXTURES"/packs/sha256 && packcat ls pack-*.idx
