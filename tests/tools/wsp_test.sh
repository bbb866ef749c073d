#!/usr/bin/env bash
# End-to-end tests of the wsp command-line tool: wsp connect and wsp echo-client against
# wsp echo-server, over ws:// and wss://.
set -u
WSP="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
VERSION_H="$(cd "$(dirname "$2")" && pwd)/$(basename "$2")"
source "$(dirname "$0")/../junit.sh"
source "$(dirname "$0")/../listening_port.sh"
WORK="${TEST_TMPDIR:-$(mktemp -d)}/wsp_e2e"
mkdir -p "$WORK"
cd "$WORK"
# Cases run in subshells (check), so servers are recorded in a file, not a shell array: the
# ones a failing case left behind are stopped on exit.
SERVER_PIDS="$WORK/server.pids"
cleanup() {
  [ -f "$SERVER_PIDS" ] || return 0
  while read -r pid; do kill -9 "$pid" 2>/dev/null; done <"$SERVER_PIDS"
}
trap cleanup EXIT

# Starts an echo server with the given flags; sets PORT and SERVER_PID.
start_server() {
  local out="$WORK/server.$RANDOM.out"
  "$WSP" echo-server --port 0 "$@" >"$out" 2>"$out.err" &
  SERVER_PID=$!
  echo "$SERVER_PID" >>"$SERVER_PIDS"
  PORT=$(wait_for_listening_port "$out") && return 0
  echo "server did not start: $(cat "$out.err")"
  return 1
}

text_echo() {
  local out err
  out=$(printf 'hello\nwörld\n' | timeout 10 "$WSP" connect "ws://127.0.0.1:$PORT/chat" 2>err.txt)
  err=$(cat err.txt)
  [ "$out" = $'hello\nwörld' ] || { echo "stdout: $out"; return 1; }
  grep -q "closed with code 1000" <<<"$err" || { echo "stderr: $err"; return 1; }
}

binary_echo() {
  local out
  out=$(printf 'bar\n' | timeout 10 "$WSP" connect --binary "ws://127.0.0.1:$PORT/" 2>/dev/null)
  [ "$out" = "<binary 3 bytes> 626172" ] || { echo "stdout: $out"; return 1; }
}

subprotocol() {
  printf 'x\n' | timeout 10 "$WSP" connect --protocol other --protocol chat "ws://127.0.0.1:$PORT/" >/dev/null 2>err.txt
  grep -q "with sub-protocol chat" err.txt || { cat err.txt; return 1; }
}

header_and_ipv6_url() {
  if ! python3 -c 'import socket; socket.socket(socket.AF_INET6).bind(("::1", 0))' 2>/dev/null; then
    echo "no IPv6 loopback on this machine: skipped"
    return 0
  fi
  printf 'v6\n' | timeout 10 "$WSP" connect --header 'X-Token: 1' "ws://[::1]:$PORT/" 2>err.txt | grep -qx v6 ||
    { cat err.txt; return 1; }
}

message_limit() {
  printf '0123456789ABC\n' | timeout 10 "$WSP" connect "ws://127.0.0.1:$PORT/" >/dev/null 2>err.txt
  grep -q "closed with code 1009" err.txt || { cat err.txt; return 1; }
}

refused_exits_nonzero() {
  local closed_port
  closed_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  if timeout 10 "$WSP" connect "ws://127.0.0.1:$closed_port/" </dev/null 2>err.txt; then return 1; fi
  grep -q "refused" err.txt || { cat err.txt; return 1; }
}

tls_with_ca() {
  printf 'secure\n' | timeout 10 "$WSP" connect --ca ca.pem "wss://localhost:$PORT/" 2>err.txt | grep -qx secure ||
    { cat err.txt; return 1; }
}

tls_unknown_ca_fails() {
  if printf 'x\n' | timeout 10 "$WSP" connect "wss://localhost:$PORT/" >/dev/null 2>err.txt; then return 1; fi
  grep -q "unknown issuer" err.txt || { cat err.txt; return 1; }
}

tls_insecure() {
  printf 'risky\n' | timeout 10 "$WSP" connect --insecure "wss://localhost:$PORT/" 2>err.txt | grep -qx risky ||
    { cat err.txt; return 1; }
}

echo_client_role() {
  # A Python websockets server drives wsp echo-client: it sends messages, checks the echoes and
  # closes; echo-client must exit 0.
  /usr/bin/python3 - "$WSP" <<'PY'
import asyncio, subprocess, sys, websockets
async def handler(ws, path):
    await ws.send("text one")
    assert await ws.recv() == "text one"
    await ws.send(b"\x00\xffbinary")
    assert await ws.recv() == b"\x00\xffbinary"
    await ws.send(iter(["frag", "ments"]))
    assert await ws.recv() == "fragments"
    await ws.close(1000, "done")
async def main():
    async with websockets.serve(handler, "127.0.0.1", 0) as server:
        port = server.sockets[0].getsockname()[1]
        proc = await asyncio.create_subprocess_exec(sys.argv[1], "echo-client", f"ws://127.0.0.1:{port}/")
        code = await asyncio.wait_for(proc.wait(), 10)
        sys.exit(code)
asyncio.run(main())
PY
}

# Ctrl-C to the server started last while a client is connected: the server must exit cleanly
# and the client must report `expected` in its close line.
interrupt_with_a_client() {
  local expected=$1 pid=$SERVER_PID
  (sleep 5 | timeout 10 "$WSP" connect "ws://127.0.0.1:$PORT/" >/dev/null 2>err.txt) &
  local client=$!
  sleep 0.5
  kill -INT "$pid"
  wait "$client"
  wait "$pid" || { echo "server exit status $?"; return 1; }
  grep -q "$expected" err.txt || { cat err.txt; return 1; }
}

interrupt_closes_clients_with_1001() {
  start_server --host 127.0.0.1 --quiet || return 1
  interrupt_with_a_client "closed with code 1001, reason: server shutting down"
}

threads_serve_and_stop() {  # --threads 3: every client echoed, Ctrl-C stops every thread
  start_server --host 127.0.0.1 --threads 3 || return 1
  local i
  for i in $(seq 1 12); do text_echo || return 1; done
  interrupt_with_a_client "closed with code 1001" || return 1
  ! "$WSP" echo-server --threads 0 2>/dev/null || { echo "accepted --threads 0"; return 1; }
}

busy_poll_server_echoes() {
  start_server --host 127.0.0.1 --quiet --busy-poll 200 || return 1
  text_echo || return 1
  ! "$WSP" echo-server --busy-poll 100001 2>/dev/null || { echo "accepted an oversized window"; return 1; }
}

help_texts() {
  "$WSP" --help | grep -q "echo-server" &&
    "$WSP" connect --help | grep -q "Examples" &&
    "$WSP" echo-server --help | grep -q -- "--max-message" &&
    "$WSP" echo-server --help | grep -q -- "--busy-poll" &&
    "$WSP" echo-client --help | grep -q "Example" &&
    "$WSP" relay-server --help | grep -q -- "--token" &&
    "$WSP" relay-client --help | grep -q "@ID" &&
    ! "$WSP" connect --bogus 2>/dev/null
}

version() {
  local header
  header=$(sed -n 's/^#define WSPEER_VERSION "\(.*\)"/\1/p' "$VERSION_H")
  [ -n "$header" ] && [ "$("$WSP" --version)" = "wsp $header (wspeer $header)" ] ||
    { echo "wsp --version: $("$WSP" --version), header: $header"; return 1; }
}

short_flags_and_equals_values() {
  printf 'x\n' | timeout 10 "$WSP" connect -s other -s chat -H 'X-Token: 1' -b \
    "ws://127.0.0.1:$PORT/" >out.txt 2>err.txt || { cat err.txt; return 1; }
  grep -q "with sub-protocol chat" err.txt && [ "$(cat out.txt)" = "<binary 1 bytes> 78" ] ||
    { cat out.txt err.txt; return 1; }
  printf 'y\n' | timeout 10 "$WSP" connect --protocol=chat --max-message=100 "ws://127.0.0.1:$PORT/" \
    2>err.txt | grep -qx y || { cat err.txt; return 1; }
}

usage_errors_exit_2() {
  local status
  for args in "connect" "connect --bogus ws://x/" "connect http://example.com/" \
    "connect ws://x/ --max-message" "echo-client" "echo-client ws:///bad" "echo-server --port 99999" \
    "echo-server -p" "no-such-command"; do
    # shellcheck disable=SC2086
    timeout 10 "$WSP" $args </dev/null >/dev/null 2>err.txt
    status=$?
    [ "$status" = 2 ] || { echo "wsp $args: exit $status"; cat err.txt; return 1; }
  done
  "$WSP" connect --bogus 2>&1 | grep -q "Try 'wsp connect --help'"
}

interrupted_connect_closes_with_1000() {
  start_server --host 127.0.0.1 || return 1
  local server=$SERVER_PID
  # stdin stays open (a sleep behind it), as when a user types; the signal goes to wsp alone.
  "$WSP" connect "ws://127.0.0.1:$PORT/" < <(sleep 10) >/dev/null 2>client.err &
  local client=$!
  for _ in $(seq 1 50); do grep -q "connected to" client.err && break; sleep 0.1; done
  kill -INT "$client"
  local status=0
  wait "$client" || status=$?
  kill "$server" 2>/dev/null
  [ "$status" = 0 ] || { echo "exit status $status"; cat client.err; return 1; }
  grep -q "closed with code 1000" client.err || { echo "client:"; cat client.err; return 1; }
  grep -q "closed: code 1000" "$WORK"/server.*.out.err || { echo "the server did not see 1000"; return 1; }
}

hints_for_the_wrong_scheme() {
  if printf 'x\n' | timeout 5 "$WSP" connect --ca ca.pem "wss://localhost:$PLAIN_PORT/" >/dev/null 2>err.txt; then return 1; fi
  grep -q "does not seem to speak TLS; try ws://" err.txt || { cat err.txt; return 1; }
  if printf 'x\n' | timeout 5 "$WSP" connect "ws://localhost:$PORT/" >/dev/null 2>err.txt; then return 1; fi
  grep -q "if it speaks TLS, try wss://" err.txt || { cat err.txt; return 1; }
}

# A peer that completes the handshake (either role) and then never sends a byte: --heartbeat must
# drop it. `mute_peer server` prints its port; `mute_peer client PORT` connects to PORT.
mute_peer() {
  /usr/bin/python3 - "$@" <<'PY'
import base64, hashlib, socket, sys, time
def accept_key(key):
    return base64.b64encode(hashlib.sha1((key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").encode()).digest()).decode()
if sys.argv[1] == "server":
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    print(listener.getsockname()[1], flush=True)
    conn, _ = listener.accept()
    head = b""
    while b"\r\n\r\n" not in head:
        head += conn.recv(4096)
    key = [l.split(b":", 1)[1].strip().decode() for l in head.split(b"\r\n") if l.lower().startswith(b"sec-websocket-key:")][0]
    conn.sendall(("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                  "Sec-WebSocket-Accept: %s\r\n\r\n" % accept_key(key)).encode())
else:
    conn = socket.create_connection(("127.0.0.1", int(sys.argv[2])))
    conn.sendall(b"GET /mute HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                 b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
time.sleep(8)  # reads nothing, answers nothing
PY
}

heartbeat_drops_a_mute_server() {
  local port status=0
  coproc MUTE { mute_peer server; }
  read -r port <&"${MUTE[0]}"
  local start=$SECONDS
  timeout 10 "$WSP" connect --heartbeat 0.2 "ws://127.0.0.1:$port/" < <(sleep 6) >/dev/null 2>err.txt || status=$?
  kill "$MUTE_PID" 2>/dev/null
  [ "$status" = 1 ] || { echo "exit status $status"; cat err.txt; return 1; }
  grep -q "heartbeat" err.txt || { cat err.txt; return 1; }
  [ $((SECONDS - start)) -lt 4 ] || { echo "took $((SECONDS - start)) s"; return 1; }
  coproc MUTE { mute_peer server; }
  read -r port <&"${MUTE[0]}"
  status=0
  timeout 10 "$WSP" echo-client --heartbeat 0.2 "ws://127.0.0.1:$port/" >/dev/null 2>err.txt || status=$?
  kill "$MUTE_PID" 2>/dev/null
  [ "$status" = 1 ] && grep -q "heartbeat" err.txt || { echo "echo-client: $status"; cat err.txt; return 1; }
}

heartbeat_keeps_healthy_peers() {
  # Python websockets answers pings: a second of quiet with pings every 0.1 s changes nothing.
  /usr/bin/python3 - "$WSP" <<'PY'
import asyncio, sys, websockets
async def handler(ws, path):
    await asyncio.sleep(1.0)
    await ws.send("still here")
    assert await ws.recv() == "still here"
    await ws.close(1000, "done")
async def main():
    async with websockets.serve(handler, "127.0.0.1", 0) as server:
        port = server.sockets[0].getsockname()[1]
        proc = await asyncio.create_subprocess_exec(sys.argv[1], "echo-client", "--heartbeat", "0.1", f"ws://127.0.0.1:{port}/")
        sys.exit(await asyncio.wait_for(proc.wait(), 10))
asyncio.run(main())
PY
}

heartbeat_shows_the_round_trip_time() {
  # Python websockets answers pings; wsp connect prints each pong's round-trip time.
  /usr/bin/python3 - "$WSP" <<'PY'
import asyncio, re, sys, websockets
async def handler(ws, path):
    await asyncio.sleep(0.5)
    await ws.close(1000, "done")
async def main():
    async with websockets.serve(handler, "127.0.0.1", 0) as server:
        port = server.sockets[0].getsockname()[1]
        proc = await asyncio.create_subprocess_exec(
            sys.argv[1], "connect", "--heartbeat", "0.1", f"ws://127.0.0.1:{port}/",
            stdin=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        _, err = await asyncio.wait_for(proc.communicate(), 10)
        times = [float(t) for t in re.findall(r"round-trip time ([0-9.]+) ms", err.decode())]
        assert len(times) >= 2 and all(0 <= t < 100 for t in times), err.decode()
asyncio.run(main())
PY
}

heartbeat_server_drops_a_mute_client() {
  start_server --host 127.0.0.1 --heartbeat 0.2 || return 1
  mute_peer client "$PORT" &
  local mute=$!
  local log
  for _ in $(seq 1 40); do
    log=$(cat "$WORK"/server.*.out.err 2>/dev/null)
    grep -q "closed: code -1, .*heartbeat" <<<"$log" && break
    sleep 0.1
  done
  kill "$mute" "$SERVER_PID" 2>/dev/null
  grep -q "closed: code -1, .*heartbeat" <<<"$log" || { echo "server log: $log"; return 1; }
  ! "$WSP" echo-server --heartbeat -1 2>/dev/null || { echo "accepted --heartbeat -1"; return 1; }
}

# Autobahn case 7.1.6: a 256 KiB message, a short one and a close in one write; both are echoed
# before the close reply (the second once failed with "Cannot send: ... STATE_CLOSING").
large_small_and_close_in_one_write() {
  start_server --host 127.0.0.1 || return 1
  local out
  out=$(/usr/bin/python3 - "$PORT" <<'PY'
import socket, struct, sys
def frame(op, payload, key=b"\x01\x02\x03\x04"):
    n = len(payload)
    head = bytes([0x80 | op])
    head += bytes([0x80 | n]) if n < 126 else (bytes([0xFE]) + struct.pack(">H", n) if n < 65536 else bytes([0xFF]) + struct.pack(">Q", n))
    return head + key + bytes(b ^ key[i % 4] for i, b in enumerate(payload))
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
          b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
head = b""
while b"\r\n\r\n" not in head: head += s.recv(1)
s.sendall(frame(1, b"*" * 262144) + frame(1, b"Hello World!") + frame(8, struct.pack(">H", 1000)))
s.settimeout(5)
data = b""
while True:
    chunk = s.recv(1 << 16)
    if not chunk: break
    data += chunk
frames, i = [], len(head) - len(head)
while i + 2 <= len(data):
    op, n, j = data[i] & 15, data[i + 1] & 127, i + 2
    if n == 126: n, j = struct.unpack(">H", data[j:j + 2])[0], j + 2
    elif n == 127: n, j = struct.unpack(">Q", data[j:j + 8])[0], j + 8
    frames.append("%d:%d" % (op, n))
    i = j + n
print(" ".join(frames))
PY
)
  kill "$SERVER_PID" 2>/dev/null
  [ "$out" = "1:262144 1:12 8:2" ] || { echo "frames: $out"; cat "$WORK"/server.*.out.err | tail -n 3; return 1; }
}

# Starts a relay server with the given flags; sets RELAY_PORT and RELAY_PID.
start_relay() {
  local out="$WORK/relay.$RANDOM.out"
  "$WSP" relay-server --port 0 "$@" >"$out" 2>"$out.err" &
  RELAY_PID=$!
  echo "$RELAY_PID" >>"$SERVER_PIDS"
  RELAY_LOG="$out.err"
  RELAY_PORT=$(wait_for_listening_port "$out") && return 0
  echo "relay server did not start: $(cat "$out.err")"
  return 1
}

relay_rooms_and_targets() {
  start_relay --host 127.0.0.1 || return 1
  local url="ws://127.0.0.1:$RELAY_PORT/rooms"
  # A listens in lobby, C in another room; B joins lobby, greets everyone, then A alone.
  (sleep 4 | timeout 10 "$WSP" relay-client "$url/lobby" >a.out 2>a.err) &
  local a=$!
  (sleep 4 | timeout 10 "$WSP" relay-client "$url/other" >c.out 2>c.err) &
  local c=$!
  for _ in $(seq 1 50); do grep -q "joined as" a.out 2>/dev/null && grep -q "joined as" c.out 2>/dev/null && break; sleep 0.1; done
  local a_id
  a_id=$(sed -n 's/^joined as //p' a.out)
  (printf 'hello lobby
@%s just for a
' "$a_id"; sleep 1) | timeout 10 "$WSP" relay-client "$url/lobby" >b.out 2>b.err || { cat b.err; return 1; }
  wait "$a" "$c"
  local b_id
  b_id=$(sed -n 's/^joined as //p' b.out)
  grep -qx "+$a_id" b.out || { echo "b did not see a:"; cat b.out; return 1; }
  grep -qx "+$b_id" a.out && grep -qx "$b_id: hello lobby" a.out && grep -qx "$b_id: just for a" a.out &&
    grep -qx -- "-$b_id" a.out || { echo "a saw:"; cat a.out; return 1; }
  ! grep -q "hello lobby\|+$b_id" c.out || { echo "another room heard the lobby:"; cat c.out; return 1; }
  grep -q "join: $a_id in room \"lobby\"" "$RELAY_LOG" || { cat "$RELAY_LOG"; return 1; }
  kill -INT "$RELAY_PID"
  wait "$RELAY_PID" || { echo "relay server exit status $?"; return 1; }
}

relay_token_and_origin() {
  start_relay --host 127.0.0.1 --token s3cret --allow-origin https://game.example || return 1
  local url="ws://127.0.0.1:$RELAY_PORT/rooms/vault"
  (printf 'in
'; sleep 0.5) | timeout 10 "$WSP" relay-client --token s3cret "$url" >ok.out 2>ok.err ||
    { echo "the right token was refused"; cat ok.err; return 1; }
  grep -q "joined as" ok.out || { cat ok.out ok.err; return 1; }
  if printf 'x
' | timeout 10 "$WSP" relay-client --token wrong "$url" >bad.out 2>bad.err; then
    echo "a wrong token joined"; cat bad.out; return 1
  fi
  ! grep -q "joined as" bad.out || { echo "a wrong token joined"; return 1; }
  grep -q "refused: .* did not authenticate" "$RELAY_LOG" || { cat "$RELAY_LOG"; return 1; }
  # A page of another origin is refused before the 101; one of the allowed origin is not.
  local status
  status=$(/usr/bin/python3 - "$RELAY_PORT" <<'PY'
import socket, sys
def status(origin):
    s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
    s.sendall(("GET /rooms/vault HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
               "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
               "Origin: %s\r\n\r\n" % origin).encode())
    return s.recv(64).split(b" ")[1].decode()
print(status("https://evil.example"), status("https://game.example"))
PY
)
  [ "$status" = "403 101" ] || { echo "statuses: $status"; return 1; }
}

# tinyproxy (from ./run setup) on a free port, with Basic auth; sets PROXY_PORT.
start_tinyproxy() {
  PROXY_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  printf 'Port %s\nListen 127.0.0.1\nAllow 127.0.0.1\nLogLevel Warning\nBasicAuth tool s3cret\n' \
    "$PROXY_PORT" >"$WORK/tinyproxy.conf"
  tinyproxy -d -c "$WORK/tinyproxy.conf" >"$WORK/tinyproxy.log" 2>&1 &
  echo $! >>"$SERVER_PIDS"
  for _ in $(seq 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$PROXY_PORT") 2>/dev/null && return 0
    sleep 0.05
  done
  echo "tinyproxy did not start: $(cat "$WORK/tinyproxy.log")"
  return 1
}

proxy_flag_and_environment() {
  start_tinyproxy || return 1
  local out
  out=$(printf 'via proxy\n' | timeout 10 "$WSP" connect --proxy "http://tool:s3cret@127.0.0.1:$PROXY_PORT" \
    "ws://127.0.0.1:$PLAIN_PORT/" 2>err.txt)
  [ "$out" = "via proxy" ] || { echo "stdout: $out"; cat err.txt; return 1; }
  grep -q "through the proxy http://127.0.0.1:$PROXY_PORT (from set_proxy())" err.txt || { cat err.txt; return 1; }
  # The environment, as curl reads it; a refusal names the status; --no-proxy ignores it.
  out=$(printf 'env\n' | ws_proxy="http://tool:s3cret@127.0.0.1:$PROXY_PORT" timeout 10 "$WSP" connect \
    "ws://127.0.0.1:$PLAIN_PORT/" 2>err.txt)
  [ "$out" = "env" ] && grep -q "(from ws_proxy)" err.txt || { echo "stdout: $out"; cat err.txt; return 1; }
  printf 'x\n' | ws_proxy="http://127.0.0.1:$PROXY_PORT" timeout 10 "$WSP" connect \
    "ws://127.0.0.1:$PLAIN_PORT/" >/dev/null 2>err.txt && { echo "connected without credentials"; return 1; }
  grep -q "HTTP 407" err.txt || { cat err.txt; return 1; }
  out=$(printf 'direct\n' | ws_proxy="http://127.0.0.1:$PROXY_PORT" timeout 10 "$WSP" connect --no-proxy \
    "ws://127.0.0.1:$PLAIN_PORT/" 2>err.txt)
  [ "$out" = "direct" ] && ! grep -q "through the proxy" err.txt || { cat err.txt; return 1; }
  timeout 10 "$WSP" connect --proxy "ftp://x" "ws://127.0.0.1:$PLAIN_PORT/" </dev/null 2>err.txt
  [ $? = 2 ] && grep -q "scheme must be" err.txt || { cat err.txt; return 1; }
}

# Waits up to 10 s for a line matching PATTERN in FILE.
wait_for_text() {
  for _ in $(seq 200); do
    grep -q "$2" "$1" 2>/dev/null && return 0
    sleep 0.05
  done
  echo "no \"$2\" in $1: $(cat "$1")"
  return 1
}

reconnect_after_a_server_restart() {
  start_server --host 127.0.0.1 || return 1
  local port=$PORT client
  rm -f in.fifo && mkfifo in.fifo
  timeout 20 "$WSP" connect --reconnect --reconnect-min 0.1 --reconnect-max 0.3 \
    "ws://127.0.0.1:$port/" <in.fifo >out.txt 2>err.txt &
  client=$!
  exec 7>in.fifo
  echo before >&7
  wait_for_text out.txt '^before$' || return 1
  kill -9 "$SERVER_PID"
  wait_for_text err.txt 'connection lost (code -1)' || return 1
  wait_for_text err.txt 'reconnecting: attempt 2 in 0\.[0-9]* s' || return 1
  echo "while away" >&7  # waits for the connection
  "$WSP" echo-server --host 127.0.0.1 --port "$port" >/dev/null 2>&1 7>&- &
  echo $! >>"$SERVER_PIDS"
  wait_for_text err.txt 'reconnected (attempt [0-9]*)' || return 1
  wait_for_text out.txt '^while away$' || return 1
  echo after >&7
  wait_for_text out.txt '^after$' || return 1
  exec 7>&-
  wait "$client" || { echo "exit status $?: $(cat err.txt)"; return 1; }
  grep -q "closed with code 1000" err.txt || { cat err.txt; return 1; }
}

reconnect_stops_at_a_refusal_and_without_the_flag() {
  # Nothing listens: without --reconnect one failure ends it, as before.
  local port
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  timeout 10 "$WSP" connect "ws://127.0.0.1:$port/" </dev/null >/dev/null 2>err.txt && return 1
  grep -q "reconnecting" err.txt && { cat err.txt; return 1; }
  # With it and a limit: two attempts, then it stops and says why.
  timeout 10 "$WSP" connect --reconnect --reconnect-min 0.05 --reconnect-max 0.1 \
    --reconnect-attempts 2 "ws://127.0.0.1:$port/" </dev/null >/dev/null 2>err.txt && return 1
  [ "$(grep -c 'reconnecting: attempt' err.txt)" = 2 ] &&
    grep -q "stopped reconnecting: gave up after 2 attempts" err.txt || { cat err.txt; return 1; }
  timeout 10 "$WSP" connect --reconnect-min 1 "ws://127.0.0.1:$port/" </dev/null 2>err.txt
  [ $? = 2 ] && grep -q "need --reconnect" err.txt || { cat err.txt; return 1; }
}

start_server --host '*' --protocol chat --max-message 12 || exit 1
PLAIN_PORT=$PORT
check "--version prints the version of core/version.h" version
check "short flags (-s -H -b) and --flag=value" short_flags_and_equals_values
check "usage errors exit 2 in every command" usage_errors_exit_2
check "text messages echo and the close code is printed" text_echo
check "binary messages print as hex" binary_echo
check "sub-protocol negotiation" subprotocol
check "custom header and IPv6 URL" header_and_ipv6_url
check "--max-message closes with 1009" message_limit
check "connection refused exits non-zero with a reason" refused_exits_nonzero
check "--proxy, the proxy environment and --no-proxy (tinyproxy with Basic auth)" proxy_flag_and_environment
check "--reconnect comes back after the server restarts and sends what was typed meanwhile" reconnect_after_a_server_restart
check "--reconnect-attempts ends it; without --reconnect one failure ends it" reconnect_stops_at_a_refusal_and_without_the_flag

openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 2 -subj "/CN=wsp test CA" \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign" 2>/dev/null
openssl req -newkey rsa:2048 -nodes -keyout key.pem -out server.csr -subj "/CN=localhost" 2>/dev/null
printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\n' >ext.cnf
openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out cert.pem -days 2 \
  -extfile ext.cnf 2>/dev/null
start_server --host 127.0.0.1 --tls-cert cert.pem --tls-key key.pem || exit 1
check "wss with --ca" tls_with_ca
check "wss with an unknown CA fails with a reason" tls_unknown_ca_fails
check "wss with --insecure" tls_insecure
check "wss:// to a plain server and ws:// to a TLS one give hints" hints_for_the_wrong_scheme
check "echo-client answers a Python websockets server" echo_client_role
check "Ctrl-C closes clients with 1001" interrupt_closes_clients_with_1001
check "--busy-poll serves like the default" busy_poll_server_echoes
check "--threads 3 echoes every client and Ctrl-C stops every thread" threads_serve_and_stop
check "--help for every command" help_texts
check "--heartbeat in connect and echo-client drops a server that went mute" heartbeat_drops_a_mute_server
check "--heartbeat keeps a peer that answers pings" heartbeat_keeps_healthy_peers
check "--heartbeat in connect prints each pong's round-trip time" heartbeat_shows_the_round_trip_time
check "--heartbeat in echo-server drops a client that went mute" heartbeat_server_drops_a_mute_client
check "a large message, a short one and a close in one write: both echoed, then the close" large_small_and_close_in_one_write
check "relay-server: rooms from the path, broadcasts and one-peer packets, joins and leaves" relay_rooms_and_targets
check "relay-server --token and --allow-origin: the right token joins, a wrong one and a foreign page do not" relay_token_and_origin
check "Ctrl-C in wsp connect closes with 1000 and waits for the answer" interrupted_connect_closes_with_1000
junit_finish wsp_e2e
