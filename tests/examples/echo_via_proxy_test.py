#!/usr/bin/python3
"""examples/echo_via_proxy end to end: examples/echo_server behind examples/connect_proxy with Basic
authentication on, all on 127.0.0.1.
  - with the right credentials in the proxy URL: the message comes back, printed once, exit 0;
  - --count 1 with --message: exactly what was sent is printed;
  - with a wrong password: exit 1, and the error paragraph names the proxy's refusal (407);
  - the proxy from the environment (http_proxy) when --proxy is not given.

usage: echo_via_proxy_test.py ECHO_VIA_PROXY_EXE ECHO_SERVER_EXE CONNECT_PROXY_EXE
Prints one line per check; exit status 1 when any check failed.
"""
import os
import subprocess
import sys

failures = 0
USER, PASSWORD = "alice", "s3cret"


def check(name, ok, detail=""):
    global failures
    print(("ok   " if ok else "FAIL ") + name + ("" if ok else f": {detail}"), flush=True)
    failures += 0 if ok else 1


def start(args):
    """Starts a server that prints 'listening on 127.0.0.1:PORT' and returns (process, port)."""
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    line = proc.stdout.readline().strip()
    if not line.startswith("listening on 127.0.0.1:"):
        proc.kill()
        raise SystemExit(f"{args[0]} did not start: {line!r}")
    return proc, int(line.rsplit(":", 1)[1])


def run(exe, *args, env=None):
    return subprocess.run([exe, *args], capture_output=True, text=True, timeout=30, env=env)


def main():
    via_proxy, echo_server, connect_proxy = sys.argv[1:4]
    server, server_port = start([echo_server, "--port", "0"])
    proxy, proxy_port = start([connect_proxy, "--port", "0", "--user", f"{USER}:{PASSWORD}"])
    url = f"ws://127.0.0.1:{server_port}/"
    try:
        r = run(via_proxy, url, "--proxy", f"http://{USER}:{PASSWORD}@127.0.0.1:{proxy_port}",
                "--message", "hello through the proxy")
        check("round trip through the proxy with Basic auth", r.returncode == 0 and
              r.stdout == "hello through the proxy\n", f"status {r.returncode}, out {r.stdout!r}, err {r.stderr!r}")

        r = run(via_proxy, url, "--proxy", f"http://{USER}:wrong@127.0.0.1:{proxy_port}")
        check("a wrong password fails with the proxy's 407 in the message",
              r.returncode == 1 and "407" in r.stderr and r.stdout == "",
              f"status {r.returncode}, out {r.stdout!r}, err {r.stderr!r}")
        check("the password is not printed", "wrong" not in r.stderr, r.stderr)

        env = dict(os.environ, http_proxy=f"http://{USER}:{PASSWORD}@127.0.0.1:{proxy_port}")
        env.pop("no_proxy", None)
        env.pop("NO_PROXY", None)
        r = run(via_proxy, url, env=env)
        check("the proxy comes from http_proxy without --proxy",
              r.returncode == 0 and r.stdout == "test message\n" and "http_proxy" in r.stderr,
              f"status {r.returncode}, out {r.stdout!r}, err {r.stderr!r}")
    finally:
        for p in (server, proxy):
            p.kill()
            p.wait()
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
