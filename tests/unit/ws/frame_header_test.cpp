#include <burrow/ws/frame_header.hpp>

#include "test_bytes.hpp"

#include <gtest/gtest.h>

#include <random>

using namespace burrow;
using namespace burrow::ws;
using burrow::test::bytes;
using burrow::test::from_hex;

namespace {

constexpr frame_rules as_client{role::client};
constexpr frame_rules as_server{role::server};

header_parse_result parse(const bytes& in, const frame_rules& rules, frame_header& h) {
    return parse_frame_header(in, rules, h);
}

// Every strict prefix of a valid header must ask for more, naming the right total once the
// second byte is known; the whole header must parse to `expected`.
void expect_header(const bytes& wire, const frame_rules& rules, const frame_header& expected,
                   std::size_t header_size) {
    for (std::size_t n = 0; n < header_size; ++n) {
        frame_header h;
        const auto r = parse_frame_header(std::span(wire).first(n), rules, h);
        ASSERT_EQ(r.status, header_status::need_more) << "prefix " << n;
        EXPECT_EQ(r.size, n < 2 ? 2 : header_size) << "prefix " << n;
    }
    frame_header h;
    const auto r = parse(wire, rules, h);
    ASSERT_EQ(r.status, header_status::complete);
    EXPECT_EQ(r.size, header_size);
    EXPECT_EQ(h, expected);

    // The serializer writes exactly the same bytes back.
    std::array<std::byte, max_frame_header_size> out{};
    ASSERT_EQ(write_frame_header(out, h), header_size);
    EXPECT_TRUE(std::equal(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(header_size), wire.begin()));
}

// The error must be reported from the shortest prefix that contains the offending byte on, and
// the same for every longer prefix.
void expect_error(const bytes& wire, const frame_rules& rules, error expected, std::size_t known_after) {
    for (std::size_t n = 0; n <= wire.size(); ++n) {
        frame_header h;
        const auto r = parse_frame_header(std::span(wire).first(n), rules, h);
        if (n < known_after) {
            EXPECT_EQ(r.status, header_status::need_more) << "prefix " << n;
        } else {
            ASSERT_EQ(r.status, header_status::error) << "prefix " << n;
            EXPECT_EQ(r.err, expected) << "prefix " << n;
        }
    }
}

frame_header make(opcode op, bool fin, std::uint64_t length, bool masked = false, std::uint32_t key = 0) {
    frame_header h;
    h.op = op;
    h.fin = fin;
    h.payload_length = length;
    h.masked = masked;
    h.mask_key = key;
    return h;
}

} // namespace

// RFC 6455 §5.7, byte for byte.
TEST(frame_header, rfc_single_frame_unmasked_text) {
    expect_header(from_hex("81 05 48 65 6c 6c 6f"), as_client, make(opcode::text, true, 5), 2);
}

TEST(frame_header, rfc_single_frame_masked_text) {
    const auto wire = from_hex("81 85 37 fa 21 3d 7f 9f 4d 51 58");
    expect_header(wire, as_server, make(opcode::text, true, 5, true, 0x3d21fa37u), 6);
    frame_header h;
    parse(wire, as_server, h);
    EXPECT_EQ(std::to_integer<int>(reinterpret_cast<const std::byte*>(&h.mask_key)[0]), 0x37);
}

TEST(frame_header, rfc_fragmented_unmasked_text) {
    expect_header(from_hex("01 03 48 65 6c"), as_client, make(opcode::text, false, 3), 2);
    expect_header(from_hex("80 02 6c 6f"), as_client, make(opcode::continuation, true, 2), 2);
}

TEST(frame_header, rfc_ping_and_masked_pong) {
    expect_header(from_hex("89 05 48 65 6c 6c 6f"), as_client, make(opcode::ping, true, 5), 2);
    expect_header(from_hex("8a 85 37 fa 21 3d 7f 9f 4d 51 58"), as_server,
                  make(opcode::pong, true, 5, true, 0x3d21fa37u), 6);
}

TEST(frame_header, rfc_256_bytes_16_bit_length) {
    expect_header(from_hex("82 7e 01 00"), as_client, make(opcode::binary, true, 256), 4);
}

TEST(frame_header, rfc_64_kib_64_bit_length) {
    expect_header(from_hex("82 7f 00 00 00 00 00 01 00 00"), as_client, make(opcode::binary, true, 65536), 10);
}

TEST(frame_header, length_encoding_boundaries) {
    expect_header(from_hex("82 7d"), as_client, make(opcode::binary, true, 125), 2);
    expect_header(from_hex("82 7e 00 7e"), as_client, make(opcode::binary, true, 126), 4);
    expect_header(from_hex("82 7e ff ff"), as_client, make(opcode::binary, true, 65535), 4);
    expect_header(from_hex("82 7f 00 00 00 00 00 01 00 00"), as_client, make(opcode::binary, true, 65536), 10);
    expect_header(from_hex("82 ff 7f ff ff ff ff ff ff ff 01 02 03 04"), as_server,
                  make(opcode::binary, true, 0x7fffffffffffffffull, true, 0x04030201u), 14);
    expect_header(from_hex("82 80 01 02 03 04"), as_server, make(opcode::binary, true, 0, true, 0x04030201u), 6);
}

TEST(frame_header, reserved_opcodes_are_rejected_at_the_first_byte) {
    for (int op : {0x3, 0x4, 0x5, 0x6, 0x7, 0xB, 0xC, 0xD, 0xE, 0xF}) {
        SCOPED_TRACE(op);
        expect_error(bytes{std::byte(0x80 | op), std::byte{0x00}}, as_client, error::bad_opcode, 1);
    }
}

TEST(frame_header, reserved_bits_need_an_extension) {
    for (int bit : {0x40, 0x20, 0x10}) {
        SCOPED_TRACE(bit);
        const bytes wire{std::byte(0x81 | bit), std::byte{0x00}};
        expect_error(wire, as_client, error::bad_reserved_bits, 1);
        frame_rules granted = as_client;
        granted.allow_rsv1 = bit == 0x40;
        granted.allow_rsv2 = bit == 0x20;
        granted.allow_rsv3 = bit == 0x10;
        frame_header h;
        ASSERT_EQ(parse(wire, granted, h).status, header_status::complete);
        EXPECT_EQ(h.rsv1, bit == 0x40);
        EXPECT_EQ(h.rsv2, bit == 0x20);
        EXPECT_EQ(h.rsv3, bit == 0x10);
        // Granting one bit does not grant the others.
        frame_rules other = as_client;
        other.allow_rsv1 = bit != 0x40;
        other.allow_rsv2 = bit != 0x20;
        other.allow_rsv3 = bit != 0x10;
        expect_error(wire, other, error::bad_reserved_bits, 1);
    }
}

TEST(frame_header, control_frames_must_not_be_fragmented) {
    for (int op : {0x8, 0x9, 0xA})
        expect_error(bytes{std::byte(op), std::byte{0x00}}, as_client, error::fragmented_control_frame, 1);
}

TEST(frame_header, control_frames_are_at_most_125_bytes) {
    for (int op : {0x88, 0x89, 0x8A}) {
        bytes wire{std::byte(op), std::byte{0x7e}, std::byte{0x00}, std::byte{0x7e}};
        expect_error(wire, as_client, error::control_frame_too_big, 2);
        frame_header h;
        EXPECT_EQ(parse(bytes{std::byte(op), std::byte{0x7d}}, as_client, h).status, header_status::complete);
    }
}

TEST(frame_header, top_bit_of_64_bit_length_is_rejected_at_its_byte) {
    expect_error(from_hex("82 7f 80 00 00 00 00 00 00 00"), as_client, error::bad_payload_length, 3);
    expect_error(from_hex("82 7f ff ff ff ff ff ff ff ff"), as_client, error::bad_payload_length, 3);
}

TEST(frame_header, non_minimal_lengths_are_rejected) {
    expect_error(from_hex("82 7e 00 00"), as_client, error::non_minimal_length, 4);
    expect_error(from_hex("82 7e 00 7d"), as_client, error::non_minimal_length, 4);
    expect_error(from_hex("82 7f 00 00 00 00 00 00 00 7d"), as_client, error::non_minimal_length, 10);
    expect_error(from_hex("82 7f 00 00 00 00 00 00 ff ff"), as_client, error::non_minimal_length, 10);
}

TEST(frame_header, mask_bit_must_match_the_role) {
    expect_error(from_hex("81 85 37 fa 21 3d"), as_client, error::unexpected_mask, 2);
    expect_error(from_hex("81 05"), as_server, error::missing_mask, 2);
}

TEST(frame_header, errors_map_to_protocol_error) {
    for (auto e : {error::bad_opcode, error::bad_reserved_bits, error::fragmented_control_frame,
                   error::control_frame_too_big, error::bad_payload_length, error::non_minimal_length,
                   error::unexpected_mask, error::missing_mask})
        EXPECT_EQ(to_close_code(e), close_code::protocol_error);
}

TEST(frame_header, serializer_refuses_unsendable_headers) {
    std::array<std::byte, max_frame_header_size> out{};
    for (const auto& h : {make(opcode::ping, true, 126), make(opcode::close, false, 0),
                          make(opcode::binary, true, 1ull << 63)}) {
        std::size_t n = 99;
        EXPECT_DEBUG_DEATH(n = write_frame_header(out, h), "cannot be sent");
#ifdef NDEBUG
        EXPECT_EQ(n, 0u);
#else
        (void)n;  // in debug builds the call ran (and died) in the death test's child process
#endif
    }
}

TEST(frame_header, random_headers_round_trip) {
    std::mt19937_64 rng(20261126);
    const opcode ops[] = {opcode::continuation, opcode::text, opcode::binary,
                          opcode::close, opcode::ping, opcode::pong};
    for (int i = 0; i < 20000; ++i) {
        frame_header h;
        h.op = ops[rng() % 6];
        h.fin = is_control(h.op) || (rng() & 1);
        const int bucket = static_cast<int>(rng() % 3);
        h.payload_length = is_control(h.op) ? rng() % 126
                           : bucket == 0    ? rng() % 126
                           : bucket == 1    ? rng() % 65536
                                            : rng() >> 1;
        h.rsv1 = rng() & 1;
        h.rsv2 = rng() & 1;
        h.rsv3 = rng() & 1;
        h.masked = rng() & 1;
        h.mask_key = h.masked ? static_cast<std::uint32_t>(rng()) : 0;
        std::array<std::byte, max_frame_header_size> wire{};
        const std::size_t n = write_frame_header(wire, h);
        ASSERT_GE(n, 2u);
        const frame_rules rules{h.masked ? role::server : role::client, true, true, true};
        frame_header back;
        const auto r = parse_frame_header(std::span(wire).first(n), rules, back);
        ASSERT_EQ(r.status, header_status::complete);
        ASSERT_EQ(r.size, n);
        ASSERT_EQ(back, h);
    }
}
