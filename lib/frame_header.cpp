#include <burrow/ws/frame_header.hpp>
#include <burrow/ws/mask.hpp>

#include <boost/assert.hpp>

namespace burrow::ws {
namespace {

constexpr std::uint8_t fin_bit = 0x80;
constexpr std::uint8_t rsv1_bit = 0x40;
constexpr std::uint8_t rsv2_bit = 0x20;
constexpr std::uint8_t rsv3_bit = 0x10;
constexpr std::uint8_t opcode_bits = 0x0F;
constexpr std::uint8_t mask_bit = 0x80;
constexpr std::uint8_t length_bits = 0x7F;

BURROW_ALWAYS_INLINE std::uint8_t at(std::span<const std::byte> in, std::size_t i) noexcept {
    return static_cast<std::uint8_t>(in[i]);
}

constexpr header_parse_result fail(error e) noexcept { return {header_status::error, 0, e}; }

} // namespace

header_parse_result parse_frame_header(std::span<const std::byte> in, const frame_rules& rules,
                                       frame_header& out) noexcept {
    if (in.empty())
        return {header_status::need_more, 2};

    // Everything in byte 0 can be judged before byte 1 arrives: fail at the first bad byte.
    const std::uint8_t b0 = at(in, 0);
    const std::uint8_t raw_op = b0 & opcode_bits;
    if (!is_known_opcode(raw_op))
        return fail(error::bad_opcode);
    if (((b0 & rsv1_bit) && !rules.allow_rsv1) || ((b0 & rsv2_bit) && !rules.allow_rsv2) ||
        ((b0 & rsv3_bit) && !rules.allow_rsv3))
        return fail(error::bad_reserved_bits);
    const bool fin = (b0 & fin_bit) != 0;
    const auto op = static_cast<opcode>(raw_op);
    if (is_control(op) && !fin)
        return fail(error::fragmented_control_frame);
    if (in.size() < 2)
        return {header_status::need_more, 2};

    const std::uint8_t b1 = at(in, 1);
    const bool masked = (b1 & mask_bit) != 0;
    if (masked && rules.receiver == role::client)
        return fail(error::unexpected_mask);
    if (!masked && rules.receiver == role::server)
        return fail(error::missing_mask);
    const std::uint8_t len7 = b1 & length_bits;
    if (is_control(op) && len7 > max_control_payload)
        return fail(error::control_frame_too_big);

    const std::size_t ext = len7 == 126 ? 2 : len7 == 127 ? 8 : 0;
    const std::size_t size = 2 + ext + (masked ? 4 : 0);

    // The length bytes can be judged as they arrive too (top bit, minimal encoding).
    std::uint64_t length = len7;
    if (ext == 2) {
        if (in.size() < 4)
            return {header_status::need_more, static_cast<std::uint8_t>(size)};
        length = (std::uint64_t{at(in, 2)} << 8) | at(in, 3);
        if (length < 126)
            return fail(error::non_minimal_length);
    } else if (ext == 8) {
        if (in.size() >= 3 && (at(in, 2) & 0x80))
            return fail(error::bad_payload_length);
        if (in.size() < 10)
            return {header_status::need_more, static_cast<std::uint8_t>(size)};
        length = 0;
        for (std::size_t i = 2; i < 10; ++i)
            length = (length << 8) | at(in, i);
        if (length <= 0xFFFF)
            return fail(error::non_minimal_length);
    }
    if (in.size() < size)
        return {header_status::need_more, static_cast<std::uint8_t>(size)};

    out.payload_length = length;
    out.mask_key = masked ? load_mask_key(in.data() + 2 + ext) : 0;
    out.op = op;
    out.fin = fin;
    out.rsv1 = (b0 & rsv1_bit) != 0;
    out.rsv2 = (b0 & rsv2_bit) != 0;
    out.rsv3 = (b0 & rsv3_bit) != 0;
    out.masked = masked;
    return {header_status::complete, static_cast<std::uint8_t>(size)};
}

std::size_t write_frame_header(std::span<std::byte, max_frame_header_size> out, const frame_header& h) noexcept {
    const bool control = is_control(h.op);
    const bool sendable = (h.payload_length >> 63) == 0 &&
                          (!control || (h.fin && h.payload_length <= max_control_payload));
    BOOST_ASSERT_MSG(sendable, "frame header cannot be sent");
    if (!sendable)
        return 0;

    std::uint8_t b0 = static_cast<std::uint8_t>(h.op);
    if (h.fin) b0 |= fin_bit;
    if (h.rsv1) b0 |= rsv1_bit;
    if (h.rsv2) b0 |= rsv2_bit;
    if (h.rsv3) b0 |= rsv3_bit;
    out[0] = std::byte{b0};

    const std::uint8_t mask = h.masked ? mask_bit : 0;
    std::size_t n = 2;
    if (h.payload_length < 126) {
        out[1] = std::byte(mask | static_cast<std::uint8_t>(h.payload_length));
    } else if (h.payload_length <= 0xFFFF) {
        out[1] = std::byte(mask | 126);
        out[2] = std::byte(h.payload_length >> 8);
        out[3] = std::byte(h.payload_length & 0xFF);
        n = 4;
    } else {
        out[1] = std::byte(mask | 127);
        for (std::size_t i = 0; i < 8; ++i)
            out[2 + i] = std::byte((h.payload_length >> (56 - 8 * i)) & 0xFF);
        n = 10;
    }
    if (h.masked) {
        store_mask_key(out.data() + n, h.mask_key);
        n += 4;
    }
    return n;
}

} // namespace burrow::ws
