# Sourced by shell tests that start a server printing "listening on port N" (wsp echo-server,
# the bench servers).
#   wait_for_listening_port FILE   prints N once FILE shows it; fails after 5 seconds
wait_for_listening_port() {
  local port
  for _ in $(seq 1 100); do
    port=$(sed -n 's/^listening on port \([0-9]*\).*/\1/p' "$1")
    if [ -n "$port" ]; then
      echo "$port"
      return 0
    fi
    sleep 0.05
  done
  return 1
}
