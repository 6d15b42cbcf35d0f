// A completion condition for boost::asio::async_write that hands the kernel everything at once.
#pragma once

#include <boost/system/error_code.hpp>

#include <cstddef>
#include <limits>
#include <type_traits>

namespace burrow::detail {

/// Like boost::asio::transfer_all(), without its limit of 64 KiB per write_some. With that limit
/// a frame of a 64 KiB payload (64 KiB plus a header of 10 or 14 bytes) costs two system calls,
/// two TCP segments, and at the peer a second wake-up and a second read for those last bytes.
struct transfer_everything {
    std::size_t operator()(const boost::system::error_code& ec, std::size_t) const noexcept {
        return ec ? 0 : std::numeric_limits<std::size_t>::max();
    }
};

/// The one to pass: a named object, not a temporary inside a co_await expression (see the GCC 12
/// note in the README; harmless for an empty, trivially destructible type, but the rule is simple).
inline constexpr transfer_everything write_everything{};
static_assert(std::is_trivially_destructible_v<transfer_everything>);

} // namespace burrow::detail
