// The HTTP CONNECT exchange with a proxy (RFC 9110 §9.3.6), as a sans-I/O state machine.
//
// Theory of operation: a driver (co_connect_via_proxy, or a test script) owns the connection and a
// receive buffer, and asks the exchange what to do:
//
//     for (;;) {                                   // one round = one CONNECT request
//         send(ex.request());  buffer.clear();
//         step = read until ex.on_reply(buffer) != need_more      (EOF: step = ex.on_eof())
//         tunnel_open:  the bytes after ex.head_size() in the buffer belong to the tunnel; done
//         skip_body:    feed the rest of the buffer, then more reads, to ex.on_body(bytes)
//                       until it says send_request (same connection) or reconnect
//         reconnect:    close, connect to the proxy again, next round
//         failed:       ex.error() and ex.diagnostics() say why; done
//     }
//
// Any 2xx opens the tunnel, HTTP/1.0 or 1.1, with or without a reason phrase, and whatever
// Content-Length or Transfer-Encoding it carries (a 2xx to CONNECT has no body). A 407 is handed
// to the proxy_authenticator, which picks the scheme and decides when the credentials were
// rejected; the 407's body is skipped when the proxy keeps the connection open and delimits the
// body, otherwise the next round uses a new connection. Rounds are bounded. Every other status is
// a refusal, reported with the proxy's status line, the headers that explain it (Via, Server,
// Proxy-Authenticate, Proxy-Status) and the start of its body.
#pragma once

#include <burrow/config.hpp>
#include <burrow/error.hpp>
#include <burrow/http/body_skipper.hpp>
#include <burrow/http/head_parser.hpp>
#include <burrow/proxy/auth.hpp>

#include <boost/system/result.hpp>

#include <array>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

namespace burrow::proxy {

using header_list = std::vector<std::pair<std::string, std::string>>;

struct connect_settings {
    std::string target;                    ///< authority to tunnel to: "host:port", "[::1]:443"
    std::string user_agent = "burrow/0.1"; ///< empty: no User-Agent header
    header_list headers;                   ///< extra headers sent with every CONNECT
    http::head_limits limits;              ///< bound on the reply head (16 KiB by default)
    std::uint64_t max_body = 1024 * 1024;  ///< bound on a 407 body skipped to reuse the connection
    unsigned max_rounds = 5;               ///< CONNECT requests sent at most (auth rounds, reconnects)
};

/// What the proxy said, for error messages a user can act on.
struct proxy_diagnostics {
    std::string status_line;         ///< e.g. "HTTP/1.0 500 handshakefailed"
    unsigned status = 0;
    unsigned version_minor = 1;
    std::string via;
    std::string server;
    std::string proxy_authenticate;  ///< every challenge, joined with ", "
    std::string proxy_status;        ///< RFC 9209
    std::string squid_error;         ///< squid's X-Squid-Error, e.g. "ERR_CONNECT_FAIL 111"
    std::string body_start;          ///< the start of the body as one line of text (HTML reduced to its text)
    std::string detail;              ///< a parse error's own message, when the reply was malformed
    std::string auth_scheme;         ///< the scheme burrow answered with, if any
    unsigned rounds = 0;             ///< CONNECT requests sent

    /// One line: `HTTP/1.0 500 handshakefailed (Via: 1.0 gateway; Server: x)`, or empty. Describes
    /// the last reply only: every new request starts a fresh record (rounds and scheme are kept).
    std::string summary() const;
};

enum class connect_step : std::uint8_t {
    send_request,  ///< send request() on the current connection
    need_more,     ///< read more bytes and call on_reply (or on_body) again
    skip_body,     ///< feed the bytes after head_size(), then later reads, to on_body
    reconnect,     ///< open a new connection to the proxy, then send request()
    tunnel_open,   ///< done: bytes after head_size() belong to the tunnel
    failed,        ///< done: see error() and diagnostics()
};

class connect_exchange {
public:
    connect_exchange(connect_settings settings, std::optional<credentials> creds, bool preemptive_basic = false);

    /// The CONNECT request for the next round, with `extra` headers for this attempt only.
    /// Fails with http_bad_header when a header name or value could break the request (CR, LF,
    /// a bad name): such headers are never sent.
    boost::system::result<std::string> request(const header_list& extra = {});

    /// Judges the reply: `received` holds every byte read since the request was sent.
    connect_step on_reply(std::span<const char> received);

    /// After skip_body: feed body bytes; `consumed` says how many were body. Returns need_more,
    /// send_request (the body ended: next round on the same connection) or failed.
    connect_step on_body(std::span<const char> bytes, std::size_t& consumed);

    /// The proxy closed the connection. Returns reconnect (the 407 body ran to the close: next
    /// round on a new connection) or failed (proxy_closed, with what was received).
    connect_step on_eof();

    /// Bytes of the reply head (after tunnel_open or skip_body).
    std::size_t head_size() const noexcept { return head_end_; }

    boost::system::error_code error() const noexcept { return error_; }
    const proxy_diagnostics& diagnostics() const noexcept { return diagnostics_; }
    const connect_settings& settings() const noexcept { return settings_; }

private:
    enum class phase : std::uint8_t { awaiting_head, skipping_body, awaiting_refusal_body, done };

    connect_step fail(burrow::error e);
    connect_step fail(boost::system::error_code ec);
    connect_step on_head(const http::head& h, std::span<const char> received);
    connect_step on_challenge(const http::head& h);
    void record(const http::head& h);
    void record_body(std::span<const char> body);

    connect_settings settings_;
    proxy_authenticator auth_;
    http::head_parser parser_;
    std::optional<http::body_skipper> skipper_;
    std::optional<std::string> authorization_;  // for the next request
    proxy_diagnostics diagnostics_;
    boost::system::error_code error_;
    std::size_t head_start_ = 0;  // where the current head starts (after skipped 1xx heads)
    std::size_t head_end_ = 0;
    std::size_t refusal_body_wanted_ = 0;  // body bytes to wait for before reporting a refusal
    phase phase_ = phase::awaiting_head;
    bool sent_credentials_ = false;  // the last request carried Proxy-Authorization
    bool reused_ = false;            // the last request went on a connection kept after a 407
    bool nothing_received_guard_ = false;  // the one retry after a kept connection closed was used
};

/// Makes a head safe to show: the values of Proxy-Authorization and Authorization are replaced by
/// "<redacted>" after their scheme ("Basic <redacted>"), so traces never leak credentials.
std::string redact_head(std::string_view head);

} // namespace burrow::proxy
