#!/bin/sh
# stats --json is one well-formed JSON object, even for a path that needs escaping.
if command -v jq >/dev/null; then
	check() { jq -e 'type == "object"' >/dev/null; }
elif command -v python3 >/dev/null; then
	check() { python3 -c 'import json, sys; assert isinstance(json.load(sys.stdin), dict)'; }
else
	echo "neither jq nor python3 found"
	exit 77
fi
d=$(printf 'a "quoted"\\ dir\twith\001ctl\303\251\377')
mkdir "$d" && cp "$FIXTURES"/packs/basic/pack-* "$d"/ || exit 2
packcat stats --json "$d"/pack-*.idx >out.json || exit $?
check <out.json && echo "valid JSON"
set --
for name in basic basic-idx1 refdelta longchain bigblob sha256; do
	set -- "$@" "$FIXTURES/packs/$name"/pack-*.pack
done
packcat stats --json "$@" | check && echo "valid JSON, all packs"
