#!/usr/bin/env python3
"""burrow-cat --explain-proxy over a table of environments: which proxy is chosen for a URL, and the
reason printed, with curl's rules (http_proxy lower case only, HTTPS_PROXY, ALL_PROXY, NO_PROXY
suffixes, explicit --proxy and --no-proxy). Each row runs burrow-cat in an environment holding only
the variables of that row. Pure and fast: no network.

usage: explain_proxy_test.py BURROW_CAT"""
import json
import subprocess
import sys

CAT = sys.argv[1]

# (environment, extra args, URL, expected exit status, substrings expected in stdout, absent substrings)
ROWS = [
    ({}, [], "ws://echo.example/", 0, ["direct", "no proxy configured"], []),
    ({"http_proxy": "http://p.example:3128"}, [], "ws://echo.example/", 0,
     ["http://p.example:3128", "http_proxy"], []),
    # HTTP_PROXY in upper case is ignored (httpoxy), as in curl
    ({"HTTP_PROXY": "http://p.example:3128"}, [], "ws://echo.example/", 0, ["direct"], ["p.example"]),
    ({"https_proxy": "http://tls.example:8080"}, [], "wss://echo.example/", 0, ["tls.example:8080", "https_proxy"], []),
    ({"HTTPS_PROXY": "http://tls.example:8080"}, [], "wss://echo.example/", 0, ["tls.example:8080", "HTTPS_PROXY"], []),
    # a wss URL does not use http_proxy
    ({"http_proxy": "http://p.example:3128"}, [], "wss://echo.example/", 0, ["direct"], ["p.example"]),
    ({"ALL_PROXY": "socks5h://s.example:1080"}, [], "wss://echo.example/", 0, ["socks5h://s.example:1080", "ALL_PROXY"], []),
    ({"ws_proxy": "http://w.example:1", "http_proxy": "http://p.example:2"}, [], "ws://echo.example/", 0,
     ["w.example:1", "ws_proxy"], ["p.example"]),
    ({"https_proxy": "http://tls.example:8080", "no_proxy": ".example"}, [], "wss://echo.example/", 0,
     ["direct", ".example"], []),
    ({"https_proxy": "http://tls.example:8080", "NO_PROXY": "echo.example"}, [], "wss://sub.echo.example/", 0,
     ["direct"], []),
    ({"https_proxy": "http://tls.example:8080", "no_proxy": "badexample.com"}, [], "wss://example.com/", 0,
     ["tls.example"], []),
    ({"http_proxy": "http://p.example:3128", "no_proxy": "10.0.0.0/8"}, [], "ws://10.1.2.3/", 0, ["direct"], []),
    ({"http_proxy": "http://p.example:3128", "no_proxy": "*"}, [], "ws://echo.example/", 0, ["direct"], []),
    ({"http_proxy": "http://p.example:3128", "no_proxy": "echo.example:8080"}, [], "ws://echo.example/", 0,
     ["p.example"], []),
    # explicit --proxy wins over the environment; the password never appears
    ({"http_proxy": "http://p.example:3128"}, ["--proxy", "http://bob:hunter2@q.example:9"], "ws://echo.example/", 0,
     ["q.example:9", "bob:***"], ["hunter2", "p.example"]),
    ({"http_proxy": "http://p.example:3128"}, ["--no-proxy"], "ws://echo.example/", 0, ["direct"], ["p.example"]),
    # a broken setting is an error (exit 3), never a silent direct connection
    ({"http_proxy": "ftp://p.example:21"}, [], "ws://echo.example/", 3, [], []),
    ({}, [], "not a url", 3, [], []),
    # a password in the target URL is never printed, not even when the URL is broken
    ({}, [], "ws://u:hunter2@bad host/", 3, [], ["hunter2"]),
    ({}, [], "ws://u:hunter2@echo.example/", 0, ["direct"], ["hunter2"]),
]


def run(env, args, url, json_mode=False):
    cmd = [CAT, "--explain-proxy"] + (["--json"] if json_mode else []) + args + [url]
    return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=20)


def main() -> int:
    passed = failed = 0
    for env, args, url, status, present, absent in ROWS:
        p = run(env, args, url)
        problems = []
        if p.returncode != status:
            problems.append(f"exit {p.returncode}, expected {status} (stderr: {p.stderr.strip()})")
        for s in present:
            if s not in p.stdout:
                problems.append(f"{s!r} not in output {p.stdout.strip()!r}")
        for s in absent:
            if s in p.stdout + p.stderr:
                problems.append(f"{s!r} should not appear: {p.stdout.strip()!r}")
        if status == 0:
            j = run(env, args, url, json_mode=True)
            try:
                event = json.loads(j.stdout)
                if event.get("event") != "explain" or event.get("explanation") != p.stdout.strip():
                    problems.append(f"--json disagrees: {j.stdout.strip()!r}")
            except json.JSONDecodeError as e:
                problems.append(f"--json output is not JSON: {e}: {j.stdout!r}")
        label = f"{env} {args} {url}"
        if problems:
            failed += 1
            print(f"FAIL {label}: " + "; ".join(problems))
        else:
            passed += 1
            print(f"ok   {label}: {p.stdout.strip()}")
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
