// Proxy-Authenticate parsing, and the proxy_authenticator that answers the challenges round by round.
//
// Theory of operation (parser): a hand-written scanner over one field value at a time, with a
// cursor that only moves forward, so any input terminates and stays in bounds. At the top level it
// expects a scheme token. After the scheme and at least one space it tries a token68 first (token68
// characters, then '=' padding, then nothing but whitespace before a comma or the end), because
// `NTLM TlRM...==` would otherwise look like a parameter with an odd value; anything else is a
// parameter list. In the list, a name followed by '=' is a parameter; a name followed by anything
// else is the next challenge's scheme, so the cursor goes back to it and the top level takes over
// (see the header for why that rule splits `Digest realm="a, b", nonce="x", Basic realm="y"`
// correctly). Malformed pieces are skipped up to the next comma outside quotes.
//
// Theory of operation (authenticator): see include/burrow/proxy/auth.hpp. The scheme choice ranks
// the usable challenges (Digest SHA-256 > Digest MD5 > Basic) and takes the first of the best rank,
// since servers list their preference first (RFC 7616 §3.7).

#include <burrow/proxy/auth.hpp>

#include <burrow/detail/crypto.hpp>
#include <burrow/error.hpp>

#include <boost/system/errc.hpp>

#include <array>
#include <new>

#include <burrow/http/token.hpp>

namespace burrow::proxy {
namespace {

using http::iequals;
using http::is_tchar;
using http::to_lower;

std::string lowered(std::string_view s) {
    std::string out(s);
    for (char& c : out)
        c = to_lower(c);
    return out;
}

// token68 characters before the '=' padding (RFC 9110 §11.2).
constexpr bool is_token68_char(char c) noexcept {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '.' || c == '_' || c == '~' || c == '+' || c == '/';
}

constexpr bool is_ws(char c) noexcept {
    return c == ' ' || c == '\t';
}

// A forward-only cursor over one field value.
class scanner {
public:
    explicit scanner(std::string_view s) noexcept
        : s_(s) {}

    bool done() const noexcept { return i_ >= s_.size(); }
    char peek() const noexcept { return done() ? '\0' : s_[i_]; }
    std::size_t pos() const noexcept { return i_; }
    void seek(std::size_t p) noexcept { i_ = p; }
    void advance() noexcept { ++i_; }

    void skip_ws() noexcept {
        while (!done() && is_ws(s_[i_]))
            ++i_;
    }

    // Skips whitespace and empty list elements (RFC 9110 §5.6.1: recipients accept "a, , b").
    void skip_ws_and_commas() noexcept {
        while (!done() && (is_ws(s_[i_]) || s_[i_] == ','))
            ++i_;
    }

    std::string_view token() noexcept {
        const std::size_t start = i_;
        while (!done() && is_tchar(s_[i_]))
            ++i_;
        return s_.substr(start, i_ - start);
    }

    // Recovery from a malformed piece: up to (not past) the next comma that is not inside quotes.
    void skip_to_comma() noexcept {
        bool quoted = false;
        while (!done()) {
            const char c = s_[i_];
            if (quoted) {
                if (c == '\\')
                    ++i_; // the escaped character cannot end the string
                else if (c == '"')
                    quoted = false;
            } else if (c == '"') {
                quoted = true;
            } else if (c == ',') {
                return;
            }
            ++i_;
        }
    }

    // A quoted-string at the cursor (which is on the opening quote), unescaped into `out`. Returns
    // false, with the cursor at the end, when the closing quote is missing.
    bool quoted_string(std::string& out) {
        ++i_; // opening quote
        while (!done()) {
            const char c = s_[i_++];
            if (c == '"')
                return true;
            if (c == '\\') {
                if (done())
                    break;
                out.push_back(s_[i_++]); // quoted-pair: the next character as it is
            } else {
                out.push_back(c);
            }
        }
        i_ = s_.size();
        return false;
    }

    // A token68 at the cursor, when that is what follows: token68 characters, '=' padding, then
    // only whitespace up to the end or a comma that does not precede a parameter. The cursor
    // moves past it only on success.
    std::optional<std::string_view> token68() noexcept {
        const std::size_t start = i_;
        std::size_t j = i_;
        while (j < s_.size() && is_token68_char(s_[j]))
            ++j;
        if (j == start)
            return std::nullopt;
        while (j < s_.size() && s_[j] == '=')
            ++j;
        const std::size_t end = j;
        while (j < s_.size() && is_ws(s_[j]))
            ++j;
        if (j < s_.size() && s_[j] != ',')
            return std::nullopt;
        // `realm=, charset="UTF-8"` also reads as a token68 and a comma, but a parameter after the
        // comma shows it is a parameter list with an empty value: a token68 challenge has no
        // parameters, so it must be followed by the end or by another challenge.
        std::size_t k = j;
        while (k < s_.size() && (is_ws(s_[k]) || s_[k] == ','))
            ++k;
        while (k < s_.size() && is_tchar(s_[k]))
            ++k;
        while (k < s_.size() && is_ws(s_[k]))
            ++k;
        if (k < s_.size() && s_[k] == '=')
            return std::nullopt;
        i_ = j;
        return s_.substr(start, end - start);
    }

private:
    std::string_view s_;
    std::size_t i_ = 0;
};

// Reads the parameter list of `c` up to the end of the value or the start of the next challenge
// (where it leaves the cursor).
void parse_params(scanner& in, auth_challenge& c) {
    for (;;) {
        in.skip_ws_and_commas();
        if (in.done())
            return;
        const std::size_t name_start = in.pos();
        const std::string_view name = in.token();
        if (name.empty()) {
            in.skip_to_comma(); // stray character where a name should be
            continue;
        }
        in.skip_ws(); // BWS before '='
        if (in.peek() != '=') {
            in.seek(name_start); // not a parameter: the next challenge's scheme
            return;
        }
        in.advance();
        in.skip_ws(); // BWS after '='
        std::string value;
        if (in.peek() == '"') {
            if (!in.quoted_string(value))
                return; // unterminated: the rest of the value is inside it; drop this parameter
        } else {
            const std::string_view v = in.token();
            if (v.empty()) {
                in.skip_to_comma(); // `name=` with no value, or a value that is not a token
                continue;
            }
            value.assign(v);
        }
        in.skip_ws();
        if (!in.done() && in.peek() != ',') {
            in.skip_to_comma(); // trailing junk after the value: the parameter itself is kept
        }
        c.params.emplace_back(lowered(name), std::move(value));
    }
}

void parse_value(std::string_view value, std::vector<auth_challenge>& out) {
    scanner in(value);
    for (;;) {
        in.skip_ws_and_commas();
        if (in.done())
            return;
        const std::string_view scheme = in.token();
        if (scheme.empty()) {
            in.skip_to_comma(); // garbage where a scheme should be
            continue;
        }
        if (!in.done() && in.peek() != ',' && !is_ws(in.peek())) {
            in.skip_to_comma(); // `realm="x"` with no scheme, `Basic"x"`, ...: not a challenge
            continue;
        }
        in.skip_ws();
        if (in.peek() == '=') {
            in.skip_to_comma(); // `realm = "x"`: an orphan parameter
            continue;
        }
        auth_challenge c;
        c.scheme = lowered(scheme);
        if (!in.done() && in.peek() != ',') {
            if (const auto t68 = in.token68())
                c.token68.assign(*t68);
            else
                parse_params(in, c);
        }
        out.push_back(std::move(c));
    }
}

// How much a usable challenge is worth; higher is stronger.
enum class rank : int { unusable = 0, basic = 1, digest_md5 = 2, digest_sha256 = 3 };

rank rank_of(const auth_challenge& c, std::optional<digest_challenge>* digest) {
    if (c.scheme == "basic")
        return rank::basic;
    if (c.scheme != "digest")
        return rank::unusable;
    auto d = parse_digest_challenge(c);
    if (!d)
        return rank::unusable;
    const bool sha = d->hash == digest_algorithm::sha256 || d->hash == digest_algorithm::sha256_sess;
    if (digest)
        *digest = std::move(d);
    return sha ? rank::digest_sha256 : rank::digest_md5;
}

} // namespace

std::optional<std::string_view> auth_challenge::param(std::string_view name) const noexcept {
    for (const auto& [n, v] : params)
        if (iequals(n, name))
            return std::string_view{v};
    return std::nullopt;
}

std::vector<auth_challenge> parse_challenges(std::span<const std::string_view> header_values) {
    std::vector<auth_challenge> out;
    for (const std::string_view v : header_values)
        parse_value(v, out);
    return out;
}

std::vector<auth_challenge> parse_challenges(std::string_view header_value) {
    std::vector<auth_challenge> out;
    parse_value(header_value, out);
    return out;
}

// --- proxy_authenticator ---

proxy_authenticator::proxy_authenticator(std::optional<credentials> creds, bool preemptive_basic)
    : creds_(std::move(creds))
    , preemptive_basic_(preemptive_basic) {}

std::optional<std::string> proxy_authenticator::initial_authorization(std::string_view /*method*/,
                                                                      std::string_view /*uri*/) {
    // Only Basic can be sent blind: Digest needs the proxy's nonce.
    if (!preemptive_basic_ || !creds_)
        return std::nullopt;
    scheme_ = chosen::basic;
    sent_basic_ = true;
    return basic_authorization(*creds_);
}

boost::system::error_code
proxy_authenticator::on_challenge(std::span<const std::string_view> proxy_authenticate_values) noexcept {
    try {
        if (!creds_)
            return error::proxy_auth_required;
        const auto challenges = parse_challenges(proxy_authenticate_values);
        rank best = rank::unusable;
        std::optional<digest_challenge> best_digest;
        for (const auto& c : challenges) {
            std::optional<digest_challenge> d;
            const rank r = rank_of(c, &d);
            if (static_cast<int>(r) > static_cast<int>(best)) { // ties: the first offered wins
                best = r;
                best_digest = std::move(d);
            }
        }
        if (best == rank::unusable)
            return error::proxy_auth_unsupported;

        if (best == rank::basic) {
            if (sent_basic_)
                return error::proxy_auth_failed; // the proxy saw our Basic and asks again
            scheme_ = chosen::basic;
            return {};
        }

        if (sent_digest_) {
            // Only a stale nonce excuses a second Digest challenge; a stale claim about the very nonce
            // we just used, or an endless series of them, is treated as a rejection.
            const bool new_nonce = !digest_ || digest_->nonce != best_digest->nonce;
            if (!best_digest->stale || !new_nonce || stale_retries_ >= max_stale_retries)
                return error::proxy_auth_failed;
            ++stale_retries_;
        }
        scheme_ = chosen::digest;
        digest_ = std::move(best_digest);
        nc_ = 0; // the nonce count is per nonce (RFC 7616 §3.4)
        return {};
    } catch (const std::bad_alloc&) {
        return boost::system::errc::make_error_code(boost::system::errc::not_enough_memory);
    }
}

std::string proxy_authenticator::authorization(std::string_view method, std::string_view uri) {
    if (!creds_)
        return {};
    switch (scheme_) {
    case chosen::none:
        return {};
    case chosen::basic:
        sent_basic_ = true;
        return basic_authorization(*creds_);
    case chosen::digest:
        break;
    }
    std::string cnonce = fixed_cnonce_;
    if (cnonce.empty()) {
        // 128 bits, hex: unguessable, and safe inside a quoted string without escaping.
        std::array<std::byte, 16> raw{};
        if (!detail::random_bytes(raw))
            return {};
        cnonce = detail::to_hex(raw);
    }
    ++nc_;
    sent_digest_ = true;
    return digest_authorization(*digest_, *creds_, method, uri, nc_, cnonce);
}

std::string_view proxy_authenticator::scheme() const noexcept {
    switch (scheme_) {
    case chosen::basic:
        return "basic";
    case chosen::digest:
        return "digest";
    case chosen::none:
        break;
    }
    return {};
}

void proxy_authenticator::set_fixed_cnonce(std::string cnonce) {
    fixed_cnonce_ = std::move(cnonce);
}

} // namespace burrow::proxy
