// Hashes, base64 and random bytes for the handshake and proxy authentication: thin wrappers over
// wolfCrypt, never hand-made cryptography.
//
// Theory of operation: every function is a one-shot call on whole inputs (the inputs are keys,
// nonces and credentials, never payloads, so incremental variants are not needed). The signatures
// use only standard types so that wolfSSL's headers, with their many macros, stay out of every
// translation unit that includes this one; lib/crypto.cpp is the only file that sees them.
// Hashing works on wolfCrypt state kept on the stack (no heap); base64 is strict on input (RFC 4648
// §3.3: no whitespace, no missing or misplaced padding, no stray bits) because everything burrow
// decodes comes from a peer. `random_bytes` draws from a per-thread wolfCrypt DRBG.
#pragma once

#include <burrow/config.hpp>

#include <array>
#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace burrow::detail {

inline constexpr std::size_t sha1_size = 20;
inline constexpr std::size_t md5_size = 16;
inline constexpr std::size_t sha256_size = 32;

/// SHA-1 of `data` (FIPS 180-4). Used for Sec-WebSocket-Accept (RFC 6455 §4.2.2), not for security.
std::array<std::byte, sha1_size> sha1(std::span<const std::byte> data) noexcept;

/// MD5 of `data` (RFC 1321). Only for HTTP Digest authentication, which still defaults to it.
std::array<std::byte, md5_size> md5(std::span<const std::byte> data) noexcept;

/// SHA-256 of `data` (FIPS 180-4).
std::array<std::byte, sha256_size> sha256(std::span<const std::byte> data) noexcept;

/// The number of characters `base64_encode` writes for `n` bytes: 4 * ceil(n / 3).
constexpr std::size_t base64_encoded_size(std::size_t n) noexcept {
    return (n + 2) / 3 * 4;
}

/// The largest number of bytes `n` base64 characters can decode to.
constexpr std::size_t base64_max_decoded_size(std::size_t n) noexcept {
    return n / 4 * 3;
}

/// Writes the padded base64 (RFC 4648 §4) of `in` into `out`, without line breaks or a terminating
/// NUL. Returns the number of characters written, or 0 when `out` is smaller than
/// `base64_encoded_size(in.size())` (0 is also the length for an empty `in`).
std::size_t base64_encode(std::span<const std::byte> in, std::span<char> out) noexcept;

/// The padded base64 of `in` as a string (allocates; for once-per-connection values).
std::string base64_encode(std::span<const std::byte> in);

/// The padded base64 of the characters of `in` (convenience for text such as "user:password").
std::string base64_encode(std::string_view in);

/// Decodes strict padded base64 into `out`. Returns the number of bytes written, or nullopt when
/// `in` is not canonical base64 (a length that is not a multiple of 4, a character outside the
/// alphabet, whitespace, padding other than one or two trailing '=', non-zero bits under the
/// padding) or when `out` is too small for the decoded bytes. `out` may be modified on failure.
std::optional<std::size_t> base64_decode(std::string_view in, std::span<std::byte> out) noexcept;

/// Fills `out` from a wolfCrypt DRBG (one per thread, seeded from the OS on first use). Returns
/// false when the generator cannot be seeded or fails its health test; `out` is then unspecified.
/// A failed generator is dropped, so a later call seeds a fresh one.
bool random_bytes(std::span<std::byte> out) noexcept;

/// Lowercase hexadecimal of `in`, two digits per byte (as HTTP Digest wants its hashes).
std::string to_hex(std::span<const std::byte> in);

} // namespace burrow::detail
