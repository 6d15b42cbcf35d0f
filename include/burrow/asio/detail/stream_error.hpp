// Turns a read or write error of a TLS stream after its handshake into what happened. With TLS 1.3
// a server checks the client's certificate after the client's side of the handshake is done, so
// its refusal ("certificate required") arrives as an alert with the first read, which Asio reports
// as an anonymous "unexpected result" or a truncated stream.
#pragma once

#include <burrow/asio/detail/teardown.hpp>

#include <boost/system/error_code.hpp>

#include <string>

namespace burrow::detail {

/// For a TLS session (a native SSL handle) whose read or write failed with `ec`: error::tls_alert
/// with `detail` ("the server sent the alert ...") when the peer sent a fatal alert, else `ec`.
/// Implemented in lib/tls.
boost::system::error_code tls_explain_stream_error(void* ssl, boost::system::error_code ec,
                                                   std::string& detail);

/// `ec` explained by the stream's TLS layers (outermost first); `ec` itself for plain streams.
template <class Stream>
boost::system::error_code explain_stream_error(Stream& s, boost::system::error_code ec, std::string& detail) {
    if constexpr (tls_layer<Stream>) {
        const auto explained = tls_explain_stream_error(s.native_handle(), ec, detail);
        if (explained != ec)
            return explained;
        return explain_stream_error(s.next_layer(), ec, detail);
    } else {
        (void)s;
        (void)detail;
        return ec;
    }
}

} // namespace burrow::detail
