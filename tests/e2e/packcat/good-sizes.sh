#!/bin/sh
# Valid SIZEs in every form (bytes, k, m, g, either case) are accepted.
P=$(echo "$FIXTURES"/packs/basic/pack-*.pack)
packcat ls "$P" >default.txt || exit $?
for opts in "--window-size 65536" "--window-size 64k --memory-limit 1M" \
	"--window-size 1m --memory-limit 1g" "--delta-cache 1G" "--delta-cache 7" \
	"--window-size=32K --memory-limit=512k --fd-limit=3"; do
	packcat $opts ls "$P" | cmp -s - default.txt && echo "same: $opts" || echo "DIFFERENT: $opts"
done
