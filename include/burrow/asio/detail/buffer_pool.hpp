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
#include <new>
#include <vector>

namespace burrow::detail {

class buffer_pool {
public:
    static constexpr std::size_t max_free = 64;

    /// A buffer of exactly `size` bytes (uninitialised), from the calling thread's free list.
    /// Throws std::bad_alloc when there is none and none can be allocated.
    static std::byte* take(std::size_t size) {
        if (std::byte* b = try_take(size))
            return b;
        throw std::bad_alloc();
    }

    /// As take(), but nullptr when memory is exhausted: the data path turns that into an error
    /// code (no exception crosses it).
    static std::byte* try_take(std::size_t size) noexcept {
        if (auto* list = free_list(size); list != nullptr && !list->empty()) {
            std::byte* b = list->back();
            list->pop_back();
            return b;
        }
        return new (std::nothrow) std::byte[size];
    }

    /// Gives back a buffer taken with the same size (on any thread). Never fails: a buffer the
    /// free list cannot take is freed.
    static void give(std::byte* b, std::size_t size) noexcept {
        if (b == nullptr)
            return;
        auto* list = free_list(size);
        if (list != nullptr && list->size() < max_free && list->capacity() > list->size()) {
            list->push_back(b);  // no allocation: capacity was reserved
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

    // The calling thread's free list for `size`, created on first use; nullptr when memory for a
    // new list is exhausted (the buffer is then allocated or freed without the list).
    static std::vector<std::byte*>* free_list(std::size_t size) noexcept {
        thread_local thread_pools pools;
        for (auto& c : pools.classes)
            if (c.size == size)
                return &c.free;
        try {
            std::vector<std::byte*> free;
            free.reserve(max_free);
            pools.classes.push_back(size_class{size, std::move(free)});
        } catch (...) {  // (std::bad_alloc)
            return nullptr;
        }
        return &pools.classes.back().free;
    }
};

/// A buffer from the pool for the length of a scope: given back when the scope ends, also when a
/// coroutine that holds it is destroyed while suspended. Check it: it holds no memory (data() is
/// nullptr) when memory is exhausted.
class pooled_buffer {
public:
    explicit pooled_buffer(std::size_t size) noexcept : data_(buffer_pool::try_take(size)), size_(size) {}
    explicit operator bool() const noexcept { return data_ != nullptr; }
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
