// The masking kernels behind ws::apply_mask and ws::copy_masked, exposed for tests and benchmarks only.
#pragma once

#include <burrow/detail/cpu_features.hpp>
#include <burrow/ws/mask.hpp> // mask_fn, mask_dispatch

#include <cstddef>
#include <cstdint>
#include <span>

namespace burrow::detail {

struct mask_kernel {
    isa level;
    mask_fn fn;         ///< in place (apply_mask)
    copy_mask_fn copy;  ///< while copying (copy_masked), from copy_mask_min bytes on
};

/// The reference: one byte at a time.
std::uint32_t mask_scalar(std::byte* data, std::size_t size, std::uint32_t key) noexcept;

/// The copying reference: one byte at a time (any size).
std::uint32_t copy_mask_scalar(std::byte* out, const std::byte* in, std::size_t size, std::uint32_t key) noexcept;

/// Every kernel compiled in that this CPU can run, scalar first, in increasing level. Ignores
/// BURROW_FORCE_KERNEL, so tests can exercise them all.
std::span<const mask_kernel> mask_kernels() noexcept;

/// The kernels apply_mask and copy_masked use: the highest entry of mask_kernels() not above kernel_cap().
const mask_kernel& active_mask_kernel_entry() noexcept;

} // namespace burrow::detail
