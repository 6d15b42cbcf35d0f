# shellcheck shell=bash
# The Debian 12 packages the proxy integration tests (tests/integration, scripts/fixtures) need.
# Source it; it defines an array only and runs nothing. Keep one package per line.
#
# Node (>= 20) and npm are not in this list: the proxy-chain fixture uses the node and npm on PATH
# (Debian 12's nodejs is 18, too old for proxy-chain 3) and installs proxy-chain@3.0.1 from the npm
# registry into ~/.cache/burrow-node on first use.
# shellcheck disable=SC2034  # used by the scripts that source this file
BURROW_INTEGRATION_PACKAGES=(
    squid              # squid_{none,basic,digest}, and http_port + https_port for the TLS tests
    tinyproxy          # tinyproxy_{none,basic}
    apache2            # apache_{none,basic,digest}: mod_proxy + mod_proxy_connect
    apache2-utils      # htpasswd for the squid and apache Basic password files
    dante-server       # dante_none (SOCKS5)
    microsocks         # microsocks_{none,auth} (SOCKS5, username/password)
    python3            # scripts/fixtures/echo_server.py (standard library only)
    python3-websockets # scripts/fixtures/tls_peers.py: the wss/ws peers of tests/tls/integration
    curl
    openssl            # scripts/fixtures/tls_certs.sh: test certificates made at test time
    util-linux         # setsid, flock, runuser
)
