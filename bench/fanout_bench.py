#!/usr/bin/env python3
"""Fan-out: one sender, 1000 members in a room, for docs/benchmarks.md.

  fanout_bench.py --bin BAZEL_BIN [--rounds 3] [--seconds 3] [--members 1000]

`wsp relay-server` (the multiplayer layer: rooms, relaying, each packet framed once for the room)
beside bare_fanout_server (the least work an epoll server can do: one prepared frame written to
every socket). bench/fanout_loadgen.cc joins the members, sends relays to everyone from one more
connection, keeping at most 8 packets ahead of the slowest member, and counts deliveries; the
server's CPU time comes from /proc. The load generator runs on CPU 0, the server on CPU 1.
Run by `./run bench` (bench/run_bench.py adds the section)."""
import argparse
import json
import os
import re
import statistics
import subprocess
import sys

PAYLOADS = [16, 1024]
SERVERS = ["wspeer relay-server", "bare epoll (reference)"]


def server_command(bin_dir, name):
    if name == SERVERS[0]:
        return [os.path.join(bin_dir, "tools", "wsp"), "relay-server", "--host", "127.0.0.1", "--port", "0",
                "--quiet"]
    return [os.path.join(bin_dir, "bench", "bare_fanout_server")]


def measure(bin_dir, name, payload, members, seconds):
    server = subprocess.Popen(["taskset", "-c", "1"] + server_command(bin_dir, name), stdout=subprocess.PIPE,
                              text=True)
    try:
        port = re.search(r"listening on port (\d+)", server.stdout.readline()).group(1)
        run = subprocess.run(["taskset", "-c", "0", os.path.join(bin_dir, "bench", "fanout_loadgen"), "--port", port,
                              "--members", str(members), "--payload", str(payload), "--duration", str(seconds),
                              "--server-pid", str(server.pid), "--json"],
                             capture_output=True, text=True, timeout=300)
        lines = run.stdout.strip().splitlines()
        if run.returncode != 0 or not lines:
            print("fanout: %s %d B failed: %s" % (name, payload, run.stderr.strip()), flush=True)
            return None
        return json.loads(lines[-1])
    finally:
        server.kill()
        server.wait()


def run(bin_dir, rounds, seconds, members=1000):
    results = {}
    for round_index in range(rounds):
        for payload in PAYLOADS:
            for name in SERVERS:  # taking turns, so drift affects both alike
                got = measure(bin_dir, name, payload, members, seconds)
                if got:
                    results.setdefault(str(payload), {}).setdefault(name, []).append(got)
                    print("fanout round %d %-24s %5d B %8.0f deliveries/s %.3f us/delivery" % (
                        round_index + 1, name, payload, got["deliveries_per_second"],
                        got["server_cpu_us_per_delivery"]), flush=True)
    medians = {}
    for payload, by_server in results.items():
        for name, runs in by_server.items():
            medians.setdefault(payload, {})[name] = {
                "deliveries_per_second": statistics.median(r["deliveries_per_second"] for r in runs),
                "cpu_us": statistics.median(r["server_cpu_us_per_delivery"] for r in runs),
                "kernel": statistics.median(r.get("server_kernel_fraction", 0) for r in runs)}
    return {"medians": medians, "rounds": rounds, "seconds": seconds, "members": members}


def markdown(fanout):
    medians, members = fanout["medians"], fanout.get("members", 1000)
    lines = ["## Fan-out (one sender, %d members in a room)" % members, "",
             "A client sends relays to everyone in its room (Godot 4's `SYS RELAY`, target 0) and %d members "
             "read them; the sender stays at most 8 packets ahead of the slowest member, so the figure is what the "
             "server sustains. `wsp relay-server` runs the multiplayer layer (the session's rules, rooms, limits; "
             "each packet framed once for the room and the same bytes written to every member); the reference "
             "writes one prepared frame to every socket and does nothing else (`bench/bare_fanout_server.cc`). "
             "Deliveries are packets times members; CPU is the server's, per delivery. Load generator on CPU 0, "
             "server on CPU 1; %d rounds of %g s, medians. The kernel's share of the server's CPU (one `send` per "
             "member and the loopback path behind it) is in brackets." % (members, fanout["rounds"],
                                                                         fanout["seconds"]), "",
             "| packet | wspeer deliveries/s | reference deliveries/s | wspeer / reference | "
             "wspeer CPU per delivery | reference CPU per delivery |", "|---|---|---|---|---|---|"]
    for payload in PAYLOADS:
        row = medians.get(str(payload), {})
        ours, bare = row.get(SERVERS[0]), row.get(SERVERS[1])
        if not ours or not bare:
            lines.append("| %d B | – | – | – | – | – |" % payload)
            continue
        lines.append("| %d B | %.0f | %.0f | %.2f | %.2f µs (%.0f%% kernel) | %.2f µs (%.0f%% kernel) |" % (
            payload, ours["deliveries_per_second"], bare["deliveries_per_second"],
            ours["deliveries_per_second"] / bare["deliveries_per_second"], ours["cpu_us"],
            100 * ours.get("kernel", 0), bare["cpu_us"], 100 * bare.get("kernel", 0)))
    return "\n".join(lines) + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bin", required=True)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=3)
    parser.add_argument("--members", type=int, default=1000)
    args = parser.parse_args()
    print(markdown(run(args.bin, args.rounds, args.seconds, args.members)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
