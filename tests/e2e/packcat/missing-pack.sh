#!/bin/sh
# A PACK that does not exist: one error line naming the file; exit 3 (I/O).
for cmd in ls verify stats; do
	packcat $cmd no-such-pack.pack >out.txt 2>err.txt
	rc=$?
	echo "$cmd: exit $rc, $(wc -l <err.txt) line(s) on stderr, $(wc -c <out.txt) bytes on stdout"
	grep -q '^packcat: .*no-such-pack' err.txt && echo "$cmd: the message names the file"
done
exit $rc
