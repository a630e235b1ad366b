#!/bin/sh
# cat on names that name no object: exit 1 and one line on stderr (-e: no
# line); a malformed name: exit 2. git says "fatal: Not a valid object
# name" and exits 128 for all of them but -e on a well-formed id.
repo=$FIXTURES/repos/basic.git
for name in nonexist 0000000000000000000000000000000000000001 HEAD:nope 'v1.0^{blob}' \
	'HEAD^{foo}' 'HEAD^{' ''; do
	packcat -C "$repo" cat -t "$name" >out.txt 2>err.txt
	echo "-t '$name': exit $?, $(wc -c <out.txt) bytes on stdout"
	cat err.txt
	packcat -C "$repo" cat -e "$name" >out.txt 2>err.txt
	echo "-e '$name': exit $?, $(wc -c <out.txt) bytes on stdout, $(wc -l <err.txt) line(s) on stderr"
done
echo "--- an object that is not of type TYPE, nor leads to one"
packcat -C "$repo" cat blob v1.0; echo "exit $?"
packcat -C "$repo" cat tag HEAD; echo "exit $?"
