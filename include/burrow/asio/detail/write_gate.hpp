// One writer at a time on a stream, for coroutines: the application's writes, automatic pongs, the
// close frame and keepalive pings take turns frame by frame, so a control frame can go out between
// the fragments of a long message. A steady_timer serves as the condition variable. Not part of
// the public API.
#pragma once

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace burrow::detail {

class write_gate {
public:
    template <class Executor>
    explicit write_gate(const Executor& ex) : wake_(ex) {}

    /// Waits until no other writer holds the gate, then holds it.
    boost::asio::awaitable<void> lock() {
        while (busy_) {
            wake_.expires_at(boost::asio::steady_timer::time_point::max());
            co_await wake_.async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
        }
        busy_ = true;
    }

    /// Releases the gate and wakes the waiters (each re-checks, one wins).
    void unlock() {
        busy_ = false;
        wake_.cancel();
    }

    bool busy() const noexcept { return busy_; }

private:
    boost::asio::steady_timer wake_;
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
