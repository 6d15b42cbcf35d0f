// Proxy URL parsing on top of Boost.URL: Boost.URL checks the RFC 3986 grammar and splits the
// parts; this file adds what a proxy URL means (schemes, default ports, what must be absent).
#include <burrow/http/token.hpp>
#include <burrow/proxy/proxy_url.hpp>

#include <boost/url/host_type.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>

#include <array>
#include <cstddef>
#include <optional>

namespace burrow::proxy {
namespace {

using http::iequals;
using http::to_lower;

constexpr bool is_alpha(char c) noexcept { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
constexpr bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }


// The length of a leading "scheme" (RFC 3986 §3.1: ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ))
// when it is followed by "://", else 0. Only "://" marks a scheme: "proxy.corp:3128" is, by the
// letter of RFC 3986, scheme "proxy.corp" and path "3128", which nobody means.
std::size_t scheme_length(std::string_view s) noexcept {
    if (s.empty() || !is_alpha(s[0]))
        return 0;
    std::size_t i = 1;
    while (i < s.size() && (is_alpha(s[i]) || is_digit(s[i]) || s[i] == '+' || s[i] == '-' || s[i] == '.'))
        ++i;
    return s.substr(i).starts_with("://") ? i : 0;
}

std::optional<proxy_scheme> scheme_from(std::string_view s) noexcept {
    constexpr std::array<proxy_scheme, 4> all = {proxy_scheme::http, proxy_scheme::https,
                                                 proxy_scheme::socks5, proxy_scheme::socks5h};
    for (const proxy_scheme p : all)
        if (iequals(s, to_string(p)))
            return p;
    return std::nullopt;
}

// The port text of a URL (digits only, Boost.URL checked) as a usable port: 1 to 65535.
std::optional<std::uint16_t> port_from(std::string_view digits) noexcept {
    std::uint32_t value = 0;
    for (const char c : digits) {
        value = value * 10 + static_cast<std::uint32_t>(c - '0');
        if (value > 65535)
            return std::nullopt;
    }
    if (value == 0)
        return std::nullopt;
    return static_cast<std::uint16_t>(value);
}

// Percent-encodes what RFC 3986's userinfo does not allow literally, and ':' (which would end the
// user name), so that `redacted()` is a URL that parses back to the same user.
void append_encoded_user(std::string& out, std::string_view user) {
    constexpr std::string_view allowed = "-._~!$&'()*+,;=";
    constexpr char hex[] = "0123456789ABCDEF";
    for (const char c : user) {
        if (is_alpha(c) || is_digit(c) || allowed.find(c) != std::string_view::npos) {
            out += c;
        } else {
            const auto b = static_cast<unsigned char>(c);
            out += '%';
            out += hex[b >> 4];
            out += hex[b & 0x0F];
        }
    }
}

boost::system::error_code bad_url() noexcept { return make_error_code(error::proxy_bad_url); }

} // namespace

std::string_view to_string(proxy_scheme s) noexcept {
    switch (s) {
    case proxy_scheme::http: return "http";
    case proxy_scheme::https: return "https";
    case proxy_scheme::socks5: return "socks5";
    case proxy_scheme::socks5h: return "socks5h";
    }
    return "unknown";
}

std::uint16_t default_port(proxy_scheme s) noexcept {
    switch (s) {
    case proxy_scheme::http: return 80;
    case proxy_scheme::https: return 443;
    case proxy_scheme::socks5:
    case proxy_scheme::socks5h: return 1080;
    }
    return 0;
}

std::string proxy_url::authority() const {
    std::string out;
    const bool ipv6 = host.find(':') != std::string::npos;
    out.reserve(host.size() + 8);
    if (ipv6)
        out += '[';
    out += host;
    if (ipv6)
        out += ']';
    out += ':';
    out += std::to_string(port);
    return out;
}

std::string proxy_url::redacted() const {
    std::string out{to_string(scheme)};
    out += "://";
    if (has_credentials()) {
        append_encoded_user(out, user);
        // The password's length is not shown either: "***" whatever it is.
        if (!password.empty())
            out += ":***";
        out += '@';
    }
    out += authority();
    return out;
}

boost::system::result<proxy_url> parse_proxy_url(std::string_view text) {
    proxy_url out;

    // Without "scheme://" the whole text is an authority, and the scheme is http (curl, Python).
    std::string with_scheme;
    std::string_view full = text;
    if (const std::size_t n = scheme_length(text); n != 0) {
        const auto scheme = scheme_from(text.substr(0, n));
        if (!scheme)
            return make_error_code(error::proxy_unsupported_scheme);
        out.scheme = *scheme;
    } else {
        with_scheme.reserve(text.size() + 7);
        with_scheme += "http://";
        with_scheme += text;
        full = with_scheme;
    }

    const auto parsed = boost::urls::parse_uri(boost::urls::string_view{full.data(), full.size()});
    if (!parsed)
        return bad_url();
    const boost::urls::url_view& u = *parsed;

    // A proxy is an address: a path, query or fragment would be silently dropped, and probably
    // means the URL is not the one the user meant (a PAC file URL, a typo).
    const std::string_view path = u.encoded_path();
    if ((!path.empty() && path != "/") || u.has_query() || u.has_fragment())
        return bad_url();

    const std::string_view host = u.encoded_host_address();
    switch (u.host_type()) {
    case boost::urls::host_type::name:
        // A percent-encoded host name would have to be decoded into bytes that are not a DNS
        // name; curl refuses it too.
        if (host.empty() || host.find('%') != std::string_view::npos)
            return bad_url();
        break;
    case boost::urls::host_type::ipv4:
    case boost::urls::host_type::ipv6:
        break;
    case boost::urls::host_type::ipvfuture:
    case boost::urls::host_type::none:
    default:
        return bad_url();
    }
    out.host.assign(host);

    out.port = default_port(out.scheme);
    if (u.has_port() && !u.port().empty()) {
        const auto port = port_from(u.port());
        if (!port)
            return bad_url();
        out.port = *port;
    }

    if (u.has_userinfo()) {
        out.user = u.user();
        out.password = u.password();
    }
    return out;
}

} // namespace burrow::proxy
