#!/usr/bin/env python3
"""The end-to-end race (scripts/bench.sh e2e): echo servers driven by burrow-bench.

usage: bench_e2e.py BUILD_DIR [--out DIR]

Each server runs pinned to core 0 (taskset -c 0), the load generator to core 1. For every
repetition, message size and connection count, the servers run back to back (interleaved, so a
noisy neighbour hits them all alike); the tables use medians over the repetitions.

Measured per run: messages/s (burrow-bench's window), server CPU per echoed message (utime+stime
from /proc/PID/stat around the client run, over the messages the client sent), user time per
message. Then: peak RSS per idle connection (10,000 idle connections, VmRSS/VmHWM from
/proc/PID/status), system calls per message (strace -c -f attached to the server during a short
run) and the client-side comparison (burrow-bench vs a Beast client against the Beast server,
client CPU from wait4's rusage).

Environment (defaults in brackets):
  E2E_SECONDS [3]              load phase per run
  E2E_REPS [3]                 repetitions (medians)
  E2E_SIZES [20,1024,65536]    message sizes in bytes
  E2E_CONNECTIONS [1,100,1000] connection counts
  E2E_IDLE [10000]             idle connections for the memory measurement (0: skip)
  E2E_STRACE_SECONDS [2]       the strace run (0: skip)
  E2E_CLIENT_CONNECTIONS [1,100]  client-side comparison (empty: skip)
  E2E_BINARY [1]               binary messages (0: text)
"""
import argparse
import json
import os
import re
import resource
import signal
import statistics
import subprocess
import sys
import tempfile
import time

TICK = os.sysconf("SC_CLK_TCK")
SERVER_CORE = "0"
CLIENT_CORE = "1"


def env_list(name, default):
    text = os.environ.get(name, default)
    return [int(x) for x in text.split(",") if x.strip()]


class Server:
    """A server process pinned to the server core, started once and reused across runs."""

    def __init__(self, name, exe, port):
        self.name, self.exe, self.port = name, exe, port
        self.proc = None

    def start(self):
        self.proc = subprocess.Popen(["taskset", "-c", SERVER_CORE, self.exe, "--port", str(self.port)],
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
        scheme = "tcp" if self.name == "tcp" else "ws"
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


def bench_args(bench, url, connections, size, seconds, binary):
    args = [bench, url, "--connections", str(connections), "--message-size", str(size),
            "--duration", str(seconds), "--json"]
    if binary and not url.startswith("tcp:"):
        args.append("--binary")
    if connections > 200:
        args += ["--ramp-rate", "20000"]
    return args


def one_run(server, bench, connections, size, seconds, binary):
    u0, s0 = server.cpu()
    doc, _ = run_client(bench_args(bench, server.url(), connections, size, seconds, binary))
    u1, s1 = server.cpu()
    sent = max(doc.get("messages_sent", 0), 1)
    return {
        "server": server.name, "connections": connections, "size": size,
        "messages_per_second": doc["messages_per_second"], "mb_per_second": doc["mb_per_second"],
        "server_cpu_us_per_message": ((u1 - u0) + (s1 - s0)) * 1e6 / sent,
        "server_user_us_per_message": (u1 - u0) * 1e6 / sent,
        "rtt_p50_us": doc["rtt_us"]["p50"], "rtt_p99_us": doc["rtt_us"]["p99"],
        "errors": doc["errors_total"], "connections_up": doc["connections_up"],
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
              "calls": calls}
    log(f"  strace {server.name} {size} B: {recv / sent:.3f} recv ({recv_fail / sent:.3f} EAGAIN), "
        f"{send / sent:.3f} send, {polls / sent:.3f} epoll_wait, {sum(calls.values()) / sent:.2f} syscalls per message")
    return result


def median_by(runs, key_fields, value):
    groups = {}
    for r in runs:
        groups.setdefault(tuple(r[k] for k in key_fields), []).append(r[value])
    return {k: statistics.median(v) for k, v in groups.items()}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("build_dir")
    ap.add_argument("--out", default="bench-results")
    a = ap.parse_args()
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

    def log(msg):
        print(msg, flush=True)

    doc = {"config": {"seconds": seconds, "reps": reps, "sizes": sizes, "connections": conns, "idle": idle,
                      "binary": binary, "servers": [s.name for s in servers]},
           "runs": [], "idle": [], "strace": [], "client": []}
    log(f"==> race: {', '.join(s.name for s in servers)} (+ tcp baseline at 64 KiB); {reps} reps x {seconds:g} s")
    try:
        for s in servers + [tcp]:
            s.start()
        for rep in range(reps):
            for size in sizes:
                for n in conns:
                    racers = servers + ([tcp] if size >= 65536 else [])
                    for s in racers:
                        r = one_run(s, bench, n, size, seconds, binary)
                        r["rep"] = rep
                        doc["runs"].append(r)
                        log(f"  rep {rep + 1} {size:>6} B {n:>5} conns {s.name:<12} {r['messages_per_second']:>10.0f} msg/s "
                            f"{r['server_cpu_us_per_message']:>7.2f} us CPU/msg  p50 {r['rtt_p50_us']:.0f} us"
                            + (f"  ERRORS {r['errors']}" if r["errors"] else ""))
    finally:
        for s in servers + [tcp]:
            s.stop()

    if idle > 0:
        log(f"==> idle memory: {idle} connections")
        for s in servers:
            doc["idle"].append(idle_memory(s, bench, idle, log))
    if strace_seconds > 0:
        log("==> system calls per message (strace -c -f, 100 connections)")
        for size in [x for x in sizes if x <= 1024]:
            for s in servers:
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

    os.makedirs(a.out, exist_ok=True)
    path = os.path.join(a.out, "e2e.json")
    with open(path, "w") as f:
        json.dump(doc, f, indent=1)
    log(f"==> wrote {path}")


if __name__ == "__main__":
    sys.exit(main())
