// One writer at a time on a stream, for coroutines: the application's writes, automatic pongs, the
// close frame and keepalive pings take turns frame by frame, so a control frame can go out between
// the fragments of a long message. Not part of the public API.
//
// Theory of operation: a steady_timer that never expires is the wait queue. A writer that finds
// the gate busy waits on the timer; unlock() hands the gate directly to the oldest waiter
// (cancel_one wakes exactly one, in order) and keeps it marked busy, so a writer that loops
// straight back to lock() queues behind the others instead of overtaking them, and waiters never
// wake each other (the expiry is set once, never reset: resetting it would cancel every wait).
// The timer is created by the first writer that has to wait and kept from then on: a gate that
// never sees two writers at once (the common case, and every idle connection) costs 24 bytes.
#pragma once

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <cstdint>
#include <memory>

namespace burrow::detail {

class write_gate {
public:
    /// Waits until the gate is handed over (or free), then holds it. Returns false when the wait
    /// was cancelled from outside (the caller must not write then; the gate is not held).
    boost::asio::awaitable<bool> lock() {
        if (!busy_) {
            busy_ = true;
            co_return true;
        }
        if (!queue_) {
            // The executor is named first: GCC 12.2 destroys twice a class temporary made inside a
            // co_await expression.
            const auto executor = co_await boost::asio::this_coro::executor;
            queue_ = std::make_unique<boost::asio::steady_timer>(executor, boost::asio::steady_timer::time_point::max());
        }
        ++waiting_;
        (void)co_await queue_->async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));  // always "cancelled"
        --waiting_;
        if (handed_over_ > 0) {
            --handed_over_;
            co_return true;  // unlock() gave us the gate (busy_ stayed set)
        }
        co_return false;  // cancelled from outside: we never held the gate
    }

    /// Takes the gate when it is free, without suspending (the common case costs no coroutine
    /// frame). False when it is busy: then co_await lock().
    bool try_lock() noexcept {
        if (busy_)
            return false;
        busy_ = true;
        return true;
    }

    /// Hands the gate to the oldest waiter, or frees it.
    void unlock() {
        if (waiting_ > handed_over_) {
            ++handed_over_;
            queue_->cancel_one();  // waiting_ > 0: the timer exists
        } else {
            busy_ = false;
        }
    }

    bool busy() const noexcept { return busy_; }

private:
    std::unique_ptr<boost::asio::steady_timer> queue_;  // created by the first writer that waits
    std::uint32_t waiting_ = 0;
    std::uint32_t handed_over_ = 0;  // wake-ups sent by unlock() not yet taken
    bool busy_ = false;
};

/// Holds a write_gate for a scope.
class gate_guard {
public:
    explicit gate_guard(write_gate& gate) noexcept : gate_(&gate) {}
    gate_guard(const gate_guard&) = delete;
    gate_guard& operator=(const gate_guard&) = delete;
    ~gate_guard() { gate_->unlock(); }

private:
    write_gate* gate_;
};

} // namespace burrow::detail
