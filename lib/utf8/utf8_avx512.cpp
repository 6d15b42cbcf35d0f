// The 512-bit kernel. Compiled with -mavx512f -mavx512bw -mavx512vl -mbmi2 (the avx512 level of
// cpu_features; no VBMI), called only when the CPU has them.
//
// Theory of operation: the lookup algorithm of utf8_internal.hpp on 64-byte blocks. prev1..prev3
// (the block seen one, two and three bytes earlier) are plain unaligned loads at p - 1, p - 2 and
// p - 3 rather than register shuffles: vpalignr only shifts within 128-bit lanes, so building them
// in registers costs four shuffles per block on the same two ports as the three table lookups,
// which then limit the speed; loads are nearly free. The first block and the last, partial block
// use masked loads: the masked-off bytes are never accessed (no read before or beyond the text,
// even within a page) and read as zeros, i.e. ASCII, which fails a sequence the text leaves
// unfinished. All-ASCII chunks of 128 bytes are skipped after one test; they only have to prove
// that the text before them did not end inside a sequence.
#include "utf8_internal.hpp"

#include <cstdint>
#include <immintrin.h>

namespace burrow::detail {

namespace {

namespace t = utf8_tables;

// GCC 12's plain forms of some intrinsics start from _mm512_undefined_epi32(), which trips
// -Wuninitialized; their zero-masking forms with an all-ones mask compile to the same instruction.
constexpr __mmask16 all16 = 0xFFFF;

__m512i table(const std::uint8_t (&entries)[16]) noexcept {
    return _mm512_maskz_broadcast_i32x4(all16, _mm_load_si128(reinterpret_cast<const __m128i*>(entries)));
}

// vpternlogd immediates, from the truth tables of a = F0, b = CC, c = AA.
constexpr int and3 = 0x80;        // a & b & c
constexpr int or_xor = 0xF6;      // a | (b ^ c)
constexpr int or_then_and = 0xA8; // (a | b) & c

// The address `back` bytes before `p`, for masked loads that skip those bytes: computed on the
// integer so that no out-of-range pointer is ever formed.
const void* before(const std::uint8_t* p, std::size_t back) noexcept {
    return reinterpret_cast<const void*>(reinterpret_cast<std::uintptr_t>(p) - back);
}

struct block_checker {
    __m512i prev1_high = table(t::prev1_high);
    __m512i prev1_low = table(t::prev1_low);
    __m512i byte_high = table(t::byte_high);
    __m512i nibble = _mm512_set1_epi8(0x0F);
    __m512i bit7 = _mm512_set1_epi8(static_cast<char>(0x80));
    __m512i error = _mm512_setzero_si512();
    __m512i last = _mm512_setzero_si512(); // the block checked last

    void check(__m512i in, __m512i prev1, __m512i prev2, __m512i prev3) noexcept {
        const __m512i a =
            _mm512_shuffle_epi8(prev1_high, _mm512_and_si512(_mm512_srli_epi16(prev1, 4), nibble));
        const __m512i b = _mm512_shuffle_epi8(prev1_low, _mm512_and_si512(prev1, nibble));
        const __m512i c = _mm512_shuffle_epi8(byte_high, _mm512_and_si512(_mm512_srli_epi16(in, 4), nibble));
        const __m512i special = _mm512_ternarylogic_epi32(a, b, c, and3);
        const __m512i must23_80 = _mm512_ternarylogic_epi32(
            _mm512_subs_epu8(prev2, _mm512_set1_epi8(t::third_byte_bias)),
            _mm512_subs_epu8(prev3, _mm512_set1_epi8(t::fourth_byte_bias)), bit7, or_then_and);
        error = _mm512_ternarylogic_epi32(error, must23_80, special, or_xor);
        last = in;
    }

    // Non-zero where the last three bytes of `last` start a sequence it does not finish.
    __m512i unfinished() const noexcept {
        // Byte 61 <= EF, 62 <= DF, 63 <= BF: the top 32-bit element is BF DF EF FF (little end).
        const __m512i max = _mm512_mask_set1_epi32(
            _mm512_set1_epi8(-1), __mmask16{1} << 15,
            static_cast<int>((std::uint32_t{t::last_max} << 24) | (std::uint32_t{t::second_last_max} << 16) |
                             (std::uint32_t{t::third_last_max} << 8) | 0xFFu));
        return _mm512_subs_epu8(last, max);
    }

    // An ASCII block: the only possible error is a sequence left open before it.
    void ascii(__m512i in) noexcept {
        error = _mm512_or_si512(error, unfinished());
        last = in;
    }

    // The `size` (<= 64) bytes at p + i, where i == 0 or i >= 64, through masked loads.
    void masked(const std::uint8_t* p, std::size_t i, std::size_t size) noexcept {
        const std::uint64_t ones = ~std::uint64_t{0};
        const __m512i in = _mm512_maskz_loadu_epi8(_bzhi_u64(ones, static_cast<unsigned>(size)), p + i);
        if (_mm512_movepi8_mask(in) == 0) {
            ascii(in);
            return;
        }
        // prevN covers bytes i - N .. i + size - 1: the N before (if any) and the block itself.
        auto prev = [&](unsigned n) {
            const std::uint64_t valid =
                _bzhi_u64(ones, static_cast<unsigned>(size) + n) & (i == 0 ? ones << n : ones);
            return _mm512_maskz_loadu_epi8(valid, before(p + i, n));
        };
        check(in, prev(1), prev(2), prev(3));
    }

    // A whole block at p + i, i >= 3.
    void full(const std::uint8_t* p, std::size_t i) noexcept {
        check(_mm512_loadu_si512(p + i), _mm512_loadu_si512(p + i - 1), _mm512_loadu_si512(p + i - 2),
              _mm512_loadu_si512(p + i - 3));
    }

    bool valid() const noexcept {
        return _mm512_test_epi8_mask(_mm512_or_si512(error, unfinished()), _mm512_set1_epi8(-1)) == 0;
    }
};

} // namespace

bool utf8_avx512(const std::byte* data, std::size_t size) noexcept {
    const auto* p = reinterpret_cast<const std::uint8_t*>(data);
    block_checker c;
    if (size <= 64) {
        c.masked(p, 0, size);
        return c.valid();
    }
    c.masked(p, 0, 64);
    std::size_t i = 64;
    for (; size - i >= 128; i += 128) {
        const __m512i a = _mm512_loadu_si512(p + i), b = _mm512_loadu_si512(p + i + 64);
        if (_mm512_movepi8_mask(_mm512_or_si512(a, b)) == 0) {
            c.ascii(b);
        } else {
            c.full(p, i);
            c.full(p, i + 64);
        }
    }
    if (size - i >= 64) {
        if (const __m512i a = _mm512_loadu_si512(p + i); _mm512_movepi8_mask(a) == 0)
            c.ascii(a);
        else
            c.full(p, i);
        i += 64;
    }
    if (i < size)
        c.masked(p, i, size - i);
    return c.valid();
}

} // namespace burrow::detail
