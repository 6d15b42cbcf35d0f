// The 128-bit kernel (SSSE3 for pshufb). Compiled with -mssse3, called only when the CPU has it.
//
// Theory of operation: the lookup algorithm of utf8_internal.hpp on 16-byte blocks, laid out like
// the AVX2 kernel (see utf8_avx2.cpp): prev1..prev3 are unaligned loads at p - 1..3, all-ASCII
// 64-byte chunks are skipped after one test, and the first and the last, partial block go
// through a zeroed staging buffer so nothing outside the text is read.
#include "utf8_internal.hpp"

#include <cstring>
#include <tmmintrin.h>

namespace burrow::detail {

namespace {

namespace t = utf8_tables;

__m128i load(const std::uint8_t* p) noexcept {
    return _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
}

struct block_checker {
    __m128i prev1_high = _mm_load_si128(reinterpret_cast<const __m128i*>(t::prev1_high));
    __m128i prev1_low = _mm_load_si128(reinterpret_cast<const __m128i*>(t::prev1_low));
    __m128i byte_high = _mm_load_si128(reinterpret_cast<const __m128i*>(t::byte_high));
    __m128i nibble = _mm_set1_epi8(0x0F);
    __m128i error = _mm_setzero_si128();
    __m128i last = _mm_setzero_si128(); // the block checked last

    void check(__m128i in, __m128i prev1, __m128i prev2, __m128i prev3) noexcept {
        const __m128i a = _mm_shuffle_epi8(prev1_high, _mm_and_si128(_mm_srli_epi16(prev1, 4), nibble));
        const __m128i b = _mm_shuffle_epi8(prev1_low, _mm_and_si128(prev1, nibble));
        const __m128i c = _mm_shuffle_epi8(byte_high, _mm_and_si128(_mm_srli_epi16(in, 4), nibble));
        const __m128i special = _mm_and_si128(_mm_and_si128(a, b), c);
        const __m128i must23 = _mm_or_si128(_mm_subs_epu8(prev2, _mm_set1_epi8(t::third_byte_bias)),
                                            _mm_subs_epu8(prev3, _mm_set1_epi8(t::fourth_byte_bias)));
        const __m128i must23_80 = _mm_and_si128(must23, _mm_set1_epi8(static_cast<char>(0x80)));
        error = _mm_or_si128(error, _mm_xor_si128(must23_80, special));
        last = in;
    }

    // Non-zero where the last three bytes of `last` start a sequence it does not finish.
    __m128i unfinished() const noexcept {
        const __m128i max = _mm_setr_epi8(
            -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, static_cast<char>(t::third_last_max),
            static_cast<char>(t::second_last_max), static_cast<char>(t::last_max));
        return _mm_subs_epu8(last, max);
    }

    // An ASCII block: the only possible error is a sequence left open before it.
    void ascii(__m128i in) noexcept {
        error = _mm_or_si128(error, unfinished());
        last = in;
    }

    // A whole block at p + i, i >= 3.
    void full(const std::uint8_t* p, std::size_t i) noexcept {
        check(load(p + i), load(p + i - 1), load(p + i - 2), load(p + i - 3));
    }

    void block(const std::uint8_t* p, std::size_t i) noexcept {
        if (const __m128i in = load(p + i); _mm_movemask_epi8(in) == 0)
            ascii(in);
        else
            full(p, i);
    }

    // The `size` (<= 16) bytes at p + i, through a staging buffer that also holds the bytes before.
    void staged(const std::uint8_t* p, std::size_t i, std::size_t size) noexcept {
        alignas(16) std::uint8_t buf[3 + 16] = {};
        const std::size_t back = i < 3 ? i : 3;
        if (back + size != 0) // an empty text may come with a null pointer
            std::memcpy(buf + 3 - back, p + i - back, back + size);
        const __m128i in = load(buf + 3);
        if (_mm_movemask_epi8(in) == 0)
            ascii(in);
        else
            check(in, load(buf + 2), load(buf + 1), load(buf));
    }

    bool valid() const noexcept {
        const __m128i all = _mm_or_si128(error, unfinished());
        return _mm_movemask_epi8(_mm_cmpeq_epi8(all, _mm_setzero_si128())) == 0xFFFF;
    }
};

} // namespace

bool utf8_ssse3(const std::byte* data, std::size_t size) noexcept {
    const auto* p = reinterpret_cast<const std::uint8_t*>(data);
    block_checker c;
    if (size <= 16) {
        c.staged(p, 0, size);
        return c.valid();
    }
    c.staged(p, 0, 16);
    std::size_t i = 16;
    for (; size - i >= 64; i += 64) {
        const __m128i a = load(p + i), b = load(p + i + 16), d = load(p + i + 32), e = load(p + i + 48);
        if (_mm_movemask_epi8(_mm_or_si128(_mm_or_si128(a, b), _mm_or_si128(d, e))) == 0) {
            c.ascii(e);
        } else {
            c.full(p, i);
            c.full(p, i + 16);
            c.full(p, i + 32);
            c.full(p, i + 48);
        }
    }
    for (; size - i >= 16; i += 16)
        c.block(p, i);
    if (i < size)
        c.staged(p, i, size - i);
    return c.valid();
}

} // namespace burrow::detail
