#!/bin/sh
# Commands of the contract that are not implemented yet say so; exit 3.
packcat cat -t HEAD 2>&1; echo "exit $?"
packcat batch --check 2>&1; echo "exit $?"
packcat packs 2>&1
