#!/usr/bin/env python3
"""burrow-bench end to end: runs it briefly against real echo servers and checks its JSON.

usage: bench_json_test.py BURROW_BENCH [ECHO_SERVER [TLS_CERTS_SH]]

ECHO_SERVER: a burrow WebSocket echo server taking --port (examples/echo_server, which serves wss://
with --cert/--key); without it only the tcp:// mode (against an echo server in this script) and the
failure cases are checked. TLS_CERTS_SH: scripts/fixtures/tls_certs.sh, which makes the
certificates of the wss:// checks (a test CA, a server certificate for localhost and 127.0.0.1, a
client certificate).
Checks: --help names every option; closed loop for a duration (every connection up, messages
counted, percentiles ordered, setup phases counted per connection, no errors); --messages M sends
exactly M; open loop --rate sends on schedule; a refused connection is counted as a TCP error
with exit status 1; bad arguments exit 2; wss:// against the echo server with a test CA: every
message echoed and the TLS phase timed per connection, by IP and by name, with a client
certificate; an untrusted server (no --cacert) fails every connection in the TLS phase and
--insecure accepts it; an unreadable client certificate is a TLS configuration error; with
tinyproxy installed (the integration tests' proxies), --proxy tunnels every connection (ws://,
wss:// and tcp://) and reports the proxy CONNECT phase.
"""
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time

failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL: " + what)


def run(args, timeout=60):
    p = subprocess.run(args, capture_output=True, text=True, timeout=timeout)
    return p.returncode, p.stdout, p.stderr


def run_json(args):
    rc, out, err = run(args + ["--json"])
    try:
        doc = json.loads(out)
    except json.JSONDecodeError:
        failures.append(f"no JSON from {args}: {out[-300:]!r} {err[-300:]!r}")
        return rc, {}
    return rc, doc


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def tcp_echo_server():
    srv = socket.socket()
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", 0))
    srv.listen(64)

    def serve(conn):
        with conn:
            while True:
                data = conn.recv(65536)
                if not data:
                    return
                conn.sendall(data)

    def accept():
        while True:
            conn, _ = srv.accept()
            threading.Thread(target=serve, args=(conn,), daemon=True).start()

    threading.Thread(target=accept, daemon=True).start()
    return srv.getsockname()[1]


def check_common(doc, connections, label):
    check(doc.get("tool") == "burrow-bench", f"{label}: tool name")
    check(doc.get("connections_up") == connections, f"{label}: all {connections} connections up: {doc.get('connections_up')}")
    check(doc.get("errors_total") == 0, f"{label}: no errors: {doc.get('errors')} {doc.get('first_errors')}")
    check(doc.get("messages", 0) > 0, f"{label}: messages counted")
    check(doc.get("bytes") == doc.get("messages", 0) * doc.get("message_size", -1), f"{label}: bytes = messages x size")
    rtt = doc.get("rtt_us", {})
    order = [rtt.get(k, -1) for k in ("min", "p50", "p90", "p99", "p99.9", "max")]
    check(order[0] > 0 and order == sorted(order), f"{label}: RTT percentiles ordered and positive: {order}")
    check(rtt.get("count") == doc.get("messages"), f"{label}: one RTT sample per message")
    check(doc.get("messages_per_second", 0) > 0 and doc.get("mb_per_second", 0) > 0, f"{label}: rates")
    check(doc.get("client_cpu_us_per_message", 0) > 0, f"{label}: client CPU per message")


def start_echo(echo, *args):
    """Starts the echo server on a free port; returns (process, port)."""
    proc = subprocess.Popen([echo, "--port", "0", *args], stdout=subprocess.PIPE, text=True)
    line = proc.stdout.readline()  # "listening on 127.0.0.1:PORT"
    if not line.startswith("listening on "):
        proc.kill()
        proc.wait()
        raise SystemExit(f"the echo server did not start: {line!r}")
    return proc, int(line.rsplit(":", 1)[1])


def check_wss(bench, tls_port, certs):
    """wss:// against the echo server serving the test CA's certificate for localhost/127.0.0.1."""
    ca = os.path.join(certs, "ca.pem")
    url = f"wss://127.0.0.1:{tls_port}/"
    rc, doc = run_json([bench, url, "--cacert", ca, "--connections", "3", "--messages", "600",
                        "--message-size", "100", "--pipeline", "2", "--threads", "2"])
    check(rc == 0, f"wss --messages exits 0 (got {rc}): {doc.get('first_errors')}")
    check_common(doc, 3, "wss")
    check(doc.get("messages_sent") == 600 and doc.get("messages") == 600,
          f"wss: 600 sent and 600 echoed: {doc.get('messages_sent')} {doc.get('messages')}")
    setup = doc.get("setup_us", {})
    for p in ("tcp", "tls", "upgrade"):
        check(setup.get(p, {}).get("count") == 3, f"wss: one {p} setup sample per connection: {setup.get(p)}")
    check(setup.get("tls", {}).get("p50", 0) > 0, "wss: the TLS phase takes time")
    check(doc.get("setup_connections_per_second", 0) > 0, "wss: setup rate reported")

    # By name (SNI, DNS name check), text messages for a duration, with a client certificate.
    rc, doc = run_json([bench, f"wss://localhost:{tls_port}/", "--ca-file", ca, "--connections", "2",
                        "--duration", "0.5", "--message-size", "1000", "--cert", os.path.join(certs, "client.pem"),
                        "--key", os.path.join(certs, "client.key")])
    check(rc == 0, f"wss by name with a client certificate exits 0 (got {rc}): {doc.get('first_errors')}")
    check_common(doc, 2, "wss by name")
    check(doc.get("setup_us", {}).get("tls", {}).get("count") == 2, "wss by name: TLS phase per connection")

    rc, doc = run_json([bench, url, "--connections", "4", "--idle", "--duration", "0.2", "--cacert", ca])
    check(rc == 0 and doc.get("connections_up") == 4 and doc.get("setup_us", {}).get("tls", {}).get("count") == 4,
          f"wss --idle: 4 connections up through TLS: rc {rc} {doc.get('connections_up')}")

    # The test CA is not trusted without --cacert: every connection fails in the TLS phase.
    rc, doc = run_json([bench, url, "--connections", "2", "--messages", "10"])
    check(rc == 1, f"wss to an untrusted server exits 1 (got {rc})")
    check(doc.get("errors", {}).get("tls") == 2 and doc.get("connections_up") == 0,
          f"untrusted: 2 TLS errors, nothing up: {doc.get('errors')}")
    check("tls" in doc.get("first_errors", {}), f"untrusted: the TLS error is named: {doc.get('first_errors')}")
    check("tls" not in doc.get("setup_us", {}), "untrusted: no TLS setup sample for failed handshakes")

    rc, doc = run_json([bench, url, "--insecure", "--connections", "2", "--messages", "50"])
    check(rc == 0 and doc.get("messages") == 50, f"--insecure accepts the untrusted server: rc {rc} {doc.get('messages')}")

    # An unreadable client certificate: the TLS configuration is refused, counted once per connection.
    missing = os.path.join(certs, "missing.pem")
    rc, doc = run_json([bench, url, "--cacert", ca, "--cert", missing, "--key", os.path.join(certs, "client.key"),
                        "--connections", "2", "--messages", "10"])
    check(rc == 1 and doc.get("errors", {}).get("tls") == 2 and missing in doc.get("first_errors", {}).get("tls", ""),
          f"unreadable --cert: 2 TLS errors naming the file, exit 1: rc {rc} {doc.get('errors')} {doc.get('first_errors')}")


def check_proxy(bench, pport, ws_url, wss_url, ca, tport):
    """Through tinyproxy: every connection tunnelled, the proxy CONNECT phase per connection."""
    proxy = f"http://127.0.0.1:{pport}"
    rc, doc = run_json([bench, ws_url, "--proxy", proxy, "--connections", "4", "--duration", "0.5"])
    check(rc == 0, f"--proxy exits 0 (got {rc})")
    check_common(doc, 4, "ws via tinyproxy")
    setup = doc.get("setup_us", {})
    check(setup.get("proxy_connect", {}).get("count") == 4 and "tcp" not in setup,
          f"--proxy: one proxy CONNECT sample per connection, no direct TCP phase: {setup}")

    rc, doc = run_json([bench, f"tcp://127.0.0.1:{tport}", "--proxy", proxy, "--connections", "3",
                        "--messages", "300", "--message-size", "20"])
    check(rc == 0 and doc.get("messages") == 300, f"tcp:// via tinyproxy: 300 echoed: rc {rc} {doc.get('messages')}")
    check(doc.get("setup_us", {}).get("proxy_connect", {}).get("count") == 3 and "tcp" not in doc.get("setup_us", {}),
          f"tcp:// via tinyproxy: proxy CONNECT per connection: {doc.get('setup_us')}")

    if wss_url:
        rc, doc = run_json([bench, wss_url, "--proxy", proxy, "--cacert", ca, "--connections", "3",
                            "--messages", "300"])
        check(rc == 0 and doc.get("messages") == 300, f"wss via tinyproxy: 300 echoed: rc {rc} {doc.get('first_errors')}")
        setup = doc.get("setup_us", {})
        check(all(setup.get(p, {}).get("count") == 3 for p in ("proxy_connect", "tls", "upgrade")) and "tcp" not in setup,
              f"wss via tinyproxy: proxy CONNECT, TLS and upgrade per connection: {setup}")


def main():
    bench = sys.argv[1]
    echo = sys.argv[2] if len(sys.argv) > 2 else None
    certs_script = sys.argv[3] if len(sys.argv) > 3 else None

    rc, out, _ = run([bench, "--help"])
    check(rc == 0, "--help exits 0")
    for opt in ("--connections", "--message-size", "--duration", "--messages", "--proxy", "--rate", "--pipeline",
                "--binary", "--text", "--ramp-rate", "--threads", "--idle", "--connect-timeout", "--json",
                "--cacert", "--cert", "--key", "--insecure", "wss://"):
        check(opt in out, f"--help documents {opt}")

    rc, _, _ = run([bench, "ws://127.0.0.1:1/", "--connections", "0"])
    check(rc == 2, "--connections 0 is rejected with status 2")
    rc, _, _ = run([bench, "http://nope/"])
    check(rc == 2, "a non-ws URL is rejected with status 2")
    rc, _, _ = run([bench, "ws://127.0.0.1:1/", "--insecure"])
    check(rc == 2, "TLS options on a ws:// URL are rejected with status 2")
    rc, _, _ = run([bench, "wss://127.0.0.1:1/", "--cert", "c.pem"])
    check(rc == 2, "--cert without --key is rejected with status 2")
    rc, _, _ = run([bench, "ws://127.0.0.1:1/", "--proxy", "https://127.0.0.1:1"])
    check(rc == 2, "an https:// proxy is rejected with status 2")

    # Nothing listens on this port: every connection fails in the TCP phase.
    port = free_port()
    rc, doc = run_json([bench, f"ws://127.0.0.1:{port}/", "--connections", "3", "--duration", "0.2"])
    check(rc == 1, f"refused connections exit 1 (got {rc})")
    check(doc.get("errors", {}).get("tcp") == 3, f"refused: 3 TCP errors: {doc.get('errors')}")
    check("tcp" in doc.get("first_errors", {}), "refused: the first TCP error is named")

    tport = tcp_echo_server()
    rc, doc = run_json([bench, f"tcp://127.0.0.1:{tport}", "--connections", "4", "--message-size", "100",
                        "--duration", "0.5", "--pipeline", "2"])
    check(rc == 0, f"tcp:// closed loop exits 0 (got {rc})")
    check_common(doc, 4, "tcp closed loop")
    check(doc.get("setup_us", {}).get("tcp", {}).get("count") == 4, "tcp: one TCP setup sample per connection")

    if echo:
        server, wport = start_echo(echo)
        tls_server, tls_port, certs = None, None, None
        try:
            url = f"ws://127.0.0.1:{wport}/"
            rc, doc = run_json([bench, url, "--connections", "5", "--message-size", "1000", "--duration", "0.5",
                                "--binary", "--threads", "2"])
            check(rc == 0, f"ws closed loop exits 0 (got {rc})")
            check_common(doc, 5, "ws closed loop")
            setup = doc.get("setup_us", {})
            check(setup.get("tcp", {}).get("count") == 5 and setup.get("upgrade", {}).get("count") == 5,
                  f"ws: TCP and upgrade setup samples per connection: {setup}")
            check(doc.get("mode") == "closed" and doc.get("binary") is True, "ws: mode and type reported")

            rc, doc = run_json([bench, url, "--connections", "3", "--messages", "3000", "--message-size", "20",
                                "--text", "--pipeline", "4"])
            check(rc == 0, f"--messages exits 0 (got {rc})")
            check_common(doc, 3, "ws --messages")
            check(doc.get("messages_sent") == 3000 and doc.get("messages") == 3000,
                  f"--messages 3000 sends and receives exactly 3000: {doc.get('messages_sent')} {doc.get('messages')}")

            rc, doc = run_json([bench, url, "--connections", "2", "--rate", "400", "--duration", "1",
                                "--ramp-rate", "100"])
            check(rc == 0, f"open loop exits 0 (got {rc})")
            check_common(doc, 2, "ws open loop")
            check(doc.get("mode") == "open", "open loop: mode reported")
            # 400 msg/s for 1 s: the schedule allows 400 sends (one more per connection at the edge).
            check(380 <= doc.get("messages_sent", 0) <= 402, f"open loop: ~400 sends: {doc.get('messages_sent')}")

            rc, doc = run_json([bench, url, "--connections", "20", "--idle", "--duration", "0.3"])
            check(rc == 0 and doc.get("connections_up") == 20 and doc.get("messages_sent") == 0,
                  f"--idle: 20 connections up, nothing sent: rc {rc} {doc.get('connections_up')} {doc.get('messages_sent')}")
            if certs_script:
                certs = tempfile.mkdtemp(prefix="bench_json_certs_")
                subprocess.run(["bash", certs_script, certs], check=True, stdout=subprocess.DEVNULL)
                tls_server, tls_port = start_echo(echo, "--cert", os.path.join(certs, "server.pem"),
                                                  "--key", os.path.join(certs, "server.key"))
                check_wss(bench, tls_port, certs)
            tinyproxy = shutil.which("tinyproxy")
            if tinyproxy:
                pport = free_port()
                conf = os.path.join(os.environ.get("TMPDIR", "/tmp"), f"bench_json_tinyproxy_{pport}.conf")
                with open(conf, "w") as f:
                    f.write(f"Port {pport}\nListen 127.0.0.1\nTimeout 30\nMaxClients 50\nLogLevel Critical\n")
                    for p in (wport, tport, tls_port):
                        if p:
                            f.write(f"ConnectPort {p}\n")
                proxy = subprocess.Popen([tinyproxy, "-d", "-c", conf], stdout=subprocess.DEVNULL,
                                         stderr=subprocess.DEVNULL)
                try:
                    deadline = time.time() + 10
                    while time.time() < deadline:
                        try:
                            socket.create_connection(("127.0.0.1", pport), timeout=1).close()
                            break
                        except OSError:
                            time.sleep(0.1)
                    check_proxy(bench, pport, url, f"wss://127.0.0.1:{tls_port}/" if tls_port else None,
                                os.path.join(certs, "ca.pem") if certs else None, tport)
                finally:
                    proxy.kill()
                    proxy.wait()
                    os.unlink(conf)
        finally:
            for p in (server, tls_server):
                if p:
                    p.kill()
                    p.wait()
            if certs:
                shutil.rmtree(certs, ignore_errors=True)

    if failures:
        print(f"{len(failures)} check(s) failed")
        return 1
    print("all burrow-bench checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
