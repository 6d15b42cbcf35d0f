#include <burrow/http/head_parser.hpp>

#include <gtest/gtest.h>

#include <array>
#include <string>
#include <vector>

using namespace burrow;
using namespace burrow::http;

namespace {

struct captured {
    const char* name;
    std::string_view bytes;
};

// sizeof-based views keep embedded NULs of the non-HTTP captures.
#define BURROW_CAPTURE(name, text) captured{name, std::string_view(text, sizeof(text) - 1)}
const captured captures[] = {
#define ROW(name, text) BURROW_CAPTURE(name, text)
#include "../data/captured_proxy_replies.inc"
#undef ROW
};

struct outcome {
    head_status status;
    std::size_t size = 0;
    error err{};
    unsigned status_code = 0;
    unsigned version_minor = 0;
    std::vector<std::pair<std::string, std::string>> headers;

    friend bool operator==(const outcome&, const outcome&) = default;
};

outcome describe(head_parse_result r, const head& h) {
    outcome o{r.status, r.size, r.err};
    if (r.status == head_status::complete) {
        o.status_code = h.status;
        o.version_minor = h.version_minor;
        for (const auto& x : h.headers)
            o.headers.emplace_back(x.name, x.value);
    }
    return o;
}

// Feeds `input` growing by the given cut points, the way a socket delivers it; returns the first
// non-need_more result (or the last one), and how many bytes had arrived then.
outcome feed(std::string_view input, const std::vector<std::size_t>& cuts, head_kind kind = head_kind::response,
             head_limits limits = {}, std::size_t* arrived = nullptr) {
    head_parser parser(kind, limits);
    std::array<header, 64> storage;
    head h;
    head_parse_result r{head_status::need_more};
    std::vector<std::size_t> ends = cuts;
    ends.push_back(input.size());
    for (std::size_t end : ends) {
        r = parser.parse(std::span(input.data(), std::min(end, input.size())), storage, h);
        if (arrived)
            *arrived = end;
        if (r.status != head_status::need_more)
            break;
    }
    return describe(r, h);
}

outcome parse_whole(std::string_view input, head_kind kind = head_kind::response, head_limits limits = {}) {
    return feed(input, {}, kind, limits);
}

// Same outcome whole, byte by byte, and split in two at every offset.
outcome expect_any_chunking(std::string_view input, head_kind kind = head_kind::response) {
    const outcome whole = parse_whole(input, kind);
    std::vector<std::size_t> bytewise;
    for (std::size_t i = 1; i < input.size(); ++i)
        bytewise.push_back(i);
    EXPECT_EQ(feed(input, bytewise, kind), whole) << "byte by byte";
    for (std::size_t cut = 1; cut < input.size(); ++cut)
        EXPECT_EQ(feed(input, {cut}, kind), whole) << "split at " << cut;
    return whole;
}

error error_of(std::string_view input, head_kind kind = head_kind::response) {
    const auto o = expect_any_chunking(input, kind);
    EXPECT_EQ(o.status, head_status::error) << input;
    return o.err;
}

} // namespace

TEST(head_parser, every_captured_proxy_reply) {
    ASSERT_GE(std::size(captures), 35u);
    for (const auto& c : captures) {
        SCOPED_TRACE(c.name);
        const outcome o = expect_any_chunking(c.bytes);
        if (c.bytes.empty()) {
            EXPECT_EQ(o.status, head_status::need_more);  // the proxy closed without a byte
        } else if (c.bytes.substr(0, 5) != "HTTP/") {
            EXPECT_EQ(o.status, head_status::error);      // a TLS alert from a TLS-only port
            EXPECT_EQ(o.err, error::http_bad_start_line);
        } else {
            ASSERT_EQ(o.status, head_status::complete);
            EXPECT_EQ(o.size, c.bytes.size());
            EXPECT_EQ(std::to_string(o.status_code), std::string(c.bytes.substr(9, 3)));
            EXPECT_EQ(o.version_minor, c.bytes[7] == '1' ? 1u : 0u);
        }
    }
}

TEST(head_parser, bytes_after_the_head_are_not_consumed) {
    for (const auto& c : captures) {
        if (c.bytes.substr(0, 5) != "HTTP/")
            continue;
        const std::string with_tunnel = std::string(c.bytes) + "\x81\x05Hello, then more tunnel bytes\r\n\r\n";
        const outcome o = parse_whole(with_tunnel);
        ASSERT_EQ(o.status, head_status::complete) << c.name;
        EXPECT_EQ(o.size, c.bytes.size()) << c.name;
    }
}

TEST(head_parser, squid_407_headers) {
    const captured* squid = nullptr;
    for (const auto& c : captures)
        if (std::string_view(c.name) == "squid multi / no credentials")
            squid = &c;
    ASSERT_NE(squid, nullptr);
    head_parser parser(head_kind::response);
    std::array<header, 64> storage;
    head h;
    ASSERT_EQ(parser.parse(std::span(squid->bytes.data(), squid->bytes.size()), storage, h).status,
              head_status::complete);
    EXPECT_EQ(h.status, 407u);
    EXPECT_EQ(h.reason, "Proxy Authentication Required");
    EXPECT_EQ(h.count("proxy-authenticate"), 3u);
    std::vector<std::string_view> challenges;
    h.for_each("Proxy-Authenticate", [&](std::string_view v) { challenges.push_back(v); });
    ASSERT_EQ(challenges.size(), 3u);
    EXPECT_EQ(challenges[0], "NTLM");
    EXPECT_EQ(challenges[2], "Basic realm=\"squid-test\"");
    EXPECT_EQ(h.find("VIA").value_or(""), "1.1 squid-test (squid/5.7)");
    EXPECT_TRUE(h.has_token("connection", "Keep-Alive"));
    EXPECT_EQ(h.find("Content-Length").value_or(""), "3053");
}

TEST(head_parser, minimal_and_unusual_status_lines) {
    auto o = expect_any_chunking("HTTP/1.0 200\r\n\r\n");
    EXPECT_EQ(o.status, head_status::complete);
    EXPECT_EQ(o.status_code, 200u);
    EXPECT_EQ(o.version_minor, 0u);
    EXPECT_EQ(expect_any_chunking("HTTP/1.1 200 \r\n\r\n").status_code, 200u);
    EXPECT_EQ(expect_any_chunking("HTTP/1.1 204 No Content\r\n\r\n").status_code, 204u);
    EXPECT_EQ(expect_any_chunking("HTTP/1.1 299 Whatever \xe9t\xe9\r\n\r\n").status_code, 299u);
    EXPECT_EQ(expect_any_chunking("HTTP/1.0 500 handshakefailed\r\nVia: 1.0 gateway\r\n\r\n").status_code, 500u);
    // Bare LF line ends are accepted (RFC 9112 §2.2).
    o = expect_any_chunking("HTTP/1.1 200 OK\nX-A: 1\n\n");
    EXPECT_EQ(o.status, head_status::complete);
    EXPECT_EQ(o.size, 24u);
    EXPECT_EQ(o.headers.size(), 1u);
}

TEST(head_parser, reason_phrase_is_kept) {
    head_parser parser(head_kind::response);
    std::array<header, 4> storage;
    head h;
    const std::string_view in = "HTTP/1.1 407 Proxy Authentication Required\r\n\r\n";
    ASSERT_EQ(parser.parse(std::span(in.data(), in.size()), storage, h).status, head_status::complete);
    EXPECT_EQ(h.reason, "Proxy Authentication Required");
    EXPECT_EQ(h.start_line, "HTTP/1.1 407 Proxy Authentication Required");
}

TEST(head_parser, header_values_are_trimmed_and_names_case_insensitive) {
    const auto o = expect_any_chunking("HTTP/1.1 200 OK\r\nX-Empty:\r\ncontent-LENGTH:   12 \t\r\nA:b\r\n\r\n");
    ASSERT_EQ(o.status, head_status::complete);
    ASSERT_EQ(o.headers.size(), 3u);
    EXPECT_EQ(o.headers[0].second, "");
    EXPECT_EQ(o.headers[1].second, "12");
    EXPECT_EQ(o.headers[2].second, "b");
}

TEST(head_parser, comma_lists_across_repeated_headers) {
    head_parser parser(head_kind::response);
    std::array<header, 8> storage;
    head h;
    const std::string_view in =
        "HTTP/1.1 101 Switching Protocols\r\nConnection: keep-alive\r\nconnection:  Foo , Upgrade\r\n"
        "Upgrade: websocket\r\n\r\n";
    ASSERT_EQ(parser.parse(std::span(in.data(), in.size()), storage, h).status, head_status::complete);
    EXPECT_TRUE(h.has_token("Connection", "upgrade"));
    EXPECT_TRUE(h.has_token("Connection", "KEEP-ALIVE"));
    EXPECT_FALSE(h.has_token("Connection", "close"));
    EXPECT_FALSE(h.has_token("Connection", "Upgrad"));
    EXPECT_EQ(h.count("connection"), 2u);
    EXPECT_FALSE(h.find("Sec-WebSocket-Accept").has_value());
}

TEST(head_parser, non_http_bytes_fail_at_once) {
    std::size_t arrived = 0;
    std::vector<std::size_t> bytewise{1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
    // A TLS handshake record: a TLS proxy answered a plain CONNECT, or the reverse.
    auto o = feed(std::string_view("\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03", 11), bytewise,
                  head_kind::response, {}, &arrived);
    EXPECT_EQ(o.err, error::http_bad_start_line);
    EXPECT_EQ(arrived, 1u);
    o = feed("SSH-2.0-OpenSSH_9.2\r\n", bytewise, head_kind::response, {}, &arrived);
    EXPECT_EQ(o.err, error::http_bad_start_line);
    EXPECT_EQ(arrived, 1u);
    o = feed("HTTP/2 200\r\n\r\n", bytewise, head_kind::response, {}, &arrived);
    EXPECT_EQ(o.err, error::http_bad_version);
    EXPECT_EQ(arrived, 6u);
    EXPECT_EQ(error_of("<html>hello</html>\r\n\r\n"), error::http_bad_start_line);
    EXPECT_EQ(error_of("\r\nHTTP/1.1 200 OK\r\n\r\n"), error::http_bad_start_line);
}

TEST(head_parser, bad_versions) {
    EXPECT_EQ(error_of("HTTP/1.2 200 OK\r\n\r\n"), error::http_bad_version);
    EXPECT_EQ(error_of("HTTP/2.0 200 OK\r\n\r\n"), error::http_bad_version);
    EXPECT_EQ(error_of("HTTP/0.9 200 OK\r\n\r\n"), error::http_bad_version);
    EXPECT_EQ(error_of("HTTP/1.10 200 OK\r\n\r\n"), error::http_bad_start_line);
}

TEST(head_parser, bad_status_lines) {
    EXPECT_EQ(error_of("HTTP/1.1 20 OK\r\n\r\n"), error::http_bad_start_line);
    EXPECT_EQ(error_of("HTTP/1.1 2000 OK\r\n\r\n"), error::http_bad_start_line);
    EXPECT_EQ(error_of("HTTP/1.1 2x0 OK\r\n\r\n"), error::http_bad_start_line);
    EXPECT_EQ(error_of("HTTP/1.1 099 Low\r\n\r\n"), error::http_bad_start_line);
    EXPECT_EQ(error_of("HTTP/1.1  200 OK\r\n\r\n"), error::http_bad_start_line);
    EXPECT_EQ(error_of("HTTP/1.1\r\n\r\n"), error::http_bad_start_line);
    EXPECT_EQ(error_of("HTTP/1.1 200 O\x01K\r\n\r\n"), error::http_bad_start_line);
}

TEST(head_parser, bad_header_lines) {
    EXPECT_EQ(error_of("HTTP/1.1 200 OK\r\nNo colon here\r\n\r\n"), error::http_bad_header);
    EXPECT_EQ(error_of("HTTP/1.1 200 OK\r\n: empty name\r\n\r\n"), error::http_bad_header);
    EXPECT_EQ(error_of("HTTP/1.1 200 OK\r\nName : space before colon\r\n\r\n"), error::http_bad_header);
    EXPECT_EQ(error_of("HTTP/1.1 200 OK\r\nBad\"Name: x\r\n\r\n"), error::http_bad_header);
    EXPECT_EQ(error_of("HTTP/1.1 200 OK\r\nX: a\x01z\r\n\r\n"), error::http_bad_header);
    constexpr char with_nul[] = "HTTP/1.1 200 OK\r\nX: a\0z\r\n\r\n";
    EXPECT_EQ(error_of(std::string_view(with_nul, sizeof with_nul - 1)), error::http_bad_header);
    EXPECT_EQ(error_of("HTTP/1.1 200 OK\r\nX: a\rz\r\n\r\n"), error::http_bad_header);
    EXPECT_EQ(error_of("HTTP/1.1 200 OK\r\nX: a\x7fz\r\n\r\n"), error::http_bad_header);
}

TEST(head_parser, obsolete_line_folding_is_rejected) {
    EXPECT_EQ(error_of("HTTP/1.1 200 OK\r\nX-Long: part one\r\n  part two\r\n\r\n"), error::http_obs_fold);
    EXPECT_EQ(error_of("HTTP/1.1 200 OK\r\nX-Long: part one\r\n\tpart two\r\n\r\n"), error::http_obs_fold);
}

TEST(head_parser, head_size_limit) {
    const head_limits limits{256};
    std::string head = "HTTP/1.1 200 OK\r\nX: ";
    head += std::string(256 - head.size() - 4, 'a');
    head += "\r\n\r\n";
    ASSERT_EQ(head.size(), 256u);
    EXPECT_EQ(parse_whole(head, head_kind::response, limits).status, head_status::complete);
    const std::string over = "HTTP/1.1 200 OK\r\nX: a" + head.substr(20);
    ASSERT_EQ(over.size(), 257u);
    EXPECT_EQ(parse_whole(over, head_kind::response, limits).err, error::http_head_too_large);
    // A peer that never ends its head is stopped as soon as it passes the limit, byte by byte too.
    std::string endless = "HTTP/1.1 200 OK\r\n";
    while (endless.size() < 1000)
        endless += "X-Pad: 0123456789\r\n";
    std::vector<std::size_t> bytewise;
    for (std::size_t i = 1; i < endless.size(); ++i)
        bytewise.push_back(i);
    std::size_t arrived = 0;
    const auto o = feed(endless, bytewise, head_kind::response, limits, &arrived);
    EXPECT_EQ(o.err, error::http_head_too_large);
    EXPECT_EQ(arrived, 257u);
    // The default is 16 KiB.
    EXPECT_EQ(head_limits{}.max_size, 16384u);
}

TEST(head_parser, only_the_first_max_size_bytes_are_judged) {
    // Found by fuzzing: a token line longer than the limit, then a bad byte. Whole or byte by byte,
    // the verdict must be the same: too large (the bad byte lies past the limit).
    const head_limits limits{64};
    constexpr char tail[] = "s$&T!o\0\nX~ ,";  // a NUL and a line feed after the token run
    const std::string in = std::string(70, '7') + std::string(tail, sizeof tail - 1);
    std::vector<std::size_t> bytewise;
    for (std::size_t i = 1; i < in.size(); ++i)
        bytewise.push_back(i);
    const auto whole = feed(in, {}, head_kind::request, limits);
    EXPECT_EQ(whole.err, error::http_head_too_large);
    EXPECT_EQ(feed(in, bytewise, head_kind::request, limits), whole);
}

TEST(head_parser, too_many_headers_for_the_storage) {
    std::string in = "HTTP/1.1 200 OK\r\n";
    for (int i = 0; i < 65; ++i)
        in += "X-" + std::to_string(i) + ": v\r\n";
    in += "\r\n";
    EXPECT_EQ(parse_whole(in).err, error::http_head_too_large);
}

TEST(head_parser, request_heads) {
    const std::string_view upgrade =
        "GET /chat?room=1 HTTP/1.1\r\nHost: server.example.com\r\nUpgrade: websocket\r\n"
        "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
    const auto o = expect_any_chunking(upgrade, head_kind::request);
    ASSERT_EQ(o.status, head_status::complete);
    EXPECT_EQ(o.size, upgrade.size());
    head_parser parser(head_kind::request);
    std::array<header, 16> storage;
    head h;
    ASSERT_EQ(parser.parse(std::span(upgrade.data(), upgrade.size()), storage, h).status, head_status::complete);
    EXPECT_EQ(h.method, "GET");
    EXPECT_EQ(h.target, "/chat?room=1");
    EXPECT_EQ(h.version_minor, 1u);
    EXPECT_EQ(h.find("sec-websocket-key").value_or(""), "dGhlIHNhbXBsZSBub25jZQ==");
    EXPECT_EQ(expect_any_chunking("CONNECT [::1]:443 HTTP/1.0\r\n\r\n", head_kind::request).status,
              head_status::complete);
}

TEST(head_parser, bad_request_lines) {
    EXPECT_EQ(error_of("GET  HTTP/1.1\r\n\r\n", head_kind::request), error::http_bad_start_line);
    EXPECT_EQ(error_of("GET /\r\n\r\n", head_kind::request), error::http_bad_start_line);
    EXPECT_EQ(error_of("G(T / HTTP/1.1\r\n\r\n", head_kind::request), error::http_bad_start_line);
    EXPECT_EQ(error_of(" GET / HTTP/1.1\r\n\r\n", head_kind::request), error::http_bad_start_line);
    EXPECT_EQ(error_of("GET / HTTP/3\r\n\r\n", head_kind::request), error::http_bad_start_line);
    EXPECT_EQ(error_of("GET / HTTP/1.7\r\n\r\n", head_kind::request), error::http_bad_version);
    EXPECT_EQ(error_of("\x16\x03\x01", head_kind::request), error::http_bad_start_line);
}

TEST(head_parser, reset_parses_a_second_head) {
    head_parser parser(head_kind::response);
    std::array<header, 8> storage;
    head h;
    const std::string_view first = "HTTP/1.1 407 Auth\r\nProxy-Authenticate: Basic realm=\"x\"\r\n\r\n";
    ASSERT_EQ(parser.parse(std::span(first.data(), first.size()), storage, h).status, head_status::complete);
    parser.reset();
    const std::string_view second = "HTTP/1.1 200 OK\r\n\r\n";
    const auto r = parser.parse(std::span(second.data(), second.size()), storage, h);
    ASSERT_EQ(r.status, head_status::complete);
    EXPECT_EQ(h.status, 200u);
}

TEST(head_parser, iequals) {
    EXPECT_TRUE(iequals("Content-Length", "content-length"));
    EXPECT_FALSE(iequals("Content-Length", "content-lengths"));
    EXPECT_FALSE(iequals("a", "b"));
    EXPECT_TRUE(iequals("", ""));
}
