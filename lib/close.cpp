#include <burrow/ws/close.hpp>
#include <burrow/ws/frame_header.hpp>
#include <burrow/ws/utf8.hpp>

#include <cstring>

namespace burrow::ws {

boost::system::result<close_reason> parse_close_payload(std::span<const std::byte> payload) noexcept {
    if (payload.empty())
        return close_reason{};
    if (payload.size() == 1 || payload.size() > max_control_payload)
        return make_error_code(error::bad_close_payload);
    const auto raw = static_cast<std::uint16_t>((std::to_integer<unsigned>(payload[0]) << 8) |
                                                std::to_integer<unsigned>(payload[1]));
    if (!is_valid_wire_close_code(raw))
        return make_error_code(error::bad_close_code);
    const auto text = payload.subspan(2);
    if (!is_valid_utf8(text))
        return make_error_code(error::bad_close_reason);
    return close_reason{static_cast<close_code>(raw),
                        std::string_view(reinterpret_cast<const char*>(text.data()), text.size())};
}

namespace {

// The longest prefix of `text` of at most `limit` bytes that does not cut a code point: back up
// over continuation bytes (10xxxxxx) so the cut lands on a lead byte.
std::size_t utf8_prefix(std::string_view text, std::size_t limit) noexcept {
    if (text.size() <= limit)
        return text.size();
    std::size_t n = limit;
    while (n > 0 && (static_cast<unsigned char>(text[n]) & 0xC0) == 0x80)
        --n;
    return n;
}

} // namespace

std::size_t build_close_payload(std::span<std::byte, 125> out, close_code code, std::string_view reason) noexcept {
    if (code == close_code::no_status)
        return 0;
    const auto raw = static_cast<std::uint16_t>(code);
    out[0] = std::byte(raw >> 8);
    out[1] = std::byte(raw & 0xFF);
    const std::size_t n = utf8_prefix(reason, max_close_reason);
    if (n != 0)  // an empty reason may have no data pointer at all
        std::memcpy(out.data() + 2, reason.data(), n);
    return 2 + n;
}

} // namespace burrow::ws
