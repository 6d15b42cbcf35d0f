// UTF-8 validation: every kernel, run through the whole incremental validator, against an
// independent reference built by encoding every Unicode scalar value.
//
// The reference knows the set of all valid encodings and of their proper prefixes, so for any byte
// string it tells where the first byte lies that no continuation can make valid (the byte on which
// fail-fast must fire) and whether the text is complete. Each input is fed whole, split in two at
// every offset, one byte at a time, at every buffer alignment and against guard pages; every piece
// must return exactly what the reference predicts for the bytes seen so far.
#include <burrow/detail/utf8_kernels.hpp>
#include <burrow/ws/utf8.hpp>

#include <test_bytes.hpp>

#include <gtest/gtest.h>

#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <optional>
#include <random>
#include <string>
#include <vector>

namespace {

using burrow::detail::isa;
using burrow::detail::utf8_kernel;
using burrow::detail::utf8_kernels;
using burrow::test::bytes;
using burrow::test::from_hex;
using burrow::ws::utf8_validator;

constexpr std::size_t npos = static_cast<std::size_t>(-1);

// ---- reference -------------------------------------------------------------------------------

// The encoding of `cp`, written from the definition (Unicode 3.9, Table 3-6).
std::vector<std::uint8_t> encode(std::uint32_t cp) {
    if (cp < 0x80)
        return {static_cast<std::uint8_t>(cp)};
    if (cp < 0x800)
        return {static_cast<std::uint8_t>(0xC0 | (cp >> 6)), static_cast<std::uint8_t>(0x80 | (cp & 0x3F))};
    if (cp < 0x10000)
        return {static_cast<std::uint8_t>(0xE0 | (cp >> 12)),
                static_cast<std::uint8_t>(0x80 | ((cp >> 6) & 0x3F)),
                static_cast<std::uint8_t>(0x80 | (cp & 0x3F))};
    return {
        static_cast<std::uint8_t>(0xF0 | (cp >> 18)), static_cast<std::uint8_t>(0x80 | ((cp >> 12) & 0x3F)),
        static_cast<std::uint8_t>(0x80 | ((cp >> 6) & 0x3F)), static_cast<std::uint8_t>(0x80 | (cp & 0x3F))};
}

void append(bytes& out, std::uint32_t cp) {
    for (auto b : encode(cp))
        out.push_back(static_cast<std::byte>(b));
}

struct verdict {
    std::size_t first_error = npos; // index of the first byte no continuation can make valid
    bool valid = false;             // whole text valid and complete
};

class reference {
public:
    static const reference& get() {
        static const reference r;
        return r;
    }

    verdict check(std::span<const std::byte> text) const {
        std::uint64_t pending = 0; // the bytes of the unfinished sequence, as a key
        std::size_t length = 0;
        for (std::size_t i = 0; i < text.size(); ++i) {
            const auto b = static_cast<std::uint8_t>(text[i]);
            if (length == 0 && b < 0x80)
                continue;
            pending = pending << 8 | b;
            ++length;
            const std::uint64_t k = pending | std::uint64_t{length} << 32;
            if (std::binary_search(full_.begin(), full_.end(), k)) {
                pending = 0;
                length = 0;
            } else if (!std::binary_search(prefixes_.begin(), prefixes_.end(), k)) {
                return {i, false};
            }
        }
        return {npos, length == 0};
    }

private:
    reference() {
        for (std::uint32_t cp = 0x80; cp <= 0x10FFFF; ++cp) {
            if (cp >= 0xD800 && cp <= 0xDFFF)
                continue;
            const auto e = encode(cp);
            std::uint64_t k = 0;
            for (std::size_t n = 1; n <= e.size(); ++n) {
                k = k << 8 | e[n - 1];
                (n == e.size() ? full_ : prefixes_).push_back(k | std::uint64_t{n} << 32);
            }
        }
        for (auto* v : {&full_, &prefixes_}) {
            std::sort(v->begin(), v->end());
            v->erase(std::unique(v->begin(), v->end()), v->end());
        }
    }

    std::vector<std::uint64_t> full_;     // every complete multi-byte encoding: bytes | length << 32
    std::vector<std::uint64_t> prefixes_; // every proper prefix of one
};

verdict expected_for(std::span<const std::byte> text) {
    return reference::get().check(text);
}

// ---- harness ---------------------------------------------------------------------------------

// Which implementation feeds: a kernel through the validator, or the public, dispatched feed.
struct impl {
    const utf8_kernel* kernel; // nullptr: utf8_validator::feed

    std::string name() const {
        return kernel ? std::string(burrow::detail::isa_name(kernel->level)) : std::string("dispatched");
    }

    bool feed(utf8_validator& v, std::span<const std::byte> piece) const {
        return kernel ? burrow::detail::utf8_feed_with(v, piece, *kernel) : v.feed(piece);
    }
};

std::vector<impl> all_impls() {
    std::vector<impl> out;
    for (const auto& k : utf8_kernels())
        out.push_back({&k});
    out.push_back({nullptr});
    return out;
}

std::string hex(std::span<const std::byte> text) {
    static constexpr char digits[] = "0123456789ABCDEF";
    std::string out;
    for (std::size_t i = 0; i < text.size() && i < 96; ++i) {
        const auto b = static_cast<unsigned>(text[i]);
        out += digits[b >> 4];
        out += digits[b & 15];
        out += ' ';
    }
    if (text.size() > 96)
        out += "... (" + std::to_string(text.size()) + " bytes)";
    return out;
}

// Feeds `text` in pieces ending at each of `ends` (increasing, the last one text.size()) and
// checks every result: a piece fails iff the first impossible byte is in it or before it.
testing::AssertionResult feeds_as_expected(const impl& im, std::span<const std::byte> text,
                                           std::span<const std::size_t> ends, const verdict& want) {
    utf8_validator v;
    std::size_t begin = 0;
    for (std::size_t end : ends) {
        const bool got = im.feed(v, text.subspan(begin, end - begin));
        const bool expected = want.first_error == npos || want.first_error >= end;
        if (got != expected)
            return testing::AssertionFailure()
                   << im.name() << ": piece [" << begin << ", " << end << ") returned " << got
                   << ", first error at " << static_cast<std::ptrdiff_t>(want.first_error) << " in "
                   << hex(text);
        begin = end;
    }
    if (v.complete() != want.valid || v.failed() != (want.first_error != npos))
        return testing::AssertionFailure() << im.name() << ": complete " << v.complete() << " failed "
                                           << v.failed() << " for " << hex(text);
    return testing::AssertionSuccess();
}

testing::AssertionResult whole_as_expected(const impl& im, std::span<const std::byte> text,
                                           const verdict& want) {
    const std::size_t ends[] = {text.size()};
    if (auto r = feeds_as_expected(im, text, ends, want); !r)
        return r;
    // Kernels on their own see complete text.
    const bool direct = im.kernel ? im.kernel->fn(text.data(), text.size()) : burrow::ws::is_valid_utf8(text);
    if (direct != want.valid)
        return testing::AssertionFailure()
               << im.name() << ": whole-text check returned " << direct << " for " << hex(text);
    return testing::AssertionSuccess();
}

testing::AssertionResult splits_as_expected(const impl& im, std::span<const std::byte> text,
                                            const verdict& want) {
    for (std::size_t cut = 0; cut <= text.size(); ++cut) {
        const std::size_t ends[] = {cut, text.size()};
        if (auto r = feeds_as_expected(im, text, ends, want); !r)
            return r << " (split at " << cut << ")";
    }
    return testing::AssertionSuccess();
}

testing::AssertionResult bytewise_as_expected(const impl& im, std::span<const std::byte> text,
                                              const verdict& want) {
    std::vector<std::size_t> ends(text.size());
    for (std::size_t i = 0; i < ends.size(); ++i)
        ends[i] = i + 1;
    if (text.empty())
        ends.push_back(0);
    if (auto r = feeds_as_expected(im, text, ends, want); !r)
        return r << " (one byte at a time)";
    return testing::AssertionSuccess();
}

// Every way of feeding, for every implementation.
void check_everything(std::span<const std::byte> text) {
    const verdict want = expected_for(text);
    for (const auto& im : all_impls()) {
        EXPECT_TRUE(whole_as_expected(im, text, want));
        EXPECT_TRUE(splits_as_expected(im, text, want));
        EXPECT_TRUE(bytewise_as_expected(im, text, want));
    }
}

// ---- the reference itself -------------------------------------------------------------------

TEST(utf8_reference, knows_the_rules) {
    EXPECT_TRUE(expected_for(from_hex("")).valid);
    EXPECT_TRUE(expected_for(from_hex("41 C2 80 E0 A0 80 F0 90 80 80 F4 8F BF BF")).valid);
    EXPECT_EQ(expected_for(from_hex("41 80")).first_error, 1u);
    EXPECT_EQ(expected_for(from_hex("C0 80")).first_error, 0u);
    EXPECT_EQ(expected_for(from_hex("E0 9F")).first_error, 1u);
    EXPECT_EQ(expected_for(from_hex("ED A0")).first_error, 1u);
    EXPECT_EQ(expected_for(from_hex("F4 90")).first_error, 1u);
    EXPECT_EQ(expected_for(from_hex("F5")).first_error, 0u);
    const verdict truncated = expected_for(from_hex("41 F4 8F BF"));
    EXPECT_EQ(truncated.first_error, npos);
    EXPECT_FALSE(truncated.valid);
}

// ---- the kernel table and the validator object ----------------------------------------------

TEST(utf8, kernel_list_is_well_formed) {
    const auto kernels = utf8_kernels();
    ASSERT_GE(kernels.size(), 2u);
    EXPECT_EQ(kernels[0].level, isa::scalar);
    EXPECT_EQ(kernels[0].fn, &burrow::detail::utf8_scalar);
    EXPECT_EQ(kernels[1].level, isa::word);
    std::string names;
    for (std::size_t i = 0; i < kernels.size(); ++i) {
        EXPECT_TRUE(burrow::detail::cpu_supports(kernels[i].level)) << i;
        ASSERT_NE(kernels[i].fn, nullptr);
        if (i > 0) {
            EXPECT_LT(kernels[i - 1].level, kernels[i].level) << i;
        }
        names += std::string(burrow::detail::isa_name(kernels[i].level)) + " ";
    }
    const auto& active = burrow::detail::active_utf8_kernel_entry();
    EXPECT_LE(active.level, burrow::detail::kernel_cap());
    EXPECT_EQ(burrow::ws::active_utf8_kernel(), burrow::detail::isa_name(active.level));
    std::cout << "[          ] kernels: " << names << "; active: " << burrow::ws::active_utf8_kernel()
              << '\n';
}

TEST(utf8, validator_is_small_and_trivially_copyable) {
    static_assert(std::is_trivially_copyable_v<utf8_validator>);
    static_assert(sizeof(utf8_validator) <= 16);
    static_assert(noexcept(std::declval<utf8_validator&>().feed({})));
    static_assert(noexcept(burrow::ws::is_valid_utf8(std::string_view{})));
    SUCCEED();
}

TEST(utf8, failure_is_sticky_until_reset) {
    for (const auto& im : all_impls()) {
        SCOPED_TRACE(im.name());
        utf8_validator v;
        EXPECT_TRUE(im.feed(v, from_hex("E2 82"))); // carried
        EXPECT_FALSE(v.complete());
        utf8_validator copy = v; // the carry travels with the object
        EXPECT_TRUE(im.feed(copy, from_hex("AC")));
        EXPECT_TRUE(copy.complete());
        EXPECT_FALSE(im.feed(v, from_hex("41")));
        EXPECT_TRUE(v.failed());
        EXPECT_FALSE(im.feed(v, from_hex("41 42 43")));
        EXPECT_FALSE(im.feed(v, {}));
        EXPECT_FALSE(v.complete());
        v.reset();
        EXPECT_FALSE(v.failed());
        EXPECT_TRUE(v.complete());
        EXPECT_TRUE(im.feed(v, from_hex("41 42 43")));
        EXPECT_TRUE(v.complete());
    }
}

TEST(utf8, fails_on_the_first_impossible_byte_even_when_unfinished) {
    for (const auto& im : all_impls()) {
        SCOPED_TRACE(im.name());
        for (const char* fatal : {"F4 90", "E0 80", "E0 9F", "ED A0", "ED BF", "F0 80", "F0 8F", "C0", "C1",
                                  "F5", "FF", "80", "41 BF"}) {
            utf8_validator v;
            EXPECT_FALSE(im.feed(v, from_hex(fatal))) << fatal;
        }
        for (const char* viable : {"F4 8F", "F4 80 80", "E0 A0", "ED 9F", "F0 90", "F3 BF BF", "C2", "E1"}) {
            utf8_validator v;
            EXPECT_TRUE(im.feed(v, from_hex(viable))) << viable;
            EXPECT_FALSE(v.complete()) << viable;
        }
    }
}

// ---- the corpus -----------------------------------------------------------------------------

// Named cases: boundaries, overlongs, surrogates, too large, stray and truncated sequences.
const std::vector<std::string>& corpus() {
    // clang-format off
    static const std::vector<std::string> cases = {
        // boundaries: U+0000, U+007F / U+0080, U+07FF / U+0800, U+FFFF / U+10000, U+10FFFF
        "00", "7F", "C2 80", "DF BF", "E0 A0 80", "EF BF BF", "F0 90 80 80", "F4 8F BF BF",
        "EE 80 80", "ED 9F BF",  // U+E000 and U+D7FF around the surrogates
        // above U+10FFFF
        "F4 90 80 80", "F4 BF BF BF", "F5 80 80 80", "F7 BF BF BF", "F8 88 80 80 80", "FC 84 80 80 80 80",
        "F5", "F6", "F7", "F8", "F9", "FA", "FB", "FC", "FD", "FE", "FF",
        // overlongs
        "C0 80", "C0 AF", "C1 BF", "E0 80 80", "E0 80 AF", "E0 9F BF", "F0 80 80 80", "F0 80 80 AF",
        "F0 8F BF BF",
        // surrogates
        "ED A0 80", "ED AF BF", "ED B0 80", "ED BF BF", "ED A0 80 ED B0 80",
        // stray and doubled continuation bytes
        "80", "BF", "41 80", "C2 80 80", "E2 82 AC 80", "F0 9F 98 80 80", "80 80 80 80",
        // truncated sequences
        "C2", "E2", "E2 82", "F0", "F0 9F", "F0 9F 98", "F4 8F BF", "41 E2 82", "C2 41", "E2 82 41",
        "F0 9F 98 41", "E2 C2 80", "F0 9F C2 80",
        // valid multilingual text
        "48 C3 A9 6C 6C C3 B6 20 D0 BC D0 B8 D1 80 20 E4 B8 96 E7 95 8C 20 F0 9F 98 80",
    };
    // clang-format on
    return cases;
}

// The named cases, alone and embedded in ASCII so that they sit on every side of the 16-, 32-
// and 64-byte block boundaries and at the very end.
TEST(utf8, corpus_in_every_position) {
    std::size_t invalid = 0, total = 0;
    for (const auto& c : corpus()) {
        const bytes core = from_hex(c);
        for (std::size_t before : {0u, 1u, 14u, 15u, 16u, 31u, 32u, 61u, 62u, 63u, 64u}) {
            for (std::size_t after : {0u, 1u, 3u, 40u}) {
                bytes text(before, std::byte{'a'});
                text.insert(text.end(), core.begin(), core.end());
                text.insert(text.end(), after, std::byte{'z'});
                SCOPED_TRACE(c + " at " + std::to_string(before) + " + " + std::to_string(after));
                check_everything(text);
                invalid += expected_for(text).valid ? 0 : 1;
                ++total;
                if (HasFailure())
                    return;
            }
        }
    }
    // Guards against a corpus that stopped exercising one side.
    EXPECT_GT(invalid, total / 2);
    EXPECT_LT(invalid, total);
}

// Every string of four bytes drawn from the bytes at the edges of every class, alone and across a
// block boundary: catches any wrong entry in the nibble tables.
TEST(utf8, all_edge_byte_quadruples) {
    constexpr std::array<std::uint8_t, 27> edges = {0x00, 0x41, 0x7F, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF,
                                                    0xC0, 0xC1, 0xC2, 0xDF, 0xE0, 0xE1, 0xEC, 0xED, 0xEE,
                                                    0xEF, 0xF0, 0xF1, 0xF3, 0xF4, 0xF5, 0xF7, 0xF8, 0xFF};
    const auto impls = all_impls();
    constexpr std::size_t offset = 62; // the quadruple straddles byte 64 in the second form
    bytes alone(4), embedded(offset + 4 + 3, std::byte{'x'}), with_tail(5, std::byte{'x'});
    std::size_t failures = 0;
    for (auto a : edges)
        for (auto b : edges)
            for (auto c : edges)
                for (auto d : edges) {
                    const std::byte q[4] = {std::byte{a}, std::byte{b}, std::byte{c}, std::byte{d}};
                    std::copy(q, q + 4, alone.begin());
                    std::copy(q, q + 4, with_tail.begin());
                    std::copy(q, q + 4, embedded.begin() + offset);
                    const verdict v_alone = expected_for(alone);
                    const verdict v_tail = expected_for(with_tail); // what ASCII after the quadruple does
                    const verdict v_embedded = {
                        v_tail.first_error == npos ? npos : v_tail.first_error + offset, v_tail.valid};
                    for (const auto& im : impls) {
                        auto r1 = whole_as_expected(im, alone, v_alone);
                        auto r2 = whole_as_expected(im, embedded, v_embedded);
                        if (!r1 || !r2) {
                            ADD_FAILURE() << (r1 ? r2 : r1).message();
                            if (++failures > 10)
                                return;
                        }
                    }
                }
}

// ---- random multilingual text ---------------------------------------------------------------

// Code points from every encoded length and the edges of each.
constexpr std::uint32_t code_points[] = {
    'a',     'Z',     ' ',     '{',     '"',      0x7F,   0x80,   0xE9,   0xFF,   0x7FF, // ASCII, Latin-1
    0x391,   0x3B1,   0x3C9,   0x410,   0x416,    0x44F,  0x5D0,  0x627, // Greek, Cyrillic, Hebrew, Arabic
    0x800,   0x4E2D,  0x65E5,  0x8A9E,  0xAC00,   0xD7FF, 0xE000, 0xFFFD, 0xFFFF, // CJK, Hangul, edges
    0x10000, 0x1F600, 0x1F680, 0x1F9D1, 0x10FFFF,                                 // emoji, edges
};

bytes random_text(std::mt19937& rng, std::size_t size) {
    std::uniform_int_distribution<std::size_t> pick(0, std::size(code_points) - 1);
    std::uniform_int_distribution<int> ascii_run(0, 3);
    bytes out;
    while (out.size() < size) {
        if (ascii_run(rng) == 0)
            append(out, code_points[pick(rng)]);
        else
            out.push_back(static_cast<std::byte>('a' + out.size() % 26));
    }
    // Cut back to a code point boundary so the unmutated text is valid.
    while (out.size() > size || (!out.empty() && !expected_for(out).valid))
        out.pop_back();
    return out;
}

// One random change; kind 0 leaves the text as it is.
void mutate(std::mt19937& rng, bytes& text, int kind) {
    static constexpr std::uint8_t bad[] = {0x80, 0xBF, 0xC0, 0xC1, 0xC2, 0xE0, 0xED,
                                           0xF0, 0xF4, 0xF5, 0xFF, 0x90, 0xA0};
    if (text.empty())
        kind = kind == 0 ? 0 : 4;
    std::uniform_int_distribution<std::size_t> any(0, text.empty() ? 0 : text.size() - 1);
    std::uniform_int_distribution<std::size_t> which(0, std::size(bad) - 1);
    switch (kind) {
    case 0:
        break;
    case 1:
        text[any(rng)] = static_cast<std::byte>(rng() & 0xFF);
        break; // random byte anywhere
    case 2: {  // a bad byte at a block boundary or in the last bytes
        std::vector<std::size_t> spots;
        for (std::size_t p : {15u, 16u, 17u, 31u, 32u, 33u, 63u, 64u, 65u, 127u, 128u})
            if (p < text.size())
                spots.push_back(p);
        for (std::size_t back = 1; back <= 4 && back <= text.size(); ++back)
            spots.push_back(text.size() - back);
        std::uniform_int_distribution<std::size_t> spot(0, spots.size() - 1);
        text[spots[spot(rng)]] = static_cast<std::byte>(bad[which(rng)]);
        break;
    }
    case 3:
        text.resize(text.size() - std::min<std::size_t>(text.size(), 1 + rng() % 3));
        break; // truncate
    case 4:
        text.insert(text.begin() + static_cast<std::ptrdiff_t>(text.empty() ? 0 : any(rng)),
                    static_cast<std::byte>(bad[which(rng)]));
        break;
    default:
        text.erase(text.begin() + static_cast<std::ptrdiff_t>(any(rng)));
        break; // drop a byte
    }
}

TEST(utf8, random_mutations_every_length) {
    std::mt19937 rng(20240611);
    std::size_t invalid = 0, total = 0;
    for (std::size_t size = 0; size <= 300; ++size) {
        for (int kind = 0; kind <= 5; ++kind) {
            bytes text = random_text(rng, size);
            mutate(rng, text, kind);
            SCOPED_TRACE("size " + std::to_string(size) + " mutation " + std::to_string(kind));
            check_everything(text);
            invalid += expected_for(text).valid ? 0 : 1;
            ++total;
            if (HasFailure())
                return;
        }
    }
    EXPECT_GT(invalid, total / 2);
    EXPECT_LT(invalid, total);
}

TEST(utf8, random_mutations_large) {
    std::mt19937 rng(77);
    const auto impls = all_impls();
    for (std::size_t size : {1000u, 4096u, 65536u + 7u, 300000u}) {
        for (int kind = 0; kind <= 5; ++kind) {
            bytes text = random_text(rng, size);
            // Also put the error far from the start, where SIMD loops are in full swing.
            if (kind == 1 && text.size() > 5000)
                text[text.size() - 4001] = std::byte{0xFF};
            else
                mutate(rng, text, kind);
            const verdict want = expected_for(text);
            const std::size_t cut = text.size() / 2 + 1;
            const std::size_t halves[] = {cut, text.size()};
            std::vector<std::size_t> chunks; // uneven pieces of 1..97 bytes
            for (std::size_t end = 0; end < text.size();)
                chunks.push_back(end = std::min(text.size(), end + 1 + rng() % 97));
            if (chunks.empty())
                chunks.push_back(0);
            for (const auto& im : impls) {
                EXPECT_TRUE(whole_as_expected(im, text, want)) << size << " " << kind;
                EXPECT_TRUE(feeds_as_expected(im, text, halves, want)) << size << " " << kind;
                EXPECT_TRUE(feeds_as_expected(im, text, chunks, want)) << size << " " << kind;
            }
        }
    }
}

// Dense multi-byte text (no ASCII runs) long enough for every loop of the SIMD kernels (the
// avx512vbmi kernel checks 512-byte groups, back to back while the text stays multi-byte), with
// each kind of bad byte written at every position in turn, and every length up to 1800 unmutated:
// an error in any block of any loop, and valid 3- and 4-byte sequences across every block boundary.
TEST(utf8, dense_text_error_at_every_position) {
    static constexpr std::uint8_t bad[] = {0x80, 0xBF, 0xC0, 0xC1, 0xC2, 0xE0, 0xED,
                                           0xF0, 0xF4, 0xF5, 0xFF, 0x90, 0xA0, 0x41};
    std::mt19937 rng(31337);
    std::uniform_int_distribution<std::size_t> pick(0, std::size(code_points) - 1);
    bytes dense;
    while (dense.size() < 1900)
        append(dense, code_points[pick(rng)]);
    const auto impls = all_impls();
    for (std::size_t size = 300; size <= 1800; ++size) {
        bytes text(dense.begin(), dense.begin() + static_cast<std::ptrdiff_t>(size));
        const verdict want = expected_for(text);
        for (const auto& im : impls)
            ASSERT_TRUE(whole_as_expected(im, text, want)) << size;
    }
    // 64 + 3 * 512 + 127: the first block, three groups back to back, single blocks, a masked tail.
    // Every position of the first 777 bytes, then those within 3 bytes of a block boundary (where
    // the state carried between blocks decides), so the test stays short under ASan.
    const bytes base(dense.begin(), dense.begin() + 1727);
    for (std::size_t pos = 0; pos < base.size(); ++pos) {
        if (pos >= 777 && (pos + 3) % 64 > 6)
            continue;
        for (std::uint8_t b : bad) {
            bytes text = base;
            text[pos] = static_cast<std::byte>(b);
            const verdict want = expected_for(text);
            for (const auto& im : impls)
                ASSERT_TRUE(whole_as_expected(im, text, want)) << "byte " << int{b} << " at " << pos;
        }
    }
}

// Text whose 64-byte blocks are each pure ASCII or dense multi-byte, in patterns that make the
// avx512vbmi kernel enter and leave its ASCII skipping and its back-to-back multi-byte groups at
// every turn (a group ending in an ASCII block, an ASCII group between multi-byte ones, sequences
// across the boundaries), with bad bytes at every position within 3 bytes of a block boundary: the
// kernels' state across blocks (the previous block, its g) must be right after each kind of block.
TEST(utf8, ascii_and_multibyte_blocks_error_at_every_boundary) {
    static constexpr std::uint8_t bad[] = {0x80, 0xC2, 0xE0, 0xF0, 0x41};
    // One letter per block: 'a' ASCII, 'm' multi-byte.
    static constexpr const char* patterns[] = {
        "mmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmma", // groups back to back, then ASCII at the very end
        "maaaaaaaammmmmmmammmmmmmmaaaaaaaammmmmmmmmm", // a group ending in ASCII, ASCII groups between
        "mmmmmmmmmaaaaaaaaaaaaaaaaammmmmmmmmmmmmmmmma", // long ASCII run between multi-byte groups
        "amamamamamamamamamamamamamamamamamamamamama", // alternating blocks
    };
    std::mt19937 rng(512);
    std::uniform_int_distribution<std::size_t> pick_multi(5, std::size(code_points) - 1); // skips ASCII
    const auto impls = all_impls();
    for (const char* pattern : patterns) {
        bytes text;
        for (std::size_t block = 0; pattern[block] != '\0'; ++block)
            while (text.size() < 64 * (block + 1)) {
                if (pattern[block] == 'a')
                    text.push_back(std::byte{'x'});
                else
                    append(text, code_points[pick_multi(rng)]);
            }
        ASSERT_TRUE(expected_for(text).valid) << pattern;
        for (const auto& im : impls)
            ASSERT_TRUE(whole_as_expected(im, text, expected_for(text))) << pattern;
        for (std::size_t pos = 0; pos < text.size(); ++pos) {
            if ((pos + 3) % 64 > 6)
                continue; // only within 3 bytes of a block boundary: the test stays short under ASan
            for (std::uint8_t b : bad) {
                bytes mutated = text;
                mutated[pos] = static_cast<std::byte>(b);
                const verdict want = expected_for(mutated);
                for (const auto& im : impls)
                    ASSERT_TRUE(whole_as_expected(im, mutated, want))
                        << pattern << ": byte " << int{b} << " at " << pos;
            }
        }
    }
}

// Every start alignment modulo 64, for lengths around the block sizes.
TEST(utf8, every_alignment) {
    std::mt19937 rng(4242);
    const auto impls = all_impls();
    std::vector<std::byte> buffer(64 + 300);
    for (std::size_t size = 0; size <= 200; size += (size < 140 ? 1 : 7)) {
        bytes text = random_text(rng, size);
        mutate(rng, text, static_cast<int>(rng() % 6));
        const verdict want = expected_for(text);
        for (std::size_t align = 0; align < 64; ++align) {
            std::copy(text.begin(), text.end(), buffer.begin() + static_cast<std::ptrdiff_t>(align));
            const std::span<const std::byte> placed(buffer.data() + align, text.size());
            for (const auto& im : impls) {
                const auto r = whole_as_expected(im, placed, want);
                if (!r) {
                    ADD_FAILURE() << r.message() << " (alignment " << align << ")";
                    return;
                }
            }
        }
    }
}

// Text that ends right before, or starts right after, an inaccessible page: a kernel that reads
// one byte outside the span crashes here, whatever the sanitizers see.
class guarded_pages {
public:
    guarded_pages() {
        page_ = static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
        void* p = mmap(nullptr, 3 * page_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED)
            return;
        base_ = static_cast<std::byte*>(p);
        if (mprotect(base_, page_, PROT_NONE) != 0 || mprotect(base_ + 2 * page_, page_, PROT_NONE) != 0) {
            munmap(base_, 3 * page_);
            base_ = nullptr;
        }
    }
    ~guarded_pages() {
        if (base_)
            munmap(base_, 3 * page_);
    }
    guarded_pages(const guarded_pages&) = delete;
    guarded_pages& operator=(const guarded_pages&) = delete;

    bool ok() const { return base_ != nullptr; }
    std::size_t page() const { return page_; }
    std::byte* first() const { return base_ + page_; }        // start of the accessible page
    std::byte* last_end() const { return base_ + 2 * page_; } // end of the accessible page

private:
    std::size_t page_ = 0;
    std::byte* base_ = nullptr;
};

TEST(utf8, never_reads_outside_the_span) {
    guarded_pages pages;
    ASSERT_TRUE(pages.ok());
    std::mt19937 rng(99);
    const auto impls = all_impls();
    for (std::size_t size = 0; size <= 300 && size <= pages.page(); ++size) {
        bytes text = random_text(rng, size);
        mutate(rng, text, static_cast<int>(rng() % 4));
        const verdict want = expected_for(text);
        for (std::byte* at : {pages.first(), pages.last_end() - text.size()}) {
            std::copy(text.begin(), text.end(), at);
            const std::span<const std::byte> placed(at, text.size());
            const std::size_t halves[] = {text.size() / 3, text.size()};
            for (const auto& im : impls) {
                EXPECT_TRUE(whole_as_expected(im, placed, want));
                EXPECT_TRUE(feeds_as_expected(im, placed, halves, want));
            }
        }
    }
}

TEST(utf8, string_view_overload) {
    EXPECT_TRUE(burrow::ws::is_valid_utf8(std::string_view("plain ascii")));
    EXPECT_TRUE(
        burrow::ws::is_valid_utf8(std::string_view("gr\xC3\xBC\xC3\x9F dich, \xE4\xB8\x96\xE7\x95\x8C")));
    EXPECT_FALSE(burrow::ws::is_valid_utf8(std::string_view("cut \xE4\xB8")));
    EXPECT_FALSE(burrow::ws::is_valid_utf8(std::string_view("\xED\xA0\x80 surrogate")));
    EXPECT_TRUE(burrow::ws::is_valid_utf8(std::string_view()));
}

} // namespace
