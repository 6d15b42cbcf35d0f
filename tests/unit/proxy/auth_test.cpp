// Proxy authentication: challenge parsing (real proxies' headers from proxy-recipes/captures.txt,
// RFC shapes, garbage), Basic and Digest values against the RFC worked examples, and the round
// logic of proxy_authenticator.
//
// Digest values not printed in an RFC were computed independently with Python's hashlib.
#include <burrow/error.hpp>
#include <burrow/proxy/auth.hpp>

#include <gtest/gtest.h>

#include <array>
#include <random>
#include <string>
#include <vector>

using namespace burrow;
using namespace burrow::proxy;

namespace {

using param_list = std::vector<std::pair<std::string, std::string>>;

auth_challenge make(std::string scheme, param_list params = {}, std::string token68 = {}) {
    auth_challenge c;
    c.scheme = std::move(scheme);
    c.token68 = std::move(token68);
    c.params = std::move(params);
    return c;
}

std::vector<auth_challenge> parse(std::initializer_list<std::string_view> values) {
    const std::vector<std::string_view> v(values);
    return parse_challenges(v);
}

boost::system::error_code challenge(proxy_authenticator& a, std::initializer_list<std::string_view> values) {
    const std::vector<std::string_view> v(values);
    return a.on_challenge(v);
}

// The value of `name` in a Proxy-Authorization Digest value, as written (quotes included).
std::string field(std::string_view header, std::string_view name) {
    const std::string key = std::string(name) + "=";
    std::size_t at = 0;
    for (;;) {
        at = header.find(key, at);
        if (at == std::string_view::npos)
            return "<absent>";
        if (at == 0 || header[at - 1] == ' ')
            break;
        at += key.size();
    }
    std::size_t start = at + key.size();
    std::size_t end = start;
    if (end < header.size() && header[end] == '"') {
        ++end;
        while (end < header.size() && header[end] != '"')
            end += header[end] == '\\' ? 2 : 1;
        ++end;
    } else {
        end = header.find(',', start);
        if (end == std::string_view::npos)
            end = header.size();
    }
    return std::string(header.substr(start, end - start));
}

const credentials alice{"alice", "s3cret"};

// RFC 7616 §3.9.1.
constexpr std::string_view rfc7616_nonce = "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v";
constexpr std::string_view rfc7616_opaque = "FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS";
constexpr std::string_view rfc7616_cnonce = "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ";
const std::string rfc7616_sha256 =
    R"(Digest realm="http-auth@example.org", qop="auth, auth-int", algorithm=SHA-256, )"
    R"(nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", )"
    R"(opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS")";
const std::string rfc7616_md5 =
    R"(Digest realm="http-auth@example.org", qop="auth, auth-int", algorithm=MD5, )"
    R"(nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", )"
    R"(opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS")";
const credentials mufasa{"Mufasa", "Circle of Life"};

// Apache's Digest 407 (captures.txt); its nonce contains '='.
constexpr std::string_view apache_digest =
    R"(Digest realm="apache-test", nonce="HnGRtSxhBgA=d563860f62cc146040786b62f87b6a2d7b322ac3", )"
    R"(algorithm=MD5, qop="auth")";

// The squid "multi" 407 (captures.txt): three fields, in config order.
constexpr std::array<std::string_view, 3> squid_multi = {
    "NTLM",
    R"(Digest realm="squid-test", nonce="6e10b38c6654de3146d697f7210f1033", qop="auth", stale=false)",
    R"(Basic realm="squid-test")",
};

} // namespace

// ---------------------------------------------------------------------------------------------
// Challenge parsing

TEST(auth_parse, squid_basic) {
    EXPECT_EQ(parse({R"(Basic realm="squid-test")"}), std::vector{make("basic", {{"realm", "squid-test"}})});
}

TEST(auth_parse, squid_digest) {
    const auto got = parse(
        {R"(Digest realm="squid-test", nonce="2d935ed535b1a723404ed13191ca52a3", qop="auth", stale=false)"});
    EXPECT_EQ(got, std::vector{make("digest", {{"realm", "squid-test"},
                                               {"nonce", "2d935ed535b1a723404ed13191ca52a3"},
                                               {"qop", "auth"},
                                               {"stale", "false"}})});
}

TEST(auth_parse, squid_ntlm_bare_and_token68) {
    EXPECT_EQ(parse({"NTLM"}), std::vector{make("ntlm")});
    EXPECT_EQ(parse({"NTLM TlRMTVNTUAACAAAACQAJAK6qqqoGgggAWfFInoHrzK0AAAAAAAA6AFdPUktHUk9VUA=="}),
              std::vector{
                  make("ntlm", {}, "TlRMTVNTUAACAAAACQAJAK6qqqoGgggAWfFInoHrzK0AAAAAAAA6AFdPUktHUk9VUA==")});
}

TEST(auth_parse, squid_negotiate) {
    EXPECT_EQ(parse({"Negotiate"}), std::vector{make("negotiate")});
}

TEST(auth_parse, squid_multi_three_fields) {
    const auto got = parse_challenges(squid_multi);
    ASSERT_EQ(got.size(), 3u);
    EXPECT_EQ(got[0], make("ntlm"));
    EXPECT_EQ(got[1].scheme, "digest");
    EXPECT_EQ(got[1].param("nonce"), "6e10b38c6654de3146d697f7210f1033");
    EXPECT_EQ(got[1].param("stale"), "false");
    EXPECT_EQ(got[2], make("basic", {{"realm", "squid-test"}}));
}

TEST(auth_parse, apache_basic_and_digest) {
    EXPECT_EQ(parse({R"(Basic realm="apache-test")"}),
              std::vector{make("basic", {{"realm", "apache-test"}})});
    // Apache's nonce contains '=': inside quotes it is data.
    const auto got = parse({apache_digest});
    EXPECT_EQ(got,
              std::vector{make("digest", {{"realm", "apache-test"},
                                          {"nonce", "HnGRtSxhBgA=d563860f62cc146040786b62f87b6a2d7b322ac3"},
                                          {"algorithm", "MD5"},
                                          {"qop", "auth"}})});
}

TEST(auth_parse, tinyproxy_and_proxy_chain) {
    // tinyproxy sends the same shape in Proxy-Authenticate and (its bug) WWW-Authenticate.
    EXPECT_EQ(parse({R"(Basic realm="Tinyproxy")"}), std::vector{make("basic", {{"realm", "Tinyproxy"}})});
    EXPECT_EQ(parse({R"(Basic realm="ProxyChain")"}), std::vector{make("basic", {{"realm", "ProxyChain"}})});
}

TEST(auth_parse, several_challenges_in_one_value_with_commas_in_quotes) {
    const auto got = parse({R"(Digest realm="a, b", nonce="x", Basic realm="y")"});
    EXPECT_EQ(got, (std::vector{make("digest", {{"realm", "a, b"}, {"nonce", "x"}}),
                                make("basic", {{"realm", "y"}})}));
}

TEST(auth_parse, rfc9110_example) {
    // RFC 9110 §11.6.1's example, with an escaped quote in a value.
    const auto got =
        parse({R"(Newauth realm="apps", type=1, title="Login to \"apps\"", Basic realm="simple")"});
    EXPECT_EQ(got, (std::vector{
                       make("newauth", {{"realm", "apps"}, {"type", "1"}, {"title", R"(Login to "apps")"}}),
                       make("basic", {{"realm", "simple"}})}));
}

TEST(auth_parse, escaped_quotes_and_backslashes) {
    const auto got = parse({R"(Basic realm="say \"hi\" \\ \there, ok")"});
    ASSERT_EQ(got.size(), 1u);
    EXPECT_EQ(got[0].param("realm"), R"(say "hi" \ there, ok)");
}

TEST(auth_parse, rfc7616_two_digest_fields) {
    const std::array<std::string_view, 2> fields = {rfc7616_sha256, rfc7616_md5};
    const auto got = parse_challenges(fields);
    ASSERT_EQ(got.size(), 2u);
    EXPECT_EQ(got[0].param("qop"), "auth, auth-int");
    EXPECT_EQ(got[0].param("algorithm"), "SHA-256");
    EXPECT_EQ(got[1].param("algorithm"), "MD5");
    EXPECT_EQ(got[1].param("opaque"), rfc7616_opaque);
}

TEST(auth_parse, empty_list_elements_and_whitespace) {
    const auto got = parse({R"( , ,Basic realm="x",, ,	Digest  nonce="n" ,  ,)", "", " ,, "});
    EXPECT_EQ(got, (std::vector{make("basic", {{"realm", "x"}}), make("digest", {{"nonce", "n"}})}));
}

TEST(auth_parse, bws_around_equals_and_token_values) {
    const auto got = parse({"Digest realm = \"x\" , nonce= y,algorithm =MD5-sess"});
    EXPECT_EQ(got, std::vector{make("digest", {{"realm", "x"}, {"nonce", "y"}, {"algorithm", "MD5-sess"}})});
}

TEST(auth_parse, case_is_folded_for_scheme_and_names_only) {
    const auto got = parse({R"(BASIC REALM="MiXeD")"});
    ASSERT_EQ(got.size(), 1u);
    EXPECT_EQ(got[0].scheme, "basic");
    EXPECT_EQ(got[0].params[0].first, "realm");
    EXPECT_EQ(got[0].param("Realm"), "MiXeD");
    EXPECT_EQ(got[0].param("nonce"), std::nullopt);
}

TEST(auth_parse, token68_then_another_challenge) {
    const auto got = parse({R"(Negotiate abc+/def==, Basic realm="x", NTLM)"});
    EXPECT_EQ(got, (std::vector{make("negotiate", {}, "abc+/def=="), make("basic", {{"realm", "x"}}),
                                make("ntlm")}));
}

TEST(auth_parse, bare_schemes_after_parameters) {
    const auto got = parse({R"(Basic realm="x", NTLM, Negotiate)"});
    EXPECT_EQ(got, (std::vector{make("basic", {{"realm", "x"}}), make("ntlm"), make("negotiate")}));
}

TEST(auth_parse, unknown_schemes_are_kept) {
    const auto got = parse({R"(Bearer realm="example", error="invalid_token", Mutual realm="m")"});
    EXPECT_EQ(got, (std::vector{make("bearer", {{"realm", "example"}, {"error", "invalid_token"}}),
                                make("mutual", {{"realm", "m"}})}));
}

TEST(auth_parse, repeated_parameter_keeps_both_and_first_wins) {
    const auto got = parse({R"(Digest nonce="a", nonce="b")"});
    ASSERT_EQ(got.size(), 1u);
    EXPECT_EQ(got[0].params.size(), 2u);
    EXPECT_EQ(got[0].param("nonce"), "a");
}

TEST(auth_parse, malformed_pieces_are_skipped) {
    // A parameter with no value is dropped; the rest survives.
    EXPECT_EQ(parse({R"(Basic realm=, charset="UTF-8")"}),
              std::vector{make("basic", {{"charset", "UTF-8"}})});
    // Junk after a value is skipped up to the comma.
    EXPECT_EQ(parse({R"(Basic realm="x" junk "y,z", Digest nonce="n")"}),
              (std::vector{make("basic", {{"realm", "x"}}), make("digest", {{"nonce", "n"}})}));
    // Orphan parameters and quoted strings where a scheme should be.
    EXPECT_EQ(parse({R"(realm="x", = "y", "quoted, text", Basic realm="z")"}),
              std::vector{make("basic", {{"realm", "z"}})});
    // A scheme glued to a quote is not a challenge.
    EXPECT_EQ(parse({R"(Basic"x", NTLM)"}), std::vector{make("ntlm")});
    // An unterminated quoted string swallows the rest of the value; the challenge keeps what came first.
    EXPECT_EQ(parse({R"(Digest nonce="n", realm="abc, Basic realm=y)"}),
              std::vector{make("digest", {{"nonce", "n"}})});
    // Other fields are unaffected.
    EXPECT_EQ(parse({R"(Digest realm="abc)", "Basic realm=\"ok\""}),
              (std::vector{make("digest"), make("basic", {{"realm", "ok"}})}));
    // Trailing backslash inside an unterminated string, and control bytes.
    EXPECT_EQ(parse({"Basic realm=\"x\\"}), std::vector{make("basic")});
    EXPECT_EQ(parse({std::string_view("\x01\x02\0\x7f", 4)}), std::vector<auth_challenge>{});
    EXPECT_EQ(parse({",,,", "", "   ", "\"", "=", "\\"}), std::vector<auth_challenge>{});
}

TEST(auth_parse, random_bytes_never_crash) {
    std::mt19937 gen(12345);
    const std::string_view alphabet = "Basic Digest realm=\"\\, \t=abc==NTLM\x01\xff";
    for (int round = 0; round < 20'000; ++round) {
        std::string s(gen() % 40, ' ');
        for (char& c : s)
            c = alphabet[gen() % alphabet.size()];
        const auto got = parse({s});
        for (const auto& c : got)
            ASSERT_FALSE(c.scheme.empty()) << s;
    }
}

// ---------------------------------------------------------------------------------------------
// Basic

TEST(auth_basic, header_values) {
    EXPECT_EQ(basic_authorization(alice), "Basic YWxpY2U6czNjcmV0"); // what curl sent to squid
    EXPECT_EQ(basic_authorization({"Aladdin", "open sesame"}),
              "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ=="); // RFC 7617 §2
    // RFC 7617 §2.1: UTF-8 bytes as given.
    EXPECT_EQ(basic_authorization({"test", "123\xC2\xA3"}), "Basic dGVzdDoxMjPCow==");
    EXPECT_EQ(basic_authorization({"", ""}), "Basic Og==");
}

// ---------------------------------------------------------------------------------------------
// Digest values

TEST(auth_digest, reads_challenges) {
    const auto d = parse_digest_challenge(parse({rfc7616_sha256})[0]);
    ASSERT_TRUE(d);
    EXPECT_EQ(d->realm, "http-auth@example.org");
    EXPECT_EQ(d->nonce, rfc7616_nonce);
    EXPECT_EQ(d->opaque, rfc7616_opaque);
    EXPECT_EQ(d->algorithm, "SHA-256");
    EXPECT_EQ(d->hash, digest_algorithm::sha256);
    EXPECT_TRUE(d->qop_auth);
    EXPECT_FALSE(d->stale);

    const auto plain = parse_digest_challenge(parse({R"(Digest realm="r", nonce="n", stale=TRUE)"})[0]);
    ASSERT_TRUE(plain);
    EXPECT_EQ(plain->hash, digest_algorithm::md5); // no algorithm: MD5
    EXPECT_EQ(plain->algorithm, std::nullopt);
    EXPECT_FALSE(plain->qop_auth); // no qop: RFC 2069
    EXPECT_TRUE(plain->stale);
    EXPECT_EQ(plain->opaque, std::nullopt);

    EXPECT_EQ(parse_digest_challenge(parse({R"(Digest realm="r", nonce="n", algorithm=md5-SESS)"})[0])->hash,
              digest_algorithm::md5_sess);
    EXPECT_EQ(parse_digest_challenge(parse({R"(Digest nonce="n", algorithm="SHA-256-sess")"})[0])->hash,
              digest_algorithm::sha256_sess);
}

TEST(auth_digest, rejects_unusable_challenges) {
    EXPECT_EQ(parse_digest_challenge(parse({R"(Basic realm="r")"})[0]), std::nullopt);
    EXPECT_EQ(parse_digest_challenge(parse({R"(Digest realm="r")"})[0]), std::nullopt); // no nonce
    EXPECT_EQ(parse_digest_challenge(parse({R"(Digest realm="r", nonce="")"})[0]),
              std::nullopt); // empty nonce
    EXPECT_EQ(parse_digest_challenge(parse({R"(Digest nonce="n", algorithm=SHA-512-256)"})[0]), std::nullopt);
    EXPECT_EQ(parse_digest_challenge(parse({R"(Digest nonce="n", algorithm=XYZ)"})[0]), std::nullopt);
    EXPECT_EQ(parse_digest_challenge(parse({R"(Digest nonce="n", qop="auth-int")"})[0]), std::nullopt);
    EXPECT_TRUE(parse_digest_challenge(parse({R"(Digest nonce="n", qop="auth-int,auth")"})[0]));
}

TEST(auth_digest, rfc7616_md5_example) {
    const auto d = parse_digest_challenge(parse({rfc7616_md5})[0]);
    ASSERT_TRUE(d);
    const std::string h = digest_authorization(*d, mufasa, "GET", "/dir/index.html", 1, rfc7616_cnonce);
    EXPECT_EQ(field(h, "response"), "\"8ca523f5e9506fed4657c9700eebdbec\"");
    EXPECT_EQ(
        h,
        R"(Digest username="Mufasa", realm="http-auth@example.org", uri="/dir/index.html", algorithm=MD5, )"
        R"(nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", nc=00000001, )"
        R"(cnonce="f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ", qop=auth, )"
        R"(response="8ca523f5e9506fed4657c9700eebdbec", )"
        R"(opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS")");
}

TEST(auth_digest, rfc7616_sha256_example) {
    const auto d = parse_digest_challenge(parse({rfc7616_sha256})[0]);
    ASSERT_TRUE(d);
    const std::string h = digest_authorization(*d, mufasa, "GET", "/dir/index.html", 1, rfc7616_cnonce);
    EXPECT_EQ(field(h, "response"), "\"753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1\"");
    EXPECT_EQ(field(h, "algorithm"), "SHA-256");
    EXPECT_EQ(field(h, "qop"), "auth");
    EXPECT_EQ(field(h, "nc"), "00000001");
    EXPECT_EQ(field(h, "opaque"), "\"FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS\"");
}

TEST(auth_digest, rfc2617_example) {
    const auto d = parse_digest_challenge(parse({R"(Digest realm="testrealm@host.com", qop="auth,auth-int", )"
                                                 R"(nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", )"
                                                 R"(opaque="5ccc069c403ebaf9f0171e9517f40e41")"})[0]);
    ASSERT_TRUE(d);
    const std::string h =
        digest_authorization(*d, {"Mufasa", "Circle Of Life"}, "GET", "/dir/index.html", 1, "0a4f113b");
    EXPECT_EQ(field(h, "response"), "\"6629fae49393a05397450978507c4ef1\"");
    EXPECT_EQ(field(h, "algorithm"), "<absent>"); // not sent by the server, not echoed
    EXPECT_EQ(field(h, "opaque"), "\"5ccc069c403ebaf9f0171e9517f40e41\"");
}

TEST(auth_digest, rfc2069_compatibility_without_qop) {
    // RFC 2069 §2.4's inputs; its printed response is a known erratum, this is the correct value.
    const auto d = parse_digest_challenge(parse({R"(Digest realm="testrealm@host.com", )"
                                                 R"(nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093")"})[0]);
    ASSERT_TRUE(d);
    const std::string h =
        digest_authorization(*d, {"Mufasa", "CircleOfLife"}, "GET", "/dir/index.html", 1, "ignored");
    EXPECT_EQ(h,
              R"(Digest username="Mufasa", realm="testrealm@host.com", uri="/dir/index.html", )"
              R"(nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", response="1949323746fe6a43ef61f9606e7febea")");
}

TEST(auth_digest, sess_algorithms) {
    auto d = parse_digest_challenge(
        parse({R"(Digest realm="squid-test", nonce="abc", qop="auth", algorithm=MD5-sess)"})[0]);
    ASSERT_TRUE(d);
    std::string h = digest_authorization(*d, alice, "CONNECT", "127.0.0.1:8080", 1, "0123456789abcdef");
    EXPECT_EQ(field(h, "response"), "\"7a5b87cc6b53bbdeadd2812e87f0bdda\"");
    EXPECT_EQ(field(h, "algorithm"), "MD5-sess");

    d = parse_digest_challenge(
        parse({R"(Digest realm="squid-test", nonce="abc", qop="auth", algorithm=SHA-256-sess)"})[0]);
    ASSERT_TRUE(d);
    h = digest_authorization(*d, alice, "CONNECT", "127.0.0.1:8080", 2, "0123456789abcdef");
    EXPECT_EQ(field(h, "response"), "\"df0c0d8ba2001fae1a0ae41fff91a33dd292d8cbcab2a1d7f7bb8ff20edd5007\"");
    EXPECT_EQ(field(h, "nc"), "00000002");
}

TEST(auth_digest, quotes_and_backslashes_in_values_are_escaped) {
    const auto d = parse_digest_challenge(parse({R"(Digest realm="r", nonce="n", qop=auth)"})[0]);
    ASSERT_TRUE(d);
    const std::string h = digest_authorization(*d, {"a\"b\\c", "pw"}, "CONNECT", "h:1", 1, "cn");
    EXPECT_EQ(field(h, "username"), R"("a\"b\\c")");
    EXPECT_EQ(field(h, "response"), "\"bcf2ac4f9859316ea402c2de2608e240\""); // hashed unescaped
    EXPECT_EQ(field(h, "uri"), "\"h:1\"");
}

TEST(auth_digest, nonce_count_is_eight_hex_digits) {
    const auto d = parse_digest_challenge(parse({R"(Digest nonce="n", qop="auth")"})[0]);
    ASSERT_TRUE(d);
    EXPECT_EQ(field(digest_authorization(*d, alice, "CONNECT", "h:1", 0x1a, "c"), "nc"), "0000001a");
    EXPECT_EQ(field(digest_authorization(*d, alice, "CONNECT", "h:1", 0xffffffffu, "c"), "nc"), "ffffffff");
}

// ---------------------------------------------------------------------------------------------
// proxy_authenticator: scheme choice

TEST(auth_authenticator, no_credentials_means_required) {
    proxy_authenticator a{std::nullopt};
    EXPECT_EQ(a.initial_authorization("CONNECT", "h:1"), std::nullopt);
    EXPECT_EQ(challenge(a, {R"(Basic realm="x")"}), error::proxy_auth_required);
    EXPECT_EQ(challenge(a, {"NTLM"}), error::proxy_auth_required);
    EXPECT_EQ(a.authorization("CONNECT", "h:1"), "");
    EXPECT_EQ(a.scheme(), "");
}

TEST(auth_authenticator, nothing_supported) {
    proxy_authenticator a{alice};
    EXPECT_EQ(challenge(a, {"NTLM", "Negotiate"}), error::proxy_auth_unsupported);
    EXPECT_EQ(challenge(a, {}), error::proxy_auth_unsupported);
    EXPECT_EQ(challenge(a, {"garbage \"", R"(Digest realm="no nonce")",
                            R"(Digest nonce="n", algorithm=SHA-512-256)"}),
              error::proxy_auth_unsupported);
    EXPECT_EQ(a.scheme(), "");
    EXPECT_EQ(a.authorization("CONNECT", "h:1"), "");
}

TEST(auth_authenticator, preference_order) {
    const auto pick = [](std::initializer_list<std::string_view> values) {
        proxy_authenticator a{alice};
        a.set_fixed_cnonce("c");
        EXPECT_FALSE(challenge(a, values));
        return std::string(a.scheme()) + " " + field(a.authorization("CONNECT", "h:1"), "algorithm");
    };
    // Digest SHA-256 > Digest MD5 > Basic, whatever the order offered.
    EXPECT_EQ(
        pick({R"(Basic realm="r", Digest nonce="m", algorithm=MD5, Digest nonce="s", algorithm=SHA-256)"}),
        "digest SHA-256");
    EXPECT_EQ(
        pick({R"(Digest nonce="s", algorithm=SHA-256-sess)", R"(Digest nonce="m")", R"(Basic realm="r")"}),
        "digest SHA-256-sess");
    EXPECT_EQ(pick({R"(Basic realm="r")", R"(Digest nonce="m", algorithm=MD5-sess)"}), "digest MD5-sess");
    EXPECT_EQ(pick({R"(Basic realm="r")", R"(Digest nonce="m")"}), "digest <absent>");
    // Equal rank: the first offered.
    EXPECT_EQ(pick({R"(Digest nonce="a", algorithm=SHA-256-sess, Digest nonce="b", algorithm=SHA-256)"}),
              "digest SHA-256-sess");
    // Unusable Digest variants fall back to Basic; NTLM/Negotiate/unknown are skipped.
    EXPECT_EQ(pick({"NTLM", "Negotiate", R"(Basic realm="r")"}), "basic <absent>");
    EXPECT_EQ(pick({R"(Digest nonce="n", qop="auth-int", Basic realm="r")"}), "basic <absent>");
    EXPECT_EQ(pick({R"(Digest nonce="n", algorithm=SHA-512-256, Bearer x=y, Basic realm="r")"}),
              "basic <absent>");
}

TEST(auth_authenticator, squid_multi_picks_digest) {
    proxy_authenticator a{alice};
    a.set_fixed_cnonce("0123456789abcdef");
    ASSERT_FALSE(a.on_challenge(squid_multi));
    EXPECT_EQ(a.scheme(), "digest");
    a.authorization("CONNECT", "127.0.0.1:8080");
    const std::string h = a.authorization("CONNECT", "127.0.0.1:8080");
    EXPECT_EQ(field(h, "realm"), "\"squid-test\"");
    EXPECT_EQ(field(h, "uri"), "\"127.0.0.1:8080\"");
    EXPECT_EQ(field(h, "nc"), "00000002");
    EXPECT_EQ(field(h, "response"), "\"a7fef8cc1b34ec9970fc20ce5497f4cf\"");
}

TEST(auth_authenticator, apache_digest_echoes_algorithm) {
    proxy_authenticator a{alice};
    ASSERT_FALSE(challenge(a, {apache_digest}));
    const std::string h = a.authorization("CONNECT", "127.0.0.1:33315");
    EXPECT_EQ(field(h, "algorithm"), "MD5");
    EXPECT_EQ(field(h, "nonce"), "\"HnGRtSxhBgA=d563860f62cc146040786b62f87b6a2d7b322ac3\"");
    EXPECT_EQ(field(h, "opaque"), "<absent>");
}

TEST(auth_authenticator, rfc7616_examples_through_the_authenticator) {
    {
        proxy_authenticator a{mufasa};
        a.set_fixed_cnonce(std::string(rfc7616_cnonce));
        const std::array<std::string_view, 2> fields = {rfc7616_md5, rfc7616_sha256}; // SHA-256 still wins
        ASSERT_FALSE(a.on_challenge(fields));
        EXPECT_EQ(field(a.authorization("GET", "/dir/index.html"), "response"),
                  "\"753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1\"");
    }
    {
        proxy_authenticator a{mufasa};
        a.set_fixed_cnonce(std::string(rfc7616_cnonce));
        ASSERT_FALSE(challenge(a, {rfc7616_md5}));
        EXPECT_EQ(field(a.authorization("GET", "/dir/index.html"), "response"),
                  "\"8ca523f5e9506fed4657c9700eebdbec\"");
    }
}

// ---------------------------------------------------------------------------------------------
// proxy_authenticator: rounds

TEST(auth_authenticator, basic_round_then_rejection) {
    proxy_authenticator a{alice};
    EXPECT_EQ(a.initial_authorization("CONNECT", "h:1"), std::nullopt); // not pre-emptive
    ASSERT_FALSE(challenge(a, {R"(Basic realm="squid-test")"}));
    EXPECT_EQ(a.scheme(), "basic");
    EXPECT_EQ(a.authorization("CONNECT", "h:1"), "Basic YWxpY2U6czNjcmV0");
    // The proxy asks again: the credentials were wrong.
    EXPECT_EQ(challenge(a, {R"(Basic realm="squid-test")"}), error::proxy_auth_failed);
}

TEST(auth_authenticator, challenge_before_sending_is_not_a_rejection) {
    // Two 407s before any header was produced (e.g. a reconnect): nothing was rejected yet.
    proxy_authenticator a{alice};
    ASSERT_FALSE(challenge(a, {R"(Basic realm="r")"}));
    ASSERT_FALSE(challenge(a, {R"(Basic realm="r")"}));
    EXPECT_EQ(a.authorization("CONNECT", "h:1"), "Basic YWxpY2U6czNjcmV0");
}

TEST(auth_authenticator, preemptive_basic) {
    proxy_authenticator a{alice, true};
    EXPECT_EQ(a.initial_authorization("CONNECT", "h:1"), "Basic YWxpY2U6czNjcmV0");
    EXPECT_EQ(a.scheme(), "basic");
    EXPECT_EQ(challenge(a, {R"(Basic realm="r")"}), error::proxy_auth_failed);

    // Pre-emptive Basic refused in favour of Digest: answer with Digest.
    proxy_authenticator b{alice, true};
    ASSERT_TRUE(b.initial_authorization("CONNECT", "h:1"));
    ASSERT_FALSE(challenge(b, {R"(Digest realm="r", nonce="n", qop="auth")"}));
    EXPECT_EQ(b.scheme(), "digest");

    proxy_authenticator none{std::nullopt, true};
    EXPECT_EQ(none.initial_authorization("CONNECT", "h:1"), std::nullopt);
}

TEST(auth_authenticator, digest_rejection_after_second_challenge) {
    proxy_authenticator a{alice};
    ASSERT_FALSE(challenge(a, {R"(Digest realm="r", nonce="n1", qop="auth", stale=false)"}));
    EXPECT_FALSE(a.authorization("CONNECT", "h:1").empty());
    EXPECT_EQ(challenge(a, {R"(Digest realm="r", nonce="n2", qop="auth", stale=false)"}),
              error::proxy_auth_failed);
}

TEST(auth_authenticator, nonce_count_increments_per_request) {
    proxy_authenticator a{alice};
    a.set_fixed_cnonce("c");
    ASSERT_FALSE(challenge(a, {R"(Digest realm="r", nonce="n1", qop="auth")"}));
    EXPECT_EQ(a.nonce_count(), 0u);
    EXPECT_EQ(field(a.authorization("CONNECT", "h:1"), "nc"), "00000001");
    EXPECT_EQ(field(a.authorization("CONNECT", "h:1"), "nc"), "00000002");
    EXPECT_EQ(field(a.authorization("CONNECT", "h:1"), "nc"), "00000003");
    EXPECT_EQ(a.nonce_count(), 3u);
}

TEST(auth_authenticator, stale_nonce_is_retried_with_the_new_nonce) {
    proxy_authenticator a{alice};
    a.set_fixed_cnonce("c");
    ASSERT_FALSE(challenge(a, {R"(Digest realm="r", nonce="n1", qop="auth")"}));
    a.authorization("CONNECT", "h:1");
    a.authorization("CONNECT", "h:1");
    ASSERT_FALSE(challenge(a, {R"(Digest realm="r", nonce="n2", qop="auth", stale=true)"}));
    const std::string h = a.authorization("CONNECT", "h:1");
    EXPECT_EQ(field(h, "nonce"), "\"n2\"");
    EXPECT_EQ(field(h, "nc"), "00000001"); // a new nonce counts from 1 again
    // Not stale this time: rejected.
    EXPECT_EQ(challenge(a, {R"(Digest realm="r", nonce="n3", qop="auth", stale=false)"}),
              error::proxy_auth_failed);
}

TEST(auth_authenticator, stale_with_the_same_nonce_is_a_rejection) {
    proxy_authenticator a{alice};
    ASSERT_FALSE(challenge(a, {R"(Digest realm="r", nonce="n1", qop="auth")"}));
    a.authorization("CONNECT", "h:1");
    EXPECT_EQ(challenge(a, {R"(Digest realm="r", nonce="n1", qop="auth", stale=true)"}),
              error::proxy_auth_failed);
}

TEST(auth_authenticator, endless_stale_rounds_end) {
    proxy_authenticator a{alice};
    ASSERT_FALSE(challenge(a, {R"(Digest realm="r", nonce="n0", qop="auth")"}));
    a.authorization("CONNECT", "h:1");
    int accepted = 0;
    for (int i = 1; i <= 10; ++i) {
        const std::string value =
            R"(Digest realm="r", qop="auth", stale=true, nonce="n)" + std::to_string(i) + "\"";
        if (challenge(a, {value}))
            break;
        ++accepted;
        a.authorization("CONNECT", "h:1");
    }
    EXPECT_EQ(accepted, proxy_authenticator::max_stale_retries);
}

TEST(auth_authenticator, random_cnonce_is_fresh_per_request) {
    proxy_authenticator a{alice};
    ASSERT_FALSE(challenge(a, {R"(Digest realm="r", nonce="n", qop="auth")"}));
    const std::string c1 = field(a.authorization("CONNECT", "h:1"), "cnonce");
    const std::string c2 = field(a.authorization("CONNECT", "h:1"), "cnonce");
    EXPECT_EQ(c1.size(), 34u); // 32 hex digits in quotes
    EXPECT_NE(c1, c2);
    // A fixed cnonce, then back to random.
    a.set_fixed_cnonce("fixed");
    EXPECT_EQ(field(a.authorization("CONNECT", "h:1"), "cnonce"), "\"fixed\"");
    a.set_fixed_cnonce("");
    EXPECT_EQ(field(a.authorization("CONNECT", "h:1"), "cnonce").size(), 34u);
}

TEST(auth_authenticator, digest_then_basic_only_offer) {
    // A proxy that drops Digest for Basic after our Digest answer: Basic was not tried yet.
    proxy_authenticator a{alice};
    ASSERT_FALSE(challenge(a, {R"(Digest nonce="n", qop="auth", Basic realm="r")"}));
    a.authorization("CONNECT", "h:1");
    ASSERT_FALSE(challenge(a, {R"(Basic realm="r")"}));
    EXPECT_EQ(a.scheme(), "basic");
    a.authorization("CONNECT", "h:1");
    EXPECT_EQ(challenge(a, {R"(Digest nonce="n2", qop="auth", Basic realm="r")"}), error::proxy_auth_failed);
}
