#!/usr/bin/python3
"""examples/connect_proxy end to end, with Basic authentication on:
  - burrow's echo_client (co_connect_via_proxy: CONNECT, 407, CONNECT with credentials) through the
    proxy to a Python websockets server that sends a message and wants it back;
  - echo_client without credentials fails with the 407 in its message;
  - raw CONNECTs: the 407's Proxy-Authenticate, the connection limit (503), the idle timeout;
  - curl -p (a tunnel) with and without credentials to a Python http.server.

usage: connect_proxy_test.py CONNECT_PROXY_EXE ECHO_CLIENT_EXE
Prints one line per check; exit status 1 when any check failed.
"""
import asyncio
import base64
import functools
import http.server
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

import websockets

failures = 0
USER, PASSWORD = "alice", "s3cret"


def check(name, ok, detail=""):
    global failures
    print(("ok   " if ok else "FAIL ") + name + ("" if ok else f": {detail}"), flush=True)
    failures += 0 if ok else 1


def connect_request(target, credentials=None):
    auth = ""
    if credentials:
        auth = "Proxy-Authorization: Basic " + base64.b64encode(credentials.encode()).decode() + "\r\n"
    return f"CONNECT {target} HTTP/1.1\r\nHost: {target}\r\n{auth}\r\n".encode()


def read_head(s):
    """Reads a response head, and its body when it has a Content-Length (a 407's), not more."""
    head = b""
    while b"\r\n\r\n" not in head:
        chunk = s.recv(1)
        if not chunk:
            break
        head += chunk
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            remaining = int(line.split(b":", 1)[1])
            while remaining > 0 and (chunk := s.recv(remaining)):
                remaining -= len(chunk)
    return head


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


async def echo_client_round_trip(echo_client, proxy_url):
    """A websockets server sends one message; echo_client (through the proxy) must echo it."""
    got = asyncio.get_running_loop().create_future()

    async def handler(ws, _path=None):
        await ws.send("test message")
        reply = await asyncio.wait_for(ws.recv(), 10)
        got.set_result(reply)
        await ws.close(1000, "done")

    async with websockets.serve(handler, "127.0.0.1", 0) as server:
        port = server.sockets[0].getsockname()[1]
        proc = await asyncio.create_subprocess_exec(echo_client, "--proxy", proxy_url, f"ws://127.0.0.1:{port}/",
                                                    stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        out, err = await asyncio.wait_for(proc.communicate(), 20)
        reply = got.result() if got.done() else None
        return proc.returncode, reply, err.decode()


def main():
    proxy_exe, echo_client = sys.argv[1], sys.argv[2]
    tmp = tempfile.mkdtemp()
    try:
        with open(os.path.join(tmp, "hello.txt"), "w") as f:
            f.write("hello through the tunnel\n")
        handler = functools.partial(QuietHandler, directory=tmp)
        web = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=web.serve_forever, daemon=True).start()
        web_port = web.server_address[1]

        proc = subprocess.Popen([proxy_exe, "--port", "0", "--user", f"{USER}:{PASSWORD}", "--max-connections", "3",
                                 "--idle-timeout", "1", "-v"], stdout=subprocess.PIPE, text=True)
        line = proc.stdout.readline()
        if not line.startswith("listening on 127.0.0.1:"):
            proc.kill()
            raise SystemExit(f"connect_proxy did not start: {line!r}")
        port = int(line.rsplit(":", 1)[1])
        try:
            run_checks(port, web_port, echo_client)
        finally:
            proc.send_signal(signal.SIGTERM)
            try:
                status = proc.wait(5)
            except subprocess.TimeoutExpired:
                proc.kill()
                status = None
            check("connect_proxy stops with status 0 on SIGTERM", status == 0, f"status {status}")
        web.shutdown()
    finally:
        shutil.rmtree(tmp)
    print(f"{failures} failed", flush=True)
    return 1 if failures else 0


def run_checks(port, web_port, echo_client):
    target = f"127.0.0.1:{web_port}"

    status, reply, err = asyncio.run(echo_client_round_trip(echo_client, f"http://{USER}:{PASSWORD}@127.0.0.1:{port}"))
    check("echo_client through the proxy (407, then credentials) echoes the message and closes cleanly",
          status == 0 and reply == "test message", f"exit {status}, reply {reply!r}, stderr {err!r}")
    status, reply, err = asyncio.run(echo_client_round_trip(echo_client, f"http://127.0.0.1:{port}"))
    check("echo_client without credentials fails and names the 407",
          status != 0 and reply is None and "407" in err, f"exit {status}, stderr {err!r}")

    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.sendall(connect_request(target))
        head = read_head(s).decode()
        check("CONNECT without credentials: 407 with Proxy-Authenticate: Basic realm=\"burrow\"",
              head.startswith("HTTP/1.1 407 ") and 'Proxy-Authenticate: Basic realm="burrow"' in head, head)
        # Same connection, now with credentials (keep-alive after a 407).
        s.sendall(connect_request(target, f"{USER}:{PASSWORD}"))
        head = read_head(s).decode()
        check("the same connection answers the 407 with credentials: 200", head.startswith("HTTP/1.1 200 "), head)
        s.sendall(b"GET /hello.txt HTTP/1.0\r\n\r\n")
        body = b""
        while chunk := s.recv(4096):
            body += chunk
        check("bytes go both ways through the tunnel", body.endswith(b"hello through the tunnel\n"), repr(body[-80:]))

    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.sendall(connect_request(target, f"{USER}:wrong"))
        head = read_head(s).decode()
        check("wrong credentials: 407 again", head.startswith("HTTP/1.1 407 "), head)

    # The idle timeout (1 s): a tunnel where nothing moves is closed.
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(connect_request(target, f"{USER}:{PASSWORD}"))
        head = read_head(s).decode()
        start = time.monotonic()
        try:
            end = s.recv(1)
        except ConnectionResetError:
            end = b""
        waited = time.monotonic() - start
        check("an idle tunnel is closed after --idle-timeout (1 s)",
              head.startswith("HTTP/1.1 200 ") and end == b"" and 0.8 < waited < 5, f"{head!r}, {end!r} after {waited:.2f} s")

    # The connection limit (3): three open connections, the fourth gets 503.
    held = [socket.create_connection(("127.0.0.1", port), timeout=5) for _ in range(3)]
    time.sleep(0.2)
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.sendall(connect_request(target, f"{USER}:{PASSWORD}"))
        head = read_head(s).decode()
        check("over --max-connections: 503", head.startswith("HTTP/1.1 503 "), head)
    for h in held:
        h.close()
    time.sleep(0.2)
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.sendall(connect_request(target, f"{USER}:{PASSWORD}"))
        head = read_head(s).decode()
        check("below the limit again: 200", head.startswith("HTTP/1.1 200 "), head)

    curl = shutil.which("curl")
    check("curl is installed (scripts/lib/integration_packages.sh lists it)", curl is not None)
    if curl:
        r = subprocess.run([curl, "-sS", "--max-time", "10", "-p", "-x", f"http://{USER}:{PASSWORD}@127.0.0.1:{port}",
                            f"http://{target}/hello.txt"], capture_output=True, text=True)
        check("curl -p -x http://user:pw@proxy fetches through the tunnel",
              r.returncode == 0 and r.stdout == "hello through the tunnel\n", f"exit {r.returncode}: {r.stderr}")
        r = subprocess.run([curl, "-sS", "--max-time", "10", "-p", "-x", f"http://127.0.0.1:{port}",
                            f"http://{target}/hello.txt"], capture_output=True, text=True)
        check("curl -p without credentials fails with the 407", r.returncode != 0 and "407" in r.stderr,
              f"exit {r.returncode}: {r.stderr}")


if __name__ == "__main__":
    sys.exit(main())
