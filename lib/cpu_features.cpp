#include <burrow/detail/cpu_features.hpp>

#include <cstdlib>

namespace burrow::detail {

std::optional<isa> parse_isa(std::string_view name) noexcept {
    for (auto level : {isa::scalar, isa::word, isa::sse2, isa::ssse3, isa::avx2, isa::avx512, isa::avx512vbmi})
        if (name == isa_name(level))
            return level;
    return std::nullopt;
}

bool cpu_supports(isa level) noexcept {
    switch (level) {
    case isa::scalar:
    case isa::word: return true;
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
    // __builtin_cpu_supports also checks that the OS saves the wider registers (XCR0).
    case isa::sse2: return __builtin_cpu_supports("sse2");
    case isa::ssse3: return __builtin_cpu_supports("ssse3");
    case isa::avx2: return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("bmi2");
    case isa::avx512:  // (its level uses the AVX2 copy kernel too: see lib/mask/mask.cpp)
        return cpu_supports(isa::avx2) && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
               __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("bmi2");
    case isa::avx512vbmi:
        return cpu_supports(isa::avx512) && __builtin_cpu_supports("avx512vbmi") &&
               __builtin_cpu_supports("avx512vbmi2");
#else
    default: return false;
#endif
    }
    return false;
}

namespace {

isa compute_cap() noexcept {
    isa best = isa::word;
    for (auto level : {isa::sse2, isa::ssse3, isa::avx2, isa::avx512, isa::avx512vbmi})
        if (cpu_supports(level))
            best = level;
    if (const char* forced = std::getenv("BURROW_FORCE_KERNEL")) {
        if (auto level = parse_isa(forced); level && *level < best)
            best = *level;
    }
    return best;
}

} // namespace

isa kernel_cap() noexcept {
    static const isa cap = compute_cap();
    return cap;
}

} // namespace burrow::detail
