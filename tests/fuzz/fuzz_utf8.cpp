// Differential fuzzing of the UTF-8 validator.
//
// Input: bytes 0-1 seed the split points; the rest is the text. The text is fed to a
// utf8_validator in pieces (empty ones included) and compared, after every piece, with a
// byte-at-a-time reference DFA written here from Unicode Table 3-7:
//   - feed() returns false exactly when the text so far is no longer a prefix of valid UTF-8, and
//     keeps returning false (empty pieces too); failed() agrees;
//   - complete() at the end, is_valid_utf8() on the whole text (both overloads) and a copy of the
//     validator taken mid-text agree with the reference;
//   - every kernel this CPU runs (burrow/detail/utf8_kernels.hpp) agrees on the whole text, and
//     the incremental path driven by each kernel (utf8_feed_with) agrees piece by piece.
#include "fuzz_check.hpp"

#include <burrow/detail/utf8_kernels.hpp>
#include <burrow/ws/utf8.hpp>

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

namespace {

using burrow::ws::utf8_validator;

// States of the reference DFA, named after what the next byte must be.
enum class ref_state : std::uint8_t {
    accept,  // at a code point boundary
    cont1,   // one more 80..BF
    cont2,   // two more 80..BF
    cont3,   // three more 80..BF
    after_e0, // A0..BF, then one more (no overlong 3-byte forms)
    after_ed, // 80..9F, then one more (no surrogates)
    after_f0, // 90..BF, then two more (no overlong 4-byte forms)
    after_f4, // 80..8F, then two more (nothing above U+10FFFF)
    reject,
};

ref_state ref_step(ref_state s, std::uint8_t b) {
    const auto in = [b](int lo, int hi) { return b >= lo && b <= hi; };
    switch (s) {
    case ref_state::accept:
        if (in(0x00, 0x7F)) return ref_state::accept;
        if (in(0xC2, 0xDF)) return ref_state::cont1;
        if (b == 0xE0) return ref_state::after_e0;
        if (in(0xE1, 0xEC) || in(0xEE, 0xEF)) return ref_state::cont2;
        if (b == 0xED) return ref_state::after_ed;
        if (b == 0xF0) return ref_state::after_f0;
        if (in(0xF1, 0xF3)) return ref_state::cont3;
        if (b == 0xF4) return ref_state::after_f4;
        return ref_state::reject;
    case ref_state::cont1: return in(0x80, 0xBF) ? ref_state::accept : ref_state::reject;
    case ref_state::cont2: return in(0x80, 0xBF) ? ref_state::cont1 : ref_state::reject;
    case ref_state::cont3: return in(0x80, 0xBF) ? ref_state::cont2 : ref_state::reject;
    case ref_state::after_e0: return in(0xA0, 0xBF) ? ref_state::cont1 : ref_state::reject;
    case ref_state::after_ed: return in(0x80, 0x9F) ? ref_state::cont1 : ref_state::reject;
    case ref_state::after_f0: return in(0x90, 0xBF) ? ref_state::cont2 : ref_state::reject;
    case ref_state::after_f4: return in(0x80, 0x8F) ? ref_state::cont2 : ref_state::reject;
    case ref_state::reject: return ref_state::reject;
    }
    return ref_state::reject;
}

ref_state ref_run(ref_state s, std::span<const std::byte> text) {
    for (std::byte b : text)
        s = ref_step(s, static_cast<std::uint8_t>(b));
    return s;
}

// Split points: mostly short pieces (0-4 bytes, so sequences are cut everywhere), sometimes long.
struct splitter {
    std::uint32_t x;
    std::size_t next(std::size_t left) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        const std::size_t r = x >> 3;
        const std::size_t n = (x & 7) == 0 ? r % 300 : (x & 7) == 1 ? left : r % 5;
        return n < left ? n : left;
    }
};

// Calls f(offset, size) for each piece of a text of `size` bytes, as a splitter seeded with
// `seed` cuts it (at least one call, with an empty piece, for an empty text).
template <class F>
void for_each_piece(std::uint32_t seed, std::size_t size, F&& f) {
    splitter split{seed};
    std::size_t pos = 0;
    do {
        const std::size_t n = split.next(size - pos);
        f(pos, n);
        pos += n;
    } while (pos < size);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 2)
        return 0;
    const std::uint32_t seed =
        0x9E3779B9u ^ (std::uint32_t{data[0]} << 8 | data[1]) ^ static_cast<std::uint32_t>(size);
    const std::span<const std::byte> text{reinterpret_cast<const std::byte*>(data) + 2, size - 2};

    utf8_validator v;
    utf8_validator copy;
    bool copied = false;
    ref_state ref = ref_state::accept;
    for_each_piece(seed, text.size(), [&](std::size_t pos, std::size_t n) {
        const auto piece = text.subspan(pos, n);
        ref = ref_run(ref, piece);
        BURROW_FUZZ_CHECK(v.feed(piece) == (ref != ref_state::reject));
        BURROW_FUZZ_CHECK(v.failed() == (ref == ref_state::reject));
        const auto rest = text.subspan(pos + n);
        if (!copied && (pos + n) * 2 >= text.size()) {
            copy = v;
            copied = true;
            BURROW_FUZZ_CHECK(copy.feed(rest) == (ref_run(ref, rest) != ref_state::reject));
        }
    });
    // A failed validator stays failed, even for an empty piece.
    BURROW_FUZZ_CHECK(v.feed({}) == (ref != ref_state::reject));

    const bool valid = ref == ref_state::accept;
    BURROW_FUZZ_CHECK(v.complete() == valid);
    BURROW_FUZZ_CHECK(copied && copy.complete() == valid);
    BURROW_FUZZ_CHECK(burrow::ws::is_valid_utf8(text) == valid);
    BURROW_FUZZ_CHECK(burrow::ws::is_valid_utf8(
                          std::string_view{reinterpret_cast<const char*>(text.data()), text.size()}) == valid);

    // Whole text at once after a reset.
    v.reset();
    BURROW_FUZZ_CHECK(v.feed(text) == (ref != ref_state::reject));
    BURROW_FUZZ_CHECK(v.complete() == valid);

    for (const auto& kernel : burrow::detail::utf8_kernels()) {
        BURROW_FUZZ_CHECK(kernel.fn(text.data(), text.size()) == valid);
        utf8_validator kv;
        ref_state kref = ref_state::accept;
        for_each_piece(seed, text.size(), [&](std::size_t pos, std::size_t n) {
            const auto piece = text.subspan(pos, n);
            kref = ref_run(kref, piece);
            BURROW_FUZZ_CHECK(burrow::detail::utf8_feed_with(kv, piece, kernel) == (kref != ref_state::reject));
            BURROW_FUZZ_CHECK(kv.failed() == (kref == ref_state::reject));
        });
        BURROW_FUZZ_CHECK(kv.complete() == valid);
    }
    return 0;
}
