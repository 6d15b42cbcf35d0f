#!/usr/bin/python3
"""RFC 6455 conformance tester in the style of the Autobahn|Testsuite fuzzing cases.

  wstest.py server --exe ECHO_SERVER [--exe-arg ARG ...]   start the echo server (--port 0),
                                                            play every case as a client
  wstest.py server --url ws://HOST:PORT/                    same against a running server
  wstest.py client --exe ECHO_CLIENT [--exe-arg ARG ...]   per case: listen on 127.0.0.1, run
                                                            `ECHO_CLIENT [ARGS] ws://127.0.0.1:P/case/ID`,
                                                            play the case as the server
Options: --cases 1.,6.4,7.7.1 (id prefixes), --exclude ..., --jobs N, --report FILE.json,
         --list, --verbose. Exit status 0 when no case is FAILED, 1 otherwise, 2 on a setup error.
See README.md for the case list and the verdict rules.
"""

import argparse
import concurrent.futures
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from urllib.parse import urlparse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import casekit  # noqa: E402
import wsraw  # noqa: E402
from cases import CASES  # noqa: E402


class SetupError(Exception):
    pass


# ------------------------------------------------------------------ server mode
class ServerUnderTest:
    def __init__(self, exe, extra_args, log_path=None):
        self.cmd = [exe, "--port", "0", "--host", "127.0.0.1"] + list(extra_args)
        self.log_lines = []
        self.proc = subprocess.Popen(self.cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, text=True, bufsize=1)
        self.host = self.port = None
        ready = threading.Event()

        def reader():
            for line in self.proc.stdout:
                line = line.rstrip("\n")
                if len(self.log_lines) < 2000:
                    self.log_lines.append(line)
                m = re.search(r"listening on (\S+):(\d+)", line)
                if m and not ready.is_set():
                    self.host, self.port = m.group(1).strip("[]"), int(m.group(2))
                    ready.set()
            ready.set()

        threading.Thread(target=reader, daemon=True).start()
        if not ready.wait(15) or self.port is None:
            self.stop()
            raise SetupError(f"{' '.join(self.cmd)} did not print 'listening on HOST:PORT' "
                             f"(output: {self.log_lines[-10:]})")

    def alive(self):
        return self.proc.poll() is None

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                return "did not exit within 5 s of SIGTERM (killed)"
        rc = self.proc.returncode
        if rc not in (0, -signal.SIGTERM, 128 + signal.SIGTERM):
            return f"exited with status {rc}"
        return None


def run_server_case(case, host, port, path):
    start = time.monotonic()
    try:
        sock, rest = wsraw.client_handshake(host, port, path)
    except (OSError, wsraw.HandshakeError) as e:
        return dict(verdict=casekit.FAILED, behavior=casekit.FAILED,
                    behaviorClose=casekit.FAILED, detail=f"opening handshake failed: {e}"), start
    peer = wsraw.RawPeer(sock, we_are_client=True, leftover=rest)
    t = casekit.T(peer, case)
    res = casekit.run_case(t)
    if peer.open:
        peer.drop()
    return res, start


# ------------------------------------------------------------------ client mode
def run_client_case(case, exe, extra_args, check_exit):
    start = time.monotonic()
    lsock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    lsock.bind(("127.0.0.1", 0))
    lsock.listen(4)
    port = lsock.getsockname()[1]
    url = f"ws://127.0.0.1:{port}/case/{case.id}"
    proc = subprocess.Popen([exe] + list(extra_args) + [url], stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    out_chunks = []
    threading.Thread(target=lambda: out_chunks.append(proc.stdout.read()), daemon=True).start()
    res = None
    try:
        lsock.settimeout(0.1)
        sock, limit = None, time.monotonic() + 10
        while sock is None and time.monotonic() < limit and proc.poll() is None:
            try:
                sock, _ = lsock.accept()
            except socket.timeout:
                pass
        if sock is None:
            why = ("did not connect within 10 s" if proc.poll() is None
                   else f"exited with status {proc.returncode} without connecting")
            res = dict(verdict=casekit.FAILED, behavior=casekit.FAILED, behaviorClose=casekit.FAILED,
                       detail=f"echo_client {why}")
        if res is None:
            sock.settimeout(5)
            try:
                path, rest = wsraw.server_handshake(sock)
                if path != f"/case/{case.id}":
                    raise wsraw.HandshakeError(f"request target {path!r}, expected /case/{case.id}")
            except (OSError, wsraw.HandshakeError) as e:
                sock.close()
                res = dict(verdict=casekit.FAILED, behavior=casekit.FAILED,
                           behaviorClose=casekit.FAILED, detail=f"opening handshake failed: {e}")
        if res is None:
            peer = wsraw.RawPeer(sock, we_are_client=False, leftover=rest)
            t = casekit.T(peer, case)
            res = casekit.run_case(t)
            if peer.open:
                peer.drop()
    finally:
        lsock.close()
    try:
        rc = proc.wait(5)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        rc = None
    res["clientExit"] = rc
    if rc is None:
        res["verdict"] = casekit.FAILED
        res["detail"] = ("echo_client did not exit within 5 s after the connection ended; "
                         + res.get("detail", ""))
    elif check_exit and res.get("wasClean") and res.get("behaviorClose") == casekit.OK \
            and res["expectedClose"]["clean"] and res["expectedClose"]["codes"][:1] == [1000] \
            and res.get("remoteCloseCode") in (1000, None) and rc != 0:
        # only a normal close (1000 or empty both ways) must end with exit status 0
        res["verdict"] = casekit.FAILED
        res["detail"] = f"echo_client exited {rc} after a clean close; " + res.get("detail", "")
    out = b"".join(c for c in out_chunks if c)
    if out and res["verdict"] == casekit.FAILED:
        res["clientOutput"] = out[-2000:].decode("utf-8", "replace")
    return res, start


# ------------------------------------------------------------------------ main
def select_cases(args):
    cases = [c for c in CASES if args.mode in c.modes]
    if args.cases:
        pre = [p.strip() for p in args.cases.split(",") if p.strip()]
        cases = [c for c in cases if any(c.id == p or c.id.startswith(p if p.endswith(".") else p + ".") for p in pre)]
    if args.exclude:
        pre = [p.strip() for p in args.exclude.split(",") if p.strip()]
        cases = [c for c in cases if not any(c.id == p or c.id.startswith(p if p.endswith(".") else p + ".") for p in pre)]
    return cases


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("mode", choices=["server", "client"], help="what is under test")
    ap.add_argument("--exe", help="echo_server / echo_client executable")
    ap.add_argument("--exe-arg", action="append", default=[], help="extra argument for --exe (repeatable)")
    ap.add_argument("--url", help="server mode: test a running server at this ws:// URL")
    ap.add_argument("--cases", help="comma-separated case ids or id prefixes to run")
    ap.add_argument("--exclude", help="comma-separated case ids or id prefixes to skip")
    ap.add_argument("--jobs", type=int, default=4, help="cases run concurrently (timing-sensitive ones always run alone)")
    ap.add_argument("--report", help="write a JSON report here")
    ap.add_argument("--no-exit-check", action="store_true",
                    help="client mode: do not require exit status 0 after a clean close")
    ap.add_argument("--list", action="store_true", help="list the cases and exit")
    ap.add_argument("--verbose", "-v", action="store_true", help="print the wire log of cases that are not OK")
    args = ap.parse_args()

    cases = select_cases(args)
    if args.list:
        for c in cases:
            print(f"{c.id:<9} {c.desc}")
        print(f"{len(cases)} cases")
        return 0
    if not cases:
        print("no case selected", file=sys.stderr)
        return 2

    started = time.time()
    t0 = time.monotonic()
    server = None
    setup_notes = []
    try:
        if args.mode == "server":
            if args.url:
                u = urlparse(args.url)
                host, port, path = u.hostname, u.port or 80, u.path or "/"
            elif args.exe:
                server = ServerUnderTest(args.exe, args.exe_arg)
                host, port, path = server.host, server.port, "/"
            else:
                raise SetupError("server mode needs --exe or --url")

            def job(c):
                if server is not None and not server.alive():
                    return dict(verdict=casekit.FAILED, behavior=casekit.FAILED, behaviorClose=casekit.FAILED,
                                detail=f"echo_server is not running (exit status {server.proc.returncode})"), time.monotonic()
                return run_server_case(c, host, port, path)
            target = args.url or " ".join(server.cmd)
        else:
            if not args.exe:
                raise SetupError("client mode needs --exe")

            def job(c):
                return run_client_case(c, args.exe, args.exe_arg, not args.no_exit_check)
            target = args.exe
    except SetupError as e:
        print(f"setup error: {e}", file=sys.stderr)
        return 2

    results = {}
    lock = threading.Lock()

    def do(c):
        res, s = job(c)
        res["duration_ms"] = int((time.monotonic() - s) * 1000)
        with lock:
            results[c.id] = res
        return res

    parallel = [c for c in cases if not c.serial]
    serial = [c for c in cases if c.serial]
    try:
        if args.jobs > 1 and parallel:
            with concurrent.futures.ThreadPoolExecutor(args.jobs) as ex:
                list(ex.map(do, parallel))
        else:
            for c in parallel:
                do(c)
        for c in serial:
            do(c)
    finally:
        if server is not None:
            problem = server.stop()
            if problem:
                setup_notes.append(f"echo_server {problem}")

    elapsed = time.monotonic() - t0
    counts = {}
    rows = []
    for c in cases:
        r = results[c.id]
        counts[r["verdict"]] = counts.get(r["verdict"], 0) + 1
        rows.append((c, r))
    w = max(len(c.id) for c in cases)
    print(f"{'case':<{w}}  {'verdict':<13} {'ms':>6}  description / detail")
    for c, r in rows:
        line = f"{c.id:<{w}}  {r['verdict']:<13} {r.get('duration_ms', 0):>6}  {c.desc}"
        if r["verdict"] != casekit.OK or r.get("behaviorClose") not in (casekit.OK, None):
            line += f"\n{'':<{w}}  {'':<13} {'':>6}  -> behavior={r.get('behavior')} close={r.get('behaviorClose')}: {r.get('detail', '')}"
        print(line)
        if args.verbose and r["verdict"] != casekit.OK:
            for l in r.get("wirelog", []):
                print(f"{'':<{w + 24}}{l}")
            if r.get("clientOutput"):
                print(f"{'':<{w + 24}}client output: {r['clientOutput']!r}")
    failed = counts.get(casekit.FAILED, 0)
    summary = "  ".join(f"{k}={v}" for k, v in sorted(counts.items()))
    print(f"\n{args.mode} mode against {target}: {len(cases)} cases in {elapsed:.1f} s: {summary}")
    for n in setup_notes:
        print("NOTE: " + n)
    if server is not None and (failed or setup_notes):
        print("echo_server output (last lines):\n  " + "\n  ".join(server.log_lines[-20:]))

    if args.report:
        report = dict(mode=args.mode, target=target, started=started, duration_s=round(elapsed, 2),
                      summary=counts, notes=setup_notes,
                      cases=[dict(id=c.id, description=c.desc, **r) for c, r in rows])
        os.makedirs(os.path.dirname(os.path.abspath(args.report)), exist_ok=True)
        with open(args.report, "w") as f:
            json.dump(report, f, indent=1, default=str)
    return 1 if failed or setup_notes else 0


if __name__ == "__main__":
    sys.exit(main())
