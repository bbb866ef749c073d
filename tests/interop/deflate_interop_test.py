"""permessage-deflate against real peers: `wsp echo-server --deflate` serving Python `websockets`
(compression on by default) with every parameter combination and Node `ws`; `wsp connect` and
`wsp echo-client` against Python and Node servers; and raw frames that prove what is on the
wire: replies compressed with context takeover, and a zip bomb, corrupt data or an unexpected
RSV1 closing with 1009, 1007 and 1002.

  deflate_interop_test.py WSP NODE_PEER"""
import asyncio
import itertools
import os
import socket
import struct
import subprocess
import sys
import zlib

import websockets
from websockets.extensions.permessage_deflate import ClientPerMessageDeflateFactory

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
import junit  # noqa: E402

WSP, NODE_PEER = sys.argv[1], sys.argv[2]
NODE_ENV = dict(os.environ, NODE_PATH=os.environ.get("WSPEER_NODE_MODULES", ""))
servers = []


def start_server(*flags):
    """A wsp echo-server on a free loopback port; returns its port."""
    server = subprocess.Popen([WSP, "echo-server", "--host", "127.0.0.1", "--port", "0", "--quiet",
                               *flags], stdout=subprocess.PIPE, text=True)
    servers.append(server)
    return int(server.stdout.readline().split()[3])


def messages():
    texts = [f'{{"id": {i}, "name": "{"player" * (i % 40)}", "pos": [{i}, {i * 2}]}}'
             for i in range(100)]
    return texts + [bytes(300000), "é" * 40000, b"", "", bytes(range(256)) * 10]


async def echo_all(ws, batch):
    for message in batch:
        await ws.send(message)
        reply = await ws.recv()
        assert reply == message, f"reply of {len(reply)} for a message of {len(message)}"


PORT = start_server("--deflate")


@junit.case("wsp echo-server --deflate: Python websockets with every parameter combination")
def python_client_every_combination():
    combos = itertools.product([False, True], [False, True], [None, 9, 12, 15],
                               [None, True, 9, 15])

    async def run():
        batch = messages()
        for server_nct, client_nct, server_bits, client_bits in combos:
            factory = ClientPerMessageDeflateFactory(
                server_no_context_takeover=server_nct, client_no_context_takeover=client_nct,
                server_max_window_bits=server_bits, client_max_window_bits=client_bits)
            async with websockets.connect(f"ws://127.0.0.1:{PORT}/", extensions=[factory],
                                          max_size=None) as ws:
                agreed = ws.response_headers.get("Sec-WebSocket-Extensions", "")
                assert agreed.startswith("permessage-deflate"), agreed
                assert len(ws.extensions) == 1
                await echo_all(ws, batch)
    asyncio.run(run())


@junit.case("wsp echo-server --deflate: an 8-bit server window is agreed (replies go uncompressed)")
def python_client_eight_bit_server_window():
    async def run():
        factory = ClientPerMessageDeflateFactory(server_max_window_bits=8)
        async with websockets.connect(f"ws://127.0.0.1:{PORT}/", extensions=[factory]) as ws:
            assert "server_max_window_bits=8" in ws.response_headers["Sec-WebSocket-Extensions"]
            await echo_all(ws, messages()[:20])
    asyncio.run(run())


@junit.case("wsp echo-server without --deflate declines the offer")
def server_declines_by_default():
    port = start_server()

    async def run():
        async with websockets.connect(f"ws://127.0.0.1:{port}/") as ws:
            assert "Sec-WebSocket-Extensions" not in ws.response_headers
            assert ws.extensions == []
            await echo_all(ws, messages()[:5])
    asyncio.run(run())


# ---- raw frames: what is really on the wire ----

def raw_connect(port, extensions="permessage-deflate"):
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    sock.sendall((f"GET / HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
                  "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                  f"Sec-WebSocket-Version: 13\r\nSec-WebSocket-Extensions: {extensions}\r\n\r\n"
                  ).encode())
    head = b""
    while b"\r\n\r\n" not in head:
        head += sock.recv(1)
    assert head.startswith(b"HTTP/1.1 101"), head
    return sock, head.decode()


def send_frame(sock, opcode, payload, rsv1):
    key = b"\x01\x02\x03\x04"
    first = 0x80 | (0x40 if rsv1 else 0) | opcode
    if len(payload) < 126:
        header = struct.pack("!BB", first, 0x80 | len(payload))
    elif len(payload) < 65536:
        header = struct.pack("!BBH", first, 0x80 | 126, len(payload))
    else:
        header = struct.pack("!BBQ", first, 0x80 | 127, len(payload))
    masked = bytes(b ^ key[i % 4] for i, b in enumerate(payload))
    sock.sendall(header + key + masked)


def read_exactly(sock, n):
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        assert chunk, "connection closed"
        data += chunk
    return data


def read_frame(sock):
    first, second = read_exactly(sock, 2)
    length = second & 0x7F
    if length == 126:
        length = struct.unpack("!H", read_exactly(sock, 2))[0]
    elif length == 127:
        length = struct.unpack("!Q", read_exactly(sock, 8))[0]
    return bool(first & 0x40), first & 0x0F, read_exactly(sock, length)


def compress(compressor, data):
    out = compressor.compress(data) + compressor.flush(zlib.Z_SYNC_FLUSH)
    assert out.endswith(b"\x00\x00\xff\xff")
    return out[:-4]


@junit.case("raw: replies are compressed (RSV1) and the second one uses the first's window")
def raw_replies_compressed_with_context():
    sock, head = raw_connect(PORT)
    assert "Sec-WebSocket-Extensions: permessage-deflate" in head, head
    text = b'{"players": [' + b", ".join(b'{"id": %d, "name": "p%d"}' % (i, i) for i in range(60)) + b"]}"
    compressor = zlib.compressobj(wbits=-15)
    decompressor = zlib.decompressobj(wbits=-15)
    sizes = []
    for _ in range(2):
        send_frame(sock, 0x1, compress(compressor, text), rsv1=True)
        rsv1, opcode, payload = read_frame(sock)
        assert rsv1 and opcode == 0x1, (rsv1, opcode)
        assert decompressor.decompress(payload + b"\x00\x00\xff\xff") == text
        sizes.append(len(payload))
    assert sizes[0] < len(text) / 2 and sizes[1] < sizes[0] / 4, sizes
    sock.close()


def expect_close(sock, code):
    while True:
        _, opcode, payload = read_frame(sock)
        if opcode == 0x8:
            got = struct.unpack("!H", payload[:2])[0]
            assert got == code, f"closed with {got} {payload[2:]!r}, expected {code}"
            return


@junit.case("raw: a zip bomb (16 MiB of zeros in about 16 KiB) gets 1009 under --max-message")
def raw_zip_bomb():
    port = start_server("--deflate", "--max-message", "65536")
    sock, _ = raw_connect(port)
    bomb = compress(zlib.compressobj(wbits=-15), bytes(16 << 20))
    assert len(bomb) < 40000
    send_frame(sock, 0x2, bomb, rsv1=True)
    expect_close(sock, 1009)
    sock.close()
    sock, _ = raw_connect(port)  # the server still serves
    send_frame(sock, 0x1, compress(zlib.compressobj(wbits=-15), b"still here"), rsv1=True)
    rsv1, _, payload = read_frame(sock)
    assert payload == b"still here" and not rsv1  # below the 64-byte threshold: uncompressed
    sock.close()


@junit.case("raw: corrupt compressed data gets 1007")
def raw_corrupt():
    sock, _ = raw_connect(PORT)
    send_frame(sock, 0x2, b"\xff\xff\xff\xff\x00", rsv1=True)
    expect_close(sock, 1007)
    sock.close()


@junit.case("raw: RSV1 when the extension was declined gets 1002")
def raw_rsv1_not_negotiated():
    port = start_server()
    sock, head = raw_connect(port)
    assert "Sec-WebSocket-Extensions" not in head
    send_frame(sock, 0x1, compress(zlib.compressobj(wbits=-15), b"hello"), rsv1=True)
    expect_close(sock, 1002)
    sock.close()


# ---- wspeer as the client ----

PYTHON_SERVER = r"""
import asyncio, sys, websockets
async def echo(ws):
    print("offer", ws.request_headers.get("Sec-WebSocket-Extensions", ""), flush=True)
    async for message in ws:
        await ws.send(message)
async def main():
    async with websockets.serve(echo, "127.0.0.1", 0, max_size=None) as server:
        print("port", server.sockets[0].getsockname()[1], flush=True)
        await asyncio.Future()
asyncio.run(main())
"""


def python_server():
    server = subprocess.Popen(["/usr/bin/python3", "-c", PYTHON_SERVER], stdout=subprocess.PIPE,
                              text=True)
    servers.append(server)
    return server, int(server.stdout.readline().split()[1])


@junit.case("wsp connect offers deflate by default to a Python websockets server and echoes")
def wsp_connect_python_server():
    server, port = python_server()
    lines = [f'{{"line": {i}, "text": "{"abc" * (i % 100)}"}}' for i in range(300)]
    result = subprocess.run([WSP, "connect", f"ws://127.0.0.1:{port}/"],
                            input="\n".join(lines) + "\n", capture_output=True, text=True,
                            timeout=30)
    assert result.stdout.splitlines() == lines, result.stderr
    offer = server.stdout.readline().strip()
    assert offer == "offer permessage-deflate; client_max_window_bits", offer
    result = subprocess.run([WSP, "connect", "--no-deflate", f"ws://127.0.0.1:{port}/"],
                            input="x\n", capture_output=True, text=True, timeout=30)
    assert result.stdout == "x\n" and server.stdout.readline().strip() == "offer", result.stderr


@junit.case("wsp echo-client --deflate with its parameters against a Node ws server")
def wsp_echo_client_node_server():
    node = subprocess.Popen(["node", NODE_PEER, "server"], stdout=subprocess.PIPE, text=True,
                            env=NODE_ENV)
    servers.append(node)
    port = int(node.stdout.readline().split()[1])
    result = subprocess.run([WSP, "echo-client", "--deflate", "--deflate-client-max-window-bits",
                             "10", "--deflate-server-no-context-takeover",
                             f"ws://127.0.0.1:{port}/"], capture_output=True, text=True,
                            timeout=30)
    assert result.returncode == 0, result.stderr
    offer = node.stdout.readline().strip()
    assert offer == ("offer permessage-deflate; server_no_context_takeover; "
                     "client_max_window_bits=10"), offer
    assert node.stdout.readline().strip() == "ok 204"


@junit.case("a Node ws client with perMessageDeflate against wsp echo-server --deflate")
def node_client_wsp_server():
    result = subprocess.run(["node", NODE_PEER, "client", f"ws://127.0.0.1:{PORT}/"],
                            capture_output=True, text=True, timeout=30, env=NODE_ENV)
    lines = result.stdout.splitlines()
    assert lines[:1] == ["extensions permessage-deflate"] and lines[-1:] == ["ok 204"], result


for server in servers:
    server.kill()
junit.finish("deflate_interop")
