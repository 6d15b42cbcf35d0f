#!/usr/bin/python3
"""burrow-cat end to end against real peers: squid with Basic authentication (plain http:// and
https:// listeners) in front of Python `websockets` servers (ws and wss), started by
tests/tls/integration/with_tls_servers.sh, which passes their ports in the environment. Also a
websockets server of this script's own that drives --echo and refuses an upgrade with 404.

Checks the data path (stdin lines out, messages in), -v (the proxified handshake as it happens,
credentials redacted, TLS details), --json (every line parses; opened/message/closed/error), --echo,
and the exit status of each failure phase.

usage: with_tls_servers.sh -- burrow_cat_e2e.py BURROW_CAT"""
import asyncio
import http
import json
import os
import subprocess
import sys
import threading

import websockets

CAT = sys.argv[1]
E = os.environ
CA = E["BURROW_TEST_TLS_CA"]
PROXY_CA = E["BURROW_TEST_TLS_PROXY_CA"]
WSS = E["BURROW_TEST_TLS_WSS_PORT"]
WS = E["BURROW_TEST_TLS_PLAIN_WS_PORT"]
UNTRUSTED = E["BURROW_TEST_TLS_UNTRUSTED_PORT"]
SQUID_AUTH = E["BURROW_TEST_TLS_SQUID_HTTP_AUTH_PORT"]
SQUID_HTTPS_AUTH = E["BURROW_TEST_TLS_SQUID_HTTPS_AUTH_PORT"]
SQUID_DENY = E["BURROW_TEST_TLS_SQUID_HTTP_DENY_PORT"]
REFUSING = E["BURROW_TEST_TLS_REFUSING_PROXY_PORT"]

AUTH_PROXY = f"http://alice:s3cret@127.0.0.1:{SQUID_AUTH}"
HTTPS_AUTH_PROXY = f"https://alice:s3cret@localhost:{SQUID_HTTPS_AUTH}"

results = {"passed": 0, "failed": 0}


def cat(args, stdin="", timeout=30):
    # A clean environment: only the proxies a case names.
    env = {"PATH": E.get("PATH", "/usr/bin:/bin")}
    return subprocess.run([CAT] + args, input=stdin, capture_output=True, text=True, timeout=timeout, env=env)


def check(name, ok, detail=""):
    if ok:
        results["passed"] += 1
        print(f"ok   {name}")
    else:
        results["failed"] += 1
        print(f"FAIL {name}: {detail}")


def expect(name, p, status, stdout_has=(), stderr_has=(), absent=()):
    problems = []
    if p.returncode != status:
        problems.append(f"exit {p.returncode}, expected {status}")
    for s in stdout_has:
        if s not in p.stdout:
            problems.append(f"stdout lacks {s!r}")
    for s in stderr_has:
        if s not in p.stderr:
            problems.append(f"stderr lacks {s!r}")
    for s in absent:
        if s in p.stdout + p.stderr:
            problems.append(f"{s!r} must not appear")
    check(name, not problems, "; ".join(problems) + f"\n--- stdout:\n{p.stdout}\n--- stderr:\n{p.stderr}")


# --- the data path through squid with Basic auth ---
p = cat(["--proxy", AUTH_PROXY, f"ws://127.0.0.1:{WS}/"], "hello\ntest message\n")
expect("ws through squid (Basic): lines out, echoes in, exit 0", p, 0, stdout_has=["hello\ntest message\n"])

p = cat(["--proxy", f"http://127.0.0.1:{SQUID_AUTH}", "--proxy-user", "alice:s3cret", f"ws://127.0.0.1:{WS}/"], "x\n")
expect("--proxy-user", p, 0, stdout_has=["x\n"])

p = cat(["-v", "--proxy", AUTH_PROXY, f"ws://127.0.0.1:{WS}/"], "traced\n")
expect("-v shows the proxified handshake with credentials redacted", p, 0,
       stderr_has=["client > proxy   CONNECT 127.0.0.1:", "proxy > client   HTTP/1.1 407",
                   "Proxy-Authorization: Basic <redacted>", "proxy > client   HTTP/1.1 200",
                   "client > server  GET / HTTP/1.1", "server > client  HTTP/1.1 101", "proxy_connect took"],
       absent=["s3cret", "YWxpY2U6czNjcmV0"])  # the password, and alice:s3cret in base64
order = [p.stderr.find(s) for s in ("HTTP/1.1 407", "Proxy-Authorization", "HTTP/1.1 200", "GET / HTTP/1.1", "HTTP/1.1 101")]
check("-v prints the heads in the order of the exchange", all(a < b for a, b in zip(order, order[1:])) and order[0] >= 0,
      str(order))

p = cat(["--proxy", AUTH_PROXY, "--cacert", CA, f"wss://127.0.0.1:{WSS}/"], "secure\n")
expect("wss through squid (CONNECT, then TLS with the server)", p, 0, stdout_has=["secure\n"])

p = cat(["-v", "--proxy", HTTPS_AUTH_PROXY, "--proxy-cacert", PROXY_CA, "--cacert", CA, f"wss://127.0.0.1:{WSS}/"],
        "tls in tls\n")
expect("wss through squid's https_port (TLS inside TLS), -v shows both TLS sessions", p, 0,
       stdout_has=["tls in tls\n"], stderr_has=["connected (tls-in-tls)", "TLSv1", "certificate: "], absent=["s3cret"])

p = cat(["--binary", "--proxy", AUTH_PROXY, f"ws://127.0.0.1:{WS}/"], "bytes\n")
expect("--binary: lines go out as binary messages and come back raw", p, 0, stdout_has=["bytes"])

# --- --json ---
p = cat(["--json", "--proxy", AUTH_PROXY, f"ws://127.0.0.1:{WS}/"], "one\ntwo\n")
try:
    events = [json.loads(line) for line in p.stdout.splitlines()]
    kinds = [e["event"] for e in events]
    ok = (p.returncode == 0 and kinds == ["opened", "message", "message", "closed"] and events[1]["data"] == "one"
          and events[2]["data"] == "two" and events[3]["code"] == 1000 and events[0]["layers"] == "tcp"
          and "proxy_connect" in events[0]["timings_ms"] and "s3cret" not in events[0]["proxy"])
    check("--json: opened, message, message, closed", ok, p.stdout + p.stderr)
except (json.JSONDecodeError, KeyError, IndexError) as e:
    check("--json: opened, message, message, closed", False, f"{e}: {p.stdout}")

p = cat(["--json", "--proxy", f"http://127.0.0.1:{SQUID_AUTH}", f"ws://127.0.0.1:{WS}/"], "")
try:
    events = [json.loads(line) for line in p.stdout.splitlines()]
    err = events[-1]
    ok = (p.returncode == 8 and err["event"] == "error" and err["phase"] == "proxy_auth"
          and err["diagnostics"]["proxy"]["status"] == 407 and "Basic" in err["diagnostics"]["proxy"]["proxy_authenticate"])
    check("--json: an error event with phase and the proxy's diagnostics", ok, p.stdout)
except (json.JSONDecodeError, KeyError, IndexError) as e:
    check("--json: an error event with phase and the proxy's diagnostics", False, f"{e}: {p.stdout}")

# --- exit status per phase ---
p = cat(["--proxy", f"http://127.0.0.1:{SQUID_AUTH}", f"ws://127.0.0.1:{WS}/"])
expect("no credentials: exit 8 (proxy_auth) with the hint", p, 8, stderr_has=["[phase proxy_auth]", "--proxy-user"])
p = cat(["--proxy", f"http://alice:wrong@127.0.0.1:{SQUID_AUTH}", f"ws://127.0.0.1:{WS}/"])
expect("wrong password: exit 8", p, 8, stderr_has=["rejected"], absent=["wrong@"])
p = cat(["--proxy", f"http://127.0.0.1:{SQUID_DENY}", f"ws://127.0.0.1:{WS}/"])
expect("squid refuses CONNECT (403): exit 7 (proxy_connect) with its status line", p, 7, stderr_has=["403"])
p = cat(["--proxy", f"http://127.0.0.1:{REFUSING}", f"ws://127.0.0.1:{WS}/"])
expect("a proxy answering 500 handshakefailed: exit 7, quoted as a proxy error", p, 7,
       stderr_has=["500 handshakefailed", "[phase proxy_connect]"])
p = cat(["--proxy", AUTH_PROXY, "--cacert", CA, f"wss://127.0.0.1:{UNTRUSTED}/"])
expect("untrusted server certificate: exit 9 (tls), names the issuer and --cacert", p, 9,
       stderr_has=["[phase tls]", "--cacert"])
p = cat(["--proxy", f"https://127.0.0.1:{SQUID_HTTPS_AUTH}", f"ws://127.0.0.1:{WS}/"])
expect("https proxy with an untrusted certificate: exit 6 (proxy_tls)", p, 6, stderr_has=["--proxy-cacert"])
p = cat(["--cacert", CA, f"wss://127.0.0.1:{WS}/"])
expect("plain ws server on a wss URL: exit 9 (tls)", p, 9, stderr_has=["[phase tls]"])
p = cat(["ws://nonexistent.invalid/"])
expect("unknown host: exit 4 (resolve)", p, 4, stderr_has=["[phase resolve]"])
p = cat(["--proxy", "http://127.0.0.1:1", f"ws://127.0.0.1:{WS}/"])
expect("proxy port closed: exit 5 (tcp_connect)", p, 5, stderr_has=["is the proxy running"])
p = cat(["ftp://example.com/"])
expect("not a ws URL: exit 3", p, 3)
p = cat(["--frobnicate", "ws://x/"])
expect("unknown option: exit 2", p, 2)
p = cat(["--help"])
expect("--help documents the exit status of each phase", p, 0,
       stdout_has=["Exit status:", "proxy_auth", "handshake", "--explain-proxy", "--echo", "--insecure"])


# --- our own websockets server: --echo, and a refused upgrade ---
async def drive(ws, path=None):
    # websockets 10.4: handler(ws, path)
    got = []
    await ws.send("first")
    got.append(await ws.recv())
    await ws.send(b"\x00\x01\xfe\xff")
    got.append(await ws.recv())
    await ws.send("")  # an empty text message
    got.append(await ws.recv())
    # before the close: once it completes burrow-cat exits, and the check in the main thread
    # must not race this thread's last step
    echo_seen.extend(got)
    await ws.close(1000, "done")


async def refuse(path, headers):
    if path == "/nope":
        return (http.HTTPStatus.NOT_FOUND, [("Content-Type", "text/plain")], b"no such endpoint\n")
    return None


echo_seen = []


def serve(ready, port_box, stop):
    async def main():
        async with websockets.serve(drive, "127.0.0.1", 0, process_request=refuse) as server:
            port_box.append(server.sockets[0].getsockname()[1])
            ready.set()
            while not stop.is_set():
                await asyncio.sleep(0.05)
    asyncio.run(main())


ready, stop, port_box = threading.Event(), threading.Event(), []
thread = threading.Thread(target=serve, args=(ready, port_box, stop), daemon=True)
thread.start()
ready.wait(10)
own = port_box[0]

p = subprocess.run([CAT, "--echo", "--proxy", AUTH_PROXY, f"ws://127.0.0.1:{own}/"], stdin=subprocess.DEVNULL,
                   capture_output=True, timeout=30, env={"PATH": E.get("PATH", "")})
check("--echo through squid: text, binary and empty messages come back unchanged; exit 0",
      p.returncode == 0 and echo_seen == ["first", b"\x00\x01\xfe\xff", ""], f"exit {p.returncode}, seen {echo_seen!r}, "
      f"stderr {p.stderr!r}")

p = cat(["--proxy", AUTH_PROXY, f"ws://127.0.0.1:{own}/nope"])
expect("upgrade refused with 404: exit 10 (handshake) with the status and the hint", p, 10,
       stderr_has=["[phase handshake]", "404", "no WebSocket endpoint"])
stop.set()
thread.join(5)

print(f"{results['passed']} passed, {results['failed']} failed")
sys.exit(1 if results["failed"] else 0)
