// How far a reader that gathers a message in memory of its own grows that memory before a large
// payload is received straight into it (stream::co_read, parked_server).
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>

namespace burrow::detail {

/// The new size for a message buffer of `size` bytes, `filled` of them used, when a frame still
/// has `pending` payload bytes to come: room for all of them, but never more than double the
/// buffer (or 64 KiB past what is filled) at a time. A header alone may announce up to
/// max_message_size bytes; growing only as the bytes arrive keeps a peer that announces much and
/// sends little from making the server allocate and zero-fill it all.
inline std::size_t grown_room(std::size_t size, std::size_t filled, std::uint64_t pending) noexcept {
    const std::uint64_t step_limit = std::max<std::uint64_t>(2 * std::uint64_t{size}, std::uint64_t{filled} + 64 * 1024);
    return static_cast<std::size_t>(std::min<std::uint64_t>(std::uint64_t{filled} + pending, step_limit));
}

} // namespace burrow::detail
