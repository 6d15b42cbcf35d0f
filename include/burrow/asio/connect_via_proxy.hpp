// Opening a tunnel through a proxy: HTTP CONNECT (with Basic and Digest authentication) or SOCKS5,
// as coroutines over Asio streams. The protocol decisions live in the sans-I/O core
// (proxy::connect_exchange, proxy::socks5_client); these coroutines only move bytes and time.
//
// Two levels:
//   - co_connect_via_proxy(socket, proxy, host, port, options): the whole job over TCP: resolve
//     the proxy, connect (each address in turn), CONNECT or SOCKS5, reconnect when a 407 closes
//     the connection, with per-phase timeouts and an overall deadline;
//   - co_http_connect / co_socks5_connect: the exchange alone over any connected stream (a TCP
//     socket, a TLS stream to an https:// proxy), for callers that build their own layers.
//
// Errors are values (tunnel_result::ec, burrow's error category), never exceptions: every failure
// names its phase and keeps what the proxy said (status line, Via, Server, Proxy-Authenticate,
// the start of the body) in `diagnostics`.
#pragma once

#include <burrow/config.hpp>
#include <burrow/error.hpp>
#include <burrow/proxy/connect_exchange.hpp>
#include <burrow/proxy/proxy_url.hpp>
#include <burrow/proxy/socks5.hpp>
#include <burrow/tls/result.hpp>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace burrow {

/// Which way a traced head went.
enum class trace_direction : std::uint8_t { to_proxy, from_proxy };

/// Receives each head exchanged with the proxy, credentials already redacted.
using proxy_trace_hook = std::function<void(trace_direction, std::string_view head)>;

/// The step a tunnel failed in.
enum class proxy_phase : std::uint8_t {
    resolve_proxy,         ///< looking up the proxy's address
    connect_to_proxy,      ///< TCP connection to the proxy
    tls_to_proxy,          ///< https:// proxies: the TLS handshake with the proxy (see tunnel_result::tls)
    proxy_connect,         ///< the CONNECT request and its reply
    proxy_authentication,  ///< a 407 the credentials could not satisfy
    socks,                 ///< the SOCKS5 exchange
    resolve_target,        ///< socks5://: resolving the target locally
    tunnel_open,           ///< no failure
};

/// A short name for the phase ("proxy CONNECT", "connect to proxy", ...).
std::string_view to_string(proxy_phase phase) noexcept;

struct proxy_connect_options {
    /// Credentials for the proxy; when unset, those in the proxy URL (percent-decoded) are used.
    std::optional<proxy::credentials> credentials;
    /// Send Basic credentials with the first CONNECT, before any 407 (saves a round trip).
    bool preemptive_basic = false;
    std::string user_agent = "burrow/0.1";
    /// Extra headers sent with every CONNECT.
    proxy::header_list headers;
    /// Extra headers computed for each CONNECT request (round 1, 2, ...), after `headers`.
    std::function<proxy::header_list(unsigned round)> headers_for_round;
    /// Each TCP connection attempt to the proxy.
    std::chrono::steady_clock::duration connect_timeout = std::chrono::seconds(10);
    /// Each CONNECT round or the SOCKS5 exchange: a proxy that accepts and never answers.
    std::chrono::steady_clock::duration exchange_timeout = std::chrono::seconds(15);
    /// The whole call. (Asio 1.81 cannot cancel a name lookup in progress: a resolver that hangs
    /// delays the end of the call until the system's own DNS timeout.)
    std::chrono::steady_clock::duration total_timeout = std::chrono::seconds(30);
    /// The largest reply head accepted (16 KiB).
    http::head_limits limits;
    /// CONNECT requests sent at most (authentication rounds and reconnections).
    unsigned max_rounds = 5;
    /// Sees every head sent and received, with credentials redacted.
    proxy_trace_hook trace;
};

struct tunnel_result {
    boost::system::error_code ec;           ///< burrow::error, or an I/O error of the stream
    boost::system::error_code cause;        ///< the system error behind ec, e.g. connection refused
    proxy_phase phase = proxy_phase::tunnel_open;
    std::string leftover;                   ///< bytes read past the proxy's reply: the tunnel's first
    proxy::proxy_diagnostics diagnostics;   ///< what the proxy said
    std::string proxy;                      ///< the proxy, credentials redacted ("http://u:***@h:3128")
    /// https:// proxies: the TLS session with the proxy (on failure in phase tls_to_proxy, ec is
    /// tls.ec; on success its version, cipher and the proxy's certificate).
    tls_result tls;

    explicit operator bool() const noexcept { return !ec; }

    /// One paragraph for a person: what failed, in which phase, what the proxy said, and a hint.
    std::string message() const;
};

/// Connects `socket` to `proxy` (resolving its name) and opens a tunnel to `host`:`port` with
/// HTTP CONNECT (http:// proxies) or SOCKS5 (socks5:// resolves `host` here, socks5h:// lets the
/// proxy resolve it). On success the socket is the tunnel; `leftover` holds any tunnel bytes that
/// arrived with the proxy's reply and must be given to the next layer before reading the socket.
/// https:// proxies need TLS to the proxy, which this overload cannot do: the result is
/// proxy_unsupported_scheme. Use the overload over an ssl::stream in burrow/asio/tls_proxy.hpp.
///
/// Timeouts: options.connect_timeout per TCP attempt, options.exchange_timeout per CONNECT round
/// or SOCKS5 exchange, options.total_timeout for the whole call; each ends with proxy_timeout and
/// the socket closed. Per-operation cancellation: terminal cancellation of the awaiting coroutine
/// closes the socket and completes with operation_aborted. The socket must not be used by anything
/// else until this completes. The arguments are copied: the awaitable may be awaited after they are
/// gone.
namespace detail {
boost::asio::awaitable<tunnel_result> co_connect_via_proxy_impl(boost::asio::ip::tcp::socket& socket,
                                                                proxy::proxy_url proxy, std::string host,
                                                                std::uint16_t port, proxy_connect_options options);
} // namespace detail

// Plain functions taking class-type arguments by const reference and copying them into the
// coroutine: GCC 12.2 destroys twice a by-value argument initialised by an implicit conversion or
// `{}` inside a co_await expression. This way every call form is safe, and the arguments need not
// outlive the call.
inline boost::asio::awaitable<tunnel_result> co_connect_via_proxy(boost::asio::ip::tcp::socket& socket,
                                                                  const proxy::proxy_url& proxy, std::string_view host,
                                                                  std::uint16_t port,
                                                                  const proxy_connect_options& options) {
    return detail::co_connect_via_proxy_impl(socket, proxy, std::string(host), port, options);
}

/// The same with default options.
inline boost::asio::awaitable<tunnel_result> co_connect_via_proxy(boost::asio::ip::tcp::socket& socket,
                                                                  const proxy::proxy_url& proxy, std::string_view host,
                                                                  std::uint16_t port) {
    return detail::co_connect_via_proxy_impl(socket, proxy, std::string(host), port, proxy_connect_options{});
}

/// The authority form of host and port for CONNECT: "host:port", IPv6 literals in brackets.
std::string connect_authority(std::string_view host, std::uint16_t port);

} // namespace burrow

#include <burrow/asio/impl/connect_via_proxy.hpp>
