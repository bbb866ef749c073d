#!/usr/bin/env python3
"""wsp echo-server with 1 and 2 threads (--threads), for docs/benchmarks.md.

  threads_bench.py --bin BAZEL_BIN [--rounds 3] [--seconds 3]

Nothing is pinned: on a 2-core machine the load generator shares the cores with the server's
threads, which the report says. Run by `./run bench` (bench/run_bench.py adds the section)."""
import argparse
import json
import os
import re
import statistics
import subprocess
import sys

SCENARIOS = [
    ("threads_small_1f", "16 B, 100 connections, 1 in flight", ["--connections", "100", "--payload", "16"]),
    ("threads_small_16f", "16 B, 100 connections, 16 in flight",
     ["--connections", "100", "--payload", "16", "--inflight", "16"]),
    ("threads_deflate_1k", "1 KiB JSON with permessage-deflate, 100 connections",
     ["--connections", "100", "--payload", "1024", "--deflate", "--text"]),
]
THREADS = [1, 2]


def measure(bin_dir, threads, arguments, seconds):
    server = subprocess.Popen([os.path.join(bin_dir, "tools", "wsp"), "echo-server", "--host", "127.0.0.1",
                               "--port", "0", "--quiet", "--deflate", "--threads", str(threads)],
                              stdout=subprocess.PIPE, text=True)
    try:
        port = re.search(r"listening on port (\d+)", server.stdout.readline()).group(1)
        run = subprocess.run([os.path.join(bin_dir, "bench", "loadgen"), "--port", port, "--json", "--duration",
                              str(seconds), "--warmup", "0.5"] + arguments, capture_output=True, text=True,
                             timeout=120)
        lines = run.stdout.strip().splitlines()
        return json.loads(lines[-1]).get("messages_per_second") if lines else None
    finally:
        server.kill()
        server.wait()


def run(bin_dir, rounds, seconds):
    rates = {}
    for round_index in range(rounds):
        for key, _, arguments in SCENARIOS:
            for threads in THREADS:
                rate = measure(bin_dir, threads, arguments, seconds)
                rates.setdefault(key, {}).setdefault(str(threads), []).append(rate)
                print("threads round %d %d %-18s %s msg/s" % (round_index + 1, threads, key, rate), flush=True)
    return {k: {t: statistics.median([v for v in values if v]) for t, values in by.items()} for k, by in rates.items()}


def markdown(medians, rounds, seconds, cores):
    lines = ["## Server threads (`wsp echo-server --threads`)", "",
             "One listener, `PeerPoller` and set of clients per thread, sharing the port (docs/server.md). "
             "Nothing is pinned: on this %s-core machine the load generator shares the cores with the "
             "server's threads, so for cheap messages the figures swing with the scheduler; where each message "
             "costs real work (compression) the second thread helps most. "
             "%d rounds of %g s, medians." % (cores, rounds, seconds), "",
             "| scenario | 1 thread | 2 threads | 2 / 1 |", "|---|---|---|---|"]
    for key, label, _ in SCENARIOS:
        row = medians.get(key, {})
        one, two = row.get("1"), row.get("2")
        lines.append("| %s | %s | %s | %s |" % (label, "%.0f" % one if one else "–", "%.0f" % two if two else "–",
                                                "%.2f×" % (two / one) if one and two else "–"))
    return "\n".join(lines) + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bin", required=True)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=3)
    args = parser.parse_args()
    print(markdown(run(args.bin, args.rounds, args.seconds), args.rounds, args.seconds, os.cpu_count()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
