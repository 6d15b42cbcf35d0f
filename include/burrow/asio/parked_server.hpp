// burrow::websocket::parked_server: serves many WebSocket connections that are mostly silent,
// keeping no coroutine, no coroutine frame and no read buffer per connection while its peer says
// nothing. For servers that hold thousands of idle connections (chat, notifications, games).
//
// Theory of operation: a coroutine waiting in co_read keeps its frames (and those of every
// coroutine it awaits) alive, about 3 KB per connection with the stream inside. Here an idle
// connection is "parked" instead: its only pending operation is a readiness wait on the socket
// (socket.async_wait(wait_read)) whose small handler owns the connection. When bytes arrive, the
// handler hands the connection to a worker (resumed inside that handler, see
// detail/parked_coroutine.hpp): a coroutine that reads with co_read_frame_if_ready,
// calls the application's message handler for every whole message, and, once nothing is left to
// read (the read completes with would_block, the read buffer is back in the pool), parks the
// connection again and waits for the next one. Workers are kept for reuse (their frames are
// allocated once), so a steady stream of messages allocates nothing; there are as many as
// connections busy at the same moment, not as many as connections open.
//
// The readiness wait's operation lives inside the connection (a handler allocator hands Asio a
// buffer there), so parking costs no allocation and no allocator block of its own. Before the
// upgrade, accept() parks a fresh TCP connection the same way until its request arrives, so a
// slow client costs its socket and a wait, not the handshake's coroutine frames; a request that
// arrives whole is then answered at once, without a coroutine (co_accept runs for the others).
//
// Messages that arrive whole in one read are handed to the handler as a view of the stream's read
// buffer (no copy); a message in several frames or reads is assembled in the worker's buffer. A
// worker stays with its connection while a message or a frame is half received, and while a
// close handshake runs.
//
// Limits: one thread. The server, its connections and its workers must run on one thread (an
// io_context run by a single thread; not thread-safe, no strand). The socket type must support
// async_wait (TCP or local sockets; TLS streams keep decrypted bytes of their own, so readiness
// of the socket says nothing about them). Keepalive pings and idle timeouts (stream_options
// ping_interval, idle_timeout) need a read outstanding and keep a worker with the connection.
// accept() has no timeout while it waits for the first byte of the request (the handshake's own
// timeout starts then): a server that must drop silent sockets runs co_accept itself with its
// own deadline and hands the upgraded socket to serve(). Outside the message handler, end a
// connection with close(), not with a co_close of its own (a worker woken by the peer's bytes
// would find the read taken). Idle workers wait on the io_context, so its run() does not return
// while the server lives: stop the io_context to shut down; destroying it frees every connection
// and worker.
#pragma once

#include <burrow/asio/detail/deadline.hpp>
#include <burrow/asio/detail/parked_coroutine.hpp>
#include <burrow/asio/handshake.hpp>
#include <burrow/asio/stream.hpp>
#include <burrow/http/head_parser.hpp>
#include <burrow/ws/handshake.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detail/reactive_wait_op.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstring>
#include <string>
#include <functional>
#include <memory>
#include <span>
#include <utility>
#include <variant>
#include <vector>

namespace burrow::websocket {

/// A whole message as parked_server's handler receives it.
struct message_view {
    opcode type = opcode::binary;        ///< text or binary
    std::span<const std::byte> payload;  ///< valid until the handler's awaitable completes
};

template <class Socket, class State>
class parked_server;

namespace detail {

// A stand-in with the layout of parked_server's readiness-wait handler (one shared_ptr), to size
// the room for the wait operation before that handler's type exists.
struct wake_handler_layout {
    std::shared_ptr<void> connection;
    void operator()(boost::system::error_code) {}
};

// Bytes Asio's wait operation needs with that handler: exact on the epoll/select reactors,
// generous elsewhere (a larger operation falls back to operator new, see wait_op_allocator).
template <class Executor>
constexpr std::size_t wait_op_size() {
#if defined(BOOST_ASIO_HAS_IOCP) || defined(BOOST_ASIO_HAS_IO_URING_AS_DEFAULT)
    return 256;
#else
    return sizeof(boost::asio::detail::reactive_wait_op<wake_handler_layout, Executor>);
#endif
}

// Room for the one readiness wait a parked connection has pending.
template <std::size_t Size>
struct wait_op_storage {
    alignas(8) unsigned char bytes[Size];
    bool in_use = false;
};

// Gives Asio the connection's wait_op_storage for the wait operation; anything that does not fit
// (a second operation at the same time, a larger operation) comes from operator new.
template <class T, std::size_t Size>
class wait_op_allocator {
public:
    using value_type = T;
    template <class U>
    struct rebind {
        using other = wait_op_allocator<U, Size>;
    };
    explicit wait_op_allocator(wait_op_storage<Size>& s) noexcept : storage_(&s) {}
    template <class U>
    wait_op_allocator(const wait_op_allocator<U, Size>& other) noexcept : storage_(other.storage_) {}

    T* allocate(std::size_t n) {
        if (!storage_->in_use && n * sizeof(T) <= Size && alignof(T) <= 8) {
            storage_->in_use = true;
            return reinterpret_cast<T*>(storage_->bytes);
        }
        return std::allocator<T>().allocate(n);
    }
    void deallocate(T* p, std::size_t n) noexcept {
        if (reinterpret_cast<unsigned char*>(p) == storage_->bytes) {
            storage_->in_use = false;
            return;
        }
        std::allocator<T>().deallocate(p, n);
    }
    template <class U>
    bool operator==(const wait_op_allocator<U, Size>& other) const noexcept { return storage_ == other.storage_; }

private:
    template <class U, std::size_t S>
    friend class wait_op_allocator;
    wait_op_storage<Size>* storage_;
};

} // namespace detail

/// One connection of a parked_server: the stream plus the application's per-connection State.
/// Held by std::shared_ptr; the server keeps it alive while the connection is open, the
/// application may keep a pointer too (to write to it or close it later).
template <class Socket, class State = std::monostate>
class parked_connection {
public:
    /// The stream. Writes may be started on it at any time (from any coroutine of the server's
    /// thread); reads belong to the server.
    stream<Socket>& ws() noexcept { return ws_; }
    /// The application's per-connection state (default-constructed).
    State& state() noexcept { return state_; }
    /// True while the connection waits for its peer with no worker attached.
    bool parked() const noexcept { return !active_ && !ended_; }
    /// True once the connection ended (the end handler was called or is about to be).
    bool ended() const noexcept { return ended_; }

    // Built by parked_server::serve only (public for std::make_shared).
    template <class Core>
    parked_connection(std::shared_ptr<Core> core, Socket socket, const stream_options& options,
                      std::span<const std::byte> leftover)
        : core_(std::move(core)), ws_(std::move(socket), ws::role::server, options, leftover) {}

private:
    friend class parked_server<Socket, State>;

    std::shared_ptr<void> core_;  // the server's shared part (parked_server<Socket, State>::core)
    static constexpr std::size_t wait_op_size = detail::wait_op_size<typename Socket::executor_type>();
    detail::wait_op_storage<wait_op_size> wait_storage_;
    stream<Socket> ws_;
    State state_{};
    close_code close_code_ = close_code::normal;
    bool active_ = false;           // a worker has the connection
    bool wait_armed_ = false;       // the readiness wait is pending
    bool close_requested_ = false;  // parked_server::close was called
    bool upgraded_ = true;          // false while accept()'s upgrade has not completed
    bool ended_ = false;
};

/// Settings of a parked_server.
template <class Socket, class State>
struct parked_server_options {
    /// For accept(): the upgrade's options (subprotocols, limits, timeout).
    accept_options accept;
    /// For accept(): every connection's stream options.
    stream_options stream;
    /// For accept(): called once the upgrade succeeded, before the first message (to fill the
    /// connection's state from the request: resource, origin, subprotocol). May be empty.
    std::function<void(const std::shared_ptr<parked_connection<Socket, State>>&, const accept_result&)> on_open;
    /// A worker keeps the buffer it assembled a message in for the next message, up to this
    /// capacity, so steady large messages allocate nothing; a larger one is freed after its
    /// message, so a rare huge message does not pin memory. At most this much per worker: as many
    /// workers as connections busy at once, of which up to 256 are kept while idle.
    std::size_t kept_message_buffer = 256 * 1024;
    /// Batch the answers to a burst (stream::cork): while more of what the peer sent is already
    /// received (stream::input_pending), the message handler runs with its connection's stream
    /// corked, so the frames it writes are queued; the handler of the last message of the burst
    /// runs uncorked and its write carries the queue. The answers to a burst of pipelined
    /// messages so go out in one write (one system call instead of one per message); a peer that
    /// sends one message at a time sees no difference. The catch: during a burst, a frame a
    /// handler writes leaves only when the burst is answered (or the queue of 16 KiB is full, or
    /// a ping or Close goes out), so a handler that waits for something else (a database, a
    /// timer) calls co_flush() on the stream before it waits: the answers to the burst's earlier
    /// messages may be queued. A write from elsewhere is queued too while a handler of a burst
    /// runs, and is never held back otherwise (the worker uncorks between handlers).
    bool batch_writes = false;
};

/// Serves upgraded WebSocket connections (see the file comment): calls `on_message` for every
/// whole message, `on_end` once per connection when it ends.
template <class Socket, class State = std::monostate>
class parked_server {
public:
    using connection = parked_connection<Socket, State>;
    using connection_ptr = std::shared_ptr<connection>;
    /// Called for every whole message; the next message of the same connection is read once the
    /// returned awaitable completed. To end the connection, co_await conn->ws().co_close(...).
    /// Errors are values: the handler must not throw (an exception ends its worker, and the
    /// connection is freed without on_end).
    using message_handler = std::function<boost::asio::awaitable<void>(const connection_ptr&, message_view)>;
    /// Called once when a connection ends: error::closed after a completed close handshake
    /// (started by either side), else the error that ended it. Not called for connections still
    /// open when the io_context is destroyed (they are simply freed).
    using end_handler = std::function<void(const connection_ptr&, boost::system::error_code)>;

    /// Workers kept waiting for work at most (beyond that, a worker that runs out of work ends).
    static constexpr std::size_t max_idle_workers = 256;

    using options_type = parked_server_options<Socket, State>;

    template <class Executor>
    parked_server(const Executor& executor, message_handler on_message, end_handler on_end = {},
                  const options_type& options = {})
        : core_(std::make_shared<core>(executor, std::move(on_message), std::move(on_end), options)) {}

    /// Upgrades a freshly accepted connection with options.accept, then serves it with
    /// options.stream (connections whose upgrade fails are answered as co_accept does and
    /// closed, without on_open or on_end). Until the first bytes of the request arrive, the
    /// socket is parked on a readiness wait (no coroutine).
    void accept(Socket socket) {
        boost::system::error_code ignored;
        socket.non_blocking(true, ignored);  // see serve()
        // The connection is built now, once, and the upgrade runs on its stream's socket: no
        // allocation between the TCP connection and the end of the upgrade outlives the upgrade
        // (short-lived blocks freed between long-lived ones would fragment the heap).
        const std::span<const std::byte> nothing_read;
        auto c = std::make_shared<connection>(core_, std::move(socket), core_->options.stream, nothing_read);
        c->upgraded_ = false;
        arm_wait(std::move(c));
    }

    /// Serves `socket`, on which the opening handshake completed (co_accept), with `leftover` the
    /// bytes read past the handshake. The connection is parked at once (or handed to a worker when
    /// bytes are already there). The socket is put in non-blocking mode: the stream then reads and
    /// writes at once when it can, and goes through Asio's asynchronous operations only when the
    /// socket is not ready (one scheduler round trip less per read and per write).
    connection_ptr serve(Socket socket, const stream_options& options, std::span<const std::byte> leftover) {
        boost::system::error_code ignored;
        socket.non_blocking(true, ignored);
        return serve_on(core_, std::move(socket), options, leftover);
    }

    /// Starts the close handshake from the server's side with `code` (without a reason): a worker
    /// sends the Close and waits for the peer's (within options.close_timeout), then the
    /// connection ends with error::closed. Does nothing on a connection that ended or is closing.
    void close(const connection_ptr& c, close_code code = close_code::normal) {
        if (c->ended_ || c->close_requested_ || !c->upgraded_)
            return;
        c->close_requested_ = true;
        c->close_code_ = code;
        if (!c->active_)
            core_->run(c);  // the worker sees close_requested_ first
    }

    /// Workers alive (busy or waiting for work): for tests and statistics.
    std::size_t workers() const noexcept { return core_->workers; }

private:
    struct worker;

    // What connections and workers share with the server object (which may go away first).
    struct core {
        template <class Executor>
        core(const Executor& ex, message_handler m, end_handler e, const options_type& o)
            : executor(ex), on_message(std::move(m)), on_end(std::move(e)), options(o) {}

        // Gives `c` to a waiting worker, or to a new one. `from_reactor`: called by the handler
        // of a readiness wait, which the scheduler runs: the worker resumes right here, inside
        // this call (anywhere else, from a coroutine or the application's code, it is posted).
        void run(connection_ptr c, bool from_reactor = false) {
            c->active_ = true;
            // (An idle worker that is not parked is being destroyed with its io_context.)
            while (!idle.empty() && !idle.back()->wake.parked())
                idle.pop_back();
            if (!idle.empty()) {
                worker* w = idle.back();
                idle.pop_back();
                w->job = std::move(c);
                if (from_reactor)
                    w->wake.resume_here();  // (the worker may be gone when this returns)
                else
                    w->wake.resume_later();
                return;
            }
            auto self = std::static_pointer_cast<core>(c->core_);
            boost::asio::co_spawn(executor, work(std::move(self), std::move(c)), boost::asio::detached);
        }

        boost::asio::any_io_executor executor;
        message_handler on_message;
        end_handler on_end;
        options_type options;
        std::vector<worker*> idle;  // workers waiting for a connection, the most recent last
        std::size_t workers = 0;
    };

    struct worker {
        explicit worker(const boost::asio::any_io_executor& ex) : wake(ex) {}
        // Where the worker waits to be handed a job. Not a timer (its wait would be the earliest
        // in the reactor's queue and cost a timerfd_settime system call per message), not a
        // channel (its completion is a posted operation that may allocate): see parked_coroutine.
        burrow::detail::parked_coroutine wake;
        connection_ptr job;
        // Messages that came in several pieces are assembled here; its size is kept between
        // messages as room for the next one (see work()).
        std::vector<std::byte> message;
    };

    // Leaves the idle list and the count when the worker's frame goes (also when the io_context
    // is destroyed with the worker waiting).
    struct worker_registration {
        worker_registration(core& c, worker& w) : owner(c), self(w) { ++owner.workers; }
        worker_registration(const worker_registration&) = delete;
        worker_registration& operator=(const worker_registration&) = delete;
        ~worker_registration() {
            std::erase(owner.idle, &self);
            --owner.workers;
        }
        core& owner;
        worker& self;
    };

    // A worker: serves connections handed to it until it has been idle with max_idle_workers
    // others waiting. The body is one coroutine (no nested helper coroutine per job), so a
    // message costs the frames of one read and one handler call, which Asio's per-thread frame
    // cache recycles.
    static boost::asio::awaitable<void> work(std::shared_ptr<core> owner, connection_ptr first) {
        worker w(owner->executor);
        worker_registration registered(*owner, w);
        w.job = std::move(first);
        for (;;) {
            if (!w.job) {
                if (owner->idle.size() >= max_idle_workers)
                    co_return;
                owner->idle.push_back(&w);
                co_await w.wake.wait();
                BOOST_ASSERT(w.job);
            }
            connection_ptr c = std::move(w.job);
            stream<Socket>& ws = c->ws_;
            boost::system::error_code end;  // set when the connection is over
            for (;;) {
                if (c->close_requested_) {
                    const std::string_view no_reason;
                    const auto ec = co_await ws.co_close(c->close_code_, no_reason);
                    end = ec ? ec : make_error_code(error::closed);
                    break;
                }
                // The worker's buffer is offered as room: a large payload is received straight
                // into it (see stream::co_read_frame(room)).
                std::span<std::byte> room(w.message);
                auto piece = co_await ws.co_read_frame_if_ready(room);
                if (!piece) {
                    if (piece.error() != boost::asio::error::would_block)
                        end = piece.error();
                    break;  // would_block: nothing more to read now, park
                }
                message_view m{piece->type, piece->payload};
                if (!(piece->message_start && piece->message_end)) {
                    // In pieces: gather the rest (waiting for it if need be) in the worker's buffer,
                    // whose size is kept as room (overwritten, never zero-filled again).
                    std::size_t filled = gather(w.message, 0, *piece, room);
                    bool message_end = piece->message_end;
                    while (!message_end) {
                        const std::uint64_t pending = ws.payload_remaining();
                        if (w.message.size() - filled < pending)
                            w.message.resize(burrow::detail::grown_room(w.message.size(), filled, pending));
                        room = std::span(w.message).subspan(filled);
                        auto more = co_await ws.co_read_frame(room);
                        if (!more) {
                            end = more.error();
                            break;
                        }
                        filled = gather(w.message, filled, *more, room);
                        message_end = more->message_end;
                    }
                    if (end)
                        break;
                    m.payload = std::span(w.message).first(filled);
                }
                if (owner->options.batch_writes) {
                    if (ws.input_pending())
                        ws.cork();  // more to answer right after this one: queue
                    else
                        ws.uncork();  // the last of the burst: its answer takes the queue along
                }
                co_await owner->on_message(c, m);
                if (owner->options.batch_writes)
                    ws.uncork();  // queue only while a handler runs: a write from elsewhere goes out
                if (!ws.is_open()) {  // the handler closed it (or a write failed: say how)
                    end = ws.end_reason() ? ws.end_reason() : make_error_code(error::closed);
                    break;
                }
            }
            ws.uncork();  // parked or ended: writes from elsewhere go out at once
            if (ws.queued_bytes() != 0) {  // (usually sent already, before the read found nothing)
                const auto unsent = co_await ws.co_flush();
                if (unsent && !end)
                    end = unsent;
            }
            if (!end && c->close_requested_) {  // close() came while the worker was suspended
                w.job = std::move(c);            // (sending the queue): close it now
                continue;
            }
            if (w.message.capacity() > owner->options.kept_message_buffer)
                std::vector<std::byte>().swap(w.message);  // a huge message does not pin memory
            c->active_ = false;
            if (end)
                finish(*owner, c, end);
            else if (!c->wait_armed_)
                arm_wait(std::move(c));
        }
    }

    // Appends a piece to the message assembled in `message` (filled bytes so far), unless the
    // stream received it straight into `room` (the buffer's tail) already; returns the new fill.
    static std::size_t gather(std::vector<std::byte>& message, std::size_t filled, const frame_piece& piece,
                              std::span<const std::byte> room) {
        const std::size_t n = piece.payload.size();
        if (n == 0 || piece.payload.data() == room.data())
            return filled + n;
        if (message.size() - filled < n)
            message.resize(filled + n);
        std::memcpy(message.data() + filled, piece.payload.data(), n);
        return filled + n;
    }

    static connection_ptr serve_on(const std::shared_ptr<core>& owner, Socket socket, const stream_options& options,
                                   std::span<const std::byte> leftover) {
        auto c = std::make_shared<connection>(owner, std::move(socket), options, leftover);
        if (leftover.empty())
            arm_wait(c);
        else
            owner->run(c);
        return c;
    }

    // accept()'s upgrade, once the request's first bytes are there: at once when the whole head
    // is there and acceptable and the 101 goes out in one write (the common case: no coroutine,
    // no frame, nothing allocated that outlives the call but the response string); otherwise
    // co_accept in a coroutine, which also answers refusals and waits for a head in pieces.
    static void start_upgrade(core& owner, connection_ptr c) {
        if (upgrade_at_once(owner, c))
            return;
        c->active_ = true;
        boost::asio::co_spawn(owner.executor, upgrade(std::move(c)), boost::asio::detached);
    }

    static bool upgrade_at_once(core& owner, const connection_ptr& c) {
        Socket& socket = c->ws_.next_layer();
        const accept_options& options = owner.options.accept;
        std::array<char, 4096> peeked;  // look without taking: the coroutine path reads it all again
        boost::system::error_code ec;
        const std::size_t n = socket.receive(boost::asio::buffer(peeked), Socket::message_peek, ec);
        if (ec || n == 0)
            return false;
        http::head_parser parser(http::head_kind::request, options.limits);
        std::array<http::header, 64> storage;
        http::head head;
        const auto parsed = parser.parse(std::span<const char>(peeked.data(), n), storage, head);
        if (parsed.status != http::head_status::complete)
            return false;
        const auto checked = ws::check_client_request(head);
        const auto* request = std::get_if<ws::upgrade_request>(&checked);
        if (request == nullptr)
            return false;
        accept_result accepted;
        accepted.subprotocol = options.select ? options.select(*request)
                                              : std::string(ws::select_subprotocol(request->subprotocols, options.subprotocols));
        const auto response = ws::build_accept_response(request->key, accepted.subprotocol, options.headers);
        if (!response)
            return false;
        accepted.resource = std::string(request->resource);
        accepted.origin = std::string(request->origin);
        // Take the peeked bytes (they are in the socket's buffer), then answer.
        const std::size_t taken = socket.receive(boost::asio::buffer(peeked.data(), n), 0, ec);
        if (ec || taken != n) {
            fail_upgrade(c);
            return true;
        }
        std::size_t written = socket.write_some(boost::asio::buffer(*response), ec);
        if (ec == boost::asio::error::would_block || ec == boost::asio::error::try_again) {
            written = 0;
            ec = {};
        }
        if (ec) {
            fail_upgrade(c);
            return true;
        }
        const auto* rest = reinterpret_cast<const std::byte*>(peeked.data() + parsed.size);
        accepted.leftover.assign(rest, rest + (n - parsed.size));
        if (written != response->size()) {
            // A fresh socket takes a 101 at once; should it not (a full send buffer, a response
            // with many extra headers), the rest goes out in a coroutine, within the timeout.
            c->active_ = true;
            boost::asio::co_spawn(owner.executor, finish_response(c, std::move(*response), written, std::move(accepted)),
                                  boost::asio::detached);
            return true;
        }
        upgraded(owner, c, accepted);
        return true;
    }

    static boost::asio::awaitable<void> finish_response(connection_ptr c, std::string response, std::size_t written,
                                                        accept_result accepted) {
        core& owner = *static_cast<core*>(c->core_.get());
        const auto deadline = burrow::detail::clock::now() + owner.options.accept.timeout;
        auto sent = co_await burrow::detail::co_before(
            boost::asio::async_write(c->ws_.next_layer(), boost::asio::buffer(response.data() + written, response.size() - written),
                                     boost::asio::as_tuple(boost::asio::use_awaitable)),
            deadline);
        c->active_ = false;
        if (!sent || std::get<0>(*sent)) {
            fail_upgrade(c);
            co_return;
        }
        upgraded(owner, c, accepted);
    }

    static boost::asio::awaitable<void> upgrade(connection_ptr c) {
        core& owner = *static_cast<core*>(c->core_.get());
        auto accepted = co_await co_accept(c->ws_.next_layer(), owner.options.accept);
        c->active_ = false;
        if (!accepted) {
            fail_upgrade(c);  // answered (400, 426, ...) or failed
            co_return;
        }
        upgraded(owner, c, accepted);
    }

    static void fail_upgrade(const connection_ptr& c) {
        c->ended_ = true;  // closed, never served
        boost::system::error_code ignored;
        c->ws_.next_layer().close(ignored);
    }

    static void upgraded(core& owner, const connection_ptr& c, const accept_result& accepted) {
        c->upgraded_ = true;
        c->ws_.add_leftover(accepted.leftover);
        if (owner.options.on_open)
            owner.options.on_open(c, accepted);  // before any message of the connection
        if (c->active_)
            return;  // on_open called close(): a worker has the connection already
        if (!accepted.leftover.empty() || c->close_requested_)
            owner.run(c);
        else
            arm_wait(c);
    }

    // The readiness wait's handler: owns the parked connection, and lends Asio the connection's
    // wait_op_storage for the operation.
    struct wake_handler {
        using allocator_type = detail::wait_op_allocator<void, connection::wait_op_size>;
        allocator_type get_allocator() const noexcept { return allocator_type(c->wait_storage_); }

        void operator()(boost::system::error_code ec) {
            c->wait_armed_ = false;
            if (c->active_ || c->ended_)
                return;  // a worker has it (closing): it reads on its own
            core& owner = *static_cast<core*>(c->core_.get());
            if (!c->upgraded_) {  // accept(): the request is arriving
                if (ec) {
                    c->ended_ = true;  // closed before the request came: never served
                    return;
                }
                start_upgrade(owner, std::move(c));
                return;
            }
            if (ec) {
                finish(owner, c, ec);  // the socket was closed or cancelled from outside
                return;
            }
            c->ws_.note_readable();
            owner.run(std::move(c), true);
        }

        connection_ptr c;
    };
    static_assert(sizeof(wake_handler) == sizeof(detail::wake_handler_layout));

    // Parks `c`: its only pending operation is now this wait, whose handler owns it.
    static void arm_wait(connection_ptr c) {
        c->wait_armed_ = true;
        Socket& socket = c->ws_.next_layer();
        socket.async_wait(Socket::wait_read, wake_handler{std::move(c)});
    }

    static void finish(core& owner, const connection_ptr& c, boost::system::error_code ec) {
        if (c->ended_)
            return;
        c->ended_ = true;
        boost::system::error_code ignored;
        c->ws_.next_layer().close(ignored);  // usually closed already; a pending wait completes
        if (owner.on_end)
            owner.on_end(c, ec);
    }

    std::shared_ptr<core> core_;
};

} // namespace burrow::websocket
