// What a TLS stream's layers say when a read or write on it failed after the handshake. With TLS
// 1.3 a server checks the client's certificate after the client's side of the handshake is done,
// so its refusal ("certificate_required") arrives as an alert with the first read, which Asio
// reports only as an anonymous "unexpected result" or a truncated stream.
#pragma once

#include <burrow/asio/detail/teardown.hpp>
#include <burrow/error.hpp>

#include <boost/asio/error.hpp>
#include <boost/system/error_code.hpp>

#include <string>

namespace burrow::detail {

/// The fatal alert a TLS session (a native SSL handle) received, 0 when none; `name` gets its
/// RFC 8446 name ("certificate_required"). Implemented in lib/tls.
int tls_received_fatal_alert(void* ssl, std::string& name);

/// A failed read or write, explained.
struct stream_failure {
    boost::system::error_code ec;  ///< error::tls_alert when a TLS layer received a fatal alert, else the error
    int alert = 0;                 ///< that alert's code (RFC 8446 §6.2), 0: none
    std::string alert_name;        ///< e.g. "certificate_required"
    int tls_layer = -1;            ///< the layer that received it: 0 the outermost TLS session, 1 the one under it
};

/// `ec` explained by the stream's TLS layers, outermost first (`depth` counts the TLS layers
/// already looked at); `ec` itself for plain streams and errors without an alert.
template <class Stream>
stream_failure explain_stream_error(Stream& s, boost::system::error_code ec, int depth = 0) {
    if constexpr (tls_layer<Stream>) {
        if (ec && ec != boost::asio::error::operation_aborted) {
            stream_failure out;
            out.alert = tls_received_fatal_alert(s.native_handle(), out.alert_name);
            if (out.alert != 0) {
                out.ec = error::tls_alert;
                out.tls_layer = depth;
                return out;
            }
        }
        return explain_stream_error(s.next_layer(), ec, depth + 1);
    } else {
        (void)s;
        (void)depth;
        return stream_failure{ec, 0, {}, -1};
    }
}

} // namespace burrow::detail
