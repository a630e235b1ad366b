#!/bin/sh
# Other option values: --fd-limit N, --object-format, verify --threads N.
packcat --fd-limit 0 ls x.pack 2>&1; echo "exit $?"
packcat --fd-limit 2k ls x.pack 2>&1; echo "exit $?"
packcat --fd-limit 99999999999 ls x.pack 2>&1; echo "exit $?"
packcat --object-format md5 ls x.pack 2>&1; echo "exit $?"
packcat --object-format SHA1 ls x.pack 2>&1; echo "exit $?"
packcat verify --threads many x.pack 2>&1; echo "exit $?"
packcat verify --threads -1 x.pack 2>&1
