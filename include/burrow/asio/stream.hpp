// burrow::websocket::stream<NextLayer>: an open WebSocket connection over any Asio stream (a TCP
// socket, a TLS stream, a proxy tunnel), with coroutine operations.
//
// Theory of operation: received bytes go into one fixed buffer, and the sans-I/O message_reader
// (ws/message_reader.hpp) turns them into payload pieces, which are handed out as views of that
// buffer after unmasking and UTF-8 validation in place: no copy, no allocation. The buffer is
// borrowed from a per-thread pool (detail/buffer_pool.hpp) only while there are bytes in it: once
// everything read was handed out, a socket stream gives it back and waits for readability before
// taking one again, so an idle connection holds no read buffer at all. Control frames are
// handled inside the read path: a ping is answered with a pong, a close completes the close
// handshake (RFC 6455 §7) and the read ends with error::closed, the peer's code and reason kept in
// close_reason(). A protocol violation fails the connection: a Close with the matching code
// (1002, 1007, 1009) is sent, then the connection is closed, and the read returns the error.
//
// Writes take turns through a write gate, frame by frame, so one read and one write may be
// outstanding at once (full duplex) and a pong or close can go out between the fragments of a
// long message. A server sends header and payload with one gather write; a client masks into a
// buffer from the same pool, held only during the write, with keys from a batched cryptographic
// generator.
//
// A socket its owner put in non-blocking mode is read and written at once (read_some/write_some),
// through Asio's asynchronous operations only when it is not ready; a blocking-mode socket (the
// default) always uses the asynchronous operations. co_read_frame_if_ready and note_readable let a
// server wait for readability itself and hold nothing while a connection is idle (parked_server).
//
// Keepalive: with options.ping_interval, a read that waits that long sends a ping; no frame
// within options.pong_timeout after it fails with ping_timeout. options.idle_timeout fails a read
// when nothing at all arrives for that long. Both are off by default, and cost nothing then.
//
// Errors are values: every operation returns boost::system::error_code (or result<T>), never
// throws on the data path. After an error or a close, only close-related calls are meaningful.
// Memory exhaustion is a value too: boost::system::errc::not_enough_memory when the stream cannot
// get a buffer of its own: a read buffer, or a client's masking buffer for a frame larger than
// small_masked_frame (control frames never need one; a corked frame whose queue cannot get a
// buffer goes out at once instead). Nothing was read or sent then and the connection stays open,
// except in two cases where the connection is failed with that error: a read already took bytes
// that the read buffer could not grow to keep (they are lost), or co_write sent the first frames
// of a fragmented message and cannot send the rest. (Memory the caller's container needs, in
// co_read, is the container's business: its own exception.) parked_server ends a connection on
// any read error, this one included.
#pragma once

#include <burrow/asio/detail/asio_config.hpp>
#include <burrow/asio/detail/buffer_pool.hpp>
#include <burrow/asio/detail/deadline.hpp>
#include <burrow/asio/detail/end_of_stream.hpp>
#include <burrow/asio/detail/room_growth.hpp>
#include <burrow/asio/detail/teardown.hpp>
#include <burrow/asio/detail/transfer_everything.hpp>
#include <burrow/asio/detail/write_gate.hpp>
#include <burrow/config.hpp>
#include <burrow/error.hpp>
#include <burrow/ws/close.hpp>
#include <burrow/ws/frame_header.hpp>
#include <burrow/ws/mask.hpp>
#include <burrow/ws/mask_key_source.hpp>
#include <burrow/ws/message_reader.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/socket_base.hpp>
#include <boost/assert.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/system/result.hpp>

#include <algorithm>
#include <bit>
#include <limits>
#include <cstdint>
#include <array>
#include <chrono>
#include <concepts>
#include <cstring>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>

namespace burrow::websocket {

using ws::close_code;
using ws::opcode;
using ws::role;

struct stream_options {
    /// Largest message accepted (bytes over all its frames); larger ones fail with 1009.
    std::uint64_t max_message_size = 64 * 1024 * 1024;
    /// Receive buffer. Payload pieces handed out by co_read_frame are at most this long.
    std::size_t read_buffer_size = 64 * 1024;
    /// Client masking buffer: a client writes its payload masked in chunks of this size (the
    /// frame header comes on top, so a payload of exactly this size goes out in one write). The
    /// buffer is held only during a write, from a pool per thread: a client stream that is not
    /// writing holds none, and the streams of a thread reuse the same few (cache-warm) buffers.
    std::size_t write_buffer_size = 64 * 1024;
    /// co_write splits larger messages into frames of this size (0: never).
    std::size_t max_frame_size = 0;
    /// Keepalive: send a ping after this much silence while reading (0: never).
    std::chrono::steady_clock::duration ping_interval{};
    /// Fail with ping_timeout when nothing arrives this long after a keepalive ping.
    std::chrono::steady_clock::duration pong_timeout = std::chrono::seconds(30);
    /// Fail a read with idle_timeout when nothing arrives for this long (0: never).
    std::chrono::steady_clock::duration idle_timeout{};
    /// After sending or echoing a Close: how long to wait for the peer's Close or its TCP close.
    std::chrono::steady_clock::duration close_timeout = std::chrono::seconds(5);
    /// Extensions granted RSV1 (permessage-deflate); burrow itself negotiates none yet.
    bool allow_rsv1 = false;
    /// Keep the read buffer while waiting for the peer, and let the read itself wait. By default
    /// an idle stream gives its read buffer back and waits for readability without one (Asio's
    /// wait re-arms epoll each time: one epoll_ctl per message); with this set, the read goes
    /// straight to Asio's reactor, which reads when data arrives (one recv per message, nothing
    /// else), but the stream holds read_buffer_size bytes also while idle. For a few busy
    /// connections (burrow-bench's load turns it on); not for thousands of mostly idle ones.
    bool keep_read_buffer = false;
    /// Called with every ping and pong received (opcode and payload, valid during the call), for
    /// applications that measure round trips or log heartbeats. Pings are answered either way.
    std::function<void(ws::opcode, std::span<const std::byte>)> on_control;
};

/// A piece of a data message, as co_read_frame returns it.
struct frame_piece {
    opcode type = opcode::text;    ///< text or binary: the message's type
    std::span<const std::byte> payload;  ///< valid until the next read on the stream
    bool message_start = false;
    bool frame_end = false;
    bool message_end = false;
};

/// What co_read reports about a whole message.
struct message_info {
    opcode type = opcode::text;
    std::size_t size = 0;
};

template <class NextLayer>
class stream {
public:
    using next_layer_type = NextLayer;
    using executor_type = typename NextLayer::executor_type;

    /// Takes over `next` after a completed opening handshake. `leftover` holds bytes already read
    /// past the handshake (a first frame the peer sent right after it).
    stream(NextLayer next, role r, const stream_options& options = {}, std::span<const std::byte> leftover = {})
        : next_(std::move(next))
        , role_(r)
        , options_{options.max_frame_size, options.ping_interval, options.pong_timeout, options.idle_timeout,
                   options.close_timeout}
        , on_control_(options.on_control ? std::make_unique<control_observer>(options.on_control) : nullptr)
        , reader_(ws::reader_options{r, options.max_message_size, options.allow_rsv1})
        , read_buffer_size_(std::max(nominal_read_buffer_size(options), ws::min_buffer_size + leftover.size()))
        , client_(r == role::client ? std::make_unique<client_side>(std::max<std::size_t>(options.write_buffer_size, 256) +
                                                                     ws::max_frame_header_size)
                                    : nullptr) {
        keep_read_buffer_ = options.keep_read_buffer;
        nominal_read_buffer_size_ = static_cast<std::uint32_t>(nominal_read_buffer_size(options));
        add_leftover(leftover);
    }

    /// Hands the stream bytes read past the handshake, as the constructor's `leftover` does, for a
    /// stream constructed before its upgrade ran on next_layer() (websocket::parked_server builds
    /// a connection once, when the TCP connection arrives). Only before the first read.
    void add_leftover(std::span<const std::byte> leftover) {
        if (leftover.empty())
            return;
        BOOST_ASSERT(read_begin_ == 0);
        const std::size_t need = read_end_ + leftover.size();
        // A buffer large enough, and a frame's worth more. (Not the data path: this may throw.)
        if ((need > read_buffer_size_ && !grow_read_buffer(need + ws::min_buffer_size)) || !take_read_buffer())
            throw std::bad_alloc();
        std::memcpy(read_buffer_ + read_end_, leftover.data(), leftover.size());
        read_end_ += leftover.size();
    }

    stream(const stream&) = delete;
    stream& operator=(const stream&) = delete;
    ~stream() {
        give_back_read_buffer();
        give_back_batch();
    }

    NextLayer& next_layer() noexcept { return next_; }
    const NextLayer& next_layer() const noexcept { return next_; }
    executor_type get_executor() noexcept { return next_.get_executor(); }
    role get_role() const noexcept { return role_; }

    /// The peer's close code and reason once a Close frame was received (code no_status before).
    close_code peer_close_code() const noexcept { return peer_code_; }
    std::string_view peer_close_reason() const noexcept {
        return peer_reason_ ? std::string_view(peer_reason_.get(), peer_reason_size_) : std::string_view();
    }

    /// True until the connection was closed or failed.
    bool is_open() const noexcept { return !finished_; }

    /// Why the connection ended: error::closed after a completed close handshake, else the error
    /// that ended it (a reset, a protocol error, close_timeout...); empty while it is open.
    boost::system::error_code end_reason() const noexcept { return finish_error_; }

    /// Reads the next piece of a data message (see frame_piece), answering control frames on the
    /// way. Errors: closed (the peer closed; see peer_close_code), a protocol error (the connection
    /// was failed with the matching close code), connection_lost, ping_timeout, idle_timeout,
    /// operation_in_progress (another read is outstanding), errc::not_enough_memory (see the
    /// file's comment on errors), or an I/O error of the next layer.
    boost::asio::awaitable<boost::system::result<frame_piece>> co_read_frame() {
        return read_piece(read_mode::frame);  // one coroutine frame per read, not two
    }

    /// Like co_read_frame, for servers that wait for readability themselves instead of keeping a
    /// read outstanding on every idle connection (websocket::parked_server does so): when every
    /// byte received so far was handed out and the next read would have to wait for the peer, the
    /// read buffer goes back to the pool and the read completes at once with
    /// boost::asio::error::would_block. The connection then holds no buffer and no coroutine; the
    /// caller waits with next_layer().async_wait(wait_read), calls note_readable(), and reads
    /// again. Control frames are answered on the way as with co_read_frame. would_block can come
    /// whenever no received byte is left, also after a frame header whose payload has not arrived
    /// or between the fragments of a message (the next read continues where this one stopped);
    /// reads with keepalive, idle timeout or a close under way wait as usual. Layers that cannot
    /// wait for readability (TLS) never complete with would_block. On a socket in non-blocking
    /// mode, reads are tried at once; after 16 such reads in a row one goes through the scheduler,
    /// so that a peer that keeps sending cannot starve the rest of the thread.
    boost::asio::awaitable<boost::system::result<frame_piece>> co_read_frame_if_ready() {
        return read_piece(read_mode::frame_if_ready);
    }

    /// co_read_frame, offering `room` for the payload (all of it is scratch space during the call,
    /// also when the piece returned is not in it): the bytes of a large frame's payload (a
    /// frame of 4 KiB or more) that have not arrived yet are received straight into `room` (up to
    /// its size) and unmasked and validated there, and the piece's payload then starts at
    /// room.data(); any other piece is a view of the stream's buffer as usual. For readers that
    /// gather whole messages in memory of their own (co_read and parked_server do): a large
    /// message is then received without a copy, and, while large frames keep coming, the stream
    /// reads headers in small reads so that little payload lands in its own buffer.
    boost::asio::awaitable<boost::system::result<frame_piece>> co_read_frame(std::span<std::byte> room) {
        return read_piece(read_mode::frame, room);
    }

    /// co_read_frame_if_ready, offering `room` for the payload as co_read_frame(room) does.
    boost::asio::awaitable<boost::system::result<frame_piece>> co_read_frame_if_ready(std::span<std::byte> room) {
        return read_piece(read_mode::frame_if_ready, room);
    }

    /// Inside a data frame: how many bytes of its payload have not been handed out yet (some of
    /// them may be in the stream's buffer already); 0 at a frame boundary. A reader that gathers
    /// messages in memory of its own sizes the room it offers to co_read_frame(room) with it.
    std::uint64_t payload_remaining() const noexcept { return reader_.payload_remaining(); }

    /// Tells the stream that the next layer is readable (the caller's own wait for readability
    /// completed), so that the next read reads at once instead of waiting for readability again.
    void note_readable() noexcept { last_read_filled_ = true; }

    /// Reads a whole message into `buffer`. If it does not fit, the rest of the message is read
    /// and dropped and the result is message_too_big_for_buffer (the connection stays usable).
    boost::asio::awaitable<boost::system::result<message_info>> co_read(std::span<std::byte> buffer) {
        if (reading_)
            co_return make_error_code(error::operation_in_progress);
        flag_guard reading(reading_);  // for the whole message; read_piece directly saves a frame
        message_info info;
        bool overflow = false;
        for (;;) {
            const auto room = overflow ? std::span<std::byte>{} : buffer.subspan(info.size);
            auto piece = co_await read_piece(read_mode::in_message, room);
            if (!piece)
                co_return piece.error();
            info.type = piece->type;
            if (received_into(*piece, room)) {
                info.size += piece->payload.size();
            } else if (!overflow && info.size + piece->payload.size() <= buffer.size()) {
                if (!piece->payload.empty())  // an empty piece may have no data pointer at all
                    std::memcpy(buffer.data() + info.size, piece->payload.data(), piece->payload.size());
                info.size += piece->payload.size();
            } else {
                overflow = true;
            }
            if (piece->message_end)
                break;
        }
        if (overflow)
            co_return make_error_code(error::message_too_big_for_buffer);
        co_return info;
    }

    /// Reads a whole message into `out` (replacing its contents; its capacity is reused, so a
    /// steady stream of messages allocates nothing once `out` is large enough). A contiguous
    /// container that can be resized (std::vector, std::string) receives large payloads straight
    /// into its memory, without a copy; what it held before is overwritten rather than cleared
    /// first, so a steady stream of large messages does not zero-fill it again either. After an error the
    /// contents of `out` are unspecified.
    template <class ByteContainer>
        requires requires(ByteContainer& c, const typename ByteContainer::value_type* p) {
            c.clear();
            c.insert(c.end(), p, p);
            requires sizeof(typename ByteContainer::value_type) == 1;
        }
    boost::asio::awaitable<boost::system::result<message_info>> co_read(ByteContainer& out) {
        if (reading_)
            co_return make_error_code(error::operation_in_progress);
        flag_guard reading(reading_);  // for the whole message; read_piece directly saves a frame
        message_info info;
        if constexpr (requires(ByteContainer& c, std::size_t n) {
                          c.resize(n);
                          { c.data() } -> std::convertible_to<const typename ByteContainer::value_type*>;
                      }) {
            std::size_t filled = 0;
            for (;;) {
                const std::uint64_t pending = reader_.payload_remaining();
                if (pending >= direct_read_min && out.size() - filled < pending)
                    out.resize(detail::grown_room(out.size(), filled, pending));
                const std::span<std::byte> room(reinterpret_cast<std::byte*>(out.data()) + filled, out.size() - filled);
                auto piece = co_await read_piece(read_mode::in_message, room);
                if (!piece)
                    co_return piece.error();
                info.type = piece->type;
                const std::size_t n = piece->payload.size();
                if (!received_into(*piece, room)) {
                    if (out.size() - filled < n)
                        out.resize(filled + n);
                    if (n != 0)
                        std::memcpy(reinterpret_cast<std::byte*>(out.data()) + filled, piece->payload.data(), n);
                }
                filled += n;
                if (piece->message_end)
                    break;
            }
            out.resize(filled);
            info.size = filled;
        } else {
            out.clear();
            for (;;) {
                auto piece = co_await read_piece();
                if (!piece)
                    co_return piece.error();
                info.type = piece->type;
                const auto* p = reinterpret_cast<const typename ByteContainer::value_type*>(piece->payload.data());
                out.insert(out.end(), p, p + piece->payload.size());
                if (piece->message_end)
                    break;
            }
            info.size = out.size();
        }
        co_return info;
    }

    /// Sends a whole message (split into frames of options.max_frame_size when set).
    boost::asio::awaitable<boost::system::error_code> co_write(std::span<const std::byte> payload,
                                                               opcode type = opcode::binary) {
        // Not a coroutine itself: a message that goes out as one frame costs one coroutine frame
        // (send_frame's) instead of two, which keeps a read and a write within Asio's per-thread
        // frame cache (two frames) also when the caller's handler is a coroutine of its own.
        if ((type == opcode::text || type == opcode::binary) &&
            (options_.max_frame_size == 0 || payload.size() <= options_.max_frame_size))
            return send_frame(type, true, payload);
        return write_fragmented(payload, type);
    }

    boost::asio::awaitable<boost::system::error_code> co_write_text(std::string_view text) {
        return co_write(std::as_bytes(std::span(text.data(), text.size())), opcode::text);
    }

    /// Sends one frame of a message the caller fragments itself: the first with text or binary,
    /// the following ones with continuation; `fin` on the last.
    boost::asio::awaitable<boost::system::error_code> co_write_frame(std::span<const std::byte> payload, opcode op,
                                                                     bool fin) {
        if (ws::is_control(op))
            co_return make_error_code(error::bad_write);
        co_return co_await send_frame(op, fin, payload);
    }

    /// Starts batching writes ("corking"), for a reader that answers the messages it reads: while
    /// corked, co_write, co_write_frame and the answers to pings queue their frames in a buffer of
    /// the stream (write_batch_capacity bytes, taken from a pool while something is queued) and
    /// complete at once, without a system call. The queue goes out in one write: together with the
    /// next frame that does not fit in it (or is a ping or a Close), when a read of this stream is
    /// about to wait for the peer (co_read_frame_if_ready: before it completes with would_block),
    /// on co_flush() and on co_uncork(). While a read of this stream waits for the peer, frames
    /// are not queued but sent at once (with the queue), so a write from another coroutine is
    /// never held back by a read. A peer that sends a burst of messages so gets its answers
    /// in one write, not one per message. The error of a write that carried queued frames is
    /// reported by the call that made it (that later write, the read, co_flush). A coroutine that
    /// queues a frame and then waits for something other than this stream's reads calls co_flush()
    /// first. Frames still queued when the stream is destroyed are dropped.
    void cork() noexcept { corked_ = true; }

    /// True between cork() and co_uncork() or uncork().
    bool corked() const noexcept { return corked_; }

    /// Bytes of queued frames not yet sent (0 when nothing is queued; frames queued before an
    /// uncork() stay until they go out).
    std::size_t queued_bytes() const noexcept { return batch_used_; }

    /// Sends the frames queued while corked (does nothing when none are); stays corked.
    boost::asio::awaitable<boost::system::error_code> co_flush() { return send_batch(); }

    /// Stops batching, then sends what was queued.
    boost::asio::awaitable<boost::system::error_code> co_uncork() {
        corked_ = false;
        return send_batch();
    }

    /// Stops batching without sending: frames still queued go out ahead of the next write, before
    /// the next read waits for the peer, or on co_flush(). For a reader that corks only while it
    /// has more received messages to answer (websocket::parked_server does): the answer to the
    /// last one then carries the queue, in one write.
    void uncork() noexcept { corked_ = false; }

    /// True when the next read will not wait for the peer: received bytes are not all handed out
    /// yet, or the last read filled all it offered (more is probably waiting in the socket).
    bool input_pending() const noexcept { return read_begin_ != read_end_ || last_read_filled_; }

    /// Size of the queue of a corked stream (frames larger than this are sent at once).
    static constexpr std::size_t write_batch_capacity = 16 * 1024;

    /// A client masks frames of up to this many bytes (header included) in memory of the write
    /// itself, not a pooled buffer: every control frame, and small messages.
    static constexpr std::size_t small_masked_frame = 256;

    /// Sends a ping (payload at most 125 bytes).
    boost::asio::awaitable<boost::system::error_code> co_ping(std::span<const std::byte> payload = {}) {
        return send_control(opcode::ping, payload);
    }

    /// Sends an unsolicited pong (a heartbeat; RFC 6455 §5.5.3).
    boost::asio::awaitable<boost::system::error_code> co_pong(std::span<const std::byte> payload = {}) {
        return send_control(opcode::pong, payload);
    }

    /// Starts or completes the close handshake: sends Close(code, reason) unless one was sent, then,
    /// when no read is outstanding, reads (dropping data) until the peer's Close arrives and the
    /// connection ends, within options.close_timeout. With a read outstanding elsewhere, that read
    /// completes the handshake and ends with error::closed. Returns success when the handshake
    /// completed cleanly.
    boost::asio::awaitable<boost::system::error_code> co_close(close_code code = close_code::normal,
                                                               std::string_view reason = {}) {
        if (finished_) {
            // Already over: a completed close handshake is a success, anything else is reported.
            co_return close_sent_ && close_received_ ? boost::system::error_code{} : finish_error_;
        }
        if (!close_sent_) {
            if (auto ec = co_await send_close_bounded(code, reason))
                co_return ec;
        }
        if (reading_) {
            // The outstanding read completes the handshake; if it has not within close_timeout,
            // closing the socket ends it (finish() wakes us early when it does complete).
            // The timer exists only while a co_close waits like this (a stream costs less idle).
            if (!closing_wait_)
                closing_wait_ = std::make_unique<boost::asio::steady_timer>(next_.get_executor());
            closing_wait_->expires_at(close_sent_at_ + options_.close_timeout);
            (void)co_await closing_wait_->async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
            if (!finished_) {
                finish(make_error_code(error::close_timeout));
                shut_down();
            }
            co_return close_sent_ && close_received_ ? boost::system::error_code{} : finish_error_;
        }
        flag_guard reading(reading_);
        auto drain = [this]() -> boost::asio::awaitable<boost::system::error_code> {
            for (;;) {
                auto piece = co_await read_piece();
                if (!piece)
                    co_return piece.error();
            }
        };
        const auto ec = co_await drain();  // read_piece bounds every read by close_timeout now
        co_return ec == error::closed ? boost::system::error_code{} : ec;
    }

private:
    using clock = detail::clock;

    // Sets a flag for a scope (also when the coroutine is destroyed or throws).
    struct flag_guard {
        explicit flag_guard(bool& f) noexcept : flag(f) { flag = true; }
        flag_guard(const flag_guard&) = delete;
        flag_guard& operator=(const flag_guard&) = delete;
        ~flag_guard() { flag = false; }
        bool& flag;
    };

    // --- reading ---

    // How read_piece was called: by a whole-message read or co_close (which hold the reading flag
    // themselves), or directly as co_read_frame / co_read_frame_if_ready.
    enum class read_mode : std::uint8_t { in_message, frame, frame_if_ready };

    // `room`: the caller's memory for the message's payload (empty: none). The payload of a large
    // frame that has not arrived yet is received straight into it (direct_room), so a whole-message
    // read does not copy it out of the read buffer afterwards; such a piece starts at room.data().
    boost::asio::awaitable<boost::system::result<frame_piece>> read_piece(read_mode mode = read_mode::in_message,
                                                                          std::span<std::byte> room = {}) {
        std::optional<flag_guard> reading;
        std::optional<flag_guard> no_wait;
        if (mode != read_mode::in_message) {
            if (reading_)
                co_return make_error_code(error::operation_in_progress);
            reading.emplace(reading_);
            if (mode == read_mode::frame_if_ready)
                no_wait.emplace(return_instead_of_waiting_);
        }
        std::size_t in_room = 0;  // payload bytes read past a header straight into the room
        for (;;) {
            if (finished_)
                co_return finish_error_;  // the connection ended earlier: report how, again
            const std::span<std::byte> input =
                read_buffer_ ? std::span(read_buffer_ + read_begin_, read_end_ - read_begin_) : std::span<std::byte>{};
            const auto ev = reader_.next(input);
            read_begin_ += ev.consumed;
            switch (ev.status) {
            case ws::read_status::data:
                co_return frame_piece{ev.op, ev.payload, ev.message_start, ev.frame_end, ev.message_end};
            case ws::read_status::control:
                if (auto ec = co_await on_control(ev.op, ev.payload))
                    co_return ec;
                continue;
            case ws::read_status::error: co_return co_await fail(ev.err);
            case ws::read_status::need_more: break;
            }
            // (Bytes a scatter read left in the room are handed out first, also when a close
            // started meanwhile: the room is gone once this call returns.)
            if (!plain_read() && in_room == 0) {
                if (auto ec = co_await fill(ev.need))
                    co_return ec;
                continue;
            }
            // The common case inline (no keepalive, no close under way): one coroutine frame less
            // per read, so the frames of a read and a write fit Asio's per-thread frame cache.
            const std::span<std::byte> direct = direct_room(room);
            std::size_t n = 0;
            BOOST_ASSERT(in_room == 0 || !direct.empty());
            if (in_room != 0) {
                n = std::exchange(in_room, 0);  // already there: read past the header just parsed
            } else {
                if (!direct.empty()) {
                    give_back_read_buffer();  // it is empty; the next frame header takes one again
                    read_begin_ = read_end_ = 0;
                }
                bool read_waits = false;  // keep_read_buffer: the read below waits in Asio's reactor
                if constexpr (can_wait_readable) {
                    const bool nothing_there = direct.empty() ? make_room(ev.need) : !last_read_filled_;
                    if (nothing_there && keep_read_buffer_ && !return_instead_of_waiting_) {
                        read_waits = true;
                    } else if (nothing_there) {
                        reads_at_once_ = 0;  // the next bytes come through the reactor (or the caller's wait)
                        if (direct.empty())
                            give_back_read_buffer();  // (kept by make_room with keep_read_buffer)
                        if (must_flush_before_waiting()) {
                            if (auto ec = co_await send_batch())
                                co_return ec;
                        }
                        if (return_instead_of_waiting_)  // co_read_frame_if_ready: the caller waits
                            co_return make_error_code(boost::asio::error::would_block);
                        flag_guard waiting(waiting_for_peer_);
                        auto [wait_ec] = co_await next_.async_wait(NextLayer::wait_read,
                                                                   boost::asio::as_tuple(boost::asio::use_awaitable));
                        if (wait_ec)
                            co_return read_failed(wait_ec);
                    }
                } else if (direct.empty()) {
                    (void)make_room(ev.need);
                }
                // What the read fills: `direct`, or the read buffer's free space, or (while large
                // frames keep coming, when the caller offers room) just the next frame's header in the
                // read buffer and its payload straight in the room, with one scatter read.
                std::array<boost::asio::mutable_buffer, 2> space{boost::asio::buffer(direct.data(), direct.size()),
                                                                 boost::asio::mutable_buffer()};
                if (direct.empty()) {
                    if (!take_read_buffer())  // nothing read yet, nothing lost: a later read may try again
                        co_return make_error_code(boost::system::errc::not_enough_memory);
                    space[0] = boost::asio::buffer(read_buffer_ + read_end_, read_buffer_size_ - read_end_);
                    // (At a frame boundary, frame_size() is the last data frame's.)
                    if (reader_.frame_size() >= direct_read_min && read_end_ == 0 && reader_.payload_remaining() == 0 &&
                        room.size() >= direct_read_min) {
                        const std::size_t head = expected_header_size();
                        space[0] = boost::asio::buffer(read_buffer_, head);
                        // Up to a frame like the last one, at most the read buffer's size (a
                        // 64 KiB payload and its header are more than a 64 KiB read buffer: one
                        // read instead of two; place_spill may then need a larger buffer once).
                        const std::size_t predicted = static_cast<std::size_t>(
                            std::min<std::uint64_t>(reader_.frame_size(), read_buffer_size_));
                        space[1] = boost::asio::buffer(room.data(),
                                                       std::min(room.size(), std::max(read_buffer_size_ - head, predicted)));
                    }
                }
                const std::size_t offered = space[0].size() + space[1].size();
                bool have_bytes = false;
                if constexpr (can_try_at_once) {
                    // On a socket its owner put in non-blocking mode (parked_server does), read at once:
                    // when bytes are there this costs no operation and no trip through the scheduler.
                    // After max_reads_at_once such reads in a row one read goes through the scheduler,
                    // so that a peer that keeps sending cannot starve the other work of the thread.
                    if (next_.non_blocking() && reads_at_once_ < max_reads_at_once && !read_waits) {
                        boost::system::error_code ec;
                        // One buffer when there is no room behind it (recv rather than recvmsg).
                        n = space[1].size() == 0 ? next_.read_some(space[0], ec) : next_.read_some(space, ec);
                        if (!ec) {
                            ++reads_at_once_;
                            have_bytes = true;
                        } else {
                            if (ec != boost::asio::error::would_block && ec != boost::asio::error::try_again)
                                co_return read_failed(ec);
                            last_read_filled_ = false;
                            reads_at_once_ = 0;  // drained: the next bytes come through the reactor anyway
                            if (must_flush_before_waiting()) {
                                if (auto ec2 = co_await send_batch())
                                    co_return ec2;
                            }
                            if (return_instead_of_waiting_ && read_begin_ == read_end_) {
                                give_back_read_buffer();  // a wake-up without bytes: park again
                                co_return make_error_code(boost::asio::error::would_block);
                            }
                        }
                    }
                }
                if (!have_bytes) {
                    reads_at_once_ = 0;
                    if (must_flush_before_waiting()) {
                        if (auto failed = co_await send_batch())
                            co_return failed;
                    }
                    boost::system::error_code ec;
                    flag_guard waiting(waiting_for_peer_);
                    if (space[1].size() == 0)
                        std::tie(ec, n) = co_await next_.async_read_some(space[0], boost::asio::as_tuple(boost::asio::use_awaitable));
                    else
                        std::tie(ec, n) = co_await next_.async_read_some(space, boost::asio::as_tuple(boost::asio::use_awaitable));
                    if (ec)
                        co_return read_failed(ec);
                }
                // A read that filled all it was offered probably left more behind: read again at
                // once next time instead of waiting for readability.
                last_read_filled_ = n == offered;
                if (direct.empty()) {
                    const std::size_t in_buffer = std::min(n, space[0].size());
                    read_end_ += in_buffer;
                    if (n > in_buffer) {  // the rest went past the buffer, into the room
                        const auto placed = place_spill(room, n - in_buffer);
                        if (!placed)
                            co_return out_of_memory_after_read();
                        in_room = *placed;
                    }
                    continue;
                }
            }
            // Payload received in place: the reader unmasks and validates it there.
            const auto piece = reader_.next(direct.first(n));
            if (piece.message_end)
                last_read_filled_ = false;  // it asked for the rest of the message: nothing says more is there
            BOOST_ASSERT(piece.status != ws::read_status::data || piece.consumed == n);
            if (piece.status == ws::read_status::error)
                co_return co_await fail(piece.err);
            co_return frame_piece{piece.op, piece.payload, piece.message_start, piece.frame_end, piece.message_end};
        }
    }

    // The header size of a frame like the last data frame (same length class, masked when we
    // are the server): what a scatter read puts in the read buffer before the room.
    std::size_t expected_header_size() const noexcept {
        const std::uint64_t length = reader_.frame_size();
        return 2 + (length < 126 ? 0 : length <= 0xffff ? 2 : 8) + (role_ == role::server ? 4 : 0);
    }

    // After a scatter read put `spilled` bytes at the front of the caller's room, past the bytes
    // in the read buffer: when those bytes are exactly one data frame's header, of a frame that
    // direct_room will receive in place, the spill is that frame's first payload bytes and stays
    // where it is (returns its size: read_piece hands it out as the next piece). Otherwise (a
    // header of another size, a control frame, a small frame, too little room) it is copied
    // behind the read buffer's bytes and parsed from there (returns 0). The room is only valid
    // during this read, so nothing is left in it either way. Nothing when the read buffer had to
    // grow and memory is exhausted: the spill is lost.
    std::optional<std::size_t> place_spill(std::span<const std::byte> room, std::size_t spilled) noexcept {
        const auto buffered = std::span<const std::byte>(read_buffer_ + read_begin_, read_end_ - read_begin_);
        const ws::frame_rules rules{reader_.options().receiver, reader_.options().allow_rsv1, false, false};
        ws::frame_header h;
        const auto parsed = ws::parse_frame_header(buffered, rules, h);
        if (parsed.status == ws::header_status::complete && parsed.size == buffered.size() && !ws::is_control(h.op) &&
            h.payload_length >= direct_read_min && h.payload_length >= spilled &&
            room.size() >= std::min<std::uint64_t>(h.payload_length, direct_read_min))
            return spilled;  // direct_room(room) will be room.first(>= spilled) once the header is parsed
        if (read_end_ + spilled > read_buffer_size_ && !grow_read_buffer(read_end_ + spilled))
            return std::nullopt;
        std::memcpy(read_buffer_ + read_end_, room.data(), spilled);
        read_end_ += spilled;
        return 0;
    }

    // True when read_piece received the piece's payload straight into `room`.
    static bool received_into(const frame_piece& piece, std::span<const std::byte> room) noexcept {
        return !piece.payload.empty() && piece.payload.data() == room.data();
    }

    // Where the next read goes straight into the caller's memory: inside the payload of a large
    // frame (direct_read_min bytes or more) with none of the rest received yet, when the room
    // offered holds the rest or at least direct_read_min bytes of it. Empty: read into the read
    // buffer as usual.
    std::span<std::byte> direct_room(std::span<std::byte> room) const noexcept {
        const std::uint64_t pending = reader_.payload_remaining();
        if (pending == 0 || read_begin_ != read_end_ || reader_.frame_size() < direct_read_min ||
            room.size() < std::min<std::uint64_t>(pending, direct_read_min))
            return {};
        return room.first(static_cast<std::size_t>(std::min<std::uint64_t>(pending, room.size())));
    }

    // The read buffer's size as configured (a byte count that fits the 32-bit field it is kept in).
    static std::size_t nominal_read_buffer_size(const stream_options& options) noexcept {
        return std::min<std::size_t>(std::max(options.read_buffer_size, ws::min_buffer_size),
                                     std::numeric_limits<std::uint32_t>::max());
    }

    bool plain_read() const noexcept {
        return !close_sent_ && options_.ping_interval == clock::duration{} && options_.idle_timeout == clock::duration{};
    }

    // Before a read: compacts the unconsumed input so `need` bytes fit. When nothing is left
    // unconsumed on a socket stream, gives the buffer back and returns true: the caller waits for
    // readability first (an idle connection holds no buffer; the wait costs no more system calls
    // than the read that would otherwise fail with EAGAIN).
    // (With keep_read_buffer the buffer stays and true means only "nothing says bytes are there".)
    bool make_room(std::size_t need) {
        if (read_begin_ == read_end_) {
            read_begin_ = read_end_ = 0;
            if constexpr (can_wait_readable) {
                if (plain_read() && !last_read_filled_) {
                    if (!keep_read_buffer_)
                        give_back_read_buffer();
                    return true;
                }
            }
        } else if (read_buffer_size_ - read_begin_ < std::max<std::size_t>(need, 1) || read_end_ == read_buffer_size_) {
            std::memmove(read_buffer_, read_buffer_ + read_begin_, read_end_ - read_begin_);
            read_end_ -= read_begin_;
            read_begin_ = 0;
        }
        return false;
    }

    void note_read(std::size_t n, std::size_t offered) noexcept {
        // A read that filled all the space offered probably left more behind: read again at once
        // next time instead of waiting for readability.
        last_read_filled_ = n == offered;
        read_end_ += n;
    }

    // Reads more bytes so the unconsumed input holds at least `need` bytes (and at least one more).
    // The read with keepalive, idle timeout or a close under way (read_piece does the plain one).
    boost::asio::awaitable<boost::system::error_code> fill(std::size_t need) {
        if (must_flush_before_waiting()) {
            if (auto ec = co_await send_batch())
                co_return ec;
        }
        (void)make_room(need);  // never asks to wait here: these reads are bounded in time
        if (!take_read_buffer())  // nothing read yet, nothing lost: a later read may try again
            co_return make_error_code(boost::system::errc::not_enough_memory);
        auto space = boost::asio::buffer(read_buffer_ + read_end_, read_buffer_size_ - read_end_);
        boost::system::error_code ec;
        std::size_t n = 0;
        flag_guard waiting(waiting_for_peer_);
        if (close_sent_) {
            // After our Close only the peer's Close (or its TCP close) is awaited, and not forever.
            auto r = co_await detail::co_before(
                next_.async_read_some(space, boost::asio::as_tuple(boost::asio::use_awaitable)),
                close_sent_at_ + options_.close_timeout);
            if (!r) {
                shut_down();
                co_return finish(make_error_code(error::close_timeout));
            }
            std::tie(ec, n) = *r;
        } else {
            auto r = co_await timed_read(space);
            if (r.failed)
                co_return r.failed;  // keepalive or idle timeout: the connection was failed already
            ec = r.ec;
            n = r.n;
        }
        if (ec)
            co_return read_failed(ec);
        note_read(n, space.size());
        co_return boost::system::error_code{};
    }

    boost::system::error_code read_failed(const boost::system::error_code& ec) {
        shut_down();  // an aborted or failed read leaves no usable stream behind
        if (detail::is_end_of_stream(ec))
            return finish(close_received_ && close_sent_ ? make_error_code(error::closed)
                                                         : make_error_code(error::connection_lost));
        return finish(ec);
    }

    // Sockets can wait for readability without a buffer; other layers (TLS keeps decrypted bytes
    // of its own) always read into the buffer.
    static constexpr bool can_wait_readable = requires(NextLayer& n) {
        n.async_wait(NextLayer::wait_read, boost::asio::as_tuple(boost::asio::use_awaitable));
    };

    // Sockets can also be read and written without blocking, when their owner asked for that.
    static constexpr bool can_try_at_once = requires(NextLayer& n, boost::system::error_code& ec) {
        { n.non_blocking() } -> std::convertible_to<bool>;
        n.read_some(boost::asio::mutable_buffer(), ec);
        n.write_some(std::array<boost::asio::const_buffer, 2>(), ec);
    };

    // False when there is no buffer and memory for one is exhausted.
    [[nodiscard]] bool take_read_buffer() noexcept {
        if (read_buffer_ == nullptr)
            read_buffer_ = detail::buffer_pool::try_take(read_buffer_size_);
        return read_buffer_ != nullptr;
    }

    // A read took bytes from the peer that the stream cannot keep (its read buffer could not grow):
    // the message stream has a hole now, so the connection is failed.
    boost::system::error_code out_of_memory_after_read() {
        shut_down();
        return finish(make_error_code(boost::system::errc::not_enough_memory));
    }

    // A read buffer of at least `need` bytes (a power of two, so few sizes reach the pool) with the
    // bytes of the current one. For bytes read past the handshake that do not fit (add_leftover),
    // and when a scatter read's spill (at most the read buffer's size, behind a header of at most
    // 14 bytes) has to be parsed from the read buffer after all (the next frame was not the large
    // one predicted). The stream goes back to its nominal size once
    // that buffer is drained and given back (give_back_read_buffer). False when memory is
    // exhausted (the current buffer is kept as it was).
    [[nodiscard]] bool grow_read_buffer(std::size_t need) noexcept {
        const std::size_t size = std::bit_ceil(need);
        std::byte* bigger = detail::buffer_pool::try_take(size);
        if (bigger == nullptr)
            return false;
        if (read_end_ != 0)
            std::memcpy(bigger, read_buffer_, read_end_);
        give_back_read_buffer();
        read_buffer_ = bigger;
        read_buffer_size_ = size;
        return true;
    }

    void give_back_read_buffer() noexcept {
        detail::buffer_pool::give(read_buffer_, read_buffer_size_);
        read_buffer_ = nullptr;
        read_buffer_size_ = nominal_read_buffer_size_;  // (after add_leftover or grow_read_buffer)
    }

    struct timed_read_result {
        boost::system::error_code ec;      // the read's own outcome
        std::size_t n = 0;
        boost::system::error_code failed;  // set when a timeout failed the connection
    };

    // A read that also keeps the connection alive: pings after ping_interval of silence, fails
    // after pong_timeout without an answer or after idle_timeout of silence.
    boost::asio::awaitable<timed_read_result> timed_read(boost::asio::mutable_buffer space) {
        for (;;) {
            auto deadline = clock::time_point::max();
            if (close_sent_) {
                // co_close ran meanwhile: no more pings, only the peer's answer, and not forever.
                deadline = close_sent_at_ + options_.close_timeout;
            } else if (options_.ping_interval != clock::duration{})
                deadline = ping_sent_at_ ? *ping_sent_at_ + options_.pong_timeout : last_received_ + options_.ping_interval;
            if (options_.idle_timeout != clock::duration{} && !close_sent_)
                deadline = std::min(deadline, last_received_ + options_.idle_timeout);
            auto r = co_await detail::co_before(next_.async_read_some(space, boost::asio::as_tuple(boost::asio::use_awaitable)),
                                                deadline);
            if (r) {
                auto [ec, n] = *r;
                if (!ec) {
                    last_received_ = clock::now();
                    ping_sent_at_.reset();
                }
                co_return timed_read_result{ec, n, {}};
            }
            const auto now = clock::now();
            if (close_sent_) {
                shut_down();
                co_return timed_read_result{{}, 0, finish(make_error_code(error::close_timeout))};
            }
            if (options_.idle_timeout != clock::duration{} && now >= last_received_ + options_.idle_timeout)
                co_return timed_read_result{{}, 0, co_await fail(error::idle_timeout, close_code::going_away)};
            if (ping_sent_at_) {
                if (now >= *ping_sent_at_ + options_.pong_timeout)
                    co_return timed_read_result{{}, 0, co_await fail(error::ping_timeout, close_code::going_away)};
            } else {
                // The ping waits for the gate behind a stuck writer at most until the pong timeout.
                const std::span<const std::byte> no_payload;
                auto sent = co_await detail::co_before(send_control(opcode::ping, no_payload), now + options_.pong_timeout);
                if (sent && *sent)
                    co_return timed_read_result{*sent, 0, {}};
                ping_sent_at_ = now;
            }
        }
    }

    boost::asio::awaitable<boost::system::error_code> on_control(opcode op, std::span<std::byte> payload) {
        if (on_control_ && op != opcode::close)
            (*on_control_)(op, payload);
        if (op == opcode::ping) {
            if (close_sent_)
                co_return boost::system::error_code{};  // no pong after our Close (RFC 6455 §5.5.1)
            co_return co_await send_control(opcode::pong, payload);
        }
        if (op == opcode::pong)
            co_return boost::system::error_code{};
        // Close: keep the peer's code and reason, answer with the same code, end the connection.
        const auto parsed = ws::parse_close_payload(payload);  // already validated by the reader
        close_received_ = true;
        peer_code_ = parsed ? parsed->code : close_code::no_status;
        peer_reason_size_ = parsed ? std::min(parsed->reason.size(), ws::max_close_reason) : 0;
        if (peer_reason_size_ != 0) {
            // Held only once a reason arrives: most connections never get one.
            peer_reason_ = std::make_unique_for_overwrite<char[]>(peer_reason_size_);
            std::memcpy(peer_reason_.get(), parsed->reason.data(), peer_reason_size_);
        }
        if (!close_sent_) {
            const std::string_view no_reason;
            (void)co_await send_close_bounded(peer_code_, no_reason);  // echo the code (or none)
        }
        co_await end_connection();
        co_return finish(make_error_code(error::closed));
    }

    // Fails the connection: Close with the code for `e`, then the end of the connection.
    boost::asio::awaitable<boost::system::error_code> fail(error e, std::optional<close_code> code = {}) {
        if (!close_sent_) {
            const close_code answer = code.value_or(to_close_code(e));
            const std::string_view no_reason;
            (void)co_await send_close_bounded(answer, no_reason);
        }
        co_await end_connection();
        co_return finish(make_error_code(e));
    }

    // After our Close went out: half-close (FIN) so the peer sees the end of our data, then read and
    // drop whatever the peer still sends until it closes too (bounded by close_timeout), and only
    // then close the socket. Closing with unread input would make the kernel answer with a reset,
    // which can destroy our Close frame before the peer reads it (a "lingering close"). The server
    // so closes first, as RFC 6455 §7.1.1 wants, and a client waits for the server's close.
    boost::asio::awaitable<void> end_connection() {
        co_await detail::co_half_close(next_);
        std::array<std::byte, 512> sink;
        auto wait_eof = [&]() -> boost::asio::awaitable<void> {
            for (;;) {
                auto [ec, n] = co_await next_.async_read_some(boost::asio::buffer(sink),
                                                              boost::asio::as_tuple(boost::asio::use_awaitable));
                if (ec)
                    co_return;
            }
        };
        (void)co_await detail::co_before(wait_eof(), clock::now() + options_.close_timeout);
        shut_down();
    }

    void shut_down() { detail::close_now(next_); }

    boost::system::error_code finish(boost::system::error_code ec) {
        if (!finished_) {
            finished_ = true;
            finish_error_ = ec;
            if (closing_wait_)
                closing_wait_->cancel();  // a co_close waiting for the outstanding read may return
        }
        return finish_error_;
    }

    // --- writing ---

    // co_write's message in frames of options_.max_frame_size (or its bad type, reported).
    boost::asio::awaitable<boost::system::error_code> write_fragmented(std::span<const std::byte> payload, opcode type) {
        if (type != opcode::text && type != opcode::binary)
            co_return make_error_code(error::bad_write);
        const std::size_t step = options_.max_frame_size == 0 ? payload.size() : options_.max_frame_size;
        std::size_t sent = 0;
        do {
            const std::size_t n = std::min(step, payload.size() - sent);
            const bool fin = sent + n == payload.size();
            if (auto ec = co_await send_frame(sent == 0 ? type : opcode::continuation, fin, payload.subspan(sent, n))) {
                if (sent != 0 && ec == boost::system::errc::not_enough_memory) {
                    // Part of the message went out and the rest cannot: no later frame could
                    // continue it correctly, so the connection ends here.
                    shut_down();
                    co_return finish(ec);
                }
                co_return ec;
            }
            sent += n;
        } while (sent < payload.size());
        co_return boost::system::error_code{};
    }

    boost::asio::awaitable<boost::system::error_code> send_control(opcode op, std::span<const std::byte> payload) {
        if (payload.size() > ws::max_control_payload)
            co_return make_error_code(error::bad_write);
        co_return co_await send_frame(op, true, payload);
    }

    boost::asio::awaitable<boost::system::error_code> send_close(close_code code, std::string_view reason) {
        std::array<std::byte, ws::max_control_payload> payload{};
        const std::size_t n = ws::build_close_payload(payload, code, reason);
        const std::span<const std::byte> bytes = std::span(payload).first(n);
        auto ec = co_await send_frame(opcode::close, true, bytes);
        close_sent_ = true;  // even if the write failed: nothing else may follow
        close_sent_at_ = clock::now();
        co_return ec;
    }

    // The Close waits for the gate (a long write may hold it) and for the peer to take it, but not
    // longer than close_timeout: then the connection is simply closed.
    boost::asio::awaitable<boost::system::error_code> send_close_bounded(close_code code, std::string_view reason) {
        auto sent = co_await detail::co_before(send_close(code, reason), clock::now() + options_.close_timeout);
        if (!sent) {
            close_sent_ = true;
            close_sent_at_ = clock::now();
            shut_down();
            co_return finish(make_error_code(error::close_timeout));
        }
        co_return *sent;
    }

    boost::asio::awaitable<boost::system::error_code> send_frame(opcode op, bool fin, std::span<const std::byte> payload) {
        using boost::asio::as_tuple;
        using boost::asio::use_awaitable;
        if (close_sent_ || (finished_ && op != opcode::close))
            co_return make_error_code(error::closed);
        if (!gate_.try_lock() && !co_await gate_.lock())
            co_return make_error_code(boost::asio::error::operation_aborted);
        detail::gate_guard guard(gate_);
        if (close_sent_ || (finished_ && op != opcode::close))  // (it may have ended while we waited)
            co_return make_error_code(error::closed);

        ws::frame_header h;
        h.op = op;
        h.fin = fin;
        h.payload_length = payload.size();
        h.masked = role_ == role::client;
        if (h.masked)
            h.mask_key = client_->keys.next();
        std::array<std::byte, ws::max_frame_header_size> head;
        const std::size_t head_size = ws::write_frame_header(head, h);
        if (head_size == 0)
            co_return make_error_code(error::bad_write);

        // Corked: a frame that fits joins the queue (pings and Closes go out at once, with it; so
        // does every frame while a read waits for the peer, who may be waiting for it).
        if (corked_ && !waiting_for_peer_ && op != opcode::ping && op != opcode::close &&
            head_size + payload.size() <= write_batch_capacity - batch_used_ &&
            queue_frame(std::span(head).first(head_size), payload, h.masked ? std::optional(h.mask_key) : std::nullopt))
            co_return boost::system::error_code{};
        // (When the queue's buffer cannot be had, nothing is queued: the frame goes out now.)

        // A client masks into memory of its own (never the caller's payload): a small frame (every
        // control frame among them, so a Close, ping or pong never fails for want of memory) into
        // `small`, on this coroutine's frame; a larger one into a buffer from the thread's pool,
        // for this write only: one stream after another reuses it while it is still in the cache
        // (with a buffer per stream, 100 connections' 64 KiB buffers did not fit, and copying into
        // them cost 3x). Taken before the queue is: if it cannot be had, nothing is lost.
        std::array<std::byte, small_masked_frame> small;
        std::optional<detail::pooled_buffer> mask_buffer;
        std::span<std::byte> scratch;
        if (h.masked) {
            if (head_size + payload.size() <= small.size()) {
                scratch = small;
            } else {
                mask_buffer.emplace(client_->write_buffer_size);
                if (!*mask_buffer)
                    co_return make_error_code(boost::system::errc::not_enough_memory);  // nothing sent
                scratch = std::span(mask_buffer->data(), mask_buffer->size());
            }
        }

        // Whatever is queued goes out first, in the same write.
        const boost::asio::const_buffer queued(batch_, batch_used_);
        batch_sent_guard sent_queue(*this);

        if (!h.masked) {
            // One gather write: the queue, the header, then the caller's payload as it is.
            std::array<boost::asio::const_buffer, 3> parts{queued, boost::asio::buffer(head.data(), head_size),
                                                            boost::asio::buffer(payload.data(), payload.size())};
            boost::system::error_code ec;
            if (!write_at_once(parts, ec))
                std::tie(ec, std::ignore) = co_await boost::asio::async_write(next_, parts, detail::write_everything,
                                                                          as_tuple(use_awaitable));
            co_return ec ? finish(ec) : ec;
        }
        // The client's payload, masked chunk by chunk; the first chunk carries the header.
        std::memcpy(scratch.data(), head.data(), head_size);
        std::size_t used = head_size;
        std::size_t sent = 0;
        std::uint32_t key = h.mask_key;
        boost::asio::const_buffer before = queued;  // the queue rides with the first chunk
        do {
            const std::size_t n = std::min(scratch.size() - used, payload.size() - sent);
            key = ws::copy_masked(scratch.data() + used, payload.subspan(sent, n), key);
            std::array<boost::asio::const_buffer, 2> parts{before, boost::asio::buffer(scratch.data(), used + n)};
            boost::system::error_code ec;
            if (!write_at_once(parts, ec))
                std::tie(ec, std::ignore) = co_await boost::asio::async_write(next_, parts, detail::write_everything,
                                                                          as_tuple(use_awaitable));
            if (ec)
                co_return finish(ec);
            before = boost::asio::const_buffer();
            sent += n;
            used = 0;
        } while (sent < payload.size());
        co_return boost::system::error_code{};
    }

    // Writes what a non-blocking socket takes at once (the gate is held) and advances `parts` past
    // it. True when nothing is left to write (or the write failed: `ec`); false when the rest must
    // go through an asynchronous write. Not a coroutine: a write that completes at once costs no
    // coroutine frame of its own (Asio's per-thread frame cache holds two).
    template <std::size_t N>
    bool write_at_once(std::array<boost::asio::const_buffer, N>& parts, boost::system::error_code& ec) {
        if constexpr (can_try_at_once) {
            if (next_.non_blocking()) {
                std::size_t done = next_.write_some(parts, ec);
                if (ec == boost::asio::error::would_block || ec == boost::asio::error::try_again)
                    ec = {};
                if (ec || done == boost::asio::buffer_size(parts))
                    return true;
                for (auto& part : parts) {
                    const std::size_t k = std::min(done, part.size());
                    part += k;
                    done -= k;
                }
            }
        }
        return false;
    }

    // Appends one frame to the queue of a corked stream (the gate is held, the frame fits). False
    // when the queue has no buffer and memory for one is exhausted (nothing queued).
    [[nodiscard]] bool queue_frame(std::span<const std::byte> head, std::span<const std::byte> payload,
                                   std::optional<std::uint32_t> mask_key) noexcept {
        if (batch_ == nullptr && (batch_ = detail::buffer_pool::try_take(write_batch_capacity)) == nullptr)
            return false;
        std::memcpy(batch_ + batch_used_, head.data(), head.size());
        batch_used_ += head.size();
        if (mask_key)
            (void)ws::copy_masked(batch_ + batch_used_, payload, *mask_key);
        else if (!payload.empty())
            std::memcpy(batch_ + batch_used_, payload.data(), payload.size());
        batch_used_ += payload.size();
        return true;
    }

    // Sends the queue of a corked stream on its own (co_flush, and reads before they wait).
    boost::asio::awaitable<boost::system::error_code> send_batch() {
        if (batch_used_ == 0)
            co_return boost::system::error_code{};
        if (!gate_.try_lock() && !co_await gate_.lock())
            co_return make_error_code(boost::asio::error::operation_aborted);
        detail::gate_guard guard(gate_);
        if (batch_used_ == 0)  // a writer that had the gate sent it meanwhile
            co_return boost::system::error_code{};
        const boost::asio::const_buffer queued(batch_, batch_used_);
        batch_sent_guard sent_queue(*this);
        if (finished_)
            co_return finish_error_;  // nowhere to send it: dropped
        std::array<boost::asio::const_buffer, 1> parts{queued};
        boost::system::error_code ec;
        if (!write_at_once(parts, ec))
            std::tie(ec, std::ignore) = co_await boost::asio::async_write(next_, parts, detail::write_everything,
                                                                          boost::asio::as_tuple(boost::asio::use_awaitable));
        co_return ec ? finish(ec) : ec;
    }

    // Takes the queue off the stream for the write that carries it (from then on nothing is queued,
    // so a read does not wait for that write), and gives its buffer back to the pool when the
    // write is over (sent or failed: either way it is not sent again).
    struct batch_sent_guard {
        explicit batch_sent_guard(stream& s) noexcept : buffer(std::exchange(s.batch_, nullptr)) { s.batch_used_ = 0; }
        batch_sent_guard(const batch_sent_guard&) = delete;
        batch_sent_guard& operator=(const batch_sent_guard&) = delete;
        ~batch_sent_guard() { detail::buffer_pool::give(buffer, write_batch_capacity); }
        std::byte* buffer;
    };

    // Before a read waits for the peer: frames are queued and no write is under way (a writer
    // that has the gate, or is handed it, sends the queue itself; the read does not wait for a
    // write that may itself wait for the peer to read).
    bool must_flush_before_waiting() const noexcept { return batch_used_ != 0 && !gate_.busy(); }

    void give_back_batch() {
        detail::buffer_pool::give(batch_, write_batch_capacity);
        batch_ = nullptr;
    }

    // What the stream needs of stream_options after construction (the rest went into the reader
    // and the buffer sizes); on_control, rarely set, lives on the heap when it is.
    struct settings {
        std::size_t max_frame_size;
        clock::duration ping_interval;
        clock::duration pong_timeout;
        clock::duration idle_timeout;
        clock::duration close_timeout;
    };
    using control_observer = std::function<void(ws::opcode, std::span<const std::byte>)>;

    NextLayer next_;
    role role_;
    settings options_;
    std::unique_ptr<control_observer> on_control_;
    ws::message_reader reader_;
    std::byte* read_buffer_ = nullptr;  // from detail::buffer_pool; null while idle
    std::size_t read_buffer_size_;
    std::size_t read_begin_ = 0;
    std::size_t read_end_ = 0;
    // What only a client needs (masking keys and the size of the buffer it masks into), so a
    // server's stream stays small: 10,000 idle server connections should cost little memory each.
    struct client_side {
        explicit client_side(std::size_t buffer_size) : write_buffer_size(buffer_size) {}
        ws::mask_key_source keys;
        std::size_t write_buffer_size;
    };
    std::unique_ptr<client_side> client_;  // null on a server
    std::byte* batch_ = nullptr;  // the queue of a corked stream (from detail::buffer_pool); null when empty
    std::size_t batch_used_ = 0;
    detail::write_gate gate_;
    std::unique_ptr<boost::asio::steady_timer> closing_wait_;  // co_close waiting for an outstanding read
    clock::time_point last_received_ = clock::now();
    std::optional<clock::time_point> ping_sent_at_;
    clock::time_point close_sent_at_{};
    boost::system::error_code finish_error_;
    std::unique_ptr<char[]> peer_reason_;  // the peer's close reason, once one arrived
    std::size_t peer_reason_size_ = 0;
    close_code peer_code_ = close_code::no_status;
    bool reading_ = false;
    bool return_instead_of_waiting_ = false;  // set during co_read_frame_if_ready
    bool close_sent_ = false;
    bool close_received_ = false;
    bool finished_ = false;
    bool last_read_filled_ = false;
    bool corked_ = false;
    bool waiting_for_peer_ = false;  // a read waits for the peer: writes are not queued then
    bool keep_read_buffer_ = false;  // stream_options::keep_read_buffer
    std::uint8_t reads_at_once_ = 0;  // non-blocking reads in a row without the scheduler
    std::uint32_t nominal_read_buffer_size_ = 0;  // stream_options::read_buffer_size (at least min_buffer_size)
    static constexpr std::uint8_t max_reads_at_once = 16;
    // The payload of frames this large is received straight into the caller's room (when it
    // offers some); while frames that large keep coming, the read for the next header puts only
    // the header in the read buffer and the payload behind it in the room (a scatter read).
    static constexpr std::size_t direct_read_min = 4096;
};

} // namespace burrow::websocket
