#!/usr/bin/env bash
# Runs the conformance suite in both roles; one JUnit case per conformance case and role.
set -euo pipefail
out="${TEST_UNDECLARED_OUTPUTS_DIR:-$(mktemp -d)}"
exec /usr/bin/python3 "$(dirname "$0")/conformance.py" --wsp "$1" --role both \
  --json "$out/conformance.json" --markdown "$out/conformance.md" --junit "${XML_OUTPUT_FILE:-$out/junit.xml}"
