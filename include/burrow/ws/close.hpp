// Close frame payloads (RFC 6455 §5.5.1, §7.4): parse what the peer sent, build what we send.
//
// A payload is empty (no status) or a 2-byte big-endian code followed by a UTF-8 reason; the whole
// payload of a control frame is at most 125 bytes, so a reason is at most 123 bytes.
#pragma once

#include <burrow/config.hpp>
#include <burrow/error.hpp>
#include <burrow/ws/close_code.hpp>

#include <boost/system/result.hpp>

#include <array>
#include <cstddef>
#include <span>
#include <string_view>

namespace burrow::ws {

/// The longest reason that fits in a Close frame next to its code.
inline constexpr std::size_t max_close_reason = 123;

/// A received Close payload. `reason` views the caller's buffer.
struct close_reason {
    close_code code = close_code::no_status;  ///< no_status when the payload was empty
    std::string_view reason;
};

/// Validates and splits a received Close payload. Errors: bad_close_payload (1 byte, or longer
/// than 125), bad_close_code (a code not allowed on the wire), bad_close_reason (invalid UTF-8).
boost::system::result<close_reason> parse_close_payload(std::span<const std::byte> payload) noexcept;

/// Writes the payload for a Close frame with `code` and `reason` into `out` and returns its
/// length. `close_code::no_status` writes an empty payload. A reason longer than 123 bytes is
/// truncated at a code point boundary, so the payload stays valid UTF-8.
std::size_t build_close_payload(std::span<std::byte, 125> out, close_code code, std::string_view reason) noexcept;

} // namespace burrow::ws
