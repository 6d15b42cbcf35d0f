// Proxy selection: which proxy, if any, a connection to a ws://, wss://, http:// or https:// URL
// goes through, from an explicit configuration or the environment, with curl's rules (what users
// of curl, wget, Python and Go already write in their shells).
//
// Theory of operation: `proxy_for` is a pure function of the target URL, a `proxy_config` and a
// snapshot of the environment (`proxy_environment`, taken once by `from_process` or built from a
// list in tests). It decides in this order:
//   1. `config.direct` -> direct;
//   2. `config.proxy` non-empty -> that proxy, unless the no-proxy list matches the target;
//   3. `config.use_environment` -> the first set variable of the target scheme's chain
//        ws://,  http://  : ws_proxy,  http_proxy,  all_proxy
//        wss://, https:// : wss_proxy, https_proxy, all_proxy
//      unless the no-proxy list matches the target;
//   4. otherwise direct.
// Each name is looked up in lower case first, then in UPPER case; `http_proxy` only in lower
// case, because a CGI server turns a request's "Proxy:" header into HTTP_PROXY ("httpoxy"). An
// empty variable counts as unset (so `https_proxy=` falls through to `HTTPS_PROXY`).
// The no-proxy list is `config.no_proxy` when set, else `no_proxy`/`NO_PROXY` from the
// environment when `use_environment` is true; as in curl it applies to an explicit proxy too.
//
// A proxy that is configured but does not parse is an error, never a silent direct connection
// (which could leak traffic the user meant to send through the proxy). It is checked before the
// no-proxy list, so a broken setting is reported whatever the target.
//
// Every choice carries a one-line explanation naming the variable it came from, for
// `--verbose` output and bug reports. Proxy passwords never appear in it.
#pragma once

#include <burrow/config.hpp>
#include <burrow/error.hpp>
#include <burrow/proxy/proxy_url.hpp>

#include <boost/system/result.hpp>

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>

namespace burrow::proxy {

/// The proxy variables of an environment. Each value comes with the name of the variable it was
/// read from ("https_proxy" or "HTTPS_PROXY"), empty when unset; the names point to static
/// strings. An empty value means unset.
struct proxy_environment {
    std::string ws_proxy;
    std::string wss_proxy;
    std::string http_proxy;
    std::string https_proxy;
    std::string all_proxy;
    std::string no_proxy;

    std::string_view ws_proxy_var;
    std::string_view wss_proxy_var;
    std::string_view http_proxy_var;
    std::string_view https_proxy_var;
    std::string_view all_proxy_var;
    std::string_view no_proxy_var;

    /// Reads the variables of this process with getenv (lower case first, then upper case;
    /// `http_proxy` lower case only). Not thread-safe against a concurrent setenv, as getenv.
    static proxy_environment from_process();

    /// The same lookup over a list of (name, value) pairs, for tests and for callers that keep
    /// their own environment. Names are case-sensitive, as in POSIX; the first pair with a name
    /// wins.
    static proxy_environment from(std::span<const std::pair<std::string_view, std::string_view>> vars);
};

/// What the application asks for.
struct proxy_config {
    /// An explicit proxy URL; when non-empty it wins over the environment's proxy variables.
    std::string proxy;
    /// false: ignore the environment entirely (proxy variables and the no-proxy list).
    bool use_environment = true;
    /// An explicit no-proxy list (same syntax as NO_PROXY). When unset, the environment's list
    /// applies, to environment proxies and to `proxy` alike (curl's behaviour).
    std::optional<std::string> no_proxy;
    /// Force a direct connection, whatever else is configured.
    bool direct = false;
};

/// The outcome of `proxy_for`.
struct proxy_choice {
    std::optional<proxy_url> proxy;  ///< empty: connect directly
    /// One line, e.g. "wss://x.example:443 -> http://proxy:3128 from https_proxy" or
    /// "ws://x.example:80 -> direct: matched NO_PROXY entry .example". Passwords are redacted.
    std::string explanation;
};

/// Chooses the proxy for `target_url` (see the theory of operation above). Errors:
///   - the target URL does not parse, has no host, or a port of 0 or over 65535:
///     `boost::system::errc::invalid_argument` (or Boost.URL's own parse error);
///   - its scheme is not ws, wss, http or https: `boost::system::errc::protocol_not_supported`;
///   - the chosen proxy setting does not parse: `error::proxy_bad_url` or
///     `error::proxy_unsupported_scheme`.
/// Only allocation can throw.
boost::system::result<proxy_choice> proxy_for(std::string_view target_url, const proxy_config& config,
                                              const proxy_environment& env);

/// True when `host`:`port` is excluded from proxying by `no_proxy_list` (NO_PROXY syntax):
///   - entries separated by commas and/or white space, trimmed, compared case-insensitively;
///   - `*` matches every host (as an entry of its own, also inside a list);
///   - `example.com` matches example.com and every subdomain, but not badexample.com;
///     `.example.com` and `*.example.com` match the same (curl: the leading dot is ignored);
///     trailing dots on the entry and on the host are ignored;
///   - IPv4 and IPv6 literals (IPv6 optionally in brackets) and CIDR ranges (`10.0.0.0/8`,
///     `fe80::/10`; `/0` matches the whole family) match IP-literal hosts only, nothing is
///     resolved; an IPv4-mapped IPv6 host (::ffff:10.1.2.3) is also compared as IPv4;
///   - `entry:port` (`example.com:8080`, `[::1]:443`, `10.1.2.3:80`) matches that port only;
///   - malformed entries (bad port, bad prefix length) match nothing.
/// `host` may be an IPv6 literal with or without brackets.
bool no_proxy_matches(std::string_view no_proxy_list, std::string_view host, std::uint16_t port) noexcept;

/// Like `no_proxy_matches`, but returns the first matching entry as written in the list
/// (trimmed), for explanations; nullopt when none matches.
std::optional<std::string_view> find_no_proxy_entry(std::string_view no_proxy_list, std::string_view host,
                                                    std::uint16_t port) noexcept;

} // namespace burrow::proxy
