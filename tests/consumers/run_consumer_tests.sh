#!/usr/bin/env bash
# Consumer tests: wspeer used the ways a developer's own project uses it, each from a folder
# outside this workspace, with only what a user has (the install prefix, pkg-config, the
# documented Bazel macro and flags). Each builds examples/client.cc and runs it against a live
# `wsp echo-server`, checking what it prints (natively and, built for the browser, in Node).
#   tests/consumers/run_consumer_tests.sh JUNIT_XML
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
XML_OUTPUT_FILE=${1:-}
source "$ROOT/tests/junit.sh"
WORK=$(mktemp -d /tmp/wspeer-consumers.XXXXXX)
export NODE_PATH=/usr/share/nodejs  # Debian's emcc needs its acorn module
EXPECTED=$'text: hello\nbinary: 4 bytes 00 01 fe ff\nclosed: 1000'
SERVER_PID=""
cleanup() {
  [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null
  (cd "$WORK/bazel" 2>/dev/null && bazel shutdown >/dev/null 2>&1)
  rm -rf "$WORK"
}
trap cleanup EXIT

# A consumer folder: the given template plus the client source.
consumer() {
  mkdir -p "$WORK/$1"
  cp -r "$ROOT/tests/consumers/$2/." "$WORK/$1/"
  cp "$ROOT/examples/client.cc" "$WORK/$1/client.cc"
}

expect_echo() {
  local out
  out=$("$@" "ws://127.0.0.1:$PORT/" 2>&1 | grep -v ExperimentalWarning) || true
  [ "$out" = "$EXPECTED" ] || { echo "printed:"; echo "$out"; return 1; }
}
node_run() { node --no-experimental-fetch --experimental-websocket "$@"; }

cmake_install() {
  cmake -S "$ROOT" -B "$WORK/build" >"$WORK/cmake.log" 2>&1 &&
    cmake --build "$WORK/build" -j 2 >>"$WORK/cmake.log" 2>&1 &&
    cmake --install "$WORK/build" --prefix "$WORK/prefix" >>"$WORK/cmake.log" 2>&1 ||
    { tail -n 30 "$WORK/cmake.log"; return 1; }
  [ -f "$WORK/prefix/lib/cmake/wspeer/wspeerConfig.cmake" ] && [ -f "$WORK/prefix/lib/pkgconfig/wspeer.pc" ] &&
    [ -f "$WORK/prefix/include/wspeer/core/websocket_peer.h" ] && [ -x "$WORK/prefix/bin/wsp" ]
}

start_server() {
  "$WORK/prefix/bin/wsp" echo-server --host 127.0.0.1 --port 0 --quiet >"$WORK/server.out" 2>&1 &
  SERVER_PID=$!
  source "$ROOT/tests/listening_port.sh"
  PORT=$(wait_for_listening_port "$WORK/server.out")
}

versions_agree() {
  local header pc
  header=$(sed -n 's/^#define WSPEER_VERSION "\(.*\)"/\1/p' "$ROOT/core/version.h")
  pc=$(PKG_CONFIG_PATH="$WORK/prefix/lib/pkgconfig" pkg-config --modversion wspeer)
  [ "$pc" = "$header" ] && "$WORK/prefix/bin/wsp" --version | grep -qF "$header" ||
    { echo "header $header, pkg-config $pc, wsp: $("$WORK/prefix/bin/wsp" --version)"; return 1; }
}

# The installed headers are the public ones only, and together they bring in no socket or
# operating-system header.
installed_headers_platform_free() {
  local source="$WORK/every_header.cc"
  (cd "$WORK/prefix/include" && find wspeer -name '*.h' | sort | sed 's|.*|#include <&>|') >"$source"
  grep -q "socket_address.h" "$source" || { echo "public headers missing from the install"; return 1; }
  printf '#if defined(AF_INET) || defined(_SYS_SOCKET_H) || defined(_SYS_EPOLL_H)\n#error "an OS header came in"\n#endif\n' >>"$source"
  g++ -std=c++20 -fsyntax-only -I "$WORK/prefix/include" "$source"
}

cmake_find_package() {
  consumer cmake-consumer cmake
  (cd "$WORK/cmake-consumer" &&
    cmake -S . -B build -DCMAKE_PREFIX_PATH="$WORK/prefix" -DCLIENT_SOURCE=client.cc >log 2>&1 &&
    cmake --build build >>log 2>&1) || { tail -n 30 "$WORK/cmake-consumer/log"; return 1; }
  expect_echo "$WORK/cmake-consumer/build/client"
}

pkg_config_gxx() {
  consumer pkgconfig-consumer cmake
  local flags
  flags=$(PKG_CONFIG_PATH="$WORK/prefix/lib/pkgconfig" pkg-config --cflags --libs wspeer) || return 1
  # shellcheck disable=SC2086
  g++ -o "$WORK/pkgconfig-consumer/client" "$WORK/pkgconfig-consumer/client.cc" $flags || return 1
  expect_echo "$WORK/pkgconfig-consumer/client"
}

cmake_fetchcontent() {
  git -C "$ROOT" rev-parse HEAD >/dev/null 2>&1 || { echo "not a git checkout: skipped"; return 0; }
  consumer fetch-consumer fetchcontent
  (cd "$WORK/fetch-consumer" &&
    cmake -S . -B build -DWSPEER_GIT="$ROOT" -DWSPEER_TAG="$(git -C "$ROOT" rev-parse HEAD)" \
      -DCLIENT_SOURCE=client.cc >log 2>&1 && cmake --build build -j 2 >>log 2>&1) ||
    { tail -n 30 "$WORK/fetch-consumer/log"; return 1; }
  expect_echo "$WORK/fetch-consumer/build/client"
}

emcmake_install_and_find_package() {
  emcmake cmake -S "$ROOT" -B "$WORK/build-web" >"$WORK/emcmake.log" 2>&1 &&
    cmake --build "$WORK/build-web" -j 2 >>"$WORK/emcmake.log" 2>&1 &&
    cmake --install "$WORK/build-web" --prefix "$WORK/prefix-web" >>"$WORK/emcmake.log" 2>&1 ||
    { tail -n 30 "$WORK/emcmake.log"; return 1; }
  consumer emcmake-consumer cmake
  # Emscripten's toolchain file searches only its own sysroot unless told where else to look.
  (cd "$WORK/emcmake-consumer" &&
    emcmake cmake -S . -B build -DCMAKE_FIND_ROOT_PATH="$WORK/prefix-web" -DCLIENT_SOURCE=client.cc \
      >log 2>&1 && cmake --build build >>log 2>&1) || { tail -n 30 "$WORK/emcmake-consumer/log"; return 1; }
  expect_echo node_run "$WORK/emcmake-consumer/build/client.js"
}

em_plus_plus_pkg_config() {
  consumer empp-consumer cmake
  local flags
  flags=$(PKG_CONFIG_PATH="$WORK/prefix-web/lib/pkgconfig" pkg-config --cflags --libs wspeer) || return 1
  # shellcheck disable=SC2086
  em++ -o "$WORK/empp-consumer/client.js" "$WORK/empp-consumer/client.cc" $flags || return 1
  expect_echo node_run "$WORK/empp-consumer/client.js"
}

bazel_workspace() {
  consumer bazel bazel
  sed "s|@WSPEER@|$ROOT|" "$ROOT/tests/consumers/bazel/WORKSPACE.in" >"$WORK/bazel/WORKSPACE"
  rm -f "$WORK/bazel/WORKSPACE.in"
  (cd "$WORK/bazel" && bazel build //:client //:client_wasm >log 2>&1) ||
    { tail -n 30 "$WORK/bazel/log"; return 1; }
  expect_echo "$WORK/bazel/bazel-bin/client" &&
    expect_echo node_run "$WORK/bazel/bazel-bin/client_wasm/client_web.js"
}

api_reference() {
  command -v doxygen >/dev/null || { echo "doxygen is not installed"; return 1; }
  (cd "$ROOT" && sed "s|^OUTPUT_DIRECTORY .*|OUTPUT_DIRECTORY = $WORK/api|; s|^WARN_LOGFILE .*|WARN_LOGFILE = $WORK/api-warnings.txt|" Doxyfile |
    doxygen - >/dev/null 2>&1) || return 1
  [ ! -s "$WORK/api-warnings.txt" ] || { cat "$WORK/api-warnings.txt"; return 1; }
  local page="$WORK/api/html/classwsp_1_1WebSocketPeer.html"
  grep -q "Connects to the given URL" "$page" && grep -q "accept_request" "$page" ||
    { echo "the WebSocketPeer page lacks its documentation"; return 1; }
}

# docs/using-wspeer.md's release builds: both build, and the Bazel one echoes.
release_builds() {
  (cd "$ROOT" && bazel build --config=release //tools:wsp >"$WORK/release.log" 2>&1) ||
    { tail -n 20 "$WORK/release.log"; return 1; }
  local wsp="$ROOT/bazel-out/k8-optrelease/bin/tools/wsp" out
  out=$(printf 'release\n' | "$wsp" connect "ws://127.0.0.1:$PORT/" 2>/dev/null)
  [ "$out" = "release" ] || { echo "the release wsp printed: $out"; return 1; }
  cmake -S "$ROOT" -B "$WORK/build-release" -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_INTERPROCEDURAL_OPTIMIZATION=ON >"$WORK/cmake-release.log" 2>&1 &&
    cmake --build "$WORK/build-release" -j 2 >>"$WORK/cmake-release.log" 2>&1 ||
    { tail -n 20 "$WORK/cmake-release.log"; return 1; }
}

# The README's first command, as a user runs it (kept to loopback; --host picks the address).
# Prints the first capture of the sed expression EXPR in LOG once there is one (up to 5 min, or
# until PID exits); nothing when it never came.
wait_for_url() {
  local log=$1 expr=$2 pid=$3 url=""
  for _ in $(seq 1 600); do
    url=$(sed -n "$expr" "$log")
    [ -n "$url" ] && break
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.5
  done
  printf '%s' "$url"
}

readme_demo_command() {
  (cd "$ROOT" && exec ./run demo --host 127.0.0.1 --port 0 >"$WORK/demo.log" 2>&1) &
  local runner=$! url
  url=$(wait_for_url "$WORK/demo.log" 's/.*Live demo running: open \(http:[^ ]*\) .*/\1/p' "$runner")
  local status=0
  [ -n "$url" ] || { tail -n 20 "$WORK/demo.log"; status=1; }
  if [ "$status" = 0 ]; then
    curl -sf "$url" | grep -q "<canvas" || { echo "no page at $url"; status=1; }
  fi
  pkill -INT -f "bazel-bin/web_demo/server --host 127.0.0.1" 2>/dev/null
  pkill -f "bazel-bin/web_demo/bot --url" 2>/dev/null
  wait "$runner" || { echo "./run demo exited with $? after Ctrl-C"; status=1; }
  return $status
}

# ./run demo --nodes 3: Redis, three servers and HAProxy, one URL; Ctrl-C stops them all.
demo_nodes_command() {
  (cd "$ROOT" && exec ./run demo --nodes 3 --port 0 >"$WORK/demo-nodes.log" 2>&1) &
  local runner=$! url
  url=$(wait_for_url "$WORK/demo-nodes.log" \
    's/.*through Redis, behind HAProxy: open \(http:[^ ]*\).*/\1/p' "$runner")
  local status=0 work
  [ -n "$url" ] || { tail -n 20 "$WORK/demo-nodes.log"; status=1; }
  # Six pages: HAProxy hands them to the three servers in turn; each serves the same page.
  for _ in 1 2 3 4 5 6; do
    [ "$status" = 0 ] || break
    curl -sf "$url" | grep -q "<canvas" || { echo "no page at $url"; status=1; }
  done
  work=$(sed -n 's/.*Logs: \(\/tmp\/wspeer-demo-cluster[^ ]*\) .*/\1/p' "$WORK/demo-nodes.log")
  kill -INT "$runner" 2>/dev/null
  wait "$runner" || { echo "./run demo --nodes 3 exited with $? after Ctrl-C"; status=1; }
  sleep 0.5
  if [ -n "$work" ] && pgrep -f "$work" >/dev/null; then
    echo "left running: $(pgrep -af "$work")"
    status=1
  fi
  [ -z "$work" ] || [ ! -e "$work" ] || { echo "$work was left behind"; status=1; }
  return $status
}

check "the README's ./run demo starts the room and serves the page" readme_demo_command
check "./run demo --nodes 3 serves the page through HAProxy and stops everything" demo_nodes_command
check "the API reference (./run docs) builds without warnings" api_reference
check "CMake: configure, build and install with no options" cmake_install || { junit_finish consumers; exit 1; }
start_server || { echo "the installed wsp echo-server did not start"; exit 1; }
check "one version: core/version.h, pkg-config and wsp --version agree" versions_agree
check "the installed headers are the public ones and include no OS header" installed_headers_platform_free
check "CMake find_package(wspeer) from the install prefix" cmake_find_package
check "release builds: bazel --config=release and CMake Release with IPO" release_builds
check "pkg-config --cflags --libs wspeer with plain g++" pkg_config_gxx
check "CMake FetchContent from the repository" cmake_fetchcontent
check "emcmake: install the web build, find_package it, run in Node" emcmake_install_and_find_package
check "em++ with pkg-config (the JavaScript library comes with it), run in Node" em_plus_plus_pkg_config
check "Bazel workspace: one load, one macro; native and wasm builds" bazel_workspace
junit_finish consumers
