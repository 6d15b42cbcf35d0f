// Digest authentication (RFC 7616, compatible with RFC 2617 and RFC 2069): reading a challenge
// and computing the answer.
//
// Theory of operation: with H the algorithm's hash written as lowercase hex,
//     HA1 = H(user ":" realm ":" password)            ; -sess: H(HA1 ":" nonce ":" cnonce)
//     HA2 = H(method ":" uri)                          ; qop=auth only (no auth-int)
//     response = H(HA1 ":" nonce ":" nc ":" cnonce ":" "auth" ":" HA2)   with qop
//              = H(HA1 ":" nonce ":" HA2)                                without qop (RFC 2069)
// The values hashed are the unquoted ones; quoting and backslash escaping happen only when the
// header is written. For -sess, HA1 is recomputed with each request's cnonce: servers (squid) take
// the cnonce of the request they verify, and a fresh cnonce per request is what curl does too.
// An offered qop list without "auth" (only auth-int) makes the challenge unusable: auth-int hashes
// the request body, which a CONNECT client has no reason to support.

#include <burrow/proxy/auth.hpp>

#include <burrow/detail/crypto.hpp>

#include <cstdio>

#include <burrow/http/token.hpp>

namespace burrow::proxy {
namespace {

using http::iequals;

std::optional<digest_algorithm> algorithm_from(std::string_view name) noexcept {
    if (iequals(name, "MD5"))
        return digest_algorithm::md5;
    if (iequals(name, "MD5-sess"))
        return digest_algorithm::md5_sess;
    if (iequals(name, "SHA-256"))
        return digest_algorithm::sha256;
    if (iequals(name, "SHA-256-sess"))
        return digest_algorithm::sha256_sess;
    return std::nullopt;
}

// Does the comma-separated qop list (e.g. "auth, auth-int") contain "auth"?
bool offers_auth(std::string_view list) noexcept {
    while (!list.empty()) {
        const std::size_t comma = list.find(',');
        std::string_view item = list.substr(0, comma);
        while (!item.empty() && (item.front() == ' ' || item.front() == '\t'))
            item.remove_prefix(1);
        while (!item.empty() && (item.back() == ' ' || item.back() == '\t'))
            item.remove_suffix(1);
        if (iequals(item, "auth"))
            return true;
        if (comma == std::string_view::npos)
            break;
        list.remove_prefix(comma + 1);
    }
    return false;
}

std::string hex_hash(digest_algorithm alg, std::string_view text) {
    const auto bytes = std::as_bytes(std::span<const char>{text.data(), text.size()});
    switch (alg) {
    case digest_algorithm::sha256:
    case digest_algorithm::sha256_sess:
        return detail::to_hex(detail::sha256(bytes));
    case digest_algorithm::md5:
    case digest_algorithm::md5_sess:
        break;
    }
    return detail::to_hex(detail::md5(bytes));
}

// Joins the parts with ':' (the separator of every Digest hash input).
std::string colon_join(std::initializer_list<std::string_view> parts) {
    std::string out;
    bool first = true;
    for (const std::string_view p : parts) {
        if (!first)
            out.push_back(':');
        out.append(p);
        first = false;
    }
    return out;
}

// Appends `value` as a quoted-string, escaping '"' and '\' (RFC 9110 §5.6.4).
void append_quoted(std::string& out, std::string_view value) {
    out.push_back('"');
    for (const char c : value) {
        if (c == '"' || c == '\\')
            out.push_back('\\');
        out.push_back(c);
    }
    out.push_back('"');
}

} // namespace

std::optional<digest_challenge> parse_digest_challenge(const auth_challenge& c) {
    if (c.scheme != "digest")
        return std::nullopt;
    digest_challenge d;
    const auto nonce = c.param("nonce");
    if (!nonce || nonce->empty())
        return std::nullopt;
    d.nonce.assign(*nonce);
    // realm is required by the RFC, but an answer without one is still well defined.
    if (const auto realm = c.param("realm"))
        d.realm.assign(*realm);
    if (const auto opaque = c.param("opaque"))
        d.opaque.emplace(*opaque);
    if (const auto alg = c.param("algorithm")) {
        const auto known = algorithm_from(*alg);
        if (!known)
            return std::nullopt; // SHA-512-256, or something unknown: let another challenge win
        d.hash = *known;
        d.algorithm.emplace(*alg);
    }
    if (const auto qop = c.param("qop")) {
        if (!offers_auth(*qop))
            return std::nullopt;
        d.qop_auth = true;
    }
    if (const auto stale = c.param("stale"))
        d.stale = iequals(*stale, "true");
    return d;
}

std::string digest_authorization(const digest_challenge& challenge, const credentials& creds,
                                 std::string_view method, std::string_view uri, std::uint32_t nc,
                                 std::string_view cnonce) {
    const digest_algorithm alg = challenge.hash;
    const bool sess = alg == digest_algorithm::md5_sess || alg == digest_algorithm::sha256_sess;
    const bool uses_cnonce = challenge.qop_auth || sess;

    char nc_text[9];
    std::snprintf(nc_text, sizeof nc_text, "%08x", static_cast<unsigned>(nc));
    const std::string_view nc_hex{nc_text, 8};

    std::string ha1 = hex_hash(alg, colon_join({creds.user, challenge.realm, creds.password}));
    if (sess)
        ha1 = hex_hash(alg, colon_join({ha1, challenge.nonce, cnonce}));
    const std::string ha2 = hex_hash(alg, colon_join({method, uri}));
    const std::string response =
        challenge.qop_auth ? hex_hash(alg, colon_join({ha1, challenge.nonce, nc_hex, cnonce, "auth", ha2}))
                           : hex_hash(alg, colon_join({ha1, challenge.nonce, ha2}));

    std::string out = "Digest username=";
    append_quoted(out, creds.user);
    out += ", realm=";
    append_quoted(out, challenge.realm);
    out += ", uri=";
    append_quoted(out, uri);
    if (challenge.algorithm) {
        out += ", algorithm=";
        out += *challenge.algorithm; // a token: echoed as the proxy spelled it
    }
    out += ", nonce=";
    append_quoted(out, challenge.nonce);
    if (challenge.qop_auth) {
        out += ", nc=";
        out += nc_hex;
    }
    if (uses_cnonce) {
        out += ", cnonce=";
        append_quoted(out, cnonce);
    }
    if (challenge.qop_auth)
        out += ", qop=auth"; // unquoted, as RFC 7616's examples and curl send it
    out += ", response=\"";
    out += response;
    out += '"';
    if (challenge.opaque) {
        out += ", opaque=";
        append_quoted(out, *challenge.opaque);
    }
    return out;
}

} // namespace burrow::proxy
