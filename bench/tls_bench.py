#!/usr/bin/env python3
"""Secure WebSockets (wss://): wspeer against Boost.Beast over Asio SSL, Node `ws` over `https`
and a bare epoll+OpenSSL echo server (the reference: the least work a TLS echo server can do),
in one run.

  tls_bench.py --bin BAZEL_BIN [--rounds 3] [--seconds 3] [--markdown FILE] [--json FILE]

Every server uses the same certificate (ECDSA P-256 for the echo rows) and OpenSSL 3's default
TLS 1.3 suite; the load generator (`loadgen --tls`) speaks TLS through OpenSSL too and gathers
the messages it has queued into one record, as a client's batched writes would. Handshake rows
open, upgrade and close connections 20 at a time with ECDSA P-256 and RSA-2048 certificates,
first full handshakes, then resuming with the last session ticket the server sent. The load
generator runs on CPU 0, the server on CPU 1; each figure is the median of the rounds and ratios
come from the same run. Run by `./run bench` (bench/run_bench.py adds the section to
docs/benchmarks.md)."""
import os
import statistics
import subprocess
import sys
import tempfile

import pinned_run

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)

ECHO_SCENARIOS = [
    ("wss_16_1c", "16 B, 1 connection, 1 in flight", ["--connections", "1", "--payload", "16"]),
    ("wss_16", "16 B, 100 connections, 1 in flight", ["--connections", "100", "--payload", "16"]),
    ("wss_16_1c_16f", "16 B, 1 connection, 16 in flight",
     ["--connections", "1", "--payload", "16", "--inflight", "16"]),
    ("wss_16_16f", "16 B, 100 connections, 16 in flight",
     ["--connections", "100", "--payload", "16", "--inflight", "16"]),
    ("wss_64k", "64 KiB, 1 connection", ["--connections", "1", "--payload", "65536"]),
    ("wss_1m", "1 MiB, 1 connection", ["--connections", "1", "--payload", "1048576"]),
]
HANDSHAKE_SCENARIOS = [
    ("hs_ecdsa", "ECDSA P-256, full handshake", "ec", ["--tls"]),
    ("hs_ecdsa_resumed", "ECDSA P-256, resumed (session ticket)", "ec", ["--tls-resume"]),
    ("hs_rsa", "RSA-2048, full handshake", "rsa", ["--tls"]),
    ("hs_rsa_resumed", "RSA-2048, resumed (session ticket)", "rsa", ["--tls-resume"]),
]
REFERENCE = "bare epoll+OpenSSL (reference)"
SERVERS = ["wspeer", "Beast", "Node ws", REFERENCE]
BEAST_TARGET = ("wss_16_16f", 1.5)  # the target: wspeer / Beast over SSL, 16 in flight


def make_certificates(directory):
    """Self-signed ECDSA P-256 and RSA-2048 certificates for 127.0.0.1, made with the openssl tool."""
    for name, key_options in (("ec", ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"]),
                              ("rsa", ["-newkey", "rsa:2048"])):
        subprocess.run(["openssl", "req", "-x509", "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1"] + key_options
                       + ["-keyout", os.path.join(directory, name + ".key"),
                          "-out", os.path.join(directory, name + ".pem")],
                       check=True, capture_output=True)


def commands(bin_dir, directory, kind):
    cert, key = os.path.join(directory, kind + ".pem"), os.path.join(directory, kind + ".key")
    return {
        "wspeer": ([os.path.join(bin_dir, "tools", "wsp"), "echo-server", "--host", "127.0.0.1", "--port", "0",
                    "--quiet", "--tls-cert", cert, "--tls-key", key], {}),
        "Beast": ([os.path.join(bin_dir, "bench", "beast_echo_server"), "0", "--tls", cert, key], {}),
        "Node ws": (["node", os.path.join(HERE, "node_echo_server.js"), "--tls", cert, key],
                    {"NODE_PATH": os.path.join(ROOT, "tests", "js", "node_modules")}),
        REFERENCE: ([os.path.join(bin_dir, "bench", "bare_tls_echo_server"), "0", cert, key], {}),
    }


def run(bin_dir, rounds, seconds):
    rates, cpu, resumed = {}, {}, {}
    with tempfile.TemporaryDirectory(prefix="wspeer-tls-bench-") as directory:
        make_certificates(directory)
        for round_index in range(rounds):
            jobs = [(key, "ec", ["--tls"] + arguments, "messages_per_second")
                    for key, _, arguments in ECHO_SCENARIOS]
            jobs += [(key, kind, ["--mode", "handshakes", "--connections", "20"] + flags, "handshakes_per_second")
                     for key, _, kind, flags in HANDSHAKE_SCENARIOS]
            for key, kind, arguments, rate_key in jobs:
                for name in SERVERS:
                    command, env = commands(bin_dir, directory, kind)[name]
                    result, cpu_us = pinned_run.measure(bin_dir, command, env, arguments, seconds, rate_key)
                    rates.setdefault(key, {}).setdefault(name, []).append(result.get(rate_key))
                    cpu.setdefault(key, {}).setdefault(name, []).append(cpu_us)
                    if result.get("upgraded"):
                        resumed.setdefault(key, {}).setdefault(name, []).append(
                            result.get("resumed", 0) / result["upgraded"])
                    print("tls round %d %-32s %-17s %s /s, %s µs CPU each" % (
                        round_index + 1, name, key, result.get(rate_key), cpu_us and round(cpu_us, 2)), flush=True)

    def median(values):
        values = [v for v in values if v is not None]
        return statistics.median(values) if values else None

    medians = lambda table: {k: {n: median(v) for n, v in by.items()} for k, by in table.items()}
    return medians(rates), medians(cpu), medians(resumed), rates


def paired_ratio(raw, key, name, other):
    """The median over rounds of each round's ratio: within a round the servers run back to back,
    so a round in which the machine ran slow lowers both sides of its ratio."""
    mine, theirs = (raw or {}).get(key, {}).get(name, []), (raw or {}).get(key, {}).get(other, [])
    ratios = [a / b for a, b in zip(mine, theirs) if a and b]
    return statistics.median(ratios) if ratios else None


def markdown(rates, cpu, resumed, rounds, seconds, raw=None):
    fmt = lambda v: "%.0f" % v if v else "–"

    def ratio_of(key, name, other):
        paired = paired_ratio(raw, key, name, other)
        if paired is not None:
            return paired
        row = rates.get(key, {})
        return row[name] / row[other] if row.get(name) and row.get(other) else None

    ratio = lambda value: "%.2f×" % value if value else "–"
    lines = ["## Secure WebSockets (wss://)", "",
             "The same echo over TLS 1.3 (OpenSSL 3's default suite, an ECDSA P-256 certificate) against Beast over "
             "Asio SSL, Node `ws` over `https`, and a reference that is not a library: `bench/bare_tls_echo_server.cc`, "
             "the least work an epoll + OpenSSL echo server can do (OpenSSL on the socket itself, frames unmasked in "
             "place, every reply of a read in one `SSL_write`, no limits or checks). The load generator "
             "(`loadgen --tls`) gathers queued messages into one record. Messages per second; %d rounds of %g s, "
             "medians; each ratio is the median of the rounds' own ratios (within a round the servers run back to "
             "back, so a round in which the machine ran slow lowers both sides) (`bench/tls_bench.py`)."
             % (rounds, seconds), "",
             "| scenario | " + " | ".join(SERVERS) + " | wspeer / reference | wspeer / Beast |",
             "|---|" + "---|" * (len(SERVERS) + 2)]
    for key, label, _ in ECHO_SCENARIOS:
        row = rates.get(key, {})
        lines.append("| %s | %s | %s | %s |" % (label, " | ".join(fmt(row.get(n)) for n in SERVERS),
                                               ratio(ratio_of(key, "wspeer", REFERENCE)),
                                               ratio(ratio_of(key, "wspeer", "Beast"))))
    lines += ["", "Server CPU per message (user + kernel µs):", "",
              "| scenario | " + " | ".join(SERVERS) + " |", "|---|" + "---|" * len(SERVERS)]
    for key, label, _ in ECHO_SCENARIOS:
        row = cpu.get(key, {})
        lines.append("| %s | %s |" % (label, " | ".join("%.2f" % row[n] if row.get(n) else "–" for n in SERVERS)))
    lines += ["", "TLS handshakes (open, TLS, upgrade, close; 20 at a time). Handshakes per second, then the server's "
              "CPU per handshake in µs and, for resumed rows, the share the server resumed. The load generator's "
              "own TLS work often fills CPU 0 first, so the server's CPU per handshake is the fairer figure:", "",
              "| certificate, handshake | " + " | ".join(SERVERS) + " |", "|---|" + "---|" * len(SERVERS)]
    for key, label, _, flags in HANDSHAKE_SCENARIOS:
        cells = []
        for name in SERVERS:
            rate, cost = rates.get(key, {}).get(name), cpu.get(key, {}).get(name)
            cell = "%s/s, %s µs" % (fmt(rate), "%.0f" % cost if cost else "–")
            share = resumed.get(key, {}).get(name)
            if "--tls-resume" in flags and share is not None:
                cell += ", %.0f%% resumed" % (100 * share)
            cells.append(cell)
        lines.append("| %s | %s |" % (label, " | ".join(cells)))
    verdicts = []
    for key, label, _ in ECHO_SCENARIOS:
        value = ratio_of(key, "wspeer", REFERENCE)
        if value:
            verdicts.append("%s %.2f×" % (label, value))
    if verdicts:
        lines += ["", "Target 1: every wss row ≥ 1.0× the reference within noise; this run: " + "; ".join(verdicts) + "."]
    spreads = []
    for key, label, _ in ECHO_SCENARIOS:
        values = [v for v in (raw or {}).get(key, {}).get(REFERENCE, []) if v]
        if len(values) > 1:
            spreads.append("%.2f×" % (max(values) / min(values)))
    if spreads:
        lines += ["", "Noise: the reference's fastest round was %s its slowest, row by row, so differences smaller "
                  "than that say little; the rounds are in `benchmarks.json`." % ", ".join(spreads)]
    key, target = BEAST_TARGET
    achieved = ratio_of(key, "wspeer", "Beast")
    if achieved:
        lines += ["", "Target 2: wspeer ≥ %.1f× Beast over SSL with 16 in flight; this run: %.2f× (%s)." % (
            target, achieved, "met" if achieved >= target else "missed")]
    return "\n".join(lines) + "\n"


def main():
    def measure_and_report(bin_dir, rounds, seconds):
        rates, cpu, resumed, raw = run(bin_dir, rounds, seconds)
        return (markdown(rates, cpu, resumed, rounds, seconds, raw),
                {"medians": rates, "cpu_us": cpu, "resumed": resumed, "rounds": raw})

    return pinned_run.command_line(__doc__, measure_and_report)


if __name__ == "__main__":
    sys.exit(main())
