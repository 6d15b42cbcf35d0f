// The message reader: turns received bytes into frames and messages (RFC 6455 §5.4-5.6).
//
// Theory of operation: the caller owns a receive buffer and calls `next` with the bytes it has not
// consumed yet. Each call returns one event and how many bytes of the input it consumed; the
// caller drops those bytes before the next call (keeping the rest: a partial header, a partial
// control frame) and appends newly received bytes after them. Events:
//   - need_more: nothing to report until more bytes arrive; the input must then hold at least
//     `need` bytes (a header is kept whole in the buffer, and so is a control frame, so the
//     buffer must hold at least `min_buffer_size` bytes);
//   - data: a piece of a text or binary message, unmasked in place in the caller's buffer. Pieces
//     come as soon as bytes arrive, without waiting for the whole frame, flagged with
//     `message_start`, `frame_end` and `message_end`. Every data frame yields at least one event,
//     an empty frame an empty piece;
//   - control: a whole ping, pong or close frame (payload unmasked in place). Control frames may
//     arrive between the fragments of a data message and do not disturb it. A close payload has
//     been validated (parse it with parse_close_payload);
//   - error: the peer broke the protocol; `err` says how and `to_close_code(err)` is the code to
//     fail the connection with. The reader stays failed until `reset`.
// Rules enforced: header rules (frame_header.hpp), continuation without a message in progress, a
// new data frame inside a fragmented message, RSV1 outside the first frame of a message, the
// maximum message size (checked from the header, before any payload is read), and UTF-8 of text
// messages across fragments, reported in the piece that holds the first impossible byte. Text of a
// compressed message (RSV1, permessage-deflate) is validated after inflation by the caller.
//
// Invariants: no allocation, no copy, no exception; the object is trivially copyable.
#pragma once

#include <burrow/config.hpp>
#include <burrow/error.hpp>
#include <burrow/ws/frame_header.hpp>
#include <burrow/ws/opcode.hpp>
#include <burrow/ws/utf8.hpp>

#include <cstddef>
#include <cstdint>
#include <limits>
#include <span>

namespace burrow::ws {

/// The smallest receive buffer that can always make progress: the longest control frame (2-byte
/// header, masking key, 125-byte payload; control frames have no extended length). It also holds
/// the longest data frame header.
inline constexpr std::size_t min_buffer_size = 2 + 4 + max_control_payload;
static_assert(min_buffer_size >= max_frame_header_size);

struct reader_options {
    role receiver = role::server;
    /// Largest message accepted, in payload bytes over all its frames. Larger ones fail with
    /// message_too_big (close code 1009) before their payload is read.
    std::uint64_t max_message_size = 16 * 1024 * 1024;
    /// Granted by a negotiated extension (permessage-deflate sets RSV1 on a message's first frame).
    bool allow_rsv1 = false;
};

enum class read_status : std::uint8_t { need_more, data, control, error };

struct read_event {
    read_status status = read_status::need_more;
    opcode op = opcode::text;      ///< data: the message's type (text/binary); control: its opcode
    bool message_start = false;    ///< data: first piece of a message
    bool frame_end = false;        ///< data: last piece of a frame
    bool message_end = false;      ///< data: last piece of a message
    bool compressed = false;       ///< data: the message was sent with RSV1 (permessage-deflate)
    error err{};                   ///< error: what the peer did wrong
    std::size_t consumed = 0;      ///< bytes of the input used; drop them before the next call
    std::size_t need = 0;          ///< need_more: bytes the input must hold for the next call
    std::span<std::byte> payload;  ///< data and control: a view into the caller's buffer
};

class message_reader {
public:
    explicit message_reader(const reader_options& options = {}) noexcept : options_(options) {}

    /// Consumes bytes from the front of `in` and reports the next event (see above). `in` is
    /// mutable because payloads are unmasked in place.
    read_event next(std::span<std::byte> in) noexcept;

    /// Forgets any message in progress and any failure; keeps the options.
    void reset() noexcept { *this = message_reader(options_); }

    /// True between the first frame of a data message and the end of its last frame.
    bool in_message() const noexcept { return in_message_; }

    /// Inside the payload of a data frame: how many of its bytes have not been passed to `next`
    /// yet (0 at a frame boundary). Those bytes are all payload, so a caller may receive up to this
    /// many straight into memory of its own and pass that memory to `next`, which unmasks and
    /// validates them where they are: a large payload is then never copied out of a receive
    /// buffer.
    std::uint64_t payload_remaining() const noexcept { return in_frame_ ? frame_remaining_ : 0; }

    /// The payload length of the current data frame, or of the last one once it has ended.
    std::uint64_t frame_size() const noexcept { return frame_size_; }

    const reader_options& options() const noexcept { return options_; }

private:
    read_event fail(error e) noexcept;
    error start_frame(const frame_header& h) noexcept;
    read_event payload_piece(std::span<std::byte> in, std::size_t& pos) noexcept;
    read_event control_frame(std::span<std::byte> in, std::size_t pos, const frame_header& h,
                             std::size_t header_size) noexcept;

    reader_options options_;
    std::uint64_t frame_remaining_ = 0;  // payload bytes of the current data frame still to come
    std::uint64_t frame_size_ = 0;       // payload length of the current (or last) data frame
    std::uint64_t message_size_ = 0;     // payload bytes of the current message so far
    utf8_validator utf8_;
    std::uint32_t key_ = 0;              // mask key for the next payload byte
    error failed_{};
    opcode message_op_ = opcode::text;
    bool in_message_ = false;
    bool in_frame_ = false;              // inside the payload of a data frame
    bool frame_fin_ = false;
    bool masked_ = false;
    bool compressed_ = false;
    bool start_reported_ = false;
};

} // namespace burrow::ws
