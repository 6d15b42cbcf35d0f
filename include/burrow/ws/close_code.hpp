// Close status codes of RFC 6455 §7.4 and the IANA registry, and the rule for which may travel
// in a Close frame.
#pragma once

#include <cstdint>

namespace burrow::ws {

/// A WebSocket close status code. Values outside the named ones are legal (3000-4999 belong to
/// libraries and applications), hence an open enum over `std::uint16_t`.
enum class close_code : std::uint16_t {
    normal = 1000,
    going_away = 1001,
    protocol_error = 1002,
    unsupported_data = 1003,
    no_status = 1005,          ///< never sent: "the Close frame had no code"
    abnormal = 1006,           ///< never sent: "the connection dropped without a Close frame"
    invalid_payload = 1007,    ///< e.g. invalid UTF-8 in a text message
    policy_violation = 1008,
    message_too_big = 1009,
    mandatory_extension = 1010,
    internal_error = 1011,
    service_restart = 1012,
    try_again_later = 1013,
    bad_gateway = 1014,
    tls_handshake = 1015,      ///< never sent
};

/// True when `code` may appear in the payload of a Close frame: 1000-1003, 1007-1014 and
/// 3000-4999. Everything else (0-999, 1004-1006, 1015, the unassigned 1016-2999, 5000 and up)
/// is a protocol error when received.
constexpr bool is_valid_wire_close_code(std::uint16_t code) noexcept {
    if (code >= 3000 && code <= 4999)
        return true;
    if (code >= 1000 && code <= 1003)
        return true;
    return code >= 1007 && code <= 1014;
}

} // namespace burrow::ws
