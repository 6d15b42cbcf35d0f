// What the TLS integration tests share: where the real peers are (the environment that
// with_tls_servers.sh exports), and one coroutine per path that a wss:// or ws:// session can take
// (direct, through an http:// proxy, through an https:// proxy), each ending in the same WebSocket
// exercise against the Python `websockets` echo servers.
//
// Each path reports every stage it went through (tunnel, TLS to the origin, upgrade, messages,
// close) so a test can assert on the stage that failed and on its error and message.
#pragma once

#include <burrow/asio/connect_via_proxy.hpp>
#include <burrow/asio/handshake.hpp>
#include <burrow/asio/stream.hpp>
#include <burrow/asio/tls.hpp>
#include <burrow/asio/tls_proxy.hpp>
#include <burrow/error.hpp>
#include <burrow/proxy/proxy_url.hpp>
#include <burrow/tls/options.hpp>
#include <burrow/tls/result.hpp>
#include <burrow/ws/handshake.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <future>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace burrow_tls_it {

namespace asio = boost::asio;
namespace ssl = boost::asio::ssl;
using asio::ip::tcp;
using namespace std::chrono_literals;

// One test's io_context deadline: above the library timeouts set below, under meson's timeout.
constexpr auto io_deadline = 30s;
constexpr std::size_t big_message = 1024 * 1024;

inline std::string env(const char* name) {
    const char* v = std::getenv(name);
    return v ? std::string(v) : std::string();
}

// A port from the environment; a missing one fails the test that asked (no skipping).
inline std::uint16_t env_port(const char* name) {
    const std::string v = env(name);
    const unsigned long p = std::strtoul(v.c_str(), nullptr, 10);
    if (v.empty() || p == 0 || p > 65535) {
        ADD_FAILURE() << name << "=" << v
                      << " is not a port: run this binary through tests/tls/integration/with_tls_servers.sh -- "
                         "COMMAND (meson test --suite integration does)";
        return 0;
    }
    return static_cast<std::uint16_t>(p);
}

inline std::string env_file(const char* name) {
    const std::string v = env(name);
    if (v.empty())
        ADD_FAILURE() << name << " is not set: run this binary through tests/tls/integration/with_tls_servers.sh";
    return v;
}

// Deterministic bytes, every value 0..255, so a dropped, doubled or reordered piece shows.
inline std::string make_payload(std::size_t size) {
    std::string out(size, '\0');
    std::uint32_t x = 0x9e3779b9u;
    for (auto& c : out) {
        x = x * 1664525u + 1013904223u;
        c = static_cast<char>(x >> 24);
    }
    return out;
}

// Runs the coroutine `make()` returns on a fresh io_context for at most `limit`; nullopt when it
// did not finish in time.
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

// TLS settings trusting only the given CA (not the system store: a test must not pass because
// some public root happens to match).
inline burrow::tls_options trusting(const std::string& ca_file) {
    burrow::tls_options o;
    o.use_system_ca = false;
    o.ca_file = ca_file;
    o.handshake_timeout = 8s;
    return o;
}

// The system store only: the test CAs are unknown to it.
inline burrow::tls_options system_store_only() {
    burrow::tls_options o;
    o.handshake_timeout = 8s;
    return o;
}

inline burrow::proxy_connect_options fast_proxy_options() {
    burrow::proxy_connect_options o;
    o.connect_timeout = 5s;
    o.exchange_timeout = 8s;
    o.total_timeout = 15s;
    return o;
}

inline burrow::proxy::proxy_url proxy_at(std::string_view scheme, std::string_view host, std::uint16_t port,
                                         std::string_view user = {}, std::string_view password = {}) {
    std::string url = std::string(scheme) + "://";
    if (!user.empty())
        url += std::string(user) + ":" + std::string(password) + "@";
    url += std::string(host) + ":" + std::to_string(port);
    auto parsed = burrow::proxy::parse_proxy_url(url);
    if (!parsed) {
        ADD_FAILURE() << "cannot parse the proxy URL " << url;
        return {};
    }
    return *parsed;
}

// What to do once the WebSocket is open.
struct exercise {
    bool read_first = false;  // the server speaks first (/sni, /client-cert): keep its message
    bool echo = true;         // a text and a binary round trip, then a 1 MiB binary one
};

// Every stage of one session. A stage that did not run keeps its default (success) value, so
// `stage` says how far the session got.
struct session_report {
    std::string stage = "start";  // tunnel, tls, upgrade, first message, echo, close, done
    bool tunnel_used = false;
    burrow::tunnel_result tunnel;
    burrow::tls_context_result context;  // the origin's context, when it could not be made
    burrow::tls_result tls;              // the TLS session to the origin (wss://)
    burrow::handshake_result upgrade;
    boost::system::error_code ws_ec;     // the first failure after the upgrade
    std::string first_message;
    std::string echoed_text;
    std::string echoed_binary;           // the small binary message
    std::string echoed_big;              // the 1 MiB one
    bool text_type_ok = false, binary_type_ok = false, big_type_ok = false;
    boost::system::error_code close_ec;
    burrow::ws::close_code peer_close = burrow::ws::close_code::no_status;

    bool done() const { return stage == "done"; }

    // Everything a failed assertion should show.
    std::string summary() const {
        std::string out = "stopped at: " + stage;
        if (tunnel_used)
            out += "\n  tunnel: " + tunnel.message();
        if (tunnel.tls.ec || !tunnel.tls.version.empty())
            out += "\n  TLS to the proxy: " + tunnel.tls.message();
        if (!context)
            out += "\n  context: " + context.message();
        out += "\n  TLS to the origin: " + tls.message();
        out += "\n  upgrade: " + upgrade.message();
        if (ws_ec)
            out += "\n  websocket: " + ws_ec.message();
        if (close_ec)
            out += "\n  close: " + close_ec.message();
        return out;
    }
};

namespace detail {

template <class Transport>
asio::awaitable<void> co_websocket_part(Transport& transport, burrow::ws::ws_url url,
                                        std::vector<std::byte> already, exercise plan, session_report& r) {
    r.stage = "upgrade";
    burrow::handshake_options hopts;
    hopts.timeout = 10s;
    r.upgrade = co_await burrow::co_handshake(transport, url, hopts, already);
    if (!r.upgrade)
        co_return;

    burrow::websocket::stream_options sopts;
    sopts.max_message_size = 4 * big_message;
    sopts.close_timeout = 5s;
    sopts.idle_timeout = 10s;
    const std::vector<std::byte> leftover = r.upgrade.leftover;
    burrow::websocket::stream<Transport> ws(std::move(transport), burrow::websocket::role::client, sopts, leftover);

    std::string buffer;
    if (plan.read_first) {
        r.stage = "first message";
        auto m = co_await ws.co_read(buffer);
        if (!m) {
            r.ws_ec = m.error();
            co_return;
        }
        r.first_message = buffer;
    }
    if (plan.echo) {
        r.stage = "echo";
        const std::string text = "hello over TLS: \xc3\xa9t\xc3\xa9 \xe2\x9c\x93";
        const std::string small = make_payload(1000);
        const std::string big = make_payload(big_message);
        struct step {
            const std::string* payload;
            burrow::websocket::opcode type;
            std::string* out;
            bool* type_ok;
        };
        const step steps[] = {{&text, burrow::websocket::opcode::text, &r.echoed_text, &r.text_type_ok},
                              {&small, burrow::websocket::opcode::binary, &r.echoed_binary, &r.binary_type_ok},
                              {&big, burrow::websocket::opcode::binary, &r.echoed_big, &r.big_type_ok}};
        for (const auto& s : steps) {
            const auto bytes = std::as_bytes(std::span(s.payload->data(), s.payload->size()));
            if (auto ec = co_await ws.co_write(bytes, s.type)) {
                r.ws_ec = ec;
                co_return;
            }
            auto m = co_await ws.co_read(buffer);
            if (!m) {
                r.ws_ec = m.error();
                co_return;
            }
            *s.out = buffer;
            *s.type_ok = m->type == s.type;
        }
    }
    r.stage = "close";
    r.close_ec = co_await ws.co_close(burrow::websocket::close_code::normal);
    r.peer_close = ws.peer_close_code();
    if (!r.close_ec)
        r.stage = "done";
}

// TLS to the origin over `next` (already connected, directly or through a tunnel), then the
// WebSocket part.
template <class Next>
asio::awaitable<void> co_tls_origin_part(Next next, ssl::context& ctx, burrow::ws::ws_url url,
                                         burrow::tls_options origin_tls, std::vector<std::byte> already,
                                         exercise plan, session_report& r) {
    r.stage = "tls";
    ssl::stream<Next> tls(std::move(next), ctx);
    r.tls = co_await burrow::co_tls_handshake(tls, url.host, origin_tls, burrow::tls_peer::origin);
    if (!r.tls)
        co_return;
    co_await co_websocket_part(tls, url, std::move(already), plan, r);
}

inline asio::awaitable<boost::system::error_code> co_tcp_connect(tcp::socket& socket, std::string host,
                                                                 std::uint16_t port) {
    tcp::resolver resolver(socket.get_executor());
    auto [rec, endpoints] = co_await resolver.async_resolve(host, std::to_string(port),
                                                            asio::as_tuple(asio::use_awaitable));
    if (rec)
        co_return rec;
    auto [cec, ep] = co_await asio::async_connect(socket, endpoints, asio::as_tuple(asio::use_awaitable));
    co_return cec;
}

inline std::vector<std::byte> as_byte_vector(const std::string& s) {
    const auto* p = reinterpret_cast<const std::byte*>(s.data());
    return {p, p + s.size()};
}

} // namespace detail

// ws:// or wss:// straight to the server of `url_text`.
inline asio::awaitable<session_report> co_direct(std::string url_text, burrow::tls_options origin_tls, exercise plan) {
    session_report r;
    auto url = burrow::ws::parse_ws_url(url_text);
    if (!url) {
        r.stage = "bad url";
        co_return r;
    }
    tcp::socket socket(co_await asio::this_coro::executor);
    r.stage = "connect";
    if (auto ec = co_await detail::co_tcp_connect(socket, url->host, url->port)) {
        r.ws_ec = ec;
        co_return r;
    }
    // named, not `{}`: GCC 12.2 destroys a braced temporary argument of a coroutine twice
    const std::vector<std::byte> nothing_read;
    if (!url->secure) {
        co_await detail::co_websocket_part(socket, *url, nothing_read, plan, r);
        co_return r;
    }
    r.context = burrow::make_client_context(origin_tls);
    if (!r.context)
        co_return r;
    co_await detail::co_tls_origin_part(std::move(socket), *r.context.context, *url, origin_tls, nothing_read, plan,
                                        r);
    co_return r;
}

// Through an http:// proxy (a TCP tunnel), then TLS to the origin for wss://.
inline asio::awaitable<session_report> co_via_http_proxy(burrow::proxy::proxy_url proxy, std::string url_text,
                                                         burrow::tls_options origin_tls, exercise plan) {
    session_report r;
    auto url = burrow::ws::parse_ws_url(url_text);
    if (!url) {
        r.stage = "bad url";
        co_return r;
    }
    tcp::socket socket(co_await asio::this_coro::executor);
    r.stage = "tunnel";
    r.tunnel_used = true;
    const auto popts = fast_proxy_options();
    r.tunnel = co_await burrow::co_connect_via_proxy(socket, proxy, url->host, url->port, popts);
    if (!r.tunnel)
        co_return r;
    auto already = detail::as_byte_vector(r.tunnel.leftover);
    if (!url->secure) {
        co_await detail::co_websocket_part(socket, *url, std::move(already), plan, r);
        co_return r;
    }
    r.context = burrow::make_client_context(origin_tls);
    if (!r.context)
        co_return r;
    co_await detail::co_tls_origin_part(std::move(socket), *r.context.context, *url, origin_tls, std::move(already),
                                        plan, r);
    co_return r;
}

// Through an https:// proxy: TLS to the proxy, CONNECT inside it, then for wss:// a second TLS
// session to the origin inside the first (TLS in TLS on one TCP connection).
inline asio::awaitable<session_report> co_via_https_proxy(burrow::proxy::proxy_url proxy,
                                                          burrow::tls_options proxy_tls, std::string url_text,
                                                          burrow::tls_options origin_tls, exercise plan,
                                                          burrow::proxy_connect_options popts) {
    session_report r;
    auto url = burrow::ws::parse_ws_url(url_text);
    if (!url) {
        r.stage = "bad url";
        co_return r;
    }
    auto proxy_ctx = burrow::make_client_context(proxy_tls);
    if (!proxy_ctx) {
        r.stage = "proxy context";
        r.context = std::move(proxy_ctx);
        co_return r;
    }
    ssl::stream<tcp::socket> to_proxy(co_await asio::this_coro::executor, *proxy_ctx.context);
    r.stage = "tunnel";
    r.tunnel_used = true;
    r.tunnel = co_await burrow::co_connect_via_proxy(to_proxy, proxy, url->host, url->port, popts, proxy_tls);
    if (!r.tunnel)
        co_return r;
    auto already = detail::as_byte_vector(r.tunnel.leftover);
    if (!url->secure) {
        co_await detail::co_websocket_part(to_proxy, *url, std::move(already), plan, r);
        co_return r;
    }
    r.context = burrow::make_client_context(origin_tls);
    if (!r.context)
        co_return r;
    co_await detail::co_tls_origin_part(std::move(to_proxy), *r.context.context, *url, origin_tls,
                                        std::move(already), plan, r);
    co_return r;
}

// The same with the fast proxy options. (Overloads, not a defaulted argument: GCC 12.2 and
// coroutines with defaulted class-type arguments do not mix.)
inline asio::awaitable<session_report> co_via_https_proxy(burrow::proxy::proxy_url proxy,
                                                          burrow::tls_options proxy_tls, std::string url_text,
                                                          burrow::tls_options origin_tls, exercise plan) {
    const auto popts = fast_proxy_options();
    co_return co_await co_via_https_proxy(std::move(proxy), std::move(proxy_tls), std::move(url_text),
                                          std::move(origin_tls), plan, popts);
}

// The checks of a session that must have gone all the way.
inline void expect_complete(const session_report& r, const std::string& what) {
    ASSERT_TRUE(r.done()) << what << ": " << r.summary();
    EXPECT_EQ(r.echoed_text, "hello over TLS: \xc3\xa9t\xc3\xa9 \xe2\x9c\x93") << what;
    EXPECT_TRUE(r.text_type_ok) << what << ": the text message came back with another opcode";
    EXPECT_TRUE(r.echoed_binary == make_payload(1000)) << what << ": the 1000-byte binary echo differs";
    EXPECT_TRUE(r.binary_type_ok) << what;
    EXPECT_EQ(r.echoed_big.size(), big_message) << what;
    EXPECT_TRUE(r.echoed_big == make_payload(big_message)) << what << ": the 1 MiB echo differs";
    EXPECT_TRUE(r.big_type_ok) << what;
    EXPECT_FALSE(r.close_ec) << what << ": close: " << r.close_ec.message();
    EXPECT_EQ(r.peer_close, burrow::ws::close_code::normal) << what << ": the server's Close code";
}

inline bool contains(std::string_view haystack, std::string_view needle) {
    return haystack.find(needle) != std::string_view::npos;
}

} // namespace burrow_tls_it
