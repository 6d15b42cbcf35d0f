// parse_proxy_url: tables of accepted and refused URLs, then the printing helpers (authority,
// redacted), with the rule that a password never reaches printed text.
#include <burrow/proxy/proxy_url.hpp>

#include <gtest/gtest.h>

#include <string>
#include <string_view>

using namespace burrow;
using namespace burrow::proxy;

namespace {

struct valid_case {
    std::string_view text;
    proxy_scheme scheme;
    std::string_view host;
    std::uint16_t port;
    std::string_view user;
    std::string_view password;
};

constexpr valid_case valid_cases[] = {
    {"http://proxy:3128", proxy_scheme::http, "proxy", 3128, "", ""},
    {"http://proxy", proxy_scheme::http, "proxy", 80, "", ""},
    {"https://proxy", proxy_scheme::https, "proxy", 443, "", ""},
    {"https://proxy:8443", proxy_scheme::https, "proxy", 8443, "", ""},
    {"socks5://proxy", proxy_scheme::socks5, "proxy", 1080, "", ""},
    {"socks5h://proxy:9050", proxy_scheme::socks5h, "proxy", 9050, "", ""},
    {"socks5h://proxy", proxy_scheme::socks5h, "proxy", 1080, "", ""},
    // No scheme: http, as curl and Python read it.
    {"proxy.corp:3128", proxy_scheme::http, "proxy.corp", 3128, "", ""},
    {"proxy.corp", proxy_scheme::http, "proxy.corp", 80, "", ""},
    {"localhost:3128", proxy_scheme::http, "localhost", 3128, "", ""},
    {"[2001:db8::1]:8080", proxy_scheme::http, "2001:db8::1", 8080, "", ""},
    {"alice:secret@proxy.corp:3128", proxy_scheme::http, "proxy.corp", 3128, "alice", "secret"},
    // Trailing slash, scheme in any case.
    {"http://proxy:3128/", proxy_scheme::http, "proxy", 3128, "", ""},
    {"HTTP://Proxy.Corp:3128", proxy_scheme::http, "Proxy.Corp", 3128, "", ""},
    {"SOCKS5H://proxy", proxy_scheme::socks5h, "proxy", 1080, "", ""},
    // IP literals.
    {"http://[::1]:3128", proxy_scheme::http, "::1", 3128, "", ""},
    {"socks5://[fe80::1]", proxy_scheme::socks5, "fe80::1", 1080, "", ""},
    {"http://10.0.0.1:8080", proxy_scheme::http, "10.0.0.1", 8080, "", ""},
    // Credentials, percent-decoded; '+' is not a space outside a query.
    {"http://al%40ice:p%3Ass@host", proxy_scheme::http, "host", 80, "al@ice", "p:ss"},
    {"http://alice:secret@proxy:3128", proxy_scheme::http, "proxy", 3128, "alice", "secret"},
    {"http://alice@proxy", proxy_scheme::http, "proxy", 80, "alice", ""},
    {"http://:secret@proxy", proxy_scheme::http, "proxy", 80, "", "secret"},
    {"https://user:@proxy", proxy_scheme::https, "proxy", 443, "user", ""},
    {"http://a+b:c%20d%25@proxy", proxy_scheme::http, "proxy", 80, "a+b", "c d%"},
    {"http://domain%5Cuser:pw@proxy", proxy_scheme::http, "proxy", 80, "domain\\user", "pw"},
    // Ports: empty means default (RFC 3986), leading zeros, the largest.
    {"http://proxy:", proxy_scheme::http, "proxy", 80, "", ""},
    {"http://proxy:03128", proxy_scheme::http, "proxy", 3128, "", ""},
    {"http://proxy:65535", proxy_scheme::http, "proxy", 65535, "", ""},
    {"http://proxy:1", proxy_scheme::http, "proxy", 1, "", ""},
};

struct invalid_case {
    std::string_view text;
    error expected;
};

constexpr invalid_case invalid_cases[] = {
    {"", error::proxy_bad_url},
    {"http://", error::proxy_bad_url},
    {"http://:3128", error::proxy_bad_url},
    {"http://alice@", error::proxy_bad_url},
    {"http://alice:pw@:3128", error::proxy_bad_url},
    {"://proxy", error::proxy_bad_url},
    {"http://proxy:0", error::proxy_bad_url},
    {"http://proxy:65536", error::proxy_bad_url},
    {"http://proxy:99999999999999999999", error::proxy_bad_url},
    {"http://proxy:abc", error::proxy_bad_url},
    {"http://proxy/path", error::proxy_bad_url},
    {"http://proxy:3128//", error::proxy_bad_url},
    {"http://proxy:3128/?x=1", error::proxy_bad_url},
    {"http://proxy?", error::proxy_bad_url},
    {"http://proxy#frag", error::proxy_bad_url},
    {"http://pro xy:3128", error::proxy_bad_url},
    {"http://[::1:3128", error::proxy_bad_url},
    {"http://[v1.future]", error::proxy_bad_url},
    {"http://pro%78y", error::proxy_bad_url},
    {"proxy.corp:3128/path", error::proxy_bad_url},
    {"ftp://proxy", error::proxy_unsupported_scheme},
    {"socks4://proxy:1080", error::proxy_unsupported_scheme},
    {"socks4a://proxy:1080", error::proxy_unsupported_scheme},
    {"socks://proxy:1080", error::proxy_unsupported_scheme},
    {"ws://proxy", error::proxy_unsupported_scheme},
};

} // namespace

TEST(proxy_url, valid_urls) {
    for (const auto& c : valid_cases) {
        SCOPED_TRACE(c.text);
        const auto r = parse_proxy_url(c.text);
        ASSERT_TRUE(r.has_value()) << r.error().message();
        EXPECT_EQ(r->scheme, c.scheme);
        EXPECT_EQ(r->host, c.host);
        EXPECT_EQ(r->port, c.port);
        EXPECT_EQ(r->user, c.user);
        EXPECT_EQ(r->password, c.password);
    }
}

TEST(proxy_url, invalid_urls) {
    for (const auto& c : invalid_cases) {
        SCOPED_TRACE(c.text);
        const auto r = parse_proxy_url(c.text);
        ASSERT_FALSE(r.has_value()) << r->redacted();
        EXPECT_EQ(r.error(), c.expected) << r.error().message();
    }
}

TEST(proxy_url, default_ports_follow_the_scheme) {
    EXPECT_EQ(default_port(proxy_scheme::http), 80);
    EXPECT_EQ(default_port(proxy_scheme::https), 443);
    EXPECT_EQ(default_port(proxy_scheme::socks5), 1080);
    EXPECT_EQ(default_port(proxy_scheme::socks5h), 1080);
    EXPECT_EQ(to_string(proxy_scheme::http), "http");
    EXPECT_EQ(to_string(proxy_scheme::https), "https");
    EXPECT_EQ(to_string(proxy_scheme::socks5), "socks5");
    EXPECT_EQ(to_string(proxy_scheme::socks5h), "socks5h");
}

TEST(proxy_url, has_credentials) {
    EXPECT_FALSE(parse_proxy_url("http://proxy")->has_credentials());
    EXPECT_FALSE(parse_proxy_url("http://@proxy")->has_credentials());
    EXPECT_TRUE(parse_proxy_url("http://alice@proxy")->has_credentials());
    EXPECT_TRUE(parse_proxy_url("http://:pw@proxy")->has_credentials());
    EXPECT_TRUE(parse_proxy_url("http://alice:pw@proxy")->has_credentials());
}

TEST(proxy_url, authority_brackets_ipv6) {
    EXPECT_EQ(parse_proxy_url("http://proxy:3128")->authority(), "proxy:3128");
    EXPECT_EQ(parse_proxy_url("http://proxy")->authority(), "proxy:80");
    EXPECT_EQ(parse_proxy_url("http://[::1]:3128")->authority(), "[::1]:3128");
    EXPECT_EQ(parse_proxy_url("socks5://[2001:db8::7]")->authority(), "[2001:db8::7]:1080");
    EXPECT_EQ(parse_proxy_url("http://10.1.2.3:8080")->authority(), "10.1.2.3:8080");
}

TEST(proxy_url, redacted_hides_the_password) {
    EXPECT_EQ(parse_proxy_url("http://alice:secret@proxy:3128")->redacted(), "http://alice:***@proxy:3128");
    EXPECT_EQ(parse_proxy_url("proxy.corp")->redacted(), "http://proxy.corp:80");
    EXPECT_EQ(parse_proxy_url("http://alice@proxy:3128")->redacted(), "http://alice@proxy:3128");
    EXPECT_EQ(parse_proxy_url("https://:pw@[::1]")->redacted(), "https://:***@[::1]:443");
    EXPECT_EQ(parse_proxy_url("socks5h://bob:x@proxy")->redacted(), "socks5h://bob:***@proxy:1080");

    // Whatever the password, neither it nor its encoded form is printed.
    constexpr std::string_view urls[] = {
        "http://alice:hunter2@proxy:3128",        "http://alice:p%3Ass@proxy",
        "http://alice:%E2%82%AC%2F%40@proxy",     "https://alice:proxy@proxy",
        "socks5://u:correct%20horse@[::1]:1080", "http://:onlypassword@proxy",
    };
    for (const std::string_view url : urls) {
        SCOPED_TRACE(url);
        const auto p = parse_proxy_url(url);
        ASSERT_TRUE(p.has_value());
        ASSERT_FALSE(p->password.empty());
        const std::string shown = p->redacted();
        const std::string_view encoded = url.substr(url.find(':', url.find("//")) + 1,
                                                    url.find('@') - url.find(':', url.find("//")) - 1);
        EXPECT_NE(shown.find(":***@"), std::string::npos) << shown;
        // "proxy" is both a password and the host in one case: look only before the '@'.
        const std::string userinfo = shown.substr(0, shown.find('@'));
        EXPECT_EQ(userinfo.find(p->password), std::string::npos) << shown;
        EXPECT_EQ(userinfo.find(encoded), std::string::npos) << shown;
    }
}

TEST(proxy_url, redacted_is_a_url_with_the_same_user) {
    // A user with reserved characters is encoded again, so the redacted text parses back.
    const auto p = parse_proxy_url("http://al%40ice%3Ax%2F:pw@proxy:3128");
    ASSERT_TRUE(p.has_value());
    EXPECT_EQ(p->user, "al@ice:x/");
    EXPECT_EQ(p->redacted(), "http://al%40ice%3Ax%2F:***@proxy:3128");
    const auto back = parse_proxy_url(p->redacted());
    ASSERT_TRUE(back.has_value());
    EXPECT_EQ(back->user, p->user);
    EXPECT_EQ(back->host, p->host);
    EXPECT_EQ(back->port, p->port);
    EXPECT_EQ(back->password, "***");
}

TEST(proxy_url, equality) {
    EXPECT_EQ(*parse_proxy_url("proxy:3128"), *parse_proxy_url("http://proxy:3128/"));
    EXPECT_NE(*parse_proxy_url("http://proxy:3128"), *parse_proxy_url("https://proxy:3128"));
}
