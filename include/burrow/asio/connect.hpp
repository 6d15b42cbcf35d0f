// burrow::connect: the whole client path in one call.
//
//     auto ws = co_await burrow::connect("ws://echo.example/", {.proxy = "http://my.proxy:8080"});
//     co_await ws.co_write_text("test message");
//     auto msg = co_await ws.co_read();
//
// (The braces build a connect_args, whose destructor is trivial: GCC 12.2 destroys twice a class
// temporary created inside a co_await expression, so the full connect_options, which owns strings
// and hooks, is built in a named variable instead.)
//
// Theory of operation: connect() picks the proxy (options.proxy, else the environment with the
// rules of proxy/proxy_selection.hpp), resolves the name it must connect to (the server's, or the
// proxy's), tries every address in turn (IPv6 and IPv4 interleaved as RFC 8305 orders them, each
// attempt bounded), opens the tunnel (HTTP CONNECT with Basic/Digest, answering a 407, or SOCKS5),
// upgrades to WebSocket, and hands back a `connection`. Each step is a phase with its own timeout,
// and the whole call has one deadline (options.total_timeout).
//
// Errors are values, not exceptions: a `connection` is either open or failed. A failed one says
// where and why (`error()`: the phase, the error code, the proxy's or the server's answer, and
// `message()`, one paragraph with a hint); every operation on it returns that error. This keeps the
// seed form above short and still honest: check `if (!ws)` before relying on it.
//
// The connection hides its concrete layers (a TCP socket; TLS for wss:// or an https:// proxy; TLS
// inside TLS for wss:// through an https:// proxy) behind a std::variant of websocket::stream types,
// held in one allocation made at connect time with the TLS contexts it uses (shared with other
// connections of the same TLS settings: see tls_options::context_cache_timeout): each operation is a
// switch over the variant, never a virtual call, and reading or writing allocates nothing per byte.
#pragma once

#include <burrow/asio/connect_via_proxy.hpp>
#include <burrow/asio/handshake.hpp>
#include <burrow/asio/stream.hpp>
#include <burrow/config.hpp>
#include <burrow/error.hpp>
#include <burrow/proxy/proxy_selection.hpp>
#include <burrow/tls/options.hpp>
#include <burrow/tls/result.hpp>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/system/result.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace burrow {

/// The step of connect() that failed (or that a trace event belongs to).
enum class connect_phase : std::uint8_t {
    url,              ///< the ws:// or wss:// URL, or an option, is unusable
    proxy_selection,  ///< the configured proxy (option or environment) does not parse
    resolve,          ///< looking up the server's (or, through a proxy, the proxy's) name
    tcp_connect,      ///< the TCP connection to the server or to the proxy
    proxy_tls,        ///< TLS with an https:// proxy
    proxy_connect,    ///< the CONNECT request or SOCKS5 exchange: the proxy refused or failed
    proxy_auth,       ///< the proxy wants credentials it was not given, or rejected them
    tls,              ///< TLS with the server (wss://)
    handshake,        ///< the WebSocket upgrade (HTTP 101)
    open,             ///< no failure: the connection is open
};

/// A short name: "resolve", "tcp_connect", "proxy_connect", ... (stable: used in JSON output).
std::string_view to_string(connect_phase phase) noexcept;

/// What a trace event is.
enum class trace_kind : std::uint8_t {
    client_to_proxy,   ///< a head sent to the proxy (credentials redacted)
    proxy_to_client,   ///< a head the proxy answered
    client_to_server,  ///< the upgrade request (Authorization redacted)
    server_to_client,  ///< the server's response head
    note,              ///< what connect() is doing: "connecting to 127.0.0.1:8080", the TLS session, ...
    phase_done,        ///< a phase ended; `elapsed` is its duration
};

/// One line of the trace. `text` is valid during the call only.
struct trace_event {
    trace_kind kind = trace_kind::note;
    connect_phase phase = connect_phase::url;
    std::string_view text;
    /// phase_done: the phase's duration; otherwise the time since connect() started.
    std::chrono::steady_clock::duration elapsed{};
};

using connect_trace_hook = std::function<void(const trace_event&)>;

/// The settings most calls need, as a trivially destructible aggregate of views and numbers, so
/// that it can be written as a braced temporary right inside the co_await:
///     co_await burrow::connect(url, {.proxy = "http://proxy:3128", .total_timeout = 5s});
/// (GCC 12.2 destroys twice a class temporary created inside a co_await expression; for a type
/// with a trivial destructor that is harmless, for connect_options it corrupts the heap. Build a
/// connect_options in a named variable instead.) The views must stay valid until the co_await.
struct connect_args {
    /// An explicit proxy URL (see connect_options::proxy); empty: the environment decides.
    std::string_view proxy;
    /// Never use a proxy.
    bool direct = false;
    /// A no-proxy list that replaces the environment's (NO_PROXY syntax); empty: the environment's.
    std::string_view no_proxy;
    /// Each TCP connection attempt.
    std::chrono::steady_clock::duration connect_timeout = std::chrono::seconds(10);
    /// The whole of connect().
    std::chrono::steady_clock::duration total_timeout = std::chrono::seconds(30);
};

/// All options of connect(). Not an aggregate (see connect_args for the braced form): make one,
/// set what you need, pass it by name.
struct connect_options {
    connect_options() = default;
    /// The options that `args` describes (everything else at its default).
    explicit connect_options(const connect_args& args);

    // --- which proxy ---
    /// An explicit proxy URL: http://, https://, socks5://, socks5h://, with optional
    /// user:password. Empty: the environment decides (ws_proxy, http_proxy, ...; see
    /// proxy_selection.hpp), unless use_environment is false or direct is true.
    std::string proxy;
    /// Read ws_proxy/http_proxy/.../no_proxy from the environment.
    bool use_environment = true;
    /// Never use a proxy.
    bool direct = false;
    /// A no-proxy list (NO_PROXY syntax) that replaces the environment's.
    std::optional<std::string> no_proxy;
    /// Credentials for the proxy (else those in the proxy URL).
    std::optional<proxy::credentials> proxy_credentials;
    /// Send Basic credentials with the first CONNECT instead of waiting for the 407.
    bool preemptive_proxy_auth = false;
    /// Extra headers for every CONNECT request.
    proxy::header_list proxy_headers;
    /// The environment to read proxy variables from; unset: this process's (getenv).
    std::optional<proxy::proxy_environment> environment;

    // --- TLS ---
    /// TLS with the server (wss://): extra CAs (ca_file: a TLS-inspecting proxy's CA), client
    /// certificate, insecure_skip_verify, handshake_timeout (the tls phase). The TLS context built
    /// from it is reused by later connections with the same settings (context_cache_timeout).
    tls_options tls;
    /// TLS with an https:// proxy, the same settings (handshake_timeout: the proxy_tls phase).
    tls_options proxy_tls;

    // --- the upgrade and the stream ---
    /// Origin, subprotocols, extra headers, User-Agent of the upgrade request.
    ws::client_handshake_options handshake;
    /// Limits and keepalive of the open connection (max_message_size, ping_interval, ...).
    websocket::stream_options stream;

    // --- time ---
    std::chrono::steady_clock::duration resolve_timeout = std::chrono::seconds(10);
    /// Each TCP connection attempt (to one address of the server or of the proxy).
    std::chrono::steady_clock::duration connect_timeout = std::chrono::seconds(10);
    /// Each CONNECT round or the SOCKS5 exchange.
    std::chrono::steady_clock::duration proxy_timeout = std::chrono::seconds(15);
    /// The WebSocket upgrade.
    std::chrono::steady_clock::duration handshake_timeout = std::chrono::seconds(15);
    /// The whole of connect(). (Asio 1.81 cannot cancel a name lookup in progress: a resolver
    /// that hangs delays the end of the call until the system's DNS timeout.)
    std::chrono::steady_clock::duration total_timeout = std::chrono::seconds(30);

    /// Sees every head exchanged and each phase's end, as it happens (for -v and bug reports).
    connect_trace_hook trace;
};

/// How long a phase took.
struct phase_timing {
    connect_phase phase = connect_phase::url;
    std::chrono::steady_clock::duration took{};
};

/// What connect() found out on the way, on success and on failure alike.
struct connect_report {
    std::string url;                    ///< the URL asked for
    std::string proxy;                  ///< the proxy used, password redacted; empty: direct
    std::string proxy_explanation;      ///< why this proxy (or none): "ws://h:80 -> direct: ..."
    std::string remote_endpoint;        ///< the address connected to ("127.0.0.1:8080")
    std::vector<phase_timing> timings;  ///< each phase that ran, in order
    std::optional<tls_result> proxy_tls;        ///< the TLS session with an https:// proxy
    std::optional<tunnel_result> tunnel;        ///< the proxy exchange, when there was a proxy
    std::optional<tls_result> tls;              ///< the TLS session with the server (wss://)
    std::optional<handshake_result> handshake;  ///< the upgrade, once it ran
};

/// A failure of connect(): the phase, the error, and what the earlier layers said.
struct connect_error {
    connect_phase phase = connect_phase::url;
    boost::system::error_code ec;     ///< burrow::error, an Asio/system error, or timed_out
    boost::system::error_code cause;  ///< the system error behind ec, when there is one
    std::string detail;               ///< what was being done: "connecting to [::1]:8080", ...

    /// One paragraph for a person: what failed, in which phase, what the proxy or the server said,
    /// and a hint ("the proxy requires authentication: pass credentials", ...).
    std::string message(const connect_report& report) const;
};

namespace detail {
/// The concrete layers of a connection (a variant of websocket::stream types and the TLS contexts
/// they use); defined in lib/client, opaque here so that this header needs no TLS configuration.
struct connection_layers;
} // namespace detail

/// An open WebSocket connection made by connect(), or the record of why connect() failed.
/// Movable, not copyable. Like websocket::stream: one read and one write may be outstanding at
/// once; errors are values.
class connection {
public:
    /// A whole message as co_read() returns it.
    struct message {
        ws::opcode type = ws::opcode::text;
        std::string data;
        bool is_text() const noexcept { return type == ws::opcode::text; }
    };

    connection(connection&&) noexcept;
    connection& operator=(connection&&) noexcept;
    ~connection();

    /// True when connect() succeeded (whatever happened to the connection since).
    bool ok() const noexcept { return layers_ != nullptr; }
    explicit operator bool() const noexcept { return ok(); }

    /// Why connect() failed (phase plain success when it did not).
    const connect_error& error() const noexcept { return error_; }
    /// The proxy, timings, the server's 101 and the rest of what connect() saw.
    const connect_report& report() const noexcept { return report_; }
    /// error().message(report()): the paragraph to show a person.
    std::string error_message() const { return error_.message(report_); }
    /// The subprotocol the server selected ("" for none).
    std::string_view subprotocol() const noexcept;

    /// Reads a whole message (see websocket::stream::co_read). The failed connection's error
    /// when connect() failed.
    boost::asio::awaitable<boost::system::result<message>> co_read();
    /// Reads a whole message into `out`, reusing its capacity (no allocation once it is large).
    boost::asio::awaitable<boost::system::result<websocket::message_info>> co_read(std::string& out);
    /// Reads the next piece of a message in place (see websocket::stream::co_read_frame).
    boost::asio::awaitable<boost::system::result<websocket::frame_piece>> co_read_frame();
    boost::asio::awaitable<boost::system::error_code> co_write_text(std::string_view text);
    boost::asio::awaitable<boost::system::error_code> co_write(std::span<const std::byte> payload,
                                                               ws::opcode type = ws::opcode::binary);
    boost::asio::awaitable<boost::system::error_code> co_ping(std::span<const std::byte> payload = {});
    /// The close handshake (see websocket::stream::co_close).
    boost::asio::awaitable<boost::system::error_code> co_close(ws::close_code code = ws::close_code::normal,
                                                               std::string_view reason = {});
    /// True until the connection was closed or failed (false for a failed connect()).
    bool is_open() const noexcept;
    ws::close_code peer_close_code() const noexcept;
    std::string_view peer_close_reason() const noexcept;

    /// "tcp", "tls" or "tls-in-tls": the layers under the WebSocket ("" when connect() failed).
    std::string_view layers_name() const noexcept;

    // For connect()'s implementation.
    connection(std::unique_ptr<detail::connection_layers> l, connect_report report);
    connection(connect_error e, connect_report report);

private:
    std::unique_ptr<detail::connection_layers> layers_;
    connect_error error_;
    connect_report report_;
};

namespace detail {
boost::asio::awaitable<connection> co_connect_impl(std::string url, connect_options options);
} // namespace detail

/// Connects to `url` (ws://; wss:// once TLS is built in) with `options` and completes with a
/// `connection`, open or failed (see the theory of operation above). Never throws for network
/// conditions (only allocation can throw). A plain function, not a coroutine: it copies its
/// arguments into the coroutine, so they need not outlive the call. Pass `options` as a named
/// variable, never as a temporary written inside the co_await (GCC 12.2, see connect_args).
inline boost::asio::awaitable<connection> connect(std::string_view url, const connect_options& options) {
    return detail::co_connect_impl(std::string(url), options);
}

/// The same with the common settings: `co_await burrow::connect(url, {.proxy = "http://p:3128"})`.
/// Safe as a braced temporary inside the co_await (connect_args is trivially destructible).
inline boost::asio::awaitable<connection> connect(std::string_view url, const connect_args& args) {
    return detail::co_connect_impl(std::string(url), connect_options(args));
}

/// The same with default options (proxy from the environment).
inline boost::asio::awaitable<connection> connect(std::string_view url) {
    return detail::co_connect_impl(std::string(url), connect_options{});
}

} // namespace burrow
