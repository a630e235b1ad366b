#!/bin/sh
# batch answers each name as soon as it has read it, for a program that
# waits for the answer before writing the next name (a coprocess, as
# tools drive git cat-file --batch): output is flushed before waiting for
# input. Were it not, the first read below would wait forever.
mkfifo in out || exit 2
packcat -C "$FIXTURES/repos/basic.git" batch --check <in >out &
exec 3>in 4<out
echo HEAD >&3
read -r answer <&4
echo "$answer"
echo nonexist >&3
read -r answer <&4
echo "$answer"
echo 'v1.0' >&3
read -r answer <&4
echo "$answer"
exec 3>&-
wait $!
echo "exit $?"
