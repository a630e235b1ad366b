#!/bin/sh
# Without PACK arguments a command would read the repository: not there yet.
packcat ls 2>&1; echo "exit $?"
packcat -C "$FIXTURES/repos/basic.git" verify 2>&1; echo "exit $?"
packcat stats --json 2>&1
