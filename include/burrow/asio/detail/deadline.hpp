// Runs an awaitable against a deadline (Boost 1.81 has no cancel_after): whichever finishes first
// wins, and the loser is cancelled through its cancellation slot. Not part of the public API.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <chrono>
#include <optional>
#include <variant>

namespace burrow::detail {

using clock = std::chrono::steady_clock;

/// `op`'s result, or nullopt when `deadline` came first (op was then cancelled and has finished).
template <class T>
boost::asio::awaitable<std::optional<T>> co_before(boost::asio::awaitable<T> op, clock::time_point deadline) {
    using namespace boost::asio::experimental::awaitable_operators;
    boost::asio::steady_timer timer(co_await boost::asio::this_coro::executor, deadline);
    boost::system::error_code timer_ec;
    auto result = co_await (std::move(op) ||
                            timer.async_wait(boost::asio::redirect_error(boost::asio::use_awaitable, timer_ec)));
    if (result.index() == 0)
        co_return std::get<0>(std::move(result));
    co_return std::nullopt;
}

/// For an awaitable<void>: true when `op` finished before `deadline` (else it was cancelled).
inline boost::asio::awaitable<bool> co_before(boost::asio::awaitable<void> op, clock::time_point deadline) {
    using namespace boost::asio::experimental::awaitable_operators;
    boost::asio::steady_timer timer(co_await boost::asio::this_coro::executor, deadline);
    boost::system::error_code timer_ec;
    auto result = co_await (std::move(op) ||
                            timer.async_wait(boost::asio::redirect_error(boost::asio::use_awaitable, timer_ec)));
    co_return result.index() == 0;
}

} // namespace burrow::detail
