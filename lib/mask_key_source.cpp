#include <burrow/detail/crypto.hpp>
#include <burrow/ws/mask_key_source.hpp>

#include <chrono>
#include <random>

namespace burrow::ws {

void mask_key_source::refill() noexcept {
    if (!detail::random_bytes(std::as_writable_bytes(std::span(keys_)))) {
        // The system generator failed (should never happen): fall back to a generator seeded from the
        // clock and the address space, still unpredictable to a remote peer in practice.
        std::seed_seq seq{static_cast<std::uint64_t>(std::chrono::high_resolution_clock::now().time_since_epoch().count()),
                          reinterpret_cast<std::uintptr_t>(this)};
        std::mt19937 fallback(seq);
        for (auto& k : keys_)
            k = static_cast<std::uint32_t>(fallback());
    }
    used_ = 0;
}

std::uint32_t mask_key_source::next() noexcept {
    for (;;) {
        if (used_ == keys_.size())
            refill();
        if (const std::uint32_t key = keys_[used_++]; key != 0)
            return key;
    }
}

} // namespace burrow::ws
