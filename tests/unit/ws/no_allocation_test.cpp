// Proves the hot path allocates nothing: this test binary replaces the global operator new with a
// counting one, then runs a corpus of parse + unmask + validate + serialize work through the
// public core API (from a cold start, so first-use kernel dispatch is included) and checks that
// the counter did not move.
#include <burrow/ws/close.hpp>
#include <burrow/ws/frame_header.hpp>
#include <burrow/ws/mask.hpp>
#include <burrow/ws/message_reader.hpp>
#include <burrow/ws/utf8.hpp>

#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <new>
#include <vector>

#include "counting_new.hpp"

using burrow::test::allocations;

using namespace burrow::ws;

namespace {

// Appends a masked frame to `out` (setup only: runs before counting starts).
void add_frame(std::vector<std::byte>& out, opcode op, bool fin, std::string_view payload, std::uint32_t key) {
    frame_header h;
    h.op = op;
    h.fin = fin;
    h.payload_length = payload.size();
    h.masked = true;
    h.mask_key = key;
    std::array<std::byte, max_frame_header_size> head{};
    const std::size_t n = write_frame_header(head, h);
    out.insert(out.end(), head.begin(), head.begin() + static_cast<std::ptrdiff_t>(n));
    const std::size_t start = out.size();
    for (char c : payload)
        out.push_back(static_cast<std::byte>(c));
    apply_mask(std::span(out).subspan(start), key);
}

struct work_result {
    std::size_t messages = 0;
    std::size_t controls = 0;
    std::size_t payload_bytes = 0;
    bool failed = false;
};

// The measured work: every core operation of a connection's hot path.
work_result run_corpus(std::span<std::byte> stream, std::span<std::byte> scratch) {
    work_result r;
    message_reader reader(reader_options{role::server, 1 << 20});
    std::size_t pos = 0;
    // Feed in uneven chunks, the way reads arrive.
    std::size_t limit = 0;
    while (pos < stream.size()) {
        limit = std::min(stream.size(), limit + 37);
        while (pos < limit) {
            const auto ev = reader.next(stream.subspan(pos, limit - pos));
            pos += ev.consumed;
            if (ev.status == read_status::error) {
                r.failed = true;
                return r;
            }
            if (ev.status == read_status::need_more)
                break;
            if (ev.status == read_status::data) {
                r.payload_bytes += ev.payload.size();
                r.messages += ev.message_end;
            } else {
                ++r.controls;
                if (ev.op == opcode::close && !parse_close_payload(ev.payload))
                    r.failed = true;
            }
        }
    }
    // The write side: a header, a masked copy, a close payload; plus standalone validation.
    frame_header h;
    h.op = opcode::binary;
    h.payload_length = scratch.size();
    h.masked = true;
    h.mask_key = 0x0badf00d;
    std::array<std::byte, max_frame_header_size> head{};
    r.failed |= write_frame_header(head, h) == 0;
    apply_mask(scratch, h.mask_key);
    std::array<std::byte, 125> close_out{};
    r.failed |= build_close_payload(close_out, close_code::normal, "bye") != 5;
    utf8_validator v;
    r.failed |= !v.feed(std::as_bytes(std::span("gr\xc3\xbc\xc3\x9f dich \xf0\x9f\x98\x80", 16)));
    r.failed |= !is_valid_utf8(std::string_view("plain ascii text, long enough for a SIMD block or two....."));
    return r;
}

} // namespace

TEST(no_allocation, parse_unmask_validate_serialize) {
    std::vector<std::byte> stream;
    std::string big(70000, 'a');
    for (std::size_t i = 0; i < big.size(); i += 97)
        big.replace(i, 3, "\xe2\x82\xac");  // sprinkle 3-byte characters
    for (int i = 0; i < 50; ++i) {
        add_frame(stream, opcode::text, true, "hello, world", 0x01020304u + i);
        add_frame(stream, opcode::text, false, "fragmented \xc3", 0xa1b2c3d4u);
        add_frame(stream, opcode::ping, true, "keepalive", 0x55555555u);
        add_frame(stream, opcode::continuation, true, "\xa9 message", 0x12345678u);
        add_frame(stream, opcode::binary, true, std::string(300, 'b'), 0xffffffffu);
    }
    add_frame(stream, opcode::text, true, big, 0x9e3779b9u);
    add_frame(stream, opcode::close, true, std::string("\x03\xe8") + "done", 0x0f0f0f0fu);
    std::vector<std::byte> scratch(4096, std::byte{0x42});

    const std::size_t before = allocations();
    const work_result r = run_corpus(stream, scratch);
    const std::size_t after = allocations();

    EXPECT_FALSE(r.failed);
    EXPECT_EQ(r.messages, 50u * 3 + 1);
    EXPECT_EQ(r.controls, 51u);
    EXPECT_EQ(after - before, 0u) << "the hot path allocated";
}

TEST(no_allocation, the_counter_counts) {
    // Guards the proof above: an allocation between the two reads must be seen.
    const std::size_t before = allocations();
    auto* p = new std::vector<int>(100);
    const std::size_t after = allocations();
    delete p;
    EXPECT_GE(after - before, 2u);
}
