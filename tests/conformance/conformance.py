#!/usr/bin/env python3
"""wspeer's conformance runner: Autobahn-class cases over raw TCP, in both roles.

  conformance.py --wsp PATH [--role server|client|both] [--quick]
                 [--json FILE] [--markdown FILE] [--junit FILE]

Server role: the runner is a raw client talking to `wsp echo-server`.
Client role: the runner is a raw server; each case starts `wsp echo-client` against it.
Verdicts follow Autobahn: OK, NON-STRICT (e.g. TCP dropped instead of a close frame, or the
violation noticed late) and FAILED. Prints a table and a summary line; writes machine-readable
(JSON) and readable (Markdown) reports.
"""
import argparse
import base64
import hashlib
import json
import os
import select
import socket
import struct
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cases as C  # noqa: E402
from raw_end import Observation, RawEnd, mask_bytes  # noqa: E402
from report import write_markdown, write_junit  # noqa: E402
from deflate_codec import DeflateCodec, agreed_params  # noqa: E402

GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
# --timeout-scale: every wait is this many times longer (a peer under an emulator, e.g. Wine).
TIMEOUT_SCALE = 1.0


def describe(expect):
    if isinstance(expect, C.Echo):
        return "echo %d message(s), %d pong(s), then a clean close" % (len(expect.messages), len(expect.pongs))
    if isinstance(expect, C.Fail):
        before = " after echoing %d message(s)" % len(expect.messages) if expect.messages else ""
        return "fail with close %s%s%s" % ("/".join(map(str, expect.codes)), before,
                                         " (fail fast)" if expect.fast_before else "")
    return "answer the close with %s" % "/".join("no code" if c is None else str(c) for c in expect.codes)


def collect(end, obs, peer_should_mask, deadline, until):
    """Reads frames into obs until until(obs) holds, EOF, or the deadline."""
    while not until(obs):
        frame = end.read_frame(deadline)
        if frame is None:
            return False
        if frame == "eof":
            obs.eof = True
            return until(obs)
        obs.add(frame, peer_should_mask)
    return True


def perform(case, end, obs, peer_should_mask):
    for action in case.actions:
        kind = action[0]
        if kind == "frame":
            _, opcode, payload, fin, rsv, chop, delay = action
            end.send(end.build(opcode, payload, fin, rsv), chop, delay)
        elif kind == "message":
            # A message compressed with the agreed parameters, whole or in `fragment`-byte frames.
            _, opcode, payload, fragment = action
            data, compressed = obs.codec.compress(payload)
            pieces = [data[o:o + fragment] for o in range(0, len(data), fragment)] if fragment else [data]
            pieces = pieces or [b""]
            end.send(b"".join(end.build(opcode if i == 0 else C.CONT, piece, fin=i == len(pieces) - 1,
                                        rsv=4 if compressed and i == 0 else 0)
                              for i, piece in enumerate(pieces)))
        elif kind == "close":
            _, code, reason = action
            end.send(end.build(C.CLOSE, C.close_payload(code, reason)))
        elif kind == "sleep":
            time.sleep(action[1])
        elif kind == "mark":
            # Fail fast: by now the peer must have closed, before the rest is sent.
            collect(end, obs, peer_should_mask, time.monotonic() + 1.0, lambda o: o.closed or o.eof)
            obs.fast = obs.closed or obs.eof
        elif kind == "raw_masked_split":
            _, header, whole, cuts = action
            key = os.urandom(4) if end.masks else b""
            body = mask_bytes(whole, key) if end.masks else whole
            head = bytes([header[0], (header[1] & 0x7F) | (0x80 if end.masks else 0)]) + key
            end.send(head + body[:cuts[0]])
            time.sleep(0.3)
            end.send(body[cuts[0]:cuts[1]])
            collect(end, obs, peer_should_mask, time.monotonic() + 1.0, lambda o: o.closed or o.eof)
            obs.fast = obs.closed or obs.eof
            end.send(body[cuts[1]:])
        elif kind in ("masked", "unmasked"):
            _, opcode, payload = action
            end.send(end.build(opcode, payload, masked=(kind == "masked")))
        elif kind == "nonminimal":
            _, opcode, payload = action
            end.send(end.build(opcode, payload, length_form=126))
        elif kind == "huge":
            head = bytes([0x82, (0x80 if end.masks else 0) | 127]) + struct.pack("!Q", (1 << 63) - 1)
            end.send(head + (os.urandom(4) if end.masks else b"") + b"x" * 64)


def judge(case, end, obs, peer_should_mask, runner_is_client):
    expect = case.expect
    deadline = time.monotonic() + case.timeout * TIMEOUT_SCALE
    if isinstance(expect, C.Echo):
        done = collect(end, obs, peer_should_mask, deadline,
                       lambda o: (len(o.messages) >= len(expect.messages) and len(o.pongs) >= len(expect.pongs))
                       or o.closed)
        if not expect.messages and not expect.pongs:
            collect(end, obs, peer_should_mask, time.monotonic() + 0.2, lambda o: False)  # nothing may come
        if obs.closed or obs.eof:
            return "FAILED", "the peer closed early"
        if not done or obs.messages != expect.messages or obs.pongs != expect.pongs:
            return "FAILED", "wrong or missing echo"
        if obs.codec and obs.codec.peer_can_compress:
            worth = sum(1 for _, payload in expect.messages if len(payload) >= 64)
            if obs.compressed < worth:
                return "FAILED", "%d of %d messages of 64 bytes or more came back uncompressed" % (
                    worth - obs.compressed, worth)
        end.send(end.build(C.CLOSE, C.close_payload(1000)))
        collect(end, obs, peer_should_mask, time.monotonic() + 5 * TIMEOUT_SCALE, lambda o: o.closed)
        if not obs.closed or obs.close != 1000:
            return "FAILED", "no close reply"
    elif isinstance(expect, C.Fail):
        collect(end, obs, peer_should_mask, deadline, lambda o: o.closed or o.eof)
        if obs.messages != expect.messages[:len(obs.messages)]:
            return "FAILED", "wrong messages before failing"
        missing_echo = len(obs.messages) != len(expect.messages)
        if not obs.closed and not obs.eof:
            return "FAILED", "the connection was not failed"
        if not obs.closed:
            return "NON-STRICT", "TCP dropped without a close frame"
        if obs.close not in expect.codes:
            return "NON-STRICT", "close code %s instead of %s" % (obs.close, expect.codes)
        if expect.fast_before and obs.fast is False:
            return "NON-STRICT", "the violation was noticed late"
        if missing_echo:
            return "NON-STRICT", "messages sent before the violation were not answered"
    else:
        collect(end, obs, peer_should_mask, deadline, lambda o: o.closed or o.eof)
        wanted = [m for m in expect.messages if m != "optional"]
        optional = "optional" in expect.messages
        if obs.messages != wanted[:len(obs.messages)]:
            return "FAILED", "wrong messages before the close"
        missing_echo = obs.messages != wanted and not optional
        if not obs.closed:
            return ("NON-STRICT", "TCP dropped without a close reply") if obs.eof else ("FAILED", "no close reply")
        if obs.close not in expect.codes:
            return "FAILED", "close reply %s instead of %s" % (obs.close, expect.codes)
        if missing_echo:
            return "NON-STRICT", "messages sent before the close were not answered"
    if obs.notes:
        return "FAILED", "; ".join(obs.notes)
    if runner_is_client:
        # The server closes TCP first (RFC 6455 §7.1.1).
        collect(end, obs, peer_should_mask, time.monotonic() + 2, lambda o: o.eof)
        if not obs.eof:
            return "NON-STRICT", "the server kept TCP open after the close handshake"
    return "OK", ""


def handshake_request(port, path, extensions=None):
    key = base64.b64encode(os.urandom(16)).decode()
    offer = "Sec-WebSocket-Extensions: %s\r\n" % extensions if extensions else ""
    request = ("GET %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
               "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n%s\r\n" % (path, port, key, offer))
    return request.encode(), key


def header_value(head, name):
    values = [line.split(":", 1)[1].strip() for line in head.split("\r\n")
              if line.lower().startswith(name.lower() + ":")]
    return ", ".join(values) if values else None


def read_head(sock, deadline):
    data = b""
    while b"\r\n\r\n" not in data and time.monotonic() < deadline:
        ready, _, _ = select.select([sock], [], [], 0.2)
        if ready:
            chunk = sock.recv(4096)
            if not chunk:
                break
            data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    return head.decode("latin-1"), rest


def run_server_role(cases, wsp, external_port=None):
    server = None
    if external_port:
        port = external_port  # another echo server, for comparison
    else:
        # The largest cases send 16 MiB messages, above the tool's 1 MiB default.
        server = subprocess.Popen([wsp, "echo-server", "--host", "127.0.0.1", "--port", "0", "--quiet",
                                   "--max-message", str(32 << 20), "--deflate"],
                                  stdout=subprocess.PIPE, text=True)
        port = int(server.stdout.readline().split()[3])
    results = []
    try:
        for case in cases:
            started = time.monotonic()
            sock = socket.create_connection(("127.0.0.1", port), timeout=5)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            request, key = handshake_request(port, "/case/" + case.id,
                                             case.deflate.server_offer if case.deflate else None)
            sock.sendall(request)
            head, rest = read_head(sock, time.monotonic() + 5 * TIMEOUT_SCALE)
            end = RawEnd(sock, runner_is_client=True)
            end.buffer += rest
            params = agreed_params(header_value(head, "Sec-WebSocket-Extensions"))
            obs = Observation(DeflateCodec(params, runner_is_client=True) if params is not None else None)
            if not head.startswith("HTTP/1.1 101"):
                verdict, why = "FAILED", "handshake failed: " + head.split("\r\n")[0]
            elif case.deflate and params is None:
                verdict, why = "FAILED", "the server declined permessage-deflate"
            else:
                perform(case, end, obs, peer_should_mask=False)
                verdict, why = judge(case, end, obs, peer_should_mask=False, runner_is_client=True)
            sock.close()
            results.append(record(case, "server", verdict, why, obs, started))
    finally:
        if server:
            server.kill()
            server.wait()
    return results


def run_client_role(cases, wsp):
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    port = listener.getsockname()[1]
    results = []
    for case in cases:
        started = time.monotonic()
        flags = ["--deflate"] + case.deflate.client_flags if case.deflate else []
        errors = tempfile.TemporaryFile()
        client = subprocess.Popen([wsp, "echo-client", *flags, "ws://127.0.0.1:%d/case/%s" % (port, case.id)],
                                  stdout=subprocess.DEVNULL, stderr=errors)
        obs = Observation()
        listener.settimeout(10 * TIMEOUT_SCALE)
        try:
            sock, _ = listener.accept()
        except socket.timeout:
            status = client.poll()
            client.kill()
            client.wait()
            errors.seek(0)
            said = errors.read().decode(errors="replace").strip()[-500:]
            why = "the client did not connect in %d s; %s; its errors: %s" % (
                10 * TIMEOUT_SCALE, "it was still running" if status is None else "it exited with %s" % status,
                said or "none")
            results.append(record(case, "client", "FAILED", why, obs, started))
            continue
        errors.close()
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        head, rest = read_head(sock, time.monotonic() + 5 * TIMEOUT_SCALE)
        key = [line.split(":", 1)[1].strip() for line in head.split("\r\n")
               if line.lower().startswith("sec-websocket-key:")]
        accept = base64.b64encode(hashlib.sha1(key[0].encode() + GUID).digest()).decode() if key else ""
        offer = header_value(head, "Sec-WebSocket-Extensions")
        answer = ""
        if case.deflate:
            answer = "Sec-WebSocket-Extensions: %s\r\n" % case.deflate.response
            obs.codec = DeflateCodec(agreed_params(case.deflate.response), runner_is_client=False)
        sock.sendall(("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                      "Sec-WebSocket-Accept: %s\r\n%s\r\n" % (accept, answer)).encode())
        end = RawEnd(sock, runner_is_client=False)
        end.buffer += rest
        if case.deflate and offer != case.deflate.client_offer:
            verdict, why = "FAILED", "the client offered %r, not %r" % (offer, case.deflate.client_offer)
        else:
            perform(case, end, obs, peer_should_mask=True)
            verdict, why = judge(case, end, obs, peer_should_mask=True, runner_is_client=False)
        sock.close()
        try:
            client.wait(timeout=5)
        except subprocess.TimeoutExpired:
            client.kill()
            client.wait()
            if verdict == "OK":
                verdict, why = "NON-STRICT", "the client did not exit after the server closed TCP"
        results.append(record(case, "client", verdict, why, obs, started))
    listener.close()
    return results


def record(case, role, verdict, why, obs, started):
    line = "%-8s %-7s %-10s %s" % (case.id, role, verdict, case.description)
    if verdict != "OK":
        line += "\n         expected: %s\n         observed: %s%s" % (describe(case.expect), obs.summary(),
                                                                    " (" + why + ")" if why else "")
    print(line, flush=True)
    return {"id": case.id, "role": role, "description": case.description, "verdict": verdict,
            "expected": describe(case.expect), "observed": obs.summary(), "reason": why,
            "seconds": round(time.monotonic() - started, 3)}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--wsp", required=True)
    parser.add_argument("--role", choices=["server", "client", "both"], default="both")
    parser.add_argument("--quick", action="store_true", help="smaller family 9 (for quick runs)")
    parser.add_argument("--only", help="run only case ids starting with this prefix")
    parser.add_argument("--server-port", type=int, help="test another echo server on 127.0.0.1 (server role)")
    parser.add_argument("--timeout-scale", type=float, default=1.0,
                        help="multiply every wait (for a slow or emulated peer)")
    parser.add_argument("--json")
    parser.add_argument("--markdown")
    parser.add_argument("--junit")
    args = parser.parse_args()
    global TIMEOUT_SCALE
    TIMEOUT_SCALE = args.timeout_scale
    results = []
    started = time.monotonic()
    for role in (["server", "client"] if args.role == "both" else [args.role]):
        cases = [c for c in C.all_cases(role, args.quick) if not args.only or c.id.startswith(args.only)]
        if role == "server":
            results += run_server_role(cases, args.wsp, args.server_port)
        else:
            results += run_client_role(cases, args.wsp)
    counts = {v: sum(1 for r in results if r["verdict"] == v) for v in ("OK", "NON-STRICT", "FAILED")}
    note = "Latest run: %d cases in %.0f s%s." % (len(results), time.monotonic() - started,
                                                  " (quick family 9)" if args.quick else "")
    if args.json:
        with open(args.json, "w") as out:
            json.dump({"summary": counts, "results": results}, out, indent=1)
    if args.markdown:
        write_markdown(args.markdown, results, note)
    if args.junit:
        write_junit(args.junit, results)
    print("conformance: %d OK, %d NON-STRICT, %d FAILED" % (counts["OK"], counts["NON-STRICT"], counts["FAILED"]))
    return 0 if counts["OK"] == len(results) else 1


if __name__ == "__main__":
    sys.exit(main())
