"""One measurement with the server on CPU 1 and the load generator on CPU 0, as the deflate and
TLS benchmarks run them: start the server, read its port, run `loadgen --json`, stop the server.
Returns the load generator's JSON and the server's CPU time (user + kernel µs) per unit of
`rate_key` (a message or a handshake), or None when the run cannot say."""
import argparse
import json
import os
import re
import subprocess

LOADGEN_CPU, SERVER_CPU = 0, 1


def measure(bin_dir, server_command, env, loadgen_arguments, seconds, rate_key="messages_per_second"):
    server = subprocess.Popen(["taskset", "-c", str(SERVER_CPU)] + server_command, stdout=subprocess.PIPE,
                              text=True, env={**os.environ, **env})
    try:
        port = int(re.search(r"listening on port (\d+)", server.stdout.readline()).group(1))
        run = subprocess.run(["taskset", "-c", str(LOADGEN_CPU), os.path.join(bin_dir, "bench", "loadgen"),
                              "--port", str(port), "--json", "--duration", str(seconds), "--warmup", "0.5"]
                             + loadgen_arguments, capture_output=True, text=True, timeout=120)
        lines = run.stdout.strip().splitlines()
        result = json.loads(lines[-1]) if lines else {}
        if result.get("errors") or not lines:
            raise RuntimeError("%s: %s" % (server_command[0], run.stderr.strip()[:300]))
        rate = result.get(rate_key)
        cpus = result.get("cpus") or []
        cpu_us = None
        if rate and len(cpus) > SERVER_CPU:
            share = cpus[SERVER_CPU]
            cpu_us = 1e6 * (share["user"] + share["kernel"]) / rate
        return result, cpu_us
    finally:
        server.kill()
        server.wait()


def command_line(description, measure_and_report):
    """The command line both section scripts share: --bin/--rounds/--seconds, then the section's
    Markdown printed and optionally written (--markdown), its data optionally saved (--json).
    measure_and_report(bin_dir, rounds, seconds) returns (markdown_text, json_data)."""
    parser = argparse.ArgumentParser(description=description, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bin", required=True, help="bazel-bin of an opt build")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=3)
    parser.add_argument("--markdown")
    parser.add_argument("--json")
    args = parser.parse_args()
    text, data = measure_and_report(args.bin, args.rounds, args.seconds)
    if args.markdown:
        with open(args.markdown, "w") as out:
            out.write(text)
    if args.json:
        with open(args.json, "w") as out:
            json.dump(data, out, indent=1)
    print(text)
    return 0
