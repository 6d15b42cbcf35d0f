#!/usr/bin/python3
"""examples/echo_server end to end: plain HTTP routes, keep-alive, the WebSocket echo on /ws and on
other paths (Python websockets as the client), refused upgrades, and wss:// + https:// with
--cert/--key (certificates made fresh by scripts/fixtures/tls_certs.sh).

usage: echo_server_test.py ECHO_SERVER_EXE TLS_CERTS_SH
Prints one line per check; exit status 1 when any check failed.
"""
import asyncio
import http.client
import os
import signal
import socket
import ssl
import subprocess
import sys
import tempfile

import websockets

failures = 0


def check(name, ok, detail=""):
    global failures
    print(("ok   " if ok else "FAIL ") + name + ("" if ok else f": {detail}"), flush=True)
    failures += 0 if ok else 1


def start(exe, *args):
    proc = subprocess.Popen([exe, "--port", "0", *args], stdout=subprocess.PIPE, text=True)
    line = proc.stdout.readline()
    if not line.startswith("listening on 127.0.0.1:"):
        proc.kill()
        raise SystemExit(f"echo_server did not start: {line!r}")
    return proc, int(line.rsplit(":", 1)[1])


def stop(proc, name):
    proc.send_signal(signal.SIGTERM)
    try:
        status = proc.wait(5)
    except subprocess.TimeoutExpired:
        proc.kill()
        status = None
    check(f"{name}: stops with status 0 on SIGTERM", status == 0, f"status {status}")


def raw(port, data, wrap=None):
    """Sends `data`, returns everything the server sends until it closes (3 s at most)."""
    with socket.create_connection(("127.0.0.1", port), timeout=3) as s:
        if wrap:
            s = wrap(s)
        s.sendall(data)
        out = b""
        try:
            while chunk := s.recv(65536):
                out += chunk
        except (socket.timeout, ConnectionResetError):
            pass
        return out


def http_checks(conn_factory, label):
    conn = conn_factory()
    conn.request("GET", "/")
    r = conn.getresponse()
    body = r.read().decode()
    check(f"{label}: GET / is an HTML page", r.status == 200 and r.getheader("Content-Type", "").startswith("text/html")
          and "burrow echo server" in body, f"{r.status} {r.getheader('Content-Type')}")
    # the same connection again: keep-alive
    conn.request("GET", "/health")
    r = conn.getresponse()
    check(f"{label}: GET /health is 200 ok on the same connection", r.status == 200 and r.read() == b"ok\n", str(r.status))
    conn.request("HEAD", "/")
    r = conn.getresponse()
    check(f"{label}: HEAD / has headers and no body", r.status == 200 and r.read() == b""
          and int(r.getheader("Content-Length")) > 0, str(r.status))
    conn.request("GET", "/no/such/page")
    r = conn.getresponse()
    r.read()
    check(f"{label}: an unknown path is 404", r.status == 404, str(r.status))
    conn.request("GET", "/ws")
    r = conn.getresponse()
    r.read()
    check(f"{label}: /ws without an upgrade is 426", r.status == 426 and r.getheader("Upgrade") == "websocket", str(r.status))
    conn.request("POST", "/", body=b"x")
    r = conn.getresponse()
    r.read()
    check(f"{label}: POST is 405 with Allow", r.status == 405 and "GET" in r.getheader("Allow", ""), str(r.status))
    conn.close()


async def ws_checks(base, label, ssl_context=None):
    for path in ["/ws", "/", "/some/path?x=1"]:
        try:
            async with websockets.connect(base + path, ssl=ssl_context, open_timeout=5) as ws:
                await ws.send("test message")
                text = await asyncio.wait_for(ws.recv(), 5)
                await ws.send(bytes(range(256)) * 300)
                data = await asyncio.wait_for(ws.recv(), 5)
                await ws.close(1000, "bye")
                check(f"{label}: echo on {path} (text, then 76800 binary bytes, then close 1000)",
                      text == "test message" and data == bytes(range(256)) * 300 and ws.close_code == 1000,
                      f"{text!r}, {len(data)} bytes, close {ws.close_code}")
        except Exception as e:  # noqa: BLE001 - reported as a failed check
            check(f"{label}: echo on {path}", False, repr(e))


def main():
    exe, certs_sh = sys.argv[1], sys.argv[2]
    proc, port = start(exe)
    try:
        http_checks(lambda: http.client.HTTPConnection("127.0.0.1", port, timeout=5), "http")
        asyncio.run(ws_checks(f"ws://127.0.0.1:{port}", "ws"))
        # Pipelined: two requests in one write, two answers.
        out = raw(port, b"GET /health HTTP/1.1\r\nHost: x\r\n\r\nGET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        check("http: two pipelined requests get two answers", out.count(b"HTTP/1.1 200 OK") == 2, repr(out[:200]))
        out = raw(port, b"GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n\r\n")
        check("ws: an upgrade without Sec-WebSocket-Key is refused with 400", out.startswith(b"HTTP/1.1 400"), repr(out[:100]))
        out = raw(port, b"\x16\x03\x01\x00\x05hello")
        check("http: bytes that are not HTTP get 400", out.startswith(b"HTTP/1.1 400"), repr(out[:100]))
    finally:
        stop(proc, "ws")

    with tempfile.TemporaryDirectory() as certs:
        subprocess.run(["bash", certs_sh, certs], check=True, capture_output=True)
        proc, port = start(exe, "--cert", os.path.join(certs, "server.pem"), "--key", os.path.join(certs, "server.key"))
        try:
            context = ssl.create_default_context(cafile=os.path.join(certs, "ca.pem"))
            http_checks(lambda: http.client.HTTPSConnection("localhost", port, timeout=5, context=context), "https")
            asyncio.run(ws_checks(f"wss://localhost:{port}", "wss", context))
            out = raw(port, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            check("wss: plain HTTP on the TLS port is not served", b"burrow echo server" not in out, repr(out[:100]))
        finally:
            stop(proc, "wss")
        proc = subprocess.run([exe, "--port", "0", "--cert", os.path.join(certs, "nope.pem"),
                               "--key", os.path.join(certs, "server.key")], capture_output=True, text=True, timeout=10)
        check("a missing certificate file is a clear error with status 2",
              proc.returncode == 2 and "nope.pem" in proc.stderr, f"{proc.returncode} {proc.stderr!r}")

    print(f"{failures} failed", flush=True)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
