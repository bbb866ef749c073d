#!/usr/bin/env bash
# Runs a Python test script with Debian's interpreter (the one with python3-websockets).
exec /usr/bin/python3 "$@"
