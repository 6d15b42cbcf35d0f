#!/usr/bin/python3
"""Reference echo server (Python websockets 10.4) with the CLI contract of burrow's echo_server.

usage:  reference_echo_server.py --port N [--host 127.0.0.1] [--subprotocol NAME]...
                                 [--max-message-size BYTES] [--corrupt]

It exists to prove the interop suites right before burrow's own echo_server is run against them:
echoes every message whole with its type, answers pings (websockets does), echoes the peer's close
code, selects the first subprotocol the client offers that it supports, closes with 1009 when a
message is over --max-message-size (default 64 MiB). Prints 'listening on HOST:PORT' once ready;
runs until SIGTERM/SIGINT.

--corrupt (test-only, not part of the contract) flips the last byte of every echoed binary message
of 1000 bytes or more, so a suite run against it must fail.
"""
import sys

sys.dont_write_bytecode = True

import argparse  # noqa: E402
import asyncio  # noqa: E402
import signal  # noqa: E402

import websockets  # noqa: E402
from websockets.exceptions import ConnectionClosed  # noqa: E402


def corrupt(msg):
    if isinstance(msg, bytes) and len(msg) >= 1000:
        return msg[:-1] + bytes([msg[-1] ^ 0x01])
    return msg


async def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--subprotocol", action="append", default=[])
    ap.add_argument("--max-message-size", type=int, default=64 * 1024 * 1024)
    ap.add_argument("--corrupt", action="store_true")
    args = ap.parse_args()

    def select(client_protocols, server_protocols):
        return next((p for p in client_protocols if p in server_protocols), None)

    async def handler(ws):
        try:
            async for msg in ws:
                await ws.send(corrupt(msg) if args.corrupt else msg)
        except ConnectionClosed:
            pass

    stop = asyncio.get_running_loop().create_future()
    for sig in (signal.SIGTERM, signal.SIGINT):
        asyncio.get_running_loop().add_signal_handler(sig, lambda: stop.done() or stop.set_result(None))
    async with websockets.serve(handler, args.host, args.port,
                                subprotocols=args.subprotocol or None, select_subprotocol=select,
                                max_size=args.max_message_size, compression=None,
                                ping_interval=None, close_timeout=1) as server:
        host, port = server.sockets[0].getsockname()[:2]
        print(f"listening on {host}:{port}", flush=True)
        await stop


if __name__ == "__main__":
    asyncio.run(main())
