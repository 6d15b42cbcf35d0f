// Declarations of the masking kernels, shared by the dispatcher and the files that define them.
// Each mask_* kernel has the mask_fn contract, each copy_mask_* kernel the copy_mask_fn one. The
// x86 ones exist only in builds with BURROW_HAS_X86_KERNELS and may only be called once
// cpu_supports() said yes.
//
// The kernel files are compiled with different ISA flags, so they must not define anything with
// external linkage besides their kernels: an inline function instantiated out of line there could
// be the copy the linker keeps for callers on a CPU without that ISA.
#pragma once

#include <cstddef>
#include <cstdint>

namespace burrow::detail {

std::uint32_t mask_word(std::byte* data, std::size_t size, std::uint32_t key) noexcept;
std::uint32_t copy_mask_word(std::byte* out, const std::byte* in, std::size_t size, std::uint32_t key) noexcept;

#if defined(BURROW_HAS_X86_KERNELS)
std::uint32_t mask_sse2(std::byte* data, std::size_t size, std::uint32_t key) noexcept;
std::uint32_t mask_avx2(std::byte* data, std::size_t size, std::uint32_t key) noexcept;
std::uint32_t mask_avx512(std::byte* data, std::size_t size, std::uint32_t key) noexcept;
std::uint32_t copy_mask_sse2(std::byte* out, const std::byte* in, std::size_t size, std::uint32_t key) noexcept;
std::uint32_t copy_mask_avx2(std::byte* out, const std::byte* in, std::size_t size, std::uint32_t key) noexcept;
#endif

} // namespace burrow::detail
