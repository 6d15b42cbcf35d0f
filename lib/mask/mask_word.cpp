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

} // namespace burrow::detail
