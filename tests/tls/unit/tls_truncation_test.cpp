// A TLS peer that drops the TCP connection without a close_notify (proxies, load balancers and
// crashed servers do): Asio reports "stream truncated", and burrow must treat it as the peer going
// away, like EOF on a plain socket, not as an unexplained TLS error.
#include <burrow/asio/handshake.hpp>
#include <burrow/asio/stream.hpp>
#include <burrow/asio/tls.hpp>

#include "asio_run.hpp"
#include "tls_peers.hpp"

#include <boost/asio/experimental/awaitable_operators.hpp>

#include <gtest/gtest.h>

using namespace burrow;
using namespace burrow::test;
using namespace std::chrono_literals;
using namespace boost::asio::experimental::awaitable_operators;
namespace asio = boost::asio;

namespace {

const handshake_options default_handshake{};

// The server side: TLS handshake, then (optionally) the WebSocket upgrade, then the TCP socket is
// closed under the TLS session, with no close_notify.
asio::awaitable<void> accept_then_drop(tcp::acceptor& a, ssl::context& ctx, bool upgrade) {
    ssl::stream<tcp::socket> s(co_await a.async_accept(asio::use_awaitable), ctx);
    auto tls = co_await co_tls_accept(s);
    EXPECT_FALSE(tls.ec) << tls.message();
    if (upgrade) {
        auto accepted = co_await co_accept(s);
        EXPECT_FALSE(accepted.ec);
    } else {
        (void)co_await tls_read_head(s);  // the upgrade request, left unanswered
    }
    s.next_layer().close();
}

asio::awaitable<ssl::stream<tcp::socket>*> tls_client(ssl::stream<tcp::socket>& s, std::uint16_t port) {
    s.next_layer() = co_await tls_connect_local(port);
    const tls_options options = tls_client_options();
    auto tls = co_await co_tls_handshake(s, "localhost", options);
    EXPECT_FALSE(tls.ec) << tls.message();
    co_return &s;
}

} // namespace

TEST(tls_truncation, a_server_dropping_tcp_before_the_101_is_connection_lost) {
    run([&](asio::io_context& io) -> asio::awaitable<void> {
        auto server_ctx = tls_context_or_throw(make_server_context(tls_server_options("server")));
        auto client_ctx = tls_context_or_throw(make_client_context(tls_client_options()));
        auto acceptor = tls_listen(io);
        ssl::stream<tcp::socket> s(io, client_ctx);
        auto client = [&]() -> asio::awaitable<handshake_result> {
            co_await tls_client(s, tls_port(acceptor));
            const auto url = *ws::parse_ws_url("wss://localhost/");
            co_return co_await co_handshake(s, url, default_handshake);
        };
        // (`&&` of a value and a void awaitable yields the value alone)
        const handshake_result hs = co_await (client() && accept_then_drop(acceptor, server_ctx, false));
        EXPECT_EQ(hs.ec, error::connection_lost) << hs.message();
    }, 20s);
}

TEST(tls_truncation, an_open_wss_connection_dropped_without_close_notify_is_connection_lost) {
    run([&](asio::io_context& io) -> asio::awaitable<void> {
        auto server_ctx = tls_context_or_throw(make_server_context(tls_server_options("server")));
        auto client_ctx = tls_context_or_throw(make_client_context(tls_client_options()));
        auto acceptor = tls_listen(io);
        ssl::stream<tcp::socket> s(io, client_ctx);
        auto client = [&]() -> asio::awaitable<boost::system::error_code> {
            co_await tls_client(s, tls_port(acceptor));
            const auto url = *ws::parse_ws_url("wss://localhost/");
            auto hs = co_await co_handshake(s, url, default_handshake);
            EXPECT_FALSE(hs.ec) << hs.message();
            websocket::stream<ssl::stream<tcp::socket>> ws(std::move(s), ws::role::client, {}, hs.leftover);
            std::string message;
            auto r = co_await ws.co_read(message);
            co_return r ? boost::system::error_code{} : r.error();
        };
        const boost::system::error_code ec = co_await (client() && accept_then_drop(acceptor, server_ctx, true));
        EXPECT_EQ(ec, error::connection_lost) << ec.message();
    }, 20s);
}
