// examples/common/connect_proxy_server.hpp and echo_service.hpp in-process: a WebSocket echo
// through the proxy with burrow's own client (co_connect_via_proxy + co_handshake), the 407 rounds,
// the connection limit, the idle timeout, and the refusals (405, 400, 502).
#include "../../examples/common/connect_proxy_server.hpp"
#include "../../examples/common/echo_service.hpp"

#include <burrow/asio/connect_via_proxy.hpp>
#include <burrow/asio/handshake.hpp>
#include <burrow/asio/stream.hpp>

#include "asio_run.hpp"

#include <boost/asio/read.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/streambuf.hpp>

#include <gtest/gtest.h>

namespace asio = boost::asio;
using asio::ip::tcp;
using burrow::examples::connect_proxy_options;
using burrow::examples::connect_proxy_server;
using namespace std::chrono_literals;

namespace {

burrow::proxy::proxy_url proxy_url_of(const connect_proxy_server& proxy, std::string_view userinfo = {}) {
    std::string text = "http://";
    if (!userinfo.empty())
        text += std::string(userinfo) + "@";
    text += "127.0.0.1:" + std::to_string(proxy.port());
    return burrow::proxy::parse_proxy_url(text).value();
}

// A raw request to the proxy; returns everything it sends until it closes (bounded by 3 s).
asio::awaitable<std::string> raw_exchange(std::uint16_t port, std::string request, bool read_to_end = true) {
    tcp::socket socket(co_await asio::this_coro::executor);
    const tcp::endpoint endpoint(asio::ip::make_address("127.0.0.1"), port);
    co_await socket.async_connect(endpoint, asio::use_awaitable);
    co_await asio::async_write(socket, asio::buffer(request), asio::use_awaitable);
    std::string reply;
    if (read_to_end) {
        auto [ec, n] = co_await asio::async_read(socket, asio::dynamic_buffer(reply), asio::as_tuple(asio::use_awaitable));
        (void)ec;
        (void)n;
    } else {
        auto [ec, n] = co_await asio::async_read_until(socket, asio::dynamic_buffer(reply), "\r\n\r\n",
                                                       asio::as_tuple(asio::use_awaitable));
        (void)ec;
        (void)n;
    }
    co_return reply;
}

TEST(ConnectProxyServer, EchoesAWebSocketMessageThroughTheTunnelWithBasicAuth) {
    burrow::test::run([](asio::io_context& io) -> asio::awaitable<void> {
        burrow::examples::echo_server echo(io.get_executor(), {});
        echo.start();
        connect_proxy_options options;
        options.basic = burrow::proxy::credentials{"alice", "s3cret"};
        connect_proxy_server proxy(io.get_executor(), options);
        proxy.start();

        tcp::socket socket(io);
        const auto url = proxy_url_of(proxy, "alice:s3cret");
        auto tunnel = co_await burrow::co_connect_via_proxy(socket, url, "127.0.0.1", echo.port());
        EXPECT_TRUE(tunnel) << tunnel.message();
        EXPECT_EQ(tunnel.diagnostics.rounds, 2u);  // the 407, then the answer on the same connection
        EXPECT_EQ(proxy.stats().auth_challenges, 1u);

        const auto ws_url = burrow::ws::parse_ws_url(echo.url()).value();
        const std::vector<std::byte> leftover;
        const burrow::handshake_options handshake;
        auto upgraded = co_await burrow::co_handshake(socket, ws_url, handshake, leftover);
        EXPECT_TRUE(upgraded) << upgraded.message();
        burrow::websocket::stream<tcp::socket> ws(std::move(socket), burrow::ws::role::client, {}, upgraded.leftover);
        EXPECT_FALSE(co_await ws.co_write_text("test message"));
        std::string reply;
        auto info = co_await ws.co_read(reply);
        EXPECT_TRUE(info);
        EXPECT_EQ(reply, "test message");
        EXPECT_FALSE(co_await ws.co_close());
        EXPECT_EQ(proxy.stats().tunnels, 1u);
        EXPECT_GT(proxy.stats().relayed_bytes, 20u);
    });
}

TEST(ConnectProxyServer, AnswersFourOhSevenWithABasicChallengeWithoutCredentials) {
    burrow::test::run([](asio::io_context& io) -> asio::awaitable<void> {
        connect_proxy_options options;
        options.basic = burrow::proxy::credentials{"alice", "s3cret"};
        options.realm = "test realm";
        connect_proxy_server proxy(io.get_executor(), options);
        proxy.start();

        tcp::socket socket(io);
        const auto url = proxy_url_of(proxy);
        auto tunnel = co_await burrow::co_connect_via_proxy(socket, url, "127.0.0.1", 9);
        EXPECT_EQ(tunnel.ec, burrow::error::proxy_auth_required);
        EXPECT_EQ(tunnel.diagnostics.status, 407u);
        EXPECT_EQ(tunnel.diagnostics.proxy_authenticate, "Basic realm=\"test realm\"");

        // Wrong credentials: the proxy answers 407 again, and burrow gives up.
        tcp::socket second(io);
        const auto wrong = proxy_url_of(proxy, "alice:wrong");
        auto refused = co_await burrow::co_connect_via_proxy(second, wrong, "127.0.0.1", 9);
        EXPECT_EQ(refused.ec, burrow::error::proxy_auth_failed);
        EXPECT_EQ(proxy.stats().tunnels, 0u);
    });
}

TEST(ConnectProxyServer, RefusesConnectionsOverTheLimitWith503) {
    burrow::test::run([](asio::io_context& io) -> asio::awaitable<void> {
        burrow::examples::echo_server echo(io.get_executor(), {});
        echo.start();
        connect_proxy_options options;
        options.max_connections = 2;
        connect_proxy_server proxy(io.get_executor(), options);
        proxy.start();

        const auto url = proxy_url_of(proxy);
        tcp::socket first(io), second(io), third(io);
        auto a = co_await burrow::co_connect_via_proxy(first, url, "127.0.0.1", echo.port());
        auto b = co_await burrow::co_connect_via_proxy(second, url, "127.0.0.1", echo.port());
        EXPECT_TRUE(a) << a.message();
        EXPECT_TRUE(b) << b.message();
        auto c = co_await burrow::co_connect_via_proxy(third, url, "127.0.0.1", echo.port());
        EXPECT_EQ(c.ec, burrow::error::proxy_refused);
        EXPECT_EQ(c.diagnostics.status, 503u);
        EXPECT_EQ(proxy.stats().refused_over_limit, 1u);
        EXPECT_EQ(proxy.stats().peak, 2u);

        // Once one closes, a new connection is served again.
        first.close();
        asio::steady_timer pause(io, 100ms);
        co_await pause.async_wait(asio::use_awaitable);
        tcp::socket fourth(io);
        auto d = co_await burrow::co_connect_via_proxy(fourth, url, "127.0.0.1", echo.port());
        EXPECT_TRUE(d) << d.message();
    });
}

TEST(ConnectProxyServer, ClosesAnIdleTunnel) {
    burrow::test::run([](asio::io_context& io) -> asio::awaitable<void> {
        burrow::examples::echo_server echo(io.get_executor(), {});
        echo.start();
        connect_proxy_options options;
        options.idle_timeout = 300ms;
        connect_proxy_server proxy(io.get_executor(), options);
        proxy.start();

        tcp::socket socket(io);
        const auto url = proxy_url_of(proxy);
        auto tunnel = co_await burrow::co_connect_via_proxy(socket, url, "127.0.0.1", echo.port());
        EXPECT_TRUE(tunnel) << tunnel.message();
        const auto start = std::chrono::steady_clock::now();
        std::array<char, 16> buffer;
        auto [ec, n] = co_await socket.async_read_some(asio::buffer(buffer), asio::as_tuple(asio::use_awaitable));
        const auto waited = std::chrono::steady_clock::now() - start;
        EXPECT_EQ(ec, asio::error::eof);
        EXPECT_EQ(n, 0u);
        EXPECT_GE(waited, 250ms);
        EXPECT_LT(waited, 3s);
        EXPECT_EQ(proxy.stats().idle_closes, 1u);
        EXPECT_EQ(proxy.stats().active, 0u);
    });
}

TEST(ConnectProxyServer, TrafficKeepsATunnelOpenPastTheIdleTimeout) {
    burrow::test::run([](asio::io_context& io) -> asio::awaitable<void> {
        burrow::examples::echo_server echo(io.get_executor(), {});
        echo.start();
        connect_proxy_options options;
        options.idle_timeout = 300ms;
        connect_proxy_server proxy(io.get_executor(), options);
        proxy.start();

        tcp::socket socket(io);
        const auto url = proxy_url_of(proxy);
        auto tunnel = co_await burrow::co_connect_via_proxy(socket, url, "127.0.0.1", echo.port());
        EXPECT_TRUE(tunnel) << tunnel.message();
        const auto ws_url = burrow::ws::parse_ws_url(echo.url()).value();
        const burrow::handshake_options handshake;
        auto upgraded = co_await burrow::co_handshake(socket, ws_url, handshake);
        EXPECT_TRUE(upgraded) << upgraded.message();
        burrow::websocket::stream<tcp::socket> ws(std::move(socket), burrow::ws::role::client, {}, upgraded.leftover);
        std::string reply;
        for (int i = 0; i < 6; ++i) {  // 6 x 150 ms = 900 ms, three idle timeouts' worth
            asio::steady_timer pause(io, 150ms);
            co_await pause.async_wait(asio::use_awaitable);
            EXPECT_FALSE(co_await ws.co_write_text("still here"));
            auto info = co_await ws.co_read(reply);
            EXPECT_TRUE(info) << info.error().message();
        }
        EXPECT_EQ(proxy.stats().idle_closes, 0u);
    }, std::chrono::seconds(10));
}

TEST(ConnectProxyServer, RefusesOtherMethodsBadTargetsAndUnreachableTargets) {
    burrow::test::run([](asio::io_context& io) -> asio::awaitable<void> {
        connect_proxy_options options;
        connect_proxy_server proxy(io.get_executor(), options);
        proxy.start();

        auto get = co_await raw_exchange(proxy.port(), "GET http://example.com/ HTTP/1.1\r\nHost: example.com\r\n\r\n");
        EXPECT_TRUE(get.starts_with("HTTP/1.1 405 ")) << get;
        EXPECT_NE(get.find("Allow: CONNECT\r\n"), std::string::npos) << get;

        auto bad = co_await raw_exchange(proxy.port(), "CONNECT no-port HTTP/1.1\r\nHost: no-port\r\n\r\n");
        EXPECT_TRUE(bad.starts_with("HTTP/1.1 400 ")) << bad;

        auto garbage = co_await raw_exchange(proxy.port(), std::string("\x16\x03\x01\x02\x00", 5));
        EXPECT_TRUE(garbage.starts_with("HTTP/1.1 400 ")) << garbage;

        // A port nobody listens on: bind one, note it, close it.
        std::uint16_t closed_port = 0;
        {
            tcp::acceptor a(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
            closed_port = a.local_endpoint().port();
        }
        const std::string target = "127.0.0.1:" + std::to_string(closed_port);
        auto unreachable = co_await raw_exchange(proxy.port(), "CONNECT " + target + " HTTP/1.1\r\nHost: " + target + "\r\n\r\n");
        EXPECT_TRUE(unreachable.starts_with("HTTP/1.1 502 ")) << unreachable;
        EXPECT_EQ(proxy.stats().tunnels, 0u);
    });
}

TEST(ConnectProxyServer, ForwardsBytesSentRightAfterTheConnectHead) {
    burrow::test::run([](asio::io_context& io) -> asio::awaitable<void> {
        burrow::examples::echo_server echo(io.get_executor(), {});
        echo.start();
        connect_proxy_options options;
        connect_proxy_server proxy(io.get_executor(), options);
        proxy.start();
        // CONNECT and a (bad) HTTP request in one write: the echo server must see the request and
        // refuse it, which proves the early bytes reached it.
        const std::string target = "127.0.0.1:" + std::to_string(echo.port());
        auto reply = co_await raw_exchange(proxy.port(),
                                           "CONNECT " + target + " HTTP/1.1\r\nHost: " + target + "\r\n\r\n"
                                           "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
        EXPECT_TRUE(reply.starts_with("HTTP/1.1 200 Connection established\r\n\r\nHTTP/1.1 4")) << reply;
    });
}

TEST(ConnectProxyServer, StopClosesOpenTunnels) {
    burrow::test::run([](asio::io_context& io) -> asio::awaitable<void> {
        burrow::examples::echo_server echo(io.get_executor(), {});
        echo.start();
        connect_proxy_options options;
        connect_proxy_server proxy(io.get_executor(), options);
        proxy.start();
        tcp::socket socket(io);
        const auto url = proxy_url_of(proxy);
        auto tunnel = co_await burrow::co_connect_via_proxy(socket, url, "127.0.0.1", echo.port());
        EXPECT_TRUE(tunnel) << tunnel.message();
        proxy.stop();
        std::array<char, 16> buffer;
        auto [ec, n] = co_await socket.async_read_some(asio::buffer(buffer), asio::as_tuple(asio::use_awaitable));
        EXPECT_TRUE(ec == asio::error::eof || ec == asio::error::connection_reset) << ec.message();
        (void)n;
    });
}

} // namespace
