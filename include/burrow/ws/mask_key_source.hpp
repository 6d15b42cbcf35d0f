// Masking keys for a client's frames (RFC 6455 §5.3: unpredictable, from a strong source). Keys come
// from wolfCrypt's generator in batches of 64, so sending a frame costs no system call.
#pragma once

#include <burrow/config.hpp>

#include <array>
#include <cstddef>
#include <cstdint>

namespace burrow::ws {

class mask_key_source {
public:
    /// The next key. Never 0 on purpose: a zero key would send the payload in the clear.
    std::uint32_t next() noexcept;

private:
    void refill() noexcept;

    std::array<std::uint32_t, 64> keys_{};
    std::size_t used_ = 64;
};

} // namespace burrow::ws
