# shellcheck shell=bash
# The Debian 12 packages the interoperability tests (tests/interop, scripts/fixtures/ws_peers)
# need. Source it; it defines an array only and runs nothing. Keep one package per line.
#
# Node and npm are not in this list: the Node peers use the node and npm on PATH (do not install
# Debian's nodejs for them) and install ws@8 from the npm registry into
# ~/.cache/burrow-node-ws on first use (scripts/fixtures/ws_peers/node_ws.sh).
# shellcheck disable=SC2034  # used by the scripts that source this file
BURROW_INTEROP_PACKAGES=(
    python3            # /usr/bin/python3 runs the Python peers (not a pyenv python on PATH)
    python3-websockets # the Python WebSocket peers (10.4): client and server suites, references
    coreutils          # timeout
    util-linux         # setsid, flock
)
