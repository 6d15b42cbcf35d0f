// A small HTTP CONNECT proxy (RFC 9110 §9.3.6) that runs inside your process: the proxy of the
// examples, of the tests and of scripts/demo.sh. Header-only; needs burrow_core (the HTTP head
// parser, Basic credentials) and Boost.Asio.
//
//   boost::asio::io_context io;
//   burrow::examples::connect_proxy_options options;
//   options.basic = burrow::proxy::credentials{"alice", "s3cret"};   // answer 407 without them
//   burrow::examples::connect_proxy_server proxy(io.get_executor(), options);  // 127.0.0.1, any port
//   proxy.start();
//   ... connect through http://alice:s3cret@127.0.0.1:<proxy.port()> ...
//   io.run();
//
// Theory of operation: one coroutine accepts connections; each connection gets a coroutine that
// reads a request head with burrow's http::head_parser (bounded: 16 KiB, and `head_timeout`),
// checks it, and answers:
//   - 407 Proxy Authentication Required with `Proxy-Authenticate: Basic realm="..."` when
//     `basic` is set and Proxy-Authorization does not carry those credentials; the connection
//     stays open for the next attempt (HTTP/1.1 keep-alive, as curl and burrow expect), at most
//     `max_requests_per_connection` requests;
//   - 405 for methods other than CONNECT (this is not a forwarding proxy), 400 for a bad head or
//     a target that is not host:port, 403 when `allow` refuses the target;
//   - 502 when the target cannot be resolved or connected to (504 after `connect_timeout`);
//   - 200 Connection established, then relays bytes both ways until both sides are done
//     (a half-close is passed on) or nothing moved in either direction for `idle_timeout`.
// Above `max_connections` connections at once, a new one is answered 503 and closed.
//
// Threading: the server and all its connections run on the executor given to the constructor,
// which must not run handlers concurrently (a single-threaded io_context, or a strand).
// Lifetime: stop() (or the destructor) closes the listener and every connection; coroutines still
// finishing keep the shared state alive, so the server object may go away before they end.
#pragma once

#include <burrow/http/head_parser.hpp>
#include <burrow/http/token.hpp>
#include <burrow/proxy/auth.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <array>
#include <charconv>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_set>
#include <utility>

namespace burrow::examples {

struct connect_proxy_options {
    /// Address to listen on. Keep it on loopback unless you mean to run an open proxy.
    std::string host = "127.0.0.1";
    /// Port to listen on (0: any free port; see connect_proxy_server::port()).
    std::uint16_t port = 0;
    /// When set, every CONNECT must carry these credentials as Basic Proxy-Authorization.
    std::optional<proxy::credentials> basic;
    /// The realm named in the 407's Proxy-Authenticate.
    std::string realm = "burrow";
    /// Connections served at once; one more is answered 503 and closed.
    std::size_t max_connections = 64;
    /// A tunnel in which no byte moved either way for this long is closed.
    std::chrono::steady_clock::duration idle_timeout = std::chrono::seconds(60);
    /// Time allowed for a client to send a whole request head.
    std::chrono::steady_clock::duration head_timeout = std::chrono::seconds(10);
    /// Time allowed to connect to the target.
    std::chrono::steady_clock::duration connect_timeout = std::chrono::seconds(10);
    /// Requests answered on one connection before it is closed (407 rounds).
    unsigned max_requests_per_connection = 5;
    /// Decides whether a target may be reached (default: every target).
    std::function<bool(std::string_view host, std::uint16_t port)> allow;
    /// Receives one line per event ("CONNECT 127.0.0.1:9001 -> 200"), for logs and traces.
    std::function<void(std::string_view line)> log;
};

/// Counters, for tests and logs.
struct connect_proxy_stats {
    std::size_t active = 0;             ///< connections open now
    std::size_t peak = 0;               ///< most connections open at once
    std::size_t accepted = 0;           ///< connections accepted (including those refused with 503)
    std::size_t refused_over_limit = 0; ///< 503s for max_connections
    std::size_t auth_challenges = 0;    ///< 407s sent
    std::size_t tunnels = 0;            ///< 200s sent
    std::size_t idle_closes = 0;        ///< tunnels closed by idle_timeout
    std::uint64_t relayed_bytes = 0;    ///< bytes relayed through tunnels, both ways
};

namespace detail::connect_proxy {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using clock = std::chrono::steady_clock;

/// host and port of a CONNECT target in authority form: "host:port" or "[v6]:port".
struct authority {
    std::string host;
    std::uint16_t port = 0;
};

inline std::optional<authority> parse_authority(std::string_view target) {
    const auto colon = target.rfind(':');
    if (colon == std::string_view::npos || colon == 0 || colon + 1 == target.size())
        return std::nullopt;
    std::string_view host = target.substr(0, colon);
    const std::string_view port_text = target.substr(colon + 1);
    unsigned port = 0;
    const auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (ec != std::errc{} || end != port_text.data() + port_text.size() || port == 0 || port > 65535)
        return std::nullopt;
    if (host.front() == '[') {  // IPv6 literal
        if (host.back() != ']' || host.size() < 3)
            return std::nullopt;
        host = host.substr(1, host.size() - 2);
    } else if (host.find(':') != std::string_view::npos) {
        return std::nullopt;  // an unbracketed IPv6 address is ambiguous
    }
    return authority{std::string(host), static_cast<std::uint16_t>(port)};
}

/// True when `value` (a Proxy-Authorization header) is Basic with exactly `expected`'s credentials.
inline bool basic_matches(std::string_view value, const std::string& expected) {
    // expected is "Basic <base64>"; the scheme name is case-insensitive, the token is not.
    const auto space = value.find(' ');
    if (space == std::string_view::npos)
        return false;
    const auto expected_space = expected.find(' ');
    return http::iequals(value.substr(0, space), std::string_view(expected).substr(0, expected_space)) &&
           http::trim_ows(value.substr(space + 1)) == std::string_view(expected).substr(expected_space + 1);
}

inline std::string simple_response(unsigned status, std::string_view reason, std::string_view extra_headers,
                                   bool close) {
    std::string body = std::to_string(status) + " " + std::string(reason) + "\n";
    std::string out = "HTTP/1.1 " + std::to_string(status) + " " + std::string(reason) + "\r\n";
    out += extra_headers;
    out += "Content-Type: text/plain\r\nContent-Length: " + std::to_string(body.size()) + "\r\n";
    if (close)
        out += "Connection: close\r\n";
    out += "\r\n" + body;
    return out;
}

/// Everything the listener and the connections share; outlives the server object if need be.
struct shared_state {
    explicit shared_state(const asio::any_io_executor& ex, connect_proxy_options opts)
        : acceptor(ex), options(std::move(opts)) {}
    tcp::acceptor acceptor;
    connect_proxy_options options;
    std::string expected_authorization;      // "Basic ..." when options.basic is set
    connect_proxy_stats stats;
    std::unordered_set<tcp::socket*> sockets; // open sockets of every connection, closed by stop()
    bool stopped = false;

    void log(const std::string& line) const {
        if (options.log)
            options.log(line);
    }
};

/// Registers a socket with the shared state for as long as it lives in a coroutine frame.
class socket_registration {
public:
    socket_registration(shared_state& state, tcp::socket& socket) : state_(state), socket_(socket) {
        state_.sockets.insert(&socket_);
    }
    ~socket_registration() { state_.sockets.erase(&socket_); }
    socket_registration(const socket_registration&) = delete;
    socket_registration& operator=(const socket_registration&) = delete;

private:
    shared_state& state_;
    tcp::socket& socket_;
};

/// Copies bytes from `from` to `to` until `from` ends, then half-closes `to`. Every transfer
/// moves `last_activity` forward, which the idle watchdog reads.
inline asio::awaitable<void> pump(tcp::socket& from, tcp::socket& to, clock::time_point& last_activity,
                                  std::uint64_t& relayed) {
    std::array<char, 16 * 1024> buffer;
    for (;;) {
        auto [rec, n] = co_await from.async_read_some(asio::buffer(buffer), asio::as_tuple(asio::use_awaitable));
        if (n > 0) {
            last_activity = clock::now();
            auto [wec, written] =
                co_await asio::async_write(to, asio::buffer(buffer.data(), n), asio::as_tuple(asio::use_awaitable));
            relayed += written;
            last_activity = clock::now();
            if (wec) {
                boost::system::error_code ignored;
                from.shutdown(tcp::socket::shutdown_receive, ignored);
                co_return;
            }
        }
        if (rec) {
            boost::system::error_code ignored;
            to.shutdown(tcp::socket::shutdown_send, ignored);  // pass the end (or a failure) on
            co_return;
        }
    }
}

/// Completes when nothing moved for `idle` (returns true), by rechecking at each would-be deadline.
inline asio::awaitable<bool> idle_watchdog(const clock::time_point& last_activity, clock::duration idle) {
    asio::steady_timer timer(co_await asio::this_coro::executor);
    for (;;) {
        timer.expires_at(last_activity + idle);
        auto [ec] = co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
        if (ec)
            co_return false;  // cancelled: the relay finished first
        if (clock::now() - last_activity >= idle)
            co_return true;
    }
}

/// Reads one request head into `buffer` (which may already hold bytes), bounded in size and time.
/// Returns the head's size, or 0 when the client went away, took too long or sent garbage (then
/// `bad` says whether a 400 is worth sending).
inline asio::awaitable<std::size_t> read_request_head(tcp::socket& socket, std::string& buffer, http::head& head,
                                                      std::span<http::header> storage, clock::duration timeout,
                                                      bool& bad) {
    using namespace asio::experimental::awaitable_operators;
    http::head_parser parser(http::head_kind::request);
    asio::steady_timer timer(co_await asio::this_coro::executor, timeout);
    std::array<char, 4096> chunk;
    for (;;) {
        if (!buffer.empty()) {
            const auto r = parser.parse(buffer, storage, head);
            if (r.status == http::head_status::complete)
                co_return r.size;
            if (r.status == http::head_status::error) {
                bad = true;
                co_return 0;
            }
        }
        auto result = co_await (socket.async_read_some(asio::buffer(chunk), asio::as_tuple(asio::use_awaitable)) ||
                                timer.async_wait(asio::as_tuple(asio::use_awaitable)));
        if (result.index() == 1)
            co_return 0;  // head_timeout
        auto [ec, n] = std::get<0>(result);
        if (ec)
            co_return 0;
        buffer.append(chunk.data(), n);
    }
}

inline asio::awaitable<void> write_text(tcp::socket& socket, const std::string& text) {
    (void)co_await asio::async_write(socket, asio::buffer(text), asio::as_tuple(asio::use_awaitable));
}

/// Ends a connection whose request may not have been read (a 503 sent at once): half-close, then
/// read and drop until the client closes too (at most one second). Closing with unread bytes would
/// send a reset, which can make the client lose the answer before it reads it.
inline asio::awaitable<void> lingering_close(tcp::socket& socket) {
    using namespace asio::experimental::awaitable_operators;
    boost::system::error_code ignored;
    socket.shutdown(tcp::socket::shutdown_send, ignored);
    asio::steady_timer deadline(socket.get_executor(), std::chrono::seconds(1));
    std::array<char, 1024> sink;
    for (;;) {
        auto read = co_await (socket.async_read_some(asio::buffer(sink), asio::as_tuple(asio::use_awaitable)) ||
                              deadline.async_wait(asio::as_tuple(asio::use_awaitable)));
        if (read.index() == 1)
            break;  // a client that keeps sending: give up on it
        auto [ec, n] = std::get<0>(read);
        if (ec)
            break;  // its end (eof) or an error
    }
    socket.close(ignored);
}

/// Connects to the target; the HTTP status to answer (200 on success).
inline asio::awaitable<unsigned> connect_target(tcp::socket& upstream, const authority& target, clock::duration timeout) {
    using namespace asio::experimental::awaitable_operators;
    tcp::resolver resolver(upstream.get_executor());
    const std::string port = std::to_string(target.port);  // named: GCC 12.2 and co_await temporaries
    auto [rec, endpoints] = co_await resolver.async_resolve(target.host, port, asio::as_tuple(asio::use_awaitable));
    if (rec)
        co_return 502;
    asio::steady_timer timer(upstream.get_executor(), timeout);
    auto result = co_await (asio::async_connect(upstream, endpoints, asio::as_tuple(asio::use_awaitable)) ||
                            timer.async_wait(asio::as_tuple(asio::use_awaitable)));
    if (result.index() == 1)
        co_return 504;
    auto [cec, endpoint] = std::get<0>(result);
    co_return cec ? 502u : 200u;
}

/// One client connection: requests until a tunnel opens (then relays) or the connection ends.
inline asio::awaitable<void> serve(std::shared_ptr<shared_state> state, tcp::socket client) {
    using namespace asio::experimental::awaitable_operators;
    socket_registration client_registration(*state, client);
    tcp::socket upstream(client.get_executor());
    socket_registration upstream_registration(*state, upstream);
    const auto& options = state->options;
    std::string buffer;
    std::array<http::header, 64> storage;
    for (unsigned round = 0; round < options.max_requests_per_connection; ++round) {
        http::head head;
        bool bad = false;
        const std::size_t size =
            co_await read_request_head(client, buffer, head, storage, options.head_timeout, bad);
        if (size == 0) {
            if (bad)
                co_await write_text(client, simple_response(400, "Bad Request", {}, true));
            co_return;
        }
        if (head.method != "CONNECT") {
            state->log(std::string(head.method) + " " + std::string(head.target) + " -> 405");
            co_await write_text(client, simple_response(405, "Method Not Allowed", "Allow: CONNECT\r\n", true));
            co_return;
        }
        const auto target = parse_authority(head.target);
        if (!target) {
            state->log("CONNECT " + std::string(head.target) + " -> 400");
            co_await write_text(client, simple_response(400, "Bad Request", {}, true));
            co_return;
        }
        if (options.basic) {
            const auto given = head.find("Proxy-Authorization");
            if (!given || !basic_matches(*given, state->expected_authorization)) {
                ++state->stats.auth_challenges;
                state->log("CONNECT " + std::string(head.target) + " -> 407" + (given ? " (wrong credentials)" : ""));
                const bool close = head.version_minor == 0 || head.has_token("Connection", "close") ||
                                   round + 1 == options.max_requests_per_connection;
                const std::string challenge = "Proxy-Authenticate: Basic realm=\"" + options.realm + "\"\r\n";
                co_await write_text(client, simple_response(407, "Proxy Authentication Required", challenge, close));
                if (close)
                    co_return;
                buffer.erase(0, size);  // a CONNECT has no body: the next request follows the head
                continue;
            }
        }
        if (options.allow && !options.allow(target->host, target->port)) {
            state->log("CONNECT " + std::string(head.target) + " -> 403");
            co_await write_text(client, simple_response(403, "Forbidden", {}, true));
            co_return;
        }
        const std::string target_text(head.target);
        const std::string early_bytes = buffer.substr(size);  // tunnel bytes sent with the CONNECT
        const unsigned status = co_await connect_target(upstream, *target, options.connect_timeout);
        state->log("CONNECT " + target_text + " -> " + std::to_string(status));
        if (status != 200) {
            co_await write_text(client, simple_response(status, status == 504 ? "Gateway Timeout" : "Bad Gateway", {}, true));
            co_return;
        }
        ++state->stats.tunnels;
        co_await write_text(client, "HTTP/1.1 200 Connection established\r\n\r\n");
        if (!early_bytes.empty()) {
            auto [ec, n] = co_await asio::async_write(upstream, asio::buffer(early_bytes), asio::as_tuple(asio::use_awaitable));
            if (ec)
                co_return;
            state->stats.relayed_bytes += n;
        }
        boost::system::error_code ignored;
        client.set_option(tcp::no_delay(true), ignored);
        upstream.set_option(tcp::no_delay(true), ignored);
        clock::time_point last_activity = clock::now();
        auto result = co_await ((pump(client, upstream, last_activity, state->stats.relayed_bytes) &&
                                 pump(upstream, client, last_activity, state->stats.relayed_bytes)) ||
                                idle_watchdog(last_activity, options.idle_timeout));
        if (result.index() == 1) {
            ++state->stats.idle_closes;
            state->log("tunnel to " + target_text + " closed: idle");
        }
        co_return;
    }
}

/// Runs `serve` with the connection counted, and refuses it with 503 above the limit.
inline asio::awaitable<void> admit(std::shared_ptr<shared_state> state, tcp::socket client) {
    auto& stats = state->stats;
    if (stats.active >= state->options.max_connections) {
        ++stats.refused_over_limit;
        state->log("connection refused: " + std::to_string(stats.active) + " connections open");
        socket_registration registration(*state, client);
        co_await write_text(client, simple_response(503, "Service Unavailable", {}, true));
        co_await lingering_close(client);
        co_return;
    }
    ++stats.active;
    stats.peak = std::max(stats.peak, stats.active);
    struct count_guard {
        std::size_t& active;
        ~count_guard() { --active; }
    } guard{stats.active};
    co_await serve(state, std::move(client));
}

inline asio::awaitable<void> accept_loop(std::shared_ptr<shared_state> state) {
    for (;;) {
        auto [ec, socket] = co_await state->acceptor.async_accept(asio::as_tuple(asio::use_awaitable));
        if (state->stopped || ec == asio::error::operation_aborted || !state->acceptor.is_open())
            co_return;
        if (ec)
            continue;  // e.g. too many open files: keep serving the others
        ++state->stats.accepted;
        asio::co_spawn(state->acceptor.get_executor(), admit(state, std::move(socket)), asio::detached);
    }
}

} // namespace detail::connect_proxy

/// An in-process HTTP CONNECT proxy (see the top of this file).
class connect_proxy_server {
public:
    /// Binds options.host:options.port at once (throws boost::system::system_error when it
    /// cannot: a setup error, not a data-path one); serves after start().
    connect_proxy_server(const boost::asio::any_io_executor& executor, const connect_proxy_options& options)
        : state_(std::make_shared<detail::connect_proxy::shared_state>(executor, options)) {
        using detail::connect_proxy::tcp;
        if (options.basic)
            state_->expected_authorization = proxy::basic_authorization(*options.basic);
        const tcp::endpoint endpoint(boost::asio::ip::make_address(options.host), options.port);
        state_->acceptor.open(endpoint.protocol());
        state_->acceptor.set_option(tcp::acceptor::reuse_address(true));
        state_->acceptor.bind(endpoint);
        state_->acceptor.listen();
    }

    connect_proxy_server(const connect_proxy_server&) = delete;
    connect_proxy_server& operator=(const connect_proxy_server&) = delete;
    ~connect_proxy_server() { stop(); }

    /// Starts accepting connections (on the constructor's executor).
    void start() {
        boost::asio::co_spawn(state_->acceptor.get_executor(), detail::connect_proxy::accept_loop(state_),
                              boost::asio::detached);
    }

    /// Stops accepting and closes every open connection (their coroutines then end on their own).
    /// Call it from the server's executor.
    void stop() {
        state_->stopped = true;
        boost::system::error_code ignored;
        state_->acceptor.close(ignored);
        for (auto* socket : state_->sockets)
            socket->close(ignored);
    }

    /// The port listened on (the one picked when options.port was 0).
    std::uint16_t port() const { return state_->acceptor.local_endpoint().port(); }

    /// "http://127.0.0.1:PORT" (without credentials), for a client's proxy option.
    std::string url() const {
        const auto endpoint = state_->acceptor.local_endpoint();
        const auto address = endpoint.address();
        const std::string host = address.is_v6() ? "[" + address.to_string() + "]" : address.to_string();
        return "http://" + host + ":" + std::to_string(endpoint.port());
    }

    /// Counters so far.
    const connect_proxy_stats& stats() const noexcept { return state_->stats; }

private:
    std::shared_ptr<detail::connect_proxy::shared_state> state_;
};

} // namespace burrow::examples
