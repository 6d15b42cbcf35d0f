#!/usr/bin/env bash
# with_tls_servers.sh - run a command against the real TLS peers and proxies on 127.0.0.1 (the TLS
# integration tests, issue 5).
#
# usage:  with_tls_servers.sh -- COMMAND [ARGS...]
#
# 1. makes the certificates with openssl (scripts/fixtures/tls_certs.sh) in a temp dir;
# 2. starts scripts/fixtures/tls_peers.py: Python `websockets` echo servers over TLS with a good
#    certificate, one for the wrong name, an expired one, one from an untrusted issuer, a
#    self-signed one, one that requires a client certificate (mutual TLS); a plain ws server; a
#    scripted proxy that refuses every CONNECT with "HTTP/1.0 500 handshakefailed"; and an
#    https:// CONNECT proxy that reports the SNI it received;
# 3. starts ONE squid (scripts/fixtures/squid.sh, mode basic) with six named ports: plain HTTP and
#    https_port (TLS to the proxy), each without credentials, with Basic, and refusing (403);
# 4. runs COMMAND with the environment below, then stops everything (also when COMMAND fails, or
#    on SIGTERM/SIGINT from meson's timeout).
#
# Environment given to COMMAND (ports are on 127.0.0.1):
#   BURROW_TEST_TLS_CA             the CA that issued the origin servers' and the client's certs
#   BURROW_TEST_TLS_PROXY_CA       the CA that issued the https:// proxies' certificate (another one)
#   BURROW_TEST_TLS_CLIENT_CERT / BURROW_TEST_TLS_CLIENT_KEY   the client certificate (mutual TLS)
#   BURROW_TEST_TLS_WSS_PORT       wss, certificate for localhost and 127.0.0.1
#   BURROW_TEST_TLS_WRONG_NAME_PORT  wss, certificate for wrong.example only
#   BURROW_TEST_TLS_EXPIRED_PORT   wss, expired certificate (else valid for localhost)
#   BURROW_TEST_TLS_UNTRUSTED_PORT wss, certificate for localhost from an issuer nobody trusts
#   BURROW_TEST_TLS_SELF_SIGNED_PORT wss, a self-signed certificate for localhost
#   BURROW_TEST_TLS_MTLS_PORT      wss, requires a client certificate issued by the CA
#   BURROW_TEST_TLS_PLAIN_WS_PORT  plain ws (no TLS)
#   BURROW_TEST_TLS_REFUSING_PROXY_PORT  answers CONNECT with "HTTP/1.0 500 handshakefailed"
#   BURROW_TEST_TLS_SNI_PROXY_PORT https:// CONNECT proxy (Python, certificate from the proxy CA)
#                                  whose 200 carries "X-Burrow-SNI: <the SNI it received>"
#   BURROW_TEST_TLS_SQUID_HTTP_PORT / _HTTP_AUTH_PORT / _HTTP_DENY_PORT     squid, plain HTTP
#   BURROW_TEST_TLS_SQUID_HTTPS_PORT / _HTTPS_AUTH_PORT / _HTTPS_DENY_PORT  squid, https_port
#   BURROW_TEST_LOG_DIR            configs and logs (removed afterwards)
# Credentials for the _AUTH ports: alice / s3cret. The _DENY ports answer every CONNECT with 403.
# Exit status: COMMAND's, or 1 when a server could not be started (with its log on stderr): a
# failure, never a silent skip.
#   BURROW_TEST_KEEP_LOGS=1 keeps the temp dir; BURROW_TEST_START_TIMEOUT (default 15 s).
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../../.." && pwd)
fixtures=$root/scripts/fixtures
make_certs=$fixtures/tls_certs.sh
# shellcheck source=scripts/fixtures/lib.sh
source "$fixtures/lib.sh"

if (($# < 2)) || [[ $1 != -- ]]; then
    sed -n '2,4p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
    exit 2
fi
shift
start_timeout=${BURROW_TEST_START_TIMEOUT:-15}

fixture_harness with_tls_servers.sh "burrow-tls-it"

# 1. certificates
certs=$tmp/certs
mkdir "$certs"
"$make_certs" "$certs" >"$tmp/make_certs.log" 2>&1 || fail "could not make the certificates" "$tmp/make_certs.log"
for f in ca.pem proxy-ca.pem server.pem server.key wrong-name.pem wrong-name.key expired.pem expired.key \
    untrusted.pem untrusted.key client.pem client.key proxy.pem proxy.key self-signed.pem self-signed.key; do
    [[ -s $certs/$f ]] || fail "$make_certs made no $f" "$tmp/make_certs.log"
done

# 2. the Python peers: they bind free ports themselves and write NAME=PORT lines when all listen
mkdir "$tmp/peers"
fixture_start "$tmp/peers/server.out" "$FIXTURE_PYTHON" "$fixtures/tls_peers.py" "$tmp/peers/ports" \
    "wss:good:$certs/server.pem:$certs/server.key" \
    "wss:wrong_name:$certs/wrong-name.pem:$certs/wrong-name.key" \
    "wss:expired:$certs/expired.pem:$certs/expired.key" \
    "wss:untrusted:$certs/untrusted.pem:$certs/untrusted.key" \
    "wss:self_signed:$certs/self-signed.pem:$certs/self-signed.key" \
    "mtls:mtls:$certs/server.pem:$certs/server.key:$certs/ca.pem" \
    "ws:plain" \
    "refuse:refuse" \
    "tlsproxy:sni_proxy:$certs/proxy.pem:$certs/proxy.key"
peers_pid=$FIXTURE_LAST_PID
for ((i = 0; i < start_timeout * 20; i++)); do
    [[ -s $tmp/peers/ports ]] && break
    kill -0 "$peers_pid" 2>/dev/null || break
    sleep 0.05
done
[[ -s $tmp/peers/ports ]] || fail "the Python TLS peers did not start" "$tmp/peers/server.out"
peer_port() { sed -n "s/^$1=//p" "$tmp/peers/ports"; }

# 3. squid with six named ports. A port taken before squid binds it: retry with new ports.
squid_names=(http http_auth http_deny https https_auth https_deny)
started=0
for attempt in 1 2 3; do
    dir=$tmp/squid/$attempt
    mkdir -p "$dir"
    cp "$certs/proxy.pem" "$certs/proxy.key" "$dir/" # squid reads them as its own user
    declare -A sport=()
    for n in "${squid_names[@]}"; do
        sport[$n]=$(fixture_free_port) || fail "no free port"
    done
    tls="tls-cert=$dir/proxy.pem tls-key=$dir/proxy.key"
    # the main port (squid.sh's PORT) is plain HTTP without credentials; the others are named
    SQUID_EXTRA_PORTS="http_port 127.0.0.1:${sport[http_auth]} name=http_auth
http_port 127.0.0.1:${sport[http_deny]} name=http_deny
https_port 127.0.0.1:${sport[https]} name=https $tls
https_port 127.0.0.1:${sport[https_auth]} name=https_auth $tls
https_port 127.0.0.1:${sport[https_deny]} name=https_deny $tls"
    SQUID_EXTRA_CONF="acl auth_ports myportname http_auth https_auth
acl deny_ports myportname http_deny https_deny
http_access deny deny_ports
http_access allow to_localhost_target !auth_ports"
    export SQUID_EXTRA_PORTS SQUID_EXTRA_CONF
    fixture_start "$dir/server.out" "$fixtures/squid.sh" "$dir" "${sport[http]}" basic
    squid_pid=$FIXTURE_LAST_PID
    FIXTURE_GRACE_MS[$squid_pid]=300 # TERM takes ~3 s; KILL is safe
    all=1
    for n in "${squid_names[@]}"; do
        fixture_wait_port "${sport[$n]}" "$start_timeout" "$squid_pid" 2>"$dir/wait.log" || { all=0; break; }
    done
    if ((all)); then
        started=1
        break
    fi
    if kill -0 "$squid_pid" 2>/dev/null; then
        fail "squid did not accept connections on all its ports within ${start_timeout}s" \
            "$dir/wait.log" "$dir/server.out" "$dir/cache.log"
    fi
    wait "$squid_pid" 2>/dev/null
    if ! grep -qi 'address already in use\|cannot bind\|EADDRINUSE' "$dir/server.out" "$dir"/*.log 2>/dev/null; then
        fail "squid exited before listening" "$dir/server.out" "$dir/cache.log"
    fi
    echo "with_tls_servers.sh: a port was taken; retrying with others" >&2
done
((started)) || fail "squid: no set of ports could be bound after 3 attempts" "$dir/server.out"
unset SQUID_EXTRA_PORTS SQUID_EXTRA_CONF

export BURROW_TEST_TLS_CA=$certs/ca.pem
export BURROW_TEST_TLS_PROXY_CA=$certs/proxy-ca.pem
export BURROW_TEST_TLS_CLIENT_CERT=$certs/client.pem
export BURROW_TEST_TLS_CLIENT_KEY=$certs/client.key
BURROW_TEST_TLS_WSS_PORT=$(peer_port good)
BURROW_TEST_TLS_WRONG_NAME_PORT=$(peer_port wrong_name)
BURROW_TEST_TLS_EXPIRED_PORT=$(peer_port expired)
BURROW_TEST_TLS_UNTRUSTED_PORT=$(peer_port untrusted)
BURROW_TEST_TLS_SELF_SIGNED_PORT=$(peer_port self_signed)
BURROW_TEST_TLS_MTLS_PORT=$(peer_port mtls)
BURROW_TEST_TLS_PLAIN_WS_PORT=$(peer_port plain)
BURROW_TEST_TLS_REFUSING_PROXY_PORT=$(peer_port refuse)
BURROW_TEST_TLS_SNI_PROXY_PORT=$(peer_port sni_proxy)
export BURROW_TEST_TLS_WSS_PORT BURROW_TEST_TLS_WRONG_NAME_PORT BURROW_TEST_TLS_EXPIRED_PORT \
    BURROW_TEST_TLS_UNTRUSTED_PORT BURROW_TEST_TLS_SELF_SIGNED_PORT BURROW_TEST_TLS_MTLS_PORT BURROW_TEST_TLS_PLAIN_WS_PORT \
    BURROW_TEST_TLS_REFUSING_PROXY_PORT BURROW_TEST_TLS_SNI_PROXY_PORT
export BURROW_TEST_TLS_SQUID_HTTP_PORT=${sport[http]}
export BURROW_TEST_TLS_SQUID_HTTP_AUTH_PORT=${sport[http_auth]}
export BURROW_TEST_TLS_SQUID_HTTP_DENY_PORT=${sport[http_deny]}
export BURROW_TEST_TLS_SQUID_HTTPS_PORT=${sport[https]}
export BURROW_TEST_TLS_SQUID_HTTPS_AUTH_PORT=${sport[https_auth]}
export BURROW_TEST_TLS_SQUID_HTTPS_DENY_PORT=${sport[https_deny]}
export BURROW_TEST_LOG_DIR=$tmp
echo "with_tls_servers.sh: peers $(tr '\n' ' ' <"$tmp/peers/ports"); squid ports:" \
    "$(for n in "${squid_names[@]}"; do printf '%s=%s ' "$n" "${sport[$n]}"; done); logs in $tmp"

# 4. the command, in the background so that a TERM from meson reaches the trap at once
"$@" &
cmd_pid=$!
wait "$cmd_pid"
status=$?
cmd_pid=

for pid_name in "$peers_pid:the Python TLS peers:$tmp/peers/server.out" "$squid_pid:squid:$dir/cache.log"; do
    IFS=: read -r pid name log <<<"$pid_name"
    if ! kill -0 "$pid" 2>/dev/null; then
        echo "with_tls_servers.sh: $name exited during the test" >&2
        tail -n 40 "$log" >&2
        ((status == 0)) && status=1
    fi
done
if ((status != 0)); then
    for f in "$tmp/peers/server.out" "$dir/server.out" "$dir/cache.log" "$dir/access.log"; do
        [[ -s $f ]] || continue
        echo "----- $f (last 20 lines) -----" >&2
        tail -n 20 "$f" >&2
    done
fi
exit "$status"
