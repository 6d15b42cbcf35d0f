// connect(): the phases in order, each timed and traced; the first failure ends the call with its
// phase and the diagnostics of the layer that failed (tunnel_result, handshake_result).
#include <burrow/asio/connect.hpp>
#include <burrow/asio/detail/connect_attempts.hpp>
#include <burrow/asio/detail/connect_layers.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <variant>

namespace burrow {

namespace asio = boost::asio;
using asio::ip::tcp;
using boost::system::error_code;
using detail::clock;

std::string_view to_string(connect_phase phase) noexcept {
    switch (phase) {
    case connect_phase::url: return "url";
    case connect_phase::proxy_selection: return "proxy_selection";
    case connect_phase::resolve: return "resolve";
    case connect_phase::tcp_connect: return "tcp_connect";
    case connect_phase::proxy_tls: return "proxy_tls";
    case connect_phase::proxy_connect: return "proxy_connect";
    case connect_phase::proxy_auth: return "proxy_auth";
    case connect_phase::tls: return "tls";
    case connect_phase::handshake: return "handshake";
    case connect_phase::open: return "open";
    }
    return "unknown";
}

connect_options::connect_options(const connect_args& args)
    : proxy(args.proxy)
    , direct(args.direct)
    , connect_timeout(args.connect_timeout)
    , total_timeout(args.total_timeout) {
    if (!args.no_proxy.empty())
        no_proxy = std::string(args.no_proxy);
}

namespace {

// A struct, not a std::variant: Asio's `||` flattens a variant result into its own, which would
// make co_before mistake a failure for the deadline.
struct outcome {
    std::unique_ptr<detail::connection_layers> layers;
    connect_error error;  // when layers is null
    outcome(std::unique_ptr<detail::connection_layers> l) : layers(std::move(l)) {}
    outcome(connect_error e) : error(std::move(e)) {}
};

connect_phase phase_of(proxy_phase p) {
    switch (p) {
    case proxy_phase::resolve_proxy:
    case proxy_phase::resolve_target: return connect_phase::resolve;
    case proxy_phase::connect_to_proxy: return connect_phase::tcp_connect;
    case proxy_phase::tls_to_proxy: return connect_phase::proxy_tls;
    case proxy_phase::proxy_authentication: return connect_phase::proxy_auth;
    case proxy_phase::proxy_connect:
    case proxy_phase::socks:
    case proxy_phase::tunnel_open: return connect_phase::proxy_connect;
    }
    return connect_phase::proxy_connect;
}

// One call of connect(): the options, the report being filled, and the phase in progress (read
// by the caller when the overall deadline ends the call).
class connect_run {
public:
    connect_run(const std::string& url, const connect_options& options, connect_report& report)
        : url_text_(url), o_(options), report_(report) {}

    connect_phase phase() const noexcept { return phase_; }

    asio::awaitable<outcome> run() {
        enter(connect_phase::url);
        auto parsed = ws::parse_ws_url(url_text_);
        if (!parsed)
            co_return fail(parsed.error(), {}, "\"" + ws::redact_url(url_text_) + "\" is not a ws:// or wss:// URL");
        url_ = std::move(*parsed);

        enter(connect_phase::proxy_selection);
        proxy::proxy_config config;
        config.proxy = o_.proxy;
        config.use_environment = o_.use_environment;
        config.no_proxy = o_.no_proxy;
        config.direct = o_.direct;
        const auto env = o_.environment ? *o_.environment : proxy::proxy_environment::from_process();
        auto choice = proxy::proxy_for(url_text_, config, env);
        if (!choice)
            co_return fail(choice.error(), {}, "the proxy setting cannot be used");
        report_.proxy_explanation = choice->explanation;
        note(choice->explanation);
        std::optional<proxy::proxy_url> proxy = std::move(choice->proxy);
        if (proxy)
            report_.proxy = proxy->redacted();

        // The contexts come from the process-wide cache (tls_options::context_cache_timeout):
        // building one loads the whole CA store, which would dominate the setup of every connection.
        auto layers = std::make_unique<detail::connection_layers>();
        if (url_.secure) {
            auto made = detail::client_context_for(o_.tls);
            if (!made.context)
                co_return fail_in(connect_phase::tls, made.failure.ec, {}, made.failure.message());
            layers->origin_context = std::move(made.context);
        }
        const bool https_proxy = proxy && proxy->scheme == proxy::proxy_scheme::https;
        if (https_proxy) {
            auto made = detail::client_context_for(o_.proxy_tls);
            if (!made.context)
                co_return fail_in(connect_phase::proxy_tls, made.failure.ec, {}, made.failure.message());
            layers->proxy_context = std::move(made.context);
        }

        const std::string dial_host = proxy ? proxy->host : url_.host;
        const std::uint16_t dial_port = proxy ? proxy->port : url_.port;
        tcp::socket socket(co_await asio::this_coro::executor);

        enter(connect_phase::resolve);
        auto endpoints = co_await resolve(dial_host, dial_port);
        if (!endpoints)
            co_return fail(endpoints.error(), {}, "looking up " + std::string(proxy ? "the proxy " : "") + dial_host);

        enter(connect_phase::tcp_connect);
        const auto ordered = detail::interleave_families(*endpoints);
        const std::function<void(std::string_view)> note_hook = [this](std::string_view t) { note(t); };
        auto attempt = co_await detail::co_connect_each(socket, ordered, o_.connect_timeout, note_hook);
        if (attempt.ec)
            co_return fail(attempt.ec, {}, "connecting to " + std::string(proxy ? "the proxy " : "") + dial_host + " (" + attempt.failures + ")");
        report_.remote_endpoint = detail::to_string(attempt.connected);

        if (https_proxy) {
            // TLS to the proxy, CONNECT inside it; then the origin's own TLS inside that (wss://).
            detail::tls_layer_stream to_proxy(std::move(socket), *layers->proxy_context);
            enter(connect_phase::proxy_tls);
            if (auto failed = co_await tls_with(to_proxy, proxy->host, o_.proxy_tls, tls_peer::proxy, report_.proxy_tls))
                co_return std::move(*failed);
            enter(connect_phase::proxy_connect);
            auto reconnect = [&](detail::tls_layer_stream& s) -> asio::awaitable<error_code> {
                note("the proxy closed the connection: connecting again");
                const auto executor = co_await asio::this_coro::executor;
                {
                    // Not a plain move assignment: Asio 1.81's leaks the SSL object it overwrites.
                    auto old = std::move(s);
                    s = detail::tls_layer_stream(executor, *layers->proxy_context);
                }
                auto again = co_await detail::co_connect_each(s.next_layer(), ordered, o_.connect_timeout, note_hook);
                if (again.ec)
                    co_return again.ec;
                // The new session's outcome replaces the first one's in the report, so a failure
                // here keeps its certificate details.
                co_return (co_await tls_with(s, proxy->host, o_.proxy_tls, tls_peer::proxy, report_.proxy_tls))
                              ? report_.proxy_tls->ec
                              : error_code{};
            };
            const proxy_connect_options options = proxy_options();
            const auto creds = credentials_for(*proxy);
            const std::string authority = connect_authority(url_.host, url_.port);
            auto tunnel = co_await co_http_connect(to_proxy, reconnect, authority, creds, options);
            if (auto failed = tunnel_failed(std::move(tunnel), *proxy))
                co_return std::move(*failed);
            if (!url_.secure)
                co_return co_await upgrade<2>(to_proxy, report_.tunnel->leftover, std::move(layers));
            if (!report_.tunnel->leftover.empty())
                co_return fail_in(connect_phase::tls, make_error_code(error::tls_not_tls), {},
                                  "the proxy sent bytes of the tunnel before our TLS ClientHello");
            detail::tls_in_tls_layer_stream to_origin(std::move(to_proxy), *layers->origin_context);
            enter(connect_phase::tls);
            if (auto failed = co_await tls_with(to_origin, url_.host, o_.tls, tls_peer::origin, report_.tls))
                co_return std::move(*failed);
            co_return co_await upgrade<3>(to_origin, {}, std::move(layers));
        }

        std::string leftover;
        if (proxy) {
            enter(connect_phase::proxy_connect);
            auto tunnel = co_await open_tunnel(socket, *proxy, ordered, note_hook);
            if (auto failed = tunnel_failed(std::move(tunnel), *proxy))
                co_return std::move(*failed);
            leftover = report_.tunnel->leftover;
        }
        if (!url_.secure)
            co_return co_await upgrade<1>(socket, leftover, std::move(layers));
        if (!leftover.empty())
            co_return fail_in(connect_phase::tls, make_error_code(error::tls_not_tls), {},
                              "the proxy sent bytes of the tunnel before our TLS ClientHello");
        detail::tls_layer_stream to_origin(std::move(socket), *layers->origin_context);
        enter(connect_phase::tls);
        if (auto failed = co_await tls_with(to_origin, url_.host, o_.tls, tls_peer::origin, report_.tls))
            co_return std::move(*failed);
        co_return co_await upgrade<2>(to_origin, {}, std::move(layers));
    }

private:
    // A TLS handshake on `s` in the current phase; its result goes to `record`. Returns the failure,
    // or nothing when the session is up.
    template <class Stream>
    asio::awaitable<std::optional<outcome>> tls_with(Stream& s, const std::string& host, const tls_options& options,
                                                     tls_peer which, std::optional<tls_result>& record) {
        record = co_await co_tls_handshake(s, host, options, which);
        if (record->ec)
            co_return std::optional<outcome>(fail(record->ec, {}, {}));
        note(record->message());
        if (!record->certificate.empty())
            note("certificate: " + record->certificate.subject + "; issuer: " + record->certificate.issuer +
                 "; valid until " + record->certificate.not_after + (record->certificate.names.empty() ? "" : "; names: " + record->certificate.names));
        co_return std::nullopt;
    }

    std::optional<proxy::credentials> credentials_for(const proxy::proxy_url& proxy) const {
        std::optional<proxy::credentials> creds = o_.proxy_credentials;
        if (!creds && proxy.has_credentials())
            creds = proxy::credentials{proxy.user, proxy.password};
        return creds;
    }

    // Records the tunnel; its failure, in the phase the tunnel names.
    std::optional<outcome> tunnel_failed(tunnel_result tunnel, const proxy::proxy_url& proxy) {
        tunnel.proxy = proxy.redacted();
        report_.tunnel = std::move(tunnel);
        if (!report_.tunnel->ec)
            return std::nullopt;
        return fail_in(phase_of(report_.tunnel->phase), report_.tunnel->ec, report_.tunnel->cause, {});
    }

    // The WebSocket upgrade over `s`, then the stream moves into alternative I of the layers.
    template <std::size_t I, class Stream>
    asio::awaitable<outcome> upgrade(Stream& s, std::string leftover, std::unique_ptr<detail::connection_layers> layers) {
        enter(connect_phase::handshake);
        handshake_options ho;
        ho.request = o_.handshake;
        ho.timeout = o_.handshake_timeout;
        if (o_.trace)
            ho.trace = [this](handshake_trace_direction d, std::string_view head) {
                emit(d == handshake_trace_direction::to_server ? trace_kind::client_to_server : trace_kind::server_to_client, head);
            };
        const auto* first = reinterpret_cast<const std::byte*>(leftover.data());
        const std::vector<std::byte> already(first, first + leftover.size());
        auto upgraded = co_await co_handshake(s, url_, ho, already);
        report_.handshake = upgraded;
        // A TLS 1.3 server refuses a client certificate (or its absence) after the TLS handshake, so
        // its alert arrives with the upgrade's first read: it is still a failure of that TLS session.
        // Layer 0 is the origin's session for wss:// (the proxy's session is under it), and the
        // proxy's own for ws:// through an https:// proxy.
        if (upgraded.tls_alert != 0) {
            const bool proxy_session = !url_.secure || upgraded.tls_layer >= 1;
            co_return fail_as(proxy_session ? connect_phase::proxy_tls : connect_phase::tls, upgraded.ec);
        }
        if (upgraded.ec)
            co_return fail(upgraded.ec, {}, {});
        enter(connect_phase::open);
        const std::vector<std::byte> frames = std::move(upgraded.leftover);
        report_.handshake->leftover.clear();
        layers->stream.template emplace<I>(std::move(s), ws::role::client, o_.stream, std::span<const std::byte>(frames));
        co_return std::move(layers);
    }

    void emit(trace_kind kind, std::string_view text, clock::duration elapsed) {
        if (o_.trace)
            o_.trace(trace_event{kind, phase_, text, elapsed});
    }
    void emit(trace_kind kind, std::string_view text) { emit(kind, text, clock::now() - start_); }
    void note(std::string_view text) { emit(trace_kind::note, text); }

    // Ends the phase in progress (recording its duration) and starts `next`.
    void enter(connect_phase next) {
        const auto now = clock::now();
        if (started_) {
            report_.timings.push_back({phase_, now - phase_start_});
            emit(trace_kind::phase_done, to_string(phase_), now - phase_start_);
        }
        started_ = true;
        phase_ = next;
        phase_start_ = now;
    }

    outcome fail_in(connect_phase phase, error_code ec, error_code cause, std::string detail) {
        phase_ = phase;
        return fail(ec, cause, std::move(detail));
    }

    // A failure noticed in the current phase but belonging to `phase`: the time goes to the
    // current phase (it is what was running), the error to `phase`.
    outcome fail_as(connect_phase phase, error_code ec) {
        report_.timings.push_back({phase_, clock::now() - phase_start_});
        phase_ = phase;
        return connect_error{phase, ec, {}, {}};
    }

    outcome fail(error_code ec, error_code cause, std::string detail) {
        report_.timings.push_back({phase_, clock::now() - phase_start_});
        return connect_error{phase_, ec, cause, std::move(detail)};
    }

    asio::awaitable<boost::system::result<std::vector<tcp::endpoint>>> resolve(const std::string& host, std::uint16_t port) {
        std::vector<tcp::endpoint> out;
        boost::system::error_code parse_ec;
        const auto literal = asio::ip::make_address(host, parse_ec);
        if (!parse_ec) {  // an address needs no lookup
            out.emplace_back(literal, port);
            co_return out;
        }
        tcp::resolver resolver(co_await asio::this_coro::executor);
        auto r = co_await detail::co_before(
            resolver.async_resolve(host, std::to_string(port), asio::as_tuple(asio::use_awaitable)),
            clock::now() + o_.resolve_timeout);
        if (!r)
            co_return make_error_code(asio::error::timed_out);
        auto [ec, results] = std::move(*r);
        if (ec)
            co_return ec;
        for (const auto& entry : results)
            out.push_back(entry.endpoint());
        if (out.empty())
            co_return make_error_code(asio::error::host_not_found);
        note(host + " is " + [&] {
            std::string list;
            for (const auto& e : out)
                list += (list.empty() ? "" : ", ") + e.address().to_string();
            return list;
        }());
        co_return out;
    }

    proxy_connect_options proxy_options() {
        proxy_connect_options p;
        p.credentials = o_.proxy_credentials;
        p.preemptive_basic = o_.preemptive_proxy_auth;
        p.headers = o_.proxy_headers;
        p.connect_timeout = o_.connect_timeout;
        p.exchange_timeout = o_.proxy_timeout;
        p.total_timeout = o_.total_timeout;
        if (o_.trace)
            p.trace = [this](trace_direction d, std::string_view head) {
                emit(d == trace_direction::to_proxy ? trace_kind::client_to_proxy : trace_kind::proxy_to_client, head);
            };
        return p;
    }

    // The CONNECT exchange or the SOCKS5 one over a socket connected to the proxy.
    asio::awaitable<tunnel_result> open_tunnel(tcp::socket& socket, const proxy::proxy_url& proxy,
                                               const std::vector<tcp::endpoint>& proxy_endpoints,
                                               const std::function<void(std::string_view)>& note_hook) {
        const proxy_connect_options options = proxy_options();
        const auto creds = credentials_for(proxy);

        if (proxy.scheme == proxy::proxy_scheme::http) {
            // A proxy that closes the connection with its 407: connect again (to any of its addresses).
            auto reconnect = [&](tcp::socket& s) -> asio::awaitable<error_code> {
                note("the proxy closed the connection: connecting again");
                auto again = co_await detail::co_connect_each(s, proxy_endpoints, o_.connect_timeout, note_hook);
                co_return again.ec;
            };
            const std::string authority = connect_authority(url_.host, url_.port);
            co_return co_await co_http_connect(socket, reconnect, authority, creds, options);
        }

        // SOCKS5: socks5h:// sends the name; socks5:// resolves it here (an IP literal needs no lookup).
        std::optional<proxy::socks5_credentials> socks_creds;
        if (creds)
            socks_creds = proxy::socks5_credentials{creds->user, creds->password};
        proxy::socks5_target target;
        boost::system::error_code parse_ec;
        auto address = asio::ip::make_address(url_.host, parse_ec);
        if (parse_ec && proxy.scheme == proxy::proxy_scheme::socks5) {
            auto resolved = co_await resolve(url_.host, url_.port);
            if (!resolved) {
                tunnel_result failed;
                failed.phase = proxy_phase::resolve_target;
                failed.ec = resolved.error();
                co_return failed;
            }
            address = resolved->front().address();
            parse_ec = {};
        }
        if (parse_ec)
            target = proxy::socks5_target::domain(url_.host, url_.port);
        else if (address.is_v4())
            target = proxy::socks5_target::ipv4(address.to_v4().to_bytes(), url_.port);
        else
            target = proxy::socks5_target::ipv6(address.to_v6().to_bytes(), url_.port);
        note("SOCKS5 CONNECT " + connect_authority(url_.host, url_.port));
        co_return co_await co_socks5_connect(socket, target, socks_creds, options);
    }

    const std::string& url_text_;
    const connect_options& o_;
    connect_report& report_;
    ws::ws_url url_;
    connect_phase phase_ = connect_phase::url;
    clock::time_point start_ = clock::now();
    clock::time_point phase_start_ = start_;
    bool started_ = false;
};

} // namespace

asio::awaitable<connection> detail::co_connect_impl(std::string url, connect_options options) {
    connect_report report;
    report.url = ws::redact_url(url);  // printed in messages, traces and JSON
    connect_run run(url, options, report);
    auto result = co_await detail::co_before(run.run(), clock::now() + options.total_timeout);
    if (!result) {
        report.timings.push_back({run.phase(), {}});
        connect_error e{run.phase(), make_error_code(asio::error::timed_out), {},
                        "the whole connection took longer than the overall timeout (" +
                            std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(options.total_timeout).count()) +
                            " ms)"};
        co_return connection(std::move(e), std::move(report));
    }
    if (result->layers)
        co_return connection(std::move(result->layers), std::move(report));
    co_return connection(std::move(result->error), std::move(report));
}

} // namespace burrow
