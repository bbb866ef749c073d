#!/usr/bin/env bash
# Bazel entry point for run_web_tests.js (Node finds playwright-core through NODE_PATH).
set -euo pipefail
export NODE_PATH="${WSPEER_NODE_MODULES:-}"
exec node "$(dirname "$0")/run_web_tests.js" "$@"
