// Tunnels through REAL proxies: co_connect_via_proxy against squid, tinyproxy, Apache
// mod_proxy_connect, proxy-chain (HTTP CONNECT) and microsocks, dante (SOCKS5) running on 127.0.0.1.
//
// Run by tests/integration/with_servers.sh, which starts the proxy and a TCP echo server and says
// where they are in the environment:
//   BURROW_TEST_PROXY_URL   the proxy, with the right credentials in the URL when it wants any
//   BURROW_TEST_PROXY_KIND  squid | tinyproxy | apache | proxy_chain | microsocks | dante
//   BURROW_TEST_PROXY_MODE  none | basic | digest (HTTP) or none | auth (SOCKS5)
//   BURROW_TEST_ECHO_PORT   the echo server on 127.0.0.1 (also on [::1] when the host has it)
// Without them every test fails: nothing here is skipped. Which assertions apply follows from the
// kind and mode (e.g. the wrong-password test expects a rejection only when the mode has auth).
// Every io_context runs with a deadline, so a hang fails the test instead of blocking CI.
#include <burrow/asio/connect_via_proxy.hpp>
#include <burrow/error.hpp>
#include <burrow/proxy/proxy_url.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/asio/write.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <future>
#include <iostream>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace {

namespace asio = boost::asio;
using asio::ip::tcp;
using namespace std::chrono_literals;
using burrow::error;
using burrow::proxy_phase;
using burrow::tunnel_result;
using burrow::proxy::proxy_scheme;
using burrow::proxy::proxy_url;

constexpr std::string_view test_user = "alice";
constexpr std::string_view test_password = "s3cret";
constexpr std::string_view test_basic_token = "YWxpY2U6czNjcmV0"; // base64("alice:s3cret")

// The deadline for one test's io_context: well above the library's own timeouts below, well
// under meson's per-test timeout.
constexpr auto io_deadline = 25s;

std::string env(const char* name) {
    const char* v = std::getenv(name);
    return v ? std::string(v) : std::string();
}

// Options with tight library timeouts: everything is on loopback.
burrow::proxy_connect_options fast_options() {
    burrow::proxy_connect_options o;
    o.connect_timeout = 5s;
    o.exchange_timeout = 8s;
    o.total_timeout = 15s;
    return o;
}

// Runs the coroutine `make()` returns on a fresh io_context for at most `limit`. nullopt when it
// did not finish in time (the io_context is then destroyed with the coroutine in it).
template <class MakeAwaitable>
auto run_with_deadline(MakeAwaitable make, std::chrono::steady_clock::duration limit = io_deadline)
    -> std::optional<typename decltype(make())::value_type> {
    asio::io_context io;
    auto future = asio::co_spawn(io, make(), asio::use_future);
    io.run_for(limit);
    if (future.wait_for(0s) != std::future_status::ready)
        return std::nullopt;
    return future.get();
}

// Deterministic bytes, every value 0..255 included, so a dropped, doubled or reordered piece shows.
std::string make_payload(std::size_t size) {
    std::string out(size, '\0');
    std::uint32_t x = 0x12345678u;
    for (auto& c : out) {
        x = x * 1664525u + 1013904223u;
        c = static_cast<char>(x >> 24);
    }
    return out;
}

struct round_trip_result {
    tunnel_result tunnel;
    std::string leftover;           // what the tunnel handed over before the socket was read
    std::string received;           // leftover + everything read back
    boost::system::error_code write_ec;
    boost::system::error_code read_ec;
    bool eof_after_echo = false;    // the far end closed after we shut down our sending side
    std::size_t extra_bytes = 0;    // bytes that came after the echo (must be none)
};

// Opens a tunnel to host:port through `proxy` and, when it opens, sends `payload` in pieces of
// varying size while reading the echo back, until exactly payload.size() bytes came back. Then
// shuts down the sending side and expects the end of stream (no extra bytes).
asio::awaitable<round_trip_result> co_round_trip(proxy_url proxy, std::string host, std::uint16_t port,
                                                 burrow::proxy_connect_options options, std::string payload) {
    using asio::as_tuple;
    using asio::use_awaitable;
    using namespace asio::experimental::awaitable_operators;
    round_trip_result r;
    tcp::socket socket(co_await asio::this_coro::executor);
    r.tunnel = co_await burrow::co_connect_via_proxy(socket, proxy, host, port, options);
    if (!r.tunnel)
        co_return r;
    r.leftover = r.tunnel.leftover;
    r.received = r.leftover; // tunnel bytes that came with the proxy's reply come first

    auto writer = [&]() -> asio::awaitable<boost::system::error_code> {
        static constexpr std::size_t pieces[] = {1, 7, 100, 1000, 4096, 1, 16384, 333, 30000, 2};
        std::size_t off = 0;
        for (std::size_t i = 0; off < payload.size(); ++i) {
            const std::size_t n = std::min(pieces[i % std::size(pieces)], payload.size() - off);
            auto [ec, written] = co_await asio::async_write(socket, asio::buffer(payload.data() + off, n),
                                                            as_tuple(use_awaitable));
            if (ec)
                co_return ec;
            off += written;
        }
        co_return boost::system::error_code{};
    };
    auto reader = [&]() -> asio::awaitable<boost::system::error_code> {
        std::vector<char> chunk(8192);
        while (r.received.size() < payload.size()) {
            auto [ec, n] = co_await socket.async_read_some(asio::buffer(chunk), as_tuple(use_awaitable));
            if (ec)
                co_return ec;
            r.received.append(chunk.data(), n);
        }
        co_return boost::system::error_code{};
    };
    auto [wec, rec] = co_await (writer() && reader());
    r.write_ec = wec;
    r.read_ec = rec;
    if (wec || rec)
        co_return r;

    boost::system::error_code ignored;
    socket.shutdown(tcp::socket::shutdown_send, ignored);
    std::vector<char> chunk(4096);
    for (;;) {
        auto [ec, n] = co_await socket.async_read_some(asio::buffer(chunk), as_tuple(use_awaitable));
        r.extra_bytes += n;
        if (ec) {
            r.eof_after_echo = ec == asio::error::eof || ec == asio::error::connection_reset;
            break;
        }
    }
    co_return r;
}

asio::awaitable<tunnel_result> co_tunnel_only(proxy_url proxy, std::string host, std::uint16_t port,
                                              burrow::proxy_connect_options options) {
    tcp::socket socket(co_await asio::this_coro::executor);
    co_return co_await burrow::co_connect_via_proxy(socket, proxy, host, port, options);
}

// A port on 127.0.0.1 with no listener: bound by the kernel, then released.
std::uint16_t closed_port() {
    asio::io_context io;
    tcp::acceptor a(io, tcp::endpoint(asio::ip::make_address_v4("127.0.0.1"), 0));
    const auto port = a.local_endpoint().port();
    a.close();
    return port;
}

class ProxyTunnel : public ::testing::Test {
protected:
    void SetUp() override {
        kind_ = env("BURROW_TEST_PROXY_KIND");
        mode_ = env("BURROW_TEST_PROXY_MODE");
        const std::string url = env("BURROW_TEST_PROXY_URL");
        const std::string echo = env("BURROW_TEST_ECHO_PORT");
        ASSERT_FALSE(kind_.empty() || mode_.empty() || url.empty() || echo.empty())
            << "BURROW_TEST_PROXY_URL/KIND/MODE and BURROW_TEST_ECHO_PORT are not set: run this binary through "
               "tests/integration/with_servers.sh FIXTURE MODE -- COMMAND (meson test --suite integration does)";
        auto parsed = burrow::proxy::parse_proxy_url(url);
        ASSERT_TRUE(parsed.has_value()) << "cannot parse BURROW_TEST_PROXY_URL=" << url << ": "
                                        << parsed.error().message();
        proxy_ = *parsed;
        const unsigned long p = std::strtoul(echo.c_str(), nullptr, 10);
        ASSERT_TRUE(p > 0 && p < 65536) << "bad BURROW_TEST_ECHO_PORT=" << echo;
        echo_port_ = static_cast<std::uint16_t>(p);
        ASSERT_EQ(has_auth(), proxy_.has_credentials())
            << "mode " << mode_ << " and the credentials in the URL disagree";
        static const std::vector<std::string> kinds = {"squid", "tinyproxy", "apache", "proxy_chain", "microsocks",
                                                       "dante"};
        ASSERT_NE(std::find(kinds.begin(), kinds.end(), kind_), kinds.end()) << "unknown proxy kind " << kind_;
        ASSERT_EQ(is_socks(), kind_ == "microsocks" || kind_ == "dante") << "kind " << kind_ << " with " << url;
    }

    bool is_socks() const { return proxy_.scheme == proxy_scheme::socks5 || proxy_.scheme == proxy_scheme::socks5h; }
    bool has_auth() const { return mode_ != "none"; }
    bool is_digest() const { return mode_ == "digest"; }
    std::string where() const { return kind_ + " (" + mode_ + ") at " + proxy_.redacted(); }

    // The proxy with other credentials (empty user and password: none).
    proxy_url with_credentials(std::string user, std::string password) const {
        proxy_url p = proxy_;
        p.user = std::move(user);
        p.password = std::move(password);
        return p;
    }

    round_trip_result round_trip(const proxy_url& proxy, const std::string& host, std::size_t size,
                                 burrow::proxy_connect_options options = fast_options()) {
        auto r = run_with_deadline(
            [&] { return co_round_trip(proxy, host, echo_port_, options, make_payload(size)); });
        if (!r) {
            ADD_FAILURE() << "the tunnel through " << where() << " to " << host << ":" << echo_port_
                          << " did not finish within " << std::chrono::duration<double>(io_deadline).count() << " s";
            return {};
        }
        return std::move(*r);
    }

    tunnel_result tunnel(const proxy_url& proxy, const std::string& host, std::uint16_t port,
                         burrow::proxy_connect_options options = fast_options()) {
        auto r = run_with_deadline([&] { return co_tunnel_only(proxy, host, port, options); });
        if (!r) {
            ADD_FAILURE() << "co_connect_via_proxy through " << where() << " did not finish within "
                          << std::chrono::duration<double>(io_deadline).count() << " s";
            tunnel_result t;
            t.ec = error::proxy_timeout;
            return t;
        }
        return std::move(*r);
    }

    // The checks every successful round trip must pass.
    void expect_echoed(const round_trip_result& r, std::size_t size, const std::string& what,
                       const proxy_url* via = nullptr) {
        ASSERT_TRUE(r.tunnel) << what << ": " << r.tunnel.message();
        EXPECT_EQ(r.tunnel.phase, proxy_phase::tunnel_open) << what;
        // The echo server never speaks first, so no proxy may hand over tunnel bytes with its reply.
        EXPECT_TRUE(r.leftover.empty()) << what << ": " << r.leftover.size() << " leftover bytes";
        EXPECT_FALSE(r.write_ec) << what << ": write: " << r.write_ec.message();
        EXPECT_FALSE(r.read_ec) << what << ": read: " << r.read_ec.message() << " after " << r.received.size()
                                << " of " << size << " bytes";
        EXPECT_EQ(r.received.size(), size) << what;
        EXPECT_TRUE(r.received == make_payload(size)) << what << ": the bytes that came back differ";
        EXPECT_TRUE(r.eof_after_echo) << what << ": no end of stream after shutting down the sending side";
        EXPECT_EQ(r.extra_bytes, 0u) << what << ": bytes after the echo";
        EXPECT_EQ(r.tunnel.proxy, (via ? *via : proxy_).redacted()) << what;
        EXPECT_EQ(r.tunnel.proxy.find(test_password), std::string::npos) << what << ": password in tunnel_result::proxy";
    }

    std::string kind_;
    std::string mode_;
    proxy_url proxy_;
    std::uint16_t echo_port_ = 0;
};

// (a) 100 KB through the tunnel and back, byte for byte, with the credentials of the URL.
// (e) in the digest modes the tunnel must have been opened with Digest.
TEST_F(ProxyTunnel, RoundTrip100KB) {
    constexpr std::size_t size = 100 * 1024;
    const auto r = round_trip(proxy_, "127.0.0.1", size);
    expect_echoed(r, size, "round trip through " + where());
    if (!r.tunnel || is_socks())
        return;
    const auto& d = r.tunnel.diagnostics;
    EXPECT_EQ(d.status / 100, 2u) << d.status_line;
    if (!has_auth()) {
        EXPECT_EQ(d.rounds, 1u);
        EXPECT_EQ(d.auth_scheme, "");
    } else {
        // the first CONNECT carries no credentials; the proxy's 407 names the scheme
        EXPECT_EQ(d.rounds, 2u);
        EXPECT_EQ(d.auth_scheme, is_digest() ? "digest" : "basic");
    }
}

// Several tunnels at once through the same proxy, each with its own bytes.
TEST_F(ProxyTunnel, ConcurrentTunnels) {
    using namespace asio::experimental::awaitable_operators;
    constexpr std::size_t size = 20 * 1024;
    const auto opts = fast_options();
    auto results = run_with_deadline([&]() -> asio::awaitable<std::vector<round_trip_result>> {
        auto [a, b, c] = co_await (co_round_trip(proxy_, "127.0.0.1", echo_port_, opts, make_payload(size)) &&
                                   co_round_trip(proxy_, "127.0.0.1", echo_port_, opts, make_payload(size)) &&
                                   co_round_trip(proxy_, "127.0.0.1", echo_port_, opts, make_payload(size)));
        co_return std::vector<round_trip_result>{std::move(a), std::move(b), std::move(c)};
    });
    ASSERT_TRUE(results) << "three concurrent tunnels through " << where() << " did not finish in time";
    for (std::size_t i = 0; i < results->size(); ++i)
        expect_echoed((*results)[i], size, "concurrent tunnel " + std::to_string(i) + " through " + where());
}

// (b) wrong password: rejected when the proxy checks credentials; ignored when it wants none.
TEST_F(ProxyTunnel, WrongPassword) {
    const auto t = tunnel(with_credentials(std::string(test_user), "not-the-password"), "127.0.0.1", echo_port_);
    if (!has_auth()) {
        // a proxy that asks for nothing is never offered the credentials (HTTP: no 407; SOCKS5:
        // the server picks "no authentication"), so the tunnel opens
        EXPECT_TRUE(t) << where() << ": " << t.message();
        return;
    }
    ASSERT_FALSE(t) << where() << " accepted a wrong password";
    std::cout << "[   info   ] " << kind_ << " (" << mode_ << "), wrong password: " << t.message() << "\n";
    EXPECT_FALSE(t.message().empty());
    EXPECT_EQ(t.message().find("not-the-password"), std::string::npos) << t.message();
    if (is_socks()) {
        EXPECT_EQ(t.ec, error::socks_auth_failed) << t.message();
        EXPECT_EQ(t.phase, proxy_phase::socks) << t.message();
        return;
    }
    EXPECT_EQ(t.ec, error::proxy_auth_failed) << t.message();
    EXPECT_EQ(t.phase, proxy_phase::proxy_authentication) << t.message();
    // tinyproxy 1.11 answers wrong credentials with 401 + WWW-Authenticate (tinyproxy#532)
    EXPECT_EQ(t.diagnostics.status, kind_ == "tinyproxy" ? 401u : 407u) << t.diagnostics.status_line;
    EXPECT_NE(t.message().find(std::to_string(t.diagnostics.status)), std::string::npos) << t.message();
}

// (b) no credentials: the proxy asks for them when the mode has auth.
TEST_F(ProxyTunnel, NoCredentials) {
    const auto t = tunnel(with_credentials("", ""), "127.0.0.1", echo_port_);
    if (!has_auth()) {
        EXPECT_TRUE(t) << where() << ": " << t.message();
        return;
    }
    ASSERT_FALSE(t) << where() << " opened a tunnel without credentials";
    std::cout << "[   info   ] " << kind_ << " (" << mode_ << "), no credentials: " << t.message() << "\n";
    EXPECT_FALSE(t.message().empty());
    if (is_socks()) {
        // microsocks with -u/-P offers only username/password: 05 FF to a client offering none
        EXPECT_EQ(t.ec, error::socks_no_acceptable_method) << t.message();
        EXPECT_EQ(t.phase, proxy_phase::socks) << t.message();
        return;
    }
    EXPECT_EQ(t.ec, error::proxy_auth_required) << t.message();
    EXPECT_EQ(t.phase, proxy_phase::proxy_authentication) << t.message();
    EXPECT_EQ(t.diagnostics.status, 407u) << t.diagnostics.status_line;
    EXPECT_EQ(t.diagnostics.rounds, 1u);
    const std::string scheme = is_digest() ? "digest" : "basic";
    std::string challenge = t.diagnostics.proxy_authenticate;
    std::transform(challenge.begin(), challenge.end(), challenge.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    EXPECT_NE(challenge.find(scheme), std::string::npos) << t.diagnostics.proxy_authenticate;
}

// (c) a target port with no listener: the proxy's refusal reaches the caller with its status.
TEST_F(ProxyTunnel, RefusedTarget) {
    const std::uint16_t port = closed_port();
    const auto t = tunnel(proxy_, "127.0.0.1", port);
    ASSERT_FALSE(t) << where() << " opened a tunnel to the closed port 127.0.0.1:" << port;
    const std::string msg = t.message();
    std::cout << "[   info   ] " << kind_ << " (" << mode_ << "), closed target port: " << msg << "\n";
    EXPECT_FALSE(msg.empty());
    EXPECT_EQ(msg.find(test_password), std::string::npos) << msg;
    if (is_socks()) {
        // microsocks and dante both reply 0x05 "connection refused"
        EXPECT_EQ(t.ec, error::socks_connection_refused) << msg;
        EXPECT_EQ(t.phase, proxy_phase::socks) << msg;
        return;
    }
    EXPECT_EQ(t.phase, proxy_phase::proxy_connect) << msg;
    if (kind_ == "proxy_chain") {
        // proxy-chain 3.0.1 closes the connection without a byte when the target refuses
        EXPECT_EQ(t.ec, error::proxy_closed) << msg;
        EXPECT_EQ(t.diagnostics.rounds, has_auth() ? 2u : 1u) << msg;
        // The last round got nothing, so nothing from an earlier round (a 407) may be quoted.
        EXPECT_EQ(t.diagnostics.status, 0u) << t.diagnostics.status_line;
        EXPECT_EQ(msg.find("The proxy answered"), std::string::npos) << msg;  // (the port may contain "407")
        return;
    }
    EXPECT_EQ(t.ec, error::proxy_refused) << msg;
    const unsigned want = kind_ == "tinyproxy" ? 500u : 503u; // squid and Apache: 503
    EXPECT_EQ(t.diagnostics.status, want) << t.diagnostics.status_line;
    EXPECT_NE(msg.find(std::to_string(want)), std::string::npos) << msg;
    if (kind_ == "squid") {
        // squid's own error code and the text of its error page reach the user.
        EXPECT_NE(msg.find("ERR_CONNECT_FAIL"), std::string::npos) << msg;
        EXPECT_NE(msg.find("Connection refused"), std::string::npos) << msg;
    }
}

// (d) the trace hook sees every head, with credentials redacted.
TEST_F(ProxyTunnel, TraceRedactsCredentials) {
    struct traced {
        burrow::trace_direction dir;
        std::string head;
    };
    std::vector<traced> heads;
    auto opts = fast_options();
    opts.trace = [&](burrow::trace_direction d, std::string_view h) { heads.push_back({d, std::string(h)}); };
    const auto t = tunnel(proxy_, "127.0.0.1", echo_port_, opts);
    ASSERT_TRUE(t) << where() << ": " << t.message();
    std::string all;
    for (const auto& h : heads)
        all += h.head;
    EXPECT_EQ(all.find(test_password), std::string::npos) << all;
    EXPECT_EQ(all.find(test_basic_token), std::string::npos) << all;
    if (is_socks()) {
        EXPECT_TRUE(heads.empty()) << "SOCKS5 has no HTTP heads, yet the trace saw: " << all;
        return;
    }
    std::vector<std::string> sent, received;
    for (const auto& h : heads)
        (h.dir == burrow::trace_direction::to_proxy ? sent : received).push_back(h.head);
    ASSERT_EQ(sent.size(), has_auth() ? 2u : 1u) << all;
    ASSERT_EQ(received.size(), sent.size()) << all;
    const std::string request_line = "CONNECT 127.0.0.1:" + std::to_string(echo_port_) + " HTTP/1.1\r\n";
    for (const auto& s : sent)
        EXPECT_EQ(s.rfind(request_line, 0), 0u) << s;
    EXPECT_EQ(sent.front().find("Proxy-Authorization"), std::string::npos) << sent.front();
    if (has_auth()) {
        const std::string want =
            std::string("Proxy-Authorization: ") + (is_digest() ? "Digest" : "Basic") + " <redacted>\r\n";
        EXPECT_NE(sent.back().find(want), std::string::npos) << sent.back();
        EXPECT_NE(received.front().find(" 407 "), std::string::npos) << received.front();
    }
    EXPECT_NE(received.back().find(" 200 "), std::string::npos) << received.back();
}

// (d) Basic sent with the first CONNECT: one round, and still redacted in the trace.
TEST_F(ProxyTunnel, PreemptiveBasic) {
    std::string sent;
    auto opts = fast_options();
    opts.preemptive_basic = true;
    opts.trace = [&](burrow::trace_direction d, std::string_view h) {
        if (d == burrow::trace_direction::to_proxy)
            sent += h;
    };
    constexpr std::size_t size = 4096;
    const auto r = round_trip(proxy_, "127.0.0.1", size, opts);
    expect_echoed(r, size, "round trip with preemptive Basic through " + where());
    EXPECT_EQ(sent.find(test_password), std::string::npos) << sent;
    EXPECT_EQ(sent.find(test_basic_token), std::string::npos) << sent;
    if (is_socks() || !r.tunnel)
        return;
    if (mode_ == "basic") {
        EXPECT_EQ(r.tunnel.diagnostics.rounds, 1u);
        EXPECT_EQ(r.tunnel.diagnostics.auth_scheme, "basic");
        EXPECT_NE(sent.find("Proxy-Authorization: Basic <redacted>\r\n"), std::string::npos) << sent;
    } else if (is_digest()) {
        // the proxy wants Digest: the unasked-for Basic is answered with a 407, then Digest
        EXPECT_EQ(r.tunnel.diagnostics.auth_scheme, "digest");
    }
}

// (f) the target given by name: socks5h:// lets the proxy resolve "localhost", socks5:// resolves
// it here and sends the address; an HTTP proxy resolves the CONNECT authority itself.
TEST_F(ProxyTunnel, TargetNamedLocalhost) {
    constexpr std::size_t size = 8192;
    if (!is_socks()) {
        expect_echoed(round_trip(proxy_, "localhost", size), size, "CONNECT localhost through " + where());
        return;
    }
    proxy_url remote = proxy_;
    remote.scheme = proxy_scheme::socks5h;
    expect_echoed(round_trip(remote, "localhost", size), size, "socks5h:// localhost through " + where(), &remote);
    proxy_url local = proxy_;
    local.scheme = proxy_scheme::socks5;
    expect_echoed(round_trip(local, "localhost", size), size, "socks5:// localhost through " + where(), &local);
}

// An IPv6 literal target ([::1], SOCKS5 address type 4), when this host has [::1] (the echo server
// listens there too; "localhost" resolves to ::1 first on many hosts). HTTP fixtures only let
// 127.0.0.1 and localhost through, so this is SOCKS5 only.
TEST_F(ProxyTunnel, TargetIPv6Loopback) {
    if (!is_socks()) {
        SUCCEED() << "SOCKS5 only";
        return;
    }
    {
        asio::io_context io;
        tcp::socket probe(io);
        boost::system::error_code ec;
        probe.connect(tcp::endpoint(asio::ip::make_address("::1"), echo_port_), ec);
        if (ec) {
            std::cout << "[   info   ] no echo server on [::1]:" << echo_port_ << " (" << ec.message()
                      << "): this host has no IPv6 loopback; not tested\n";
            return;
        }
    }
    constexpr std::size_t size = 8192;
    expect_echoed(round_trip(proxy_, "::1", size), size, "[::1] through " + where());
}

// A name that does not resolve, through socks5://, fails before the proxy is asked, in its own phase.
TEST_F(ProxyTunnel, UnresolvableNameWithLocalResolution) {
    if (!is_socks()) {
        SUCCEED() << "socks5:// only";
        return;
    }
    proxy_url local = proxy_;
    local.scheme = proxy_scheme::socks5;
    const auto t = tunnel(local, "no-such-host.invalid", echo_port_);
    ASSERT_FALSE(t);
    EXPECT_EQ(t.phase, proxy_phase::resolve_target) << t.message();
}

} // namespace
