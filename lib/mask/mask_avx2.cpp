// AVX2 kernel: 32 bytes per register. Compiled with -mavx2; only called once cpu_supports(avx2).
// The ends are done in pieces (see pieces.hpp for why not with overlapping registers).
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

// From this size on the head is masked up to a 32-byte boundary first, so that no access of the
// bulk straddles two cache lines.
constexpr std::size_t align_from = 256;

} // namespace

std::uint32_t mask_avx2(std::byte* data, std::size_t size, std::uint32_t key) noexcept {
    const std::uint32_t next = ws::rotate_mask_key(key, size);
    std::byte* p = data;
    std::byte* const end = data + size;
    if (size >= align_from) {
        const std::size_t head = (0 - reinterpret_cast<std::uintptr_t>(p)) & 31;
        key = mask_head_pieces(p, head, key);
        if (head & 16) {
            mask16(p, key);
            p += 16;
        }
    }
    const __m256i k = _mm256_set1_epi32(static_cast<int>(key));
    for (; end - p >= 128; p += 128) {
        mask32(p, k);
        mask32(p + 32, k);
        mask32(p + 64, k);
        mask32(p + 96, k);
    }
    for (; end - p >= 32; p += 32)
        mask32(p, k);
    const auto tail = static_cast<std::size_t>(end - p);
    if (tail & 16) {
        mask16(p, key);
        p += 16;
    }
    mask_tail_pieces(p, tail & 15, key);
    return next;
}

// The copy (size >= copy_mask_min): the first register unaligned, then aligned stores from the
// next 32-byte boundary of `out`, and the last register overlapping the one before it. Storing a
// few bytes twice is harmless here: the source is another buffer.
std::uint32_t copy_mask_avx2(std::byte* out, const std::byte* in, std::size_t size, std::uint32_t key) noexcept {
    auto copy32 = [&](std::size_t at, __m256i k) {
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + at),
                            _mm256_xor_si256(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(in + at)), k));
    };
    copy32(0, _mm256_set1_epi32(static_cast<int>(key)));
    std::size_t i = 32 - (reinterpret_cast<std::uintptr_t>(out) & 31);
    const __m256i k = _mm256_set1_epi32(static_cast<int>(ws::rotate_mask_key(key, i)));
    for (; size - i >= 128; i += 128) {
        copy32(i, k);
        copy32(i + 32, k);
        copy32(i + 64, k);
        copy32(i + 96, k);
    }
    for (; size - i >= 32; i += 32)
        copy32(i, k);
    if (i < size)
        copy32(size - 32, _mm256_set1_epi32(static_cast<int>(ws::rotate_mask_key(key, size - 32))));
    return ws::rotate_mask_key(key, size);
}

} // namespace burrow::detail
