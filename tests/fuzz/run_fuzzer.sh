#!/usr/bin/env bash
# Replays a fuzz target's seed corpus and fuzzes for a bounded time (one JUnit case each).
#   run_fuzzer.sh BINARY CORPUS_DIR SECONDS
set -uo pipefail
binary=$1 corpus=$2 seconds=$3
source "$(dirname "$0")/../junit.sh"
work="${TEST_TMPDIR:-$(mktemp -d)}/corpus"
mkdir -p "$work"
cp -r "$corpus"/. "$work"/ 2>/dev/null || true
name=$(basename "$binary")
check "$name: replays the seed corpus" "$binary" -runs=0 "$work"
check "$name: fuzzes for ${seconds}s without a crash, leak or invariant failure" \
  "$binary" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 "$work"
junit_finish "$name"
