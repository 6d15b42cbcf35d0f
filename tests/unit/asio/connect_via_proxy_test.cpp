// co_connect_via_proxy against a scripted misbehaving proxy on loopback: every reply shape real
// proxies send, and the hostile ones (slow, oversized, garbage, silent, closing).
#include <burrow/asio/connect_via_proxy.hpp>

#include "scripted_proxy.hpp"

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/read.hpp>

#include <gtest/gtest.h>

using namespace burrow;
using namespace burrow::test;
using namespace std::chrono_literals;

namespace {

struct run_result {
    tunnel_result tunnel;
    std::string echoed;  // what came back through the tunnel after sending "ping"
    std::vector<std::pair<trace_direction, std::string>> trace;
    std::chrono::milliseconds took{};
};

proxy::proxy_url url_of(const std::string& text) {
    auto u = proxy::parse_proxy_url(text);
    EXPECT_TRUE(u) << text;
    return *u;
}

// Opens a tunnel through `proxy_url` to target.example:443, then sends "ping" through it and reads
// 4 bytes back (the scripted proxy echoes), taking any leftover bytes first.
run_result run(asio::io_context& io, const std::string& proxy_url, proxy_connect_options options = {},
               bool round_trip = true) {
    run_result out;
    options.trace = [&](trace_direction d, std::string_view head) { out.trace.emplace_back(d, std::string(head)); };
    tcp::socket socket(io);
    const auto start = std::chrono::steady_clock::now();
    bool finished = false;
    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
            out.tunnel = co_await co_connect_via_proxy(socket, url_of(proxy_url), "target.example", 443, options);
            out.took = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
            if (out.tunnel && round_trip) {
                co_await asio::async_write(socket, asio::buffer(std::string("ping")), asio::as_tuple(asio::use_awaitable));
                std::string back(4 - std::min<std::size_t>(4, out.tunnel.leftover.size()), '\0');
                auto [ec, n] = co_await asio::async_read(socket, asio::buffer(back), asio::as_tuple(asio::use_awaitable));
                out.echoed = out.tunnel.leftover + back.substr(0, n);
            }
            finished = true;
            io.stop();  // the scripted proxy would keep the context busy
        },
        asio::detached);
    io.run_for(10s);
    EXPECT_TRUE(finished) << "the coroutine did not finish";
    return out;
}

const std::string ok200 = "HTTP/1.1 200 Connection established\r\n\r\n";

} // namespace

TEST(co_connect_via_proxy, plain_200_then_the_tunnel_works) {
    asio::io_context io;
    scripted_proxy proxy(io, {{{ok200, then::echo}}});
    const auto r = run(io, proxy.url());
    ASSERT_FALSE(r.tunnel.ec) << r.tunnel.message();
    EXPECT_EQ(r.echoed, "ping");
    ASSERT_EQ(proxy.requests.size(), 1u);
    EXPECT_EQ(proxy.requests[0].second.substr(0, 54), "CONNECT target.example:443 HTTP/1.1\r\nHost: target.exam");
}

TEST(co_connect_via_proxy, http10_200_without_headers_and_other_2xx) {
    for (const std::string reply : {"HTTP/1.0 200\r\n\r\n", "HTTP/1.1 204 No Content\r\n\r\n",
                                    "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n",
                                    "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"}) {
        asio::io_context io;
        scripted_proxy proxy(io, {{{reply, then::echo}}});
        const auto r = run(io, proxy.url());
        ASSERT_FALSE(r.tunnel.ec) << reply << r.tunnel.message();
        EXPECT_EQ(r.echoed, "ping") << reply;
    }
}

TEST(co_connect_via_proxy, bytes_right_after_the_200_reach_the_tunnel) {
    asio::io_context io;
    scripted_proxy proxy(io, {{{ok200 + "pi", then::echo}}});
    // The proxy sent "pi" with its reply (a server speaking first); the echo then returns "ping",
    // of which "pi" was already delivered as leftover... so we expect leftover + first 2 echoed.
    const auto r = run(io, proxy.url());
    ASSERT_FALSE(r.tunnel.ec) << r.tunnel.message();
    EXPECT_EQ(r.tunnel.leftover, "pi");
    EXPECT_EQ(r.echoed, "pipi");
}

TEST(co_connect_via_proxy, reply_one_byte_at_a_time) {
    asio::io_context io;
    reply_step slow{"HTTP/1.0 200 Connection established\r\nProxy-agent: tinyproxy/1.11.1\r\n\r\n", then::echo, true};
    scripted_proxy proxy(io, {{slow}});
    const auto r = run(io, proxy.url());
    ASSERT_FALSE(r.tunnel.ec) << r.tunnel.message();
    EXPECT_EQ(r.echoed, "ping");
}

TEST(co_connect_via_proxy, a_407_with_body_answered_on_the_same_connection) {
    asio::io_context io;
    const std::string r407 = "HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm=\"t\"\r\n"
                             "Content-Length: 20\r\nConnection: keep-alive\r\n\r\n<html>denied</html>\n";
    scripted_proxy proxy(io, {{{r407, then::next_request}, {ok200, then::echo}}});
    const auto r = run(io, "http://alice:s3cret@127.0.0.1:" + std::to_string(proxy.port()));
    ASSERT_FALSE(r.tunnel.ec) << r.tunnel.message();
    EXPECT_EQ(r.echoed, "ping");
    ASSERT_EQ(proxy.requests.size(), 2u);
    EXPECT_EQ(proxy.connections, 1u);
    EXPECT_NE(proxy.requests[1].second.find("Proxy-Authorization: Basic YWxpY2U6czNjcmV0\r\n"), std::string::npos);
}

TEST(co_connect_via_proxy, a_407_then_close_means_a_new_connection) {
    asio::io_context io;
    const std::string r407 = "HTTP/1.0 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm=\"t\"\r\n\r\n";
    scripted_proxy proxy(io, {{{r407, then::close}}, {{ok200, then::echo}}});
    proxy_connect_options options;
    options.credentials = proxy::credentials{"alice", "s3cret"};
    const auto r = run(io, proxy.url(), options);
    ASSERT_FALSE(r.tunnel.ec) << r.tunnel.message();
    EXPECT_EQ(r.echoed, "ping");
    EXPECT_EQ(proxy.connections, 2u);
    ASSERT_EQ(proxy.requests.size(), 2u);
    EXPECT_EQ(proxy.requests[1].first, 1u);
}

TEST(co_connect_via_proxy, wrong_credentials_fail_clearly) {
    asio::io_context io;
    const std::string r407 = "HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm=\"t\"\r\n"
                             "Via: 1.1 corp-gw\r\nContent-Length: 0\r\n\r\n";
    scripted_proxy proxy(io, {{{r407, then::next_request}, {r407, then::next_request}, {r407, then::next_request}}});
    const auto r = run(io, "http://alice:wrong@127.0.0.1:" + std::to_string(proxy.port()));
    EXPECT_EQ(r.tunnel.ec, error::proxy_auth_failed);
    EXPECT_EQ(r.tunnel.phase, proxy_phase::proxy_authentication);
    EXPECT_EQ(r.tunnel.diagnostics.status, 407u);
    const std::string message = r.tunnel.message();
    EXPECT_NE(message.find("proxy authentication failed"), std::string::npos) << message;
    EXPECT_NE(message.find("HTTP/1.1 407 Proxy Authentication Required (Via: 1.1 corp-gw)"), std::string::npos) << message;
    EXPECT_EQ(message.find("wrong"), std::string::npos) << "the password leaked: " << message;
}

TEST(co_connect_via_proxy, no_credentials_for_a_407) {
    asio::io_context io;
    const std::string r407 = "HTTP/1.1 407 Auth\r\nProxy-Authenticate: Digest realm=\"x\", nonce=\"abc\"\r\nContent-Length: 0\r\n\r\n";
    scripted_proxy proxy(io, {{{r407, then::silence}}});
    const auto r = run(io, proxy.url());
    EXPECT_EQ(r.tunnel.ec, error::proxy_auth_required);
    EXPECT_NE(r.tunnel.message().find("Hint: the proxy requires authentication"), std::string::npos);
}

TEST(co_connect_via_proxy, refusals_with_html_bodies) {
    for (const std::string status : {"403 Forbidden", "502 Bad Gateway", "503 Service Unavailable"}) {
        asio::io_context io;
        const std::string body = "<html><body><h1>" + status + "</h1>The target is not allowed.</body></html>";
        const std::string reply = "HTTP/1.1 " + status + "\r\nServer: squid/5.7\r\nContent-Type: text/html\r\n"
                                  "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
        scripted_proxy proxy(io, {{{reply, then::silence}}});
        const auto r = run(io, proxy.url());
        EXPECT_EQ(r.tunnel.ec, error::proxy_refused) << status;
        EXPECT_EQ(r.tunnel.phase, proxy_phase::proxy_connect);
        EXPECT_EQ(r.tunnel.diagnostics.status_line, "HTTP/1.1 " + status);
        EXPECT_NE(r.tunnel.message().find("The target is not allowed."), std::string::npos) << r.tunnel.message();
    }
}

TEST(co_connect_via_proxy, gateway_500_handshakefailed_is_a_proxy_error) {
    asio::io_context io;
    scripted_proxy proxy(io, {{{"HTTP/1.0 500 handshakefailed\r\nVia: 1.0 gateway\r\n\r\n", then::close}}});
    const auto r = run(io, proxy.url());
    EXPECT_EQ(r.tunnel.ec, error::proxy_refused);
    EXPECT_TRUE(r.tunnel.ec == condition::proxy_failed);
    EXPECT_NE(r.tunnel.message().find("HTTP/1.0 500 handshakefailed (Via: 1.0 gateway)"), std::string::npos)
        << r.tunnel.message();
}

TEST(co_connect_via_proxy, reply_head_over_the_limit) {
    asio::io_context io;
    std::string big = "HTTP/1.1 200 OK\r\n";
    while (big.size() < 40000)
        big += "X-Filler: 0123456789012345678901234567890123456789\r\n";
    scripted_proxy proxy(io, {{{big + "\r\n", then::silence}}});
    const auto r = run(io, proxy.url());
    EXPECT_EQ(r.tunnel.ec, error::proxy_reply_too_large);
}

TEST(co_connect_via_proxy, non_http_garbage) {
    asio::io_context io;
    scripted_proxy proxy(io, {{{"SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n", then::silence}}});
    auto r = run(io, proxy.url());
    EXPECT_EQ(r.tunnel.ec, error::proxy_malformed_reply);
    // A TLS server where a plain proxy was expected: the message says so.
    asio::io_context io2;
    scripted_proxy tls(io2, {{{std::string("\x16\x03\x03\x00\x7a\x02\x00\x00\x76\x03\x03", 11), then::silence}}});
    r = run(io2, tls.url());
    EXPECT_EQ(r.tunnel.ec, error::proxy_malformed_reply);
    EXPECT_NE(r.tunnel.message().find("TLS"), std::string::npos) << r.tunnel.message();
}

TEST(co_connect_via_proxy, close_before_any_reply) {
    asio::io_context io;
    scripted_proxy proxy(io, {{{"", then::close}}});
    const auto r = run(io, proxy.url());
    EXPECT_EQ(r.tunnel.ec, error::proxy_closed);
}

TEST(co_connect_via_proxy, no_reply_at_all_times_out) {
    asio::io_context io;
    scripted_proxy proxy(io, {{{"", then::silence}}});
    proxy_connect_options options;
    options.exchange_timeout = 300ms;
    const auto r = run(io, proxy.url(), options);
    EXPECT_EQ(r.tunnel.ec, error::proxy_timeout);
    EXPECT_EQ(r.tunnel.phase, proxy_phase::proxy_connect);
    EXPECT_GE(r.took, 250ms);
    EXPECT_LT(r.took, 5000ms);
}

TEST(co_connect_via_proxy, overall_deadline) {
    asio::io_context io;
    reply_step slow{"HTTP/1.1 200 OK\r\n" + std::string(3000, 'x'), then::silence, true};  // 1 ms per byte
    scripted_proxy proxy(io, {{slow}});
    proxy_connect_options options;
    options.total_timeout = 400ms;
    const auto r = run(io, proxy.url(), options);
    EXPECT_EQ(r.tunnel.ec, error::proxy_timeout);
    EXPECT_LT(r.took, 5000ms);
}

TEST(co_connect_via_proxy, unreachable_proxy) {
    asio::io_context io;
    tcp::acceptor closed(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    const auto port = closed.local_endpoint().port();
    closed.close();
    const auto r = run(io, "http://127.0.0.1:" + std::to_string(port));
    EXPECT_EQ(r.tunnel.ec, error::proxy_unreachable);
    EXPECT_EQ(r.tunnel.phase, proxy_phase::connect_to_proxy);
    EXPECT_EQ(r.tunnel.cause, asio::error::connection_refused);
    EXPECT_NE(r.tunnel.message().find("connect to proxy failed"), std::string::npos) << r.tunnel.message();
}

TEST(co_connect_via_proxy, trace_shows_heads_with_credentials_redacted) {
    asio::io_context io;
    scripted_proxy proxy(io, {{{ok200, then::echo}}});
    proxy_connect_options options;
    options.preemptive_basic = true;
    const auto r = run(io, "http://alice:s3cret@127.0.0.1:" + std::to_string(proxy.port()), options);
    ASSERT_FALSE(r.tunnel.ec);
    ASSERT_EQ(r.trace.size(), 2u);
    EXPECT_EQ(r.trace[0].first, trace_direction::to_proxy);
    EXPECT_NE(r.trace[0].second.find("Proxy-Authorization: Basic <redacted>"), std::string::npos) << r.trace[0].second;
    EXPECT_EQ(r.trace[0].second.find("YWxpY2U6czNjcmV0"), std::string::npos);
    EXPECT_EQ(r.trace[1].first, trace_direction::from_proxy);
    EXPECT_EQ(r.trace[1].second, ok200);
    // The proxy itself did get the credentials.
    EXPECT_NE(proxy.requests[0].second.find("YWxpY2U6czNjcmV0"), std::string::npos);
}

TEST(co_connect_via_proxy, extra_headers_static_and_per_round) {
    asio::io_context io;
    const std::string r407 = "HTTP/1.1 407 A\r\nProxy-Authenticate: Basic realm=\"t\"\r\nContent-Length: 0\r\n\r\n";
    scripted_proxy proxy(io, {{{r407, then::next_request}, {ok200, then::echo}}});
    proxy_connect_options options;
    options.credentials = proxy::credentials{"a", "b"};
    options.user_agent = "test-agent/1";
    options.headers = {{"X-Corp-Id", "42"}};
    options.headers_for_round = [](unsigned round) { return proxy::header_list{{"X-Round", std::to_string(round)}}; };
    const auto r = run(io, proxy.url(), options);
    ASSERT_FALSE(r.tunnel.ec) << r.tunnel.message();
    ASSERT_EQ(proxy.requests.size(), 2u);
    for (unsigned i = 0; i < 2; ++i) {
        const auto& head = proxy.requests[i].second;
        EXPECT_NE(head.find("User-Agent: test-agent/1\r\n"), std::string::npos);
        EXPECT_NE(head.find("X-Corp-Id: 42\r\n"), std::string::npos);
        EXPECT_NE(head.find("X-Round: " + std::to_string(i + 1) + "\r\n"), std::string::npos);
    }
}

TEST(co_connect_via_proxy, cancellation_of_the_awaiting_coroutine) {
    asio::io_context io;
    scripted_proxy proxy(io, {{{"", then::silence}}});
    tcp::socket socket(io);
    asio::cancellation_signal cancel;
    tunnel_result result;
    bool done = false;
    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
            result = co_await co_connect_via_proxy(socket, url_of(proxy.url()), "t", 1);
            done = true;
            io.stop();
        },
        asio::bind_cancellation_slot(cancel.slot(), asio::detached));
    asio::steady_timer timer(io, 200ms);
    timer.async_wait([&](auto) { cancel.emit(asio::cancellation_type::terminal); });
    const auto start = std::chrono::steady_clock::now();
    io.run_for(5s);
    EXPECT_TRUE(done);
    EXPECT_LT(std::chrono::steady_clock::now() - start, 3s);
    EXPECT_TRUE(result.ec);
    EXPECT_FALSE(socket.is_open());
}

TEST(co_connect_via_proxy, https_proxies_need_tls_first) {
    asio::io_context io;
    const auto r = run(io, "https://127.0.0.1:1", {}, false);
    EXPECT_EQ(r.tunnel.ec, error::proxy_unsupported_scheme);
}

TEST(connect_authority, brackets_ipv6) {
    EXPECT_EQ(connect_authority("echo.example", 80), "echo.example:80");
    EXPECT_EQ(connect_authority("::1", 443), "[::1]:443");
    EXPECT_EQ(connect_authority("10.0.0.1", 8080), "10.0.0.1:8080");
}
