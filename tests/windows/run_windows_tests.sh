#!/usr/bin/env bash
# Windows code, run for real: the native backend built with mingw-w64 (bazel --config=windows)
# and run under Wine, headless, on this Linux machine. It runs the core and native GoogleTest
# suites, wsp.exe as a server for Linux clients (Python websockets, Node ws) and as a client of
# Linux servers, over ws and wss, and the conformance suite in both roles against wsp.exe.
# Every case goes to one JUnit file.
#   tests/windows/run_windows_tests.sh JUNIT_XML
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
OUTPUT_XML=${1:-/dev/null}
XML_OUTPUT_FILE=$(mktemp /tmp/wspeer-windows-e2e.XXXXXX.xml)
source "$ROOT/tests/junit.sh"
source "$ROOT/tests/listening_port.sh"
WORK=$(mktemp -d /tmp/wspeer-windows.XXXXXX)
export WINEDEBUG=-all
export WINEPREFIX=${WSPEER_WINEPREFIX:-$HOME/.cache/wspeer/wine}
export NODE_PATH="$ROOT/tests/js/node_modules"
# Cases run in subshells (check), so servers are recorded in a file, not a shell array.
SERVER_PIDS="$WORK/server.pids"
stop_servers() {
  [ -f "$SERVER_PIDS" ] || return 0
  while read -r pid; do kill "$pid" 2>/dev/null; done <"$SERVER_PIDS"
  : >"$SERVER_PIDS"
}
cleanup() {
  stop_servers
  wineserver -k 2>/dev/null
  rm -rf "$WORK" "$XML_OUTPUT_FILE"
}
trap cleanup EXIT
cd "$WORK" || exit 1

# ---- build (OpenSSL for mingw is cross-built once per machine, then cached) ----
"$ROOT/scripts/build_openssl_mingw.sh" >/dev/null || { echo "cannot build OpenSSL for mingw"; exit 1; }
[ -d "$WINEPREFIX" ] || { mkdir -p "$WINEPREFIX" && wineboot -i >/dev/null 2>&1; }
(cd "$ROOT" && bazel build --config=windows //tools:wsp //tests/core/... //tests/native/... \
  >"$WORK/build.log" 2>&1) || { tail -n 30 "$WORK/build.log"; exit 1; }
BIN="$ROOT/bazel-out/k8-fastbuildwindows/bin"
mkdir -p win
cp "$BIN/tools/wsp.exe" win/
for test in "$BIN"/tests/core/*_test.exe "$BIN"/tests/native/*_test.exe; do cp "$test" win/; done
WSP_EXE="$WORK/win/wsp.exe"
WSP_LINUX="$ROOT/bazel-bin/tools/wsp"
(cd "$ROOT" && bazel build //tools:wsp >/dev/null 2>&1) || { echo "cannot build the Linux wsp"; exit 1; }
WSP_LINUX="$ROOT/bazel-out/k8-fastbuild/bin/tools/wsp"
# conformance.py runs `$WSP args`: a wrapper that runs wsp.exe under Wine.
printf '#!/bin/sh\nexec wine "%s" "$@"\n' "$WSP_EXE" >win/wsp-wine
chmod +x win/wsp-wine

# ---- GoogleTest suites: one XML per binary, cases merged below ----
mkdir -p xml
for test in win/*_test.exe; do
  name=$(basename "$test" .exe)
  timeout 600 wine "$test" --gtest_output="xml:Z:$WORK/xml/$name.xml" >"$WORK/$name.log" 2>&1 ||
    { echo "FAIL  $name"; grep -E "^\[  FAILED  \]" "$WORK/$name.log" | head -n 10; }
  [ -f "xml/$name.xml" ] || echo "<testsuites><testsuite><testcase name=\"$name\"><failure message=\"no result\"/></testcase></testsuite></testsuites>" >"xml/$name.xml"
done

# ---- wsp.exe with real peers ----
openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 2 -subj "/CN=wsp windows test CA" \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign" 2>/dev/null
openssl req -newkey rsa:2048 -nodes -keyout key.pem -out server.csr -subj "/CN=localhost" 2>/dev/null
printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\n' >ext.cnf
openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out cert.pem -days 2 \
  -extfile ext.cnf 2>/dev/null

# Runs a case, then stops the servers it started whether it passed or not.
with_servers() {
  "$@"
  local status=$?
  stop_servers
  return "$status"
}

# Starts a server (wsp.exe under Wine, or Linux wsp) with its arguments; sets PORT.
start() {
  local out="$WORK/server.$RANDOM.out"
  "$@" >"$out" 2>"$out.err" &
  echo $! >>"$SERVER_PIDS"
  PORT=$(for _ in 1 2 3 4; do wait_for_listening_port "$out" && break; done) && [ -n "$PORT" ] ||
    { echo "server did not start: $(cat "$out.err")"; return 1; }
}

python_client() {  # URL [CA]: text and binary echo through Python websockets
  /usr/bin/python3 - "$@" <<'PY'
import asyncio, ssl, sys, websockets
url, ca = sys.argv[1], (sys.argv[2] if len(sys.argv) > 2 else None)
context = ssl.create_default_context(cafile=ca) if ca else None
async def main():
    async with websockets.connect(url, ssl=context, compression=None) as ws:
        await ws.send("héllo from Linux")
        assert await ws.recv() == "héllo from Linux"
        await ws.send(b"\x00\x01\xff")
        assert await ws.recv() == b"\x00\x01\xff"
asyncio.run(asyncio.wait_for(main(), 20))
PY
}

server_python_ws() { start wine "$WSP_EXE" echo-server --host 127.0.0.1 -p 0 -q && python_client "ws://127.0.0.1:$PORT/"; }
server_python_wss() {
  start wine "$WSP_EXE" echo-server --host 127.0.0.1 -p 0 -q --tls-cert cert.pem --tls-key key.pem &&
    python_client "wss://localhost:$PORT/" ca.pem
}
server_node_ws() {
  start wine "$WSP_EXE" echo-server --host 127.0.0.1 -p 0 -q || return 1
  node - "ws://127.0.0.1:$PORT/" <<'JS'
const WebSocket = require('ws');
const ws = new WebSocket(process.argv[2]);
const got = [];
const fail = (why) => { console.log(why); process.exit(1); };
setTimeout(() => fail('timed out'), 20000).unref();
ws.on('open', () => { ws.send('text from node'); ws.send(Buffer.from([7, 8, 9])); });
ws.on('message', (data, isBinary) => {
  got.push(isBinary ? `binary ${[...data].join(',')}` : `text ${data}`);
  if (got.length === 2) ws.close(1000, 'done');
});
ws.on('close', (code) => {
  const expected = ['text text from node', 'binary 7,8,9'];
  if (code !== 1000 || JSON.stringify(got) !== JSON.stringify(expected)) fail(`${code} ${JSON.stringify(got)}`);
  process.exit(0);
});
JS
}

client_connect_ws() {
  start "$WSP_LINUX" echo-server --host 127.0.0.1 -p 0 -q || return 1
  local out
  out=$(printf 'from windows\n' | timeout 30 wine "$WSP_EXE" connect -b "ws://127.0.0.1:$PORT/" 2>err.txt)
  [ "$out" = "<binary 12 bytes> 66726f6d2077696e646f7773" ] && grep -q "closed with code 1000" err.txt ||
    { echo "out: $out"; cat err.txt; return 1; }
}

client_wss_with_ca_and_without() {
  start "$WSP_LINUX" echo-server --host 127.0.0.1 -p 0 -q --tls-cert cert.pem --tls-key key.pem || return 1
  printf 'secure\n' | timeout 30 wine "$WSP_EXE" connect --ca ca.pem "wss://localhost:$PORT/" 2>err.txt |
    grep -qx secure || { echo "with --ca:"; cat err.txt; return 1; }
  # Without its CA the self-signed chain is refused: certificate verification is on by default.
  if printf 'x\n' | timeout 30 wine "$WSP_EXE" connect "wss://localhost:$PORT/" >/dev/null 2>err.txt; then
    echo "connected without trusting the CA"; return 1
  fi
  grep -q "certificate verification failed\|no usable root certificate" err.txt || { cat err.txt; return 1; }
  # The wrong host name is refused too, even with the CA.
  if printf 'x\n' | timeout 30 wine "$WSP_EXE" connect --ca ca.pem "wss://127.0.0.2:$PORT/" >/dev/null 2>err.txt; then
    echo "accepted a certificate for another name"; return 1
  fi
  grep -q "does not match\|Cannot connect" err.txt || { cat err.txt; return 1; }
}

server_python_deflate() {  # permessage-deflate negotiated, compressible and large messages echoed
  start wine "$WSP_EXE" echo-server --host 127.0.0.1 -p 0 -q --deflate || return 1
  /usr/bin/python3 - "ws://127.0.0.1:$PORT/" <<'PY'
import asyncio, sys, websockets
async def main():
    async with websockets.connect(sys.argv[1], max_size=None) as ws:
        agreed = ws.response_headers.get("Sec-WebSocket-Extensions", "")
        assert agreed.startswith("permessage-deflate"), agreed
        for message in ['{"id": %d, "name": "player"}' % i for i in range(50)] + [bytes(200000), "é" * 30000]:
            await ws.send(message)
            assert await ws.recv() == message
asyncio.run(asyncio.wait_for(main(), 30))
PY
}

client_connect_deflate() {  # wsp.exe offers deflate by default; a Linux server accepts it
  start "$WSP_LINUX" echo-server --host 127.0.0.1 -p 0 --deflate || return 1
  local lines out
  lines=$(for i in $(seq 1 100); do printf '{"line": %d, "text": "compress me compress me"}\n' "$i"; done)
  out=$(printf '%s\n' "$lines" | timeout 30 wine "$WSP_EXE" connect "ws://127.0.0.1:$PORT/" 2>err.txt)
  [ "$out" = "$lines" ] || { echo "out: $out" | head -3; cat err.txt; return 1; }
  grep -q "^open: .*(permessage-deflate)" "$WORK"/server.*.out.err ||
    { echo "the server did not log permessage-deflate"; return 1; }
}

client_echo_python_server() {
  /usr/bin/python3 - "$WSP_EXE" <<'PY'
import asyncio, subprocess, sys, websockets
async def handler(ws, path):
    await ws.send("text one")
    assert await ws.recv() == "text one"
    await ws.send(b"\x00\xffbinary")
    assert await ws.recv() == b"\x00\xffbinary"
    await ws.close(1000, "done")
async def main():
    async with websockets.serve(handler, "127.0.0.1", 0, compression=None) as server:
        port = server.sockets[0].getsockname()[1]
        proc = await asyncio.create_subprocess_exec("wine", sys.argv[1], "echo-client", f"ws://127.0.0.1:{port}/")
        sys.exit(await asyncio.wait_for(proc.wait(), 30))
asyncio.run(main())
PY
}

conformance() {  # ROLE
  # Waits three times longer: a Wine process can stall for seconds on a loaded machine.
  /usr/bin/python3 "$ROOT/tests/conformance/conformance.py" --wsp "$WORK/win/wsp-wine" --role "$1" \
    --timeout-scale 3 \
    --junit "$WORK/xml/conformance-$1.xml" >"$WORK/conformance-$1.log" 2>&1 ||
    { grep -A2 -E "^[0-9.]+ +(server|client) +(FAILED|NON-STRICT)" "$WORK/conformance-$1.log" | head -n 30
      tail -n 1 "$WORK/conformance-$1.log"; return 1; }
  tail -n 1 "$WORK/conformance-$1.log"
}

check "windows: wsp.exe echo-server serves Python websockets over ws" with_servers server_python_ws
check "windows: wsp.exe echo-server serves Python websockets over wss (its CA trusted)" with_servers server_python_wss
check "windows: wsp.exe echo-server serves Node ws" with_servers server_node_ws
check "windows: wsp.exe connect to a Linux wsp echo-server over ws" with_servers client_connect_ws
check "windows: wsp.exe connect over wss verifies the certificate: refused without its CA, accepted with it" with_servers client_wss_with_ca_and_without
check "windows: wsp.exe echo-client answers a Python websockets server" with_servers client_echo_python_server
check "windows: wsp.exe echo-server --deflate with Python websockets (permessage-deflate)" with_servers server_python_deflate
check "windows: wsp.exe connect offers permessage-deflate to a Linux wsp echo-server --deflate" with_servers client_connect_deflate
check "windows: conformance suite, wsp.exe as the server" conformance server
check "windows: conformance suite, wsp.exe as the client" conformance client
junit_finish windows_e2e >/dev/null

# ---- one JUnit file with every case (GoogleTest, conformance, the checks above) ----
/usr/bin/python3 - "$OUTPUT_XML" "$XML_OUTPUT_FILE" "$WORK"/xml/*.xml <<'PY'
import sys, xml.etree.ElementTree as ET
out, sources = sys.argv[1], sys.argv[2:]
suite = ET.Element("testsuite", name="windows")
for path in sources:
    try:
        root = ET.parse(path).getroot()
    except (OSError, ET.ParseError):
        case = ET.SubElement(suite, "testcase", name=f"windows: {path}")
        ET.SubElement(case, "failure", message="unreadable results")
        continue
    for case in root.iter("testcase"):
        if case.get("status") == "notrun":
            continue
        name = case.get("name", "")
        if not name.startswith("windows: "):
            name = f"windows: {case.get('classname', '')}.{name}".replace(": .", ": ")
        copy = ET.SubElement(suite, "testcase", name=name)
        for failure in list(case.findall("failure")) + list(case.findall("error")):
            ET.SubElement(copy, "failure", message=(failure.get("message") or "failed")[:2000])
root = ET.Element("testsuites")
root.append(suite)
ET.ElementTree(root).write(out, encoding="unicode")
cases = suite.findall("testcase")
failed = sum(1 for c in cases if c.find("failure") is not None)
print(f"windows: {len(cases) - failed} passed, {failed} failed")
sys.exit(1 if failed or not cases else 0)
PY
