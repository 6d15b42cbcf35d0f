// The incremental validator, the scalar reference kernel and the kernel dispatch.
//
// Theory of operation: a piece of text is validated in three parts.
//  1. carry: if the previous piece stopped inside a sequence (at most 3 bytes were missing), the
//     state machine consumes the bytes that finish it;
//  2. bulk: from there up to the last code-point boundary of the piece, a kernel checks complete,
//     self-contained text. Kernels are free to scan whole blocks (SIMD) and to report an error
//     anywhere in the block: every byte they look at belongs to this piece, so failing the piece
//     is exactly what fail-fast asks for;
//  3. tail: the last <= 3 bytes of a sequence the piece does not finish go through the state
//     machine again, which knows after each byte whether some continuation could still make the
//     text valid (F4 8F: yes, carried; F4 90: no, fail now).
// The state machine is the reference (Unicode Table 3-7); every kernel must agree with it.
//
// Dispatch: the kernel is chosen once, on first use, from the compiled-in kernels this CPU runs,
// capped by BURROW_FORCE_KERNEL, and cached in a function pointer. Short ASCII pieces, the common
// case for chat-like traffic, are checked inline before any indirect call.
#include "utf8_internal.hpp"

#include <burrow/detail/utf8_kernels.hpp>

#include <array>
#include <atomic>
#include <cstring>

namespace burrow::detail {

namespace {

// The state machine: `need` continuation bytes are still expected, the next one in [lo, hi].
struct scan_state {
    std::uint8_t need = 0;
    std::uint8_t lo = 0x80;
    std::uint8_t hi = 0xBF;

    // Consumes one byte; false when no continuation could make the text valid any more.
    bool step(std::uint8_t b) noexcept {
        if (need == 0) {
            if (b < 0x80)
                return true;
            // One line per row of Table 3-7.
            // clang-format off
            if (b >= 0xC2 && b <= 0xDF) { need = 1; lo = 0x80; hi = 0xBF; }
            else if (b == 0xE0) { need = 2; lo = 0xA0; hi = 0xBF; }        // no overlongs
            else if (b == 0xED) { need = 2; lo = 0x80; hi = 0x9F; }        // no surrogates
            else if (b >= 0xE1 && b <= 0xEF) { need = 2; lo = 0x80; hi = 0xBF; }
            else if (b == 0xF0) { need = 3; lo = 0x90; hi = 0xBF; }        // no overlongs
            else if (b >= 0xF1 && b <= 0xF3) { need = 3; lo = 0x80; hi = 0xBF; }
            else if (b == 0xF4) { need = 3; lo = 0x80; hi = 0x8F; }        // <= U+10FFFF
            else return false;  // continuation without a lead, C0, C1, F5..FF
            // clang-format on
            return true;
        }
        if (b < lo || b > hi)
            return false;
        --need;
        lo = 0x80;
        hi = 0xBF;
        return true;
    }
};

// Where the bulk of [begin, end) ends: before a lead byte in the last three bytes whose sequence
// the piece does not finish, else at the end. A lead byte further back, or an invalid byte,
// stays in the bulk, where the kernel rejects it.
std::size_t bulk_end(const std::uint8_t* p, std::size_t begin, std::size_t end) noexcept {
    for (std::size_t back = 1; back <= 3 && back <= end - begin; ++back) {
        const std::uint8_t b = p[end - back];
        if (b < 0x80)
            return end;
        if (b >= 0xC0) {
            const std::size_t length = b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : 2;
            return length > back ? end - back : end;
        }
    }
    return end;
}

// True when the (at most 16) bytes are all ASCII, without a loop: two overlapping loads.
BURROW_ALWAYS_INLINE bool short_ascii(const std::byte* p, std::size_t n) noexcept {
    if (n >= 8) {
        std::uint64_t a, b;
        std::memcpy(&a, p, 8);
        std::memcpy(&b, p + n - 8, 8);
        return ((a | b) & 0x8080808080808080u) == 0;
    }
    if (n >= 4) {
        std::uint32_t a, b;
        std::memcpy(&a, p, 4);
        std::memcpy(&b, p + n - 4, 4);
        return ((a | b) & 0x80808080u) == 0;
    }
    std::uint8_t all = 0;
    for (std::size_t i = 0; i < n; ++i)
        all |= static_cast<std::uint8_t>(p[i]);
    return all < 0x80;
}

constexpr std::size_t inline_limit = 16;

// clang-format off
constexpr utf8_kernel compiled_kernels[] = {
    {isa::scalar, &utf8_scalar},
    {isa::word, &utf8_word},
#if defined(BURROW_HAS_X86_KERNELS)
    {isa::ssse3, &utf8_ssse3},
    {isa::avx2, &utf8_avx2},
    {isa::avx512, &utf8_avx512},
    {isa::avx512vbmi, &utf8_avx512vbmi},
#endif
};
// clang-format on

struct kernel_list {
    std::array<utf8_kernel, std::size(compiled_kernels)> entries{};
    std::size_t size = 0;
};

kernel_list runnable_kernels() noexcept {
    kernel_list list;
    for (const auto& k : compiled_kernels)
        if (cpu_supports(k.level))
            list.entries[list.size++] = k;
    return list;
}

// Resolves the kernel on the first call, then gets out of the way.
bool resolve_and_validate(const std::byte* data, std::size_t size) noexcept;

constinit std::atomic<utf8_fn> active_fn{&resolve_and_validate};

bool resolve_and_validate(const std::byte* data, std::size_t size) noexcept {
    const utf8_fn fn = active_utf8_kernel_entry().fn;
    active_fn.store(fn, std::memory_order_relaxed);
    return fn(data, size);
}

} // namespace

bool utf8_scalar(const std::byte* data, std::size_t size) noexcept {
    scan_state s;
    for (std::size_t i = 0; i < size; ++i)
        if (!s.step(static_cast<std::uint8_t>(data[i])))
            return false;
    return s.need == 0;
}

std::span<const utf8_kernel> utf8_kernels() noexcept {
    static const kernel_list list = runnable_kernels();
    return {list.entries.data(), list.size};
}

const utf8_kernel& active_utf8_kernel_entry() noexcept {
    static const utf8_kernel& chosen = []() -> const utf8_kernel& {
        const auto all = utf8_kernels();
        const utf8_kernel* best = &all[0];
        for (const auto& k : all)
            if (k.level <= kernel_cap())
                best = &k;
        return *best;
    }();
    return chosen;
}

// The validator's private state, for the free functions of this file.
struct utf8_validator_access {
    static bool feed(ws::utf8_validator& v, std::span<const std::byte> text, utf8_fn kernel) noexcept {
        if (v.failed_)
            return false;
        const auto* p = reinterpret_cast<const std::uint8_t*>(text.data());
        const std::size_t n = text.size();
        scan_state s{v.need_, v.lo_, v.hi_};
        std::size_t i = 0;
        for (; s.need != 0 && i < n; ++i) // 1. carry
            if (!s.step(p[i]))
                return fail(v);
        const std::size_t end = bulk_end(p, i, n);
        if (end > i && !kernel(text.data() + i, end - i)) // 2. bulk
            return fail(v);
        for (i = end; i < n; ++i) // 3. tail
            if (!s.step(p[i]))
                return fail(v);
        v.need_ = s.need;
        v.lo_ = s.lo;
        v.hi_ = s.hi;
        return true;
    }

    static bool fail(ws::utf8_validator& v) noexcept {
        v.failed_ = true;
        return false;
    }

    static bool at_boundary(const ws::utf8_validator& v) noexcept { return v.need_ == 0 && !v.failed_; }
};

bool utf8_feed_with(ws::utf8_validator& validator, std::span<const std::byte> text,
                    const utf8_kernel& kernel) noexcept {
    return utf8_validator_access::feed(validator, text, kernel.fn);
}

} // namespace burrow::detail

namespace burrow::ws {

bool utf8_validator::feed(std::span<const std::byte> text) noexcept {
    using detail::utf8_validator_access;
    if (text.size() <= detail::inline_limit && utf8_validator_access::at_boundary(*this) &&
        detail::short_ascii(text.data(), text.size()))
        return true;
    return utf8_validator_access::feed(*this, text, detail::active_fn.load(std::memory_order_relaxed));
}

bool is_valid_utf8(std::span<const std::byte> text) noexcept {
    if (text.size() <= detail::inline_limit && detail::short_ascii(text.data(), text.size()))
        return true;
    return text.empty() || detail::active_fn.load(std::memory_order_relaxed)(text.data(), text.size());
}

std::string_view active_utf8_kernel() noexcept {
    return detail::isa_name(detail::active_utf8_kernel_entry().level);
}

} // namespace burrow::ws
