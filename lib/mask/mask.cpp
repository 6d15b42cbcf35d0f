// Masking dispatch and the scalar reference.
//
// Theory of operation. Masking XORs the payload with a 4-byte key repeating from the first byte,
// so the bytes from offset `o` on are masked by the key rotated by `o % 4`. A kernel broadcasts
// the key into a register and XORs the payload a register at a time. Bytes that do not fill a
// register are done in power-of-two pieces (pieces.hpp): 32, 16, 8, 4, 2, 1 bytes. That is exact,
// so no kernel reads or writes outside the span, not even within a page. And each byte is stored
// once. The two obvious alternatives were measured on Zen 4 and are slower when the bytes are
// read again soon after (a parser or validator does): overlapping registers at the ends, and
// AVX-512 masked stores. Either one makes such a read wait for the stores to reach the cache
// (3-4x slower at 125 bytes). Large payloads first mask a head up to an aligned boundary so that
// the bulk never straddles cache lines.
//
// Copying (ws::copy_masked, a client masking its payload into its own buffer) has a kernel per
// level too: one pass that loads, XORs and stores, instead of memcpy and then masking in place.
// There the ends are registers that overlap their neighbours: `out` is not read back right away,
// and storing a byte twice with the same value is harmless.
//
// Kernels: scalar (the reference), word (portable, 8 bytes at a time, any byte order), and on
// x86-64 SSE2, AVX2 and AVX-512 (F+BW+VL), each in its own file compiled with that ISA's flags.
// The first apply_mask call above 16 bytes goes through `resolve`. It picks the highest kernel the
// CPU supports and kernel_cap() allows, and stores it in `mask_dispatch` for every later call:
// one relaxed load and an indirect call, no per-call CPU check. Payloads of at most 16 bytes never
// get here: apply_mask masks them inline (mask.hpp), which is cheaper than the call.
#include "kernels.hpp"

#include <burrow/detail/mask_kernels.hpp>
#include <burrow/ws/mask.hpp>

#include <array>

namespace burrow::detail {

std::uint32_t mask_scalar(std::byte* data, std::size_t size, std::uint32_t key) noexcept {
    std::byte k[4];
    ws::store_mask_key(k, key);
    for (std::size_t i = 0; i < size; ++i)
        data[i] ^= k[i % 4];
    return ws::rotate_mask_key(key, size);
}

std::uint32_t copy_mask_scalar(std::byte* out, const std::byte* in, std::size_t size, std::uint32_t key) noexcept {
    std::byte k[4];
    ws::store_mask_key(k, key);
    for (std::size_t i = 0; i < size; ++i)
        out[i] = in[i] ^ k[i % 4];
    return ws::rotate_mask_key(key, size);
}

namespace {

constexpr std::array compiled_kernels{
    mask_kernel{isa::scalar, &mask_scalar, &copy_mask_scalar},
    mask_kernel{isa::word, &mask_word, &copy_mask_word},
#if defined(BURROW_HAS_X86_KERNELS)
    mask_kernel{isa::sse2, &mask_sse2, &copy_mask_sse2},
    mask_kernel{isa::avx2, &mask_avx2, &copy_mask_avx2},
    // (A copy with 64-byte registers was 4-11% slower than this one from 1 KiB to 64 KiB on Zen 4,
    // which splits 512-bit operations in two; not measured on Intel.)
    mask_kernel{isa::avx512, &mask_avx512, &copy_mask_avx2},
#endif
};

struct kernel_table {
    std::array<mask_kernel, compiled_kernels.size()> entries{};
    std::size_t size = 0;
};

kernel_table runnable_kernels() noexcept {
    kernel_table table;
    for (const auto& k : compiled_kernels)
        if (cpu_supports(k.level))
            table.entries[table.size++] = k;
    return table;
}

std::uint32_t resolve(std::byte* data, std::size_t size, std::uint32_t key) noexcept {
    // Threads racing here all store the same pointer.
    const mask_fn fn = active_mask_kernel_entry().fn;
    mask_dispatch.store(fn, std::memory_order_relaxed);
    return fn(data, size, key);
}

std::uint32_t resolve_copy(std::byte* out, const std::byte* in, std::size_t size, std::uint32_t key) noexcept {
    const copy_mask_fn fn = active_mask_kernel_entry().copy;
    copy_mask_dispatch.store(fn, std::memory_order_relaxed);
    return fn(out, in, size, key);
}

} // namespace

constinit std::atomic<mask_fn> mask_dispatch{&resolve};
constinit std::atomic<copy_mask_fn> copy_mask_dispatch{&resolve_copy};

std::span<const mask_kernel> mask_kernels() noexcept {
    static const kernel_table table = runnable_kernels();
    return {table.entries.data(), table.size};
}

const mask_kernel& active_mask_kernel_entry() noexcept {
    static const mask_kernel& chosen = []() -> const mask_kernel& {
        const auto kernels = mask_kernels();
        const mask_kernel* best = &kernels.front(); // scalar: always there
        for (const auto& k : kernels)
            if (k.level <= kernel_cap())
                best = &k;
        return *best;
    }();
    return chosen;
}

} // namespace burrow::detail

namespace burrow::ws {

std::string_view active_mask_kernel() noexcept {
    return detail::isa_name(detail::active_mask_kernel_entry().level);
}

} // namespace burrow::ws
