#!/usr/bin/python3
"""Reference echo client (Python websockets 10.4) with the CLI contract of burrow's echo_client.

usage:  reference_echo_client.py URL [--subprotocol NAME]... [--max-message-size BYTES] [--corrupt]

It exists to prove the interop suites right before burrow's own echo_client is run against them:
connects to URL (offering the subprotocols given), prints 'subprotocol: NAME' when the server
selected one, echoes every message whole with its type until the server closes. Exit status 0
after a clean close handshake started by the server (any valid code); 1 on any error (the error on
stderr), including a message over --max-message-size (default 64 MiB; closes with 1009).

--corrupt (test-only, not part of the contract) flips the last byte of every echoed binary message
of 1000 bytes or more, so a suite run against it must fail.
"""
import sys

sys.dont_write_bytecode = True

import argparse  # noqa: E402
import asyncio  # noqa: E402

import websockets  # noqa: E402
from websockets.exceptions import ConnectionClosed  # noqa: E402


def corrupt(msg):
    if isinstance(msg, bytes) and len(msg) >= 1000:
        return msg[:-1] + bytes([msg[-1] ^ 0x01])
    return msg


async def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("url")
    ap.add_argument("--subprotocol", action="append", default=[])
    ap.add_argument("--max-message-size", type=int, default=64 * 1024 * 1024)
    ap.add_argument("--corrupt", action="store_true")
    args = ap.parse_args()
    try:
        async with websockets.connect(args.url, subprotocols=args.subprotocol or None,
                                      max_size=args.max_message_size, compression=None,
                                      ping_interval=None, open_timeout=10,
                                      close_timeout=2) as ws:
            if ws.subprotocol:
                print(f"subprotocol: {ws.subprotocol}", flush=True)
            try:
                while True:
                    msg = await ws.recv()
                    await ws.send(corrupt(msg) if args.corrupt else msg)
            except ConnectionClosed:
                await ws.wait_closed()
            if ws.close_rcvd is not None and ws.close_rcvd_then_sent:
                return 0
            print(f"error: connection closed without a clean close handshake from the server "
                  f"(code {ws.close_code}, reason {ws.close_reason!r})", file=sys.stderr)
            return 1
    except Exception as e:  # noqa: BLE001
        print(f"error: {type(e).__name__}: {e}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
