#include <burrow/asio/connect_via_proxy.hpp>
#include <burrow/asio/tls_proxy.hpp>

#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/this_coro.hpp>

namespace burrow {

namespace asio = boost::asio;
using asio::ip::tcp;

std::string_view to_string(proxy_phase phase) noexcept {
    switch (phase) {
    case proxy_phase::resolve_proxy: return "resolve proxy";
    case proxy_phase::connect_to_proxy: return "connect to proxy";
    case proxy_phase::tls_to_proxy: return "TLS to proxy";
    case proxy_phase::proxy_connect: return "proxy CONNECT";
    case proxy_phase::proxy_authentication: return "proxy authentication";
    case proxy_phase::socks: return "SOCKS5";
    case proxy_phase::resolve_target: return "resolve target";
    case proxy_phase::tunnel_open: return "tunnel open";
    }
    return "proxy";
}

std::string connect_authority(std::string_view host, std::uint16_t port) {
    const bool ipv6 = host.find(':') != std::string_view::npos;
    std::string out;
    if (ipv6)
        out.append("[").append(host).append("]");
    else
        out.append(host);
    return out.append(":").append(std::to_string(port));
}

std::string tunnel_result::message() const {
    if (!ec)
        return "tunnel open through " + proxy;
    if (phase == proxy_phase::tls_to_proxy && tls.ec)
        return "TLS to proxy failed (proxy " + proxy + "): " + tls.message();
    std::string out(to_string(phase));
    out += " failed";
    if (!proxy.empty())
        out += " (proxy " + proxy + ")";
    out += ": " + ec.message();
    if (cause)
        out += ": " + cause.message();
    if (const auto said = diagnostics.summary(); !said.empty())
        out += ". The proxy answered: " + said;
    if (!diagnostics.detail.empty())
        out += ". " + diagnostics.detail;
    if (!diagnostics.body_start.empty())
        out += ". It said: \"" + diagnostics.body_start + "\"";
    if (ec == error::proxy_auth_required)
        out += ". Hint: the proxy requires authentication; give user:password in the proxy URL or as credentials";
    else if (ec == error::proxy_auth_failed)
        out += ". Hint: check the user name and password for the proxy";
    else if (ec == error::proxy_auth_unsupported)
        out += ". The proxy offers: " + diagnostics.proxy_authenticate;
    else if (ec == error::proxy_timeout)
        out += ". Hint: the proxy accepted the connection but did not answer in time";
    return out + ".";
}

namespace {

struct proxy_connection {
    tcp::socket& socket;
    tcp::resolver::results_type endpoints;
    const proxy_connect_options& options;
    detail::clock::time_point deadline;

    // Tries every address of the proxy in turn, each with its own timeout.
    asio::awaitable<boost::system::error_code> connect() {
        boost::system::error_code last = asio::error::host_not_found;
        for (const auto& entry : endpoints) {
            boost::system::error_code ignored;
            socket.close(ignored);
            const auto attempt_deadline = std::min(deadline, detail::clock::now() + options.connect_timeout);
            auto r = co_await detail::co_before(socket.async_connect(entry.endpoint(), asio::as_tuple(asio::use_awaitable)),
                                                attempt_deadline);
            if (!r) {
                last = error::proxy_timeout;
                continue;
            }
            last = std::get<0>(*r);
            if (!last) {
                socket.set_option(tcp::no_delay(true), ignored);
                co_return last;
            }
        }
        co_return last;
    }
};

// The TLS session to an https:// proxy (absent for the tcp::socket overload).
struct proxy_tls {
    asio::ssl::stream<tcp::socket>& stream;
    const tls_options& options;
};

// A fresh TLS stream on a new socket, same context: after a 407 closed the connection, the old
// session cannot be reused. The caller's context is borrowed for the constructor only, through a
// reference of our own: an asio::ssl::context that wraps a native handle deletes the password and
// verify callbacks stored in it when it dies, and those belong to the caller's context, so they
// are detached for that moment and put back.
void renew(asio::ssl::stream<tcp::socket>& stream) {
    SSL_CTX* native = SSL_get_SSL_CTX(stream.native_handle());
    asio::ssl::stream<tcp::socket> fresh = [&] {
        SSL_CTX_up_ref(native);
        asio::ssl::context borrowed(native);  // adopts the reference just taken
        asio::ssl::stream<tcp::socket> s(tcp::socket(stream.get_executor()), borrowed);
        void* password_callback = SSL_CTX_get_default_passwd_cb_userdata(native);
        void* verify_callback = SSL_CTX_get_app_data(native);
        SSL_CTX_set_default_passwd_cb_userdata(native, nullptr);
        SSL_CTX_set_app_data(native, nullptr);
        {
            const asio::ssl::context dying = std::move(borrowed);  // frees only our reference
        }
        SSL_CTX_set_default_passwd_cb_userdata(native, password_callback);
        SSL_CTX_set_app_data(native, verify_callback);
        return s;
    }();
    // Move-assigning over a live ssl::stream leaks its SSL object in Asio 1.81 (the engine's
    // move assignment does not free it): move the old one out so its destructor frees it.
    auto old = std::move(stream);
    stream = std::move(fresh);
}

asio::awaitable<tunnel_result> co_tunnel(tcp::socket& socket, const proxy::proxy_url& proxy, std::string_view host,
                                          std::uint16_t port, const proxy_connect_options& options,
                                          detail::clock::time_point deadline, proxy_phase& phase,
                                          const std::optional<proxy_tls>& tls) {
    tunnel_result out;
    auto fail = [&](proxy_phase p, boost::system::error_code ec, boost::system::error_code cause = {}) {
        out.phase = p;
        out.ec = ec;
        out.cause = cause;
        return out;
    };
    if (proxy.scheme == proxy::proxy_scheme::https && !tls)
        co_return fail(proxy_phase::connect_to_proxy, error::proxy_unsupported_scheme);

    phase = proxy_phase::resolve_proxy;
    tcp::resolver resolver(co_await asio::this_coro::executor);
    const std::string proxy_port = std::to_string(proxy.port);
    auto [resolve_ec, endpoints] =
        co_await resolver.async_resolve(proxy.host, proxy_port, asio::as_tuple(asio::use_awaitable));
    if (resolve_ec)
        co_return fail(proxy_phase::resolve_proxy, error::proxy_unreachable, resolve_ec);

    phase = proxy_phase::connect_to_proxy;
    proxy_connection conn{socket, endpoints, options, deadline};
    if (const auto ec = co_await conn.connect())
        co_return fail(proxy_phase::connect_to_proxy, ec == error::proxy_timeout ? ec : make_error_code(error::proxy_unreachable),
                       ec == error::proxy_timeout ? boost::system::error_code{} : ec);

    std::optional<proxy::credentials> creds = options.credentials;
    if (!creds && proxy.has_credentials())
        creds = proxy::credentials{proxy.user, proxy.password};

    if (proxy.scheme == proxy::proxy_scheme::http) {
        phase = proxy_phase::proxy_connect;
        auto reconnect = [&conn](tcp::socket&) { return conn.connect(); };
        std::string authority = connect_authority(host, port);
        co_return co_await co_http_connect(socket, reconnect, std::move(authority), std::move(creds), options);
    }

    if (proxy.scheme == proxy::proxy_scheme::https) {
        phase = proxy_phase::tls_to_proxy;
        const std::string proxy_host = proxy.host;
        auto handshake = co_await co_tls_handshake(tls->stream, proxy_host, tls->options, tls_peer::proxy);
        if (handshake.ec) {
            out.tls = std::move(handshake);
            co_return fail(proxy_phase::tls_to_proxy, out.tls.ec);
        }
        phase = proxy_phase::proxy_connect;
        // `socket` is tls->stream.next_layer(): a member of the stream, so it stays the same object
        // when renew() replaces the stream's contents.
        auto reconnect = [&conn, &tls, &proxy_host](asio::ssl::stream<tcp::socket>& s)
            -> asio::awaitable<boost::system::error_code> {
            renew(s);
            if (auto ec = co_await conn.connect())
                co_return ec;
            auto again = co_await co_tls_handshake(s, proxy_host, tls->options, tls_peer::proxy);
            co_return again.ec;
        };
        std::string authority = connect_authority(host, port);
        auto result = co_await co_http_connect(tls->stream, reconnect, std::move(authority), std::move(creds), options);
        // The session's parameters, and its failure when the proxy ended it after the handshake.
        tls_result failed_later = std::move(result.tls);
        result.tls = std::move(handshake);
        if (failed_later.ec) {
            result.tls.ec = failed_later.ec;
            result.tls.detail = std::move(failed_later.detail);
        }
        co_return result;
    }

    // SOCKS5: socks5h:// sends the name; socks5:// resolves it here (an IP literal needs no lookup).
    std::optional<proxy::socks5_credentials> socks_creds;
    if (creds)
        socks_creds = proxy::socks5_credentials{creds->user, creds->password};
    boost::system::error_code parse_ec;
    auto address = asio::ip::make_address(std::string(host), parse_ec);
    if (parse_ec && proxy.scheme == proxy::proxy_scheme::socks5) {
        phase = proxy_phase::resolve_target;
        const std::string target_host(host), target_port = std::to_string(port);
        auto [ec, results] =
            co_await resolver.async_resolve(target_host, target_port, asio::as_tuple(asio::use_awaitable));
        if (ec || results.empty())
            co_return fail(proxy_phase::resolve_target, ec ? ec : make_error_code(asio::error::host_not_found));
        address = results.begin()->endpoint().address();
        parse_ec = {};
    }
    proxy::socks5_target target;
    if (parse_ec)
        target = proxy::socks5_target::domain(host, port);
    else if (address.is_v4())
        target = proxy::socks5_target::ipv4(address.to_v4().to_bytes(), port);
    else
        target = proxy::socks5_target::ipv6(address.to_v6().to_bytes(), port);
    phase = proxy_phase::socks;
    co_return co_await co_socks5_connect(socket, target, socks_creds, options);
}

} // namespace

namespace {

asio::awaitable<tunnel_result> co_run_tunnel(tcp::socket& socket, const proxy::proxy_url& proxy, const std::string& host,
                                              std::uint16_t port, const proxy_connect_options& options,
                                              std::optional<proxy_tls> tls) {
    const auto deadline = detail::clock::now() + options.total_timeout;
    proxy_phase phase = proxy_phase::resolve_proxy;
    auto result =
        co_await detail::co_before(co_tunnel(socket, proxy, host, port, options, deadline, phase, tls), deadline);
    tunnel_result out;
    if (result) {
        out = std::move(*result);
    } else {
        out.ec = error::proxy_timeout;
        out.phase = phase;
    }
    out.proxy = proxy.redacted();
    if (out.ec) {
        boost::system::error_code ignored;
        socket.close(ignored);
    }
    co_return out;
}

} // namespace

asio::awaitable<tunnel_result> detail::co_connect_via_proxy_impl(tcp::socket& socket, proxy::proxy_url proxy,
                                                                 std::string host, std::uint16_t port,
                                                                 proxy_connect_options options) {
    co_return co_await co_run_tunnel(socket, proxy, host, port, options, std::nullopt);
}

asio::awaitable<tunnel_result> detail::co_connect_via_tls_proxy_impl(asio::ssl::stream<tcp::socket>& stream,
                                                                     proxy::proxy_url proxy, std::string host,
                                                                     std::uint16_t port, proxy_connect_options options,
                                                                     tls_options proxy_tls) {
    std::optional<burrow::proxy_tls> tls;
    tls.emplace(burrow::proxy_tls{stream, proxy_tls});
    co_return co_await co_run_tunnel(stream.next_layer(), proxy, host, port, options, tls);
}

} // namespace burrow
