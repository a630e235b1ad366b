#!/bin/sh
# Unknown or malformed options, global and per command: exit 2 each.
packcat --frobnicate ls x.pack 2>&1; echo "exit $?"
packcat -Z ls x.pack 2>&1; echo "exit $?"
packcat --stats=yes ls x.pack 2>&1; echo "exit $?"
packcat --window-size 2>&1; echo "exit $?"
packcat ls --frobnicate x.pack 2>&1; echo "exit $?"
packcat verify --threads 2>&1; echo "exit $?"
packcat stats -q x.pack 2>&1; echo "exit $?"
# A global option after the command is not a global option.
packcat ls --stats x.pack 2>&1
