// The 512-bit kernel for CPUs with VBMI and VBMI2 (Ice Lake and later, Zen 4). Compiled with
// -mavx512f -mavx512bw -mavx512vl -mbmi2 -mavx512vbmi -mavx512vbmi2 (the avx512vbmi level of
// cpu_features), called only when the CPU has them.
//
// Theory of operation: the same pair classification as the avx512 kernel (Keiser & Lemire: every
// error shows in a pair of adjacent bytes, except a continuation after a continuation, which is
// legal only as the 3rd or 4th byte of a sequence), rebuilt around what a 64-byte block costs on
// the AVX-512 cores we measured (Zen 4): every 512-bit op takes a whole cycle of one of two pipe
// pairs, split loads crossing a cache line take two load slots, and the avx512 kernel spends its
// time in three nibble lookups with their masking, plus two more split loads for prev2/prev3.
//  - vpermb looks up 64 entries, so two lookups replace three: the previous byte's class, indexed
//    by prev1 minus BF, saturated (every byte that is not a lead lands on entry 0), and the byte's
//    own class, indexed by bits 2..7 (a 16-bit shift by 2 leaves them in the low six bits of every
//    byte; vpermb ignores the two bits shifted in from the neighbour). No mask register between a
//    compare and the lookup (on Zen 4 that pair costs ten cycles of latency), and no two-table
//    vpermi2b (slower than vpermb there).
//  - "this continuation may follow a continuation" is M[i] = prev2 >= E0 || prev3 >= F0, i.e.
//    g[i - 2] with g[j] = byte >= E0 || prev1 >= F0. Both halves of g already sit in one bit of
//    the two lookups, so g is one ternary-logic op; the shift by two bytes is one qword rotate
//    across the register (valignq, bringing in the previous block) and one 64-bit funnel shift
//    (vpshldq) by 17 bits, which also moves g's bit 6 to the bit 7 that marks the pair. Only one
//    load besides the block itself (prev1), instead of three.
//  - Multi-byte text goes eight blocks (512 bytes) at a time, stage by stage: all loads, then all
//    previous-byte lookups, all byte lookups, all g, all shifts. Zen 4 hands vector ops to its
//    schedulers in program order, and this order keeps both shuffle pipes busy where block after
//    block left them waiting on each block's chain of lookups (+18% measured against the
//    block-by-block loop). Once a group held non-ASCII text, the next group goes through the
//    check without an ASCII test, for as long as the group's last block is not pure ASCII: the
//    test costs eight loads' worth of ORs that multi-byte text never profits from.
// The masked first and last blocks are as in the avx512 kernel; ASCII is skipped 512 bytes at a
// time, then 64. The kernel only answers valid or not for the whole piece it is given: the
// validator (utf8.cpp) keeps fail-fast and the carry across pieces, as for every kernel.
#include "utf8_internal.hpp"

#include <array>
#include <cstdint>
#include <immintrin.h>

namespace burrow::detail {

namespace {

// One bit per kind of bad pair (prev1, byte). A pair is bad when the AND of the two lookups is
// non-zero, except bit 7, which is XORed with M first.
constexpr std::uint8_t too_short = 1 << 0;   // lead, then not a continuation
constexpr std::uint8_t invalid = 1 << 1;     // FC..FF, after anything: in every previous-byte class
constexpr std::uint8_t overlong_3 = 1 << 2;  // E0 80..9F
constexpr std::uint8_t surrogate = 1 << 3;   // ED A0..BF
constexpr std::uint8_t overlong_4 = 1 << 4;  // F0 80..8F
constexpr std::uint8_t too_large = 1 << 5;   // F4 90..BF
// Not a kind of error: marks a byte >= E0 (in the byte's class) or a previous byte >= F0 (in the
// previous byte's class); g collects it. Both at once mean a lead after a lead, too_short anyway.
constexpr std::uint8_t g_bit = 1 << 6;
// A continuation after a byte that is not a lead (ASCII or a continuation). After ASCII it is
// always an error: M cannot be set there without the pair before it being too_short.
constexpr std::uint8_t two_conts = 1 << 7;
// A lead that no valid text holds (C0, C1, F5..FE), as the previous byte: bad whatever follows,
// a continuation (80..9F meets overlong_3, A0..BF surrogate) or not (too_short).
constexpr std::uint8_t bad_lead = too_short | overlong_3 | surrogate;

// The class of the previous byte, indexed by the byte minus BF, saturated at 0, of which vpermb
// keeps the low six bits: entry 0 holds every byte that is not a lead (00..BF) and FF (40 wraps
// to 0: FF is caught as a byte, see `invalid`), entries 1..63 the leads C0..FE. One 64-entry
// vpermb, where a lookup that tells FF apart would need the two-table vpermi2b, slower on Zen 4.
consteval std::array<std::uint8_t, 64> make_prev_classes() {
    std::array<std::uint8_t, 64> t{};
    t[0] = two_conts | invalid;
    for (unsigned i = 1; i < 64; ++i) {
        const unsigned b = 0xBF + i;
        std::uint8_t v = too_short | invalid;
        if (b < 0xC2 || b > 0xF4)
            v |= bad_lead;
        if (b == 0xE0)
            v |= overlong_3;
        if (b == 0xED)
            v |= surrogate;
        if (b == 0xF0)
            v |= overlong_4;
        if (b == 0xF4)
            v |= too_large;
        if (b >= 0xF0)
            v |= g_bit;
        t[i] = v;
    }
    return t;
}

// The class of any byte, indexed by its bits 2..7 (its value / 4).
consteval std::array<std::uint8_t, 64> make_byte_classes() {
    std::array<std::uint8_t, 64> t{};
    for (unsigned i = 0; i < 64; ++i) {
        const unsigned b = i * 4;
        std::uint8_t v = 0;
        if (b < 0x80 || b >= 0xC0) {
            v = too_short;
            if (b >= 0xE0)
                v |= g_bit;
            if (b >= 0xFC)
                v |= invalid;
        } else {
            v = two_conts;
            v |= b < 0xA0 ? overlong_3 : surrogate;
            v |= b < 0x90 ? overlong_4 : too_large;
        }
        t[i] = v;
    }
    return t;
}

alignas(64) constexpr std::array<std::uint8_t, 64> prev_classes = make_prev_classes();
alignas(64) constexpr std::array<std::uint8_t, 64> byte_classes = make_byte_classes();

constexpr __mmask64 all64 = ~__mmask64{0};
constexpr __mmask8 all8 = 0xFF;

// vpternlogd immediates, from the truth tables of a = F0, b = CC, c = AA.
constexpr int or_then_and = 0xA8; // (a | b) & c
constexpr int and_then_xor = 0x6A; // (a & b) ^ c
constexpr int or3 = 0xFE;         // a | b | c

// The address `back` bytes before `p`, for masked loads that skip those bytes: computed on the
// integer so that no out-of-range pointer is ever formed.
const void* before(const std::uint8_t* p, std::size_t back) noexcept {
    return reinterpret_cast<const void*>(reinterpret_cast<std::uintptr_t>(p) - back);
}

// Blocks per group of the multi-byte loop: eight blocks' loads, lookups and shifts stay in the 32
// vector registers; sixteen spill.
constexpr std::size_t group_blocks = 8;
constexpr std::size_t group_bytes = 64 * group_blocks;

struct block_checker {
    __m512i prevs = _mm512_load_si512(prev_classes.data());
    __m512i bytes = _mm512_load_si512(byte_classes.data());
    __m512i not_lead_max = _mm512_set1_epi8(static_cast<char>(0xBF));
    __m512i g_mask = _mm512_set1_epi8(g_bit);
    __m512i error = _mm512_setzero_si512();
    __m512i last = _mm512_setzero_si512(); // the block checked last
    __m512i g_last = _mm512_setzero_si512(); // its g

    // The class of each block byte's previous byte.
    __m512i prev_class(__m512i prev1) const noexcept {
        return _mm512_maskz_permutexvar_epi8(all64, _mm512_subs_epu8(prev1, not_lead_max), prevs);
    }

    // The class of each block byte.
    __m512i byte_class(__m512i in) const noexcept {
        return _mm512_maskz_permutexvar_epi8(all64, _mm512_srli_epi16(in, 2), bytes);
    }

    // g of a block, from its two classes.
    __m512i g_of(__m512i a, __m512i c) const noexcept {
        return _mm512_ternarylogic_epi32(a, c, g_mask, or_then_and);
    }

    // The errors of a block, given its classes, its g and the g of the block before.
    static __m512i errors(__m512i a, __m512i c, __m512i g, __m512i g_before) noexcept {
        // g two bytes later and one bit up: bit 6 of byte j - 2 lands on bit 7 of byte j.
        const __m512i g_qword_before = _mm512_maskz_alignr_epi64(all8, g, g_before, 7);
        const __m512i m = _mm512_shldi_epi64(g, g_qword_before, 17);
        return _mm512_ternarylogic_epi32(a, c, m, and_then_xor);
    }

    // The errors of one block, given the block shifted by one byte.
    __m512i check(__m512i in, __m512i prev1) noexcept {
        const __m512i a = prev_class(prev1);
        const __m512i c = byte_class(in);
        const __m512i g = g_of(a, c);
        const __m512i e = errors(a, c, g, g_last);
        g_last = g;
        last = in;
        return e;
    }

    // The group_bytes at p + i, i >= 1, stage by stage (see the theory of operation).
    void group(const std::uint8_t* p, std::size_t i) noexcept {
        constexpr std::size_t n = group_blocks;
        __m512i in[n], a[n], c[n], g[n], e[n];
        for (std::size_t k = 0; k < n; ++k)
            in[k] = _mm512_loadu_si512(p + i + 64 * k);
        for (std::size_t k = 0; k < n; ++k)
            a[k] = prev_class(_mm512_loadu_si512(p + i + 64 * k - 1));
        for (std::size_t k = 0; k < n; ++k)
            c[k] = byte_class(in[k]);
        for (std::size_t k = 0; k < n; ++k)
            g[k] = g_of(a[k], c[k]);
        for (std::size_t k = 0; k < n; ++k)
            e[k] = errors(a[k], c[k], g[k], k == 0 ? g_last : g[k - 1]);
        for (std::size_t k = 0; k < n; k += 2)
            error = _mm512_ternarylogic_epi32(error, e[k], e[k + 1], or3);
        g_last = g[n - 1];
        last = in[n - 1];
    }

    // Non-zero where the last three bytes of `last` start a sequence it does not finish.
    __m512i unfinished() const noexcept {
        namespace t = utf8_tables;
        // Byte 61 <= EF, 62 <= DF, 63 <= BF: the top 32-bit element is BF DF EF FF (little end).
        const __m512i max = _mm512_mask_set1_epi32(
            _mm512_set1_epi8(-1), __mmask16{1} << 15,
            static_cast<int>((std::uint32_t{t::last_max} << 24) | (std::uint32_t{t::second_last_max} << 16) |
                             (std::uint32_t{t::third_last_max} << 8) | 0xFFu));
        return _mm512_subs_epu8(last, max);
    }

    // One or more ASCII blocks: the only possible error is a sequence left open before them. Their
    // g is zero but where the block before ended in a lead >= F0, which unfinished() reports. A
    // zero block stands for the last of them: unfinished() and the next block's shifts only look
    // at whether its bytes are ASCII.
    void ascii() noexcept {
        error = _mm512_or_si512(error, unfinished());
        last = _mm512_setzero_si512();
        g_last = _mm512_setzero_si512();
    }

    // The `size` (<= 64) bytes at p + i, where i == 0 or i >= 64, through masked loads.
    void masked(const std::uint8_t* p, std::size_t i, std::size_t size) noexcept {
        const std::uint64_t ones = ~std::uint64_t{0};
        const __m512i in = _mm512_maskz_loadu_epi8(_bzhi_u64(ones, static_cast<unsigned>(size)), p + i);
        if (_mm512_movepi8_mask(in) == 0) {
            ascii();
            return;
        }
        // prev1 covers bytes i - 1 .. i + size - 1: the one before (if any) and the block itself.
        const std::uint64_t valid = _bzhi_u64(ones, static_cast<unsigned>(size) + 1) & (i == 0 ? ones << 1 : ones);
        error = _mm512_or_si512(error, check(in, _mm512_maskz_loadu_epi8(valid, before(p + i, 1))));
    }

    // A whole block at p + i, i >= 1.
    __m512i full(const std::uint8_t* p, std::size_t i) noexcept {
        return check(_mm512_loadu_si512(p + i), _mm512_loadu_si512(p + i - 1));
    }

    bool valid() const noexcept {
        return _mm512_test_epi8_mask(_mm512_or_si512(error, unfinished()), _mm512_set1_epi8(-1)) == 0;
    }
};

bool all_ascii(const std::uint8_t* p) noexcept {
    __m512i any = _mm512_loadu_si512(p);
    for (std::size_t k = 1; k < group_blocks; ++k)
        any = _mm512_or_si512(any, _mm512_loadu_si512(p + 64 * k));
    return _mm512_movepi8_mask(any) == 0;
}

} // namespace

bool utf8_avx512vbmi(const std::byte* data, std::size_t size) noexcept {
    const auto* p = reinterpret_cast<const std::uint8_t*>(data);
    block_checker c;
    if (size <= 64) {
        c.masked(p, 0, size);
        return c.valid();
    }
    c.masked(p, 0, 64);
    std::size_t i = 64;
    while (size - i >= group_bytes) {
        if (all_ascii(p + i)) {
            c.ascii();
            do
                i += group_bytes;
            while (size - i >= group_bytes && all_ascii(p + i));
            continue;
        }
        // Multi-byte text: groups back to back while the last block of the group is not ASCII.
        do {
            c.group(p, i);
            i += group_bytes;
        } while (size - i >= group_bytes && _mm512_movepi8_mask(c.last) != 0);
    }
    for (; size - i >= 64; i += 64) {
        if (const __m512i a = _mm512_loadu_si512(p + i); _mm512_movepi8_mask(a) == 0)
            c.ascii();
        else
            c.error = _mm512_or_si512(c.error, c.full(p, i));
    }
    if (i < size)
        c.masked(p, i, size - i);
    return c.valid();
}

} // namespace burrow::detail
