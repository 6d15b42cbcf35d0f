// Read buffers shared by the streams of one thread, so an idle connection holds none. Not part of
// the public API.
//
// Theory of operation: a stream takes a buffer only while it has bytes to read into or bytes not
// yet consumed, and gives it back when everything it read was handed out and it is about to wait
// for more. Buffers come from a free list per thread and per size; a thread that serves 10,000
// connections of which a handful are busy at any moment so holds a handful of buffers, not 10,000.
// Buffers are allocated uninitialised (pages the kernel never writes to never become resident),
// and the free list keeps at most max_free of each size, so a burst does not pin memory forever.
#pragma once

#include <cstddef>
#include <vector>

namespace burrow::detail {

class buffer_pool {
public:
    static constexpr std::size_t max_free = 64;

    /// A buffer of exactly `size` bytes (uninitialised), from the calling thread's free list.
    static std::byte* take(std::size_t size) {
        auto& list = free_list(size);
        if (!list.empty()) {
            std::byte* b = list.back();
            list.pop_back();
            return b;
        }
        return new std::byte[size];
    }

    /// Gives back a buffer taken with the same size (on any thread).
    static void give(std::byte* b, std::size_t size) {
        if (b == nullptr)
            return;
        auto& list = free_list(size);
        if (list.size() < max_free && list.capacity() > list.size()) {
            list.push_back(b);  // no allocation: capacity was reserved
            return;
        }
        delete[] b;
    }

private:
    struct size_class {
        std::size_t size;
        std::vector<std::byte*> free;
    };
    struct thread_pools {
        std::vector<size_class> classes;
        ~thread_pools() {
            for (auto& c : classes)
                for (std::byte* b : c.free)
                    delete[] b;
        }
    };

    static std::vector<std::byte*>& free_list(std::size_t size) {
        thread_local thread_pools pools;
        for (auto& c : pools.classes)
            if (c.size == size)
                return c.free;
        pools.classes.push_back(size_class{size, {}});
        pools.classes.back().free.reserve(max_free);
        return pools.classes.back().free;
    }
};

/// A buffer from the pool for the length of a scope: given back when the scope ends, also when a
/// coroutine that holds it is destroyed while suspended.
class pooled_buffer {
public:
    explicit pooled_buffer(std::size_t size) : data_(buffer_pool::take(size)), size_(size) {}
    ~pooled_buffer() { buffer_pool::give(data_, size_); }
    pooled_buffer(const pooled_buffer&) = delete;
    pooled_buffer& operator=(const pooled_buffer&) = delete;

    std::byte* data() const noexcept { return data_; }
    std::size_t size() const noexcept { return size_; }

private:
    std::byte* data_;
    std::size_t size_;
};

} // namespace burrow::detail
