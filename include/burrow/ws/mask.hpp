// Masking of WebSocket payloads (RFC 6455 §5.3): XOR with a 4-byte key, in place or while copying.
//
// A key is held as a `std::uint32_t` whose bytes are the key's bytes in memory order: the first
// key byte on the wire is the lowest-addressed byte of the integer (load it with
// `load_mask_key`). Masking `n` bytes returns the key rotated by `n % 4` bytes, so a payload can be
// unmasked in pieces as it arrives: pass the returned key to the next call.
//
// The work is done by the best kernel for this CPU (scalar, 64-bit word, SSE2, AVX2, AVX-512),
// picked once at first use; BURROW_FORCE_KERNEL caps it (see detail/cpu_features.hpp). Every
// kernel gives the same bytes as the scalar reference and never touches a byte outside the span.
// Payloads of at most 16 bytes are masked inline by the caller (see `detail::mask_small`): for them
// the indirect call would cost more than the work.
#pragma once

#include <burrow/config.hpp>

#include <atomic>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string_view>
#include <type_traits>

namespace burrow::ws {

// The helpers below are always inlined, not just inline: the SIMD kernels are compiled with wider
// ISA flags and use them too, and an out-of-line copy from such a file could be the one the linker
// keeps for everybody.

/// Reads a 4-byte masking key as it appears on the wire.
BURROW_ALWAYS_INLINE std::uint32_t load_mask_key(const std::byte* wire) noexcept {
    std::uint32_t key;
    std::memcpy(&key, wire, sizeof key);
    return key;
}

/// Writes a masking key in wire order (the inverse of `load_mask_key`).
BURROW_ALWAYS_INLINE void store_mask_key(std::byte* wire, std::uint32_t key) noexcept {
    std::memcpy(wire, &key, sizeof key);
}

/// The key to use for the byte that follows `n` masked bytes.
BURROW_ALWAYS_INLINE constexpr std::uint32_t rotate_mask_key(std::uint32_t key, std::size_t n) noexcept {
    // Advancing by one byte drops the key byte at the lowest address, which is the low byte of
    // the integer on little-endian machines and the high byte on big-endian ones.
    // Spelled out rather than std::rotr, which is not always inlined (see above).
    const unsigned shift = static_cast<unsigned>(n % 4) * 8;
    if (shift == 0)
        return key;
    if constexpr (std::endian::native == std::endian::little)
        return (key >> shift) | (key << (32 - shift));
    else
        return (key << shift) | (key >> (32 - shift));
}

} // namespace burrow::ws

namespace burrow::detail {

/// Same contract as ws::apply_mask: XOR `size` bytes at `data` in place with `key`, return the
/// key rotated by `size % 4` bytes. Must not read or write outside [data, data + size).
using mask_fn = std::uint32_t (*)(std::byte* data, std::size_t size, std::uint32_t key) noexcept;

/// The kernel ws::apply_mask calls for payloads above 16 bytes. It starts out as a resolver that
/// picks the kernel, stores it here and forwards the call, so the choice is made once and later
/// calls pay one relaxed load and one indirect call.
extern std::atomic<mask_fn> mask_dispatch;

/// A masking copy: writes the `size` bytes at `in` XORed with `key` to `out` (no overlap) and
/// returns the key rotated by `size % 4` bytes. Kernels are only called with `size` of at least
/// copy_mask_min; they may store a byte of `out` twice (with the same value) but never touch
/// anything outside [out, out + size) or read outside [in, in + size).
using copy_mask_fn = std::uint32_t (*)(std::byte* out, const std::byte* in, std::size_t size,
                                       std::uint32_t key) noexcept;

/// Below this size ws::copy_masked copies and masks in place instead (a kernel's first and last
/// register may overlap, which needs a payload of at least two of the widest registers).
inline constexpr std::size_t copy_mask_min = 128;

/// The kernel ws::copy_masked calls from copy_mask_min bytes on; resolved at first use like
/// mask_dispatch (the same ISA level).
extern std::atomic<copy_mask_fn> copy_mask_dispatch;

/// A 4-byte key repeated to fill 8 bytes. Correct for either byte order: both halves are equal.
BURROW_ALWAYS_INLINE constexpr std::uint64_t widen_mask_key(std::uint32_t key) noexcept {
    return (std::uint64_t{key} << 32) | key;
}

/// XORs the `N` bytes at `p` with the first `N` bytes of `key` (N = 1, 2, 4 or 8).
template <std::size_t N>
BURROW_ALWAYS_INLINE void mask_piece(std::byte* p, std::uint32_t key) noexcept {
    if constexpr (N == 8) {
        std::uint64_t v;
        std::memcpy(&v, p, 8);
        v ^= widen_mask_key(key);
        std::memcpy(p, &v, 8);
    } else {
        static_assert(N == 1 || N == 2 || N == 4);
        // The first N key bytes in memory order, whatever the byte order.
        using word = std::conditional_t<N == 1, std::uint8_t,
                                        std::conditional_t<N == 2, std::uint16_t, std::uint32_t>>;
        word v, k;
        std::memcpy(&v, p, N);
        std::memcpy(&k, &key, N);
        v = static_cast<word>(v ^ k);
        std::memcpy(p, &v, N);
    }
}

/// Masks `size` <= 16 bytes in pieces of 8, 4, 2 and 1 bytes, each byte stored once (why not with
/// two overlapping words: see the theory of operation in lib/mask/mask.cpp).
BURROW_ALWAYS_INLINE std::uint32_t mask_small(std::byte* data, std::size_t size,
                                              std::uint32_t key) noexcept {
    const std::uint32_t next = ws::rotate_mask_key(key, size);
    if (size & 16) { // size == 16
        mask_piece<8>(data, key);
        mask_piece<8>(data + 8, key);
        return next;
    }
    if (size & 8) {
        mask_piece<8>(data, key);
        data += 8;
    }
    if (size & 4) {
        mask_piece<4>(data, key);
        data += 4;
    }
    if (size & 2) {
        mask_piece<2>(data, key);
        data += 2;
        key = ws::rotate_mask_key(key, 2);
    }
    if (size & 1)
        mask_piece<1>(data, key);
    return next;
}

} // namespace burrow::detail

namespace burrow::ws {

/// XORs `data` in place with `key` (which applies to `data[0]`) and returns the key for the byte
/// after the last one. Applying the same key twice restores the input.
inline std::uint32_t apply_mask(std::span<std::byte> data, std::uint32_t key) noexcept {
    if (data.size() <= 16)
        return detail::mask_small(data.data(), data.size(), key);
    return detail::mask_dispatch.load(std::memory_order_relaxed)(data.data(), data.size(), key);
}

/// Writes `in` XORed with `key` to `out` and returns the key for the byte after the last one:
/// memcpy and apply_mask in one pass over the bytes (a client masks its payload into a buffer of
/// its own this way, never touching the caller's). `out` must have room for in.size() bytes and
/// must not overlap `in`.
inline std::uint32_t copy_masked(std::byte* out, std::span<const std::byte> in, std::uint32_t key) noexcept {
    if (in.size() < detail::copy_mask_min) {
        if (!in.empty())
            std::memcpy(out, in.data(), in.size());
        return apply_mask(std::span(out, in.size()), key);
    }
    return detail::copy_mask_dispatch.load(std::memory_order_relaxed)(out, in.data(), in.size(), key);
}

/// Name of the kernel `apply_mask` uses on this machine ("avx512", "avx2", ...).
std::string_view active_mask_kernel() noexcept;

} // namespace burrow::ws
