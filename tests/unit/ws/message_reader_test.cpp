#include <burrow/ws/mask.hpp>
#include <burrow/ws/message_reader.hpp>

#include "reader_harness.hpp"
#include "test_bytes.hpp"

#include <gtest/gtest.h>

#include <random>

using namespace burrow;
using namespace burrow::ws;
using burrow::test::bytes;
using burrow::test::concat;
using burrow::test::from_hex;
using burrow::test::run_bytewise;
using burrow::test::run_reader;
using burrow::test::run_whole;
using burrow::test::transcript;
using lines = std::vector<std::string>;

namespace {

constexpr reader_options client{role::client};
constexpr reader_options server{role::server};

// A frame as a peer would send it: masked when `key` is given (client to server).
bytes frame(opcode op, bool fin, const bytes& payload, std::optional<std::uint32_t> key = {}, bool rsv1 = false) {
    frame_header h;
    h.op = op;
    h.fin = fin;
    h.rsv1 = rsv1;
    h.payload_length = payload.size();
    h.masked = key.has_value();
    h.mask_key = key.value_or(0);
    std::array<std::byte, max_frame_header_size> head{};
    const std::size_t n = write_frame_header(head, h);
    bytes out(head.begin(), head.begin() + static_cast<std::ptrdiff_t>(n));
    bytes body = payload;
    if (key)
        apply_mask(body, *key);
    out.insert(out.end(), body.begin(), body.end());
    return out;
}

bytes text(std::string_view s) { return burrow::test::to_bytes(s); }

// The same transcript whole, byte by byte, and split in two at every offset (and in three at a
// sample of offset pairs).
transcript expect_any_chunking(const reader_options& options, const bytes& input) {
    const transcript whole = run_whole(options, input);
    EXPECT_EQ(run_bytewise(options, input), whole) << "byte by byte";
    for (std::size_t cut = 1; cut < input.size(); ++cut)
        EXPECT_EQ(run_reader(options, input, {cut}), whole) << "split at " << cut;
    for (std::size_t a = 1; a < input.size(); a += 3)
        for (std::size_t b = a + 1; b < input.size(); b += 5)
            EXPECT_EQ(run_reader(options, input, {a, b}), whole) << "split at " << a << "," << b;
    return whole;
}

} // namespace

// RFC 6455 §5.7 examples.
TEST(message_reader, rfc_unmasked_text_to_a_client) {
    const auto t = expect_any_chunking(client, from_hex("81 05 48 65 6c 6c 6f"));
    EXPECT_EQ(t.lines, lines{"text:Hello"});
}

TEST(message_reader, rfc_masked_text_to_a_server) {
    const auto t = expect_any_chunking(server, from_hex("81 85 37 fa 21 3d 7f 9f 4d 51 58"));
    EXPECT_EQ(t.lines, lines{"text:Hello"});
}

TEST(message_reader, rfc_fragmented_text) {
    const auto t = expect_any_chunking(client, from_hex("01 03 48 65 6c 80 02 6c 6f"));
    EXPECT_EQ(t.lines, lines{"text:Hello"});
}

TEST(message_reader, rfc_ping_and_pong) {
    EXPECT_EQ(expect_any_chunking(client, from_hex("89 05 48 65 6c 6c 6f")).lines, lines{"ping:48656c6c6f"});
    EXPECT_EQ(expect_any_chunking(server, from_hex("8a 85 37 fa 21 3d 7f 9f 4d 51 58")).lines,
              lines{"pong:48656c6c6f"});
}

TEST(message_reader, rfc_256_and_65536_byte_binary) {
    bytes b256(256), b64k(65536);
    for (std::size_t i = 0; i < b64k.size(); ++i)
        b64k[i] = std::byte(i * 7);
    for (std::size_t i = 0; i < b256.size(); ++i)
        b256[i] = std::byte(i);
    const auto small = concat({from_hex("82 7e 01 00"), b256});
    EXPECT_EQ(expect_any_chunking(client, small).lines, lines{"binary:" + burrow::test::hex(b256)});
    const auto big = concat({from_hex("82 7f 00 00 00 00 00 01 00 00"), b64k});
    EXPECT_EQ(run_whole(client, big).lines, lines{"binary:" + burrow::test::hex(b64k)});
    EXPECT_EQ(run_reader(client, big, {1, 5, 10, 11, 4096, 30000, 65545}), run_whole(client, big));
}

TEST(message_reader, control_frames_between_fragments) {
    const std::uint32_t key = 0x11223344;
    const auto input = concat({frame(opcode::text, false, text("Hel"), key), frame(opcode::ping, true, text("p"), key),
                               frame(opcode::continuation, false, text(""), key),
                               frame(opcode::pong, true, {}, key), frame(opcode::continuation, true, text("lo"), key),
                               frame(opcode::binary, true, from_hex("00 ff"), key),
                               frame(opcode::close, true, from_hex("03 e8") , key)});
    const auto t = expect_any_chunking(server, input);
    EXPECT_EQ(t.lines, (lines{"ping:70", "pong:", "text:Hello", "binary:00ff", "close:03e8"}));
}

TEST(message_reader, payload_pieces_come_as_bytes_arrive) {
    const auto input = frame(opcode::binary, true, bytes(1000, std::byte{1}), 0xdeadbeef);
    const auto t = run_bytewise(server, input);
    EXPECT_EQ(t.data_events, 1000u);  // one piece per payload byte: nothing waits for the frame's end
}

TEST(message_reader, piece_flags) {
    auto input = concat({frame(opcode::text, false, text("ab")), frame(opcode::continuation, true, text("cd"))});
    message_reader reader(client);
    auto ev = reader.next(input);
    ASSERT_EQ(ev.status, read_status::data);
    EXPECT_TRUE(ev.message_start);
    EXPECT_TRUE(ev.frame_end);
    EXPECT_FALSE(ev.message_end);
    EXPECT_EQ(ev.consumed, 4u);
    EXPECT_TRUE(reader.in_message());
    ev = reader.next(std::span(input).subspan(4));
    ASSERT_EQ(ev.status, read_status::data);
    EXPECT_FALSE(ev.message_start);
    EXPECT_TRUE(ev.message_end);
    EXPECT_EQ(ev.op, opcode::text);
    EXPECT_FALSE(reader.in_message());
    ev = reader.next(std::span(input).subspan(8));
    EXPECT_EQ(ev.status, read_status::need_more);
    EXPECT_EQ(ev.need, 2u);
}

TEST(message_reader, empty_messages_and_frames) {
    const auto input = concat({frame(opcode::text, true, {}), frame(opcode::binary, false, {}),
                               frame(opcode::continuation, true, {})});
    const auto t = expect_any_chunking(client, input);
    EXPECT_EQ(t.lines, (lines{"text:", "binary:"}));
    EXPECT_EQ(t.data_events, 3u);  // every frame shows up, even empty ones
}

TEST(message_reader, partial_control_frame_is_kept_whole) {
    auto input = frame(opcode::ping, true, text("hello"));
    message_reader reader(client);
    auto ev = reader.next(std::span(input).first(4));
    EXPECT_EQ(ev.status, read_status::need_more);
    EXPECT_EQ(ev.consumed, 0u);
    EXPECT_EQ(ev.need, 7u);
    ev = reader.next(input);
    EXPECT_EQ(ev.status, read_status::control);
    EXPECT_EQ(ev.consumed, 7u);
    EXPECT_EQ(burrow::test::to_string(ev.payload), "hello");
}

TEST(message_reader, min_buffer_size_holds_the_largest_control_frame) {
    const auto input = frame(opcode::pong, true, bytes(125, std::byte{'x'}), 0x01020304);
    EXPECT_EQ(input.size(), min_buffer_size);
    EXPECT_EQ(run_whole(server, input).lines, lines{"pong:" + burrow::test::hex(bytes(125, std::byte{'x'}))});
    // One byte short, the reader asks for exactly the missing byte and consumes nothing.
    message_reader reader(server);
    auto short_input = input;
    const auto ev = reader.next(std::span(short_input).first(min_buffer_size - 1));
    EXPECT_EQ(ev.status, read_status::need_more);
    EXPECT_EQ(ev.consumed, 0u);
    EXPECT_EQ(ev.need, min_buffer_size);
}

// --- protocol errors: each one ends the transcript with the right error and close code ---

namespace {

void expect_failure(const reader_options& options, const bytes& input, error expected, close_code code,
                    lines before = {}) {
    const auto t = expect_any_chunking(options, input);
    ASSERT_EQ(t.err, expected);
    before.push_back("error:" + make_error_code(expected).message());
    EXPECT_EQ(t.lines, before);
    EXPECT_EQ(to_close_code(expected), code);
}

} // namespace

TEST(message_reader, header_errors_fail_the_reader) {
    expect_failure(client, from_hex("83 00"), error::bad_opcode, close_code::protocol_error);
    expect_failure(client, from_hex("c1 00"), error::bad_reserved_bits, close_code::protocol_error);
    expect_failure(client, from_hex("09 00"), error::fragmented_control_frame, close_code::protocol_error);
    expect_failure(client, from_hex("89 7e 00 7e"), error::control_frame_too_big, close_code::protocol_error);
    expect_failure(client, from_hex("82 7f 80 00 00 00 00 00 00 00"), error::bad_payload_length,
                   close_code::protocol_error);
    expect_failure(client, from_hex("82 7e 00 05 01 02 03 04 05"), error::non_minimal_length,
                   close_code::protocol_error);
    expect_failure(client, from_hex("81 81 01 02 03 04 41"), error::unexpected_mask, close_code::protocol_error);
    expect_failure(server, from_hex("81 01 41"), error::missing_mask, close_code::protocol_error);
}

TEST(message_reader, continuation_without_a_message) {
    expect_failure(client, frame(opcode::continuation, true, text("x")), error::unexpected_continuation,
                   close_code::protocol_error);
    expect_failure(client, concat({frame(opcode::text, true, text("a")), frame(opcode::continuation, true, text("b"))}),
                   error::unexpected_continuation, close_code::protocol_error, {"text:a"});
}

TEST(message_reader, new_data_frame_inside_a_fragmented_message) {
    expect_failure(client, concat({frame(opcode::text, false, text("a")), frame(opcode::binary, true, text("b"))}),
                   error::expected_continuation, close_code::protocol_error);
    expect_failure(client, concat({frame(opcode::binary, false, text("a")), frame(opcode::text, false, text("b"))}),
                   error::expected_continuation, close_code::protocol_error);
}

TEST(message_reader, rsv1_marks_only_the_first_frame_of_a_message) {
    reader_options deflate = client;
    deflate.allow_rsv1 = true;
    // Compressed text is not validated here (it is validated after inflation).
    const auto ok = concat({frame(opcode::text, false, from_hex("ff"), {}, true),
                            frame(opcode::continuation, true, from_hex("fe"))});
    message_reader reader(deflate);
    auto buffer = ok;
    auto ev = reader.next(buffer);
    ASSERT_EQ(ev.status, read_status::data);
    EXPECT_TRUE(ev.compressed);
    EXPECT_EQ(expect_any_chunking(deflate, ok).lines, lines{"text:\xff\xfe"});
    expect_failure(deflate, concat({frame(opcode::text, false, text("a"), {}, true),
                                    frame(opcode::continuation, true, text("b"), {}, true)}),
                   error::bad_reserved_bits, close_code::protocol_error);
    expect_failure(client, frame(opcode::text, true, text("a"), {}, true), error::bad_reserved_bits,
                   close_code::protocol_error);
}

TEST(message_reader, message_size_limit_is_checked_before_the_payload) {
    reader_options limited = server;
    limited.max_message_size = 10;
    EXPECT_EQ(expect_any_chunking(limited, frame(opcode::binary, true, bytes(10), 7)).lines,
              lines{"binary:00000000000000000000"});
    // The header alone is enough to fail: no payload byte is needed.
    auto too_big = frame(opcode::binary, true, bytes(11), 7);
    message_reader reader(limited);
    auto ev = reader.next(std::span(too_big).first(6));
    ASSERT_EQ(ev.status, read_status::error);
    EXPECT_EQ(ev.err, error::message_too_big);
    EXPECT_EQ(to_close_code(ev.err), close_code::message_too_big);
    // Across fragments.
    expect_failure(limited, concat({frame(opcode::text, false, text("12345"), 1), frame(opcode::ping, true, {}, 1),
                                    frame(opcode::continuation, true, text("678901"), 1)}),
                   error::message_too_big, close_code::message_too_big, {"ping:"});
    // A huge 64-bit length never wraps the accounting.
    reader_options unlimited = client;
    unlimited.max_message_size = std::numeric_limits<std::uint64_t>::max();
    message_reader r2(unlimited);
    auto huge = from_hex("02 7f 7f ff ff ff ff ff ff ff");
    EXPECT_EQ(r2.next(huge).status, read_status::need_more);
}

TEST(message_reader, invalid_utf8_fails_at_the_first_bad_byte) {
    // "Hel" then an invalid byte, then more text: fed byte by byte, the error comes with byte 6+3+1.
    auto input = frame(opcode::text, true, concat({text("Hel"), from_hex("ff"), text("lo")}), 0x55aa55aa);
    auto t = run_bytewise(server, input);
    EXPECT_EQ(t.err, error::bad_utf8);
    EXPECT_EQ(t.fed_at_error, 6u + 4u);
    EXPECT_EQ(to_close_code(error::bad_utf8), close_code::invalid_payload);
    expect_failure(server, input, error::bad_utf8, close_code::invalid_payload);
}

TEST(message_reader, invalid_utf8_across_fragments_fails_when_the_byte_arrives) {
    // E2 82 | 28: the sequence started in fragment 1 is broken by the first byte of fragment 2.
    const auto input = concat({frame(opcode::text, false, from_hex("41 e2 82")), frame(opcode::ping, true, {}),
                               frame(opcode::continuation, false, from_hex("28 41")),
                               frame(opcode::continuation, true, text("z"))});
    auto t = run_bytewise(client, input);
    EXPECT_EQ(t.err, error::bad_utf8);
    EXPECT_EQ(t.fed_at_error, 5u + 2u + 2u + 1u);
    expect_failure(client, input, error::bad_utf8, close_code::invalid_payload, {"ping:"});
    // A code point split across fragments is fine.
    EXPECT_EQ(expect_any_chunking(client, concat({frame(opcode::text, false, from_hex("e2 82")),
                                                  frame(opcode::continuation, true, from_hex("ac"))}))
                  .lines,
              lines{"text:\xe2\x82\xac"});
}

TEST(message_reader, text_ending_inside_a_sequence_fails_at_the_end) {
    expect_failure(client, frame(opcode::text, true, from_hex("41 e2 82")), error::bad_utf8,
                   close_code::invalid_payload);
    expect_failure(client, concat({frame(opcode::text, false, from_hex("f0 9f")), frame(opcode::continuation, true, {})}),
                   error::bad_utf8, close_code::invalid_payload);
}

TEST(message_reader, binary_is_not_validated) {
    EXPECT_EQ(expect_any_chunking(client, frame(opcode::binary, true, from_hex("ff fe c0"))).lines,
              lines{"binary:fffec0"});
}

TEST(message_reader, close_payload_is_validated) {
    expect_failure(client, frame(opcode::close, true, from_hex("03")), error::bad_close_payload,
                   close_code::protocol_error);
    expect_failure(client, frame(opcode::close, true, from_hex("03 ed")), error::bad_close_code,
                   close_code::protocol_error);
    expect_failure(server, frame(opcode::close, true, from_hex("03 e8 ff"), 9), error::bad_close_reason,
                   close_code::invalid_payload);
    EXPECT_EQ(expect_any_chunking(client, frame(opcode::close, true, {})).lines, lines{"close:"});
}

TEST(message_reader, stays_failed_until_reset) {
    auto bad = from_hex("83 00");
    message_reader reader(client);
    EXPECT_EQ(reader.next(bad).err, error::bad_opcode);
    auto good = from_hex("81 01 41");
    EXPECT_EQ(reader.next(good).err, error::bad_opcode);
    reader.reset();
    EXPECT_EQ(reader.next(good).status, read_status::data);
    EXPECT_EQ(reader.options().receiver, role::client);
}

TEST(message_reader, random_message_streams_are_chunking_independent) {
    std::mt19937 rng(6455);
    const char* samples[] = {"hello", "\xc3\xa9t\xc3\xa9", "\xe2\x82\xac 5", "\xf0\x9f\x98\x80!", ""};
    for (int round = 0; round < 200; ++round) {
        bytes input;
        lines expected;
        const bool masked = rng() & 1;
        for (int m = 0; m < 4; ++m) {
            std::string message;
            const int fragments = 1 + static_cast<int>(rng() % 3);
            bytes whole;
            for (int f = 0; f < 6; ++f)
                message += samples[rng() % 5];
            whole = text(message);
            // Split the message into fragments at arbitrary byte offsets (even inside code points).
            std::size_t start = 0;
            for (int f = 0; f < fragments; ++f) {
                const bool last = f == fragments - 1;
                const std::size_t end = last ? whole.size() : start + rng() % (whole.size() - start + 1);
                bytes part(whole.begin() + static_cast<std::ptrdiff_t>(start), whole.begin() + static_cast<std::ptrdiff_t>(end));
                std::optional<std::uint32_t> key;
                if (masked)
                    key = static_cast<std::uint32_t>(rng());
                auto fr = frame(f == 0 ? opcode::text : opcode::continuation, last, part, key);
                input.insert(input.end(), fr.begin(), fr.end());
                if (!last && (rng() % 3 == 0)) {
                    auto ping = frame(opcode::ping, true, text("p"), key);
                    input.insert(input.end(), ping.begin(), ping.end());
                    expected.push_back("ping:70");
                }
                start = end;
            }
            expected.push_back("text:" + message);
        }
        const reader_options& options = masked ? server : client;
        const auto whole = run_whole(options, input);
        ASSERT_EQ(whole.lines, expected);
        std::vector<std::size_t> cuts;
        for (std::size_t at = 0; at < input.size(); at += 1 + rng() % 9)
            cuts.push_back(at);
        ASSERT_EQ(run_reader(options, input, cuts), whole);
    }
}

TEST(message_reader, payload_remaining_and_frame_size_follow_the_frame) {
    message_reader r(server);
    EXPECT_EQ(r.payload_remaining(), 0u);
    bytes payload(1000);
    for (std::size_t i = 0; i < payload.size(); ++i)
        payload[i] = static_cast<std::byte>(i * 13);
    auto input = frame(opcode::binary, true, payload, 0x12345678);
    const std::size_t head = input.size() - payload.size();
    // The header and 300 payload bytes in the receive buffer.
    auto ev = r.next(std::span(input).first(head + 300));
    EXPECT_EQ(ev.status, read_status::data);
    EXPECT_EQ(ev.payload.size(), 300u);
    EXPECT_EQ(r.frame_size(), 1000u);
    EXPECT_EQ(r.payload_remaining(), 700u);
    // The rest handed over from memory of the caller's own, in two parts: unmasked where it is,
    // with the mask key continuing at the right offset.
    bytes elsewhere(input.begin() + static_cast<std::ptrdiff_t>(head + 300), input.end());
    ev = r.next(std::span(elsewhere).first(333));
    EXPECT_EQ(ev.status, read_status::data);
    EXPECT_EQ(ev.consumed, 333u);
    EXPECT_EQ(ev.payload.data(), elsewhere.data());
    EXPECT_FALSE(ev.frame_end);
    EXPECT_EQ(r.payload_remaining(), 367u);
    ev = r.next(std::span(elsewhere).subspan(333));
    EXPECT_EQ(ev.status, read_status::data);
    EXPECT_TRUE(ev.message_end);
    EXPECT_EQ(r.payload_remaining(), 0u);
    EXPECT_EQ(r.frame_size(), 1000u);  // kept after the frame ended
    EXPECT_TRUE(std::equal(elsewhere.begin(), elsewhere.end(), payload.begin() + 300));
}

TEST(message_reader, text_handed_over_from_elsewhere_is_validated) {
    message_reader r(server);
    auto input = frame(opcode::text, true, concat({text(std::string(50, 'a')), from_hex("c0af"), text("zz")}), 0x0f0f0f0f);
    const std::size_t head = input.size() - 54;
    auto ev = r.next(std::span(input).first(head + 10));
    EXPECT_EQ(ev.status, read_status::data);
    bytes elsewhere(input.begin() + static_cast<std::ptrdiff_t>(head + 10), input.end());
    ev = r.next(elsewhere);
    EXPECT_EQ(ev.status, read_status::error);
    EXPECT_EQ(ev.err, error::bad_utf8);
}
