// The 256-bit kernel. Compiled with -mavx2 -mbmi2, called only when the CPU has both.
//
// Theory of operation: the lookup algorithm of utf8_internal.hpp on 32-byte blocks, laid out like
// the AVX-512 kernel (see utf8_avx512.cpp): prev1..prev3 are unaligned loads at p - 1..3, which
// keeps the shuffle ports free for the table lookups, and all-ASCII 64-byte chunks are skipped
// after one test. The first block and the last, partial one are copied into a zeroed staging
// buffer with the (up to) three bytes before them, so nothing outside the text is read; the zero
// padding reads as ASCII, which fails a sequence the text leaves unfinished.
#include "utf8_internal.hpp"

#include <cstring>
#include <immintrin.h>

namespace burrow::detail {

namespace {

namespace t = utf8_tables;

__m256i table(const std::uint8_t (&entries)[16]) noexcept {
    return _mm256_broadcastsi128_si256(_mm_load_si128(reinterpret_cast<const __m128i*>(entries)));
}

__m256i load(const std::uint8_t* p) noexcept {
    return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p));
}

struct block_checker {
    __m256i prev1_high = table(t::prev1_high);
    __m256i prev1_low = table(t::prev1_low);
    __m256i byte_high = table(t::byte_high);
    __m256i nibble = _mm256_set1_epi8(0x0F);
    __m256i error = _mm256_setzero_si256();
    __m256i last = _mm256_setzero_si256(); // the block checked last

    void check(__m256i in, __m256i prev1, __m256i prev2, __m256i prev3) noexcept {
        const __m256i a =
            _mm256_shuffle_epi8(prev1_high, _mm256_and_si256(_mm256_srli_epi16(prev1, 4), nibble));
        const __m256i b = _mm256_shuffle_epi8(prev1_low, _mm256_and_si256(prev1, nibble));
        const __m256i c = _mm256_shuffle_epi8(byte_high, _mm256_and_si256(_mm256_srli_epi16(in, 4), nibble));
        const __m256i special = _mm256_and_si256(_mm256_and_si256(a, b), c);
        const __m256i must23 =
            _mm256_or_si256(_mm256_subs_epu8(prev2, _mm256_set1_epi8(t::third_byte_bias)),
                            _mm256_subs_epu8(prev3, _mm256_set1_epi8(t::fourth_byte_bias)));
        const __m256i must23_80 = _mm256_and_si256(must23, _mm256_set1_epi8(static_cast<char>(0x80)));
        error = _mm256_or_si256(error, _mm256_xor_si256(must23_80, special));
        last = in;
    }

    // Non-zero where the last three bytes of `last` start a sequence it does not finish.
    __m256i unfinished() const noexcept {
        const __m256i max =
            _mm256_setr_epi8(-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
                             -1, -1, -1, -1, -1, -1, -1, -1, -1, static_cast<char>(t::third_last_max),
                             static_cast<char>(t::second_last_max), static_cast<char>(t::last_max));
        return _mm256_subs_epu8(last, max);
    }

    // An ASCII block: the only possible error is a sequence left open before it.
    void ascii(__m256i in) noexcept {
        error = _mm256_or_si256(error, unfinished());
        last = in;
    }

    // A whole block at p + i, i >= 3.
    void full(const std::uint8_t* p, std::size_t i) noexcept {
        check(load(p + i), load(p + i - 1), load(p + i - 2), load(p + i - 3));
    }

    // The `size` (<= 32) bytes at p + i, through a staging buffer that also holds the bytes before.
    void staged(const std::uint8_t* p, std::size_t i, std::size_t size) noexcept {
        alignas(32) std::uint8_t buf[3 + 32] = {};
        const std::size_t back = i < 3 ? i : 3;
        if (back + size != 0) // an empty text may come with a null pointer
            std::memcpy(buf + 3 - back, p + i - back, back + size);
        const __m256i in = load(buf + 3);
        if (_mm256_movemask_epi8(in) == 0)
            ascii(in);
        else
            check(in, load(buf + 2), load(buf + 1), load(buf));
    }

    bool valid() const noexcept {
        const __m256i all = _mm256_or_si256(error, unfinished());
        return _mm256_testz_si256(all, all) != 0;
    }
};

} // namespace

bool utf8_avx2(const std::byte* data, std::size_t size) noexcept {
    const auto* p = reinterpret_cast<const std::uint8_t*>(data);
    block_checker c;
    if (size <= 32) {
        c.staged(p, 0, size);
        return c.valid();
    }
    c.staged(p, 0, 32);
    std::size_t i = 32;
    for (; size - i >= 64; i += 64) {
        const __m256i a = load(p + i), b = load(p + i + 32);
        if (_mm256_movemask_epi8(_mm256_or_si256(a, b)) == 0) {
            c.ascii(b);
        } else {
            c.full(p, i);
            c.full(p, i + 32);
        }
    }
    if (size - i >= 32) {
        if (const __m256i a = load(p + i); _mm256_movemask_epi8(a) == 0)
            c.ascii(a);
        else
            c.full(p, i);
        i += 32;
    }
    if (i < size)
        c.staged(p, i, size - i);
    return c.valid();
}

} // namespace burrow::detail
