// Bodies of the generic proxy drivers declared in connect_via_proxy.hpp.
#pragma once

#include <burrow/asio/detail/deadline.hpp>
#include <burrow/asio/detail/end_of_stream.hpp>
#include <burrow/asio/detail/stream_error.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <array>
#include <string>
#include <tuple>

namespace burrow {

namespace detail {

inline bool is_auth_error(const boost::system::error_code& ec) noexcept {
    return ec == error::proxy_auth_required || ec == error::proxy_auth_failed || ec == error::proxy_auth_unsupported;
}

struct round_outcome {
    proxy::connect_step step = proxy::connect_step::failed;
    boost::system::error_code io_error;  // a read or write failed (not end of stream)
    stream_failure explained;            // that failure, explained by the stream's TLS layers
};

// One CONNECT round: send the request, read until the exchange decides. A 407 body on a kept
// connection is skipped here too, so the round ends with send_request, reconnect, tunnel_open or
// failed. `buffer` holds the reply bytes received (and, after send_request, any bytes that came
// after the 407's body: they belong to the next reply).
template <class AsyncStream>
boost::asio::awaitable<round_outcome> co_http_round(AsyncStream& stream, proxy::connect_exchange& ex,
                                                     const std::string& request, std::string& buffer,
                                                     const proxy_trace_hook& trace) {
    using boost::asio::as_tuple;
    using boost::asio::use_awaitable;
    auto [write_ec, written] = co_await boost::asio::async_write(stream, boost::asio::buffer(request),
                                                                 as_tuple(use_awaitable));
    if (write_ec)
        co_return round_outcome{proxy::connect_step::failed, write_ec, explain_stream_error(stream, write_ec)};

    std::array<char, 4096> chunk;
    std::size_t body_from = 0;
    bool skipping = false;
    bool head_traced = false;
    auto trace_head = [&] {
        if (trace && !head_traced && ex.head_size() > 0) {
            trace(trace_direction::from_proxy, std::string_view(buffer).substr(0, ex.head_size()));
            head_traced = true;
        }
    };
    proxy::connect_step step = buffer.empty() ? proxy::connect_step::need_more : ex.on_reply(buffer);
    for (;;) {
        if (step == proxy::connect_step::skip_body) {
            trace_head();
            skipping = true;
            body_from = ex.head_size();
        }
        if (skipping) {
            // Also with no bytes yet: an empty body (Content-Length: 0) ends right here.
            std::size_t consumed = 0;
            step = ex.on_body(std::string_view(buffer).substr(body_from), consumed);
            body_from += consumed;
        }
        if (step != proxy::connect_step::need_more)
            break;
        auto [ec, n] = co_await stream.async_read_some(boost::asio::buffer(chunk), as_tuple(use_awaitable));
        // (an https:// proxy that closes without close_notify reads as TLS "stream truncated")
        if (ec == boost::asio::error::eof || ec == boost::asio::error::connection_reset || is_tls_truncation(ec)) {
            step = ex.on_eof();
            break;
        }
        if (ec)
            co_return round_outcome{proxy::connect_step::failed, ec, explain_stream_error(stream, ec)};
        buffer.append(chunk.data(), n);
        if (!skipping)
            step = ex.on_reply(buffer);
    }
    trace_head();
    if (step == proxy::connect_step::send_request)
        buffer.erase(0, body_from);
    co_return round_outcome{step, {}};
}

} // namespace detail

namespace detail {

template <class AsyncStream, class Reconnect>
boost::asio::awaitable<tunnel_result> co_http_connect_impl(AsyncStream& stream, Reconnect reconnect, std::string target,
                                                           std::optional<proxy::credentials> creds,
                                                           proxy_connect_options options) {
    proxy::connect_settings settings;
    settings.target = std::move(target);
    settings.user_agent = options.user_agent;
    settings.headers = options.headers;
    settings.limits = options.limits;
    settings.max_rounds = options.max_rounds;
    proxy::connect_exchange ex(std::move(settings), std::move(creds), options.preemptive_basic);

    tunnel_result out;
    out.phase = proxy_phase::proxy_connect;
    std::string buffer;
    for (unsigned round = 1;; ++round) {
        auto request = ex.request(options.headers_for_round ? options.headers_for_round(round) : proxy::header_list{});
        if (!request) {
            out.ec = request.error();
            co_return out;
        }
        if (options.trace)
            options.trace(trace_direction::to_proxy, proxy::redact_head(*request));
        const auto deadline = detail::clock::now() + options.exchange_timeout;
        auto outcome = co_await detail::co_before(detail::co_http_round(stream, ex, *request, buffer, options.trace),
                                                  deadline);
        out.diagnostics = ex.diagnostics();
        if (!outcome) {
            out.ec = error::proxy_timeout;
            co_return out;
        }
        if (outcome->explained.alert != 0) {
            // An https:// proxy's TLS 1.3 refusal of our client certificate (or its absence)
            // arrives after the TLS handshake, with the CONNECT's reply: a failure of that session.
            out.phase = proxy_phase::tls_to_proxy;
            out.ec = outcome->explained.ec;
            out.tls.ec = outcome->explained.ec;
            out.tls.peer = tls_peer::proxy;
            out.tls.detail = "the proxy sent the TLS alert \"" + outcome->explained.alert_name + "\" (" +
                             std::to_string(outcome->explained.alert) + ") after the TLS handshake";
            co_return out;
        }
        if (outcome->io_error) {
            out.ec = outcome->io_error;
            co_return out;
        }
        switch (outcome->step) {
        case proxy::connect_step::tunnel_open:
            out.phase = proxy_phase::tunnel_open;
            out.leftover = buffer.substr(ex.head_size());
            co_return out;
        case proxy::connect_step::send_request: break;
        case proxy::connect_step::reconnect: {
            buffer.clear();
            const boost::system::error_code ec = co_await reconnect(stream);
            if (ec) {
                out.phase = proxy_phase::connect_to_proxy;
                out.ec = error::proxy_unreachable;
                out.cause = ec;
                co_return out;
            }
            break;
        }
        default:
            out.ec = ex.error();
            if (detail::is_auth_error(out.ec))
                out.phase = proxy_phase::proxy_authentication;
            co_return out;
        }
    }
}

} // namespace detail

/// The HTTP CONNECT exchange over a stream already connected to the proxy, to `target` (the
/// authority "host:port", see connect_authority). When a 407 closes the connection,
/// `reconnect(stream)` (returning awaitable<boost::system::error_code>) must leave `stream`
/// connected to the proxy again. `options.exchange_timeout` bounds each round; `max_rounds`,
/// `limits`, `headers`, `headers_for_round`, `user_agent`, `preemptive_basic` and `trace` apply. On
/// success `leftover` holds the tunnel's first bytes. Arguments are copied (see co_connect_via_proxy
/// for why they are taken by reference).
template <class AsyncStream, class Reconnect>
boost::asio::awaitable<tunnel_result> co_http_connect(AsyncStream& stream, Reconnect reconnect, std::string_view target,
                                                      const std::optional<proxy::credentials>& creds,
                                                      const proxy_connect_options& options) {
    return detail::co_http_connect_impl(stream, std::move(reconnect), std::string(target), creds, options);
}

/// The SOCKS5 exchange over a stream already connected to the proxy. Reads exactly the bytes of
/// the proxy's replies, so nothing of the tunnel is consumed (`leftover` stays empty).
template <class AsyncStream>
boost::asio::awaitable<tunnel_result> co_socks5_connect(AsyncStream& stream, const proxy::socks5_target& target,
                                                        std::optional<proxy::socks5_credentials> creds,
                                                        const proxy_connect_options& options) {
    using boost::asio::as_tuple;
    using boost::asio::use_awaitable;
    tunnel_result out;
    out.phase = proxy_phase::socks;
    auto exchange = [&]() -> boost::asio::awaitable<tunnel_result> {
        proxy::socks5_client client(target, creds);
        std::span<const std::byte> received;
        for (;;) {
            const auto action = client.resume(received);
            received = {};
            switch (action.kind) {
            case proxy::socks5_action_kind::write: {
                auto [ec, n] = co_await boost::asio::async_write(
                    stream, boost::asio::buffer(action.data.data(), action.data.size()), as_tuple(use_awaitable));
                if (ec) {
                    out.ec = ec;
                    co_return out;
                }
                break;
            }
            case proxy::socks5_action_kind::read: {
                auto [ec, n] = co_await stream.async_read_some(
                    boost::asio::buffer(action.buffer.data(), action.buffer.size()), as_tuple(use_awaitable));
                if (ec == boost::asio::error::eof || ec == boost::asio::error::connection_reset) {
                    out.ec = error::proxy_closed;
                    co_return out;
                }
                if (ec) {
                    out.ec = ec;
                    co_return out;
                }
                received = action.buffer.first(n);
                break;
            }
            case proxy::socks5_action_kind::done: out.phase = proxy_phase::tunnel_open; co_return out;
            case proxy::socks5_action_kind::error: out.ec = action.err; co_return out;
            }
        }
    };
    auto result = co_await detail::co_before(exchange(), detail::clock::now() + options.exchange_timeout);
    if (!result) {
        out.ec = error::proxy_timeout;
        co_return out;
    }
    co_return std::move(*result);
}

} // namespace burrow
