// In-process TLS peers for the TLS tests, all on 127.0.0.1: option presets for the certificates of
// tls_certs.hpp, a listener, a byte relay, a wss echo server and a CONNECT proxy over any stream.
#pragma once

#include <burrow/asio/detail/teardown.hpp>
#include <burrow/asio/handshake.hpp>
#include <burrow/asio/stream.hpp>
#include <burrow/asio/tls.hpp>

#include "tls_certs.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <array>
#include <functional>
#include <string>

namespace burrow::test {

namespace tls_asio = boost::asio;
namespace ssl = boost::asio::ssl;
using tcp = boost::asio::ip::tcp;

/// Server settings with the certificate NAME (NAME.pem, NAME.key) of tls_certs.sh.
inline tls_options tls_server_options(std::string_view name) {
    tls_options o;
    o.cert_file = tls_file(name);
    o.key_file = tls_file(std::string(name) + ".key");
    o.use_system_ca = false;
    o.ca_file = tls_file("ca");
    return o;
}

/// Client settings trusting only the CA `ca` (the test CA by default).
inline tls_options tls_client_options(std::string_view ca = "ca") {
    tls_options o;
    o.use_system_ca = false;
    o.ca_file = tls_file(ca);
    return o;
}

inline ssl::context tls_context_or_throw(tls_context_result r) {
    if (!r)
        throw std::runtime_error(r.message());
    return std::move(*r.context);
}

/// A listener on 127.0.0.1, any free port.
inline tcp::acceptor tls_listen(tls_asio::io_context& io) {
    return tcp::acceptor(io, tcp::endpoint(tls_asio::ip::make_address("127.0.0.1"), 0));
}

inline std::uint16_t tls_port(const tcp::acceptor& a) { return a.local_endpoint().port(); }

/// A TCP connection to 127.0.0.1:port (an error is a test failure: thrown).
inline tls_asio::awaitable<tcp::socket> tls_connect_local(std::uint16_t port) {
    tcp::socket s(co_await tls_asio::this_coro::executor);
    co_await s.async_connect(tcp::endpoint(tls_asio::ip::make_address("127.0.0.1"), port), tls_asio::use_awaitable);
    co_return s;
}

/// Copies bytes from `from` to `to` until `from` ends, then ends writing to `to` the way a stream
/// ends (close_notify, FIN): one direction of a proxy's tunnel. (Not co_half_close: its lingering
/// read would compete with the other direction's read of the same socket, which Asio does not
/// support.)
template <class From, class To>
tls_asio::awaitable<void> tls_relay(From& from, To& to) {
    std::array<char, 16384> buf;
    for (;;) {
        auto [ec, n] = co_await from.async_read_some(tls_asio::buffer(buf), tls_asio::as_tuple(tls_asio::use_awaitable));
        if (ec)
            break;
        auto [wec, w] = co_await tls_asio::async_write(to, tls_asio::buffer(buf.data(), n),
                                                       tls_asio::as_tuple(tls_asio::use_awaitable));
        if (wec)
            break;
    }
    co_await detail::co_end_writing(to);
}

/// Both directions between two streams, until both ended.
template <class A, class B>
tls_asio::awaitable<void> tls_relay_both(A& a, B& b) {
    using namespace tls_asio::experimental::awaitable_operators;
    co_await (tls_relay(a, b) && tls_relay(b, a));
}

/// Reads an HTTP head (up to the blank line) from `s`; empty on failure.
template <class Stream>
tls_asio::awaitable<std::string> tls_read_head(Stream& s) {
    tls_asio::streambuf in;
    auto [ec, n] = co_await tls_asio::async_read_until(s, in, "\r\n\r\n", tls_asio::as_tuple(tls_asio::use_awaitable));
    if (ec)
        co_return std::string();
    co_return std::string(tls_asio::buffers_begin(in.data()),
                          tls_asio::buffers_begin(in.data()) + static_cast<std::ptrdiff_t>(n));
}

/// The WebSocket part of an echo server over an established stream: upgrade, then echo every
/// message until the connection ends.
template <class Stream>
tls_asio::awaitable<void> tls_ws_echo(Stream s) {
    const accept_options options;
    auto accepted = co_await co_accept(s, options);
    if (!accepted)
        co_return;
    websocket::stream<Stream> ws(std::move(s), ws::role::server, {}, accepted.leftover);
    std::string message;
    for (;;) {
        auto r = co_await ws.co_read(message);
        if (!r)
            co_return;
        if (co_await ws.co_write_text(message))
            co_return;
    }
}

/// Accepts one TCP connection on `a`, does the TLS server handshake with `ctx`, reports the
/// result through `seen`, and echoes WebSocket messages.
inline tls_asio::awaitable<void> tls_wss_echo_once(tcp::acceptor& a, ssl::context& ctx, tls_result& seen) {
    auto sock = co_await a.async_accept(tls_asio::use_awaitable);
    ssl::stream<tcp::socket> s(std::move(sock), ctx);
    seen = co_await co_tls_accept(s);
    if (!seen)
        co_return;
    co_await tls_ws_echo(std::move(s));
}

/// A CONNECT proxy over one accepted stream `client`: reads the request, keeps it in `request`,
/// answers `reply`; when that is a 200, connects to the request's port on 127.0.0.1 and relays.
template <class Stream>
tls_asio::awaitable<void> tls_connect_proxy(Stream& client, std::string reply, std::string& request) {
    request = co_await tls_read_head(client);
    if (request.empty())
        co_return;
    co_await tls_asio::async_write(client, tls_asio::buffer(reply), tls_asio::as_tuple(tls_asio::use_awaitable));
    if (reply.rfind("HTTP/1.1 200", 0) != 0) {
        co_await detail::co_half_close(client);
        co_return;
    }
    // "CONNECT host:port HTTP/1.1"
    const auto colon = request.rfind(':', request.find(" HTTP/"));
    const auto port = static_cast<std::uint16_t>(std::stoi(request.substr(colon + 1)));
    auto upstream = co_await tls_connect_local(port);
    co_await tls_relay_both(client, upstream);
}

} // namespace burrow::test
