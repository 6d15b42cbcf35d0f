// Proxy URLs: `http://user:pass@proxy.corp:3128`, `socks5h://[::1]:1080`, or a bare `proxy.corp:3128`.
//
// Theory of operation: `parse_proxy_url` turns the text a user wrote (a command-line option, an
// `https_proxy` variable) into the parts a connector needs: scheme, host, port and percent-decoded
// credentials. It runs once per connection, so it owns its strings instead of pointing into the
// input. The grammar is RFC 3986 (parsed by Boost.URL) with the liberties curl and Python take:
//   - no `scheme://` prefix means http (`proxy.corp:3128`);
//   - the scheme is case-insensitive; a path of "/" is accepted and ignored;
//   - a missing port is the scheme's default: http 80, https 443, socks5 and socks5h 1080. curl
//     uses 1080 for every scheme when the port is missing; we follow the scheme instead, since
//     `http://proxy` on port 1080 surprises everyone who has not read curl's manual;
//   - an empty port (`http://proxy:`) means the default port too (RFC 3986 §3.2.3).
// Anything else that is not a plain proxy address is refused rather than guessed at: any other
// path, a query, a fragment, an empty host, a percent-encoded host name, port 0 or over 65535 ->
// `error::proxy_bad_url`; a scheme burrow does not speak (`ftp`, `socks4`) ->
// `error::proxy_unsupported_scheme`.
//
// A proxy password must never reach a log: `redacted()` is the form to print.
#pragma once

#include <burrow/config.hpp>
#include <burrow/error.hpp>

#include <boost/system/result.hpp>

#include <cstdint>
#include <string>
#include <string_view>

namespace burrow::proxy {

/// How burrow talks to the proxy. `socks5` resolves the target's name locally and sends the
/// address; `socks5h` sends the name and lets the proxy resolve it (curl's meaning of the two).
enum class proxy_scheme : std::uint8_t { http, https, socks5, socks5h };

/// The scheme as written in a URL: "http", "https", "socks5", "socks5h".
std::string_view to_string(proxy_scheme s) noexcept;

/// The port used when a proxy URL names none: 80, 443, 1080, 1080.
std::uint16_t default_port(proxy_scheme s) noexcept;

/// A parsed proxy URL. Strings are decoded: `host` has no IPv6 brackets, `user` and `password` no
/// percent escapes.
struct proxy_url {
    proxy_scheme scheme = proxy_scheme::http;
    std::string host;            ///< name, IPv4 literal, or IPv6 literal without brackets
    std::uint16_t port = 0;      ///< never 0 after a successful parse
    std::string user;            ///< percent-decoded
    std::string password;        ///< percent-decoded; never print it (see `redacted`)

    /// True when the URL carried a user name or a password, i.e. the proxy should be offered
    /// credentials (`http://:secret@proxy` counts: some proxies only check the password).
    bool has_credentials() const noexcept { return !user.empty() || !password.empty(); }

    /// "host:port", the host in brackets when it is an IPv6 literal: the form of a CONNECT
    /// request's authority and of log lines.
    std::string authority() const;

    /// The URL with the password replaced by "***": "http://alice:***@proxy:3128". The user
    /// name is percent-encoded again so that the result is itself a valid URL. Safe to log.
    std::string redacted() const;

    friend bool operator==(const proxy_url&, const proxy_url&) = default;
};

/// Parses a proxy URL (see the theory of operation above for what is accepted). Errors:
/// `error::proxy_bad_url`, `error::proxy_unsupported_scheme`. Only allocation can throw.
boost::system::result<proxy_url> parse_proxy_url(std::string_view text);

} // namespace burrow::proxy
