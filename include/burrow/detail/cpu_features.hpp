// Instruction-set levels for burrow's SIMD kernels, what this CPU supports, and the
// BURROW_FORCE_KERNEL override. Not part of the public API.
//
// Theory of operation: every kernel family (masking, UTF-8) lists its kernels with the ISA level
// each needs. A family uses the highest level that is (a) compiled in, (b) supported by this CPU
// and the OS, and (c) not above the cap set by the environment variable
// BURROW_FORCE_KERNEL=<scalar|word|sse2|ssse3|avx2|avx512|avx512vbmi>. A family without a kernel at exactly
// the forced level takes its best one below it. An unknown name is ignored.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace burrow::detail {

enum class isa : std::uint8_t {
    scalar = 0,  ///< byte at a time: the reference every kernel is tested against
    word = 1,    ///< portable 64-bit word at a time
    sse2 = 2,
    ssse3 = 3,   ///< SSE2 plus pshufb (table lookups)
    avx2 = 4,
    avx512 = 5,  ///< AVX-512 F + BW + VL
    avx512vbmi = 6, ///< avx512 plus VBMI and VBMI2 (vpermb, vpshldq): Ice Lake, Zen 4 and later
};

constexpr std::string_view isa_name(isa level) noexcept {
    switch (level) {
    case isa::scalar: return "scalar";
    case isa::word: return "word";
    case isa::sse2: return "sse2";
    case isa::ssse3: return "ssse3";
    case isa::avx2: return "avx2";
    case isa::avx512: return "avx512";
    case isa::avx512vbmi: return "avx512vbmi";
    }
    return "unknown";
}

/// Parses a kernel name as used by BURROW_FORCE_KERNEL.
std::optional<isa> parse_isa(std::string_view name) noexcept;

/// True when this CPU and OS can run code of `level` (scalar and word: always).
bool cpu_supports(isa level) noexcept;

/// The highest level kernels may use: the CPU's best, lowered by BURROW_FORCE_KERNEL if set.
/// Read once; later changes to the environment have no effect.
isa kernel_cap() noexcept;

} // namespace burrow::detail
