#!/bin/sh
# ls on a pack whose deltas are all REF_DELTA (base named by id).
cd "$FIXTURES"/packs/refdelta && packcat ls pack-*.pack
