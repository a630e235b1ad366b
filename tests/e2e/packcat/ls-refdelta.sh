#!/bin/sh
# ls on a pack whose deltas are all REF_DELTA (base named by id).
packcat ls "$FIXTURES"/packs/refdelta/pack-*.pack
