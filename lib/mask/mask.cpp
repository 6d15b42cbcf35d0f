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

namespace {
constexpr std::array all_kernels{mask_kernel{isa::scalar, &mask_scalar}};
}

std::span<const mask_kernel> mask_kernels() noexcept { return all_kernels; }

const mask_kernel& active_mask_kernel_entry() noexcept {
    static const mask_kernel& chosen = [] () -> const mask_kernel& {
        const mask_kernel* best = &all_kernels[0];
        for (const auto& k : mask_kernels())
            if (k.level <= kernel_cap())
                best = &k;
        return *best;
    }();
    return chosen;
}

} // namespace burrow::detail

namespace burrow::ws {

std::uint32_t apply_mask(std::span<std::byte> data, std::uint32_t key) noexcept {
    return detail::active_mask_kernel_entry().fn(data.data(), data.size(), key);
}

std::string_view active_mask_kernel() noexcept { return detail::isa_name(detail::active_mask_kernel_entry().level); }

} // namespace burrow::ws
