#!/usr/bin/env python3
"""Runs the demo (the burrow-demo program, or scripts/demo.sh --no-build) and checks its transcript:
exit status 0, the proxified exchange in order (CONNECT, 407, CONNECT with redacted credentials,
200, upgrade, 101, the message and its echo, the close), and no password anywhere.

usage: check_demo.py COMMAND [ARGS...]"""
import subprocess
import sys

EXPECTED_IN_ORDER = [
    "client > proxy   CONNECT 127.0.0.1:",
    "proxy > client   HTTP/1.1 407 Proxy Authentication Required",
    "client > proxy   CONNECT 127.0.0.1:",
    "Proxy-Authorization: Basic <redacted>",
    "proxy > client   HTTP/1.1 200",
    "client > server  GET / HTTP/1.1",
    "Upgrade: websocket",
    "server > client  HTTP/1.1 101 Switching Protocols",
    'client > server  text "test message"',
    'server > client  text "test message"',
    "client > server  close 1000",
    "server > client  close 1000",
    "closed cleanly",
    'OK: "test message" came back through the proxy.',
]


def main() -> int:
    proc = subprocess.run(sys.argv[1:], capture_output=True, text=True, timeout=60)
    out = proc.stdout
    sys.stdout.write(out)
    sys.stderr.write(proc.stderr)
    failures = []
    if proc.returncode != 0:
        failures.append(f"exit status {proc.returncode}, expected 0")
    at = 0
    for needle in EXPECTED_IN_ORDER:
        found = out.find(needle, at)
        if found < 0:
            failures.append(f"missing (in order): {needle!r}")
        else:
            at = found + len(needle)
    for password in ("demo-password", "s3cret"):  # the embedded proxy's, the test squid's
        if password in out + proc.stderr:
            failures.append("the proxy password appears in the output")
    for f in failures:
        print("FAIL:", f, file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
