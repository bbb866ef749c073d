#!/usr/bin/env python3
"""Compressed echo (permessage-deflate): wspeer against Boost.Beast and Node `ws`, in one run.

  deflate_bench.py --bin BAZEL_BIN [--rounds 3] [--seconds 3] [--markdown FILE] [--json FILE]

Every server compresses every message at zlib level 1 with memLevel 8 (wspeer's defaults; Beast
and ws are set to match), and the load generator (`loadgen --deflate`) agrees on no context
takeover in either direction, so each echo costs a real decompression and compression however
often the message repeats; it checks that every reply decompresses to the message. One row lets
the server keep its context (`--deflate-takeover`), as servers do by default. JSON-like text
of 16 B, 1 KiB and 64 KiB. The load generator runs on CPU 0, the server on CPU 1 (Node's zlib
threads too); each figure is the median of the rounds, ratios come from the same run.
Run by `./run bench` (bench/run_bench.py adds the section to docs/benchmarks.md)."""
import os
import statistics
import sys

import pinned_run

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)

SCENARIOS = [
    ("deflate_16", "16 B JSON-like, 100 connections, 1 in flight", ["--connections", "100", "--payload", "16"]),
    ("deflate_1k", "1 KiB JSON-like, 100 connections, 1 in flight", ["--connections", "100", "--payload", "1024"]),
    ("deflate_1k_16f", "1 KiB JSON-like, 100 connections, 16 in flight",
     ["--connections", "100", "--payload", "1024", "--inflight", "16"]),
    ("deflate_64k", "64 KiB JSON-like, 1 connection", ["--connections", "1", "--payload", "65536"]),
    ("deflate_1k_takeover", "1 KiB JSON-like, 100 connections, 1 in flight, server context takeover",
     ["--connections", "100", "--payload", "1024", "--deflate-takeover"]),
]
SERVERS = ["wspeer", "Beast", "Node ws"]
TARGET = ("deflate_1k", 1.5)  # the target: wspeer / Beast on 1 KiB JSON-like messages


def commands(bin_dir):
    return {
        "wspeer": ([os.path.join(bin_dir, "tools", "wsp"), "echo-server", "--host", "127.0.0.1", "--port", "0",
                    "--quiet", "--deflate", "--deflate-threshold", "0"], {}),
        "Beast": ([os.path.join(bin_dir, "bench", "beast_echo_server"), "0", "--deflate"], {}),
        "Node ws": (["node", os.path.join(HERE, "node_echo_server.js"), "--deflate"],
                    {"NODE_PATH": os.path.join(ROOT, "tests", "js", "node_modules")}),
    }


def measure(bin_dir, name, arguments, seconds):
    command, env = commands(bin_dir)[name]
    result, cpu_us = pinned_run.measure(bin_dir, command, env, ["--deflate", "--text"] + arguments, seconds)
    return result.get("messages_per_second"), cpu_us


def run(bin_dir, rounds, seconds):
    rates, cpu = {}, {}
    for round_index in range(rounds):
        for key, _, arguments in SCENARIOS:
            for name in SERVERS:
                rate, cpu_us = measure(bin_dir, name, arguments, seconds)
                rates.setdefault(key, {}).setdefault(name, []).append(rate)
                cpu.setdefault(key, {}).setdefault(name, []).append(cpu_us)
                print("deflate round %d %-8s %-15s %s msg/s, %s µs CPU/msg" % (
                    round_index + 1, name, key, rate, cpu_us and round(cpu_us, 2)), flush=True)
    median = lambda values: statistics.median([v for v in values if v is not None]) if any(
        v is not None for v in values) else None
    return ({k: {n: median(v) for n, v in by.items()} for k, by in rates.items()},
            {k: {n: median(v) for n, v in by.items()} for k, by in cpu.items()}, rates)


def markdown(rates, cpu, rounds, seconds):
    lines = ["## Compressed echo (permessage-deflate)", "",
             "Every server compresses every message at zlib level 1, memLevel 8 (wspeer's defaults; Beast and "
             "Node `ws` set to match) without context takeover in either direction (except in the last row, where "
             "the server keeps its context, the default), so each echo is a real "
             "decompression and compression; the load generator (`loadgen --deflate`) checks that every reply "
             "decompresses to the message. JSON-like text. Beast uses its own port of zlib, wspeer and Node "
             "the system's zlib (Node's runs in its thread pool, pinned to the server's CPU like the rest). "
             "%d rounds of %g s, medians; ratios from the same run (`bench/deflate_bench.py`)." % (rounds, seconds),
             "", "| scenario | " + " | ".join(SERVERS) + " | wspeer / Beast | wspeer / Node ws |",
             "|---|" + "---|" * (len(SERVERS) + 2)]
    fmt = lambda v: "%.0f" % v if v else "–"
    ratio = lambda a, b: "%.2f×" % (a / b) if a and b else "–"
    for key, label, _ in SCENARIOS:
        row = rates.get(key, {})
        lines.append("| %s | %s | %s | %s |" % (label, " | ".join(fmt(row.get(n)) for n in SERVERS),
                                               ratio(row.get("wspeer"), row.get("Beast")),
                                               ratio(row.get("wspeer"), row.get("Node ws"))))
    lines += ["", "Server CPU per message (user + kernel µs, from the load generator's view of the server's CPU):",
              "", "| scenario | " + " | ".join(SERVERS) + " |", "|---|" + "---|" * len(SERVERS)]
    for key, label, _ in SCENARIOS:
        row = cpu.get(key, {})
        lines.append("| %s | %s |" % (label, " | ".join("%.2f" % row[n] if row.get(n) else "–" for n in SERVERS)))
    key, target = TARGET
    row = rates.get(key, {})
    if row.get("wspeer") and row.get("Beast"):
        achieved = row["wspeer"] / row["Beast"]
        lines += ["", "Target: wspeer ≥ %.1f× Beast on 1 KiB messages; this run: %.2f× (%s)." % (
            target, achieved, "met" if achieved >= target else "missed")]
    return "\n".join(lines) + "\n"


def main():
    def measure_and_report(bin_dir, rounds, seconds):
        rates, cpu, raw = run(bin_dir, rounds, seconds)
        return markdown(rates, cpu, rounds, seconds), {"medians": rates, "cpu_us": cpu, "rounds": raw}

    return pinned_run.command_line(__doc__, measure_and_report)


if __name__ == "__main__":
    sys.exit(main())
