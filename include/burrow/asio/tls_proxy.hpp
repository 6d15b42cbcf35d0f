// Tunnels through https:// proxies: TLS to the proxy itself, then HTTP CONNECT inside that session.
// Through the tunnel, a wss:// origin needs its own TLS session on top of this one:
//
//   auto ctx = burrow::make_client_context(proxy_tls);           // the proxy's trust settings
//   ssl::stream<tcp::socket> to_proxy(executor, *ctx.context);
//   auto tunnel = co_await burrow::co_connect_via_proxy(to_proxy, proxy, host, port, options, proxy_tls);
//   ssl::stream<ssl::stream<tcp::socket>> to_origin(std::move(to_proxy), *origin_ctx.context);
//   auto tls = co_await burrow::co_tls_handshake(to_origin, host, origin_tls);   // TLS inside TLS
//
// (The tunnel's leftover bytes are empty for a CONNECT over TLS in practice: an origin speaks only
// after our ClientHello. A non-empty leftover with a TLS origin is a proxy bug and should fail.)
#pragma once

#include <burrow/asio/connect_via_proxy.hpp>
#include <burrow/asio/tls.hpp>

#include <boost/asio/ip/tcp.hpp>

namespace burrow {

namespace detail {
boost::asio::awaitable<tunnel_result>
co_connect_via_tls_proxy_impl(boost::asio::ssl::stream<boost::asio::ip::tcp::socket>& stream, proxy::proxy_url proxy,
                              std::string host, std::uint16_t port, proxy_connect_options options,
                              tls_options proxy_tls);
} // namespace detail

/// co_connect_via_proxy for every proxy scheme, with TLS to https:// proxies. `stream` must be a
/// fresh (unconnected) ssl::stream built from a client context that follows `proxy_tls` (see
/// make_client_context); its TCP socket is connected to the proxy, then for https:// a TLS
/// handshake with the proxy's host name (SNI and verification per `proxy_tls`, tls_peer::proxy),
/// then the CONNECT goes through the TLS session. For http:// and socks5[h]:// proxies the TLS
/// layer is not used: the tunnel is the TCP socket `stream.next_layer()`.
///
/// Errors: those of co_connect_via_proxy, plus phase tls_to_proxy with a tls_* error (the proxy's
/// certificate, or tls_not_tls "the proxy speaks plain HTTP: use http://"), details in
/// tunnel_result::tls. A refusal of the CONNECT over TLS is a proxy error (proxy_refused with the
/// proxy's status line), never a TLS error. When a 407 closes the connection, a new TCP connection
/// and TLS session replace the old ones in `stream` (same context). Timeouts as for
/// co_connect_via_proxy; the TLS handshake also counts against proxy_tls.handshake_timeout.
inline boost::asio::awaitable<tunnel_result>
co_connect_via_proxy(boost::asio::ssl::stream<boost::asio::ip::tcp::socket>& stream, const proxy::proxy_url& proxy,
                     std::string_view host, std::uint16_t port, const proxy_connect_options& options,
                     const tls_options& proxy_tls) {
    return detail::co_connect_via_tls_proxy_impl(stream, proxy, std::string(host), port, options, proxy_tls);
}

} // namespace burrow
