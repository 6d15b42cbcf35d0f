// How a WebSocket stream ends its transport, per layer type. stream.hpp calls these two functions
// and nothing else, so a new layer (a TLS stream, a test double) only needs overloads here.
//
// half_close: after our Close frame went out, tell the peer no more data follows (a socket sends
//   FIN, a TLS layer sends close_notify) while the read side stays open, so the peer's remaining
//   bytes can be drained. Never waits for the peer.
// close_now: release the transport at once; never blocks, never throws.
//
// TLS layers (anything with async_shutdown, next_layer and a native SSL handle: ssl::stream, also
// nested, TLS inside TLS) are handled here without naming Asio's ssl types, so this header does not
// need the TLS build configuration.
#pragma once

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/system/error_code.hpp>

namespace burrow::detail {

/// A TLS layer over another stream (Asio's ssl::stream).
template <class Stream>
concept tls_layer = requires(Stream& s) {
    s.next_layer();
    s.native_handle();
    s.async_shutdown(boost::asio::use_awaitable);
};

/// Marks the TLS session as if the peer's close_notify had arrived, so that a shutdown only sends
/// ours and completes (Asio's async_shutdown otherwise waits for the peer's close_notify, reading
/// and discarding its data). Implemented in lib/tls.
void tls_send_close_notify_only(void* ssl) noexcept;

/// Undoes tls_send_close_notify_only after the close_notify went out: reading (the drain) sees
/// the peer's remaining records and its close_notify again.
void tls_resume_reading(void* ssl) noexcept;

template <class Stream>
boost::asio::awaitable<void> co_half_close(Stream& s) {
    if constexpr (tls_layer<Stream>) {
        // close_notify on this session, then the end of the layer below (for TLS inside TLS the
        // outer session's close_notify, then FIN). The write is bounded by the socket only: the
        // caller bounds its whole close (stream.hpp's close_timeout covers the drain that follows).
        tls_send_close_notify_only(s.native_handle());
        auto [ec] = co_await s.async_shutdown(boost::asio::as_tuple(boost::asio::use_awaitable));
        (void)ec;
        tls_resume_reading(s.native_handle());
        co_await co_half_close(s.next_layer());
    } else {
        boost::system::error_code ignored;
        if constexpr (requires { s.shutdown(Stream::shutdown_send, ignored); })
            s.shutdown(Stream::shutdown_send, ignored);
    }
    co_return;
}

template <class Stream>
void close_now(Stream& s) {
    if constexpr (tls_layer<Stream>) {
        close_now(s.next_layer());  // no close_notify here: closing must not wait or write
    } else {
        boost::system::error_code ignored;
        if constexpr (requires { s.shutdown(Stream::shutdown_both, ignored); })
            s.shutdown(Stream::shutdown_both, ignored);
        if constexpr (requires { s.close(ignored); })
            s.close(ignored);
    }
}

}  // namespace burrow::detail
