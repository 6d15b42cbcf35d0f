// Replaces the global operator new/delete with counting versions, for tests that prove a path
// allocates nothing, and that can fail on demand, for tests of memory exhaustion. Include it in exactly one translation unit of a test executable: it defines
// the replacement functions.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdlib>
#include <new>

namespace burrow::test {

inline std::atomic<std::size_t>& allocation_counter() {
    static std::atomic<std::size_t> count{0};
    return count;
}

/// Number of global allocations so far.
inline std::size_t allocations() { return allocation_counter().load(std::memory_order_relaxed); }

inline std::size_t& thread_allocation_counter() {
    thread_local std::size_t count = 0;
    return count;
}

/// Number of allocations made by the calling thread so far (a server thread's own, without the
/// client's in the same test).
inline std::size_t thread_allocations() { return thread_allocation_counter(); }

// Allocations of this many bytes or more fail on the calling thread (see failing_allocations).
inline std::size_t& thread_failing_size() {
    thread_local std::size_t size = static_cast<std::size_t>(-1);
    return size;
}

/// While it lives, every allocation of `from` bytes or more made by the calling thread fails
/// (operator new throws std::bad_alloc, aligned_alloc returns nullptr): memory exhaustion on
/// demand, for tests of what a component does when it cannot get a buffer.
class failing_allocations {
public:
    explicit failing_allocations(std::size_t from) : previous_(thread_failing_size()) { thread_failing_size() = from; }
    ~failing_allocations() { thread_failing_size() = previous_; }
    failing_allocations(const failing_allocations&) = delete;
    failing_allocations& operator=(const failing_allocations&) = delete;

private:
    std::size_t previous_;
};

/// Counts one allocation of `size` bytes; false when it must fail (failing_allocations).
inline bool count_allocation(std::size_t size) {
    allocation_counter().fetch_add(1, std::memory_order_relaxed);
    ++thread_allocation_counter();
    return size < thread_failing_size();
}

} // namespace burrow::test

// GCC sees std::free after inlining these into std::allocator and warns about a new/free
// mismatch; both sides are ours and use malloc/free, so the pairing is right.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

void* operator new(std::size_t size) {
    if (!burrow::test::count_allocation(size))
        throw std::bad_alloc();
    if (void* p = std::malloc(size == 0 ? 1 : size))
        return p;
    throw std::bad_alloc();
}
void* operator new[](std::size_t size) { return operator new(size); }
void* operator new(std::size_t size, std::align_val_t align) {
    if (!burrow::test::count_allocation(size))
        throw std::bad_alloc();
    const auto a = static_cast<std::size_t>(align);
    if (void* p = std::aligned_alloc(a, (size + a - 1) / a * a))
        return p;
    throw std::bad_alloc();
}
void* operator new[](std::size_t size, std::align_val_t align) { return operator new(size, align); }
// Asio allocates coroutine frames and operations with std::aligned_alloc (when it has it), not
// with operator new: count those too, or a frame that misses Asio's per-thread cache would go
// unseen. (Defined in the executable, this takes precedence over the C library's; it allocates
// with posix_memalign, which it does not replace.)
extern "C" void* aligned_alloc(std::size_t align, std::size_t size) {
    if (!burrow::test::count_allocation(size))
        return nullptr;
    void* p = nullptr;
    if (align < sizeof(void*))
        align = sizeof(void*);
    return posix_memalign(&p, align, size == 0 ? 1 : size) == 0 ? p : nullptr;
}
// The nothrow forms too: the standard library's own ones call the forms above, but a sanitizer's
// runtime brings its own, which would neither count nor fail.
void* operator new(std::size_t size, const std::nothrow_t&) noexcept {
    try {
        return operator new(size);
    } catch (...) {
        return nullptr;
    }
}
void* operator new[](std::size_t size, const std::nothrow_t& tag) noexcept { return operator new(size, tag); }
void* operator new(std::size_t size, std::align_val_t align, const std::nothrow_t&) noexcept {
    try {
        return operator new(size, align);
    } catch (...) {
        return nullptr;
    }
}
void* operator new[](std::size_t size, std::align_val_t align, const std::nothrow_t& tag) noexcept {
    return operator new(size, align, tag);
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, std::align_val_t, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
