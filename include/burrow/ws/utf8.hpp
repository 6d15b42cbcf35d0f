// Incremental UTF-8 validation for text messages (RFC 6455 §8.1, Unicode Table 3-7).
//
// Theory of operation: a text message arrives in pieces (frames, reads) that may split a code
// point anywhere. `utf8_validator` carries the state of an unfinished sequence from one piece to
// the next and fails fast: `feed` returns false for the piece that holds the first byte which no
// continuation could make valid (a stray continuation byte, 0xC0/0xC1/0xF5-0xFF, an overlong or
// surrogate prefix such as E0 80 or ED A0, a sequence above U+10FFFF such as F4 90), even when
// that sequence is not finished yet. `complete` tells at the end of the message whether the text
// stopped in the middle of a sequence.
//
// Invariants: the object is trivially copyable and small; after a failure every later `feed`
// returns false until `reset`. No allocation, no exception.
//
// Speed: short ASCII pieces are checked inline; anything else goes to a kernel picked once for
// this CPU (scalar, 64-bit word, SSSE3, AVX2 or AVX-512; see burrow/detail/utf8_kernels.hpp).
#pragma once

#include <burrow/config.hpp>

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <type_traits>

namespace burrow::detail {
struct utf8_validator_access;
}

namespace burrow::ws {

class utf8_validator {
public:
    /// Validates the next piece of text. Returns false as soon as the text fed so far cannot be a
    /// prefix of valid UTF-8; the validator then stays failed until `reset`.
    bool feed(std::span<const std::byte> text) noexcept;

    /// True when the text fed so far is valid and does not end inside a multi-byte sequence.
    bool complete() const noexcept { return !failed_ && need_ == 0; }

    /// True when a `feed` has failed since the last reset.
    bool failed() const noexcept { return failed_; }

    /// Starts a new message.
    void reset() noexcept { *this = utf8_validator{}; }

private:
    friend struct detail::utf8_validator_access;
    std::uint8_t need_ = 0;  // continuation bytes still expected
    std::uint8_t lo_ = 0x80; // allowed range of the next continuation byte
    std::uint8_t hi_ = 0xBF;
    bool failed_ = false;
};

static_assert(std::is_trivially_copyable_v<utf8_validator> && sizeof(utf8_validator) <= 16,
              "the validator lives inside the stream state and is copied with it");

/// True when `text` is complete, valid UTF-8.
bool is_valid_utf8(std::span<const std::byte> text) noexcept;

/// Convenience for character data.
inline bool is_valid_utf8(std::string_view text) noexcept {
    return is_valid_utf8(std::as_bytes(std::span{text.data(), text.size()}));
}

/// Name of the kernel the validator uses on this machine ("avx512", "avx2", ...).
std::string_view active_utf8_kernel() noexcept;

} // namespace burrow::ws
