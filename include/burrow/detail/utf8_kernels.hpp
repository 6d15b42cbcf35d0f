// The UTF-8 validation kernels behind ws::utf8_validator, exposed for tests and benchmarks only.
#pragma once

#include <burrow/detail/cpu_features.hpp>
#include <burrow/ws/utf8.hpp>

#include <cstddef>
#include <span>

namespace burrow::detail {

/// True when [data, data + size) is valid UTF-8 that does not end inside a sequence. Kernels see
/// whole, self-contained text: the validator handles sequences split between pieces itself. Must
/// not read outside [data, data + size).
using utf8_fn = bool (*)(const std::byte* data, std::size_t size) noexcept;

struct utf8_kernel {
    isa level;
    utf8_fn fn;
};

/// The reference: the Unicode Table 3-7 state machine, one byte at a time.
bool utf8_scalar(const std::byte* data, std::size_t size) noexcept;

/// Every kernel compiled in that this CPU can run, scalar first, in increasing level. Ignores
/// BURROW_FORCE_KERNEL, so tests can exercise them all.
std::span<const utf8_kernel> utf8_kernels() noexcept;

/// The kernel the validator uses: the highest entry of utf8_kernels() not above kernel_cap().
const utf8_kernel& active_utf8_kernel_entry() noexcept;

/// `validator.feed(text)`, with `kernel` doing the bulk of the work instead of the active one, so
/// tests can run the whole incremental path (carry, bulk, tail) on every kernel.
bool utf8_feed_with(ws::utf8_validator& validator, std::span<const std::byte> text,
                    const utf8_kernel& kernel) noexcept;

} // namespace burrow::detail
