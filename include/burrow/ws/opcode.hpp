// Frame opcodes of RFC 6455 §5.2.
#pragma once

#include <cstdint>

namespace burrow::ws {

enum class opcode : std::uint8_t {
    continuation = 0x0,
    text = 0x1,
    binary = 0x2,
    close = 0x8,
    ping = 0x9,
    pong = 0xA,
};

/// Control frames are the opcodes with the high bit set (0x8-0xF).
constexpr bool is_control(opcode op) noexcept { return (static_cast<std::uint8_t>(op) & 0x8) != 0; }

/// True for the six opcodes RFC 6455 defines; 0x3-0x7 and 0xB-0xF are reserved.
constexpr bool is_known_opcode(std::uint8_t raw) noexcept {
    return raw <= 0x2 || (raw >= 0x8 && raw <= 0xA);
}

} // namespace burrow::ws
