// https:// proxies through co_connect_via_proxy over an ssl::stream, against an in-process TLS
// CONNECT proxy, and wss:// through it: TLS inside TLS on one TCP connection. A refusal over TLS
// stays a proxy error; TLS failures with the proxy name the proxy.
#include <burrow/asio/handshake.hpp>
#include <burrow/asio/stream.hpp>
#include <burrow/asio/tls.hpp>
#include <burrow/asio/tls_proxy.hpp>

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
const std::string ok_reply = "HTTP/1.1 200 Connection established\r\n\r\n";

struct proxy_seen {
    tls_result tls;
    std::string request;
};

// One connection to an https:// proxy: TLS with `ctx`, then CONNECT answered with `reply`.
asio::awaitable<void> https_proxy_once(tcp::acceptor& a, ssl::context& ctx, std::string reply, proxy_seen& seen) {
    auto sock = co_await a.async_accept(asio::use_awaitable);
    ssl::stream<tcp::socket> s(std::move(sock), ctx);
    seen.tls = co_await co_tls_accept(s);
    if (!seen.tls)
        co_return;
    co_await tls_connect_proxy(s, reply, seen.request);
}

proxy::proxy_url proxy_at(std::string scheme_and_auth, std::uint16_t port) {
    return *proxy::parse_proxy_url(scheme_and_auth + "localhost:" + std::to_string(port));
}

bool contains(const std::string& text, std::string_view part) { return text.find(part) != std::string::npos; }

// The client's side of a tunnel through an https:// proxy at `port` to localhost:`target`.
asio::awaitable<tunnel_result> tunnel_via(ssl::stream<tcp::socket>& to_proxy, std::string scheme, std::uint16_t port,
                                          std::uint16_t target) {
    const auto url = proxy_at(scheme, port);
    const proxy_connect_options options;
    const tls_options proxy_tls = tls_client_options("proxy-ca");
    co_return co_await co_connect_via_proxy(to_proxy, url, "localhost", target, options, proxy_tls);
}

} // namespace

TEST(https_proxy, wss_through_an_https_proxy_is_tls_inside_tls) {
    run([&](asio::io_context& io) -> asio::awaitable<void> {
        auto origin_ctx = tls_context_or_throw(make_server_context(tls_server_options("server")));
        auto proxy_ctx = tls_context_or_throw(make_server_context(tls_server_options("proxy")));
        auto origin = tls_listen(io);
        auto proxy = tls_listen(io);
        tls_result origin_seen;
        proxy_seen seen;

        auto client = [&]() -> asio::awaitable<void> {
            auto to_proxy_ctx = tls_context_or_throw(make_client_context(tls_client_options("proxy-ca")));
            ssl::stream<tcp::socket> to_proxy(io, to_proxy_ctx);
            auto tunnel = co_await tunnel_via(to_proxy, "https://", tls_port(proxy), tls_port(origin));
            EXPECT_FALSE(tunnel.ec) << tunnel.message();
            EXPECT_EQ(tunnel.phase, proxy_phase::tunnel_open);
            EXPECT_EQ(tunnel.tls.peer, tls_peer::proxy);
            EXPECT_EQ(tunnel.tls.version, "TLSv1.3");
            EXPECT_TRUE(contains(tunnel.tls.certificate.issuer, "burrow test proxy CA")) << tunnel.tls.certificate.issuer;
            EXPECT_TRUE(tunnel.leftover.empty());
            if (tunnel.ec)
                co_return;

            // The origin's own TLS session runs inside the proxy's: no copy, one TCP connection.
            const tls_options origin_tls = tls_client_options();
            auto origin_client_ctx = tls_context_or_throw(make_client_context(origin_tls));
            ssl::stream<ssl::stream<tcp::socket>> to_origin(std::move(to_proxy), origin_client_ctx);
            auto tls = co_await co_tls_handshake(to_origin, "localhost", origin_tls);
            EXPECT_FALSE(tls.ec) << tls.message();
            EXPECT_TRUE(contains(tls.certificate.issuer, "CN=burrow test CA")) << tls.certificate.issuer;
            const auto url = *ws::parse_ws_url("wss://localhost/echo");
            auto hs = co_await co_handshake(to_origin, url, default_handshake);
            EXPECT_FALSE(hs.ec) << hs.message();
            websocket::stream<ssl::stream<ssl::stream<tcp::socket>>> ws(std::move(to_origin), ws::role::client, {},
                                                                         hs.leftover);
            for (const std::string& m : {std::string("inside two TLS sessions"), std::string(70000, 'z')}) {
                EXPECT_FALSE(co_await ws.co_write_text(m));
                std::string back;
                auto r = co_await ws.co_read(back);
                EXPECT_TRUE(r) << r.error().message();
                EXPECT_EQ(back, m);
            }
            const auto before = std::chrono::steady_clock::now();
            auto closed = co_await ws.co_close();
            EXPECT_FALSE(closed) << closed.message();
            EXPECT_LT(std::chrono::steady_clock::now() - before, 2s);
        };
        // Every side ends promptly: no TLS layer waits for a close_timeout (5 s) to end its connection.
        const auto start = std::chrono::steady_clock::now();
        co_await (client() && https_proxy_once(proxy, proxy_ctx, ok_reply, seen) &&
                  tls_wss_echo_once(origin, origin_ctx, origin_seen));
        EXPECT_LT(std::chrono::steady_clock::now() - start, 4s);
        EXPECT_FALSE(seen.tls.ec) << seen.tls.message();
        EXPECT_EQ(seen.tls.sni, "localhost");  // SNI to the proxy: its own host name
        EXPECT_TRUE(contains(seen.request, "CONNECT localhost:" + std::to_string(tls_port(origin)) + " HTTP/1.1"))
            << seen.request;
        EXPECT_FALSE(origin_seen.ec) << origin_seen.message();
        EXPECT_EQ(origin_seen.sni, "localhost");  // SNI to the origin, inside the tunnel
    }, 20s);
}

TEST(https_proxy, a_refusal_over_tls_is_a_proxy_error_not_a_tls_error) {
    run([&](asio::io_context& io) -> asio::awaitable<void> {
        auto proxy_ctx = tls_context_or_throw(make_server_context(tls_server_options("proxy")));
        auto proxy = tls_listen(io);
        proxy_seen seen;
        auto client = [&]() -> asio::awaitable<void> {
            auto ctx = tls_context_or_throw(make_client_context(tls_client_options("proxy-ca")));
            ssl::stream<tcp::socket> to_proxy(io, ctx);
            auto tunnel = co_await tunnel_via(to_proxy, "https://", tls_port(proxy), 443);
            EXPECT_EQ(tunnel.ec, error::proxy_refused) << tunnel.message();
            EXPECT_EQ(tunnel.ec, condition::proxy_failed);
            EXPECT_NE(tunnel.ec, condition::tls_failed);
            EXPECT_EQ(tunnel.phase, proxy_phase::proxy_connect);
            EXPECT_FALSE(tunnel.tls.ec) << tunnel.tls.message();  // the TLS session itself was fine
            EXPECT_TRUE(contains(tunnel.message(), "HTTP/1.0 500 handshakefailed")) << tunnel.message();
            EXPECT_FALSE(contains(tunnel.message(), "TLS handshake")) << tunnel.message();
        };
        const std::string refusal = "HTTP/1.0 500 handshakefailed\r\nVia: 1.0 gateway\r\nContent-Length: 0\r\n\r\n";
        co_await (client() && https_proxy_once(proxy, proxy_ctx, refusal, seen));
    });
}

TEST(https_proxy, an_untrusted_proxy_certificate_is_a_tls_error_naming_the_proxy) {
    run([&](asio::io_context& io) -> asio::awaitable<void> {
        // The proxy presents the origin's certificate chain (test CA), the client trusts only proxy-ca.
        auto proxy_ctx = tls_context_or_throw(make_server_context(tls_server_options("untrusted")));
        auto proxy = tls_listen(io);
        proxy_seen seen;
        auto client = [&]() -> asio::awaitable<void> {
            auto ctx = tls_context_or_throw(make_client_context(tls_client_options("proxy-ca")));
            ssl::stream<tcp::socket> to_proxy(io, ctx);
            auto tunnel = co_await tunnel_via(to_proxy, "https://", tls_port(proxy), 443);
            EXPECT_EQ(tunnel.ec, error::tls_unknown_issuer) << tunnel.message();
            EXPECT_EQ(tunnel.phase, proxy_phase::tls_to_proxy);
            EXPECT_EQ(tunnel.tls.peer, tls_peer::proxy);
            const auto m = tunnel.message();
            EXPECT_TRUE(contains(m, "TLS to proxy failed")) << m;
            EXPECT_TRUE(contains(m, "proxy localhost")) << m;
            EXPECT_TRUE(contains(m, "burrow rogue CA")) << m;
            EXPECT_FALSE(to_proxy.next_layer().is_open());
        };
        co_await (client() && https_proxy_once(proxy, proxy_ctx, ok_reply, seen));
    });
}

TEST(https_proxy, a_proxy_requiring_a_client_certificate_is_a_tls_error_at_the_connect) {
    // TLS 1.3: the proxy refuses the missing client certificate after the TLS handshake, so its
    // alert comes with the CONNECT's reply; it is still the proxy's TLS session that failed.
    run([&](asio::io_context& io) -> asio::awaitable<void> {
        tls_options proxy_options = tls_server_options("proxy");
        proxy_options.require_client_certificate = true;
        auto proxy_ctx = tls_context_or_throw(make_server_context(proxy_options));
        auto proxy = tls_listen(io);
        proxy_seen seen;
        auto client = [&]() -> asio::awaitable<void> {
            auto ctx = tls_context_or_throw(make_client_context(tls_client_options("proxy-ca")));
            ssl::stream<tcp::socket> to_proxy(io, ctx);
            auto tunnel = co_await tunnel_via(to_proxy, "https://", tls_port(proxy), 443);
            EXPECT_EQ(tunnel.ec, error::tls_alert) << tunnel.message();
            EXPECT_EQ(tunnel.phase, proxy_phase::tls_to_proxy) << tunnel.message();
            EXPECT_EQ(tunnel.tls.peer, tls_peer::proxy);
            EXPECT_FALSE(tunnel.tls.version.empty()) << "the session's parameters are kept";
            const auto m = tunnel.message();
            EXPECT_TRUE(contains(m, "the proxy sent the TLS alert \"certificate_required\" (116)")) << m;
            EXPECT_TRUE(contains(m, "cert_file")) << m;
        };
        co_await (client() && https_proxy_once(proxy, proxy_ctx, ok_reply, seen));
    });
}

TEST(https_proxy, an_https_url_for_a_plain_http_proxy_says_the_proxy_speaks_plain_http) {
    run([&](asio::io_context& io) -> asio::awaitable<void> {
        auto proxy = tls_listen(io);
        auto plain_proxy = [&]() -> asio::awaitable<void> {
            auto s = co_await proxy.async_accept(asio::use_awaitable);
            std::array<char, 4096> buf;
            (void)co_await s.async_read_some(asio::buffer(buf), asio::as_tuple(asio::use_awaitable));
            const std::string reply = "HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n";
            co_await asio::async_write(s, asio::buffer(reply), asio::as_tuple(asio::use_awaitable));
        };
        auto client = [&]() -> asio::awaitable<void> {
            auto ctx = tls_context_or_throw(make_client_context(tls_client_options("proxy-ca")));
            ssl::stream<tcp::socket> to_proxy(io, ctx);
            auto tunnel = co_await tunnel_via(to_proxy, "https://", tls_port(proxy), 443);
            EXPECT_EQ(tunnel.ec, error::tls_not_tls) << tunnel.message();
            EXPECT_EQ(tunnel.phase, proxy_phase::tls_to_proxy);
            EXPECT_TRUE(contains(tunnel.message(), "proxy speaks plain HTTP")) << tunnel.message();
        };
        co_await (client() && plain_proxy());
    });
}

TEST(https_proxy, an_http_url_for_a_tls_proxy_hints_at_https) {
    run([&](asio::io_context& io) -> asio::awaitable<void> {
        auto proxy_ctx = tls_context_or_throw(make_server_context(tls_server_options("proxy")));
        auto proxy = tls_listen(io);
        proxy_seen seen;
        auto client = [&]() -> asio::awaitable<void> {
            tcp::socket socket(io);
            const auto url = proxy_at("http://", tls_port(proxy));
            const proxy_connect_options options;
            auto tunnel = co_await co_connect_via_proxy(socket, url, "localhost", 443, options);
            // The TLS server answers our plain CONNECT with an alert record.
            EXPECT_EQ(tunnel.ec, error::proxy_malformed_reply) << tunnel.message();
            EXPECT_EQ(tunnel.ec, condition::proxy_failed);
            EXPECT_TRUE(contains(tunnel.message(), "use an https:// proxy URL")) << tunnel.message();
        };
        co_await (client() && https_proxy_once(proxy, proxy_ctx, ok_reply, seen));
        EXPECT_EQ(seen.tls.ec, error::tls_not_tls) << seen.tls.message();  // the proxy's view
    });
}

TEST(https_proxy, a_407_that_closes_the_connection_gets_a_new_tls_session) {
    run([&](asio::io_context& io) -> asio::awaitable<void> {
        auto proxy_ctx = tls_context_or_throw(make_server_context(tls_server_options("proxy")));
        auto origin = tls_listen(io);
        auto proxy = tls_listen(io);
        proxy_seen first, second;
        auto proxy_side = [&]() -> asio::awaitable<void> {
            const std::string challenge =
                "HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm=\"t\"\r\n"
                "Connection: close\r\nContent-Length: 0\r\n\r\n";
            co_await https_proxy_once(proxy, proxy_ctx, challenge, first);
            co_await https_proxy_once(proxy, proxy_ctx, ok_reply, second);
        };
        auto origin_side = [&]() -> asio::awaitable<void> {
            auto s = co_await origin.async_accept(asio::use_awaitable);
            const std::string hello = "hello through the tunnel";
            co_await asio::async_write(s, asio::buffer(hello), asio::as_tuple(asio::use_awaitable));
        };
        auto client = [&]() -> asio::awaitable<void> {
            auto ctx = tls_context_or_throw(make_client_context(tls_client_options("proxy-ca")));
            ssl::stream<tcp::socket> to_proxy(io, ctx);
            auto tunnel = co_await tunnel_via(to_proxy, "https://user:secret@", tls_port(proxy), tls_port(origin));
            EXPECT_FALSE(tunnel.ec) << tunnel.message();
            EXPECT_EQ(tunnel.diagnostics.rounds, 2u);
            std::string got = tunnel.leftover;
            std::array<char, 64> buf;
            while (got.size() < 24) {
                auto [ec, n] = co_await to_proxy.async_read_some(asio::buffer(buf), asio::as_tuple(asio::use_awaitable));
                if (ec)
                    break;
                got.append(buf.data(), n);
            }
            EXPECT_EQ(got, "hello through the tunnel");
            burrow::detail::close_now(to_proxy);
        };
        co_await (client() && proxy_side() && origin_side());
        EXPECT_FALSE(contains(first.request, "Proxy-Authorization")) << first.request;
        EXPECT_TRUE(contains(second.request, "Proxy-Authorization: Basic dXNlcjpzZWNyZXQ=")) << second.request;
        EXPECT_FALSE(second.tls.ec) << second.tls.message();
    });
}
