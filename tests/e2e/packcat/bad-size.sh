#!/bin/sh
# SIZE is digits with an optional k, m or g: anything else is bad usage (2).
for size in '' 12x -1 +5 ' 5' 5kb 1kk 0x10 1.5m 0 0k 18446744073709551616 17179869184g; do
	packcat --window-size "$size" ls x.pack 2>&1; echo "exit $?"
done
packcat --memory-limit 3q ls x.pack 2>&1; echo "exit $?"
packcat --delta-cache m ls x.pack 2>&1
