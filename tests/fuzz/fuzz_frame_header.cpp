// Fuzzes parse_frame_header / write_frame_header.
//
// Input: byte 0 picks the extensions granted (bit 0: RSV1, bit 1: RSV2, bit 2: RSV3); the rest is
// the bytes at a frame boundary. Both receiver roles are tried. Invariants:
//   - sizes are sane: complete => 2..14 and within the input; need_more => 2..14 and more than
//     the input; error => a real error code;
//   - re-chunking: every prefix gives need_more (asking for more bytes than it has, 2 before the
//     second byte, the header size after it) until the header is complete, then the same header
//     and size as the whole input;
//   - errors are stable: on error, every prefix gives need_more or that same error, and once a
//     prefix fails every longer one does;
//   - round trip: a complete header written back with write_frame_header gives the same bytes
//     (non-minimal lengths are rejected, so the encoding is unique) and parses to the same header.
#include "fuzz_check.hpp"

#include <burrow/ws/frame_header.hpp>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>

namespace {

using namespace burrow::ws;

void check_rules(std::span<const std::byte> in, const frame_rules& rules) {
    frame_header whole_h{};
    const header_parse_result whole = parse_frame_header(in, rules, whole_h);

    switch (whole.status) {
    case header_status::complete:
        BURROW_FUZZ_CHECK(whole.size >= 2 && whole.size <= max_frame_header_size);
        BURROW_FUZZ_CHECK(whole.size <= in.size());
        break;
    case header_status::need_more:
        BURROW_FUZZ_CHECK(whole.size >= 2 && whole.size <= max_frame_header_size);
        BURROW_FUZZ_CHECK(whole.size > in.size());
        break;
    case header_status::error:
        BURROW_FUZZ_CHECK(whole.err != burrow::error{});
        break;
    default:
        BURROW_FUZZ_CHECK(false);
    }

    // Bytes past the 14th can never matter: try every prefix up to there, then the whole input.
    const std::size_t last = std::min(in.size(), max_frame_header_size + 2);
    bool prefix_failed = false;
    for (std::size_t i = 0; i <= last + 1; ++i) {
        const std::size_t n = i <= last ? i : in.size();
        frame_header h{};
        const header_parse_result r = parse_frame_header(in.first(n), rules, h);
        if (r.status == header_status::need_more) {
            BURROW_FUZZ_CHECK(!prefix_failed);
            BURROW_FUZZ_CHECK(r.size > n && r.size <= max_frame_header_size);
            if (n < 2)
                BURROW_FUZZ_CHECK(r.size == 2);
        }
        switch (whole.status) {
        case header_status::complete:
            if (n < whole.size) {
                BURROW_FUZZ_CHECK(r.status == header_status::need_more);
                if (n >= 2)
                    BURROW_FUZZ_CHECK(r.size == whole.size);
            } else {
                BURROW_FUZZ_CHECK(r.status == header_status::complete);
                BURROW_FUZZ_CHECK(r.size == whole.size);
                BURROW_FUZZ_CHECK(h == whole_h);
            }
            break;
        case header_status::need_more:
            BURROW_FUZZ_CHECK(r.status == header_status::need_more);
            if (n >= 2)
                BURROW_FUZZ_CHECK(r.size == whole.size);
            break;
        case header_status::error:
            BURROW_FUZZ_CHECK(r.status != header_status::complete);
            if (r.status == header_status::error) {
                BURROW_FUZZ_CHECK(r.err == whole.err);
                prefix_failed = true;
            }
            break;
        }
    }

    if (whole.status != header_status::complete)
        return;

    std::array<std::byte, max_frame_header_size> out{};
    const std::size_t written = write_frame_header(out, whole_h);
    BURROW_FUZZ_CHECK(written == whole.size);
    BURROW_FUZZ_CHECK(std::memcmp(out.data(), in.data(), written) == 0);

    frame_header again{};
    const header_parse_result r = parse_frame_header(std::span{out}.first(written), rules, again);
    BURROW_FUZZ_CHECK(r.status == header_status::complete);
    BURROW_FUZZ_CHECK(r.size == written);
    BURROW_FUZZ_CHECK(again == whole_h);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0)
        return 0;
    const std::uint8_t control = data[0];
    const std::span<const std::byte> in{reinterpret_cast<const std::byte*>(data) + 1, size - 1};
    for (role receiver : {role::client, role::server}) {
        frame_rules rules;
        rules.receiver = receiver;
        rules.allow_rsv1 = (control & 1) != 0;
        rules.allow_rsv2 = (control & 2) != 0;
        rules.allow_rsv3 = (control & 4) != 0;
        check_rules(in, rules);
    }
    return 0;
}
