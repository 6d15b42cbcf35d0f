// WebSocket over TLS: websocket::stream<ssl::stream<tcp::socket>> with co_handshake/co_accept, and
// the TLS end of a connection (detail/teardown.hpp): close_notify sent, the peer's answer drained,
// bounded when the peer never closes.
#include <burrow/asio/detail/teardown.hpp>
#include <burrow/asio/handshake.hpp>
#include <burrow/asio/stream.hpp>
#include <burrow/asio/tls.hpp>

#include "asio_run.hpp"
#include "tls_peers.hpp"

#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/ssl/error.hpp>

#include <gtest/gtest.h>

using namespace burrow;
using namespace burrow::test;
using namespace std::chrono_literals;
using namespace boost::asio::experimental::awaitable_operators;
namespace asio = boost::asio;

namespace {

const handshake_options default_handshake{};

// A TLS client stream connected and handshaken with 127.0.0.1:port as `host`.
asio::awaitable<tls_result> tls_client(ssl::stream<tcp::socket>& s, std::uint16_t port, std::string host,
                                       tls_options options) {
    s.next_layer() = co_await tls_connect_local(port);
    co_return co_await co_tls_handshake(s, host, options);
}

} // namespace

TEST(wss, echo_and_a_clean_close_over_tls) {
    run([&](asio::io_context& io) -> asio::awaitable<void> {
        auto server_ctx = tls_context_or_throw(make_server_context(tls_server_options("server")));
        const tls_options client_options = tls_client_options();
        auto client_ctx = tls_context_or_throw(make_client_context(client_options));
        auto acceptor = tls_listen(io);
        tls_result server_seen;
        auto client = [&]() -> asio::awaitable<void> {
            ssl::stream<tcp::socket> s(io, client_ctx);
            auto tls = co_await tls_client(s, tls_port(acceptor), "localhost", client_options);
            EXPECT_FALSE(tls.ec) << tls.message();
            const auto url = *ws::parse_ws_url("wss://localhost/echo");
            auto hs = co_await co_handshake(s, url, default_handshake);
            EXPECT_FALSE(hs.ec) << hs.message();
            websocket::stream<ssl::stream<tcp::socket>> ws(std::move(s), ws::role::client, {}, hs.leftover);
            std::string big(100000, 'x');  // several TLS records each way
            for (const std::string& m : {std::string("hello over TLS"), big}) {
                EXPECT_FALSE(co_await ws.co_write_text(m));
                std::string back;
                auto r = co_await ws.co_read(back);
                EXPECT_TRUE(r) << r.error().message();
                EXPECT_EQ(back, m);
            }
            const auto before = std::chrono::steady_clock::now();
            auto closed = co_await ws.co_close();
            EXPECT_FALSE(closed) << closed.message();
            EXPECT_LT(std::chrono::steady_clock::now() - before, 1s);  // close_notify exchanged, no timeout
            EXPECT_FALSE(ws.next_layer().next_layer().is_open());
        };
        const auto start = std::chrono::steady_clock::now();
        co_await (client() && tls_wss_echo_once(acceptor, server_ctx, server_seen));
        EXPECT_LT(std::chrono::steady_clock::now() - start, 4s);  // the server's end took no close_timeout
        EXPECT_FALSE(server_seen.ec) << server_seen.message();
    }, 20s);
}

TEST(tls_teardown, half_close_sends_close_notify_and_waits_only_for_the_peer_to_close) {
    run([&](asio::io_context& io) -> asio::awaitable<void> {
        auto server_ctx = tls_context_or_throw(make_server_context(tls_server_options("server")));
        const tls_options client_options = tls_client_options();
        auto client_ctx = tls_context_or_throw(make_client_context(client_options));
        auto acceptor = tls_listen(io);
        ssl::stream<tcp::socket> client(io, client_ctx);
        ssl::stream<tcp::socket> server(io, server_ctx);
        auto accept = [&]() -> asio::awaitable<tls_result> {
            server.next_layer() = co_await acceptor.async_accept(asio::use_awaitable);
            co_return co_await co_tls_accept(server);
        };
        auto [c, s] = co_await (tls_client(client, tls_port(acceptor), "localhost", client_options) && accept());
        EXPECT_FALSE(c.ec) << c.message();
        EXPECT_FALSE(s.ec) << s.message();

        // The client ends its side while the server reads: the server sees a clean end
        // (close_notify: eof, not a truncation), answers with its own close_notify and FIN, and
        // the client's half close, which waits for that, completes at once.
        boost::system::error_code server_read;
        auto server_side = [&]() -> asio::awaitable<void> {
            std::array<char, 64> buf;
            auto [ec, n] = co_await server.async_read_some(asio::buffer(buf), asio::as_tuple(asio::use_awaitable));
            server_read = ec;
            co_await burrow::detail::co_half_close(server);
        };
        const auto before = std::chrono::steady_clock::now();
        co_await (burrow::detail::co_half_close(client) && server_side());
        EXPECT_LT(std::chrono::steady_clock::now() - before, 1s);
        EXPECT_EQ(server_read, asio::error::eof) << server_read.message();
        burrow::detail::close_now(client);
        burrow::detail::close_now(server);
        EXPECT_FALSE(client.next_layer().is_open());
    });
}

TEST(tls_teardown, half_close_is_bounded_when_the_peer_never_closes) {
    run([&](asio::io_context& io) -> asio::awaitable<void> {
        auto server_ctx = tls_context_or_throw(make_server_context(tls_server_options("server")));
        const tls_options client_options = tls_client_options();
        auto client_ctx = tls_context_or_throw(make_client_context(client_options));
        auto acceptor = tls_listen(io);
        ssl::stream<tcp::socket> client(io, client_ctx);
        ssl::stream<tcp::socket> server(io, server_ctx);
        auto accept = [&]() -> asio::awaitable<tls_result> {
            server.next_layer() = co_await acceptor.async_accept(asio::use_awaitable);
            co_return co_await co_tls_accept(server);
        };
        auto [c, s] = co_await (tls_client(client, tls_port(acceptor), "localhost", client_options) && accept());
        EXPECT_FALSE(c.ec) << c.message();
        EXPECT_FALSE(s.ec) << s.message();
        const auto before = std::chrono::steady_clock::now();
        co_await burrow::detail::co_half_close(client);  // the server never reads nor closes
        const auto took = std::chrono::steady_clock::now() - before;
        EXPECT_GE(took, burrow::detail::tls_close_bound - 100ms);
        EXPECT_LT(took, burrow::detail::tls_close_bound + 1s);
    }, 10s);
}
