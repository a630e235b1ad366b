#!/bin/sh
# An unknown command is bad usage: one error line, exit 2.
packcat frobnicate pack.pack 2>&1
