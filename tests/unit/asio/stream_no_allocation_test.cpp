// Proves that reading and writing messages allocates nothing in steady state. This binary counts
// every global operator new and every aligned_alloc (which Asio uses for coroutine frames and
// operations that miss its per-thread cache), per thread. The server runs on a thread of its own
// and the client on the test's thread, as in real programs (Asio's frame cache is per thread):
// after a warm-up, neither thread's count may move over thousands of messages. Covered: a stream
// echo, a parked_server (connections parked and woken for every message; also against a client
// that keeps its read buffer; also fifty connections woken in bursts), corked bursts through
// a parked_server with batch_writes, and large messages received in place.
#include <burrow/asio/parked_server.hpp>
#include <burrow/asio/stream.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/local/connect_pair.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/steady_timer.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <exception>
#include <cstdlib>
#include <memory>
#include <new>
#include <thread>
#include <vector>

#include "counting_new.hpp"

using burrow::test::allocations;
using burrow::test::thread_allocations;

namespace asio = boost::asio;
using local_socket = asio::local::stream_protocol::socket;
using ws_stream = burrow::websocket::stream<local_socket>;
using server_type = burrow::websocket::parked_server<local_socket>;
using burrow::ws::opcode;
using burrow::ws::role;

namespace {

// The allocations one thread makes between open() and close().
struct window {
    std::size_t before = 0;
    std::size_t after = 0;
    bool opened = false;
    bool closed = false;
    void open() {
        before = thread_allocations();
        opened = true;
    }
    void close() {
        after = thread_allocations();
        closed = true;
    }
    // Counts the messages of the side that owns it: opens after `warm_up`, closes `measured` later.
    void count(std::size_t& seen, std::size_t warm_up, std::size_t measured) {
        ++seen;
        if (seen == warm_up)
            open();
        else if (seen == warm_up + measured)
            close();
    }
    std::size_t made() const { return closed ? after - before : ~std::size_t{0}; }
};

// Runs `io` until it is stopped, at most 60 seconds. run(), not run_for(): run_for() runs one
// handler per call with a fresh per-thread state, whose frame cache starts empty every time.
void run_bounded(asio::io_context& io) {
    asio::steady_timer limit(io, std::chrono::seconds(60));
    limit.async_wait([&](const boost::system::error_code& ec) {
        if (!ec)
            io.stop();
    });
    io.run();
}

// A co_spawn completion that stops `io` (the client's side is over: run() returns).
auto stop_when_done(asio::io_context& io) {
    return [&io](std::exception_ptr e) {
        io.stop();
        if (e)
            std::rethrow_exception(e);
    };
}

// The server's io_context, run by a thread of its own; the test's thread runs the client's.
struct server_thread {
    asio::io_context io{1};
    std::thread thread;
    void start() {
        thread = std::thread([this] { run_bounded(io); });
    }
    // Stops the server's thread; call before the server's objects go.
    void stop() {
        io.stop();
        if (thread.joinable())
            thread.join();
    }
    ~server_thread() { stop(); }
};

// A connected pair: the server's end on `server_io`, the client's on `client_io`.
std::pair<local_socket, local_socket> socket_pair(asio::io_context& server_io, asio::io_context& client_io) {
    local_socket a(server_io), b(client_io);
    asio::local::connect_pair(a, b);
    return {std::move(a), std::move(b)};
}

constexpr std::size_t warm_up = 1000;  // ten pings: Asio's frame cache has settled
constexpr std::size_t measured = 10000;

// Client side of the small-message tests: `measured` round trips after `warm_up`, alternating 20 B
// and 1000 B binary messages and text, with a ping every 100; one coroutine, no helper frames.
asio::awaitable<void> small_round_trips(ws_stream& client, window& counted, bool& failed) {
    std::vector<std::byte> back;
    back.reserve(64 * 1024);
    std::vector<std::byte> payload(1000, std::byte{'x'});
    const std::string text = "hello, \xe2\x82\xac world";
    std::size_t seen = 0;
    for (std::size_t i = 0; i < warm_up + measured; ++i) {
        boost::system::error_code ec;
        if (i % 3 == 0)
            ec = co_await client.co_write_text(text);
        else
            ec = co_await client.co_write(std::span(payload).first(i % 3 == 1 ? 20 : 1000), opcode::binary);
        if (!ec && i % 100 == 0)
            ec = co_await client.co_ping();
        auto info = co_await client.co_read(back);
        if (ec || !info) {
            failed = true;
            break;
        }
        counted.count(seen, warm_up, measured);
    }
    (void)co_await client.co_close();
}

void expect_no_allocations(const window& server, const window& client, std::size_t messages) {
    EXPECT_EQ(server.made(), 0u) << "server allocations per message: " << double(server.made()) / double(messages);
    EXPECT_EQ(client.made(), 0u) << "client allocations per message: " << double(client.made()) / double(messages);
}

} // namespace

TEST(stream_no_allocation, ten_thousand_echo_round_trips) {
    server_thread server_side;
    asio::io_context client_io(1);
    auto [a, b] = socket_pair(server_side.io, client_io);
    ws_stream server(std::move(a), role::server);
    ws_stream client(std::move(b), role::client);
    window server_window, client_window;
    bool failed = false;
    asio::co_spawn(server_side.io, [&]() -> asio::awaitable<void> {
        std::vector<std::byte> message;
        message.reserve(64 * 1024);
        std::size_t seen = 0;
        for (;;) {
            auto info = co_await server.co_read(message);
            if (!info || co_await server.co_write(message, info->type))
                co_return;
            server_window.count(seen, warm_up, measured);
        }
    }, asio::detached);
    server_side.start();
    asio::co_spawn(client_io, small_round_trips(client, client_window, failed), stop_when_done(client_io));
    run_bounded(client_io);
    server_side.stop();

    EXPECT_FALSE(failed);
    expect_no_allocations(server_window, client_window, measured);
}

// `client_keeps`: the client's stream has keep_read_buffer set (its reads wait in Asio's reactor
// with its buffer instead of a readiness wait without one).
void parked_server_echo(bool client_keeps) {
    server_thread server_side;
    asio::io_context client_io(1);
    auto [a, b] = socket_pair(server_side.io, client_io);
    burrow::websocket::stream_options client_options;
    client_options.keep_read_buffer = client_keeps;
    ws_stream client(std::move(b), role::client, client_options);
    window server_window, client_window;
    std::size_t wakes = 0, seen = 0, workers = 0;
    server_type server(server_side.io.get_executor(), [&](const server_type::connection_ptr& c,
                                                          burrow::websocket::message_view m) -> asio::awaitable<void> {
        ++wakes;
        (void)co_await c->ws().co_write(m.payload, m.type);
        server_window.count(seen, warm_up, measured);
    });
    const burrow::websocket::stream_options options;
    auto conn = server.serve(std::move(a), options, {});
    server_side.start();
    bool failed = false;
    asio::co_spawn(client_io, small_round_trips(client, client_window, failed), stop_when_done(client_io));
    run_bounded(client_io);
    server_side.stop();
    workers = server.workers();  // read on this thread only once the server's thread is gone

    EXPECT_FALSE(failed);
    EXPECT_EQ(wakes, warm_up + measured);
    EXPECT_EQ(workers, 1u);  // one worker, reused for every wake-up (parked_server_test checks the parking)
    expect_no_allocations(server_window, client_window, measured);
}

TEST(stream_no_allocation, parked_server_ten_thousand_echo_round_trips) {
    parked_server_echo(false);
}

TEST(stream_no_allocation, parked_server_and_a_client_that_keeps_its_read_buffer) {
    parked_server_echo(true);
}

// Many connections at once: every round, each of 50 clients sends a message before any reads, so
// the server's reactor reports a burst of ready connections and hands them to as many workers in
// one go (more than Asio's per-thread cache holds of any kind of block). The server's thread must
// still allocate nothing (the clients run as one coroutine on the test's thread; not counted).
TEST(stream_no_allocation, parked_server_with_fifty_connections_in_bursts) {
    constexpr std::size_t connections = 50;
    constexpr std::size_t rounds_warm_up = 20, rounds_measured = 200;
    server_thread server_side;
    asio::io_context client_io(1);
    window server_window;
    std::size_t seen = 0;
    server_type server(server_side.io.get_executor(), [&](const server_type::connection_ptr& c,
                                                          burrow::websocket::message_view m) -> asio::awaitable<void> {
        (void)co_await c->ws().co_write(m.payload, m.type);
        server_window.count(seen, rounds_warm_up * connections, rounds_measured * connections);
    });
    std::vector<std::unique_ptr<ws_stream>> clients;
    std::vector<server_type::connection_ptr> served;
    const burrow::websocket::stream_options options;
    for (std::size_t i = 0; i < connections; ++i) {
        auto [a, b] = socket_pair(server_side.io, client_io);
        clients.push_back(std::make_unique<ws_stream>(std::move(b), role::client));
        served.push_back(server.serve(std::move(a), options, {}));
    }
    server_side.start();
    bool failed = false;
    asio::co_spawn(client_io, [&]() -> asio::awaitable<void> {
        std::vector<std::byte> back;
        back.reserve(1024);
        const std::vector<std::byte> payload(20, std::byte{'m'});
        for (std::size_t round = 0; round < rounds_warm_up + rounds_measured && !failed; ++round) {
            for (auto& c : clients)
                failed = failed || static_cast<bool>(co_await c->co_write(payload, opcode::binary));
            for (auto& c : clients) {
                auto info = co_await c->co_read(back);
                failed = failed || !info || info->size != payload.size();
            }
        }
        for (auto& c : clients)
            (void)co_await c->co_close();
    }, stop_when_done(client_io));
    run_bounded(client_io);
    server_side.stop();

    EXPECT_FALSE(failed);
    EXPECT_EQ(server_window.made(), 0u) << "server allocations per message: "
                                        << double(server_window.made()) / double(rounds_measured * connections);
}

// Write batching: a corked client sends bursts of four messages in one write, a parked_server with
// batch_writes answers each burst in one write; the queues' buffers come from the pool.
TEST(stream_no_allocation, corked_bursts_through_a_parked_server_with_batch_writes) {
    server_thread server_side;
    asio::io_context client_io(1);
    auto [a, b] = socket_pair(server_side.io, client_io);
    ws_stream client(std::move(b), role::client);
    server_type::options_type server_options;
    server_options.batch_writes = true;
    window server_window, client_window;
    std::size_t most_queued = 0, seen = 0;
    server_type server(server_side.io.get_executor(), [&](const server_type::connection_ptr& c,
                                                          burrow::websocket::message_view m) -> asio::awaitable<void> {
        (void)co_await c->ws().co_write(m.payload, m.type);
        most_queued = std::max(most_queued, c->ws().queued_bytes());
        server_window.count(seen, 4 * warm_up, 4 * measured / 4);
    }, {}, server_options);
    const burrow::websocket::stream_options options;
    auto conn = server.serve(std::move(a), options, {});
    server_side.start();

    bool failed = false;
    asio::co_spawn(client_io, [&]() -> asio::awaitable<void> {
        std::vector<std::byte> back;
        back.reserve(64 * 1024);
        std::vector<std::byte> payload(1000, std::byte{'x'});
        client.cork();
        std::size_t bursts = 0;
        for (std::size_t i = 0; i < warm_up + measured / 4 && !failed; ++i) {
            for (int k = 0; k < 4 && !failed; ++k)
                failed = static_cast<bool>(co_await client.co_write(std::span(payload).first(k % 2 == 0 ? 20 : 1000), opcode::binary));
            if (i % 100 == 0 && !failed)
                failed = static_cast<bool>(co_await client.co_ping());
            for (int k = 0; k < 4 && !failed; ++k) {  // the first read waits: the burst goes out first
                auto info = co_await client.co_read(back);
                failed = !info || back.size() != (k % 2 == 0 ? 20u : 1000u);
            }
            client_window.count(bursts, warm_up, measured / 4);
        }
        (void)co_await client.co_close();
    }, stop_when_done(client_io));
    run_bounded(client_io);
    server_side.stop();

    EXPECT_FALSE(failed);
    EXPECT_GT(most_queued, 0u);  // the server's answers were batched
    expect_no_allocations(server_window, client_window, measured);
}

// Large messages are received straight into the reader's own buffer (a vector for co_read, the
// worker's buffer for parked_server): that path allocates nothing in steady state either.
TEST(stream_no_allocation, large_messages_through_a_stream_and_a_parked_server) {
    // One thread for both sides here: how large messages' reads split (header and payload
    // together or not, a write the socket takes at once or not) then follows one schedule, and a
    // path taken for the first time after the warm-up cannot make the count flaky.
    asio::io_context io(1);
    asio::io_context& client_io = io;
    auto [a, b] = socket_pair(io, io);
    auto [c, d] = socket_pair(io, io);
    ws_stream server(std::move(a), role::server);
    ws_stream client(std::move(b), role::client);
    ws_stream parked_client(std::move(d), role::client);
    constexpr std::size_t large_warm_up = 400, large_measured = 500;
    window server_window, client_window;
    std::size_t seen = 0;  // on the server's thread: messages echoed by either server
    auto count_server = [&] { server_window.count(seen, 2 * large_warm_up, 2 * large_measured); };
    server_type parked(io.get_executor(), [&](const server_type::connection_ptr& conn,
                                                          burrow::websocket::message_view m) -> asio::awaitable<void> {
        (void)co_await conn->ws().co_write(m.payload, m.type);
        count_server();
    });
    const burrow::websocket::stream_options options;
    auto conn = parked.serve(std::move(c), options, {});
    asio::co_spawn(io, [&]() -> asio::awaitable<void> {
        std::vector<std::byte> message;
        for (;;) {
            auto info = co_await server.co_read(message);
            if (!info || co_await server.co_write(message, info->type))
                co_return;
            count_server();
        }
    }, asio::detached);

    bool failed = false;
    asio::co_spawn(client_io, [&]() -> asio::awaitable<void> {
        std::vector<std::byte> payload(150 * 1024);
        for (std::size_t i = 0; i < payload.size(); ++i)
            payload[i] = static_cast<std::byte>(i * 31);
        std::vector<std::byte> back;
        const std::size_t sizes[] = {64 * 1024, 100 * 1024, 5000, 150 * 1024, 64 * 1024 - 1};
        std::size_t round_trips = 0;
        for (std::size_t i = 0; i < large_warm_up + large_measured && !failed; ++i) {
            const auto sent = std::span(payload).first(sizes[i % 5]);
            for (ws_stream* s : {&client, &parked_client}) {
                if (co_await s->co_write(sent, opcode::binary)) {
                    failed = true;
                    break;
                }
                auto info = co_await s->co_read(back);
                failed = !info || !std::equal(back.begin(), back.end(), sent.begin(), sent.end());
                if (failed)
                    break;
            }
            client_window.count(round_trips, large_warm_up, large_measured);
        }
        (void)co_await client.co_close();
        (void)co_await parked_client.co_close();
    }, stop_when_done(client_io));
    run_bounded(io);

    EXPECT_FALSE(failed);
    expect_no_allocations(server_window, client_window, 2 * large_measured);
}

TEST(stream_no_allocation, the_counter_counts) {
    const std::size_t before = allocations();
    const std::size_t thread_before = thread_allocations();
    auto* p = new std::vector<int>(100);
    void* aligned = std::aligned_alloc(64, 256);  // how Asio allocates coroutine frames
    const std::size_t after = allocations();
    const std::size_t thread_after = thread_allocations();
    delete p;
    std::free(aligned);
    EXPECT_GE(after - before, 3u);
    EXPECT_GE(thread_after - thread_before, 3u);
    std::size_t other_thread = 0;
    std::thread([&] {  // every thread counts from its own start
        const std::size_t mine = thread_allocations();
        std::vector<int>* volatile v = new std::vector<int>(10);
        other_thread = thread_allocations() - mine;
        delete v;
    }).join();
    EXPECT_EQ(other_thread, 2u);
}
