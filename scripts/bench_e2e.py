#!/usr/bin/env python3
"""The end-to-end race (scripts/bench.sh e2e): echo servers driven by burrow-bench.

usage: bench_e2e.py BUILD_DIR [--out DIR]

Each server runs pinned to core 0 (taskset -c 0), the load generator to core 1. For every
repetition, message size and connection count, the servers run back to back (interleaved, so a
noisy neighbour hits them all alike); the tables use medians over the repetitions.

Besides the WebSocket servers (burrow, Beast, websocketpp) two TCP echoes without WebSocket run,
driven by burrow-bench with tcp:// (the same bytes out and back): "tcp" (tcp-e2e-echo, an Asio
coroutine server: the same event loop the WebSocket servers use; at 64 KiB only) and "floor"
(raw-tcp-e2e-echo: plain epoll, one recv and one send per readable connection, no Asio; at every
size). The floor is what one recv plus one send per message costs on this kernel: no server that
echoes a message with a recv and a send can spend less CPU per message.

Measured per run: messages/s (burrow-bench's window), server CPU per echoed message (utime+stime
from /proc/PID/stat around the client run, over the messages the client sent), user time per
message. Then: peak RSS per idle connection (10,000 idle connections, VmRSS/VmHWM from
/proc/PID/status), system calls per message (strace -c -f attached to the server during a short
run) and the client-side comparison (burrow-bench vs a Beast client against the Beast server,
client CPU from wait4's rusage). Last, through squid (scripts/fixtures/squid.sh, no
authentication, on 127.0.0.1, pinned to the server core): the connection setup rate with its
per-phase percentiles, and echo messages/s at 20 B and 1 KiB, for burrow's echo server through
squid against the same bytes through the same squid to the plain TCP echo (a raw CONNECT tunnel),
and both directly.

Pipelined echo (a second table): burrow-bench --pipeline K keeps K messages in flight per
connection, for burrow, Beast, websocketpp, tcp and the floor, and burrow's server with
--no-batch-writes ("burrow-unbatched": one send per echo, as before write batching; the A/B of
that change). burrow-bench batches its writes in the closed loop: the K first messages, and later
the replacements for every echo found in one read, go out in one write (WebSocket: burrow's
stream cork(); tcp://: its own output buffer, written before a read has to wait), so every
server, the TCP echoes included, gets the same bursts.

Environment (defaults in brackets):
  E2E_SECONDS [3]              load phase per run
  E2E_REPS [3]                 repetitions (medians)
  E2E_SIZES [20,1024,65536]    message sizes in bytes
  E2E_CONNECTIONS [1,100,1000] connection counts
  E2E_IDLE [10000]             idle connections for the memory measurement (0: skip)
  E2E_STRACE_SECONDS [2]       the strace run (0: skip)
  E2E_CLIENT_CONNECTIONS [1,100]  client-side comparison (empty: skip)
  E2E_BINARY [1]               binary messages (0: text)
  E2E_SQUID_SECONDS [2]        load phase of each echo run through squid (0: skip squid)
  E2E_SQUID_REPS [2]           repetitions of the squid comparison (medians)
  E2E_SQUID_CONNECTIONS [100]  connections of the echo runs through squid
  E2E_SQUID_SETUP [200]        connections opened at once for the setup rate
  E2E_SQUID_SIZES [20,1024]    message sizes of the squid echo runs
  E2E_PIPELINE [8]             messages in flight per connection in the pipelined table (0: skip it)
  E2E_PIPELINE_SIZES [20,1024] its message sizes
  E2E_PIPELINE_CONNECTIONS [100]  its connection counts

With --uring-build DIR (a build with -Dasio_backend=io_uring, see scripts/bench.sh), last: the
echo servers of both builds (burrow, Beast, plain TCP; Asio on epoll from BUILD_DIR, on io_uring
from DIR, plus burrow's server with --blocking-sockets on io_uring), driven by the same
burrow-bench (BUILD_DIR's) and interleaved: messages/s and server CPU per message, then system
calls per message (strace -c -f; operations done by the ring itself are not system calls and do
not show). --only-uring skips everything else (to measure just that).
  E2E_URING_SECONDS [2]        load phase per run
  E2E_URING_REPS [2]           repetitions (medians)
  E2E_URING_SIZES [20,1024,65536]  message sizes
  E2E_URING_CONNECTIONS [100]  connections
  E2E_URING_STRACE_SECONDS [1] the strace run per server and size (0: skip)
"""
import argparse
import json
import os
import re
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

TICK = os.sysconf("SC_CLK_TCK")
SQUID_SH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures", "squid.sh")
SERVER_CORE = "0"
CLIENT_CORE = "1"


def env_list(name, default):
    text = os.environ.get(name, default)
    return [int(x) for x in text.split(",") if x.strip()]


class Server:
    """A server process pinned to the server core, started once and reused across runs."""

    def __init__(self, name, exe, port, args=(), kind=None):
        self.name, self.exe, self.port, self.args = name, exe, port, list(args)
        self.kind = kind or name  # what it speaks: "tcp" is the plain TCP echo, anything else WebSocket
        self.proc = None

    def start(self):
        self.proc = subprocess.Popen(["taskset", "-c", SERVER_CORE, self.exe, "--port", str(self.port)] + self.args,
                                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        line = self.proc.stdout.readline()
        if "listening" not in line:
            raise RuntimeError(f"{self.name} did not start: {line!r}")
        return self

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait()
        self.proc = None

    def cpu(self):
        """(user, system) seconds so far."""
        with open(f"/proc/{self.proc.pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return int(fields[11]) / TICK, int(fields[12]) / TICK

    def status(self, key):
        with open(f"/proc/{self.proc.pid}/status") as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1]) * 1024
        return 0

    def open_fds(self):
        return len(os.listdir(f"/proc/{self.proc.pid}/fd"))

    def url(self):
        scheme = "tcp" if self.kind == "tcp" else "ws"
        return f"{scheme}://127.0.0.1:{self.port}/" if scheme == "ws" else f"tcp://127.0.0.1:{self.port}"


def run_client(args):
    """Runs a client on the client core; returns (parsed JSON stdout, stderr)."""
    proc = subprocess.Popen(["taskset", "-c", CLIENT_CORE] + args, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    out, err = proc.communicate()
    try:
        return json.loads(out), err
    except json.JSONDecodeError:
        raise RuntimeError(f"client {' '.join(args[:2])} printed no JSON: {out[-300:]!r} {err[-300:]!r}")


def run_client_rusage(args):
    """Like run_client, with the child's user+system CPU seconds (wait4)."""
    proc = subprocess.Popen(["taskset", "-c", CLIENT_CORE] + args, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True)
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = status
    return json.loads(out), usage.ru_utime + usage.ru_stime


def bench_args(bench, url, connections, size, seconds, binary, pipeline=1):
    args = [bench, url, "--connections", str(connections), "--message-size", str(size),
            "--duration", str(seconds), "--json"]
    if pipeline > 1:
        args += ["--pipeline", str(pipeline)]
    if binary and not url.startswith("tcp:"):
        args.append("--binary")
    if connections > 200:
        args += ["--ramp-rate", "20000"]
    return args


def one_run(server, bench, connections, size, seconds, binary, pipeline=1):
    u0, s0 = server.cpu()
    doc, _ = run_client(bench_args(bench, server.url(), connections, size, seconds, binary, pipeline))
    u1, s1 = server.cpu()
    sent = max(doc.get("messages_sent", 0), 1)
    return {
        "server": server.name, "connections": connections, "size": size, "pipeline": pipeline,
        "messages_per_second": doc["messages_per_second"], "mb_per_second": doc["mb_per_second"],
        "server_cpu_us_per_message": ((u1 - u0) + (s1 - s0)) * 1e6 / sent,
        "server_user_us_per_message": (u1 - u0) * 1e6 / sent,
        "rtt_p50_us": doc["rtt_us"]["p50"], "rtt_p99_us": doc["rtt_us"]["p99"],
        "errors": doc["errors_total"], "connections_up": doc["connections_up"],
        "batched_writes": doc.get("batched_writes", False),
    }


def idle_memory(server, bench, count, log):
    server.start()
    try:
        time.sleep(0.3)
        before = server.status("VmRSS")
        base_fds = server.open_fds()
        proc = subprocess.Popen(["taskset", "-c", CLIENT_CORE, bench, server.url(), "--connections", str(count),
                                 "--idle", "--duration", "6", "--ramp-rate", "10000", "--json"],
                                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        deadline = time.time() + 30
        while server.open_fds() < base_fds + count and time.time() < deadline and proc.poll() is None:
            time.sleep(0.1)
        time.sleep(0.5)  # let the last handshakes finish
        open_fds = server.open_fds() - base_fds
        rss = server.status("VmRSS")
        hwm = server.status("VmHWM")
        out, _ = proc.communicate()
        up = json.loads(out).get("connections_up", 0) if out.strip() else 0
        per_rss = (rss - before) / max(open_fds, 1)
        per_hwm = (hwm - before) / max(open_fds, 1)
        log(f"  idle {server.name}: {open_fds} connections open ({up} upgraded): "
            f"{per_rss:.0f} B RSS, {per_hwm:.0f} B peak per connection")
        return {"server": server.name, "connections": open_fds, "upgraded": up, "rss_before": before,
                "rss_with_idle": rss, "hwm": hwm, "bytes_per_connection": per_rss,
                "peak_bytes_per_connection": per_hwm}
    finally:
        server.stop()


def strace_run(server, bench, size, seconds, binary, log):
    server.start()
    try:
        with tempfile.NamedTemporaryFile("r", suffix=".strace") as f:
            tracer = subprocess.Popen(["strace", "-c", "-f", "-p", str(server.proc.pid), "-o", f.name],
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            time.sleep(0.7)
            doc, _ = run_client(bench_args(bench, server.url(), 100, size, seconds, binary))
            tracer.send_signal(signal.SIGINT)
            tracer.wait()
            text = f.read()
    finally:
        server.stop()
    calls, errors = {}, {}
    for line in text.splitlines():
        m = re.match(r"\s*[\d.]+\s+[\d.]+\s+\d+\s+(\d+)\s+(\d*)\s*(\w+)$", line)
        if m and m.group(3) != "total":
            calls[m.group(3)] = int(m.group(1))
            errors[m.group(3)] = int(m.group(2) or 0)
    sent = max(doc["messages_sent"], 1)
    recv = sum(calls.get(k, 0) for k in ("recvmsg", "recvfrom", "read", "readv"))
    recv_fail = sum(errors.get(k, 0) for k in ("recvmsg", "recvfrom", "read", "readv"))
    send = sum(calls.get(k, 0) for k in ("sendmsg", "sendto", "write", "writev"))
    polls = sum(calls.get(k, 0) for k in ("epoll_wait", "epoll_pwait", "poll"))
    result = {"server": server.name, "size": size, "messages": sent, "recv_per_message": recv / sent,
              "recv_eagain_per_message": recv_fail / sent, "send_per_message": send / sent,
              "epoll_wait_per_message": polls / sent, "syscalls_per_message": sum(calls.values()) / sent,
              "epoll_ctl_per_message": calls.get("epoll_ctl", 0) / sent,
              "io_uring_enter_per_message": calls.get("io_uring_enter", 0) / sent,
              "calls": calls}
    log(f"  strace {server.name} {size} B: {recv / sent:.3f} recv ({recv_fail / sent:.3f} EAGAIN), "
        f"{send / sent:.3f} send, {polls / sent:.3f} epoll_wait, {sum(calls.values()) / sent:.2f} syscalls per message")
    return result


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def pid_cpu_seconds(pid):
    """utime+stime of a process so far (seconds)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


class Squid:
    """squid (scripts/fixtures/squid.sh, no authentication) on 127.0.0.1, pinned to the server core."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="burrow-e2e-squid-")
        self.port = free_port()
        self.proc = None

    def start(self):
        self.log = open(os.path.join(self.dir, "server.out"), "w")
        # Its own session: squid.sh execs squid, so the group is squid and nothing else of ours.
        self.proc = subprocess.Popen(["taskset", "-c", SERVER_CORE, "bash", SQUID_SH, self.dir, str(self.port), "none"],
                                     stdout=self.log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                     start_new_session=True)
        deadline = time.time() + 20
        while time.time() < deadline:
            if self.proc.poll() is not None:
                break
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return self
            except OSError:
                time.sleep(0.1)
        with open(os.path.join(self.dir, "server.out")) as f:
            why = f.read()[-500:]
        self.stop()
        raise RuntimeError("squid did not start: " + why)

    def cpu(self):
        return pid_cpu_seconds(self.proc.pid)

    def url(self):
        return f"http://127.0.0.1:{self.port}"

    def stop(self):
        if self.proc and self.proc.poll() is None:
            # SIGKILL is safe (no cache, no helpers without authentication); TERM takes ~3 s.
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
        self.proc = None
        self.log.close()
        shutil.rmtree(self.dir, ignore_errors=True)


def squid_comparison(bench, e2e, reps, seconds, connections, setup_connections, sizes, binary, log):
    """burrow's echo server through squid vs the same bytes through the same squid to the TCP echo
    (a raw CONNECT tunnel), and both directly: setup rate and echo messages/s."""
    if not os.access("/usr/sbin/squid", os.X_OK):
        log("  squid not installed (Debian package squid): skipped")
        return {"skipped": "squid not installed"}
    burrow = Server("burrow", os.path.join(e2e, "burrow-e2e-echo"), free_port())
    tcp = Server("tcp", os.path.join(e2e, "tcp-e2e-echo"), free_port())
    squid = Squid()
    out = {"config": {"reps": reps, "seconds": seconds, "connections": connections,
                      "setup_connections": setup_connections, "sizes": sizes, "binary": binary},
           "setup": [], "echo": []}
    # (name, server, through squid)
    paths = [("burrow via squid", burrow, True), ("tcp via squid", tcp, True),
             ("burrow direct", burrow, False), ("tcp direct", tcp, False)]
    try:
        burrow.start()
        tcp.start()
        squid.start()
        log(f"  squid on 127.0.0.1:{squid.port}; {reps} reps, {setup_connections} connections for the setup rate, "
            f"{connections} connections x {seconds:g} s per echo run")
        for rep in range(reps):
            for name, server, via in paths:
                args = [bench, server.url(), "--connections", str(setup_connections), "--idle", "--duration", "0.2",
                        "--json"] + (["--proxy", squid.url()] if via else [])
                doc, _ = run_client(args)
                setup = doc.get("setup_us", {})
                r = {"path": name, "rep": rep, "connections_up": doc["connections_up"],
                     "setup_seconds": doc["setup_seconds"],
                     "connections_per_second": doc.get("setup_connections_per_second", 0),
                     "errors": doc["errors_total"], "first_errors": doc.get("first_errors", {})}
                for phase, v in setup.items():
                    r[phase] = {k: v[k] for k in ("p50", "p90", "p99", "max")}
                out["setup"].append(r)
                log(f"  rep {rep + 1} setup {name:<17} {r['connections_per_second']:>8.0f} conn/s "
                    + "  ".join(f"{p} p50 {setup[p]['p50']:.0f} us" for p in setup)
                    + (f"  ERRORS {r['errors']} {r['first_errors']}" if r["errors"] else ""))
            for size in sizes:
                for name, server, via in paths:
                    args = bench_args(bench, server.url(), connections, size, seconds, binary)
                    if via:
                        args += ["--proxy", squid.url()]
                    u0, s0 = server.cpu()
                    q0 = squid.cpu()
                    doc, _ = run_client(args)
                    u1, s1 = server.cpu()
                    q1 = squid.cpu()
                    sent = max(doc.get("messages_sent", 0), 1)
                    r = {"path": name, "rep": rep, "size": size, "connections": connections,
                         "messages_per_second": doc["messages_per_second"], "mb_per_second": doc["mb_per_second"],
                         "rtt_p50_us": doc["rtt_us"]["p50"], "rtt_p99_us": doc["rtt_us"]["p99"],
                         "server_cpu_us_per_message": ((u1 - u0) + (s1 - s0)) * 1e6 / sent,
                         "squid_cpu_us_per_message": (q1 - q0) * 1e6 / sent if via else 0.0,
                         "client_cpu_us_per_message": doc.get("client_cpu_us_per_message", 0),
                         "errors": doc["errors_total"], "connections_up": doc["connections_up"]}
                    out["echo"].append(r)
                    log(f"  rep {rep + 1} {size:>5} B {name:<17} {r['messages_per_second']:>9.0f} msg/s  "
                        f"p50 {r['rtt_p50_us']:.0f} us  server {r['server_cpu_us_per_message']:.2f} us/msg"
                        + (f"  squid {r['squid_cpu_us_per_message']:.2f} us/msg" if via else "")
                        + (f"  ERRORS {r['errors']}" if r["errors"] else ""))
    finally:
        if squid.proc:
            squid.stop()
        burrow.stop()
        tcp.stop()
    return out


def uring_comparison(bench, epoll_e2e, uring_e2e, reps, seconds, connections, sizes, strace_seconds, binary, log):
    """The echo servers with Asio on epoll and on io_uring, same load generator, interleaved."""
    servers = []
    for backend, e2e in (("epoll", epoll_e2e), ("io_uring", uring_e2e)):
        for name in ("burrow", "beast", "tcp"):
            servers.append((backend, Server(name, os.path.join(e2e, f"{name}-e2e-echo"), free_port())))
    # burrow with its sockets in blocking mode: reads and writes become ring operations
    servers.append(("io_uring", Server("burrow-blocking", os.path.join(uring_e2e, "burrow-e2e-echo"), free_port(),
                                       ["--blocking-sockets"], kind="burrow")))
    out = {"config": {"reps": reps, "seconds": seconds, "connections": connections, "sizes": sizes,
                      "strace_seconds": strace_seconds, "binary": binary}, "runs": [], "strace": []}
    log(f"  {len(servers)} servers, {connections} connections, {reps} reps x {seconds:g} s")
    try:
        for _, s in servers:
            s.start()
        for rep in range(reps):
            for size in sizes:
                for backend, s in servers:
                    r = one_run(s, bench, connections, size, seconds, binary)
                    r.update(rep=rep, backend=backend)
                    out["runs"].append(r)
                    log(f"  rep {rep + 1} {size:>6} B {backend:<8} {s.name:<15} {r['messages_per_second']:>10.0f} msg/s "
                        f"{r['server_cpu_us_per_message']:>7.2f} us CPU/msg" + (f"  ERRORS {r['errors']}" if r["errors"] else ""))
    finally:
        for _, s in servers:
            s.stop()
    if strace_seconds > 0:
        for size in sizes:
            for backend, s in servers:
                r = strace_run(s, bench, size, strace_seconds, binary, lambda m, b=backend: log(m.replace("strace ", f"strace {b} ", 1)))
                r["backend"] = backend
                out["strace"].append(r)
    return out


def machine():
    """Where and when: the numbers mean little without the load around them."""
    info = {"date_utc": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "cpus": os.cpu_count(),
            "loadavg_start": list(os.getloadavg())}
    try:
        with open("/proc/cpuinfo") as f:
            info["cpu_model"] = next((line.split(":", 1)[1].strip() for line in f if line.startswith("model name")), "")
    except OSError:
        pass
    try:
        info["commit"] = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                                        cwd=os.path.dirname(os.path.abspath(__file__))).stdout.strip()
    except OSError:
        pass
    try:  # uncommitted changes to what is measured make the commit alone misleading
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "lib", "include", "bench", "tools"],
                               capture_output=True, text=True,
                               cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__)))).stdout
        info["uncommitted"] = sorted(line[3:] for line in dirty.splitlines())
    except OSError:
        pass
    return info


def median_by(runs, key_fields, value):
    groups = {}
    for r in runs:
        groups.setdefault(tuple(r[k] for k in key_fields), []).append(r[value])
    return {k: statistics.median(v) for k, v in groups.items()}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("build_dir")
    ap.add_argument("--out", default="bench-results")
    ap.add_argument("--uring-build", help="build dir with -Dasio_backend=io_uring: also compare epoll and io_uring")
    ap.add_argument("--only-uring", action="store_true", help="only the epoll/io_uring comparison")
    a = ap.parse_args()
    if a.only_uring and not a.uring_build:
        ap.error("--only-uring needs --uring-build")
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))

    seconds = float(os.environ.get("E2E_SECONDS", "3"))
    reps = int(os.environ.get("E2E_REPS", "3"))
    sizes = env_list("E2E_SIZES", "20,1024,65536")
    conns = env_list("E2E_CONNECTIONS", "1,100,1000")
    idle = int(os.environ.get("E2E_IDLE", "10000"))
    strace_seconds = float(os.environ.get("E2E_STRACE_SECONDS", "2"))
    client_conns = env_list("E2E_CLIENT_CONNECTIONS", "1,100")
    binary = os.environ.get("E2E_BINARY", "1") != "0"
    squid_seconds = float(os.environ.get("E2E_SQUID_SECONDS", "2"))
    squid_reps = int(os.environ.get("E2E_SQUID_REPS", "2"))
    squid_conns = int(os.environ.get("E2E_SQUID_CONNECTIONS", "100"))
    squid_setup = int(os.environ.get("E2E_SQUID_SETUP", "200"))
    squid_sizes = env_list("E2E_SQUID_SIZES", "20,1024")
    if idle + 100 > hard:
        print(f"warning: the open-file limit ({hard}) is too low for {idle} idle connections; using {hard - 200}")
        idle = max(hard - 200, 0)

    e2e = os.path.join(a.build_dir, "bench", "e2e")
    bench = os.path.join(a.build_dir, "tools", "burrow-bench", "burrow-bench")
    servers = [Server("burrow", os.path.join(e2e, "burrow-e2e-echo"), 9301),
               Server("beast", os.path.join(e2e, "beast-e2e-echo"), 9302)]
    if os.path.exists(os.path.join(e2e, "websocketpp-e2e-echo")):
        servers.append(Server("websocketpp", os.path.join(e2e, "websocketpp-e2e-echo"), 9303))
    tcp = Server("tcp", os.path.join(e2e, "tcp-e2e-echo"), 9304)
    # The floor (raw epoll, no Asio); absent from builds older than it.
    floor_exe = os.path.join(e2e, "raw-tcp-e2e-echo")
    floor = [Server("floor", floor_exe, 9306, kind="tcp")] if os.path.exists(floor_exe) else []
    pipeline = int(os.environ.get("E2E_PIPELINE", "8"))
    pipeline_sizes = env_list("E2E_PIPELINE_SIZES", "20,1024")
    pipeline_conns = env_list("E2E_PIPELINE_CONNECTIONS", "100")

    def log(msg):
        print(msg, flush=True)

    doc = {"config": {"seconds": seconds, "reps": reps, "sizes": sizes, "connections": conns, "idle": idle,
                      "binary": binary, "servers": [s.name for s in servers], "floor": bool(floor),
                      "machine": machine()},
           "runs": [], "idle": [], "strace": [], "client": [], "squid": {}}
    if a.only_uring:
        reps, idle, strace_seconds, client_conns, squid_seconds, pipeline = 0, 0, 0, [], 0, 0
    if reps and sizes and conns:
        log(f"==> race: {', '.join(s.name for s in servers + floor)} (+ tcp baseline at 64 KiB); "
            f"{reps} reps x {seconds:g} s")
    try:
        for s in servers + [tcp] + floor:
            s.start()
        for rep in range(reps):
            for size in sizes:
                for n in conns:
                    racers = servers + floor + ([tcp] if size >= 65536 else [])
                    for s in racers:
                        r = one_run(s, bench, n, size, seconds, binary)
                        r["rep"] = rep
                        doc["runs"].append(r)
                        log(f"  rep {rep + 1} {size:>6} B {n:>5} conns {s.name:<12} {r['messages_per_second']:>10.0f} msg/s "
                            f"{r['server_cpu_us_per_message']:>7.2f} us CPU/msg  p50 {r['rtt_p50_us']:.0f} us"
                            + (f"  ERRORS {r['errors']}" if r["errors"] else ""))
    finally:
        for s in servers + [tcp] + floor:
            s.stop()

    if pipeline > 0 and reps and pipeline_sizes and pipeline_conns:
        log(f"==> pipelined: {pipeline} messages in flight per connection, batched writes; "
            f"{reps} reps x {seconds:g} s")
        doc["pipeline"] = {"config": {"pipeline": pipeline, "sizes": pipeline_sizes, "connections": pipeline_conns,
                                      "reps": reps, "seconds": seconds}, "runs": []}
        unbatched = Server("burrow-unbatched", os.path.join(e2e, "burrow-e2e-echo"), 9307, ["--no-batch-writes"],
                           kind="burrow")
        racers = servers[:1] + [unbatched] + servers[1:] + [tcp] + floor
        try:
            for s in racers:
                s.start()
            for rep in range(reps):
                for size in pipeline_sizes:
                    for n in pipeline_conns:
                        for s in racers:
                            r = one_run(s, bench, n, size, seconds, binary, pipeline)
                            r["rep"] = rep
                            doc["pipeline"]["runs"].append(r)
                            log(f"  rep {rep + 1} {size:>6} B {n:>5} conns x{pipeline} {s.name:<16} "
                                f"{r['messages_per_second']:>10.0f} msg/s {r['server_cpu_us_per_message']:>7.2f} us CPU/msg"
                                + (f"  ERRORS {r['errors']}" if r["errors"] else ""))
        finally:
            for s in racers:
                s.stop()

    if idle > 0:
        log(f"==> idle memory: {idle} connections")
        for s in servers:
            doc["idle"].append(idle_memory(s, bench, idle, log))
    if strace_seconds > 0:
        log("==> system calls per message (strace -c -f, 100 connections)")
        for size in [x for x in sizes if x <= 1024]:
            for s in servers + floor:
                doc["strace"].append(strace_run(s, bench, size, strace_seconds, binary, log))
    if client_conns:
        log("==> client side: burrow-bench vs a Beast client, against the Beast server")
        fixed = Server("beast", os.path.join(e2e, "beast-e2e-echo"), 9305).start()
        try:
            for rep in range(reps):
                for size in sizes:
                    for n in client_conns:
                        d, cpu = run_client_rusage(bench_args(bench, fixed.url(), n, size, seconds, binary))
                        doc["client"].append({"client": "burrow", "size": size, "connections": n, "rep": rep,
                                              "messages_per_second": d["messages_per_second"],
                                              "client_cpu_us_per_message": cpu * 1e6 / max(d["messages_sent"], 1)})
                        beast_client = os.path.join(e2e, "beast-e2e-client")
                        d, cpu = run_client_rusage([beast_client, "127.0.0.1", str(fixed.port), str(n), str(size),
                                                    str(seconds)] + (["binary"] if binary else []))
                        doc["client"].append({"client": "beast", "size": size, "connections": n, "rep": rep,
                                              "messages_per_second": d["messages_per_second"],
                                              "client_cpu_us_per_message": cpu * 1e6 / max(d["messages"], 1)})
                        log(f"  rep {rep + 1} {size:>6} B {n:>5} conns: burrow {doc['client'][-2]['messages_per_second']:.0f} "
                            f"msg/s {doc['client'][-2]['client_cpu_us_per_message']:.2f} us/msg, beast "
                            f"{doc['client'][-1]['messages_per_second']:.0f} msg/s "
                            f"{doc['client'][-1]['client_cpu_us_per_message']:.2f} us/msg")
        finally:
            fixed.stop()
    if squid_seconds > 0:
        log("==> through squid: setup rate and echo messages/s, burrow vs a raw CONNECT tunnel (TCP echo)")
        doc["squid"] = squid_comparison(bench, e2e, squid_reps, squid_seconds, squid_conns, squid_setup, squid_sizes,
                                        binary, log)

    if a.uring_build:
        log("==> Asio on epoll vs io_uring: burrow, Beast and the plain TCP echo of both builds")
        try:
            doc["uring"] = uring_comparison(
                bench, e2e, os.path.join(a.uring_build, "bench", "e2e"),
                int(os.environ.get("E2E_URING_REPS", "2")), float(os.environ.get("E2E_URING_SECONDS", "2")),
                int(os.environ.get("E2E_URING_CONNECTIONS", "100")), env_list("E2E_URING_SIZES", "20,1024,65536"),
                float(os.environ.get("E2E_URING_STRACE_SECONDS", "1")), binary, log)
        except (RuntimeError, OSError, KeyError, json.JSONDecodeError) as e:
            # e.g. a kernel or container that refuses io_uring_setup: the servers do not start
            log(f"  skipped: {e}")
            doc["uring"] = {"skipped": f"the io_uring servers did not run: {e}"}

    doc["config"]["machine"]["loadavg_end"] = list(os.getloadavg())
    os.makedirs(a.out, exist_ok=True)
    path = os.path.join(a.out, "e2e.json")
    with open(path, "w") as f:
        json.dump(doc, f, indent=1)
    log(f"==> wrote {path}")


if __name__ == "__main__":
    sys.exit(main())
