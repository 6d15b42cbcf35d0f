// The portable kernel: 8 bytes at a time through std::uint64_t, for any byte order (the key
// pattern repeats every 4 bytes, so the same 8-byte key works on both). Used where no SIMD kernel
// is compiled in or allowed. The ends are done in pieces (pieces.hpp).
#include "kernels.hpp"
#include "pieces.hpp"

#include <burrow/ws/mask.hpp>

namespace burrow::detail {

std::uint32_t mask_word(std::byte* data, std::size_t size, std::uint32_t key) noexcept {
    const std::uint32_t next = ws::rotate_mask_key(key, size);
    std::byte* p = data;
    std::byte* const end = data + size;
    // Aligned words: cheaper on every machine, and required for speed on some.
    if (size >= 32)
        key = mask_head_pieces(p, (0 - reinterpret_cast<std::uintptr_t>(p)) & 7, key);
    for (; end - p >= 32; p += 32) {
        mask_piece<8>(p, key);
        mask_piece<8>(p + 8, key);
        mask_piece<8>(p + 16, key);
        mask_piece<8>(p + 24, key);
    }
    for (; end - p >= 8; p += 8)
        mask_piece<8>(p, key);
    mask_tail_pieces(p, static_cast<std::size_t>(end - p), key);
    return next;
}

// The copy: unaligned 8-byte words (memcpy'd, so any machine takes them), the last word
// overlapping the one before it instead of a tail in pieces (size >= copy_mask_min).
std::uint32_t copy_mask_word(std::byte* out, const std::byte* in, std::size_t size, std::uint32_t key) noexcept {
    const std::uint64_t k = widen_mask_key(key);
    auto word = [&](std::size_t at, std::uint64_t with) {
        std::uint64_t v;
        std::memcpy(&v, in + at, 8);
        v ^= with;
        std::memcpy(out + at, &v, 8);
    };
    std::size_t i = 0;
    for (; size - i >= 32; i += 32) {
        word(i, k);
        word(i + 8, k);
        word(i + 16, k);
        word(i + 24, k);
    }
    for (; size - i >= 8; i += 8)
        word(i, k);
    if (i < size)
        word(size - 8, widen_mask_key(ws::rotate_mask_key(key, size - 8)));
    return ws::rotate_mask_key(key, size);
}

} // namespace burrow::detail
