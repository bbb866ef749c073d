#!/usr/bin/env python3
"""A Godot 4-style multiplayer peer, written from docs/multiplayer.md (not from wspeer's code),
to check the wire format against wspeer in both roles. Python `websockets` carries the messages.

  godot_peer.py client URL   joins a wspeer server as a Godot client would, runs a script of
                             sends and checks, and prints one line per thing it saw
  godot_peer.py server       acts as a Godot server for one wspeer client; prints its port first

Each printed line is "event ..." for the C++ test to compare; "fail ..." on a broken rule (then
the exit status is 1).
"""
import asyncio
import struct
import sys

import websockets

RAW, SYS = 3, 7
AUTH, ADD_PEER, DEL_PEER, RELAY = 0, 1, 2, 3


def raw(data):
    return bytes([RAW]) + data


def sys_packet(command, peer, inner=b""):
    return bytes([SYS, command]) + struct.pack("<i", peer) + inner


def say(*words):
    print(" ".join(str(w) for w in words), flush=True)


def parse(packet):
    """(kind, peer, payload) as the document describes the packets."""
    if not packet:
        return ("invalid", 0, b"")
    command = packet[0] & 7
    if command == RAW:
        return ("raw", 0, packet[1:]) if len(packet) >= 2 else ("invalid", 0, b"")
    if command != SYS or len(packet) < 2:
        return ("other", 0, b"")
    if packet[1] == AUTH:
        return ("auth", 0, packet[2:])
    if len(packet) < 6:
        return ("invalid", 0, b"")
    peer = struct.unpack("<i", packet[2:6])[0]
    return ({ADD_PEER: "add", DEL_PEER: "del", RELAY: "relay"}.get(packet[1], "other"), peer,
            packet[6:])


async def receive(ws, timeout=10):
    message = await asyncio.wait_for(ws.recv(), timeout)
    if not isinstance(message, bytes):
        say("fail", "a text message:", message)
        sys.exit(1)
    return message


async def client(url):
    """Joins, then: waits for the others of the room (ADD_PEER), sends to the server directly, to
    everyone and to one peer through relays, tries to pass a relay off as another peer's, and
    reports what comes back until the server closes."""
    async with websockets.connect(url) as ws:
        first = await receive(ws)
        if len(first) != 4:
            say("fail", "the first message is", len(first), "bytes, not 4")
            sys.exit(1)
        me = struct.unpack("<i", first)[0]
        say("id", me)
        others = []
        kind, peer, _ = parse(await receive(ws))
        if kind != "add":
            say("fail", "expected ADD_PEER, got", kind)
            sys.exit(1)
        others.append(peer)
        say("add", peer)
        other = others[0]
        await ws.send(raw(b"hello server"))                       # to the server only
        await ws.send(sys_packet(RELAY, 0, raw(b"hello all")))    # everyone, the server too
        await ws.send(sys_packet(RELAY, other, raw(b"hi peer")))  # one peer
        # A relay whose inner packet is itself a relay "from" someone else: must not be believed.
        await ws.send(sys_packet(RELAY, other, sys_packet(RELAY, 99, raw(b"forged"))))
        await ws.send(raw(b"done sending"))
        try:
            while True:
                kind, peer, payload = parse(await receive(ws))
                if kind == "relay":
                    inner_kind, _, inner = parse(payload)
                    say("relay", peer, inner_kind, inner.decode())
                elif kind == "raw":
                    say("raw", payload.decode())
                else:
                    say(kind, peer)
        except websockets.ConnectionClosed:
            say("closed")


async def server():
    """Serves one client as a Godot server would: its id, a peer 42 that joins, speaks through a
    relay and leaves, raw bytes from the server, and reports what the client sends."""
    done = asyncio.get_running_loop().create_future()

    async def handler(ws, path):
        await ws.send(struct.pack("<i", 1234))
        await ws.send(sys_packet(ADD_PEER, 42))
        await ws.send(sys_packet(RELAY, 42, raw(b"from 42")))
        await ws.send(raw(b"from server"))
        seen = 0
        while seen < 2:
            kind, peer, payload = parse(await receive(ws))
            if kind == "relay":
                inner_kind, _, inner = parse(payload)
                say("relay", peer, inner_kind, inner.decode())
            elif kind == "raw":
                say("raw", payload.decode())
            else:
                say(kind, peer)
            seen += 1
        await ws.send(sys_packet(DEL_PEER, 42))
        await asyncio.sleep(0.2)
        await ws.close()
        done.set_result(True)

    async with websockets.serve(handler, "127.0.0.1", 0) as listener:
        say("port", listener.sockets[0].getsockname()[1])
        await asyncio.wait_for(done, 20)


if __name__ == "__main__":
    if sys.argv[1] == "client":
        asyncio.run(client(sys.argv[2]))
    else:
        asyncio.run(server())
