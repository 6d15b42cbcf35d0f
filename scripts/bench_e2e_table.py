#!/usr/bin/env python3
"""Turns bench-results/e2e.json (scripts/bench_e2e.py) into tables and a chart.

usage: bench_e2e_table.py E2E_JSON [--markdown OUT.md] [--svg OUT.svg]

Tables (medians over the repetitions):
  1. per message size and connection count: messages/s and server CPU us per echoed message for
     each server, and the ratios burrow/Beast and burrow/websocketpp (messages/s: higher is better
     for burrow; CPU: lower is better for burrow), plus burrow/TCP throughput at 64 KiB, and the
     floor (raw-tcp-e2e-echo: plain epoll, one recv and one send per message) with Beast's and
     burrow's CPU per message over it; then the target 0.6x Beast against that floor;
  2. idle memory per connection; 3. system calls per message; 4. the client-side comparison;
  5. through squid: setup rate (connections/s, per-phase p50/p99) and echo messages/s of burrow's
     echo server through squid, against the same bytes through the same squid to the plain TCP echo
     (a raw CONNECT tunnel) and both directly, with the ratios burrow/tunnel and via squid/direct.
  6. when the run has it (bench_e2e.py --uring-build): Asio on epoll vs io_uring for burrow, Beast
     and the plain TCP echo: messages/s, server CPU per message, system calls per message, the
     ratios io_uring/epoll and burrow/Beast on each backend.
  7. when the run has it (printed after 4): the pipelined echo (--pipeline K, batched writes):
     messages/s and server CPU per message of every server, the TCP echoes included, burrow/Beast,
     burrow/websocketpp, burrow/floor, and burrow's server with and without batched writes.
The chart (gnuplot, SVG): server CPU per message and messages/s per case, one bar per server
(the floor included), and the pipelined server CPU per message when the run has it.
"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile


def med(values):
    return statistics.median(values) if values else None


def fmt(v, digits=None):
    if v is None:
        return "-"
    if digits is not None:
        return f"{v:.{digits}f}"
    if abs(v) >= 100:
        return f"{v:.0f}"
    if abs(v) >= 10:
        return f"{v:.1f}"
    return f"{v:.2f}"


def ratio(a, b):
    return None if a is None or b is None or b == 0 else a / b


def rfmt(r):
    return "-" if r is None else f"{r:.2f}x"


def table(headers, rows):
    widths = [max(len(str(x)) for x in [h] + [r[i] for r in rows]) for i, h in enumerate(headers)]
    line = lambda cells: "| " + " | ".join(str(c).rjust(w) for c, w in zip(cells, widths)) + " |"
    out = [line(headers), "|" + "|".join("-" * (w + 2) for w in widths) + "|"]
    out += [line(r) for r in rows]
    return "\n".join(out)


def size_text(n):
    return f"{n // 1024} KiB" if n >= 1024 and n % 1024 == 0 else f"{n} B"


def summarize(doc):
    servers = doc["config"]["servers"]
    cases = []
    for r in doc["runs"]:
        c = (r["size"], r["connections"])
        if c not in cases:
            cases.append(c)
    cases.sort()
    summary = {}
    for c in cases:
        entry = {}
        for s in servers + ["tcp", "floor"]:
            runs = [r for r in doc["runs"] if (r["size"], r["connections"]) == c and r["server"] == s]
            if not runs:
                continue
            entry[s] = {k: med([r[k] for r in runs]) for k in
                        ("messages_per_second", "mb_per_second", "server_cpu_us_per_message",
                         "server_user_us_per_message", "rtt_p50_us", "rtt_p99_us")}
            entry[s]["errors"] = sum(r["errors"] for r in runs)
        summary[c] = entry
    return servers, cases, summary


def render(doc):
    servers, cases, summary = summarize(doc)
    others = [s for s in servers if s != "burrow"]
    out = []
    cfg = doc["config"]
    m = cfg.get("machine")
    if m:
        la = lambda k: "/".join(f"{x:.2f}" for x in m.get(k, [])) or "?"
        out.append(f"Run {m.get('date_utc', '?')} (commit {m.get('commit') or '?'}) on {m.get('cpus', '?')} CPUs "
                   f"({m.get('cpu_model') or 'unknown CPU'}); load average (1/5/15 min) {la('loadavg_start')} at the "
                   f"start, {la('loadavg_end')} at the end."
                   + (f" Uncommitted changes in: {', '.join(m['uncommitted'])}." if m.get("uncommitted") else "")
                   + (" The machine was busy (load average above its CPU count): the absolute numbers are low and "
                      "noisy; compare the servers within this run only." if max(m.get("loadavg_start", [0])[0],
                      m.get("loadavg_end", [0])[0]) > (m.get("cpus") or 1) else "") + "\n")
    out.append(f"Each server on core 0, burrow-bench on core 1; {cfg['reps']} repetitions of {cfg['seconds']:g} s, "
               f"medians; {'binary' if cfg.get('binary', True) else 'text'} messages, closed loop (one message in "
               f"flight per connection).\n")
    headers = ["size", "conns"] + [f"{s} msg/s" for s in servers] + [f"{s} CPU us/msg" for s in servers]
    for o in others:
        headers += [f"burrow/{o} msg/s", f"burrow/{o} CPU"]
    headers += ["burrow/tcp MB/s"]
    has_floor = any("floor" in summary[c] for c in cases)
    if has_floor:
        headers += ["floor msg/s", "floor CPU us/msg", "beast/floor CPU", "burrow/floor CPU"]
    rows = []
    for c in cases:
        e = summary[c]
        g = lambda s, k: e.get(s, {}).get(k)
        row = [size_text(c[0]), str(c[1])]
        row += [fmt(g(s, "messages_per_second")) for s in servers]
        row += [fmt(g(s, "server_cpu_us_per_message")) for s in servers]
        for o in others:
            row.append(rfmt(ratio(g("burrow", "messages_per_second"), g(o, "messages_per_second"))))
            row.append(rfmt(ratio(g("burrow", "server_cpu_us_per_message"), g(o, "server_cpu_us_per_message"))))
        row.append(rfmt(ratio(g("burrow", "mb_per_second"), g("tcp", "mb_per_second"))) if "tcp" in e else "-")
        if has_floor:
            floor_cpu = g("floor", "server_cpu_us_per_message")
            row += [fmt(g("floor", "messages_per_second")), fmt(floor_cpu),
                    rfmt(ratio(g("beast", "server_cpu_us_per_message"), floor_cpu)),
                    rfmt(ratio(g("burrow", "server_cpu_us_per_message"), floor_cpu))]
        rows.append(row)
    out.append("### Echo throughput and server CPU per message\n")
    out.append(table(headers, rows))
    out.append("\nTargets: burrow CPU/msg <= 0.6x Beast and msg/s >= 1.3x Beast (20 B and 1 KiB, 100 and 1000 "
               "connections); 64 KiB: >= 1.3x Beast and >= 0.9x plain TCP.\n")
    if has_floor:
        out.append(render_floor(cases, summary))

    lat_rows = []
    for c in cases:
        if c[1] != 1:
            continue
        e = summary[c]
        lat_rows.append([size_text(c[0])] + [fmt(e.get(s, {}).get("rtt_p50_us")) for s in servers] +
                        [fmt(e.get(s, {}).get("server_user_us_per_message")) for s in servers])
    if lat_rows:
        out.append("### One connection: round trip p50 (us) and server user time per message (us)\n")
        out.append(table(["size"] + [f"{s} p50" for s in servers] + [f"{s} user us/msg" for s in servers], lat_rows))
        out.append("")

    if doc.get("idle"):
        out.append("### Idle connections: server memory per connection\n")
        beast = next((i for i in doc["idle"] if i["server"] == "beast"), None)
        wanted = doc["config"].get("idle", 0)
        rows = []
        for i in doc["idle"]:
            if i["connections"] < 0.9 * wanted:  # the server stopped accepting or died
                rows.append([i["server"], f"{i['connections']} (of {wanted}; {i['upgraded']} upgraded)", "failed", "failed", "-"])
                continue
            rows.append([i["server"], str(i["connections"]), fmt(i["bytes_per_connection"], 0),
                         fmt(i["peak_bytes_per_connection"], 0),
                         rfmt(ratio(i["bytes_per_connection"], beast["bytes_per_connection"])) if beast else "-"])
        out.append(table(["server", "open", "RSS B/conn", "peak B/conn", "vs beast"], rows))
        out.append("\nTarget: burrow < 1024 B per idle connection.\n")

    if doc.get("strace"):
        out.append("### System calls per echoed message (strace -c -f, 100 connections)\n")
        rows = [[i["server"], size_text(i["size"]), fmt(i["recv_per_message"], 3), fmt(i["recv_eagain_per_message"], 3),
                 fmt(i["send_per_message"], 3), fmt(i["epoll_wait_per_message"], 3), fmt(i["syscalls_per_message"], 2)]
                for i in doc["strace"]]
        out.append(table(["server", "size", "recv", "recv EAGAIN", "send", "epoll_wait", "all"], rows))
        out.append("\nTarget: burrow <= 1.05 recv and <= 1.05 send per small message.\n")

    if doc.get("client"):
        out.append("### Client side: burrow-bench vs a Beast client against the Beast server\n")
        keys = sorted({(c["size"], c["connections"]) for c in doc["client"]})
        rows = []
        for k in keys:
            pick = lambda who, f: med([c[f] for c in doc["client"] if (c["size"], c["connections"]) == k and c["client"] == who])
            b_rate, e_rate = pick("burrow", "messages_per_second"), pick("beast", "messages_per_second")
            b_cpu, e_cpu = pick("burrow", "client_cpu_us_per_message"), pick("beast", "client_cpu_us_per_message")
            rows.append([size_text(k[0]), str(k[1]), fmt(b_rate), fmt(e_rate), rfmt(ratio(b_rate, e_rate)), fmt(b_cpu),
                         fmt(e_cpu), rfmt(ratio(b_cpu, e_cpu))])
        out.append(table(["size", "conns", "burrow msg/s", "beast msg/s", "ratio", "burrow CPU us/msg",
                          "beast CPU us/msg", "ratio"], rows))
        out.append("")

    if doc.get("pipeline", {}).get("runs"):
        out.append(render_pipeline(doc["pipeline"]))
    if doc.get("squid", {}).get("echo") or doc.get("squid", {}).get("setup"):
        out.append(render_squid(doc["squid"]))
    elif doc.get("squid", {}).get("skipped"):
        out.append(f"### Through squid\n\nskipped: {doc['squid']['skipped']}\n")
    if doc.get("uring"):
        out.append(render_uring(doc["uring"]))
    return "\n".join(out)


def render_floor(cases, summary):
    """The CPU target against the floor: what 0.6x Beast asks for, in multiples of the raw echo."""
    rows = []
    for c in cases:
        e = summary[c]
        floor_cpu = e.get("floor", {}).get("server_cpu_us_per_message")
        beast_cpu = e.get("beast", {}).get("server_cpu_us_per_message")
        if c[0] > 1024 or floor_cpu is None or beast_cpu is None:
            continue
        burrow_cpu = e.get("burrow", {}).get("server_cpu_us_per_message")
        rows.append([size_text(c[0]), str(c[1]), fmt(floor_cpu), fmt(beast_cpu), fmt(0.6 * beast_cpu),
                     rfmt(ratio(0.6 * beast_cpu, floor_cpu)), fmt(burrow_cpu), rfmt(ratio(burrow_cpu, floor_cpu))])
    if not rows:
        return ""
    return "\n".join([
        "### The CPU target against the floor\n",
        "The floor is raw-tcp-e2e-echo: plain epoll (level-triggered, one thread), one recv and one send per "
        "message, no WebSocket, no Asio. No server that echoes each message with one recv and one send spends "
        "less CPU per message; a target below 1.00x the floor is out of reach that way.\n",
        table(["size", "conns", "floor CPU us/msg", "beast CPU us/msg", "0.6x beast", "0.6x beast / floor",
               "burrow CPU us/msg", "burrow/floor"], rows),
        ""])


def render_pipeline(p):
    cfg, runs = p["config"], p.get("runs", [])
    names = []
    for r in runs:
        if r["server"] not in names:
            names.append(r["server"])
    g = lambda size, n, server, f: med([r[f] for r in runs if (r["size"], r["connections"], r["server"]) == (size, n, server)])
    rows = []
    for size, n in sorted({(r["size"], r["connections"]) for r in runs}):
        row = [size_text(size), str(n)]
        row += [fmt(g(size, n, s, "messages_per_second")) for s in names]
        row += [fmt(g(size, n, s, "server_cpu_us_per_message")) for s in names]
        for other in [s for s in ("beast", "websocketpp") if s in names]:
            row.append(rfmt(ratio(g(size, n, "burrow", "messages_per_second"), g(size, n, other, "messages_per_second"))))
            row.append(rfmt(ratio(g(size, n, "burrow", "server_cpu_us_per_message"),
                                  g(size, n, other, "server_cpu_us_per_message"))))
        if "floor" in names:
            row.append(rfmt(ratio(g(size, n, "burrow", "server_cpu_us_per_message"),
                                  g(size, n, "floor", "server_cpu_us_per_message"))))
        if "burrow-unbatched" in names:
            row.append(rfmt(ratio(g(size, n, "burrow", "server_cpu_us_per_message"),
                                  g(size, n, "burrow-unbatched", "server_cpu_us_per_message"))))
        row.append(str(sum(r["errors"] for r in runs if (r["size"], r["connections"]) == (size, n))))
        rows.append(row)
    headers = ["size", "conns"] + [f"{s} msg/s" for s in names] + [f"{s} CPU us/msg" for s in names]
    for other in [s for s in ("beast", "websocketpp") if s in names]:
        headers += [f"burrow/{other} msg/s", f"burrow/{other} CPU"]
    headers += (["burrow/floor CPU"] if "floor" in names else [])
    headers += (["batched/unbatched CPU"] if "burrow-unbatched" in names else []) + ["errors"]
    unbatched = sorted({r["server"] for r in runs if not r.get("batched_writes")})
    return "\n".join([
        f"### Pipelined echo: {cfg['pipeline']} messages in flight per connection\n",
        f"Closed loop with burrow-bench --pipeline {cfg['pipeline']}; {cfg['reps']} repetitions of {cfg['seconds']:g} s, "
        f"medians. burrow-bench batches its writes: the first {cfg['pipeline']} messages, and later the replacements "
        f"for all the echoes one read brought, leave in one write, to every server alike (tcp and floor are the TCP "
        f"echoes driven with tcp://, the same bytes without WebSocket; burrow-unbatched is burrow's server with "
        f"--no-batch-writes: one send per echo)."
        + (f" burrow-bench did not batch its writes (a build older than batching) for: {', '.join(unbatched)}." if unbatched else "")
        + "\n",
        table(headers, rows),
        ""])


URING_SERVERS = ["burrow", "beast", "tcp", "burrow-blocking"]


def render_uring(u):
    if u.get("skipped"):
        return f"### Asio on epoll vs io_uring\n\nskipped: {u['skipped']}\n"
    cfg = u["config"]
    runs, st = u.get("runs", []), u.get("strace", [])
    out = ["### Asio on epoll vs io_uring\n",
           f"The same echo servers built twice (meson -Dasio_backend=epoll, the default, and =io_uring: "
           f"BOOST_ASIO_HAS_IO_URING, BOOST_ASIO_DISABLE_EPOLL, liburing), driven by the same burrow-bench (epoll), "
           f"interleaved; {cfg['connections']} connections, {cfg['reps']} repetitions of {cfg['seconds']:g} s, "
           f"medians. burrow-blocking is burrow's server with --blocking-sockets: its sockets back in blocking mode "
           f"after the upgrade, so reads and writes are ring operations instead of recv/send calls. System calls "
           f"per message from strace -c -f ({cfg['strace_seconds']:g} s per server and size); what the ring does "
           f"itself is no system call and does not show.\n"]
    g = lambda backend, server, size, f: med([r[f] for r in runs if r["backend"] == backend and r["server"] == server
                                             and r["size"] == size])
    sc = lambda backend, server, size, f: med([r[f] for r in st if r["backend"] == backend and r["server"] == server
                                              and r["size"] == size and f in r])
    sizes = sorted({r["size"] for r in runs})
    rows = []
    for size in sizes:
        for server in URING_SERVERS:
            ref = "burrow" if server == "burrow-blocking" else server  # its epoll reference
            ue = g("io_uring", server, size, "messages_per_second")
            if ue is None:
                continue
            ee = g("epoll", ref, size, "messages_per_second")
            uc, ec = g("io_uring", server, size, "server_cpu_us_per_message"), g("epoll", ref, size, "server_cpu_us_per_message")
            errors = sum(r["errors"] for r in runs if r["server"] in (server, ref) and r["size"] == size)
            rows.append([size_text(size), server, fmt(ee), fmt(ue), rfmt(ratio(ue, ee)), fmt(ec), fmt(uc),
                         rfmt(ratio(uc, ec)), fmt(sc("epoll", ref, size, "syscalls_per_message")),
                         fmt(sc("io_uring", server, size, "syscalls_per_message")), str(errors)])
    out.append(table(["size", "server", "epoll msg/s", "io_uring msg/s", "io_uring/epoll msg/s", "epoll CPU us/msg",
                      "io_uring CPU us/msg", "io_uring/epoll CPU", "epoll syscalls/msg", "io_uring syscalls/msg",
                      "errors"], rows))
    out.append("\n(burrow-blocking is compared with burrow on epoll.)\n")
    rows = []
    for size in sizes:
        row = [size_text(size)]
        for backend, server in (("epoll", "burrow"), ("io_uring", "burrow"), ("io_uring", "burrow-blocking")):
            row.append(rfmt(ratio(g(backend, server, size, "messages_per_second"),
                                  g(backend, "beast", size, "messages_per_second"))))
            row.append(rfmt(ratio(g(backend, server, size, "server_cpu_us_per_message"),
                                  g(backend, "beast", size, "server_cpu_us_per_message"))))
        rows.append(row)
    out.append("Against Beast on the same backend (targets: msg/s >= 1.3x, CPU <= 0.6x):\n")
    out.append(table(["size", "epoll burrow/beast msg/s", "CPU", "io_uring burrow/beast msg/s", "CPU",
                      "io_uring burrow-blocking/beast msg/s", "CPU"], rows))
    if st:
        rows = []
        for size in sizes:
            for backend in ("epoll", "io_uring"):
                for server in URING_SERVERS:
                    if sc(backend, server, size, "syscalls_per_message") is None:
                        continue
                    rows.append([size_text(size), backend, server] +
                                [fmt(sc(backend, server, size, f), 3) for f in
                                 ("recv_per_message", "recv_eagain_per_message", "send_per_message",
                                  "epoll_wait_per_message", "epoll_ctl_per_message", "io_uring_enter_per_message")] +
                                [fmt(sc(backend, server, size, "syscalls_per_message"))])
        out.append("\nSystem calls per echoed message:\n")
        out.append(table(["size", "backend", "server", "recv", "recv EAGAIN", "send", "epoll_wait", "epoll_ctl",
                          "io_uring_enter", "all"], rows))
    out.append("")
    return "\n".join(out)


SQUID_PATHS = ["burrow via squid", "tcp via squid", "burrow direct", "tcp direct"]


def render_squid(sq):
    cfg = sq["config"]
    out = [f"### Through squid: burrow vs a raw CONNECT tunnel\n",
           f"squid 5 (scripts/fixtures/squid.sh, no authentication) and the echo servers on core 0, burrow-bench on "
           f"core 1; {cfg['reps']} repetitions, medians. \"tcp\" is the plain TCP echo server driven with the same "
           f"bytes (burrow-bench tcp://): through squid it is a raw CONNECT tunnel, the floor for any WebSocket "
           f"library.\n"]
    setup = sq.get("setup", [])
    if setup:
        pick = lambda path, f: med([r[f] for r in setup if r["path"] == path and r.get(f) is not None])
        phase = lambda path, ph, q: med([r[ph][q] for r in setup if r["path"] == path and ph in r])
        rows = []
        for path in SQUID_PATHS:
            if not any(r["path"] == path for r in setup):
                continue
            errors = sum(r["errors"] for r in setup if r["path"] == path)
            row = [path, fmt(pick(path, "connections_per_second"))]
            for ph in ("tcp", "proxy_connect", "upgrade"):
                row.append(f"{fmt(phase(path, ph, 'p50'))} / {fmt(phase(path, ph, 'p99'))}")
            row.append(str(errors))
            rows.append(row)
        out.append(f"Connection setup: {cfg['setup_connections']} connections opened at once (p50 / p99 in us; "
                   f"proxy_connect is TCP to squid plus its CONNECT exchange).\n")
        out.append(table(["path", "conn/s", "tcp", "proxy_connect", "upgrade", "errors"], rows))
        rb, rt = pick("burrow via squid", "connections_per_second"), pick("tcp via squid", "connections_per_second")
        out.append(f"\nSetup rate burrow via squid / raw tunnel: {rfmt(ratio(rb, rt))} (the WebSocket upgrade is "
                   f"the extra round trip)\n")
    echo = sq.get("echo", [])
    if echo:
        rows = []
        for size in sorted({r["size"] for r in echo}):
            g = lambda path, f: med([r[f] for r in echo if r["path"] == path and r["size"] == size])
            rate = {p: g(p, "messages_per_second") for p in SQUID_PATHS}
            errors = sum(r["errors"] for r in echo if r["size"] == size)
            rows.append([size_text(size)] + [fmt(rate[p]) for p in SQUID_PATHS] +
                        [rfmt(ratio(rate["burrow via squid"], rate["tcp via squid"])),
                         rfmt(ratio(rate["burrow via squid"], rate["burrow direct"])),
                         fmt(g("burrow via squid", "squid_cpu_us_per_message")),
                         fmt(g("tcp via squid", "squid_cpu_us_per_message")), str(errors)])
        out.append(f"Echo throughput: {cfg['connections']} connections, closed loop, {cfg['seconds']:g} s per run "
                   f"(messages/s).\n")
        out.append(table(["size"] + SQUID_PATHS + ["burrow/tunnel (squid)", "squid/direct (burrow)",
                                                   "squid CPU us/msg (burrow)", "squid CPU us/msg (tcp)", "errors"],
                         rows))
        out.append("\nTarget: burrow through squid adds no measurable cost over the raw CONNECT tunnel "
                   "(burrow/tunnel ~1.00x).\n")
        # Where the time goes: squid and the server share core 0, so a server that costs more per
        # message leaves squid less of it; the load generator has core 1.
        rows = []
        for size in sorted({r["size"] for r in echo}):
            for path in SQUID_PATHS:
                g = lambda f: med([r[f] for r in echo if r["path"] == path and r["size"] == size and f in r])
                if g("messages_per_second") is None:
                    continue
                via = "squid" in path
                rows.append([size_text(size), path, fmt(g("server_cpu_us_per_message")),
                             fmt(g("squid_cpu_us_per_message")) if via else "-", fmt(g("client_cpu_us_per_message")),
                             fmt(g("rtt_p50_us"))])
        out.append("CPU per echoed message (us) and round trip p50 (us): server and squid on core 0, load generator "
                   "on core 1.\n")
        out.append(table(["size", "path", "server", "squid", "client", "RTT p50"], rows))
        out.append("")
    return "\n".join(out)


def chart(doc, path):
    if not shutil.which("gnuplot"):
        print("note: gnuplot not found, no chart", file=sys.stderr)
        return False
    servers, cases, summary = summarize(doc)
    if any("floor" in summary[c] for c in cases):
        servers = servers + ["floor"]
    piped = doc.get("pipeline", {}).get("runs", [])
    with tempfile.TemporaryDirectory() as tmp:
        data = os.path.join(tmp, "e2e.dat")
        with open(data, "w") as f:
            f.write("case " + " ".join(f"{s}_cpu" for s in servers) + " " + " ".join(f"{s}_rate" for s in servers) + "\n")
            for c in cases:
                e = summary[c]
                label = f'"{size_text(c[0])}\\n{c[1]} conn"'
                cpu = [e.get(s, {}).get("server_cpu_us_per_message") or 0 for s in servers]
                rate = [(e.get(s, {}).get("messages_per_second") or 0) / 1000 for s in servers]
                f.write(label + " " + " ".join(f"{v:.3f}" for v in cpu + rate) + "\n")
        squid_echo = doc.get("squid", {}).get("echo", [])
        squid_data = os.path.join(tmp, "squid.dat")
        if squid_echo:
            with open(squid_data, "w") as f:
                f.write("size " + " ".join(p.replace(" ", "_") for p in SQUID_PATHS) + "\n")
                for size in sorted({r["size"] for r in squid_echo}):
                    rates = [(med([r["messages_per_second"] for r in squid_echo if r["path"] == p and r["size"] == size])
                              or 0) / 1000 for p in SQUID_PATHS]
                    f.write(f'"{size_text(size)}" ' + " ".join(f"{v:.3f}" for v in rates) + "\n")
        pipe_data = os.path.join(tmp, "pipeline.dat")
        pipe_names = []
        if piped:
            for r in piped:
                if r["server"] not in pipe_names:
                    pipe_names.append(r["server"])
            with open(pipe_data, "w") as f:
                f.write("case " + " ".join(pipe_names) + "\n")
                for size, n in sorted({(r["size"], r["connections"]) for r in piped}):
                    cpu = [med([r["server_cpu_us_per_message"] for r in piped
                                if (r["size"], r["connections"], r["server"]) == (size, n, s)]) or 0 for s in pipe_names]
                    f.write(f'"{size_text(size)}\\n{n} conn" ' + " ".join(f"{v:.3f}" for v in cpu) + "\n")
        panels = 2 + bool(squid_echo) + bool(piped)
        m = doc["config"].get("machine", {})
        when = (f"\\n{m.get('date_utc', '')}, {m.get('cpus', '?')} CPUs, load average "
                f"{max(m.get('loadavg_start', [0])[0], m.get('loadavg_end', [0])[0]):.1f}" if m else "")
        n = len(servers)
        cpu_cols = ", ".join(f"'{data}' using {i + 2}:xtic(1) title '{s}'" for i, s in enumerate(servers))
        rate_cols = ", ".join(f"'{data}' using {n + i + 2}:xtic(1) title '{s}'" for i, s in enumerate(servers))
        script = f"""
set terminal svg size 1100,{380 * panels} dynamic noenhanced font 'sans,11'
set output '{path}'
set multiplot layout {panels},1 title "burrow vs Boost.Beast vs websocketpp: echo servers, one core each (medians){when}"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set key top left
set grid ytics
set logscale y
set ylabel 'server CPU us per message (lower is better)'
plot {cpu_cols}
unset logscale y
set yrange [0:*]
set ylabel 'thousand messages/s (higher is better)'
plot {rate_cols}
"""
        if piped:
            cols = ", ".join(f"'{pipe_data}' using {i + 2}:xtic(1) title '{s}'" for i, s in enumerate(pipe_names))
            script += f"""
set ylabel 'pipelined x{doc["pipeline"]["config"]["pipeline"]}: server CPU us per message'
plot {cols}
"""
        if squid_echo:
            cols = ", ".join(f"'{squid_data}' using {i + 2}:xtic(1) title '{p}'" for i, p in enumerate(SQUID_PATHS))
            script += f"""
set ylabel 'through squid: thousand messages/s'
set xlabel 'burrow through squid vs a raw CONNECT tunnel (TCP echo) through the same squid, and both direct'
plot {cols}
"""
        script += "unset multiplot\n"
        r = subprocess.run(["gnuplot"], input=script, text=True, capture_output=True)
        if r.returncode != 0:
            print("gnuplot failed: " + r.stderr, file=sys.stderr)
            return False
    return True


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("json")
    ap.add_argument("--markdown")
    ap.add_argument("--svg")
    a = ap.parse_args()
    with open(a.json) as f:
        doc = json.load(f)
    # bench_e2e.py --only-uring: no race, only the epoll/io_uring comparison
    text = render(doc) if doc.get("runs") or doc.get("pipeline") else render_uring(doc.get("uring") or {"skipped": "not measured"})
    print(text)
    if a.markdown:
        with open(a.markdown, "w") as f:
            f.write("# burrow end-to-end race\n\n" + text + "\n")
    if a.svg and doc.get("runs") and chart(doc, a.svg):  # the chart is the race's (none with --only-uring)
        print(f"\n==> wrote {a.svg}")


if __name__ == "__main__":
    sys.exit(main())
