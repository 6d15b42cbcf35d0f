// Internal to lib/utf8: the kernels not declared in burrow/detail/utf8_kernels.hpp, and the
// lookup tables the SIMD kernels share.
//
// This header is included by translation units compiled with different -m flags, so it must hold
// declarations and constants only: an inline function defined here could be emitted once with
// AVX-512 instructions and then picked by the linker for the baseline callers too.
#pragma once

#include <cstddef>
#include <cstdint>

namespace burrow::detail {

// Same contract as utf8_fn.
bool utf8_word(const std::byte* data, std::size_t size) noexcept;
#if defined(BURROW_HAS_X86_KERNELS)
bool utf8_ssse3(const std::byte* data, std::size_t size) noexcept;
bool utf8_avx2(const std::byte* data, std::size_t size) noexcept;
bool utf8_avx512(const std::byte* data, std::size_t size) noexcept;
bool utf8_avx512vbmi(const std::byte* data, std::size_t size) noexcept;
#endif

// The lookup algorithm of Keiser & Lemire, "Validating UTF-8 In Less Than One Instruction Per
// Byte" (2021). Every error of UTF-8 shows in a pair of adjacent bytes (prev1, byte), except a
// missing or extra continuation after a 3- or 4-byte lead, which needs prev2/prev3. Each bit below
// is one kind of bad pair; three 16-entry tables, indexed by the high nibble of prev1, the low
// nibble of prev1 and the high nibble of byte, give for each nibble the kinds it is compatible
// with. A pair is bad when some bit survives the AND of the three lookups.
namespace utf8_tables {

constexpr std::uint8_t too_short = 1 << 0;  // lead byte, then no continuation
constexpr std::uint8_t too_long = 1 << 1;   // ASCII, then a continuation
constexpr std::uint8_t overlong_3 = 1 << 2; // E0 80..9F
constexpr std::uint8_t too_large = 1 << 3;  // F4 90..BF, F5..FF 90..BF
constexpr std::uint8_t surrogate = 1 << 4;  // ED A0..BF
constexpr std::uint8_t overlong_2 = 1 << 5; // C0/C1 80..BF
// F0 80..8F and F5..FF 80..8F share a bit: both are "F? 8?" and only the low nibble of the lead,
// which the low table already tells apart, decides.
constexpr std::uint8_t overlong_4 = 1 << 6;     // F0 80..8F
constexpr std::uint8_t too_large_1000 = 1 << 6; // F5..FF 80..8F
// A continuation after a continuation. Legal only as byte 3 or 4 of a sequence, which is exactly
// when prev2 >= E0 or prev3 >= F0: the kernels XOR this bit with that condition.
constexpr std::uint8_t two_conts = 1 << 7;
// The kinds any prev1 low nibble can take part in: whether they apply depends on the high nibbles.
constexpr std::uint8_t carry = too_short | too_long | two_conts;

// clang-format off
// Indexed by the high nibble of prev1.
alignas(16) constexpr std::uint8_t prev1_high[16] = {
    // 0_______: ASCII
    too_long, too_long, too_long, too_long, too_long, too_long, too_long, too_long,
    // 10______: continuation
    two_conts, two_conts, two_conts, two_conts,
    // 1100____: C0..CF
    too_short | overlong_2,
    // 1101____: D0..DF
    too_short,
    // 1110____: E0..EF
    too_short | overlong_3 | surrogate,
    // 1111____: F0..FF
    too_short | too_large | too_large_1000 | overlong_4,
};

// Indexed by the low nibble of prev1.
alignas(16) constexpr std::uint8_t prev1_low[16] = {
    carry | overlong_3 | overlong_2 | overlong_4,   // _0: C0, E0, F0
    carry | overlong_2,                             // _1: C1
    carry,
    carry,
    carry | too_large,                              // _4: F4
    carry | too_large | too_large_1000,             // _5.._C: F5..FC
    carry | too_large | too_large_1000,
    carry | too_large | too_large_1000,
    carry | too_large | too_large_1000,
    carry | too_large | too_large_1000,
    carry | too_large | too_large_1000,
    carry | too_large | too_large_1000,
    carry | too_large | too_large_1000,
    carry | too_large | too_large_1000 | surrogate, // _D: ED, FD
    carry | too_large | too_large_1000,
    carry | too_large | too_large_1000,
};

// Indexed by the high nibble of the byte itself.
alignas(16) constexpr std::uint8_t byte_high[16] = {
    // ASCII after a lead
    too_short, too_short, too_short, too_short, too_short, too_short, too_short, too_short,
    // 80..8F
    too_long | overlong_2 | two_conts | overlong_3 | too_large_1000 | overlong_4,
    // 90..9F
    too_long | overlong_2 | two_conts | overlong_3 | too_large,
    // A0..BF
    too_long | overlong_2 | two_conts | surrogate | too_large,
    too_long | overlong_2 | two_conts | surrogate | too_large,
    // a lead after a lead
    too_short, too_short, too_short, too_short,
};
// clang-format on

// Saturating subtraction of these from prev2 / prev3 leaves bit 7 set exactly when prev2 >= E0
// (this byte must be the 3rd of a 3/4-byte sequence) / prev3 >= F0 (the 4th of a 4-byte one).
constexpr std::uint8_t third_byte_bias = 0xE0 - 0x80;
constexpr std::uint8_t fourth_byte_bias = 0xF0 - 0x80;

// The last three bytes of a block may start a sequence the block does not finish. Subtracting
// (saturating) the largest byte each position may hold at the end of the text leaves non-zero
// exactly there: <= BF in the last position, <= DF one before, <= EF two before.
constexpr std::uint8_t last_max = 0xBF;
constexpr std::uint8_t second_last_max = 0xDF;
constexpr std::uint8_t third_last_max = 0xEF;

} // namespace utf8_tables
} // namespace burrow::detail
