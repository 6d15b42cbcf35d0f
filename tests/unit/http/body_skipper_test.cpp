#include <burrow/http/body_skipper.hpp>

#include <gtest/gtest.h>

#include <array>
#include <string>

using namespace burrow;
using namespace burrow::http;

namespace {

struct parsed {
    std::string text;
    std::array<header, 16> storage;
    head h;
};

std::unique_ptr<parsed> parse(std::string text) {
    auto p = std::make_unique<parsed>();
    p->text = std::move(text);
    head_parser parser(head_kind::response);
    const auto r = parser.parse(std::span(p->text.data(), p->text.size()), p->storage, p->h);
    EXPECT_EQ(r.status, head_status::complete) << p->text;
    return p;
}

// Skips `body` followed by `after` with the skipper for `head_text`, fed in pieces of `step` bytes;
// returns how many bytes the body took (or npos if it never ended) and the error.
std::pair<std::size_t, error> skip(const std::string& head_text, const std::string& wire, std::size_t step,
                                   std::string_view method = "CONNECT", std::uint64_t max = 1 << 20) {
    auto p = parse(head_text);
    auto s = body_skipper::for_response(p->h, method, max);
    if (!s)
        return {std::string::npos, static_cast<error>(s.error().value())};
    std::size_t pos = 0;
    std::size_t end = 0;
    while (pos < wire.size() || end == pos) {
        end = std::min(wire.size(), pos + step);
        const auto r = s->consume(std::span(wire.data() + pos, end - pos));
        pos += r.consumed;
        if (r.err != error{})
            return {pos, r.err};
        if (r.done)
            return {pos, error{}};
        if (r.consumed < end - (pos - r.consumed))
            return {std::string::npos, error{}};  // stopped early without finishing: a bug
        if (end == wire.size())
            break;
    }
    return {std::string::npos, error{}};
}

constexpr std::size_t npos = std::string::npos;

} // namespace

TEST(body_skipper, content_length) {
    const std::string head = "HTTP/1.1 407 Auth\r\nContent-Length: 10\r\n\r\n";
    for (std::size_t step : {1u, 3u, 100u}) {
        EXPECT_EQ(skip(head, "0123456789NEXT", step), std::make_pair(std::size_t{10}, error{})) << step;
    }
    EXPECT_EQ(skip("HTTP/1.1 407 A\r\nContent-Length: 5, 5\r\ncontent-length: 5\r\n\r\n", "abcdeZ", 2).first, 5u);
}

TEST(body_skipper, inconsistent_or_bad_content_length) {
    EXPECT_EQ(skip("HTTP/1.1 407 A\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n", "abcdef", 1).second,
              error::http_bad_body_framing);
    EXPECT_EQ(skip("HTTP/1.1 407 A\r\nContent-Length: 5, 6\r\n\r\n", "abcdef", 1).second, error::http_bad_body_framing);
    EXPECT_EQ(skip("HTTP/1.1 407 A\r\nContent-Length: -1\r\n\r\n", "x", 1).second, error::http_bad_body_framing);
    EXPECT_EQ(skip("HTTP/1.1 407 A\r\nContent-Length: 0x10\r\n\r\n", "x", 1).second, error::http_bad_body_framing);
    EXPECT_EQ(skip("HTTP/1.1 407 A\r\nContent-Length:\r\n\r\n", "x", 1).second, error::http_bad_body_framing);
    EXPECT_EQ(skip("HTTP/1.1 407 A\r\nContent-Length: 99999999999999999999\r\n\r\n", "x", 1).second,
              error::http_bad_body_framing);
    EXPECT_EQ(skip("HTTP/1.1 407 A\r\nContent-Length: 2000000\r\n\r\n", "x", 1).second, error::http_body_too_large);
}

TEST(body_skipper, no_body) {
    // A 2xx to CONNECT has no body even with Content-Length or Transfer-Encoding (RFC 9110 §9.3.6).
    EXPECT_EQ(skip("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n", "tunnel", 1).first, 0u);
    EXPECT_EQ(skip("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", "tunnel", 1).first, 0u);
    EXPECT_EQ(skip("HTTP/1.1 204 No Content\r\n\r\n", "next", 1, "GET").first, 0u);
    EXPECT_EQ(skip("HTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\n", "next", 1, "GET").first, 0u);
    EXPECT_EQ(skip("HTTP/1.1 407 A\r\nContent-Length: 0\r\n\r\n", "next", 1).first, 0u);
}

TEST(body_skipper, chunked) {
    const std::string head = "HTTP/1.1 407 A\r\nTransfer-Encoding: chunked\r\n\r\n";
    const std::string body = "5\r\nhello\r\n1A;ext=\"x;y\"\r\nabcdefghijklmnopqrstuvwxyz\r\n0\r\n\r\n";
    for (std::size_t step = 1; step <= body.size() + 5; ++step)
        EXPECT_EQ(skip(head, body + "NEXT REQUEST", step), std::make_pair(body.size(), error{})) << step;
    const std::string trailers = "3\r\nabc\r\n0\r\nX-Trailer: 1\r\nY: 2\r\n\r\n";
    EXPECT_EQ(skip(head, trailers + "Z", 1).first, trailers.size());
    const std::string bare_lf = "3\nabc\n0\n\n";
    EXPECT_EQ(skip(head, bare_lf + "Z", 1).first, bare_lf.size());
    EXPECT_EQ(skip("HTTP/1.1 407 A\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", "0\r\n\r\n", 1).first, 5u);
}

TEST(body_skipper, malformed_chunked) {
    const std::string head = "HTTP/1.1 407 A\r\nTransfer-Encoding: chunked\r\n\r\n";
    EXPECT_EQ(skip(head, "xyz\r\n", 1).second, error::http_bad_body_framing);
    EXPECT_EQ(skip(head, "\r\n", 1).second, error::http_bad_body_framing);
    EXPECT_EQ(skip(head, "3\r\nabcX\r\n", 1).second, error::http_bad_body_framing);
    EXPECT_EQ(skip(head, "3\rX", 1).second, error::http_bad_body_framing);
    EXPECT_EQ(skip(head, "0\r\n\rX", 1).second, error::http_bad_body_framing);
    EXPECT_EQ(skip(head, "ffffffffffffffffffff\r\n", 1).second, error::http_body_too_large);
    EXPECT_EQ(skip(head, "3\r\nabc", 1), std::make_pair(npos, error{}));  // not finished yet
}

TEST(body_skipper, chunked_total_is_bounded) {
    const std::string head = "HTTP/1.1 407 A\r\nTransfer-Encoding: chunked\r\n\r\n";
    std::string body;
    for (int i = 0; i < 100; ++i)
        body += "a\r\n0123456789\r\n";
    EXPECT_EQ(skip(head, body, 7, "CONNECT", 1000).second, error::http_body_too_large);
}

TEST(body_skipper, until_close) {
    auto p = parse("HTTP/1.0 407 A\r\nContent-Type: text/html\r\n\r\n");
    auto s = body_skipper::for_response(p->h, "CONNECT", 100);
    ASSERT_TRUE(s);
    EXPECT_EQ(s->framing(), body_framing::until_close);
    EXPECT_FALSE(s->self_delimited());
    std::string chunk(60, 'x');
    auto r = s->consume(std::span(chunk.data(), chunk.size()));
    EXPECT_EQ(r.consumed, 60u);
    EXPECT_FALSE(r.done);
    r = s->consume(std::span(chunk.data(), chunk.size()));
    EXPECT_EQ(r.err, error::http_body_too_large);
    // A final coding other than chunked is also delimited by the close.
    auto q = parse("HTTP/1.1 407 A\r\nTransfer-Encoding: chunked, gzip\r\nContent-Length: 5\r\n\r\n");
    EXPECT_EQ(body_skipper::for_response(q->h, "CONNECT")->framing(), body_framing::until_close);
}
