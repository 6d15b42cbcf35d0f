// The opening handshake over an Asio stream: co_handshake (client) and co_accept (server), driving
// the sans-I/O checks of ws/handshake.hpp. Both hand back the bytes read past the head, which the
// websocket::stream must be given (a server often sends its first message with the 101).
#pragma once

#include <burrow/asio/detail/deadline.hpp>
#include <burrow/asio/detail/end_of_stream.hpp>
#include <burrow/asio/detail/stream_error.hpp>
#include <burrow/config.hpp>
#include <burrow/error.hpp>
#include <burrow/http/head_parser.hpp>
#include <burrow/proxy/connect_exchange.hpp>
#include <burrow/ws/handshake.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace burrow {

struct handshake_result {
    boost::system::error_code ec;
    ws::handshake_agreement agreement;  ///< the subprotocol and extensions agreed
    std::vector<std::byte> leftover;    ///< bytes after the head: the first frames
    std::string status_line;            ///< the server's status line (also on failure)
    std::string response_head;          ///< the server's whole response head, headers included
    std::string body_start;             ///< a refusal's body, as text (on failure)
    /// For ec == error::tls_alert: the fatal alert a TLS layer received during the upgrade (a TLS
    /// 1.3 server refuses a missing or unwanted client certificate only after the TLS handshake,
    /// so its "certificate_required" (116) arrives here), its name, and which TLS layer: 0 the
    /// stream's own (outermost) session, 1 the one under it (the proxy's, for TLS inside TLS).
    int tls_alert = 0;
    std::string tls_alert_name;
    int tls_layer = -1;
    explicit operator bool() const noexcept { return !ec; }
    /// One line for a person: "upgrade refused: HTTP/1.1 403 Forbidden: <body>".
    std::string message() const;
};

/// Which way a traced upgrade head went.
enum class handshake_trace_direction : std::uint8_t { to_server, from_server };

/// Receives the upgrade request as it is sent and the server's response head as it arrives (or,
/// when no whole head arrived, what did), with Authorization values redacted.
using handshake_trace_hook = std::function<void(handshake_trace_direction, std::string_view head)>;

struct handshake_options {
    ws::client_handshake_options request;
    http::head_limits limits;
    std::chrono::steady_clock::duration timeout = std::chrono::seconds(15);
    /// Sees the request and the response head (for -v output and bug reports); may be empty.
    handshake_trace_hook trace;
};

namespace detail {

inline std::string text_of(std::span<const char> bytes, std::size_t limit = 300) {
    std::string out;
    for (char c : bytes.first(std::min(bytes.size(), limit))) {
        const auto u = static_cast<unsigned char>(c);
        out += (c == '\r' || c == '\n' || c == '\t') ? ' ' : (u < 0x20 || u == 0x7F) ? '.' : c;
    }
    return out;
}

// Reads into `buffer` until a whole head is there; returns its size (0 with ec on failure).
template <class AsyncStream>
boost::asio::awaitable<std::pair<boost::system::error_code, std::size_t>>
co_read_head(AsyncStream& s, std::string& buffer, http::head_parser& parser, std::span<http::header> storage,
             http::head& out) {
    std::array<char, 2048> chunk;
    for (;;) {
        if (!buffer.empty()) {
            const auto r = parser.parse(buffer, storage, out);
            if (r.status == http::head_status::complete)
                co_return std::pair{boost::system::error_code{}, r.size};
            if (r.status == http::head_status::error)
                co_return std::pair{make_error_code(r.err), std::size_t{0}};
        }
        auto [ec, n] = co_await s.async_read_some(boost::asio::buffer(chunk), boost::asio::as_tuple(boost::asio::use_awaitable));
        if (ec == boost::asio::error::eof || is_tls_truncation(ec))
            co_return std::pair{make_error_code(error::connection_lost), std::size_t{0}};
        if (ec)
            co_return std::pair{ec, std::size_t{0}};
        buffer.append(chunk.data(), n);
    }
}

} // namespace detail

inline std::string handshake_result::message() const {
    if (!ec)
        return "upgraded";
    std::string out = "WebSocket upgrade failed: " + ec.message();
    if (tls_alert != 0) {
        out += ": the " + std::string(tls_layer == 0 ? "server" : "proxy") + " sent the TLS alert \"" + tls_alert_name +
               "\" (" + std::to_string(tls_alert) + ") after the TLS handshake";
        if (tls_alert == 116)
            out += ". Hint: it requires a client certificate (TLS 1.3 asks for it only after the handshake): give "
                   "one with cert_file and key_file";
    }
    if (!status_line.empty())
        out += ": " + status_line;
    if (!body_start.empty())
        out += ": " + body_start;
    return out;
}

namespace detail {

inline void note_stream_failure(handshake_result& out, stream_failure failure) {
    out.ec = failure.ec;
    out.tls_alert = failure.alert;
    out.tls_alert_name = std::move(failure.alert_name);
    out.tls_layer = failure.tls_layer;
}

// The exchange itself; the deadline is applied by co_handshake_impl.
template <class AsyncStream>
boost::asio::awaitable<void> co_handshake_exchange(AsyncStream& s, const ws::ws_url& url, const handshake_options& options,
                                                   const std::vector<std::byte>& already, handshake_result& out) {
    const std::string key = ws::make_client_key();
    if (key.empty()) {  // the random generator failed: never send a predictable key
        out.ec = make_error_code(boost::system::errc::io_error);
        co_return;
    }
    auto request = ws::build_client_request(url, key, options.request);
    if (!request) {
        out.ec = request.error();
        co_return;
    }
    if (options.trace)
        options.trace(handshake_trace_direction::to_server, proxy::redact_head(*request));
    auto [wec, written] =
        co_await boost::asio::async_write(s, boost::asio::buffer(*request), boost::asio::as_tuple(boost::asio::use_awaitable));
    if (wec) {
        note_stream_failure(out, explain_stream_error(s, wec));
        co_return;
    }
    std::string buffer(reinterpret_cast<const char*>(already.data()), already.size());
    http::head_parser parser(http::head_kind::response, options.limits);
    std::array<http::header, 64> storage;
    http::head head;
    auto [ec, size] = co_await co_read_head(s, buffer, parser, storage, head);
    if (ec) {
        note_stream_failure(out, explain_stream_error(s, ec));
        out.body_start = text_of(buffer);
        if (options.trace && !buffer.empty())
            options.trace(handshake_trace_direction::from_server, proxy::redact_head(buffer));
        co_return;
    }
    out.status_line = std::string(head.start_line);
    out.response_head = buffer.substr(0, size);
    if (options.trace)
        options.trace(handshake_trace_direction::from_server, proxy::redact_head(out.response_head));
    auto agreed = ws::check_server_response(head, key, options.request);
    if (!agreed) {
        out.ec = agreed.error();
        out.body_start = text_of(std::string_view(buffer).substr(size));
        co_return;
    }
    out.agreement = std::move(*agreed);
    const auto* rest = reinterpret_cast<const std::byte*>(buffer.data() + size);
    out.leftover.assign(rest, rest + (buffer.size() - size));
}

template <class AsyncStream>
boost::asio::awaitable<handshake_result> co_handshake_impl(AsyncStream& s, ws::ws_url url, handshake_options options,
                                                           std::vector<std::byte> already) {
    handshake_result out;
    const bool done = co_await co_before(co_handshake_exchange(s, url, options, already, out),
                                         clock::now() + options.timeout);
    if (!done)
        out.ec = make_error_code(boost::asio::error::timed_out);
    co_return out;
}

} // namespace detail

// The public entry points are plain functions taking class-type arguments by const reference and
// copying them into the coroutine: GCC 12.2 destroys twice a by-value argument initialised by an
// implicit conversion or `{}` inside a co_await expression (`co_await co_handshake(s, url, {})`
// crashed under AddressSanitizer). With references, every call form is safe, and the copies mean
// the arguments need not outlive the call.

/// Client upgrade over a connected stream (plain, TLS, or a proxy tunnel) to `url`. `already`:
/// bytes already read from the stream (a proxy's leftover), parsed as the start of the response.
/// Completes with handshake_result (errors as values; a refusal keeps the status line and body).
template <class AsyncStream>
boost::asio::awaitable<handshake_result> co_handshake(AsyncStream& s, const ws::ws_url& url,
                                                      const handshake_options& options,
                                                      const std::vector<std::byte>& already) {
    return detail::co_handshake_impl(s, url, options, already);
}

/// The same without bytes read beforehand.
template <class AsyncStream>
boost::asio::awaitable<handshake_result> co_handshake(AsyncStream& s, const ws::ws_url& url,
                                                      const handshake_options& options) {
    return detail::co_handshake_impl(s, url, options, std::vector<std::byte>{});
}

struct accept_options {
    std::vector<std::string> subprotocols;  ///< supported; the first of the client's offer that is here wins
    ws::header_list headers;                ///< extra headers for the 101
    /// Decides the subprotocol from the client's offer (overrides `subprotocols` when set).
    std::function<std::string(const ws::upgrade_request&)> select;
    http::head_limits limits;
    std::chrono::steady_clock::duration timeout = std::chrono::seconds(15);
};

struct accept_result {
    boost::system::error_code ec;
    std::string resource;     ///< the request-target
    std::string origin;
    std::string subprotocol;  ///< the one selected, empty for none
    std::vector<std::byte> leftover;  ///< bytes after the request: the client's first frames
    explicit operator bool() const noexcept { return !ec; }
};

namespace detail {

template <class AsyncStream>
boost::asio::awaitable<accept_result> co_answer_upgrade(AsyncStream& s, const http::head& request, std::span<const char> rest,
                                                        const accept_options& options) {
    accept_result out;
    const auto checked = ws::check_client_request(request);
    if (const auto* refusal = std::get_if<ws::upgrade_refusal>(&checked)) {
        const std::string response = ws::build_reject_response(*refusal);
        (void)co_await boost::asio::async_write(s, boost::asio::buffer(response), boost::asio::as_tuple(boost::asio::use_awaitable));
        out.ec = make_error_code(refusal->reason);
        co_return out;
    }
    const auto& upgrade = std::get<ws::upgrade_request>(checked);
    out.subprotocol = options.select ? options.select(upgrade)
                                     : std::string(ws::select_subprotocol(upgrade.subprotocols, options.subprotocols));
    auto response = ws::build_accept_response(upgrade.key, out.subprotocol, options.headers);
    if (!response) {
        out.ec = response.error();
        co_return out;
    }
    auto [ec, n] = co_await boost::asio::async_write(s, boost::asio::buffer(*response), boost::asio::as_tuple(boost::asio::use_awaitable));
    if (ec) {
        out.ec = ec;
        co_return out;
    }
    out.resource = std::string(upgrade.resource);
    out.origin = std::string(upgrade.origin);
    const auto* bytes = reinterpret_cast<const std::byte*>(rest.data());
    out.leftover.assign(bytes, bytes + rest.size());
    co_return out;
}

} // namespace detail

namespace detail {

template <class AsyncStream>
boost::asio::awaitable<void> co_accept_exchange(AsyncStream& s, const accept_options& options, accept_result& out) {
    std::string buffer;
    http::head_parser parser(http::head_kind::request, options.limits);
    std::array<http::header, 64> storage;
    http::head head;
    auto [ec, size] = co_await co_read_head(s, buffer, parser, storage, head);
    if (ec) {
        if (ec == condition::http_failed) {
            const std::string response = ws::build_reject_response({static_cast<error>(ec.value()), 400, "Bad Request"});
            (void)co_await boost::asio::async_write(s, boost::asio::buffer(response),
                                                    boost::asio::as_tuple(boost::asio::use_awaitable));
        }
        out.ec = ec;
        co_return;
    }
    out = co_await co_answer_upgrade(s, head, std::span<const char>(buffer).subspan(size), options);
}

template <class AsyncStream>
boost::asio::awaitable<accept_result> co_accept_impl(AsyncStream& s, accept_options options) {
    accept_result out;
    const bool done = co_await co_before(co_accept_exchange(s, options, out), clock::now() + options.timeout);
    if (!done)
        out.ec = make_error_code(boost::asio::error::timed_out);
    co_return out;
}

template <class AsyncStream>
boost::asio::awaitable<accept_result> co_accept_head_impl(AsyncStream& s, std::string request_head,
                                                          std::vector<std::byte> rest, accept_options options) {
    http::head_parser parser(http::head_kind::request, options.limits);
    std::array<http::header, 64> storage;
    http::head head;
    const auto r = parser.parse(request_head, storage, head);
    if (r.status != http::head_status::complete) {
        accept_result out;
        out.ec = make_error_code(r.status == http::head_status::error ? r.err : error::http_bad_start_line);
        co_return out;
    }
    co_return co_await detail::co_answer_upgrade(
        s, head, std::span<const char>(reinterpret_cast<const char*>(rest.data()), rest.size()), options);
}

} // namespace detail

/// Server upgrade: reads the request from `s`, validates it, answers 101 (or 400/405/426 with a
/// reason, then fails with the matching handshake error).
template <class AsyncStream>
boost::asio::awaitable<accept_result> co_accept(AsyncStream& s, const accept_options& options) {
    return detail::co_accept_impl(s, options);
}

/// The same with default options.
template <class AsyncStream>
boost::asio::awaitable<accept_result> co_accept(AsyncStream& s) {
    return detail::co_accept_impl(s, accept_options{});
}

/// Server upgrade for an HTTP server that has already read the request: `request_head` is the
/// request head it read (start line to blank line), `rest` the bytes it read after it.
template <class AsyncStream>
boost::asio::awaitable<accept_result> co_accept(AsyncStream& s, std::string_view request_head,
                                                const std::vector<std::byte>& rest, const accept_options& options) {
    return detail::co_accept_head_impl(s, std::string(request_head), rest, options);
}

} // namespace burrow
