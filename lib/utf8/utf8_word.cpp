// The portable kernel: skips ASCII eight bytes at a time, checks the rest one sequence at a time.
//
// Theory of operation: text is mostly ASCII, and an aligned-or-not 64-bit load tells whether eight
// bytes are ASCII with one AND. When they are not, the bytes before the first non-ASCII one are
// skipped, and the sequence starting there is checked whole against Unicode Table 3-7: the lead
// fixes the length and the range of the first continuation byte, the others are 80..BF.
#include "utf8_internal.hpp"

#include <bit>
#include <cstring>

namespace burrow::detail {

namespace {

// Length of the sequence led by `b` and the allowed range of its first continuation byte;
// length 0 for a byte that cannot lead (continuation, C0, C1, F5..FF).
struct lead {
    std::uint8_t length, lo, hi;
};

constexpr lead classify(std::uint8_t b) noexcept {
    if (b >= 0xC2 && b <= 0xDF)
        return {2, 0x80, 0xBF};
    if (b == 0xE0)
        return {3, 0xA0, 0xBF};
    if (b == 0xED)
        return {3, 0x80, 0x9F};
    if (b >= 0xE1 && b <= 0xEF)
        return {3, 0x80, 0xBF};
    if (b == 0xF0)
        return {4, 0x90, 0xBF};
    if (b >= 0xF1 && b <= 0xF3)
        return {4, 0x80, 0xBF};
    if (b == 0xF4)
        return {4, 0x80, 0x8F};
    return {0, 0, 0};
}

constexpr std::uint64_t high_bits = 0x8080808080808080u;

} // namespace

bool utf8_word(const std::byte* data, std::size_t size) noexcept {
    const auto* p = reinterpret_cast<const std::uint8_t*>(data);
    std::size_t i = 0;
    while (i < size) {
        if (size - i >= 8) {
            std::uint64_t w;
            std::memcpy(&w, p + i, 8);
            if ((w & high_bits) == 0) {
                i += 8;
                continue;
            }
            if constexpr (std::endian::native == std::endian::little)
                i += static_cast<std::size_t>(std::countr_zero(w & high_bits)) / 8;
        }
        const std::uint8_t b = p[i];
        if (b < 0x80) {
            ++i;
            continue;
        }
        const lead l = classify(b);
        if (l.length == 0 || size - i < l.length)
            return false;
        if (p[i + 1] < l.lo || p[i + 1] > l.hi)
            return false;
        for (std::size_t k = 2; k < l.length; ++k)
            if ((p[i + k] & 0xC0) != 0x80)
                return false;
        i += l.length;
    }
    return true;
}

} // namespace burrow::detail
