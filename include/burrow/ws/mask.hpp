// Masking of WebSocket payloads (RFC 6455 §5.3): XOR with a 4-byte key, in place.
//
// A key is held as a `std::uint32_t` whose bytes are the key's bytes in memory order: the first
// key byte on the wire is the lowest-addressed byte of the integer (load it with
// `load_mask_key`). Masking `n` bytes returns the key rotated by `n % 4` bytes, so a payload can be
// unmasked in pieces as it arrives: pass the returned key to the next call.
//
// The work is done by the best kernel for this CPU (scalar, 64-bit word, SSE2, AVX2, AVX-512),
// picked once at first use; BURROW_FORCE_KERNEL caps it (see detail/cpu_features.hpp). Every
// kernel gives the same bytes as the scalar reference and never touches a byte outside the span.
#pragma once

#include <burrow/config.hpp>

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string_view>

namespace burrow::ws {

/// Reads a 4-byte masking key as it appears on the wire.
inline std::uint32_t load_mask_key(const std::byte* wire) noexcept {
    std::uint32_t key;
    std::memcpy(&key, wire, sizeof key);
    return key;
}

/// Writes a masking key in wire order (the inverse of `load_mask_key`).
inline void store_mask_key(std::byte* wire, std::uint32_t key) noexcept { std::memcpy(wire, &key, sizeof key); }

/// The key to use for the byte that follows `n` masked bytes.
constexpr std::uint32_t rotate_mask_key(std::uint32_t key, std::size_t n) noexcept {
    const unsigned shift = static_cast<unsigned>(n % 4) * 8;
    if constexpr (std::endian::native == std::endian::little)
        return shift == 0 ? key : (key >> shift) | (key << (32 - shift));
    else
        return shift == 0 ? key : (key << shift) | (key >> (32 - shift));
}

/// XORs `data` in place with `key` (which applies to `data[0]`) and returns the key for the byte
/// after the last one. Applying the same key twice restores the input.
std::uint32_t apply_mask(std::span<std::byte> data, std::uint32_t key) noexcept;

/// Name of the kernel `apply_mask` uses on this machine ("avx512", "avx2", ...).
std::string_view active_mask_kernel() noexcept;

} // namespace burrow::ws
