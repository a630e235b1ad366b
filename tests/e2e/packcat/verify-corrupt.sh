#!/bin/sh
# A pack with one byte changed fails verification: exit 1 and one error
# line naming it; the packs after it are still checked.
cp "$FIXTURES"/packs/basic/pack-* . || exit 2
p=$(echo pack-*.pack)
# Byte 2000 lies inside an object's deflated data: flip its bits.
printf '\377' | dd of="$p" bs=1 seek=2000 conv=notrunc 2>/dev/null
good=$(echo "$FIXTURES"/packs/refdelta/pack-*.pack)
packcat verify "$p" "$good" >out.txt 2>err.txt
rc=$?
echo "exit $rc, $(wc -l <err.txt) line(s) on stderr, $(wc -c <out.txt) bytes on stdout"
grep -q "^packcat: .*$p" err.txt && echo "the message names the corrupt pack"
grep -q "refdelta" err.txt && echo "the good pack is blamed too"
exit $rc
