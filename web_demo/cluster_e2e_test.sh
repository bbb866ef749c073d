#!/usr/bin/env bash
set -euo pipefail
export NODE_PATH="${WSPEER_NODE_MODULES:-}"
exec node "$(dirname "$0")/cluster_e2e_test.js" "$@"
