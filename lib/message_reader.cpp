#include <burrow/ws/close.hpp>
#include <burrow/ws/mask.hpp>
#include <burrow/ws/message_reader.hpp>

#include <algorithm>

namespace burrow::ws {

read_event message_reader::fail(error e) noexcept {
    failed_ = e;
    read_event ev;
    ev.status = read_status::error;
    ev.err = e;
    return ev;
}

read_event message_reader::next(std::span<std::byte> in) noexcept {
    if (BURROW_UNLIKELY(failed_ != error{}))
        return fail(failed_);

    std::size_t pos = 0;
    if (in_frame_)
        return payload_piece(in, pos);

    const frame_rules rules{options_.receiver, options_.allow_rsv1, false, false};
    frame_header h;
    const auto parsed = parse_frame_header(in, rules, h);
    if (parsed.status == header_status::need_more) {
        read_event ev;
        ev.need = parsed.size;
        return ev;
    }
    if (parsed.status == header_status::error)
        return fail(parsed.err);
    if (is_control(h.op))
        return control_frame(in, pos, h, parsed.size);

    if (const error e = start_frame(h); e != error{})
        return fail(e);
    pos = parsed.size;
    return payload_piece(in, pos);
}

read_event message_reader::control_frame(std::span<std::byte> in, std::size_t pos, const frame_header& h,
                                         std::size_t header_size) noexcept {
    const std::size_t total = header_size + static_cast<std::size_t>(h.payload_length);
    if (in.size() - pos < total) {
        // Keep the whole control frame in the caller's buffer so it is reported in one piece.
        read_event ev;
        ev.consumed = pos;
        ev.need = total;
        return ev;
    }
    auto payload = in.subspan(pos + header_size, static_cast<std::size_t>(h.payload_length));
    if (h.masked)
        apply_mask(payload, h.mask_key);
    if (h.op == opcode::close) {
        if (auto parsed = parse_close_payload(payload); !parsed)
            return fail(static_cast<error>(parsed.error().value()));
    }
    read_event ev;
    ev.status = read_status::control;
    ev.op = h.op;
    ev.consumed = pos + total;
    ev.payload = payload;
    return ev;
}

error message_reader::start_frame(const frame_header& h) noexcept {
    if (h.op == opcode::continuation) {
        if (!in_message_)
            return error::unexpected_continuation;
        if (h.rsv1)  // RFC 7692 §6: RSV1 marks a message, so only its first frame may carry it
            return error::bad_reserved_bits;
    } else {
        if (in_message_)
            return error::expected_continuation;
        in_message_ = true;
        message_op_ = h.op;
        message_size_ = 0;
        compressed_ = h.rsv1;
        start_reported_ = false;
        utf8_.reset();
    }
    if (h.payload_length > options_.max_message_size - message_size_)
        return error::message_too_big;
    message_size_ += h.payload_length;
    frame_remaining_ = h.payload_length;
    frame_size_ = h.payload_length;
    frame_fin_ = h.fin;
    masked_ = h.masked;
    key_ = h.mask_key;
    in_frame_ = true;
    return error{};
}

// Reports the payload bytes of the current data frame found at in[pos...]. An empty frame is
// reported as an empty piece, so every frame shows up.
read_event message_reader::payload_piece(std::span<std::byte> in, std::size_t& pos) noexcept {
    const std::size_t available = in.size() - pos;
    if (available == 0 && frame_remaining_ != 0) {
        read_event ev;
        ev.consumed = pos;
        ev.need = 1;
        return ev;
    }
    const auto n = static_cast<std::size_t>(std::min<std::uint64_t>(available, frame_remaining_));
    auto piece = in.subspan(pos, n);
    if (masked_)
        key_ = apply_mask(piece, key_);
    pos += n;
    frame_remaining_ -= n;

    const bool frame_end = frame_remaining_ == 0;
    const bool message_end = frame_end && frame_fin_;
    if (message_op_ == opcode::text && !compressed_) {
        if (!utf8_.feed(piece) || (message_end && !utf8_.complete()))
            return fail(error::bad_utf8);
    }

    read_event ev;
    ev.status = read_status::data;
    ev.op = message_op_;
    ev.message_start = !start_reported_;
    ev.frame_end = frame_end;
    ev.message_end = message_end;
    ev.compressed = compressed_;
    ev.consumed = pos;
    ev.payload = piece;
    start_reported_ = true;
    if (frame_end)
        in_frame_ = false;
    if (message_end)
        in_message_ = false;
    return ev;
}

} // namespace burrow::ws
