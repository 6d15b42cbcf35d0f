// Proxy selection with curl's rules. The no-proxy matcher works on string views of the list and
// never allocates; `proxy_for` allocates only for its result.
#include <burrow/http/token.hpp>
#include <burrow/proxy/proxy_selection.hpp>

#include <boost/url/host_type.hpp>
#include <boost/url/ipv4_address.hpp>
#include <boost/url/ipv6_address.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>

#include <array>
#include <cstddef>
#include <cstdlib>

namespace burrow::proxy {
namespace {

using namespace std::string_view_literals;

using http::iequals;
using http::to_lower;
constexpr bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }
constexpr bool is_separator(char c) noexcept {
    return c == ',' || c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

boost::urls::string_view to_url_view(std::string_view s) noexcept { return {s.data(), s.size()}; }

// Decimal digits to a number no greater than `max`; nullopt for empty, non-digits or overflow.
std::optional<std::uint32_t> small_number(std::string_view s, std::uint32_t max) noexcept {
    if (s.empty())
        return std::nullopt;
    std::uint32_t value = 0;
    for (const char c : s) {
        if (!is_digit(c))
            return std::nullopt;
        value = value * 10 + static_cast<std::uint32_t>(c - '0');
        if (value > max)
            return std::nullopt;
    }
    return value;
}

// An IP address as 16 bytes; IPv4 uses the first 4.
struct ip_address {
    bool v6 = false;
    std::array<std::uint8_t, 16> bytes{};
};

std::optional<ip_address> parse_ip(std::string_view s) noexcept {
    if (const auto v4 = boost::urls::parse_ipv4_address(to_url_view(s))) {
        ip_address ip;
        const auto b = v4->to_bytes();
        for (std::size_t i = 0; i < b.size(); ++i)
            ip.bytes[i] = b[i];
        return ip;
    }
    if (const auto v6 = boost::urls::parse_ipv6_address(to_url_view(s))) {
        ip_address ip;
        ip.v6 = true;
        const auto b = v6->to_bytes();
        for (std::size_t i = 0; i < b.size(); ++i)
            ip.bytes[i] = b[i];
        return ip;
    }
    return std::nullopt;
}

// The target host, classified once for every entry of the list.
struct host_view {
    std::string_view name;            // without brackets and trailing dot
    std::optional<ip_address> ip;     // when the host is an IP literal
    std::optional<ip_address> mapped; // the IPv4 address of an IPv4-mapped IPv6 host (::ffff:a.b.c.d)
};

host_view classify_host(std::string_view host) noexcept {
    host_view h;
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
        host = host.substr(1, host.size() - 2);
    if (host.ends_with('.'))
        host.remove_suffix(1);
    h.name = host;
    h.ip = parse_ip(host);
    if (h.ip && h.ip->v6) {
        constexpr std::array<std::uint8_t, 12> prefix = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
        bool mapped = true;
        for (std::size_t i = 0; i < prefix.size(); ++i)
            mapped = mapped && h.ip->bytes[i] == prefix[i];
        if (mapped) {
            ip_address v4;
            for (std::size_t i = 0; i < 4; ++i)
                v4.bytes[i] = h.ip->bytes[12 + i];
            h.mapped = v4;
        }
    }
    return h;
}

// True when the first `bits` bits of a and b are equal.
bool same_prefix(const ip_address& a, const ip_address& b, unsigned bits) noexcept {
    const unsigned whole = bits / 8;
    for (unsigned i = 0; i < whole; ++i)
        if (a.bytes[i] != b.bytes[i])
            return false;
    const unsigned rest = bits % 8;
    if (rest == 0)
        return true;
    const auto mask = static_cast<std::uint8_t>(0xFF << (8 - rest));
    return (a.bytes[whole] & mask) == (b.bytes[whole] & mask);
}

bool match_ip(const host_view& host, const ip_address& net, unsigned bits) noexcept {
    if (host.ip && host.ip->v6 == net.v6 && same_prefix(*host.ip, net, bits))
        return true;
    return !net.v6 && host.mapped && same_prefix(*host.mapped, net, bits);
}

bool match_name(const host_view& host, std::string_view entry) noexcept {
    // Host names match host names only: "no DNS" means 10.0.0.1 is not compared with names.
    if (host.ip || host.name.empty())
        return false;
    const std::string_view name = host.name;
    if (entry.size() == name.size())
        return iequals(entry, name);
    // A suffix on a label boundary: "example.com" matches "a.example.com", not "badexample.com".
    return entry.size() < name.size() && name[name.size() - entry.size() - 1] == '.' &&
           iequals(entry, name.substr(name.size() - entry.size()));
}

// One entry of the list (already trimmed, never empty) against the host.
bool match_entry(std::string_view entry, const host_view& host, std::uint16_t port) noexcept {
    if (entry == "*")
        return true;

    // Split "address[/bits][:port]", with the address in brackets when it is IPv6 and has a port.
    std::string_view addr;
    std::string_view bits_text;
    std::string_view port_text;
    bool has_bits = false;
    bool has_port = false;
    bool must_be_ipv6 = false;
    if (entry.front() == '[') {
        const std::size_t close = entry.find(']');
        if (close == std::string_view::npos)
            return false;
        addr = entry.substr(1, close - 1);
        std::string_view rest = entry.substr(close + 1);
        if (rest.starts_with('/')) {
            const std::size_t colon = rest.find(':');
            bits_text = rest.substr(1, colon == std::string_view::npos ? rest.npos : colon - 1);
            has_bits = true;
            rest = colon == std::string_view::npos ? std::string_view{} : rest.substr(colon);
        }
        if (!rest.empty()) {
            if (rest.front() != ':')
                return false;
            port_text = rest.substr(1);
            has_port = true;
        }
        must_be_ipv6 = true;
    } else {
        addr = entry;
        const std::size_t first_colon = addr.find(':');
        // One colon: "name:port" or "a.b.c.d:port"; several: an IPv6 literal, which cannot carry a
        // port without brackets.
        if (first_colon != addr.npos && addr.find(':', first_colon + 1) == addr.npos) {
            port_text = addr.substr(first_colon + 1);
            addr = addr.substr(0, first_colon);
            has_port = true;
        }
    }
    if (const std::size_t slash = addr.find('/'); slash != std::string_view::npos) {
        if (has_bits)
            return false;
        bits_text = addr.substr(slash + 1);
        addr = addr.substr(0, slash);
        has_bits = true;
    }

    if (has_port) {
        const auto p = small_number(port_text, 65535);
        if (!p || *p == 0 || *p != port)
            return false;
    }

    if (const auto ip = parse_ip(addr)) {
        if (must_be_ipv6 && !ip->v6)
            return false;
        const std::uint32_t width = ip->v6 ? 128 : 32;
        std::uint32_t bits = width;
        if (has_bits) {
            const auto b = small_number(bits_text, width);
            if (!b)
                return false;
            bits = *b;
        }
        return match_ip(host, *ip, bits);
    }
    if (has_bits || must_be_ipv6)
        return false;  // a prefix length on a name, or brackets around one: malformed

    // A host name. "*.example.com" and ".example.com" both mean example.com and its subdomains.
    std::string_view name = addr;
    if (name.starts_with("*."))
        name.remove_prefix(1);
    if (name.starts_with('.'))
        name.remove_prefix(1);
    if (name.ends_with('.'))
        name.remove_suffix(1);
    if (name.empty())
        return false;
    return match_name(host, name);
}

// The variable names, for lookups and explanations.
struct var_names {
    std::string_view lower;
    std::string_view upper;  // empty: no upper-case form is read
};
constexpr var_names ws_names{"ws_proxy", "WS_PROXY"};
constexpr var_names wss_names{"wss_proxy", "WSS_PROXY"};
// Upper-case HTTP_PROXY is never read: CGI servers set it from a request's "Proxy:" header.
constexpr var_names http_names{"http_proxy", {}};
constexpr var_names https_names{"https_proxy", "HTTPS_PROXY"};
constexpr var_names all_names{"all_proxy", "ALL_PROXY"};
constexpr var_names no_names{"no_proxy", "NO_PROXY"};

// Finds `names` with `get` (lower case first, empty values skipped) into value and var.
template <class Getter>
void look_up(const Getter& get, const var_names& names, std::string& value, std::string_view& var) {
    for (const std::string_view name : {names.lower, names.upper}) {
        if (name.empty())
            continue;
        if (const std::optional<std::string_view> v = get(name); v && !v->empty()) {
            value.assign(*v);
            var = name;
            return;
        }
    }
}

template <class Getter>
proxy_environment environment_from(const Getter& get) {
    proxy_environment env;
    look_up(get, ws_names, env.ws_proxy, env.ws_proxy_var);
    look_up(get, wss_names, env.wss_proxy, env.wss_proxy_var);
    look_up(get, http_names, env.http_proxy, env.http_proxy_var);
    look_up(get, https_names, env.https_proxy, env.https_proxy_var);
    look_up(get, all_names, env.all_proxy, env.all_proxy_var);
    look_up(get, no_names, env.no_proxy, env.no_proxy_var);
    return env;
}

// The name to show for a variable: the one recorded, or the lower-case name when the environment
// was filled in by hand.
std::string_view shown_name(std::string_view var, const var_names& names) noexcept {
    return var.empty() ? names.lower : var;
}

boost::system::error_code invalid_target() noexcept { return make_error_code(error::bad_url); }

} // namespace

proxy_environment proxy_environment::from_process() {
    return environment_from([](std::string_view name) -> std::optional<std::string_view> {
        // The names are literals above, hence NUL-terminated.
        if (const char* v = std::getenv(name.data()))
            return std::string_view{v};
        return std::nullopt;
    });
}

proxy_environment
proxy_environment::from(std::span<const std::pair<std::string_view, std::string_view>> vars) {
    return environment_from([vars](std::string_view name) -> std::optional<std::string_view> {
        for (const auto& [n, v] : vars)
            if (n == name)
                return v;
        return std::nullopt;
    });
}

std::optional<std::string_view> find_no_proxy_entry(std::string_view no_proxy_list, std::string_view host,
                                                    std::uint16_t port) noexcept {
    const host_view h = classify_host(host);
    std::size_t i = 0;
    while (i < no_proxy_list.size()) {
        while (i < no_proxy_list.size() && is_separator(no_proxy_list[i]))
            ++i;
        const std::size_t start = i;
        while (i < no_proxy_list.size() && !is_separator(no_proxy_list[i]))
            ++i;
        if (i == start)
            break;
        const std::string_view entry = no_proxy_list.substr(start, i - start);
        if (match_entry(entry, h, port))
            return entry;
    }
    return std::nullopt;
}

bool no_proxy_matches(std::string_view no_proxy_list, std::string_view host, std::uint16_t port) noexcept {
    return find_no_proxy_entry(no_proxy_list, host, port).has_value();
}

boost::system::result<proxy_choice> proxy_for(std::string_view target_url, const proxy_config& config,
                                              const proxy_environment& env) {
    // --- the target ---
    const auto parsed = boost::urls::parse_uri(to_url_view(target_url));
    if (!parsed)
        return invalid_target();
    const boost::urls::url_view& u = *parsed;

    const std::string_view scheme = u.scheme();
    bool secure = false;
    if (iequals(scheme, "wss") || iequals(scheme, "https"))
        secure = true;
    else if (!iequals(scheme, "ws") && !iequals(scheme, "http"))
        return make_error_code(error::unsupported_url_scheme);

    const auto type = u.host_type();
    if (type != boost::urls::host_type::name && type != boost::urls::host_type::ipv4 &&
        type != boost::urls::host_type::ipv6)
        return invalid_target();
    const std::string host = u.host_address();
    if (host.empty())
        return invalid_target();

    std::uint16_t port = secure ? 443 : 80;
    if (u.has_port() && !u.port().empty()) {
        const auto p = small_number(u.port(), 65535);
        if (!p || *p == 0)
            return invalid_target();
        port = static_cast<std::uint16_t>(*p);
    }

    // "wss://x.example:443 -> ": the target as it is connected to, whatever the URL spelled.
    std::string explanation;
    for (const char c : scheme)
        explanation += to_lower(c);
    explanation += "://";
    if (type == boost::urls::host_type::ipv6)
        explanation.append("[").append(host).append("]");
    else
        explanation += host;
    explanation.append(":").append(std::to_string(port)).append(" -> ");

    if (config.direct) {
        explanation += "direct: forced by proxy_config.direct";
        return proxy_choice{std::nullopt, std::move(explanation)};
    }

    // --- the candidate proxy ---
    std::string_view value;
    std::string_view source;  // empty for the explicit proxy
    if (!config.proxy.empty()) {
        value = config.proxy;
    } else if (config.use_environment) {
        struct candidate {
            const std::string& value;
            std::string_view var;
            const var_names& names;
        };
        const std::array<candidate, 3> chain =
            secure ? std::array<candidate, 3>{{{env.wss_proxy, env.wss_proxy_var, wss_names},
                                               {env.https_proxy, env.https_proxy_var, https_names},
                                               {env.all_proxy, env.all_proxy_var, all_names}}}
                   : std::array<candidate, 3>{{{env.ws_proxy, env.ws_proxy_var, ws_names},
                                               {env.http_proxy, env.http_proxy_var, http_names},
                                               {env.all_proxy, env.all_proxy_var, all_names}}};
        for (const candidate& c : chain) {
            if (!c.value.empty()) {
                value = c.value;
                source = shown_name(c.var, c.names);
                break;
            }
        }
    }
    if (value.empty()) {
        explanation += config.use_environment ? "direct: no proxy configured"
                                              : "direct: no proxy configured (environment ignored)";
        return proxy_choice{std::nullopt, std::move(explanation)};
    }

    // Parsed before the no-proxy list is consulted: a broken setting fails every connection, not
    // only those the list happens to let through.
    auto proxy = parse_proxy_url(value);
    if (!proxy)
        return proxy.error();
    std::string via = proxy->redacted();
    if (source.empty())
        via += " (explicit)";
    else
        via.append(" from ").append(source);

    // --- the no-proxy list ---
    std::string_view no_proxy;
    std::string_view no_proxy_source;
    if (config.no_proxy) {
        no_proxy = *config.no_proxy;
        no_proxy_source = "proxy_config.no_proxy";
    } else if (config.use_environment && !env.no_proxy.empty()) {
        no_proxy = env.no_proxy;
        no_proxy_source = shown_name(env.no_proxy_var, no_names);
    }
    if (const auto entry = find_no_proxy_entry(no_proxy, host, port)) {
        explanation.append("direct: matched ").append(no_proxy_source).append(" entry ").append(*entry);
        explanation.append(" (instead of ").append(via).append(")");
        return proxy_choice{std::nullopt, std::move(explanation)};
    }

    explanation += via;
    return proxy_choice{std::move(*proxy), std::move(explanation)};
}

} // namespace burrow::proxy
