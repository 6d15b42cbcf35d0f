// burrow::connect against in-process peers on 127.0.0.1: direct, through a relaying proxy that
// wants Basic credentials (answered after a 407, on a kept or a closed connection), SOCKS-free
// failures of every phase with their phase and diagnostics, per-phase timeouts and the overall
// deadline, and the address list where the first address fails.
#include <burrow/asio/connect.hpp>
#include <burrow/asio/detail/connect_attempts.hpp>

#include "asio_run.hpp"
#include "peers.hpp"
#include "scripted_proxy.hpp"

#include <gtest/gtest.h>

#include <cstdlib>

using namespace burrow;
using namespace burrow::test;
using namespace std::chrono_literals;

namespace {

// The tests choose their proxies themselves: none of the machine's proxy variables may leak in.
struct clean_environment : ::testing::Environment {
    void SetUp() override {
        for (const char* name : {"ws_proxy", "WS_PROXY", "wss_proxy", "WSS_PROXY", "http_proxy", "HTTP_PROXY", "https_proxy",
                                 "HTTPS_PROXY", "all_proxy", "ALL_PROXY", "no_proxy", "NO_PROXY"})
            ::unsetenv(name);
    }
};
const auto* const registered = ::testing::AddGlobalTestEnvironment(new clean_environment);

} // namespace

// The seed scenario exactly as the README writes it: the braced connect_args temporary inside the
// co_await (GCC 12.2 destroys such temporaries twice; connect_args is trivially destructible so
// that this is harmless; the ASan build of this test checks it).
TEST(connect, seed_form_through_a_proxy_that_wants_basic_auth) {
    asio::io_context io;
    ws_echo_server echo(io);
    relay_proxy proxy(io, "alice", "s3cret");
    const std::string proxy_url = "http://alice:s3cret@127.0.0.1:" + std::to_string(proxy.port());
    const std::string url = echo.url("/echo");
    std::string received;
    boost::system::error_code close_ec = asio::error::would_block;
    asio::co_spawn(io, [&]() -> asio::awaitable<void> {
        auto ws = co_await burrow::connect(url, {.proxy = proxy_url});
        co_await ws.co_write_text("test message");
        auto msg = co_await ws.co_read();
        EXPECT_TRUE(ws) << ws.error_message();
        if (msg)
            received = msg->data;
        close_ec = co_await ws.co_close();
        io.stop();
    }, asio::detached);
    io.run_for(10s);
    EXPECT_EQ(received, "test message");
    EXPECT_FALSE(close_ec) << close_ec.message();
    ASSERT_EQ(proxy.requests.size(), 2u);  // the first CONNECT got the 407
    EXPECT_EQ(proxy.requests[0].find("Proxy-Authorization"), std::string::npos);
    EXPECT_NE(proxy.requests[1].find("Proxy-Authorization: Basic "), std::string::npos);
    EXPECT_EQ(proxy.connections, 1u);
}

TEST(connect, direct_with_report_and_timings) {
    asio::io_context io;
    ws_echo_server echo(io);
    const std::string url = echo.url();
    asio::co_spawn(io, [&]() -> asio::awaitable<void> {
        connect_options options;
        options.handshake.subprotocols = {"chat"};
        auto ws = co_await burrow::connect(url, options);
        EXPECT_TRUE(ws.ok()) << ws.error_message();
        EXPECT_TRUE(ws.is_open());
        EXPECT_TRUE(ws.report().proxy.empty());
        EXPECT_EQ(ws.report().remote_endpoint, "127.0.0.1:" + std::to_string(echo.port()));
        EXPECT_NE(ws.report().proxy_explanation.find("direct"), std::string::npos) << ws.report().proxy_explanation;
        EXPECT_TRUE(ws.report().handshake && ws.report().handshake->status_line.find("101") != std::string::npos);
        std::vector<connect_phase> phases;
        for (const auto& t : ws.report().timings)
            phases.push_back(t.phase);
        const std::vector<connect_phase> expected{connect_phase::url, connect_phase::proxy_selection, connect_phase::resolve,
                                                  connect_phase::tcp_connect, connect_phase::handshake};
        EXPECT_EQ(phases, expected);
        const std::array<std::byte, 3> bytes{std::byte{1}, std::byte{2}, std::byte{0}};
        EXPECT_FALSE(co_await ws.co_write(bytes));
        auto msg = co_await ws.co_read();
        EXPECT_TRUE(msg && !msg->is_text() && msg->data == std::string("\x01\x02\x00", 3));
        EXPECT_FALSE(co_await ws.co_close());
        EXPECT_FALSE(ws.is_open());
        io.stop();
    }, asio::detached);
    io.run_for(10s);
    EXPECT_EQ(echo.accepted, 1u);
}

TEST(connect, proxy_from_the_environment_and_no_proxy) {
    asio::io_context io;
    ws_echo_server echo(io);
    relay_proxy proxy(io);
    const std::string url = echo.url();
    asio::co_spawn(io, [&]() -> asio::awaitable<void> {
        connect_options options;
        const std::string proxy_url = proxy.url();
        const std::vector<std::pair<std::string_view, std::string_view>> vars{{"http_proxy", proxy_url}};
        options.environment = proxy::proxy_environment::from(vars);
        auto ws = co_await burrow::connect(url, options);
        EXPECT_TRUE(ws) << ws.error_message();
        EXPECT_NE(ws.report().proxy_explanation.find("http_proxy"), std::string::npos) << ws.report().proxy_explanation;
        EXPECT_EQ(proxy.connections, 1u);
        co_await ws.co_close();

        const std::vector<std::pair<std::string_view, std::string_view>> excluded{{"http_proxy", proxy_url},
                                                                                   {"no_proxy", "127.0.0.1"}};
        options.environment = proxy::proxy_environment::from(excluded);
        auto direct = co_await burrow::connect(url, options);
        EXPECT_TRUE(direct) << direct.error_message();
        EXPECT_TRUE(direct.report().proxy.empty());
        EXPECT_EQ(proxy.connections, 1u);
        co_await direct.co_close();
        io.stop();
    }, asio::detached);
    io.run_for(10s);
}

TEST(connect, proxy_that_closes_after_407_is_connected_again) {
    asio::io_context io;
    ws_echo_server echo(io);
    relay_proxy proxy(io, "bob", "pw", /*close_on_407=*/true);
    const std::string url = echo.url();
    std::vector<std::pair<trace_kind, std::string>> trace;
    asio::co_spawn(io, [&]() -> asio::awaitable<void> {
        connect_options options;
        options.proxy = "http://127.0.0.1:" + std::to_string(proxy.port());
        options.proxy_credentials = proxy::credentials{"bob", "pw"};
        options.trace = [&](const trace_event& e) {
            if (e.kind != trace_kind::note && e.kind != trace_kind::phase_done)
                trace.emplace_back(e.kind, std::string(e.text));
        };
        auto ws = co_await burrow::connect(url, options);
        EXPECT_TRUE(ws) << ws.error_message();
        EXPECT_FALSE(co_await ws.co_write_text("hi"));
        auto msg = co_await ws.co_read();
        EXPECT_TRUE(msg && msg->data == "hi");
        co_await ws.co_close();
        io.stop();
    }, asio::detached);
    io.run_for(10s);
    EXPECT_EQ(proxy.connections, 2u);
    // CONNECT, 407, CONNECT with credentials (redacted), 200, GET, 101: the transcript of the demo.
    ASSERT_EQ(trace.size(), 6u);
    EXPECT_EQ(trace[0].first, trace_kind::client_to_proxy);
    EXPECT_EQ(trace[0].second.rfind("CONNECT 127.0.0.1:", 0), 0u) << trace[0].second;
    EXPECT_EQ(trace[1].first, trace_kind::proxy_to_client);
    EXPECT_EQ(trace[1].second.rfind("HTTP/1.1 407", 0), 0u);
    EXPECT_NE(trace[2].second.find("Proxy-Authorization: Basic <redacted>"), std::string::npos) << trace[2].second;
    EXPECT_EQ(trace[3].second.rfind("HTTP/1.1 200", 0), 0u);
    EXPECT_EQ(trace[4].first, trace_kind::client_to_server);
    EXPECT_EQ(trace[4].second.rfind("GET / HTTP/1.1", 0), 0u);
    EXPECT_EQ(trace[5].first, trace_kind::server_to_client);
    EXPECT_EQ(trace[5].second.rfind("HTTP/1.1 101", 0), 0u);
    for (const auto& [kind, text] : trace)
        EXPECT_EQ(text.find(proxy::basic_authorization({"bob", "pw"}).substr(6)), std::string::npos) << text;
}

namespace {

// Connects with `options` and returns the failed connection's error and report.
std::pair<connect_error, connect_report> failure(asio::io_context& io, const std::string& url, const connect_options& options,
                                                 std::chrono::milliseconds* took = nullptr) {
    std::optional<connection> result;
    const auto start = std::chrono::steady_clock::now();
    asio::co_spawn(io, [&]() -> asio::awaitable<void> {
        result.emplace(co_await burrow::connect(url, options));
        io.stop();
    }, asio::detached);
    io.run_for(20s);
    if (took)
        *took = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
    EXPECT_TRUE(result.has_value()) << "connect did not complete";
    if (!result)
        return {};
    EXPECT_FALSE(result->ok());
    return {result->error(), result->report()};
}

connect_options no_env() {
    connect_options o;
    o.use_environment = false;
    return o;
}

} // namespace

TEST(connect_failure, bad_url_is_phase_url) {
    asio::io_context io;
    auto [e, r] = failure(io, "ftp://example.com/", no_env());
    EXPECT_EQ(e.phase, connect_phase::url);
    EXPECT_TRUE(e.ec);
    EXPECT_NE(e.message(r).find("[phase url]"), std::string::npos) << e.message(r);
}

TEST(connect_failure, bad_proxy_is_phase_proxy_selection) {
    asio::io_context io;
    auto o = no_env();
    o.proxy = "ftp://proxy.example:21";
    auto [e, r] = failure(io, "ws://example.com/", o);
    EXPECT_EQ(e.phase, connect_phase::proxy_selection);
    EXPECT_EQ(e.ec, error::proxy_unsupported_scheme);
}

TEST(connect_failure, unknown_host_is_phase_resolve) {
    asio::io_context io;
    auto [e, r] = failure(io, "ws://nonexistent.invalid/", no_env());
    EXPECT_EQ(e.phase, connect_phase::resolve);
    EXPECT_TRUE(e.ec);
    EXPECT_NE(e.message(r).find("nonexistent.invalid"), std::string::npos) << e.message(r);
}

TEST(connect_failure, refused_is_phase_tcp_connect_direct_and_to_the_proxy) {
    asio::io_context io;
    const auto port = closed_port(io);
    auto [e, r] = failure(io, "ws://127.0.0.1:" + std::to_string(port) + "/", no_env());
    EXPECT_EQ(e.phase, connect_phase::tcp_connect);
    EXPECT_EQ(e.ec, asio::error::connection_refused);
    EXPECT_NE(e.message(r).find("is the server running"), std::string::npos) << e.message(r);

    asio::io_context io2;
    auto o = no_env();
    o.proxy = "http://127.0.0.1:" + std::to_string(port);
    auto [pe, pr] = failure(io2, "ws://example.com/", o);
    EXPECT_EQ(pe.phase, connect_phase::tcp_connect);
    EXPECT_NE(pe.message(pr).find("is the proxy running"), std::string::npos) << pe.message(pr);
}

TEST(connect_failure, proxy_refusal_is_phase_proxy_connect_with_the_proxy_answer) {
    asio::io_context io;
    scripted_proxy proxy(io, {{{"HTTP/1.1 403 Forbidden\r\nVia: 1.1 gate\r\nContent-Length: 4\r\n\r\nnope", then::close}}});
    auto o = no_env();
    o.proxy = proxy.url();
    auto [e, r] = failure(io, "ws://example.com:8080/", o);
    EXPECT_EQ(e.phase, connect_phase::proxy_connect);
    EXPECT_EQ(e.ec, error::proxy_refused);
    ASSERT_TRUE(r.tunnel);
    EXPECT_EQ(r.tunnel->diagnostics.status, 403u);
    const auto m = e.message(r);
    EXPECT_NE(m.find("403 Forbidden"), std::string::npos) << m;
    EXPECT_NE(m.find("Via: 1.1 gate"), std::string::npos) << m;
    EXPECT_NE(m.find("forbids CONNECT"), std::string::npos) << m;
}

TEST(connect_failure, missing_and_wrong_credentials_are_phase_proxy_auth) {
    asio::io_context io;
    relay_proxy proxy(io, "alice", "right");
    auto o = no_env();
    o.proxy = proxy.url();
    auto [e, r] = failure(io, "ws://example.com/", o);
    EXPECT_EQ(e.phase, connect_phase::proxy_auth);
    EXPECT_EQ(e.ec, error::proxy_auth_required);
    EXPECT_NE(e.message(r).find("--proxy-user"), std::string::npos) << e.message(r);

    asio::io_context io2;
    relay_proxy proxy2(io2, "alice", "right");
    o.proxy = "http://alice:wrong@127.0.0.1:" + std::to_string(proxy2.port());
    auto [e2, r2] = failure(io2, "ws://example.com/", o);
    EXPECT_EQ(e2.phase, connect_phase::proxy_auth);
    EXPECT_EQ(e2.ec, error::proxy_auth_failed);
    EXPECT_EQ(e2.message(r2).find("wrong"), std::string::npos) << "password leaked: " << e2.message(r2);
}

TEST(connect_failure, refused_upgrade_is_phase_handshake_with_the_status) {
    asio::io_context io;
    scripted_proxy server(io, {{{"HTTP/1.1 404 Not Found\r\nContent-Length: 9\r\n\r\nno such!!", then::close}}});
    auto [e, r] = failure(io, "ws://127.0.0.1:" + std::to_string(server.port()) + "/nowhere", no_env());
    EXPECT_EQ(e.phase, connect_phase::handshake);
    EXPECT_EQ(e.ec, error::handshake_bad_status);
    const auto m = e.message(r);
    EXPECT_NE(m.find("404 Not Found"), std::string::npos) << m;
    EXPECT_NE(m.find("no WebSocket endpoint"), std::string::npos) << m;
}

TEST(connect_failure, operations_on_a_failed_connection_return_its_error) {
    asio::io_context io;
    bool checked = false;
    asio::co_spawn(io, [&]() -> asio::awaitable<void> {
        const connect_options options = no_env();  // named: see connect_args
        auto ws = co_await burrow::connect("ws://nonexistent.invalid/", options);
        EXPECT_FALSE(ws);
        EXPECT_EQ(co_await ws.co_write_text("x"), ws.error().ec);
        auto msg = co_await ws.co_read();
        EXPECT_TRUE(!msg && msg.error() == ws.error().ec);
        EXPECT_FALSE(ws.is_open());
        checked = true;
    }, asio::detached);
    io.run_for(10s);
    EXPECT_TRUE(checked);
}

TEST(connect_timeouts, silent_server_ends_the_handshake_phase) {
    asio::io_context io;
    silent_server server(io);
    auto o = no_env();
    o.handshake_timeout = 200ms;
    std::chrono::milliseconds took{};
    auto [e, r] = failure(io, "ws://127.0.0.1:" + std::to_string(server.port()) + "/", o, &took);
    EXPECT_EQ(e.phase, connect_phase::handshake);
    EXPECT_EQ(e.ec, asio::error::timed_out);
    EXPECT_LT(took, 3s);
    EXPECT_NE(e.message(r).find("is it a WebSocket server"), std::string::npos) << e.message(r);
}

TEST(connect_timeouts, silent_proxy_ends_the_proxy_phase) {
    asio::io_context io;
    silent_server proxy(io);
    auto o = no_env();
    o.proxy = "http://127.0.0.1:" + std::to_string(proxy.port());
    o.proxy_timeout = 200ms;
    std::chrono::milliseconds took{};
    auto [e, r] = failure(io, "ws://example.com/", o, &took);
    EXPECT_EQ(e.phase, connect_phase::proxy_connect);
    EXPECT_EQ(e.ec, error::proxy_timeout);
    EXPECT_LT(took, 3s);
}

TEST(connect_timeouts, overall_deadline_names_the_phase_in_progress) {
    asio::io_context io;
    silent_server proxy(io);
    auto o = no_env();
    o.proxy = "http://127.0.0.1:" + std::to_string(proxy.port());
    o.total_timeout = 300ms;
    std::chrono::milliseconds took{};
    auto [e, r] = failure(io, "ws://example.com/", o, &took);
    EXPECT_EQ(e.phase, connect_phase::proxy_connect);
    EXPECT_EQ(e.ec, asio::error::timed_out);
    EXPECT_NE(e.message(r).find("overall timeout"), std::string::npos) << e.message(r);
    EXPECT_LT(took, 3s);
}

TEST(connect_addresses, families_alternate_from_the_first) {
    using ep = tcp::endpoint;
    const auto v4a = ep(asio::ip::make_address("192.0.2.1"), 1), v4b = ep(asio::ip::make_address("192.0.2.2"), 1);
    const auto v6a = ep(asio::ip::make_address("2001:db8::1"), 1), v6b = ep(asio::ip::make_address("2001:db8::2"), 1);
    const std::vector<ep> in{v6a, v6b, v4a, v4b}, expected{v6a, v4a, v6b, v4b};
    EXPECT_EQ(detail::interleave_families(in), expected);
    const std::vector<ep> in4{v4a, v4b, v6a}, expected4{v4a, v6a, v4b};
    EXPECT_EQ(detail::interleave_families(in4), expected4);
    EXPECT_EQ(detail::to_string(v6a), "[2001:db8::1]:1");
}

TEST(connect_addresses, first_address_refuses_the_next_one_is_tried) {
    asio::io_context io;
    ws_echo_server good(io);
    const auto loopback = asio::ip::make_address("127.0.0.1");
    const std::vector<tcp::endpoint> endpoints{tcp::endpoint(loopback, closed_port(io)), tcp::endpoint(loopback, good.port())};
    detail::attempts_outcome outcome;
    std::vector<std::string> notes;
    asio::co_spawn(io, [&]() -> asio::awaitable<void> {
        tcp::socket socket(io);
        const std::function<void(std::string_view)> note = [&](std::string_view n) { notes.emplace_back(n); };
        outcome = co_await detail::co_connect_each(socket, endpoints, 2s, note);
        io.stop();
    }, asio::detached);
    io.run_for(10s);
    EXPECT_FALSE(outcome.ec) << outcome.ec.message();
    EXPECT_EQ(outcome.connected, endpoints[1]);
    EXPECT_NE(outcome.failures.find(detail::to_string(endpoints[0])), std::string::npos) << outcome.failures;
    EXPECT_EQ(notes.size(), 3u);  // connecting to 1, its failure, connecting to 2
}
