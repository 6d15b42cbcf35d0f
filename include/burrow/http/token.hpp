// The small text rules of HTTP (RFC 9110 §5.6): token characters, optional whitespace, and ASCII
// case-insensitive comparison, shared by every parser of the core (heads, challenges, handshakes,
// proxy URLs and selection).
#pragma once

#include <string_view>

namespace burrow::http {

/// ASCII lower case; other bytes unchanged.
constexpr char to_lower(char c) noexcept { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c; }

/// ASCII case-insensitive comparison, for header names, tokens and schemes.
constexpr bool iequals(std::string_view a, std::string_view b) noexcept {
    if (a.size() != b.size())
        return false;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (to_lower(a[i]) != to_lower(b[i]))
            return false;
    return true;
}

/// A token character (tchar).
constexpr bool is_tchar(char c) noexcept {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
        return true;
    switch (c) {
    case '!': case '#': case '$': case '%': case '&': case '\'': case '*': case '+':
    case '-': case '.': case '^': case '_': case '`': case '|': case '~': return true;
    default: return false;
    }
}

/// Optional whitespace: space or horizontal tab.
constexpr bool is_ows(char c) noexcept { return c == ' ' || c == '\t'; }

/// `s` without leading and trailing optional whitespace.
constexpr std::string_view trim_ows(std::string_view s) noexcept {
    while (!s.empty() && is_ows(s.front()))
        s.remove_prefix(1);
    while (!s.empty() && is_ows(s.back()))
        s.remove_suffix(1);
    return s;
}

} // namespace burrow::http
