// How a WebSocket stream ends its transport, per layer type. stream.hpp calls these two functions
// and nothing else, so a new layer (a TLS stream, a test double) only needs overloads here.
//
// half_close: after our Close frame went out, tell the peer no more data follows (a socket sends
//   FIN) while the read side stays open, so the peer's remaining bytes can be drained.
// close_now: release the transport at once; never blocks, never throws.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/system/error_code.hpp>

namespace burrow::detail {

template <class Stream>
boost::asio::awaitable<void> co_half_close(Stream& s) {
    boost::system::error_code ignored;
    if constexpr (requires { s.shutdown(Stream::shutdown_send, ignored); })
        s.shutdown(Stream::shutdown_send, ignored);
    co_return;
}

template <class Stream>
void close_now(Stream& s) {
    boost::system::error_code ignored;
    if constexpr (requires { s.shutdown(Stream::shutdown_both, ignored); })
        s.shutdown(Stream::shutdown_both, ignored);
    if constexpr (requires { s.close(ignored); })
        s.close(ignored);
}

}  // namespace burrow::detail
