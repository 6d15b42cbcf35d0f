#!/usr/bin/env bash
# with_servers.sh - run a command against a real proxy on 127.0.0.1 (the proxy integration tests).
#
# usage:  with_servers.sh FIXTURE MODE -- COMMAND [ARGS...]
#   FIXTURE  squid | tinyproxy | apache | proxy_chain | microsocks | dante   (scripts/fixtures/)
#   MODE     none | basic | digest (HTTP proxies), none | auth (SOCKS5 servers); see each launcher
#
# Starts scripts/fixtures/echo_server.py (a TCP echo server) and the fixture, each on a free port of
# 127.0.0.1 in a temp dir of its own, waits until both accept connections, then runs COMMAND with
#   BURROW_TEST_PROXY_URL   http://alice:s3cret@127.0.0.1:PORT, socks5://..., or without
#                           credentials in mode none
#   BURROW_TEST_PROXY_KIND  the fixture name
#   BURROW_TEST_PROXY_MODE  the mode
#   BURROW_TEST_ECHO_PORT   the echo server's port on 127.0.0.1
#   BURROW_TEST_LOG_DIR     the dir holding the servers' configs and logs (removed afterwards)
# and stops everything afterwards (also when COMMAND fails, or this script gets SIGTERM/SIGINT,
# e.g. from meson's timeout). Exit status: COMMAND's, or 1 when a server could not be started;
# that is a failure with the server's log on stderr, never a silent skip.
#
# Environment:
#   BURROW_FIXTURE_USER/BURROW_FIXTURE_PASS  credentials the SERVER accepts (default alice/s3cret;
#                           the URL always carries alice/s3cret, so setting another password here
#                           makes the server reject the test's credentials: a self-check)
#   BURROW_TEST_KEEP_LOGS=1 keep the temp dir (its path is printed)
#   BURROW_TEST_START_TIMEOUT  seconds to wait for a server's port (default 15)
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
fixtures=$root/scripts/fixtures
# shellcheck source=scripts/fixtures/lib.sh
source "$fixtures/lib.sh"

usage() { sed -n '2,8p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2; }

if (($# < 4)) || [[ $3 != -- ]]; then
    usage
    exit 2
fi
kind=$1 mode=$2
shift 3

scheme=http grace_ms=3000
case "$kind" in
squid) launcher=$fixtures/squid.sh grace_ms=300 ;; # TERM takes ~3 s; KILL is safe
tinyproxy) launcher=$fixtures/tinyproxy.sh ;;
apache) launcher=$fixtures/apache.sh ;;
proxy_chain) launcher=$fixtures/proxy-chain.sh ;;
microsocks) launcher=$fixtures/microsocks.sh scheme=socks5 ;;
dante) launcher=$fixtures/dante.sh scheme=socks5 ;;
*) echo "with_servers.sh: unknown fixture '$kind'" >&2; usage; exit 2 ;;
esac
start_timeout=${BURROW_TEST_START_TIMEOUT:-15}

fixture_harness with_servers.sh "burrow-it-$kind-$mode"

# 1. the echo server: it binds port 0 itself and writes the port it got to a file
mkdir "$tmp/echo"
fixture_start "$tmp/echo/server.out" "$FIXTURE_PYTHON" "$fixtures/echo_server.py" "$tmp/echo/port"
echo_pid=$FIXTURE_LAST_PID
for ((i = 0; i < start_timeout * 20; i++)); do
    [[ -s $tmp/echo/port ]] && break
    kill -0 "$echo_pid" 2>/dev/null || break
    sleep 0.05
done
[[ -s $tmp/echo/port ]] || fail "the echo server did not start" "$tmp/echo/server.out"
echo_port=$(<"$tmp/echo/port")

# 2. the proxy. proxy-chain may have to be installed with npm first (once; cached): do that
# before the start timeout begins.
if [[ $kind == proxy_chain ]]; then
    "$launcher" --install >"$tmp/npm-install.log" 2>&1 ||
        fail "could not install proxy-chain with npm" "$tmp/npm-install.log"
fi
# A free port can be taken by someone else before the proxy binds it: when the proxy exits before
# its port opens, try again with another port (at most 3 times).
mkdir "$tmp/proxy"
started=0
for attempt in 1 2 3; do
    port=$(fixture_free_port) || fail "no free port"
    dir=$tmp/proxy/$attempt
    mkdir "$dir"
    fixture_start "$dir/server.out" "$launcher" "$dir" "$port" "$mode"
    proxy_pid=$FIXTURE_LAST_PID
    FIXTURE_GRACE_MS[$proxy_pid]=$grace_ms
    if fixture_wait_port "$port" "$start_timeout" "$proxy_pid" 2>"$dir/wait.log"; then
        started=1
        break
    fi
    if kill -0 "$proxy_pid" 2>/dev/null; then
        # alive but not listening within the timeout: no point in retrying
        fail "$kind ($mode) did not accept connections on 127.0.0.1:$port within ${start_timeout}s" \
            "$dir"/*.log "$dir/server.out"
    fi
    wait "$proxy_pid" 2>/dev/null
    status=$?
    if ! grep -qi 'address already in use\|cannot bind\|EADDRINUSE' "$dir/server.out" "$dir"/*.log 2>/dev/null; then
        fail "$kind ($mode) exited with status $status before listening on 127.0.0.1:$port" \
            "$dir/server.out" "$dir"/*.log
    fi
    echo "with_servers.sh: port $port was taken; retrying with another" >&2
done
((started)) || fail "$kind ($mode): no port could be bound after 3 attempts" "$dir/server.out"

case "$mode" in
none) url=$scheme://127.0.0.1:$port ;;
*) url=$scheme://alice:s3cret@127.0.0.1:$port ;;
esac
export BURROW_TEST_PROXY_URL=$url
export BURROW_TEST_PROXY_KIND=$kind
export BURROW_TEST_PROXY_MODE=$mode
export BURROW_TEST_ECHO_PORT=$echo_port
export BURROW_TEST_LOG_DIR=$dir
echo "with_servers.sh: $kind ($mode) on 127.0.0.1:$port (pid $proxy_pid), echo server on 127.0.0.1:$echo_port; logs in $dir"

# 3. the command. Run it in the background and wait, so that a TERM from meson reaches the trap
# at once instead of after the command ends.
"$@" &
cmd_pid=$!
wait "$cmd_pid"
status=$?
cmd_pid=

# 4. the proxy must still be there: a proxy that crashed during the test is a failure too
if ! kill -0 "$proxy_pid" 2>/dev/null; then
    echo "with_servers.sh: $kind ($mode) exited during the test" >&2
    tail -n 40 "$dir/server.out" >&2
    ((status == 0)) && status=1
fi
if ((status != 0)); then
    for f in "$dir/server.out" "$dir"/*.log; do
        [[ -s $f ]] || continue
        echo "----- $f (last 20 lines) -----" >&2
        tail -n 20 "$f" >&2
    done
fi
exit "$status"
