#!/usr/bin/env python3
"""Cross-node fan-out: one room on three servers sharing it through Redis, for docs/benchmarks.md
and docs/scaling.md.

  cluster_bench.py --bin BAZEL_BIN [--rounds 3] [--seconds 3] [--members 1000]

One sender and MEMBERS members (bench/fanout_loadgen.cc) in one room, spread in turn over three
`wsp relay-server --redis` processes with one redis-server, beside the same room on one
`wsp relay-server`: deliveries per second, and the latency from send to arrival for members on
the sender's server and on the others (the broker's hop). Then Redis's CPU time per published
packet at a high packet rate (a room of six, a window of 64), the figure docs/scaling.md
extrapolates from. Everything shares this machine's cores: it shows what the hop costs, not how
far more machines go. Run by `./run bench` (bench/run_bench.py adds the section)."""
import argparse
import json
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time

PAYLOADS = [16, 1024]
SETUPS = ["one server", "three servers + Redis"]


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Servers:
    """redis-server (for `nodes` > 1) and `nodes` relay servers, stopped by PID."""

    def __init__(self, bin_dir, nodes):
        self.processes, self.ports, self.redis = [], [], None
        self.work = tempfile.mkdtemp(prefix="wspeer-cluster-bench-")
        wsp = os.path.join(bin_dir, "tools", "wsp")
        cluster = []
        if nodes > 1:
            redis_port = free_port()
            self.redis = subprocess.Popen(["redis-server", "--port", str(redis_port), "--bind", "127.0.0.1",
                                           "--save", "", "--appendonly", "no", "--dir", self.work,
                                           "--loglevel", "warning"], stdout=subprocess.DEVNULL)
            deadline = time.time() + 10
            while time.time() < deadline:
                try:
                    socket.create_connection(("127.0.0.1", redis_port), timeout=1).close()
                    break
                except OSError:
                    time.sleep(0.05)
            cluster = ["--redis", "redis://127.0.0.1:%d" % redis_port]
        for n in range(nodes):
            node = cluster + (["--node-id", "n%d" % n] if cluster else [])
            process = subprocess.Popen([wsp, "relay-server", "--host", "127.0.0.1", "--port", "0", "--quiet"] + node,
                                       stdout=subprocess.PIPE, text=True)
            self.processes.append(process)
            self.ports.append(re.search(r"listening on port (\d+)", process.stdout.readline()).group(1))

    def stop(self):
        for process in self.processes + ([self.redis] if self.redis else []):
            process.kill()
            process.wait()
        subprocess.run(["rm", "-rf", self.work])


def measure(bin_dir, nodes, payload, members, seconds, window=8):
    servers = Servers(bin_dir, nodes)
    try:
        command = [os.path.join(bin_dir, "bench", "fanout_loadgen"), "--ports", ",".join(servers.ports),
                   "--members", str(members), "--payload", str(payload), "--duration", str(seconds),
                   "--window", str(window), "--json",
                   "--server-pid", ",".join(str(p.pid) for p in servers.processes)]
        if servers.redis:
            command += ["--redis-pid", str(servers.redis.pid)]
        run = subprocess.run(command, capture_output=True, text=True, timeout=300)
        lines = run.stdout.strip().splitlines()
        if run.returncode != 0 or not lines:
            print("cluster: %d node(s) %d B failed: %s" % (nodes, payload, run.stderr.strip()), flush=True)
            return None
        return json.loads(lines[-1])
    finally:
        servers.stop()


def run(bin_dir, rounds, seconds, members=1000):
    results = {}
    for round_index in range(rounds):
        for payload in PAYLOADS:
            for name, nodes in zip(SETUPS, [1, 3]):
                got = measure(bin_dir, nodes, payload, members, seconds)
                if got:
                    results.setdefault(str(payload), {}).setdefault(name, []).append(got)
                    print("cluster round %d %-22s %5d B %8.0f deliveries/s, p50 %6.0f us here, %6.0f us elsewhere" % (
                        round_index + 1, name, payload, got["deliveries_per_second"], got["local_p50_us"],
                        got["remote_p50_us"]), flush=True)
    keys = ["deliveries_per_second", "local_p50_us", "local_p99_us", "remote_p50_us", "remote_p99_us",
            "server_cpu_us_per_delivery"]
    medians = {payload: {name: {key: statistics.median(r[key] for r in runs) for key in keys}
                         for name, runs in by_setup.items()}
               for payload, by_setup in results.items()}
    # The hop alone: one packet in flight at a time in a room of 30, so nothing queues.
    hop = {}
    for name, nodes in zip(SETUPS, [1, 3]):
        runs = [r for r in (measure(bin_dir, nodes, 16, 30, seconds, window=1) for _ in range(rounds)) if r]
        if runs:
            hop[name] = {key: statistics.median(r[key] for r in runs)
                         for key in ["local_p50_us", "local_p99_us", "remote_p50_us", "remote_p99_us"]}
    busy = [measure(bin_dir, 3, 16, 6, seconds, window=64) for _ in range(rounds)]
    busy = [b for b in busy if b]
    redis = {"packets_per_second": statistics.median(b["packets_per_second"] for b in busy) if busy else 0,
             "us_per_packet": statistics.median(b["redis_cpu_us_per_packet"] for b in busy) if busy else 0}
    return {"medians": medians, "redis": redis, "hop": hop, "rounds": rounds, "seconds": seconds, "members": members}


def markdown(cluster):
    medians, members = cluster["medians"], cluster.get("members", 1000)
    lines = ["## Across servers (one room on three servers sharing it through Redis)", "",
             "The fan-out above with its %d members spread in turn over three `wsp relay-server --redis` processes "
             "and one `redis-server` (the sender on the first server), beside the same room on one server. The "
             "sender stays at most 8 packets ahead of the slowest member. Latency is from send to arrival, for "
             "members on the sender's server and on the others (through Redis). Everything shares this machine's "
             "two cores (load generator, servers and Redis): this shows what the broker's hop costs, not how far "
             "more machines go (docs/scaling.md does that arithmetic). %d rounds of %g s, medians." % (
                 members, cluster["rounds"], cluster["seconds"]), "",
             "| packet | setup | deliveries/s | p50 / p99 on the sender's server | p50 / p99 elsewhere | "
             "servers' CPU per delivery |", "|---|---|---|---|---|---|"]
    for payload in PAYLOADS:
        for name in SETUPS:
            row = medians.get(str(payload), {}).get(name)
            if not row:
                lines.append("| %d B | %s | – | – | – | – |" % (payload, name))
                continue
            elsewhere = "–" if row["remote_p50_us"] < 0 else "%.1f / %.1f ms" % (
                row["remote_p50_us"] / 1000, row["remote_p99_us"] / 1000)
            lines.append("| %d B | %s | %.0f | %.1f / %.1f ms | %s | %.2f µs |" % (
                payload, name, row["deliveries_per_second"], row["local_p50_us"] / 1000,
                row["local_p99_us"] / 1000, elsewhere, row["server_cpu_us_per_delivery"]))
    hop = cluster.get("hop", {})
    one, three = hop.get(SETUPS[0]), hop.get(SETUPS[1])
    if one and three:
        lines += ["", "Under that load the latency is mostly queueing (eight packets, each for %d members, in flight). "
                  "The broker's hop alone, one 16 B packet in flight in a room of 30: p50 / p99 **%.0f / %.0f µs** to a "
                  "member on another server, %.0f / %.0f µs to one on the sender's (one server alone: %.0f / %.0f µs)." % (
                      members, three["remote_p50_us"], three["remote_p99_us"], three["local_p50_us"],
                      three["local_p99_us"], one["local_p50_us"], one["local_p99_us"])]
    redis = cluster.get("redis", {})
    lines += ["", "Redis's CPU per published packet (each to two other servers), at %.0f packets/s in a room of "
              "six: **%.1f µs**." % (redis.get("packets_per_second", 0), redis.get("us_per_packet", 0))]
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
