#!/bin/sh
# stats on the basic pack, text; the window counters' values depend on the
# manager's policy, so only their names are compared.
here=$PWD
cd "$FIXTURES/packs/basic" || exit 2
packcat stats pack-*.pack >"$here/out.txt"
rc=$?
sed '/^window statistics:/,$ s/ [0-9][0-9]*$/ N/' "$here/out.txt"
exit $rc
