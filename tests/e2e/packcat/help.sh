#!/bin/sh
# packcat --help: the global usage on stdout, exit 0 (-h says the same).
packcat -h >short.txt || exit $?
packcat --help >long.txt || exit $?
cmp -s short.txt long.txt || echo "-h and --help differ"
cat long.txt
