"""A real peer for wspeer's interoperability tests, built on Python `websockets` (Debian package).

  python_peer.py server [--cert C --key K]   echo server with commands; prints "port N"
  python_peer.py client URL [--ca FILE]      runs the client script against a wspeer echo server

Server commands (text messages): cmd:fragment, cmd:ping, cmd:protocol, cmd:close:CODE:REASON.
Anything else is echoed with its type. When a connection ends the server prints
"closed CODE REASON".
"""
import asyncio
import ssl
import sys

import websockets


def arg(name, default=None):
    return sys.argv[sys.argv.index(name) + 1] if name in sys.argv else default


async def serve_one(ws, path):
    try:
        async for message in ws:
            if isinstance(message, str) and message.startswith("cmd:"):
                if message == "cmd:fragment":
                    await ws.send(iter(["Hel", "lo, ", "w\u00f6rld"]))
                elif message == "cmd:ping":
                    waiter = await ws.ping(b"are you there")
                    await asyncio.wait_for(waiter, 5)
                    await ws.send("pong-received")
                elif message == "cmd:protocol":
                    await ws.send(ws.subprotocol or "")
                elif message.startswith("cmd:close:"):
                    _, _, code, reason = message.split(":", 3)
                    await ws.close(int(code), reason)
                    break
            else:
                await ws.send(message)
    except websockets.ConnectionClosed:
        pass
    await ws.wait_closed()
    print(f"closed {ws.close_code} {ws.close_reason}", flush=True)


async def server():
    context = None
    if arg("--cert"):
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(arg("--cert"), arg("--key"))
    async with websockets.serve(serve_one, "127.0.0.1", 0, subprotocols=["chat", "superchat"],
                                max_size=None, compression=None, ssl=context) as running:
        port = running.sockets[0].getsockname()[1]
        print(f"port {port}", flush=True)
        await asyncio.Future()


def expect(condition, what):
    if not condition:
        print(f"FAILED: {what}", flush=True)
        sys.exit(1)


async def client(url):
    context = None
    if url.startswith("wss://"):
        context = ssl.create_default_context(cafile=arg("--ca"))
    async with websockets.connect(url, subprotocols=["chat"], max_size=None, compression=None,
                                  ssl=context) as ws:
        expect(ws.subprotocol == "chat", f"subprotocol {ws.subprotocol!r}")
        await ws.send("hello")
        expect(await ws.recv() == "hello", "text echo")
        payload = bytes(range(256)) * 4
        await ws.send(payload)
        expect(await ws.recv() == payload, "binary echo")
        await ws.send(iter(["frag", "mented ", "text"]))
        expect(await ws.recv() == "fragmented text", "fragmented echo")
        big = bytes(i % 251 for i in range(1 << 20))
        await ws.send(big)
        expect(await ws.recv() == big, "1 MiB echo")
        waiter = await ws.ping(b"ping from python")
        await asyncio.wait_for(waiter, 5)
        await ws.close(4003, "client bye")
        expect(ws.close_code == 4003, f"close code {ws.close_code}")
    print("client ok", flush=True)


if __name__ == "__main__":
    if sys.argv[1] == "server":
        asyncio.run(server())
    else:
        asyncio.run(client(sys.argv[2]))
