#include <burrow/ws/close.hpp>

#include "test_bytes.hpp"

#include <gtest/gtest.h>

using namespace burrow;
using namespace burrow::ws;
using burrow::test::bytes;
using burrow::test::from_hex;

namespace {

bytes close_payload(unsigned code, std::string_view reason = {}) {
    bytes out{std::byte(code >> 8), std::byte(code & 0xFF)};
    auto r = burrow::test::to_bytes(reason);
    out.insert(out.end(), r.begin(), r.end());
    return out;
}

} // namespace

TEST(close_code, wire_validity_matches_rfc_6455_and_the_iana_registry) {
    for (unsigned code = 0; code < 65536; ++code) {
        const bool expected = (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) ||
                              (code >= 3000 && code <= 4999);
        ASSERT_EQ(is_valid_wire_close_code(static_cast<std::uint16_t>(code)), expected) << code;
    }
}

TEST(close_payload, empty_payload_means_no_status) {
    auto r = parse_close_payload({});
    ASSERT_TRUE(r);
    EXPECT_EQ(r->code, close_code::no_status);
    EXPECT_TRUE(r->reason.empty());
}

TEST(close_payload, one_byte_is_an_error) {
    auto r = parse_close_payload(from_hex("03"));
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error(), error::bad_close_payload);
    EXPECT_EQ(to_close_code(error::bad_close_payload), close_code::protocol_error);
}

TEST(close_payload, valid_codes_and_reason) {
    for (unsigned code : {1000u, 1001u, 1002u, 1003u, 1007u, 1008u, 1009u, 1010u, 1011u, 1012u, 1013u, 1014u,
                          3000u, 3999u, 4000u, 4999u}) {
        const auto wire = close_payload(code, "bye \xc3\xa9");
        auto r = parse_close_payload(wire);
        ASSERT_TRUE(r) << code;
        EXPECT_EQ(static_cast<unsigned>(r->code), code);
        EXPECT_EQ(r->reason, "bye \xc3\xa9");
    }
}

TEST(close_payload, codes_not_allowed_on_the_wire) {
    for (unsigned code : {0u, 1u, 999u, 1004u, 1005u, 1006u, 1015u, 1016u, 1100u, 2000u, 2999u, 5000u, 65535u}) {
        auto r = parse_close_payload(close_payload(code));
        ASSERT_FALSE(r) << code;
        EXPECT_EQ(r.error(), error::bad_close_code) << code;
    }
}

TEST(close_payload, reason_must_be_utf8) {
    for (auto reason : {std::string_view("\xff"), std::string_view("ok\xc3"), std::string_view("\xed\xa0\x80"),
                        std::string_view("\xc0\xaf")}) {
        auto r = parse_close_payload(close_payload(1000, reason));
        ASSERT_FALSE(r);
        EXPECT_EQ(r.error(), error::bad_close_reason);
    }
    EXPECT_EQ(to_close_code(error::bad_close_reason), close_code::invalid_payload);
}

TEST(close_payload, longer_than_a_control_frame_is_an_error) {
    auto r = parse_close_payload(close_payload(1000, std::string(124, 'x')));
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error(), error::bad_close_payload);
    EXPECT_TRUE(parse_close_payload(close_payload(1000, std::string(123, 'x'))));
}

TEST(close_payload, build_round_trips) {
    std::array<std::byte, 125> out{};
    const std::size_t n = build_close_payload(out, close_code::going_away, "server restart");
    ASSERT_EQ(n, 2u + 14u);
    EXPECT_EQ(bytes(out.begin(), out.begin() + 2), from_hex("03 e9"));
    auto r = parse_close_payload(std::span(out).first(n));
    ASSERT_TRUE(r);
    EXPECT_EQ(r->code, close_code::going_away);
    EXPECT_EQ(r->reason, "server restart");
}

TEST(close_payload, no_status_builds_an_empty_payload) {
    std::array<std::byte, 125> out{};
    EXPECT_EQ(build_close_payload(out, close_code::no_status, "ignored"), 0u);
}

TEST(close_payload, long_reason_is_cut_at_a_code_point_boundary) {
    // 61 two-byte characters = 122 bytes, then a 3-byte one that would end at byte 125.
    std::string reason;
    for (int i = 0; i < 61; ++i)
        reason += "\xc3\xa9";
    reason += "\xe2\x82\xac";  // U+20AC, would need bytes 123..125 of the reason
    std::array<std::byte, 125> out{};
    const std::size_t n = build_close_payload(out, close_code::normal, reason);
    EXPECT_EQ(n, 2u + 122u);
    auto r = parse_close_payload(std::span(out).first(n));
    ASSERT_TRUE(r);
    EXPECT_EQ(r->reason, reason.substr(0, 122));

    const std::string ascii(200, 'a');
    EXPECT_EQ(build_close_payload(out, close_code::normal, ascii), 125u);
}
