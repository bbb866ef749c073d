"""Runs examples/guarded_server (quoted in docs/server.md) and checks each decision it makes:
the HTTP answer a client gets and the line the server prints."""
import os
import queue
import socket
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
import junit  # noqa: E402

server = subprocess.Popen([sys.argv[1]], stdout=subprocess.PIPE, text=True)
port = int(server.stdout.readline().split()[-1])


def request(path, headers):
    """Sends an upgrade request; returns (status line, response head)."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        lines = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
        sock.sendall((f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
                      "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                      f"Sec-WebSocket-Version: 13\r\n{lines}\r\n").encode())
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = sock.recv(4096)
            if not chunk:
                break
            data += chunk
        if data.startswith(b"HTTP/1.1 101"):
            # Prove the connection is open: an echo of a masked text frame.
            sock.sendall(bytes([0x81, 0x82, 0, 0, 0, 0]) + b"hi")
            echo = sock.recv(16)
            assert echo == bytes([0x81, 0x02]) + b"hi", echo
        else:
            while chunk := sock.recv(4096):
                data += chunk
    head = data.decode(errors="replace")
    return head.split("\r\n", 1)[0], head


lines = queue.Queue()
threading.Thread(target=lambda: [lines.put(line.strip()) for line in server.stdout],
                 daemon=True).start()
seen = []


def printed(expected, seconds=5):
    """Waits until the server printed `expected` (other lines are kept for later checks)."""
    deadline = time.monotonic() + seconds
    while expected not in seen and time.monotonic() < deadline:
        try:
            seen.append(lines.get(timeout=0.05))
        except queue.Empty:
            pass
    return expected in seen


@junit.case("a browser page from an allowed origin with a valid token is accepted")
def allowed():
    status, head = request("/a", {"Origin": "https://game.example",
                                  "Authorization": "Bearer let-me-in"})
    assert status == "HTTP/1.1 101 Switching Protocols", status
    assert "\r\nSet-Cookie: session=1; HttpOnly\r\n" in head, head
    assert printed("accepted /a"), seen


@junit.case("a native client (no Origin) with a valid token is accepted")
def native():
    status, _ = request("/b", {"Authorization": "Bearer let-me-in"})
    assert status.startswith("HTTP/1.1 101"), status
    assert printed("accepted /b"), seen


@junit.case("a cross-site page is refused with 403 before any token check")
def cross_site():
    start = time.monotonic()
    status, head = request("/c", {"Origin": "http://evil.example",
                                  "Authorization": "Bearer let-me-in"})
    assert status == "HTTP/1.1 403 Forbidden", status
    assert head.endswith("This origin may not connect.\n"), head
    assert printed("refused 403 /c"), seen
    assert time.monotonic() - start < 2


@junit.case("Origin: null is refused with 403")
def null_origin():
    status, _ = request("/d", {"Origin": "null"})
    assert status == "HTTP/1.1 403 Forbidden", status
    assert printed("refused 403 /d"), seen


@junit.case("a wrong token is refused with 401 after the asynchronous check")
def wrong_token():
    start = time.monotonic()
    status, head = request("/e", {"Authorization": "Bearer guess"})
    assert status == "HTTP/1.1 401 Unauthorized", status
    assert "\r\nWWW-Authenticate: Bearer\r\n" in head, head
    assert time.monotonic() - start >= 0.04, "answered before the check could finish"
    assert printed("refused 401 /e"), seen


@junit.case("every refused or finished client is released")
def released():
    for path in "abcde":
        assert printed(f"closed /{path}: ") or any(
            line.startswith(f"closed /{path}:") for line in seen), seen
    assert not any(line.startswith("accepted /c") or line.startswith("accepted /e")
                   for line in seen), seen


server.kill()
junit.finish("guarded_server")
