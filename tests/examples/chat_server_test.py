#!/usr/bin/python3
"""examples/chat_server end to end: back-pressure. Three clients read everything (Python
websockets); a fourth completes the upgrade on a raw socket with a tiny receive buffer and never
reads. One client broadcasts 1000 messages of 32 KiB (32 MB to each client). Checks: every reader
gets every message in order; the slow client is dropped (its connection ends); the server's
per-client queue never went over --max-queue-bytes; its peak resident memory stays far below what
queueing the slow client's share would take; the room still works afterwards.

usage: chat_server_test.py CHAT_SERVER_EXE
Prints one line per check; exit status 1 when any check failed.
"""
import asyncio
import base64
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request

import websockets

MAX_QUEUE = 256 * 1024
MESSAGE = 32 * 1024
COUNT = 1000
failures = 0


def check(name, ok, detail=""):
    global failures
    print(("ok   " if ok else "FAIL ") + name + ("" if ok else f": {detail}"), flush=True)
    failures += 0 if ok else 1


def peak_rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return -1


def stats(port):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/stats", timeout=5) as r:
        return json.loads(r.read())


def slow_client(port):
    """Upgrades on a raw socket with a 4 KiB receive buffer, then reads nothing."""
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.connect(("127.0.0.1", port))
    key = base64.b64encode(os.urandom(16)).decode()
    s.sendall(f"GET /chat HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
              f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n".encode())
    head = b""
    while b"\r\n\r\n" not in head:
        head += s.recv(1)
    if not head.startswith(b"HTTP/1.1 101"):
        raise SystemExit(f"slow client: upgrade refused: {head!r}")
    return s


def drain_until_closed(s, limit):
    """Reads the slow socket until the server's end; returns (bytes read, closed in time)."""
    s.settimeout(limit)
    total = 0
    try:
        while chunk := s.recv(1 << 20):
            total += len(chunk)
        return total, True
    except ConnectionResetError:
        return total, True
    except socket.timeout:
        return total, False


async def reader(url, expected, ready):
    got = 0
    in_order = True
    async with websockets.connect(url, max_size=None, open_timeout=5) as ws:
        ready.set_result(True)
        while got < expected:
            msg = await asyncio.wait_for(ws.recv(), 20)
            if msg[:8] != got.to_bytes(8, "big"):
                in_order = False
            got += 1
    return got, in_order


async def run(port):
    url = f"ws://127.0.0.1:{port}/chat"
    loop = asyncio.get_running_loop()
    readies = [loop.create_future() for _ in range(2)]
    readers = [asyncio.create_task(reader(url, COUNT, r)) for r in readies]
    await asyncio.gather(*readies)
    slow = await loop.run_in_executor(None, slow_client, port)
    async with websockets.connect(url, max_size=None, open_timeout=5) as sender:
        await asyncio.sleep(0.1)
        check("four clients in the room", stats(port)["clients"] == 4, json.dumps(stats(port)))
        echoed = 0
        for i in range(COUNT):
            await sender.send(i.to_bytes(8, "big") + bytes(MESSAGE - 8))
            if i % 8 == 7:  # the sender reads its own copies too, so it is not a slow client itself
                while echoed <= i - 4:
                    await asyncio.wait_for(sender.recv(), 20)
                    echoed += 1
        while echoed < COUNT:
            await asyncio.wait_for(sender.recv(), 20)
            echoed += 1
        results = await asyncio.wait_for(asyncio.gather(*readers), 60)
        for n, (got, in_order) in enumerate(results):
            check(f"reader {n + 1} got all {COUNT} messages in order", got == COUNT and in_order, f"{got}, in order {in_order}")
        check(f"the sender got its own {COUNT} messages back", echoed == COUNT, str(echoed))

        total, closed = await loop.run_in_executor(None, drain_until_closed, slow, 10)
        check("the slow client's connection was ended by the server", closed, f"still open after reading {total} bytes")
        check("the slow client got only part of the traffic", total < COUNT * MESSAGE // 2, f"{total} bytes")
        slow.close()

        st = stats(port)
        print(f"     stats: {json.dumps(st)}", flush=True)
        check("one client dropped", st["dropped"] == 1, json.dumps(st))
        check("no client's queue went over --max-queue-bytes",
              0 < st["peak_client_queue_bytes"] <= MAX_QUEUE, json.dumps(st))
        check("the room's queued bytes never went over clients x --max-queue-bytes",
              st["peak_queued_bytes"] <= 4 * MAX_QUEUE, json.dumps(st))

        # The room still works after the drop.
        await sender.send(b"after")
        check("the room still broadcasts after the drop", await asyncio.wait_for(sender.recv(), 5) == b"after")


def main():
    exe = sys.argv[1]
    proc = subprocess.Popen([exe, "--port", "0", "--max-queue-bytes", str(MAX_QUEUE), "--max-message-size", "65536",
                             "--drop-grace", "1", "-v"], stdout=subprocess.PIPE, text=True,
                            # an AddressSanitizer build keeps freed memory in quarantine (256 MiB),
                            # which would count as growth; no effect on other builds
                            env={**os.environ, "ASAN_OPTIONS": os.environ.get("ASAN_OPTIONS", "") + ":quarantine_size_mb=1"})
    line = proc.stdout.readline()
    if not line.startswith("listening on 127.0.0.1:"):
        proc.kill()
        raise SystemExit(f"chat_server did not start: {line!r}")
    port = int(line.rsplit(":", 1)[1])
    try:
        baseline = peak_rss_kib(proc.pid)
        start = time.monotonic()
        asyncio.run(run(port))
        peak = peak_rss_kib(proc.pid)
        print(f"     {COUNT} x {MESSAGE} bytes broadcast to 4 clients in {time.monotonic() - start:.1f} s; "
              f"server peak RSS {peak} KiB (at start {baseline} KiB)", flush=True)
        # Queueing the slow client's share would take ~30 MiB; bounded queues keep it to about
        # 4 x 256 KiB plus buffers.
        check("server peak memory grew by less than 16 MiB", peak - baseline < 16 * 1024, f"{peak - baseline} KiB")
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            status = proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
            status = None
    check("chat_server stops with status 0 on SIGTERM", status == 0, f"status {status}")
    print(f"{failures} failed", flush=True)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
