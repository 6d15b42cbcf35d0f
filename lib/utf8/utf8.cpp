#include <burrow/ws/utf8.hpp>

namespace burrow::ws {

// Scalar reference state machine (Unicode Table 3-7): for every lead byte, the range the first
// continuation byte must fall in; later continuation bytes are always 80..BF.
bool utf8_validator::feed(std::span<const std::byte> text) noexcept {
    if (failed_)
        return false;
    for (std::byte raw : text) {
        const auto b = static_cast<std::uint8_t>(raw);
        if (need_ == 0) {
            if (b < 0x80)
                continue;
            if (b >= 0xC2 && b <= 0xDF) { need_ = 1; lo_ = 0x80; hi_ = 0xBF; }
            else if (b == 0xE0) { need_ = 2; lo_ = 0xA0; hi_ = 0xBF; }
            else if (b == 0xED) { need_ = 2; lo_ = 0x80; hi_ = 0x9F; }
            else if (b >= 0xE1 && b <= 0xEF) { need_ = 2; lo_ = 0x80; hi_ = 0xBF; }
            else if (b == 0xF0) { need_ = 3; lo_ = 0x90; hi_ = 0xBF; }
            else if (b >= 0xF1 && b <= 0xF3) { need_ = 3; lo_ = 0x80; hi_ = 0xBF; }
            else if (b == 0xF4) { need_ = 3; lo_ = 0x80; hi_ = 0x8F; }
            else { failed_ = true; return false; }
        } else {
            if (b < lo_ || b > hi_) { failed_ = true; return false; }
            --need_;
            lo_ = 0x80;
            hi_ = 0xBF;
        }
    }
    return true;
}

bool is_valid_utf8(std::span<const std::byte> text) noexcept {
    utf8_validator v;
    return v.feed(text) && v.complete();
}

std::string_view active_utf8_kernel() noexcept { return "scalar"; }

} // namespace burrow::ws
