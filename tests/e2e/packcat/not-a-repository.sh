#!/bin/sh
# Repository commands outside a repository, or with -C naming none: one
# error line on stderr, exit 3.
mkdir empty
if (cd empty && git rev-parse --git-dir) >/dev/null 2>&1; then
	echo "the test folder is inside a git repository: cannot test outside one"
	exit 77
fi
for cmd in ls verify stats packs "cat -t HEAD" batch; do
	(cd empty && packcat $cmd </dev/null) >out.txt 2>err.txt
	echo "$cmd: exit $?, $(wc -l <err.txt) line(s) on stderr, $(wc -c <out.txt) bytes on stdout"
done
sed "s|$PWD/||" err.txt
packcat -C no-such-dir packs 2>&1
echo "exit $?"
packcat -C empty packs 2>&1 | sed "s|$PWD/||"
