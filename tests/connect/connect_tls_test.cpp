// burrow::connect with TLS, against in-process TLS peers on 127.0.0.1 (certificates made at test
// time by scripts/fixtures/tls_certs.sh): wss:// direct, ws:// and wss:// through an https://
// proxy (TLS inside TLS), and TLS failures carrying their phase (tls or proxy_tls) and a hint.
#include <burrow/asio/connect.hpp>

#include "asio_run.hpp"
#include "tls_peers.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>

#include <gtest/gtest.h>

using namespace burrow;
using namespace burrow::test;
using namespace std::chrono_literals;
namespace asio = boost::asio;

namespace {

const std::string ok200 = "HTTP/1.1 200 Connection established\r\n\r\n";

// An https:// proxy for one connection: TLS with the `proxy` certificate, then CONNECT.
asio::awaitable<void> https_proxy_once(tcp::acceptor& a, ssl::context& ctx, std::string& request) {
    auto sock = co_await a.async_accept(asio::use_awaitable);
    ssl::stream<tcp::socket> s(std::move(sock), ctx);
    auto tls = co_await co_tls_accept(s);
    if (!tls)
        co_return;
    co_await tls_connect_proxy(s, ok200, request);
}

// A plain ws echo for one connection.
asio::awaitable<void> ws_echo_once(tcp::acceptor& a) {
    auto sock = co_await a.async_accept(asio::use_awaitable);
    co_await tls_ws_echo(std::move(sock));
}

struct round_trip {
    bool ok = false;
    std::string layers;
    std::string echoed;
    connect_report report;
    std::string error;
    connect_phase phase = connect_phase::url;
    boost::system::error_code ec;
    std::chrono::steady_clock::duration close_took{};
};

// Connects with `options`, sends "over tls", reads the echo, closes.
asio::awaitable<round_trip> talk(std::string url, connect_options options) {
    round_trip out;
    auto ws = co_await burrow::connect(url, options);
    out.ok = ws.ok();
    out.layers = ws.layers_name();
    out.report = ws.report();
    out.phase = ws.error().phase;
    out.ec = ws.error().ec;
    out.error = ws.error_message();
    if (!ws)
        co_return out;
    EXPECT_FALSE(co_await ws.co_write_text("over tls"));
    auto msg = co_await ws.co_read();
    if (msg)
        out.echoed = msg->data;
    const auto before_close = std::chrono::steady_clock::now();
    EXPECT_FALSE(co_await ws.co_close());
    out.close_took = std::chrono::steady_clock::now() - before_close;
    co_return out;
}

connect_options tls_connect_options() {
    connect_options o;
    o.use_environment = false;
    o.tls = tls_client_options("ca");
    o.proxy_tls = tls_client_options("proxy-ca");
    return o;
}

} // namespace

TEST(connect_tls, wss_direct) {
    run([&](asio::io_context& io) -> asio::awaitable<void> {
        using namespace asio::experimental::awaitable_operators;
        auto server_ctx = tls_context_or_throw(make_server_context(tls_server_options("server")));
        auto acceptor = tls_listen(io);
        tls_result seen;
        const std::string url = "wss://localhost:" + std::to_string(tls_port(acceptor)) + "/";
        auto [r, done] = co_await (talk(url, tls_connect_options()) && [&]() -> asio::awaitable<int> {
            co_await tls_wss_echo_once(acceptor, server_ctx, seen);
            co_return 0;
        }());
        EXPECT_TRUE(r.ok) << r.error;
        EXPECT_EQ(r.layers, "tls");
        EXPECT_EQ(r.echoed, "over tls");
        EXPECT_TRUE(r.report.tls);
        if (r.report.tls) {
            EXPECT_FALSE(r.report.tls->version.empty());
            EXPECT_FALSE(r.report.tls->cipher.empty());
            EXPECT_NE(r.report.tls->certificate.subject.find("localhost"), std::string::npos);
        }
        EXPECT_EQ(seen.sni, "localhost");
    }, 20s);
}

TEST(connect_tls, wss_through_an_https_proxy_is_tls_in_tls) {
    run([&](asio::io_context& io) -> asio::awaitable<void> {
        using namespace asio::experimental::awaitable_operators;
        auto server_ctx = tls_context_or_throw(make_server_context(tls_server_options("server")));
        auto proxy_ctx = tls_context_or_throw(make_server_context(tls_server_options("proxy")));
        auto origin = tls_listen(io);
        auto proxy = tls_listen(io);
        tls_result seen;
        std::string request;
        auto options = tls_connect_options();
        options.proxy = "https://localhost:" + std::to_string(tls_port(proxy));
        const std::string url = "wss://localhost:" + std::to_string(tls_port(origin)) + "/chat";
        auto [r, p, o] = co_await (talk(url, options) &&
                                   [&]() -> asio::awaitable<int> {
                                       co_await https_proxy_once(proxy, proxy_ctx, request);
                                       co_return 0;
                                   }() &&
                                   [&]() -> asio::awaitable<int> {
                                       co_await tls_wss_echo_once(origin, server_ctx, seen);
                                       co_return 0;
                                   }());
        EXPECT_TRUE(r.ok) << r.error;
        EXPECT_EQ(r.layers, "tls-in-tls");
        EXPECT_EQ(r.echoed, "over tls");
        EXPECT_TRUE(r.report.proxy_tls && r.report.tls);
        EXPECT_EQ(request.rfind("CONNECT localhost:" + std::to_string(tls_port(origin)) + " HTTP/1.1", 0), 0u) << request;
        std::vector<connect_phase> phases;
        for (const auto& t : r.report.timings)
            phases.push_back(t.phase);
        const std::vector<connect_phase> expected{connect_phase::url,         connect_phase::proxy_selection,
                                                  connect_phase::resolve,     connect_phase::tcp_connect,
                                                  connect_phase::proxy_tls,   connect_phase::proxy_connect,
                                                  connect_phase::tls,         connect_phase::handshake};
        EXPECT_EQ(phases, expected);
        EXPECT_LT(r.close_took, 1s);  // close_notify through both sessions, no timeout
    }, 20s);
}

TEST(connect_tls, ws_through_an_https_proxy) {
    run([&](asio::io_context& io) -> asio::awaitable<void> {
        using namespace asio::experimental::awaitable_operators;
        auto proxy_ctx = tls_context_or_throw(make_server_context(tls_server_options("proxy")));
        auto origin = tls_listen(io);
        auto proxy = tls_listen(io);
        std::string request;
        auto options = tls_connect_options();
        options.proxy = "https://127.0.0.1:" + std::to_string(tls_port(proxy));
        const std::string url = "ws://localhost:" + std::to_string(tls_port(origin)) + "/";
        auto [r, p, o] = co_await (talk(url, options) &&
                                   [&]() -> asio::awaitable<int> {
                                       co_await https_proxy_once(proxy, proxy_ctx, request);
                                       co_return 0;
                                   }() &&
                                   [&]() -> asio::awaitable<int> {
                                       co_await ws_echo_once(origin);
                                       co_return 0;
                                   }());
        EXPECT_TRUE(r.ok) << r.error;
        EXPECT_EQ(r.layers, "tls");
        EXPECT_EQ(r.echoed, "over tls");
    }, 20s);
}

TEST(connect_tls, untrusted_server_certificate_is_phase_tls_with_a_hint) {
    run([&](asio::io_context& io) -> asio::awaitable<void> {
        using namespace asio::experimental::awaitable_operators;
        auto server_ctx = tls_context_or_throw(make_server_context(tls_server_options("untrusted")));
        auto acceptor = tls_listen(io);
        tls_result seen;
        const std::string url = "wss://localhost:" + std::to_string(tls_port(acceptor)) + "/";
        auto [r, done] = co_await (talk(url, tls_connect_options()) && [&]() -> asio::awaitable<int> {
            co_await tls_wss_echo_once(acceptor, server_ctx, seen);
            co_return 0;
        }());
        EXPECT_FALSE(r.ok);
        EXPECT_EQ(r.phase, connect_phase::tls);
        EXPECT_EQ(r.ec, error::tls_unknown_issuer);
        EXPECT_NE(r.error.find("--cacert"), std::string::npos) << r.error;
        EXPECT_NE(r.error.find("rogue"), std::string::npos) << "the issuer should be named: " << r.error;
    }, 20s);
}

TEST(connect_tls, proxy_certificate_from_the_wrong_ca_is_phase_proxy_tls) {
    run([&](asio::io_context& io) -> asio::awaitable<void> {
        using namespace asio::experimental::awaitable_operators;
        auto proxy_ctx = tls_context_or_throw(make_server_context(tls_server_options("proxy")));
        auto proxy = tls_listen(io);
        std::string request;
        auto options = tls_connect_options();
        options.proxy_tls = tls_client_options("ca");  // not the proxy's CA
        options.proxy = "https://localhost:" + std::to_string(tls_port(proxy));
        auto [r, p] = co_await (talk("ws://localhost:1/", options) && [&]() -> asio::awaitable<int> {
            co_await https_proxy_once(proxy, proxy_ctx, request);
            co_return 0;
        }());
        EXPECT_FALSE(r.ok);
        EXPECT_EQ(r.phase, connect_phase::proxy_tls);
        EXPECT_EQ(r.ec, error::tls_unknown_issuer);
        EXPECT_NE(r.error.find("--proxy-cacert"), std::string::npos) << r.error;
        EXPECT_TRUE(request.empty());
    }, 20s);
}

TEST(connect_tls, a_server_requiring_a_client_certificate_fails_in_phase_tls_naming_the_alert) {
    // TLS 1.3: the server refuses the missing certificate after the TLS handshake, so the alert
    // arrives with the upgrade's first read; connect() still reports a TLS failure.
    run([&](asio::io_context& io) -> asio::awaitable<void> {
        using namespace asio::experimental::awaitable_operators;
        tls_options server = tls_server_options("server");
        server.require_client_certificate = true;
        auto server_ctx = tls_context_or_throw(make_server_context(server));
        auto acceptor = tls_listen(io);
        tls_result seen;
        const std::string url = "wss://localhost:" + std::to_string(tls_port(acceptor)) + "/";
        auto [r, done] = co_await (talk(url, tls_connect_options()) && [&]() -> asio::awaitable<int> {
            co_await tls_wss_echo_once(acceptor, server_ctx, seen);
            co_return 0;
        }());
        EXPECT_FALSE(r.ok);
        EXPECT_EQ(r.phase, connect_phase::tls) << r.error;
        EXPECT_EQ(r.ec, error::tls_alert) << r.error;
        EXPECT_NE(r.error.find("certificate_required"), std::string::npos) << r.error;
        EXPECT_NE(r.error.find("--cert"), std::string::npos) << r.error;
        EXPECT_TRUE(seen.ec) << "the server accepted a client without a certificate";
    }, 20s);
}

TEST(connect_tls, an_https_proxy_requiring_a_client_certificate_fails_in_phase_proxy_tls) {
    // The proxy's TLS 1.3 refusal arrives with the CONNECT's reply; it is the proxy's session.
    run([&](asio::io_context& io) -> asio::awaitable<void> {
        using namespace asio::experimental::awaitable_operators;
        tls_options proxy_options = tls_server_options("proxy");
        proxy_options.require_client_certificate = true;
        auto proxy_ctx = tls_context_or_throw(make_server_context(proxy_options));
        auto proxy = tls_listen(io);
        std::string request;
        auto options = tls_connect_options();
        options.proxy = "https://127.0.0.1:" + std::to_string(tls_port(proxy));
        const std::string url = "ws://localhost:9/";
        auto [r, p] = co_await (talk(url, options) && [&]() -> asio::awaitable<int> {
            co_await https_proxy_once(proxy, proxy_ctx, request);
            co_return 0;
        }());
        EXPECT_FALSE(r.ok);
        EXPECT_EQ(r.phase, connect_phase::proxy_tls) << r.error;
        EXPECT_EQ(r.ec, error::tls_alert) << r.error;
        EXPECT_NE(r.error.find("certificate_required"), std::string::npos) << r.error;
        EXPECT_NE(r.error.find("proxy_tls.cert_file"), std::string::npos) << r.error;
        EXPECT_TRUE(request.empty()) << "the proxy must not have accepted the CONNECT";
    }, 20s);
}
