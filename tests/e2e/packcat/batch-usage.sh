#!/bin/sh
# batch misuse: a bad format or an argument: one error line, exit 2,
# before reading any input.
repo=$FIXTURES/repos/basic.git
echo HEAD | packcat -C "$repo" batch --format '%(objectname) %(bogus)' 2>&1; echo "exit $?"
echo HEAD | packcat -C "$repo" batch --format '%(objectname' 2>&1; echo "exit $?"
echo HEAD | packcat -C "$repo" batch HEAD 2>&1; echo "exit $?"
echo HEAD | packcat -C "$repo" batch --format 2>&1; echo "exit $?"
echo HEAD | packcat -C "$repo" batch --check=yes 2>&1; echo "exit $?"
echo HEAD | packcat -C "$repo" batch --batch-check 2>&1; echo "exit $?"
echo HEAD | packcat -C "$repo" batch --all --threads many 2>&1; echo "exit $?"
