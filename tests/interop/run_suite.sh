#!/bin/bash
# run_suite.sh - runs one interop suite (scripts/fixtures/ws_peers) against an echo program.
#
# usage:  run_suite.sh [--expect-fail] SUITE -- PROGRAM [ARGS...]
#   SUITE          python_client  Python websockets client suite; PROGRAM is an echo SERVER
#                  node_client    Node ws client suite;            PROGRAM is an echo SERVER
#                  python_server  Python websockets server suite;  PROGRAM is an echo CLIENT
#                  node_server    Node ws server suite;            PROGRAM is an echo CLIENT
#   --expect-fail  succeed only when the suite ran and some of its checks failed (exit status 1),
#                  to prove a suite catches a broken peer (the --corrupt reference programs)
#
# The suite starts what it needs on 127.0.0.1 (servers with --port 0, its own server on a free
# port). It runs in a process group of its own that is killed on exit, on SIGINT/SIGTERM and after
# BURROW_INTEROP_TIMEOUT seconds (default 170), so nothing is left behind.
# Needs /usr/bin/python3 with python3-websockets (scripts/lib/interop_packages.sh), and for the
# node suites node and npm on PATH (the ws package is installed once into a cache dir,
# scripts/fixtures/ws_peers/node_ws.sh).
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
peers=$(cd "$here/../../scripts/fixtures/ws_peers" && pwd)
python=${BURROW_INTEROP_PYTHON:-/usr/bin/python3}
limit=${BURROW_INTEROP_TIMEOUT:-170}

usage() { sed -n '2,17p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2; exit 2; }

expect_fail=0
if [[ ${1:-} == --expect-fail ]]; then
    expect_fail=1
    shift
fi
suite=${1:-}
[[ ${2:-} == -- ]] || usage
shift 2
(($# >= 1)) || usage

case "$suite" in
python_client) runner=("$python" "$peers/py_client_suite.py") ;;
python_server) runner=("$python" "$peers/py_server_suite.py") ;;
node_client) runner=(node "$peers/node_client_suite.cjs") ;;
node_server) runner=(node "$peers/node_server_suite.cjs") ;;
*) echo "run_suite.sh: unknown suite '$suite'" >&2; usage ;;
esac

if [[ ! -x $1 ]] && ! command -v "$1" >/dev/null; then
    echo "run_suite.sh: the program under test '$1' does not exist or is not executable" >&2
    exit 2
fi
if ! "$python" -c 'import websockets' 2>/dev/null; then
    echo "run_suite.sh: $python cannot import websockets: apt-get install python3-websockets" \
        "(scripts/lib/interop_packages.sh)" >&2
    exit 2
fi
if [[ $suite == node_* || $* == *.cjs* ]]; then
    if ! command -v node >/dev/null; then
        echo "run_suite.sh: node not found on PATH (the Node suites need node and npm)" >&2
        exit 2
    fi
    # install ws@8 once, before the clock of the suite starts
    bash "$peers/node_ws.sh" >/dev/null || exit 2
fi

export PYTHONDONTWRITEBYTECODE=1
pid=
# shellcheck disable=SC2317  # called from the traps
cleanup() {
    if [[ -n $pid ]]; then
        kill -TERM -- "-$pid" 2>/dev/null
        sleep 0.2
        kill -KILL -- "-$pid" 2>/dev/null
        wait "$pid" 2>/dev/null
    fi
    pid=
}
trap 'cleanup; exit 130' INT
trap 'cleanup; exit 143' TERM
trap cleanup EXIT

# A background child of a shell without job control is no group leader, so setsid does not fork:
# $! is the suite, and the suite's pid is its process group (servers and clients it starts too).
setsid timeout -k 5 "$limit" "${runner[@]}" --suite "$suite" -- "$@" </dev/null &
pid=$!
wait "$pid"
status=$?
pid_done=$pid
pid=
kill -KILL -- "-$pid_done" 2>/dev/null  # anything the suite left behind

if ((status == 124 || status == 137)); then
    echo "run_suite.sh: $suite did not finish within ${limit} s (killed)" >&2
fi
if ((expect_fail)); then
    if ((status == 1)); then
        echo "run_suite.sh: $suite failed against a broken peer, as it must"
        exit 0
    fi
    echo "run_suite.sh: $suite was run against a broken peer and must fail its checks (exit" \
        "status 1), but exited with $status" >&2
    exit 1
fi
exit "$status"
