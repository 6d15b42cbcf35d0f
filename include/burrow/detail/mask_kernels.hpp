// The masking kernels behind ws::apply_mask, exposed for tests and benchmarks only.
#pragma once

#include <burrow/detail/cpu_features.hpp>
#include <burrow/ws/mask.hpp> // mask_fn, mask_dispatch

#include <cstddef>
#include <cstdint>
#include <span>

namespace burrow::detail {

struct mask_kernel {
    isa level;
    mask_fn fn;
};

/// The reference: one byte at a time.
std::uint32_t mask_scalar(std::byte* data, std::size_t size, std::uint32_t key) noexcept;

/// Every kernel compiled in that this CPU can run, scalar first, in increasing level. Ignores
/// BURROW_FORCE_KERNEL, so tests can exercise them all.
std::span<const mask_kernel> mask_kernels() noexcept;

/// The kernel apply_mask uses: the highest entry of mask_kernels() not above kernel_cap().
const mask_kernel& active_mask_kernel_entry() noexcept;

} // namespace burrow::detail
