// Bodies of co_tls_handshake and co_tls_accept (declared in burrow/asio/tls.hpp): set the session up
// (non-template, lib/tls), run Asio's handshake against a deadline, then explain the outcome.
#pragma once

#include <burrow/asio/detail/deadline.hpp>
#include <burrow/asio/detail/tls_session.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <memory>
#include <optional>

namespace burrow::detail {

template <class NextLayer>
boost::asio::awaitable<tls_result> co_tls_run_handshake(boost::asio::ssl::stream<NextLayer>& s,
                                                        boost::asio::ssl::stream_base::handshake_type type,
                                                        std::shared_ptr<tls_verify_record> record, std::string host,
                                                        tls_peer which, clock::duration timeout) {
    auto run = [&s, type]() -> boost::asio::awaitable<boost::system::error_code> {
        auto [ec] = co_await s.async_handshake(type, boost::asio::as_tuple(boost::asio::use_awaitable));
        co_return ec;
    };
    tls_received_prefix prefix;
    std::optional<boost::system::error_code> ec;
    {
        // Stops the recording however the handshake ends (an exception included): the session
        // must not keep a pointer into this frame.
        tls_recording recording(s.native_handle(), prefix);
        ec = co_await detail::co_before(run(), clock::now() + timeout);
    }
    if (!ec) {
        tls_result out;
        out.ec = error::tls_timeout;
        out.peer = which;
        out.host = std::move(host);
        co_return out;
    }
    co_return tls_outcome(s.native_handle(), *ec, *record, prefix, which, std::move(host));
}

template <class NextLayer>
boost::asio::awaitable<tls_result> co_tls_handshake_impl(boost::asio::ssl::stream<NextLayer>& s, std::string host,
                                                         tls_options options, tls_peer which) {
    std::string name = tls_target_name(host, options);
    std::string detail;
    if (auto ec = tls_prepare_client(s.native_handle(), name, options, detail)) {
        tls_result out;
        out.ec = ec;
        out.peer = which;
        out.host = std::move(name);
        out.detail = std::move(detail);
        co_return out;
    }
    auto record = std::make_shared<tls_verify_record>();
    s.set_verify_callback(tls_verifier(record, name, options.insecure_skip_verify));
    co_return co_await co_tls_run_handshake(s, boost::asio::ssl::stream_base::client, record, std::move(name), which,
                                            options.handshake_timeout);
}

template <class NextLayer>
boost::asio::awaitable<tls_result> co_tls_accept_impl(boost::asio::ssl::stream<NextLayer>& s, tls_options options) {
    tls_prepare_server(s.native_handle(), options);
    auto record = std::make_shared<tls_verify_record>();
    s.set_verify_callback(tls_verifier(record, std::string(), options.insecure_skip_verify));
    co_return co_await co_tls_run_handshake(s, boost::asio::ssl::stream_base::server, record, std::string(),
                                            tls_peer::client, options.handshake_timeout);
}

} // namespace burrow::detail
