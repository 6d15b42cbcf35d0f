// A WebSocket chat room: every message a client sends is broadcast to every client (the sender
// included), with back-pressure, so a slow client cannot make the server's memory grow.
//
//   chat_server --port 9002                         # ws://127.0.0.1:9002/ (any path)
//   chat_server --port 9002 --max-queue-bytes 1048576
//   curl http://127.0.0.1:9002/stats                # clients, queued bytes, drops (JSON)
//
// Back-pressure policy: each client has its own queue of messages waiting to be written to it,
// bounded by --max-queue-bytes (the message being written counts until it is written). A
// broadcast that would overflow a client's queue DROPS THAT CLIENT: its queue is freed at once,
// it is sent Close 1008 (policy violation, "too slow") when its connection can still take a
// frame, and its TCP connection is closed --drop-grace later if it has not gone by then. The
// others are not held back: a broadcast never waits for anyone. So the memory held for clients
// is at most clients x (max-queue-bytes + one message), however slow any of them is. Messages
// are shared between the queues (one copy per broadcast, not one per client).
//
// Why drop rather than skip messages: a chat client that silently misses messages shows a wrong
// conversation; a closed connection with 1008 tells it to reconnect and catch up.
//
// One coroutine per client reads, one writes; everything runs on one thread (io_context(1)), so
// the room needs no locks.
#include "common/http_request.hpp"

#include <burrow/asio/handshake.hpp>
#include <burrow/asio/stream.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>

#include <CLI/CLI.hpp>

#include <deque>
#include <iostream>
#include <memory>
#include <unordered_set>

namespace asio = boost::asio;
using asio::ip::tcp;
using namespace std::chrono_literals;
using ws_stream = burrow::websocket::stream<tcp::socket>;

namespace {

struct chat_message {
    burrow::websocket::opcode type;
    std::string payload;
};

struct room_settings {
    std::size_t max_queue_bytes = 1024 * 1024;
    std::chrono::steady_clock::duration drop_grace = 2s;
    burrow::websocket::stream_options stream;
    bool verbose = false;
};

// One connected client: its queue and the timer its writer sleeps on.
struct client {
    client(ws_stream& s, std::uint64_t n) : ws(s), id(n), wake(s.get_executor()), kill(s.get_executor()) {
        wake.expires_at(std::chrono::steady_clock::time_point::max());
    }
    ws_stream& ws;
    std::uint64_t id;
    std::deque<std::shared_ptr<const chat_message>> queue;
    std::size_t queued_bytes = 0;  // the queue plus the message being written
    asio::steady_timer wake;       // cancelled to wake the writer
    asio::steady_timer kill;       // closes the connection of a dropped client after drop_grace
    bool dropped = false;
    bool done = false;             // the reader ended: the writer ends too
};

class chat_room {
public:
    explicit chat_room(const room_settings& settings) : settings_(settings) {}

    const room_settings& settings() const { return settings_; }

    void join(client& c) { clients_.insert(&c); }

    void leave(client& c) {
        clients_.erase(&c);
        release(c, c.queued_bytes);
        c.queue.clear();
    }

    /// Queues `message` for every client, dropping those whose queue would overflow.
    void broadcast(const std::shared_ptr<const chat_message>& message) {
        ++broadcasts_;
        const std::size_t size = message->payload.size();
        for (client* c : clients_) {
            if (c->dropped)
                continue;
            if (c->queued_bytes + size > settings_.max_queue_bytes) {
                drop(*c);
                continue;
            }
            c->queue.push_back(message);
            c->queued_bytes += size;
            queued_bytes_ += size;
            peak_queued_bytes_ = std::max(peak_queued_bytes_, queued_bytes_);
            peak_client_queue_ = std::max(peak_client_queue_, c->queued_bytes);
            c->wake.cancel();
        }
    }

    /// Bytes of a client's queue that were written (or thrown away).
    void release(client& c, std::size_t bytes) {
        c.queued_bytes -= bytes;
        queued_bytes_ -= bytes;
    }

    std::string stats_json() const {
        return "{\"clients\": " + std::to_string(clients_.size()) + ", \"queued_bytes\": " + std::to_string(queued_bytes_) +
               ", \"peak_queued_bytes\": " + std::to_string(peak_queued_bytes_) +
               ", \"peak_client_queue_bytes\": " + std::to_string(peak_client_queue_) +
               ", \"max_queue_bytes\": " + std::to_string(settings_.max_queue_bytes) +
               ", \"broadcasts\": " + std::to_string(broadcasts_) + ", \"dropped\": " + std::to_string(dropped_) + "}\n";
    }

private:
    // The policy (see the top of the file): free the queue now, let the writer send Close 1008,
    // and close the TCP connection after drop_grace in case the client never reads it.
    void drop(client& c) {
        c.dropped = true;
        ++dropped_;
        std::size_t waiting = 0;
        for (const auto& m : c.queue)
            waiting += m->payload.size();
        c.queue.clear();
        release(c, waiting);
        if (settings_.verbose)
            std::cerr << "chat_server: client " << c.id << " dropped: its queue is full\n";
        c.wake.cancel();
        c.kill.expires_after(settings_.drop_grace);
        c.kill.async_wait([&c](boost::system::error_code ec) {
            if (!ec) {  // not cancelled: the client is still here
                boost::system::error_code ignored;
                c.ws.next_layer().close(ignored);
            }
        });
    }

    room_settings settings_;
    std::unordered_set<client*> clients_;
    std::size_t queued_bytes_ = 0;
    std::size_t peak_queued_bytes_ = 0;
    std::size_t peak_client_queue_ = 0;
    std::uint64_t broadcasts_ = 0;
    std::uint64_t dropped_ = 0;
};

asio::awaitable<void> reader(chat_room& room, client& c) {
    std::string text;
    for (;;) {
        auto info = co_await c.ws.co_read(text);
        if (!info || c.dropped)
            break;
        room.broadcast(std::make_shared<const chat_message>(chat_message{info->type, std::move(text)}));
        text = std::string();
    }
    c.done = true;
    c.wake.cancel();
}

asio::awaitable<void> writer(chat_room& room, client& c) {
    while (!c.done) {
        if (c.dropped) {
            (void)co_await c.ws.co_close(burrow::websocket::close_code::policy_violation, "too slow");
            co_return;
        }
        if (c.queue.empty()) {
            c.wake.expires_at(std::chrono::steady_clock::time_point::max());
            (void)co_await c.wake.async_wait(asio::as_tuple(asio::use_awaitable));
            continue;
        }
        const auto message = std::move(c.queue.front());  // still counted in queued_bytes
        c.queue.pop_front();
        const auto bytes = std::as_bytes(std::span(message->payload.data(), message->payload.size()));
        auto ec = co_await c.ws.co_write(bytes, message->type);
        room.release(c, message->payload.size());  // a drop released the rest of the queue, not this
        if (ec) {
            boost::system::error_code ignored;
            c.ws.next_layer().close(ignored);  // ends the reader too
            co_return;
        }
    }
}

asio::awaitable<void> chat_session(chat_room& room, tcp::socket socket, std::string head, std::vector<std::byte> rest,
                                   std::uint64_t id) {
    burrow::accept_options options;
    auto accepted = co_await burrow::co_accept(socket, head, rest, options);
    if (!accepted)
        co_return;
    ws_stream ws(std::move(socket), burrow::ws::role::server, room.settings().stream, accepted.leftover);
    client c(ws, id);
    room.join(c);
    using namespace asio::experimental::awaitable_operators;
    co_await (reader(room, c) && writer(room, c));
    c.kill.cancel();
    room.leave(c);
}

asio::awaitable<void> connection(chat_room& room, tcp::socket socket, std::uint64_t id) {
    boost::system::error_code ignored;
    socket.set_option(tcp::no_delay(true), ignored);
    std::string buffer;
    std::array<burrow::http::header, 64> storage;
    burrow::http::head request;
    const auto head = co_await burrow::examples::co_read_request_head(socket, buffer, request, storage, 15s);
    if (head.size == 0)
        co_return;
    if (burrow::examples::wants_websocket(request)) {
        co_await chat_session(room, std::move(socket), buffer.substr(0, head.size),
                              burrow::examples::bytes_after(buffer, head.size), id);
        co_return;
    }
    const bool stats = request.method == "GET" && request.target == "/stats";
    const std::string reply = stats ? burrow::examples::http_response(200, "OK", "application/json", room.stats_json(), {}, false)
                                    : burrow::examples::http_response(404, "Not Found", "text/plain",
                                                                      "WebSocket chat here; GET /stats for numbers\n", {}, false);
    (void)co_await asio::async_write(socket, asio::buffer(reply), asio::as_tuple(asio::use_awaitable));
}

asio::awaitable<void> accept_loop(tcp::acceptor& acceptor, chat_room& room) {
    std::uint64_t next_id = 1;
    for (;;) {
        auto [ec, socket] = co_await acceptor.async_accept(asio::as_tuple(asio::use_awaitable));
        if (ec) {
            if (ec == asio::error::operation_aborted)
                co_return;
            continue;
        }
        asio::co_spawn(acceptor.get_executor(), connection(room, std::move(socket), next_id++), asio::detached);
    }
}

} // namespace

int main(int argc, char** argv) {
    CLI::App app{"burrow chat server: broadcasts every message to every client; slow clients are dropped"};
    std::string host = "127.0.0.1";
    std::uint16_t port = 9002;
    room_settings settings;
    double grace_seconds = 2;
    settings.stream.max_message_size = 64 * 1024;
    app.add_option("--host", host, "address to listen on")->capture_default_str();
    app.add_option("--port", port, "port to listen on (0: any free port)")->capture_default_str();
    app.add_option("--max-queue-bytes", settings.max_queue_bytes,
                   "bytes that may wait for one client; a client over it is dropped (close 1008)")
        ->capture_default_str();
    app.add_option("--max-message-size", settings.stream.max_message_size, "largest message accepted, in bytes")
        ->capture_default_str();
    app.add_option("--drop-grace", grace_seconds, "seconds a dropped client has to take its Close before the TCP close")
        ->capture_default_str();
    app.add_flag("-v,--verbose", settings.verbose, "say on stderr when a client is dropped");
    CLI11_PARSE(app, argc, argv);
    settings.drop_grace = std::chrono::duration_cast<std::chrono::steady_clock::duration>(
        std::chrono::duration<double>(grace_seconds));
    if (settings.max_queue_bytes < settings.stream.max_message_size) {
        std::cerr << "chat_server: --max-queue-bytes must hold at least one message of --max-message-size\n";
        return 2;
    }

    try {
        asio::io_context io(1);
        chat_room room(settings);
        tcp::acceptor acceptor(io, tcp::endpoint(asio::ip::make_address(host), port));
        std::cout << "listening on " << host << ":" << acceptor.local_endpoint().port() << std::endl;
        asio::signal_set signals(io, SIGINT, SIGTERM);
        signals.async_wait([&](auto, int) { io.stop(); });
        asio::co_spawn(io, accept_loop(acceptor, room), asio::detached);
        io.run();
    } catch (const std::exception& e) {
        std::cerr << "chat_server: " << e.what() << "\n";
        return 1;
    }
    return 0;
}
