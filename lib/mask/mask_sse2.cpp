// SSE2 kernel: 16 bytes per register. SSE2 is part of x86-64, but the kernel is still built as a
// library of its own with -msse2, like the other x86 kernels. The ends are done in pieces (see
// pieces.hpp for why not with overlapping registers).
#include "kernels.hpp"
#include "pieces.hpp"

#include <burrow/ws/mask.hpp>

#include <emmintrin.h>

namespace burrow::detail {

namespace {

BURROW_ALWAYS_INLINE void mask16(std::byte* p, __m128i key) noexcept {
    auto* v = reinterpret_cast<__m128i*>(p);
    _mm_storeu_si128(v, _mm_xor_si128(_mm_loadu_si128(v), key));
}

// From this size on the head is masked up to a 16-byte boundary first, so that no access of the
// bulk straddles two cache lines.
constexpr std::size_t align_from = 64;

} // namespace

std::uint32_t mask_sse2(std::byte* data, std::size_t size, std::uint32_t key) noexcept {
    const std::uint32_t next = ws::rotate_mask_key(key, size);
    std::byte* p = data;
    std::byte* const end = data + size;
    if (size >= align_from)
        key = mask_head_pieces(p, (0 - reinterpret_cast<std::uintptr_t>(p)) & 15, key);
    const __m128i k = _mm_set1_epi32(static_cast<int>(key));
    for (; end - p >= 64; p += 64) {
        mask16(p, k);
        mask16(p + 16, k);
        mask16(p + 32, k);
        mask16(p + 48, k);
    }
    for (; end - p >= 16; p += 16)
        mask16(p, k);
    mask_tail_pieces(p, static_cast<std::size_t>(end - p), key);
    return next;
}

// The copy (size >= copy_mask_min): the first register unaligned, then aligned stores from the
// next 16-byte boundary of `out`, and the last register overlapping the one before it. Storing a
// few bytes twice is harmless here: the source is another buffer.
std::uint32_t copy_mask_sse2(std::byte* out, const std::byte* in, std::size_t size, std::uint32_t key) noexcept {
    auto copy16 = [&](std::size_t at, __m128i k) {
        _mm_storeu_si128(reinterpret_cast<__m128i*>(out + at),
                         _mm_xor_si128(_mm_loadu_si128(reinterpret_cast<const __m128i*>(in + at)), k));
    };
    copy16(0, _mm_set1_epi32(static_cast<int>(key)));
    std::size_t i = 16 - (reinterpret_cast<std::uintptr_t>(out) & 15);
    const __m128i k = _mm_set1_epi32(static_cast<int>(ws::rotate_mask_key(key, i)));
    for (; size - i >= 64; i += 64) {
        copy16(i, k);
        copy16(i + 16, k);
        copy16(i + 32, k);
        copy16(i + 48, k);
    }
    for (; size - i >= 16; i += 16)
        copy16(i, k);
    if (i < size)
        copy16(size - 16, _mm_set1_epi32(static_cast<int>(ws::rotate_mask_key(key, size - 16))));
    return ws::rotate_mask_key(key, size);
}

} // namespace burrow::detail
