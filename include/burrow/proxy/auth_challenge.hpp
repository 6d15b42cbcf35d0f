// Authentication challenges (RFC 9110 §11.6.1 Proxy-Authenticate, §11.2 grammar), parsed from
// header values into scheme + token68 or parameters.
//
// Theory of operation: a 407 carries one or more Proxy-Authenticate header fields, and each field
// value is a comma-separated list of challenges, whose parameters are also separated by commas:
//
//     Proxy-Authenticate: NTLM
//     Proxy-Authenticate: Digest realm="a, b", nonce="x", qop="auth", Basic realm="y"
//
// So a comma may end a parameter or a challenge. The rule (the grammar makes it unambiguous) is
// that after a comma, a token followed by '=' is another parameter of the current challenge, and
// a token followed by whitespace and something else (a parameter, a token68, or nothing) starts a
// new challenge. Commas inside quoted strings are data. `parse_challenges` applies this rule and is
// tolerant of what real proxies send: empty list elements, bad whitespace, unknown schemes (kept,
// so the caller decides), bare schemes (`NTLM`, `Negotiate`) and token68 credentials
// (`NTLM TlRMTVNT...==`). A malformed piece (a parameter without a value, an orphan parameter with
// no scheme, stray characters) is skipped up to the next comma; an unterminated quoted string
// ends the field value. It never fails and never reads out of bounds.
//
// This file is sans-I/O and allocates: it runs once per 407, not per byte.
#pragma once

#include <burrow/config.hpp>

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace burrow::proxy {

/// One challenge: `Digest realm="x", nonce="y"` or `NTLM TlRM...` or `Negotiate`.
struct auth_challenge {
    std::string scheme;  ///< the auth-scheme, lower-cased ("basic", "digest", "ntlm", ...)
    std::string token68; ///< the token68 form, when the challenge has one (empty otherwise)
    /// Parameters in the order received: names lower-cased, values unquoted with quoted-pair
    /// escapes resolved. Repeated names are kept; `param` returns the first.
    std::vector<std::pair<std::string, std::string>> params;

    /// The value of the first parameter called `name` (compared case-insensitively), or nullopt.
    /// The view points into this object.
    std::optional<std::string_view> param(std::string_view name) const noexcept;

    friend bool operator==(const auth_challenge&, const auth_challenge&) = default;
};

/// Parses every challenge in `header_values` (the values of the Proxy-Authenticate or
/// WWW-Authenticate fields of one response, in order; see the theory of operation above).
/// Challenges come out in the order they were sent. Malformed pieces are skipped.
std::vector<auth_challenge> parse_challenges(std::span<const std::string_view> header_values);

/// Parses the challenges of a single field value.
std::vector<auth_challenge> parse_challenges(std::string_view header_value);

} // namespace burrow::proxy
