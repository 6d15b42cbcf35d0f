// AVX-512 kernel (F+BW+VL): 64 bytes per register. Compiled with those flags; only called once
// cpu_supports(avx512).
//
// The ends are done in pieces (pieces.hpp), not with masked loads and stores: they would be
// exact too, but on AMD Zen 4 a load that follows a masked store to the same bytes waits for the
// store to reach the cache, which made a 16-byte payload take 11 ns instead of 3. Payloads below
// `wide_from` use 32-byte registers: on Zen 4 (which splits 512-bit operations in two) that was
// about 1 ns faster at 100-200 bytes, while the bulk of larger payloads runs as fast with either
// width there and faster with 64 bytes on Intel cores.
#include "kernels.hpp"
#include "pieces.hpp"

#include <burrow/ws/mask.hpp>

#include <immintrin.h>

namespace burrow::detail {

namespace {

BURROW_ALWAYS_INLINE void mask16(std::byte* p, std::uint32_t key) noexcept {
    auto* v = reinterpret_cast<__m128i*>(p);
    _mm_storeu_si128(v, _mm_xor_si128(_mm_loadu_si128(v), _mm_set1_epi32(static_cast<int>(key))));
}

BURROW_ALWAYS_INLINE void mask32(std::byte* p, __m256i key) noexcept {
    auto* v = reinterpret_cast<__m256i*>(p);
    _mm256_storeu_si256(v, _mm256_xor_si256(_mm256_loadu_si256(v), key));
}

BURROW_ALWAYS_INLINE void mask64(std::byte* p, __m512i key) noexcept {
    _mm512_storeu_si512(p, _mm512_xor_si512(_mm512_loadu_si512(p), key));
}

// From this size on, 64-byte registers, with the head first masked up to a cache-line boundary:
// a 64-byte access that straddles two lines is much slower than one that does not.
constexpr std::size_t wide_from = 256;

// Below wide_from: 32-byte registers from the start, then the tail in pieces.
BURROW_ALWAYS_INLINE void mask_narrow(std::byte* p, std::byte* end, std::uint32_t key) noexcept {
    const __m256i k = _mm256_set1_epi32(static_cast<int>(key));
    for (; end - p >= 32; p += 32)
        mask32(p, k);
    if ((end - p) & 16) {
        mask16(p, key);
        p += 16;
    }
    mask_tail_pieces(p, static_cast<std::size_t>(end - p), key);
}

} // namespace

std::uint32_t mask_avx512(std::byte* data, std::size_t size, std::uint32_t key) noexcept {
    const std::uint32_t next = ws::rotate_mask_key(key, size);
    std::byte* p = data;
    std::byte* const end = data + size;
    if (size < wide_from) {
        mask_narrow(p, end, key);
        return next;
    }
    const std::size_t head = (0 - reinterpret_cast<std::uintptr_t>(p)) & 63;
    key = mask_head_pieces(p, head, key);
    if (head & 16) {
        mask16(p, key);
        p += 16;
    }
    if (head & 32) {
        mask32(p, _mm256_set1_epi32(static_cast<int>(key)));
        p += 32;
    }
    const __m512i k = _mm512_set1_epi32(static_cast<int>(key));
    for (; end - p >= 256; p += 256) {
        mask64(p, k);
        mask64(p + 64, k);
        mask64(p + 128, k);
        mask64(p + 192, k);
    }
    for (; end - p >= 64; p += 64)
        mask64(p, k);
    const auto tail = static_cast<std::size_t>(end - p);
    if (tail & 32) {
        mask32(p, _mm256_set1_epi32(static_cast<int>(key)));
        p += 32;
    }
    if (tail & 16) {
        mask16(p, key);
        p += 16;
    }
    mask_tail_pieces(p, tail & 15, key);
    return next;
}

} // namespace burrow::detail
