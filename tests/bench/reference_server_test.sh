#!/usr/bin/env bash
# The reference server (bench/bare_echo_server) is only a fair ceiling if it really echoes:
# a real client (Python websockets) checks every size class, text, and pipelined messages.
set -uo pipefail
server_binary=$1
source "$(dirname "$0")/../junit.sh"
source "$(dirname "$0")/../listening_port.sh"
out="${TEST_TMPDIR:-/tmp}/reference-server.out"
"$server_binary" 0 >"$out" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null' EXIT
port=$(wait_for_listening_port "$out") || {
  echo "the reference server did not start: $(cat "$out")"
  exit 1
}

echo_checks() {
  timeout 60 /usr/bin/python3 - "$port" "$1" <<'PY'
import asyncio, os, sys
import websockets

port, case = int(sys.argv[1]), sys.argv[2]

async def main():
    async with websockets.connect("ws://127.0.0.1:%d" % port, max_size=None, compression=None) as ws:
        if case == "sizes":
            # Every header length (7-bit, 16-bit, 64-bit) at and around its boundaries.
            for size in (0, 1, 125, 126, 127, 65535, 65536, 70000, 1 << 20, 5 << 20):
                data = os.urandom(size)
                await ws.send(data)
                assert await ws.recv() == data, size
        elif case == "text":
            for text in ("", "héllo wörld", "€" * 40000):
                await ws.send(text)
                assert await ws.recv() == text
        elif case == "pipelined":
            # Many frames per read, more than one sendmsg batch, in order.
            messages = [os.urandom(i * 37 % 3000) for i in range(500)]
            for m in messages:
                await ws.send(m)
            for m in messages:
                assert await ws.recv() == m

asyncio.run(main())
PY
}

check "reference server echoes every header length" echo_checks sizes
check "reference server echoes text" echo_checks text
check "reference server echoes pipelined messages in order" echo_checks pipelined
junit_finish reference_server_test
