// Whether a read error means "the peer went away" rather than a local or protocol failure.
#pragma once

#include <boost/asio/error.hpp>
#include <boost/system/error_code.hpp>

#include <cstring>

namespace burrow::detail {

/// True for boost::asio::ssl::error::stream_truncated: the TCP connection under a TLS session
/// ended without a TLS close_notify. Recognised by its category's name and value (1 with OpenSSL
/// >= 1.1, BoringSSL and wolfSSL, the only TLS configurations burrow builds with), so this header
/// needs no TLS headers.
inline bool is_tls_truncation(const boost::system::error_code& ec) noexcept {
    return ec.value() == 1 && std::strcmp(ec.category().name(), "asio.ssl.stream") == 0;
}

/// True for the ways a peer's end of the connection shows up in a read: end of file, a reset, a
/// broken pipe, and under TLS "stream truncated" (which proxies, load balancers and crashed
/// servers cause all the time).
inline bool is_end_of_stream(const boost::system::error_code& ec) noexcept {
    if (ec == boost::asio::error::eof || ec == boost::asio::error::connection_reset ||
        ec == boost::asio::error::broken_pipe)
        return true;
    return is_tls_truncation(ec);
}

} // namespace burrow::detail
