#!/usr/bin/python3
"""Reference echo peers built on Python `websockets` (Debian python3-websockets 10.4), with the
same command lines as burrow's examples, to validate the conformance tester:

  reference_echo.py server --port N [--host H] [--max-message-size BYTES] [--broken KIND]
  reference_echo.py client URL [--broken KIND]

--broken makes a deliberately non-conforming peer, to show the tester reports FAILED:
  no-utf8      text messages are not validated (echoed byte for byte as text)
  close-code   close codes are not validated: a close with 999, 1005, 5000, ... is echoed
"""

import argparse
import asyncio
import signal
import sys

import websockets
import websockets.frames
from websockets.frames import OP_BINARY, OP_TEXT
from websockets.legacy.client import WebSocketClientProtocol
from websockets.legacy.server import WebSocketServerProtocol


def broken_mixin(base, kind):
    class Broken(base):
        def __init__(self, *a, **kw):
            super().__init__(*a, **kw)
            self._text_flags = []

        async def read_data_frame(self, max_size):
            frame = await super().read_data_frame(max_size)
            if kind == "no-utf8" and frame is not None and frame.opcode == OP_TEXT:
                # hide the text opcode from the UTF-8 decoder; remember the message was text
                self._text_flags.append(True)
                return frame._replace(opcode=OP_BINARY)
            if frame is not None and frame.opcode == OP_BINARY:
                self._text_flags.append(False)
            return frame


    return Broken


async def echo(ws, kind):
    try:
        await _echo(ws, kind)
    except websockets.ConnectionClosed:
        pass


async def _echo(ws, kind):
    async for message in ws:
        if kind == "no-utf8" and ws._text_flags.pop(0):
            await ws.write_frame(True, OP_TEXT, message)
        else:
            await ws.send(message)


async def serve(args):
    proto = broken_mixin(WebSocketServerProtocol, args.broken) if args.broken else WebSocketServerProtocol
    stop = asyncio.get_running_loop().create_future()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set_result, None)
    asyncio.get_running_loop().add_signal_handler(signal.SIGINT, stop.set_result, None)
    async with websockets.serve(lambda ws, path=None: echo(ws, args.broken), args.host, args.port,
                                create_protocol=proto, compression=None,
                                max_size=args.max_message_size, max_queue=None,
                                ping_interval=None) as server:
        host, port = server.sockets[0].getsockname()[:2]
        print(f"listening on {host}:{port}", flush=True)
        await stop


async def client(args):
    proto = broken_mixin(WebSocketClientProtocol, args.broken) if args.broken else WebSocketClientProtocol
    try:
        async with websockets.connect(args.url, create_protocol=proto, compression=None,
                                      max_size=args.max_message_size, max_queue=None,
                                      ping_interval=None, open_timeout=10) as ws:
            await echo(ws, args.broken)
    except websockets.ConnectionClosed as e:
        # a completed closing handshake with 1000/1001 or no code is a normal end
        if e.rcvd is not None and e.sent is not None and e.rcvd.code in (1000, 1001, 1005):
            return 0
        print(f"connection closed with error: {e}", file=sys.stderr)
        return 1
    except Exception as e:
        print(f"error: {e!r}", file=sys.stderr)
        return 1
    code = ws.close_code
    return 0 if code in (1000, 1001, 1005) or code is None else 1


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("mode", choices=["server", "client"])
    ap.add_argument("url", nargs="?")
    ap.add_argument("--port", type=int, default=9001)
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--max-message-size", type=int, default=64 * 1024 * 1024)
    ap.add_argument("--broken", choices=["no-utf8", "close-code"])
    args = ap.parse_intermixed_args()
    if args.broken == "close-code":
        websockets.frames.Close.check = lambda self: None
    if args.mode == "server":
        asyncio.run(serve(args))
        return 0
    return asyncio.run(client(args))


if __name__ == "__main__":
    sys.exit(main())
