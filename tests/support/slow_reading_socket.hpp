// A stream socket whose reads start 5 ms late, so that a writer fills the socket's buffer first and
// every read takes as much as it offers (deterministic large reads in tests).
#pragma once

#include <boost/asio/async_result.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <cstddef>
#include <memory>
#include <utility>

namespace burrow::test {

struct slow_reading_socket {
    using local_socket = boost::asio::local::stream_protocol::socket;
    using executor_type = local_socket::executor_type;
    local_socket s;
    executor_type get_executor() { return s.get_executor(); }
    template <class B, class T>
    auto async_read_some(const B& b, T&& token) {
        return boost::asio::async_initiate<T, void(boost::system::error_code, std::size_t)>(
            [this, b](auto handler) {
                auto timer = std::make_shared<boost::asio::steady_timer>(s.get_executor(), std::chrono::milliseconds(5));
                timer->async_wait([this, b, timer, h = std::move(handler)](boost::system::error_code) mutable {
                    s.async_read_some(b, std::move(h));
                });
            },
            token);
    }
    template <class B, class T>
    auto async_write_some(const B& b, T&& t) { return s.async_write_some(b, std::forward<T>(t)); }
};

} // namespace burrow::test
