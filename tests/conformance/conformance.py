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
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cases as C  # noqa: E402

GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


def mask_bytes(data, key):
    if not data:
        return b""
    n = len(data)
    repeated = (key * (n // 4 + 1))[:n]
    return (int.from_bytes(data, "little") ^ int.from_bytes(repeated, "little")).to_bytes(n, "little")


class RawEnd:
    """The runner's end of one connection: builds, sends and reads raw frames."""

    def __init__(self, sock, runner_is_client):
        self.sock = sock
        self.masks = runner_is_client
        self.buffer = bytearray()
        self.eof = False
        self.send_failed = False
        self.protocol_errors = []

    def build(self, opcode, payload=b"", fin=True, rsv=0, masked=None, length_form=None):
        masked = self.masks if masked is None else masked
        mbit = 0x80 if masked else 0
        head = bytes([(0x80 if fin else 0) | (rsv << 4) | opcode])
        n = len(payload)
        if length_form is None:
            length_form = 0 if n < 126 else (126 if n <= 0xFFFF else 127)
        if length_form == 0:
            head += bytes([mbit | n])
        elif length_form == 126:
            head += bytes([mbit | 126]) + struct.pack("!H", n)
        else:
            head += bytes([mbit | 127]) + struct.pack("!Q", n)
        if masked:
            key = os.urandom(4)
            return head + key + mask_bytes(payload, key)
        return head + payload

    def send(self, data, chop=None, delay=0.0):
        try:
            if not chop:
                self.sock.sendall(data)
                return
            pieces = range(0, len(data), chop)
            pause = delay or (0.0002 if len(pieces) < 2000 else 0)
            for offset in pieces:
                self.sock.sendall(data[offset:offset + chop])
                if pause:
                    time.sleep(pause)
        except OSError:
            self.send_failed = True

    def read_frame(self, deadline):
        """Returns (opcode, fin, rsv, masked, payload), "eof", or None at the deadline."""
        while True:
            frame = self._parse()
            if frame is not None:
                return frame
            if self.eof:
                return "eof"
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
            ready, _, _ = select.select([self.sock], [], [], min(remaining, 0.5))
            if not ready:
                continue
            try:
                chunk = self.sock.recv(1 << 20)
            except OSError:
                chunk = b""
            if not chunk:
                self.eof = True
            self.buffer += chunk

    def _parse(self):
        b = self.buffer
        if len(b) < 2:
            return None
        fin, rsv, opcode = b[0] >> 7, (b[0] >> 4) & 7, b[0] & 15
        masked, n, pos = b[1] >> 7, b[1] & 127, 2
        if n == 126:
            if len(b) < 4:
                return None
            n, pos = struct.unpack("!H", b[2:4])[0], 4
        elif n == 127:
            if len(b) < 10:
                return None
            n, pos = struct.unpack("!Q", b[2:10])[0], 10
        key = b""
        if masked:
            if len(b) < pos + 4:
                return None
            key, pos = bytes(b[pos:pos + 4]), pos + 4
        if len(b) < pos + n:
            return None
        payload = bytes(b[pos:pos + n])
        del b[:pos + n]
        if masked:
            payload = mask_bytes(payload, key)
        return (opcode, bool(fin), rsv, bool(masked), payload)


class Observation:
    def __init__(self):
        self.messages = []   # (opcode, payload)
        self.pongs = []
        self.closed = False  # a close frame arrived
        self.close = None    # its code (None for an empty close frame)
        self.close_reason = b""
        self.eof = False
        self.fast = None     # for fail-fast cases: closed before the rest was sent
        self.notes = []
        self._fragments = None

    def add(self, frame, peer_should_mask):
        opcode, fin, rsv, masked, payload = frame
        if masked != peer_should_mask:
            self.notes.append("frame %s masking (opcode %d)" % ("with wrong", opcode))
        if opcode == C.PONG:
            self.pongs.append(payload)
        elif opcode == C.CLOSE:
            self.closed = True
            self.close = struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else None
            self.close_reason = payload[2:]
        elif opcode == C.PING:
            self.notes.append("unexpected ping")
        elif opcode in (C.TEXT, C.BINARY):
            if fin:
                self.messages.append((opcode, payload))
            else:
                self._fragments = [opcode, payload]
        elif opcode == C.CONT and self._fragments is not None:
            self._fragments[1] += payload
            if fin:
                self.messages.append(tuple(self._fragments))
                self._fragments = None

    def summary(self):
        parts = []
        if self.messages:
            parts.append("%d message(s) %s" % (len(self.messages), ", ".join(
                "%s:%d bytes" % ("text" if op == C.TEXT else "binary", len(p)) for op, p in self.messages[:3])))
        if self.pongs:
            parts.append("%d pong(s)" % len(self.pongs))
        if self.closed:
            parts.append("close %s" % ("(no code)" if self.close is None else self.close))
        elif self.eof:
            parts.append("TCP closed without a close frame")
        if self.fast is False:
            parts.append("failed only after the rest was sent")
        parts += self.notes
        return "; ".join(parts) or "nothing"


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
    deadline = time.monotonic() + case.timeout
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
        end.send(end.build(C.CLOSE, C.close_payload(1000)))
        collect(end, obs, peer_should_mask, time.monotonic() + 5, lambda o: o.closed)
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


def handshake_request(port, path):
    key = base64.b64encode(os.urandom(16)).decode()
    request = ("GET %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
               "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n\r\n" % (path, port, key))
    return request.encode(), key


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
                                   "--max-message", str(32 << 20)],
                                  stdout=subprocess.PIPE, text=True)
        port = int(server.stdout.readline().split()[3])
    results = []
    try:
        for case in cases:
            started = time.monotonic()
            sock = socket.create_connection(("127.0.0.1", port), timeout=5)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            request, key = handshake_request(port, "/case/" + case.id)
            sock.sendall(request)
            head, rest = read_head(sock, time.monotonic() + 5)
            end = RawEnd(sock, runner_is_client=True)
            end.buffer += rest
            obs = Observation()
            if not head.startswith("HTTP/1.1 101"):
                verdict, why = "FAILED", "handshake failed: " + head.split("\r\n")[0]
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
        client = subprocess.Popen([wsp, "echo-client", "ws://127.0.0.1:%d/case/%s" % (port, case.id)],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        obs = Observation()
        listener.settimeout(10)
        try:
            sock, _ = listener.accept()
        except socket.timeout:
            client.kill()
            results.append(record(case, "client", "FAILED", "the client did not connect", obs, started))
            continue
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        head, rest = read_head(sock, time.monotonic() + 5)
        key = [line.split(":", 1)[1].strip() for line in head.split("\r\n")
               if line.lower().startswith("sec-websocket-key:")]
        accept = base64.b64encode(hashlib.sha1(key[0].encode() + GUID).digest()).decode() if key else ""
        sock.sendall(("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                      "Sec-WebSocket-Accept: %s\r\n\r\n" % accept).encode())
        end = RawEnd(sock, runner_is_client=False)
        end.buffer += rest
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


def family_of(case_id):
    return case_id.split(".")[0]


FAMILY_NAMES = {"1": "Framing", "2": "Pings/Pongs", "3": "Reserved bits", "4": "Opcodes",
                "5": "Fragmentation", "6": "UTF-8 handling", "7": "Close handling",
                "9": "Limits/Performance", "10": "Auto-fragmentation", "11": "Masking and lengths (wspeer)"}


def write_markdown(path, results, wsp_version_note):
    lines = ["# Conformance", "",
             "Generated by `tests/conformance/conformance.py` (run it with `./run conformance`). The",
             "cases follow the Autobahn TestSuite's public case list for families 1-7, 9 and 10, plus",
             "wspeer's own masking cases (family 11). The runner speaks raw bytes over TCP: as a client",
             "to `wsp echo-server` (server role) and as a server to `wsp echo-client` (client role).",
             "", wsp_version_note, "", "## Summary", "",
             "| role | cases | OK | NON-STRICT | FAILED |", "|---|---|---|---|---|"]
    for role in ("server", "client"):
        rows = [r for r in results if r["role"] == role]
        if rows:
            count = lambda v: sum(1 for r in rows if r["verdict"] == v)
            lines.append("| %s | %d | %d | %d | %d |" % (role, len(rows), count("OK"), count("NON-STRICT"),
                                                          count("FAILED")))
    lines += ["", "## By family", "", "| family | role | cases | OK | not OK |", "|---|---|---|---|---|"]
    for family in FAMILY_NAMES:
        for role in ("server", "client"):
            rows = [r for r in results if r["role"] == role and family_of(r["id"]) == family]
            if rows:
                ok = sum(1 for r in rows if r["verdict"] == "OK")
                lines.append("| %s %s | %s | %d | %d | %d |" % (family, FAMILY_NAMES[family], role, len(rows), ok,
                                                               len(rows) - ok))
    lines += ["", "## Every case", "", "| case | description | server | client |", "|---|---|---|---|"]
    by_id = {}
    for r in results:
        by_id.setdefault(r["id"], {"description": r["description"]})[r["role"]] = r["verdict"]
    for case_id, row in by_id.items():
        lines.append("| %s | %s | %s | %s |" % (case_id, row["description"].replace("|", "\\|"),
                                                row.get("server", "-"), row.get("client", "-")))
    problems = [r for r in results if r["verdict"] != "OK"]
    if problems:
        lines += ["", "## Cases not OK", ""]
        for r in problems:
            lines.append("- %s (%s): %s. Expected %s; observed %s." % (r["id"], r["role"], r["verdict"],
                                                                      r["expected"], r["observed"]))
    with open(path, "w") as out:
        out.write("\n".join(lines) + "\n")


def write_junit(path, results):
    def esc(text):
        return (str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;"))
    body = []
    for r in results:
        name = esc("%s %s: %s" % (r["role"], r["id"], r["description"]))
        if r["verdict"] == "OK":
            body.append('<testcase name="%s"/>' % name)
        else:
            body.append('<testcase name="%s"><failure message="%s: expected %s; observed %s"/></testcase>' % (
                name, esc(r["verdict"]), esc(r["expected"]), esc(r["observed"])))
    failures = sum(1 for r in results if r["verdict"] != "OK")
    with open(path, "w") as out:
        out.write('<?xml version="1.0" encoding="UTF-8"?>\n<testsuites><testsuite name="conformance" '
                  'tests="%d" failures="%d">%s</testsuite></testsuites>\n' % (len(results), failures, "".join(body)))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--wsp", required=True)
    parser.add_argument("--role", choices=["server", "client", "both"], default="both")
    parser.add_argument("--quick", action="store_true", help="smaller family 9 (for quick runs)")
    parser.add_argument("--only", help="run only case ids starting with this prefix")
    parser.add_argument("--server-port", type=int, help="test another echo server on 127.0.0.1 (server role)")
    parser.add_argument("--json")
    parser.add_argument("--markdown")
    parser.add_argument("--junit")
    args = parser.parse_args()
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
