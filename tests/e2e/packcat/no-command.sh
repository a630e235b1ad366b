#!/bin/sh
# No command: one error line on stderr, nothing on stdout, exit 2.
packcat 2>&1
