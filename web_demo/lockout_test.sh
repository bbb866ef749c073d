#!/usr/bin/env bash
# 1000 attacking sockets need more descriptors than the usual soft limit of 1024.
set -euo pipefail
ulimit -n "$(ulimit -Hn)" 2>/dev/null || ulimit -n 8192 2>/dev/null || true
exec node "$(dirname "$0")/lockout_test.js" "$@"
