#!/bin/sh
# cat misuse: one error line, exit 2.
repo=$FIXTURES/repos/basic.git
packcat -C "$repo" cat 2>&1; echo "exit $?"
packcat -C "$repo" cat HEAD 2>&1; echo "exit $?"
packcat -C "$repo" cat -t 2>&1; echo "exit $?"
packcat -C "$repo" cat -t -s HEAD 2>&1; echo "exit $?"
packcat -C "$repo" cat -p HEAD HEAD 2>&1; echo "exit $?"
packcat -C "$repo" cat blob 2>&1; echo "exit $?"
packcat -C "$repo" cat object HEAD 2>&1; echo "exit $?"
packcat -C "$repo" cat ofs-delta HEAD 2>&1; echo "exit $?"
packcat -C "$repo" cat -x HEAD 2>&1; echo "exit $?"
packcat -C "$repo" cat --type HEAD 2>&1; echo "exit $?"
