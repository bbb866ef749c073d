"""Python `websockets` echo server for the comparison (prints the port)."""
import asyncio

import websockets


async def echo(ws, path):
    try:
        async for message in ws:
            await ws.send(message)
    except websockets.ConnectionClosed:
        pass


async def main():
    async with websockets.serve(echo, "127.0.0.1", 0, max_size=None, compression=None) as server:
        print("listening on port %d" % server.sockets[0].getsockname()[1], flush=True)
        await asyncio.Future()


asyncio.run(main())
