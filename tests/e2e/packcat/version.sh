#!/bin/sh
# packcat --version: packcat's and the library's versions, MAJOR.MINOR.PATCH each.
out=$(packcat --version) || exit $?
printf '%s\n' "$out" | sed -E 's/[0-9]+\.[0-9]+\.[0-9]+/X.Y.Z/g'
