// proxy_for: one table of environment / configuration / URL cases covering curl's rules, then
// no_proxy_matches on its own, the target URL errors, and from_process() against the real
// environment of this process (saved and restored around the test).
#include <burrow/proxy/proxy_selection.hpp>

#include <gtest/gtest.h>

#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

using namespace burrow;
using namespace burrow::proxy;

namespace {

using env_vars = std::vector<std::pair<std::string_view, std::string_view>>;

struct selection_case {
    int line;                        // of the row, to find a failing one
    env_vars env;
    proxy_config config;
    std::string_view url;
    std::string_view proxy;          // expected redacted() of the proxy; empty: direct
    boost::system::error_code err;   // expected error; when set, proxy and explanation are ignored
    std::string_view explanation;    // a substring of the expected explanation
};

proxy_config explicit_proxy(std::string url) { return proxy_config{.proxy = std::move(url)}; }

proxy_config with_no_proxy(std::string list, std::string url = {}) {
    return proxy_config{.proxy = std::move(url), .no_proxy = std::move(list)};
}

// The two most common settings, to keep the rows short.
const std::pair<std::string_view, std::string_view> http_p{"http_proxy", "http://p:3128"};
const std::pair<std::string_view, std::string_view> https_p{"https_proxy", "http://p:3128"};

const boost::system::error_code none{};
const boost::system::error_code bad_url = error::proxy_bad_url;
const boost::system::error_code bad_scheme = error::proxy_unsupported_scheme;

// clang-format off
const std::vector<selection_case> cases = {
    // --- nothing configured ---
    {__LINE__, {}, {}, "ws://x.example", "", none, "ws://x.example:80 -> direct: no proxy configured"},
    {__LINE__, {}, {}, "wss://x.example", "", none, "wss://x.example:443 -> direct: no proxy configured"},

    // --- http_proxy: lower case only (httpoxy) ---
    {__LINE__, {{"http_proxy", "http://proxy:3128"}}, {}, "ws://x.example", "http://proxy:3128", none,
     "ws://x.example:80 -> http://proxy:3128 from http_proxy"},
    {__LINE__, {{"HTTP_PROXY", "http://evil:3128"}}, {}, "ws://x.example", "", none, "no proxy configured"},
    {__LINE__, {{"HTTP_PROXY", "http://evil:3128"}, {"http_proxy", "http://good:3128"}}, {}, "ws://x.example",
     "http://good:3128", none, "from http_proxy"},
    {__LINE__, {{"HTTP_PROXY", "http://evil:3128"}, {"ALL_PROXY", "http://all:3128"}}, {}, "ws://x.example",
     "http://all:3128", none, "from ALL_PROXY"},

    // --- https_proxy and HTTPS_PROXY ---
    {__LINE__, {{"https_proxy", "http://proxy:3128"}}, {}, "wss://x.example", "http://proxy:3128", none,
     "wss://x.example:443 -> http://proxy:3128 from https_proxy"},
    {__LINE__, {{"HTTPS_PROXY", "http://upper:3128"}}, {}, "wss://x.example", "http://upper:3128", none,
     "from HTTPS_PROXY"},
    {__LINE__, {{"HTTPS_PROXY", "http://upper:3128"}, {"https_proxy", "http://lower:3128"}}, {},
     "wss://x.example", "http://lower:3128", none, "from https_proxy"},
    {__LINE__, {{"https_proxy", ""}, {"HTTPS_PROXY", "http://upper:3128"}}, {}, "wss://x.example",
     "http://upper:3128", none, "from HTTPS_PROXY"},
    {__LINE__, {{"https_proxy", "http://proxy:3128"}}, {}, "ws://x.example", "", none, "no proxy configured"},
    {__LINE__, {{"http_proxy", "http://proxy:3128"}}, {}, "wss://x.example", "", none, "no proxy configured"},

    // --- ws_proxy / wss_proxy come first ---
    {__LINE__, {{"http_proxy", "http://h:3128"}, {"ws_proxy", "http://w:3128"}}, {}, "ws://x.example",
     "http://w:3128", none, "from ws_proxy"},
    {__LINE__, {{"WS_PROXY", "http://w:3128"}, {"http_proxy", "http://h:3128"}}, {}, "ws://x.example",
     "http://w:3128", none, "from WS_PROXY"},
    {__LINE__, {{"https_proxy", "http://h:3128"}, {"wss_proxy", "https://w:8443"}}, {}, "wss://x.example",
     "https://w:8443", none, "from wss_proxy"},
    {__LINE__, {{"WSS_PROXY", "http://w:3128"}}, {}, "wss://x.example", "http://w:3128", none,
     "from WSS_PROXY"},
    {__LINE__, {{"ws_proxy", "http://w:3128"}}, {}, "wss://x.example", "", none, "no proxy configured"},
    {__LINE__, {{"wss_proxy", "http://w:3128"}}, {}, "ws://x.example", "", none, "no proxy configured"},

    // --- all_proxy is the last resort ---
    {__LINE__, {{"all_proxy", "socks5h://s"}}, {}, "ws://x.example", "socks5h://s:1080", none,
     "ws://x.example:80 -> socks5h://s:1080 from all_proxy"},
    {__LINE__, {{"ALL_PROXY", "socks5://s:9050"}}, {}, "wss://x.example", "socks5://s:9050", none,
     "from ALL_PROXY"},
    {__LINE__, {{"ALL_PROXY", "http://upper:1"}, {"all_proxy", "http://lower:1"}}, {}, "wss://x.example",
     "http://lower:1", none, "from all_proxy"},
    {__LINE__, {{"all_proxy", "http://all:3128"}, {"https_proxy", "http://s:3128"}}, {}, "wss://x.example",
     "http://s:3128", none, "from https_proxy"},
    {__LINE__, {{"http_proxy", ""}, {"all_proxy", "http://all:3128"}}, {}, "ws://x.example",
     "http://all:3128", none, "from all_proxy"},

    // --- http:// and https:// targets use the ws:// and wss:// chains ---
    {__LINE__, {{"http_proxy", "http://h:3128"}}, {}, "http://x.example/index.html", "http://h:3128", none,
     "http://x.example:80 -> http://h:3128 from http_proxy"},
    {__LINE__, {{"https_proxy", "http://s:3128"}}, {}, "https://x.example:8443/a?b", "http://s:3128", none,
     "https://x.example:8443 -> http://s:3128 from https_proxy"},
    {__LINE__, {{"ws_proxy", "http://w:3128"}}, {}, "HTTP://x.example", "http://w:3128", none,
     "http://x.example:80 -> http://w:3128 from ws_proxy"},

    // --- proxy URL forms in the environment ---
    {__LINE__, {{"http_proxy", "proxy.corp:3128"}}, {}, "ws://x.example", "http://proxy.corp:3128", none,
     "from http_proxy"},
    {__LINE__, {{"https_proxy", "http://alice:secret@p:3128"}}, {}, "wss://x.example",
     "http://alice:***@p:3128", none, "-> http://alice:***@p:3128 from https_proxy"},
    {__LINE__, {{"https_proxy", "http://[::1]:3128"}}, {}, "wss://[2001:db8::5]/chat", "http://[::1]:3128",
     none, "wss://[2001:db8::5]:443 -> http://[::1]:3128"},

    // --- NO_PROXY: *, names, suffixes ---
    {__LINE__, {http_p, {"NO_PROXY", "*"}}, {}, "ws://x.example", "", none,
     "ws://x.example:80 -> direct: matched NO_PROXY entry * (instead of http://p:3128 from http_proxy)"},
    {__LINE__, {http_p, {"no_proxy", "localhost,*"}}, {}, "ws://x.example", "", none,
     "matched no_proxy entry *"},
    {__LINE__, {http_p, {"no_proxy", "example.com"}}, {}, "ws://example.com", "", none,
     "matched no_proxy entry example.com"},
    {__LINE__, {http_p, {"no_proxy", "example.com"}}, {}, "ws://a.b.example.com", "",
     none, "matched no_proxy entry example.com"},
    {__LINE__, {http_p, {"no_proxy", "example.com"}}, {}, "ws://badexample.com",
     "http://p:3128", none, "from http_proxy"},
    {__LINE__, {http_p, {"no_proxy", "example.com"}}, {}, "ws://example.com.evil.net",
     "http://p:3128", none, "from http_proxy"},
    {__LINE__, {http_p, {"NO_PROXY", ".example"}}, {}, "ws://x.example", "", none,
     "ws://x.example:80 -> direct: matched NO_PROXY entry .example"},
    {__LINE__, {http_p, {"NO_PROXY", ".example.com"}}, {}, "ws://example.com", "", none,
     "matched NO_PROXY entry .example.com"},
    {__LINE__, {http_p, {"NO_PROXY", ".example.com"}}, {}, "ws://www.badexample.com",
     "http://p:3128", none, "from http_proxy"},
    {__LINE__, {http_p, {"NO_PROXY", "Example.COM."}}, {}, "ws://WWW.example.com.", "",
     none, "matched NO_PROXY entry Example.COM."},

    // --- NO_PROXY: IP literals and CIDR, no DNS ---
    {__LINE__, {http_p, {"no_proxy", "localhost,127.0.0.1,::1"}}, {},
     "ws://127.0.0.1:8080", "", none, "matched no_proxy entry 127.0.0.1"},
    {__LINE__, {http_p, {"no_proxy", "localhost,127.0.0.1,::1"}}, {}, "ws://[::1]:8080",
     "", none, "ws://[::1]:8080 -> direct: matched no_proxy entry ::1"},
    {__LINE__, {http_p, {"no_proxy", "localhost"}}, {}, "ws://127.0.0.1", "http://p:3128",
     none, "from http_proxy"},
    {__LINE__, {http_p, {"no_proxy", "[::1]"}}, {}, "ws://[0:0::1]", "", none,
     "matched no_proxy entry [::1]"},
    {__LINE__, {http_p, {"no_proxy", "10.0.0.0/8"}}, {}, "ws://10.20.30.40", "", none,
     "matched no_proxy entry 10.0.0.0/8"},
    {__LINE__, {http_p, {"no_proxy", "10.0.0.0/8"}}, {}, "ws://11.0.0.1",
     "http://p:3128", none, "from http_proxy"},
    {__LINE__, {http_p, {"no_proxy", "192.168.1.0/24"}}, {}, "ws://192.168.1.77", "",
     none, "matched no_proxy entry 192.168.1.0/24"},
    {__LINE__, {http_p, {"no_proxy", "192.168.1.0/24"}}, {}, "ws://192.168.2.1",
     "http://p:3128", none, "from http_proxy"},
    {__LINE__, {http_p, {"no_proxy", "fe80::/10"}}, {}, "ws://[fe80::1234]", "", none,
     "matched no_proxy entry fe80::/10"},
    {__LINE__, {http_p, {"no_proxy", "fe80::/10"}}, {}, "ws://[fec0::1]",
     "http://p:3128", none, "from http_proxy"},
    {__LINE__, {https_p, {"no_proxy", "::1/128"}}, {}, "wss://[::1]", "", none,
     "matched no_proxy entry ::1/128"},
    {__LINE__, {http_p, {"no_proxy", "10.0.0.0/8"}}, {}, "ws://[::ffff:10.1.2.3]", "",
     none, "matched no_proxy entry 10.0.0.0/8"},

    // --- NO_PROXY: ports ---
    {__LINE__, {http_p, {"no_proxy", "example.com:8080"}}, {}, "ws://example.com:8080",
     "", none, "matched no_proxy entry example.com:8080"},
    {__LINE__, {http_p, {"no_proxy", "example.com:8080"}}, {}, "ws://example.com",
     "http://p:3128", none, "from http_proxy"},
    {__LINE__, {https_p, {"no_proxy", "[::1]:443"}}, {}, "wss://[::1]/", "", none,
     "matched no_proxy entry [::1]:443"},
    {__LINE__, {https_p, {"no_proxy", "[::1]:443"}}, {}, "wss://[::1]:8443",
     "http://p:3128", none, "from https_proxy"},
    {__LINE__, {http_p, {"no_proxy", "10.1.2.3:80"}}, {}, "ws://10.1.2.3", "", none,
     "matched no_proxy entry 10.1.2.3:80"},

    // --- NO_PROXY: separators, white space, empty values, case of the variable ---
    {__LINE__, {http_p, {"no_proxy", "  foo.com   bar.com ,baz.com , "}}, {},
     "ws://bar.com", "", none, "matched no_proxy entry bar.com (instead"},
    {__LINE__, {http_p, {"no_proxy", "  foo.com   bar.com ,baz.com , "}}, {},
     "ws://baz.com", "", none, "matched no_proxy entry baz.com (instead"},
    {__LINE__, {http_p, {"no_proxy", ""}, {"NO_PROXY", "example.com"}}, {},
     "ws://example.com", "", none, "matched NO_PROXY entry example.com"},
    {__LINE__, {http_p, {"no_proxy", "other.com"}, {"NO_PROXY", "example.com"}}, {},
     "ws://example.com", "http://p:3128", none, "from http_proxy"},
    {__LINE__, {http_p, {"no_proxy", " , "}}, {}, "ws://example.com", "http://p:3128",
     none, "from http_proxy"},

    // --- explicit proxy ---
    {__LINE__, {}, explicit_proxy("http://p:3128"), "ws://x.example", "http://p:3128", none,
     "ws://x.example:80 -> http://p:3128 (explicit)"},
    {__LINE__, {{"http_proxy", "http://env:3128"}, {"all_proxy", "http://all:1"}},
     explicit_proxy("https://p"), "ws://x.example", "https://p:443", none, "-> https://p:443 (explicit)"},
    {__LINE__, {{"NO_PROXY", ".example"}}, explicit_proxy("http://p:3128"), "wss://x.example", "", none,
     "direct: matched NO_PROXY entry .example (instead of http://p:3128 (explicit))"},
    {__LINE__, {{"NO_PROXY", "example.com"}}, with_no_proxy("other.com", "http://p:3128"), "ws://example.com",
     "http://p:3128", none, "(explicit)"},
    {__LINE__, {{"NO_PROXY", "example.com"}}, with_no_proxy("other.com", "http://p:3128"), "ws://other.com",
     "", none, "matched proxy_config.no_proxy entry other.com"},
    {__LINE__, {{"NO_PROXY", "*"}, {"http_proxy", "http://env:3128"}}, with_no_proxy(""), "ws://x.example",
     "http://env:3128", none, "from http_proxy"},
    {__LINE__, {{"https_proxy", "http://env:3128"}}, with_no_proxy(".example"), "wss://x.example", "", none,
     "matched proxy_config.no_proxy entry .example (instead of http://env:3128 from https_proxy)"},

    // --- use_environment = false, direct = true ---
    {__LINE__, {{"http_proxy", "http://env:3128"}, {"ALL_PROXY", "http://all:1"}},
     proxy_config{.use_environment = false}, "ws://x.example", "", none,
     "direct: no proxy configured (environment ignored)"},
    {__LINE__, {{"NO_PROXY", "*"}}, proxy_config{.proxy = "http://p:3128", .use_environment = false},
     "ws://x.example", "http://p:3128", none, "(explicit)"},
    {__LINE__, {{"NO_PROXY", "*"}},
     proxy_config{.proxy = "http://p:3128", .use_environment = false, .no_proxy = "x.example"},
     "ws://x.example", "", none, "matched proxy_config.no_proxy entry x.example"},
    {__LINE__, {{"http_proxy", "http://env:3128"}}, proxy_config{.proxy = "http://p:3128", .direct = true},
     "ws://x.example", "", none, "ws://x.example:80 -> direct: forced by proxy_config.direct"},
    {__LINE__, {{"http_proxy", "::bad::"}}, proxy_config{.direct = true}, "ws://x.example", "", none,
     "forced by proxy_config.direct"},

    // --- a configured proxy that does not parse is an error, never a direct connection ---
    {__LINE__, {{"http_proxy", "http://:3128"}}, {}, "ws://x.example", "", bad_url, ""},
    {__LINE__, {{"https_proxy", "http://proxy:99999"}}, {}, "wss://x.example", "", bad_url, ""},
    {__LINE__, {{"HTTPS_PROXY", "http://proxy/pac.js"}}, {}, "wss://x.example", "", bad_url, ""},
    {__LINE__, {{"https_proxy", "ftp://proxy"}}, {}, "wss://x.example", "", bad_scheme, ""},
    {__LINE__, {{"all_proxy", "socks4://proxy:1080"}}, {}, "ws://x.example", "", bad_scheme, ""},
    {__LINE__, {{"http_proxy", "http://pro xy:3128"}, {"NO_PROXY", "*"}}, {}, "ws://x.example", "", bad_url,
     ""},
    {__LINE__, {}, explicit_proxy("socks4://p"), "ws://x.example", "", bad_scheme, ""},
    {__LINE__, {}, explicit_proxy("http://p:0"), "ws://x.example", "", bad_url, ""},
    // An unused bad variable does not matter: only the chosen one is parsed.
    {__LINE__, {{"https_proxy", "ftp://proxy"}, http_p}, {}, "ws://x.example",
     "http://p:3128", none, "from http_proxy"},
};
// clang-format on

std::string describe(const selection_case& c) {
    std::string s = "row at line " + std::to_string(c.line) + ": " + std::string(c.url) + " with";
    for (const auto& [name, value] : c.env)
        s.append(" ").append(name).append("=").append(value);
    return s;
}

} // namespace

TEST(proxy_selection, table) {
    ASSERT_GE(cases.size(), 40u);
    for (const selection_case& c : cases) {
        SCOPED_TRACE(describe(c));
        const proxy_environment env = proxy_environment::from(c.env);
        const auto r = proxy_for(c.url, c.config, env);
        if (c.err) {
            ASSERT_TRUE(r.has_error()) << r->explanation;
            EXPECT_EQ(r.error(), c.err) << r.error().message();
            continue;
        }
        ASSERT_TRUE(r.has_value()) << r.error().message();
        if (c.proxy.empty())
            EXPECT_FALSE(r->proxy.has_value()) << r->proxy->redacted();
        else
            EXPECT_EQ(r->proxy ? r->proxy->redacted() : std::string("direct"), c.proxy);
        EXPECT_NE(r->explanation.find(c.explanation), std::string::npos) << r->explanation;
    }
}

TEST(proxy_selection, explanation_never_shows_a_password) {
    const env_vars vars = {{"https_proxy", "http://alice:s3cr3t@p:3128"}, {"no_proxy", "internal"}};
    const proxy_environment env = proxy_environment::from(vars);
    for (const std::string_view url : {"wss://x.example", "wss://internal"}) {
        const auto r = proxy_for(url, {}, env);
        ASSERT_TRUE(r.has_value());
        EXPECT_EQ(r->explanation.find("s3cr3t"), std::string::npos) << r->explanation;
        EXPECT_NE(r->explanation.find("alice:***@"), std::string::npos) << r->explanation;
    }
    // The chosen proxy itself keeps the password: the connector needs it.
    EXPECT_EQ(proxy_for("wss://x.example", {}, env)->proxy->password, "s3cr3t");
}

TEST(proxy_selection, target_url_errors) {
    const proxy_environment env = proxy_environment::from(env_vars{http_p});
    const auto invalid = make_error_code(error::bad_url);
    EXPECT_EQ(proxy_for("ftp://x.example", {}, env).error(), make_error_code(error::unsupported_url_scheme));
    EXPECT_EQ(proxy_for("ws://:80", {}, env).error(), invalid);
    EXPECT_EQ(proxy_for("ws:///chat", {}, env).error(), invalid);
    EXPECT_EQ(proxy_for("ws://x.example:0", {}, env).error(), invalid);
    EXPECT_EQ(proxy_for("ws://x.example:65536", {}, env).error(), invalid);
    EXPECT_EQ(proxy_for("ws://[v1.x]/", {}, env).error(), invalid);
    EXPECT_EQ(proxy_for("not a url", {}, env).error(), invalid);
    EXPECT_EQ(proxy_for("", {}, env).error(), invalid);
    EXPECT_TRUE(proxy_for("", {}, env).error() == condition::invalid_url);
    // The target is checked even when the answer would be "direct".
    EXPECT_TRUE(proxy_for("ws://x.example:0", proxy_config{.direct = true}, env).has_error());
}

TEST(proxy_selection, environment_from_list_records_variable_names) {
    const env_vars vars = {{"HTTP_PROXY", "http://evil:1"}, {"HTTPS_PROXY", "http://s:1"},
                           {"all_proxy", "socks5://a"},      {"NO_PROXY", "localhost"},
                           {"ws_proxy", ""},                 {"WSS_PROXY", "http://w:1"}};
    const proxy_environment env = proxy_environment::from(vars);
    EXPECT_EQ(env.http_proxy, "");
    EXPECT_EQ(env.http_proxy_var, "");
    EXPECT_EQ(env.https_proxy, "http://s:1");
    EXPECT_EQ(env.https_proxy_var, "HTTPS_PROXY");
    EXPECT_EQ(env.all_proxy, "socks5://a");
    EXPECT_EQ(env.all_proxy_var, "all_proxy");
    EXPECT_EQ(env.no_proxy, "localhost");
    EXPECT_EQ(env.no_proxy_var, "NO_PROXY");
    EXPECT_EQ(env.ws_proxy, "");
    EXPECT_EQ(env.ws_proxy_var, "");
    EXPECT_EQ(env.wss_proxy, "http://w:1");
    EXPECT_EQ(env.wss_proxy_var, "WSS_PROXY");
}

TEST(proxy_selection, hand_built_environment_names_the_lower_case_variable) {
    proxy_environment env;
    env.https_proxy = "http://p:3128";
    const auto r = proxy_for("wss://x.example", {}, env);
    ASSERT_TRUE(r.has_value());
    EXPECT_NE(r->explanation.find("from https_proxy"), std::string::npos) << r->explanation;
}

namespace {

struct match_case {
    std::string_view list;
    std::string_view host;
    std::uint16_t port;
    bool expected;
};

constexpr match_case match_cases[] = {
    {"", "example.com", 80, false},
    {"*", "example.com", 80, true},
    {"*", "::1", 80, true},
    {"*.example.com", "a.example.com", 80, true},
    {"*.example.com", "example.com", 80, true},
    {"*.example.com", "badexample.com", 80, false},
    {"example.com", "EXAMPLE.com", 80, true},
    {"example.com", "xexample.com", 80, false},
    {"example.com", "com", 80, false},
    {"a.example.com", "example.com", 80, false},
    {".", "example.com", 80, false},
    {"example.com", "", 80, false},
    {"\texample.com\n", "example.com", 80, true},
    {"example.com:443", "example.com", 443, true},
    {"example.com:443", "example.com", 80, false},
    {"example.com:", "example.com", 80, false},
    {"example.com:x", "example.com", 80, false},
    {"example.com:0", "example.com", 0, false},
    {"example.com:70000", "example.com", 80, false},
    {"127.0.0.1", "127.0.0.1", 80, true},
    {"127.0.0.1", "127.0.0.2", 80, false},
    {"127.0.0.1", "localhost", 80, false},
    {"127.0.0.0/8", "127.255.1.2", 80, true},
    {"10.0.0.0/8:80", "10.9.9.9", 80, true},
    {"10.0.0.0/8:80", "10.9.9.9", 443, false},
    {"0.0.0.0/0", "203.0.113.9", 80, true},
    {"0.0.0.0/0", "::1", 80, false},
    {"10.0.0.0/33", "10.0.0.1", 80, false},
    {"10.0.0.0/x", "10.0.0.1", 80, false},
    {"example.com/8", "example.com", 80, false},
    {"172.16.0.0/12", "172.31.255.255", 80, true},
    {"172.16.0.0/12", "172.32.0.0", 80, false},
    {"::1", "[::1]", 80, true},
    {"[::1]", "::1", 80, true},
    {"[::1]", "::2", 80, false},
    {"[::1]:8443", "[::1]", 8443, true},
    {"[::1]/128", "::1", 80, true},
    {"[fe80::]/10:443", "fe80::9", 443, true},
    {"[10.0.0.1]", "10.0.0.1", 80, false},
    {"[::1", "::1", 80, false},
    {"::/0", "2001:db8::1", 80, true},
    {"::/0", "10.0.0.1", 80, false},
    {"2001:db8::/32", "2001:db8:ffff::1", 80, true},
    {"2001:db8::/32", "2001:db9::1", 80, false},
    {"2001:db8::/129", "2001:db8::1", 80, false},
    {"fe80::1%eth0", "fe80::1", 80, false},
    {"example.com", "example.com.", 80, true},
    {"10.0.0.1", "::ffff:10.0.0.1", 80, true},
};

} // namespace

TEST(proxy_selection, no_proxy_matches) {
    for (const auto& c : match_cases) {
        SCOPED_TRACE(std::string(c.list) + " vs " + std::string(c.host) + ":" + std::to_string(c.port));
        EXPECT_EQ(no_proxy_matches(c.list, c.host, c.port), c.expected);
    }
}

TEST(proxy_selection, find_no_proxy_entry_returns_the_entry_as_written) {
    const auto e = find_no_proxy_entry(" a.com , .Example.COM,other", "www.example.com", 80);
    ASSERT_TRUE(e.has_value());
    EXPECT_EQ(*e, ".Example.COM");
    EXPECT_FALSE(find_no_proxy_entry("a.com", "b.com", 80).has_value());
}

namespace {

// Saves the proxy variables of the process, clears them, and puts them back when destroyed.
class scoped_proxy_env {
public:
    scoped_proxy_env() {
        for (const char* name : names) {
            const char* v = std::getenv(name);
            saved_.emplace_back(name, v ? std::optional<std::string>(v) : std::nullopt);
            ::unsetenv(name);
        }
    }
    ~scoped_proxy_env() {
        for (const auto& [name, value] : saved_) {
            if (value)
                ::setenv(name, value->c_str(), 1);
            else
                ::unsetenv(name);
        }
    }
    scoped_proxy_env(const scoped_proxy_env&) = delete;
    scoped_proxy_env& operator=(const scoped_proxy_env&) = delete;

    static constexpr const char* names[] = {"ws_proxy",    "WS_PROXY",  "wss_proxy", "WSS_PROXY",
                                            "http_proxy",  "HTTP_PROXY", "https_proxy", "HTTPS_PROXY",
                                            "all_proxy",   "ALL_PROXY", "no_proxy",  "NO_PROXY"};

private:
    std::vector<std::pair<const char*, std::optional<std::string>>> saved_;
};

} // namespace

TEST(proxy_selection, from_process_reads_getenv) {
    const scoped_proxy_env guard;

    const proxy_environment empty = proxy_environment::from_process();
    EXPECT_EQ(empty.http_proxy, "");
    EXPECT_EQ(empty.https_proxy, "");
    EXPECT_EQ(empty.no_proxy, "");
    EXPECT_EQ(proxy_for("wss://x.example", {}, empty)->explanation,
              "wss://x.example:443 -> direct: no proxy configured");

    ::setenv("HTTP_PROXY", "http://evil:3128", 1);
    ::setenv("https_proxy", "", 1);
    ::setenv("HTTPS_PROXY", "http://upper:3128", 1);
    ::setenv("ALL_PROXY", "socks5h://all", 1);
    ::setenv("no_proxy", "internal.corp, 10.0.0.0/8", 1);
    ::setenv("NO_PROXY", "ignored.example", 1);
    ::setenv("wss_proxy", "http://wss:8080", 1);

    const proxy_environment env = proxy_environment::from_process();
    EXPECT_EQ(env.http_proxy, "");
    EXPECT_EQ(env.https_proxy, "http://upper:3128");
    EXPECT_EQ(env.https_proxy_var, "HTTPS_PROXY");
    EXPECT_EQ(env.all_proxy, "socks5h://all");
    EXPECT_EQ(env.all_proxy_var, "ALL_PROXY");
    EXPECT_EQ(env.no_proxy, "internal.corp, 10.0.0.0/8");
    EXPECT_EQ(env.no_proxy_var, "no_proxy");
    EXPECT_EQ(env.wss_proxy, "http://wss:8080");
    EXPECT_EQ(env.wss_proxy_var, "wss_proxy");

    EXPECT_EQ(proxy_for("ws://x.example", {}, env)->explanation,
              "ws://x.example:80 -> socks5h://all:1080 from ALL_PROXY");
    EXPECT_EQ(proxy_for("wss://x.example", {}, env)->explanation,
              "wss://x.example:443 -> http://wss:8080 from wss_proxy");
    EXPECT_EQ(proxy_for("https://x.example", {}, env)->proxy->authority(), "wss:8080");
    EXPECT_FALSE(proxy_for("wss://a.internal.corp", {}, env)->proxy.has_value());
    EXPECT_FALSE(proxy_for("ws://10.1.1.1", {}, env)->proxy.has_value());
    EXPECT_TRUE(proxy_for("ws://ignored.example", {}, env)->proxy.has_value());

    ::setenv("http_proxy", "http://lower:3128", 1);
    EXPECT_EQ(proxy_for("ws://x.example", {}, proxy_environment::from_process())->explanation,
              "ws://x.example:80 -> http://lower:3128 from http_proxy");
}
