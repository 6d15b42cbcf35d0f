// Small helpers for writing byte vectors in tests.
#pragma once

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace burrow::test {

using bytes = std::vector<std::byte>;

/// Bytes from integers: make_bytes({0x81, 0x05}).
inline bytes make_bytes(std::initializer_list<int> values) {
    bytes out;
    for (int v : values)
        out.push_back(static_cast<std::byte>(v));
    return out;
}

/// Bytes from hex digits; spaces are ignored: from_hex("81 05 48 65").
inline bytes from_hex(std::string_view hex) {
    auto nibble = [](char c) -> int {
        if (c >= '0' && c <= '9') return c - '0';
        if (c >= 'a' && c <= 'f') return c - 'a' + 10;
        if (c >= 'A' && c <= 'F') return c - 'A' + 10;
        return -1;
    };
    bytes out;
    int high = -1;
    for (char c : hex) {
        const int n = nibble(c);
        if (n < 0)
            continue;
        if (high < 0) {
            high = n;
        } else {
            out.push_back(static_cast<std::byte>(high * 16 + n));
            high = -1;
        }
    }
    return out;
}

/// The characters of `text` as bytes.
inline bytes to_bytes(std::string_view text) {
    auto span = std::as_bytes(std::span{text.data(), text.size()});
    return {span.begin(), span.end()};
}

inline std::string to_string(std::span<const std::byte> data) {
    return {reinterpret_cast<const char*>(data.data()), data.size()};
}

inline bytes concat(std::initializer_list<bytes> parts) {
    bytes out;
    for (const auto& p : parts)
        out.insert(out.end(), p.begin(), p.end());
    return out;
}

} // namespace burrow::test
