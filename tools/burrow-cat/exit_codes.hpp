// burrow-cat's exit status: one code per failure phase, so scripts can tell a proxy that wants
// credentials (8) from a server that refused the upgrade (10) without parsing messages.
#pragma once

#include <burrow/asio/connect.hpp>

#include <string>

namespace burrow::tools {

enum exit_code : int {
    exit_ok = 0,                ///< the connection ended with a close handshake (or --explain-proxy)
    exit_failure = 1,           ///< anything not listed below (e.g. stdout closed)
    exit_usage = 2,             ///< bad command line
    exit_url = 3,               ///< phases url and proxy_selection: the URL or the proxy setting is unusable
    exit_resolve = 4,           ///< phase resolve
    exit_tcp_connect = 5,       ///< phase tcp_connect
    exit_proxy_tls = 6,         ///< phase proxy_tls
    exit_proxy_connect = 7,     ///< phase proxy_connect: the proxy refused or failed the tunnel
    exit_proxy_auth = 8,        ///< phase proxy_auth: credentials missing or rejected
    exit_tls = 9,               ///< phase tls
    exit_handshake = 10,        ///< phase handshake: the upgrade was refused or malformed
    exit_connection_lost = 11,  ///< after the upgrade: lost, protocol error, ping/idle timeout
    exit_closed_abnormally = 12,  ///< the peer closed with a code other than 1000/1001
};

inline int exit_code_for(connect_phase phase) {
    switch (phase) {
    case connect_phase::url:
    case connect_phase::proxy_selection: return exit_url;
    case connect_phase::resolve: return exit_resolve;
    case connect_phase::tcp_connect: return exit_tcp_connect;
    case connect_phase::proxy_tls: return exit_proxy_tls;
    case connect_phase::proxy_connect: return exit_proxy_connect;
    case connect_phase::proxy_auth: return exit_proxy_auth;
    case connect_phase::tls: return exit_tls;
    case connect_phase::handshake: return exit_handshake;
    case connect_phase::open: return exit_connection_lost;
    }
    return exit_failure;
}

/// The table printed at the end of --help.
inline std::string exit_code_help() {
    return "Exit status:\n"
           "   0  the connection ended with a close handshake (or --explain-proxy found a usable setting)\n"
           "   1  another failure\n"
           "   2  bad command line\n"
           "   3  the URL or the proxy setting is unusable (phases url, proxy_selection)\n"
           "   4  the host name did not resolve (resolve)\n"
           "   5  the TCP connection failed (tcp_connect)\n"
           "   6  TLS with the https:// proxy failed (proxy_tls)\n"
           "   7  the proxy refused or failed the tunnel (proxy_connect)\n"
           "   8  the proxy wants credentials, or rejected them (proxy_auth)\n"
           "   9  TLS with the server failed (tls)\n"
           "  10  the WebSocket upgrade was refused or malformed (handshake)\n"
           "  11  the open connection failed (lost, protocol error, ping or idle timeout)\n"
           "  12  the peer closed with a code other than 1000 or 1001\n";
}

} // namespace burrow::tools
