// Running a coroutine test body on its own io_context, bounded in time, and connected socket pairs.
#pragma once

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/local/connect_pair.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/steady_timer.hpp>

#include <gtest/gtest.h>

#include <chrono>
#include <exception>
#include <utility>

namespace burrow::test {

/// Runs `body(io)` (returning awaitable<void>) to completion; a hang fails the test after `limit`.
template <class F>
void run(F&& body, std::chrono::steady_clock::duration limit = std::chrono::seconds(10)) {
    boost::asio::io_context io;
    bool done = false;
    boost::asio::co_spawn(io, [&]() -> boost::asio::awaitable<void> {
        co_await body(io);
        done = true;
    }, [&](std::exception_ptr e) {
        if (e)
            std::rethrow_exception(e);
        io.stop();
    });
    // A timer bounds the run rather than run_for: Asio 1.81's io_uring backend (meson
    // -Dasio_backend=io_uring) can stall inside run_for while plenty of I/O is pending.
    boost::asio::steady_timer deadline(io, limit);
    deadline.async_wait([&](const boost::system::error_code& ec) {
        if (!ec)
            io.stop();
    });
    io.run();
    ASSERT_TRUE(done) << "timed out";
}

/// Two connected local stream sockets.
inline std::pair<boost::asio::local::stream_protocol::socket, boost::asio::local::stream_protocol::socket>
make_pair(boost::asio::io_context& io) {
    boost::asio::local::stream_protocol::socket a(io), b(io);
    boost::asio::local::connect_pair(a, b);
    return {std::move(a), std::move(b)};
}

} // namespace burrow::test
