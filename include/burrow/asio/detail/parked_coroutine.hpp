// A coroutine (awaitable<>) suspended until someone resumes it, without an Asio I/O object: how
// parked_server's idle workers wait for their next connection. Not part of the public API.
//
// Why not a channel: Asio's channel completes a receive by posting it through the executor, and
// with any_io_executor that post allocates (type-erased function plus the scheduler's operation)
// from a per-thread cache of a few blocks. One reactor wake-up that reports fifty ready
// connections hands fifty of them to workers at once: most of those posts allocated. Here the
// waiting coroutine's completion handler is kept in place, and the reactor's handler that hands
// over a connection resumes the worker right there (no allocation, one trip through the
// scheduler less per message); other callers post it.
//
// Ownership: a suspended awaitable is owned by its completion handler, which lives here, inside
// the coroutine's own frame. Nothing else would ever free it, so every parked coroutine is listed
// in a service of its execution context, which destroys them when the context shuts down (the
// same moment Asio destroys the coroutines waiting on its own operations). (Outstanding work is
// not tracked here: a coroutine started with co_spawn holds it until it ends.)
// Like parked_server, single-threaded: all parked coroutines of an execution context are parked
// and resumed by the one thread that runs it.
#pragma once

#include <boost/asio/async_result.hpp>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/execution.hpp>
#include <boost/asio/execution_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/query.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/assert.hpp>

#include <optional>
#include <utility>

namespace burrow::detail {

class parked_coroutine_registry;

class parked_coroutine {
public:
    using handler_type =
        boost::asio::async_result<boost::asio::use_awaitable_t<>, void()>::handler_type;

    explicit parked_coroutine(const boost::asio::any_io_executor& executor);
    ~parked_coroutine() { unlink(); }
    parked_coroutine(const parked_coroutine&) = delete;
    parked_coroutine& operator=(const parked_coroutine&) = delete;

    /// co_await it (from the coroutine this object lives in): suspends until resume_here() or
    /// resume_later().
    auto wait() {
        return boost::asio::async_initiate<const boost::asio::use_awaitable_t<>&, void()>(
            park_initiation{this}, boost::asio::use_awaitable);
    }

    bool parked() const noexcept { return handler_.has_value(); }

    /// Resumes the coroutine inside this call, up to its next suspension: from a completion
    /// handler that the scheduler runs (not from inside another coroutine). The coroutine may
    /// end meanwhile, and this object with it: touch nothing of it after the call.
    void resume_here() {
        handler_type h = take();
        std::move(h)();
    }

    /// Resumes the coroutine from the scheduler, later (allocates a posted operation).
    void resume_later() {
        handler_type h = take();
        boost::asio::post(executor_, std::move(h));
    }

private:
    friend class parked_coroutine_registry;

    struct park_initiation {
        parked_coroutine* self;
        void operator()(handler_type h) const { self->park(std::move(h)); }
    };

    void park(handler_type h);
    handler_type take() {
        BOOST_ASSERT(handler_.has_value());
        unlink();
        handler_type h = std::move(*handler_);
        handler_.reset();
        return h;
    }
    void unlink() noexcept;

    boost::asio::any_io_executor executor_;
    parked_coroutine_registry* registry_;
    std::optional<handler_type> handler_;
    parked_coroutine* prev_ = nullptr;  // in the registry's list while parked (linked_)
    parked_coroutine* next_ = nullptr;
    bool linked_ = false;  // (a worker that never parked may outlive the registry: not touched then)
};

// The parked coroutines of one execution context; destroys them when it shuts down.
class parked_coroutine_registry : public boost::asio::execution_context::service {
public:
    using key_type = parked_coroutine_registry;
    static inline boost::asio::execution_context::id id;

    explicit parked_coroutine_registry(boost::asio::execution_context& context) : service(context) {}

private:
    friend class parked_coroutine;

    void shutdown() override {
        while (head_ != nullptr) {
            parked_coroutine* p = head_;
            p->unlink();
            p->registry_ = nullptr;
            // Destroying the handler destroys the coroutine's frames, *p among them (Asio hands
            // that unwinding to the executor, whose own shutdown, later, runs it).
            std::optional<parked_coroutine::handler_type> h = std::move(p->handler_);
            p->handler_.reset();
        }
    }

    void link(parked_coroutine* p) noexcept {
        p->linked_ = true;
        p->prev_ = nullptr;
        p->next_ = head_;
        if (head_ != nullptr)
            head_->prev_ = p;
        head_ = p;
    }
    void unlink(parked_coroutine* p) noexcept {
        if (p->prev_ != nullptr)
            p->prev_->next_ = p->next_;
        else if (head_ == p)
            head_ = p->next_;
        if (p->next_ != nullptr)
            p->next_->prev_ = p->prev_;
        p->prev_ = p->next_ = nullptr;
        p->linked_ = false;
    }

    parked_coroutine* head_ = nullptr;
};

inline parked_coroutine::parked_coroutine(const boost::asio::any_io_executor& executor)
    : executor_(executor)
    , registry_(&boost::asio::use_service<parked_coroutine_registry>(
          boost::asio::query(executor, boost::asio::execution::context))) {}

inline void parked_coroutine::park(handler_type h) {
    handler_.emplace(std::move(h));
    if (registry_ != nullptr)
        registry_->link(this);
}

inline void parked_coroutine::unlink() noexcept {
    if (linked_)
        registry_->unlink(this);
}

} // namespace burrow::detail
