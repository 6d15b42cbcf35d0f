// Masking of the ends of a payload that do not fill a whole register, in power-of-two pieces:
// mask_piece (mask.hpp) for 1, 2, 4 and 8 bytes, plus each kernel's own 16- and 32-byte vector
// pieces. Unlike registers overlapping the middle, pieces store every byte exactly once, so a
// later load of the same bytes is served from the store buffer instead of waiting for two partial
// stores to reach the cache (such a store-forwarding stall costs more than masking 100 bytes).
// Pieces are taken in increasing size at the head, which leaves each one naturally aligned, and
// in decreasing size at the tail.
//
// Internal linkage and always inlined: the kernel files that include this are compiled with
// different ISA flags (see kernels.hpp).
#pragma once

#include <burrow/ws/mask.hpp>

#include <cstddef>
#include <cstdint>

namespace burrow::detail {
namespace {

/// Masks the first `count % 16` bytes at `p` as head pieces 1, 2, 4, 8. If `p + count` is
/// 16-byte aligned, every piece is naturally aligned. Returns the key for the byte after them.
BURROW_ALWAYS_INLINE std::uint32_t mask_head_pieces(std::byte*& p, std::size_t count,
                                                    std::uint32_t key) noexcept {
    if (count & 1) {
        mask_piece<1>(p, key);
        p += 1;
        key = ws::rotate_mask_key(key, 1);
    }
    if (count & 2) {
        mask_piece<2>(p, key);
        p += 2;
        key = ws::rotate_mask_key(key, 2);
    }
    if (count & 4) {
        mask_piece<4>(p, key);
        p += 4;
    }
    if (count & 8) {
        mask_piece<8>(p, key);
        p += 8;
    }
    return key;
}

/// Masks the `count` < 16 bytes at `p` as tail pieces 8, 4, 2, 1.
BURROW_ALWAYS_INLINE void mask_tail_pieces(std::byte* p, std::size_t count, std::uint32_t key) noexcept {
    if (count & 8) {
        mask_piece<8>(p, key);
        p += 8;
    }
    if (count & 4) {
        mask_piece<4>(p, key);
        p += 4;
    }
    if (count & 2) {
        mask_piece<2>(p, key);
        p += 2;
        key = ws::rotate_mask_key(key, 2);
    }
    if (count & 1)
        mask_piece<1>(p, key);
}

} // namespace
} // namespace burrow::detail
