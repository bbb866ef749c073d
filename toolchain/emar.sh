#!/bin/sh
# emar only forwards to llvm-ar; calling it directly saves the Python start-up.
exec /usr/bin/llvm-ar-14 "$@"
