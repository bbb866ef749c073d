#!/usr/bin/env bash
# ./run demo --nodes N: the live demo on N servers sharing their rooms through Redis, behind
# HAProxy (Debian's redis-server and haproxy, on loopback), so that browsers landing on different
# servers meet in one room. Everything runs in the foreground; Ctrl-C stops it all.
#   scripts/demo_cluster.sh ROOT HOST PORT NODES OPEN
set -euo pipefail
ROOT=$1 HOST=$2 PORT=$3 NODES=$4 OPEN=$5
say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

work=$(mktemp -d /tmp/wspeer-demo-cluster.XXXXXX)
pids=()
stop_all() {
  local pid
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap 'stop_all; exit 0' INT TERM
trap stop_all EXIT

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
wait_for_line() {  # FILE PATTERN PID: the first matching line's first group
  local value=""
  for _ in $(seq 1 200); do
    value=$(sed -n "$2" "$1")
    [ -n "$value" ] && { echo "$value"; return 0; }
    kill -0 "$3" 2>/dev/null || { cat "$1" >&2; return 1; }
    sleep 0.05
  done
  cat "$1" >&2
  return 1
}

redis_port=$(free_port)
redis-server --port "$redis_port" --bind 127.0.0.1 --save '' --appendonly no --dir "$work" \
  --loglevel warning >"$work/redis.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 100); do
  redis-cli -p "$redis_port" ping >/dev/null 2>&1 && break
  sleep 0.05
done

servers=""
for n in $(seq 1 "$NODES"); do
  "$ROOT/bazel-bin/web_demo/server" --host 127.0.0.1 --port 0 --proxy-from 127.0.0.1 \
    --redis "redis://127.0.0.1:$redis_port" --node-id "node$n" >"$work/node$n.out" 2>&1 &
  pids+=($!)
  node_port=$(wait_for_line "$work/node$n.out" 's/^listening on port \([0-9]*\).*/\1/p' $!)
  servers+="  server node$n 127.0.0.1:$node_port send-proxy-v2 check inter 1s fall 2 rise 1"$'\n'
done

[ "$PORT" = 0 ] && PORT=$(free_port)
bind=$HOST
case "$HOST" in '*' | 0.0.0.0) bind='*' ;; *:*) bind="[$HOST]" ;; esac
cat >"$work/haproxy.cfg" <<CONFIG
global
  maxconn 4096
defaults
  mode http
  timeout connect 2s
  timeout client 30s
  timeout server 30s
  timeout tunnel 1h
frontend visitors
  bind $bind:$PORT
  default_backend nodes
backend nodes
  balance leastconn
$servers
CONFIG
haproxy -db -f "$work/haproxy.cfg" >"$work/haproxy.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 100); do
  (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && break
  sleep 0.05
done

shown=127.0.0.1
case "$HOST" in '*' | 0.0.0.0) shown=$(hostname -I 2>/dev/null | awk '{print $1}'); shown=${shown:-127.0.0.1} ;;
  127.* | localhost) ;; *) shown=$HOST ;; esac
url="http://$shown:$PORT/"
"$ROOT/bazel-bin/web_demo/bot" --url "ws://127.0.0.1:$PORT/ws" >/dev/null &
pids+=($!)
say "Live demo on $NODES servers sharing one room through Redis, behind HAProxy: open $url in one or more browsers"
echo "    Each page lands on one of the servers (leastconn); all of them share the room."
echo "    Logs: $work (removed at the end). Ctrl-C stops everything."
if [ "$OPEN" = 1 ] && [ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ] && command -v xdg-open >/dev/null 2>&1; then
  xdg-open "$url" >/dev/null 2>&1 &
fi
# Until interrupted, or until a server stops by itself.
wait -n "${pids[@]}" || true
