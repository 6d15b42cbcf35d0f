// WebSocket frame headers (RFC 6455 §5.2): parse from bytes, write into a 14-byte array.
//
// Theory of operation: `parse_frame_header` is a pure function of the bytes at hand. Given a span
// that starts at a frame boundary it answers exactly one of
//   - complete: `out` holds the header and `size` is its length in bytes (2 to 14);
//   - need_more: the header is not all there yet; `size` is the total number of bytes it needs
//     (known after the first two bytes; 2 before that). Call again with more bytes;
//   - error: the header breaks the protocol (`err` says how; `to_close_code(err)` is the code to
//     fail the connection with). An error is reported as early as the offending byte arrives.
// Nothing is consumed or remembered, so a caller simply keeps the unparsed bytes and calls again:
// byte-at-a-time and all-at-once input give the same result.
#pragma once

#include <burrow/config.hpp>
#include <burrow/error.hpp>
#include <burrow/ws/opcode.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

namespace burrow::ws {

/// The longest header: 2 bytes + 8-byte extended length + 4-byte masking key.
inline constexpr std::size_t max_frame_header_size = 14;

/// The longest payload a control frame may carry.
inline constexpr std::size_t max_control_payload = 125;

/// Which end of the connection we are: it decides which frames must be masked.
enum class role : std::uint8_t { client, server };

struct frame_header {
    std::uint64_t payload_length = 0;
    std::uint32_t mask_key = 0;   ///< wire-order key (see mask.hpp); meaningful when `masked`
    opcode op = opcode::text;
    bool fin = true;
    bool rsv1 = false;
    bool rsv2 = false;
    bool rsv3 = false;
    bool masked = false;

    friend bool operator==(const frame_header&, const frame_header&) = default;
};

/// What the receiver accepts beyond the base protocol.
struct frame_rules {
    role receiver = role::server;  ///< a server requires masked frames, a client unmasked ones
    bool allow_rsv1 = false;       ///< granted by a negotiated extension (permessage-deflate)
    bool allow_rsv2 = false;
    bool allow_rsv3 = false;
};

enum class header_status : std::uint8_t { complete, need_more, error };

struct header_parse_result {
    header_status status;
    std::uint8_t size;     ///< complete: header length; need_more: bytes the header needs in total
    error err{};           ///< with status error
};

/// Parses the frame header at the start of `in` (see the theory of operation above). On error
/// or need_more, `out` is unspecified.
header_parse_result parse_frame_header(std::span<const std::byte> in, const frame_rules& rules,
                                       frame_header& out) noexcept;

/// Writes `h` with the shortest length encoding. Returns the number of bytes written (2 to 14),
/// or 0 when `h` cannot be sent: a payload length of 2^63 or more, or a control frame that is
/// fragmented or longer than 125 bytes (a local precondition violation, also asserted).
std::size_t write_frame_header(std::span<std::byte, max_frame_header_size> out, const frame_header& h) noexcept;

} // namespace burrow::ws
