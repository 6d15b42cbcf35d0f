// How a WebSocket stream ends its transport, per layer type. stream.hpp calls these two functions
// and nothing else, so a new layer (a TLS stream, a test double) only needs overloads here.
//
// half_close: after our Close frame went out, tell the peer no more data follows (a socket sends
//   FIN, a TLS layer sends close_notify) while the read side stays open, so the peer's remaining
//   bytes can be drained. Never waits for the peer longer than tls_close_bound.
// close_now: release the transport at once; never blocks, never throws.
//
// TLS layers (anything with async_shutdown, next_layer and a native SSL handle: ssl::stream, also
// nested, TLS inside TLS) are handled here without naming Asio's ssl types, so this header does not
// need the TLS build configuration.
//
// wolfSSL reads no application data once it has sent close_notify, so for TLS the lingering close
// (read until the peer closes, so that closing never answers the peer's last bytes with a reset)
// happens here, on the TCP socket under the TLS layers, instead of in the caller's drain: the
// caller's read then ends at once.
#pragma once

#include <burrow/asio/detail/deadline.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/system/error_code.hpp>

#include <array>
#include <chrono>
#include <cstddef>
#include <type_traits>

namespace burrow::detail {

/// A TLS layer over another stream (Asio's ssl::stream).
template <class Stream>
concept tls_layer = requires(Stream& s) {
    s.next_layer();
    s.native_handle();
    s.async_shutdown(boost::asio::use_awaitable);
};

/// The longest a TLS half close waits: for its close_notify to be written, then for the peer to end
/// the TCP connection after it. A peer that answers close_notify (as TLS peers do) ends it at once.
inline constexpr std::chrono::seconds tls_close_bound{3};

/// Marks the TLS session as if the peer's close_notify had arrived, so that a shutdown only sends
/// ours and completes (Asio's async_shutdown otherwise waits for the peer's close_notify).
/// Implemented in lib/tls.
void tls_send_close_notify_only(void* ssl) noexcept;

/// The stream under every TLS layer (the TCP socket).
template <class Stream>
auto& innermost_layer(Stream& s) {
    if constexpr (tls_layer<Stream>)
        return innermost_layer(s.next_layer());
    else
        return s;
}

// close_notify on every TLS layer from the outside in (for TLS inside TLS: the inner session's,
// carried by the outer one, then the outer one's), then FIN on the socket.
template <class Stream>
boost::asio::awaitable<void> co_end_writing(Stream& s) {
    if constexpr (tls_layer<Stream>) {
        tls_send_close_notify_only(s.native_handle());
        auto [ec] = co_await s.async_shutdown(boost::asio::as_tuple(boost::asio::use_awaitable));
        (void)ec;  // a peer that is gone already: nothing more to tell it
        co_await co_end_writing(s.next_layer());
    } else {
        boost::system::error_code ignored;
        if constexpr (requires { s.shutdown(Stream::shutdown_send, ignored); })
            s.shutdown(Stream::shutdown_send, ignored);
    }
}

template <class Stream>
boost::asio::awaitable<void> co_half_close(Stream& s) {
    if constexpr (tls_layer<Stream>) {
        const auto deadline = clock::now() + tls_close_bound;
        if (!co_await co_before(co_end_writing(s), deadline))
            co_return;  // the peer does not read: the caller closes
        auto& raw = innermost_layer(s);
        auto drain = [&raw]() -> boost::asio::awaitable<void> {
            std::array<std::byte, 1024> sink;
            for (;;) {
                auto [ec, n] = co_await raw.async_read_some(boost::asio::buffer(sink),
                                                            boost::asio::as_tuple(boost::asio::use_awaitable));
                if (ec)
                    co_return;
            }
        };
        (void)co_await co_before(drain(), deadline);
        // The connection's bytes are over: the caller's own drain (a read through the TLS layers)
        // must end at once instead of waiting for a TLS engine that has nothing left to read.
        boost::system::error_code ignored;
        raw.shutdown(std::remove_reference_t<decltype(raw)>::shutdown_receive, ignored);
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
