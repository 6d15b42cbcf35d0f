// Proves that reading and writing messages allocates nothing in steady state: this binary counts
// every global operator new, warms a client/server pair up, then runs 10,000 echo round trips and
// checks the count did not move. The same for a parked_server, whose connections are parked and
// woken again for every message.
#include <burrow/asio/parked_server.hpp>
#include <burrow/asio/stream.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/local/connect_pair.hpp>
#include <boost/asio/local/stream_protocol.hpp>

#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <new>

#include "counting_new.hpp"

using burrow::test::allocations;

namespace asio = boost::asio;
using local_socket = asio::local::stream_protocol::socket;
using ws_stream = burrow::websocket::stream<local_socket>;
using burrow::ws::opcode;
using burrow::ws::role;

TEST(stream_no_allocation, ten_thousand_echo_round_trips) {
    asio::io_context io(1);
    local_socket a(io), b(io);
    asio::local::connect_pair(a, b);
    ws_stream client(std::move(a), role::client);
    ws_stream server(std::move(b), role::server);

    std::size_t before = 0, after = 0, round_trips = 0;
    bool failed = false;
    asio::co_spawn(io, [&]() -> asio::awaitable<void> {
        std::vector<std::byte> message;
        message.reserve(64 * 1024);
        for (;;) {
            auto info = co_await server.co_read(message);
            if (!info)
                co_return;
            if (co_await server.co_write(message, info->type))
                co_return;
        }
    }, asio::detached);
    asio::co_spawn(io, [&]() -> asio::awaitable<void> {
        std::vector<std::byte> back;
        back.reserve(64 * 1024);
        std::vector<std::byte> payload(1000, std::byte{'x'});
        const std::string text = "hello, \xe2\x82\xac world";
        auto round_trip = [&](int i) -> asio::awaitable<bool> {
            // Alternate text, binary and a mid-size message, with a ping now and then.
            if (i % 3 == 0) {
                if (co_await client.co_write_text(text))
                    co_return false;
            } else if (co_await client.co_write(std::span(payload).first(i % 3 == 1 ? 16 : 1000), opcode::binary)) {
                co_return false;
            }
            if (i % 100 == 0 && co_await client.co_ping())
                co_return false;
            auto info = co_await client.co_read(back);
            co_return static_cast<bool>(info);
        };
        for (int i = 0; i < 200; ++i)  // warm-up: buffers reach their size, frame caches fill
            failed |= !co_await round_trip(i);
        before = allocations();
        for (int i = 0; i < 10000; ++i) {
            failed |= !co_await round_trip(i);
            ++round_trips;
        }
        after = allocations();
        co_await client.co_close();
        io.stop();
    }, asio::detached);
    io.run_for(std::chrono::seconds(60));

    EXPECT_FALSE(failed);
    EXPECT_EQ(round_trips, 10000u);
    EXPECT_EQ(after - before, 0u) << "allocations per round trip: " << double(after - before) / 10000;
}

TEST(stream_no_allocation, parked_server_ten_thousand_echo_round_trips) {
    using server_type = burrow::websocket::parked_server<local_socket>;
    asio::io_context io(1);
    local_socket a(io), b(io);
    asio::local::connect_pair(a, b);
    ws_stream client(std::move(b), role::client);
    std::size_t wakes = 0;
    server_type server(io.get_executor(), [&](const server_type::connection_ptr& c,
                                              burrow::websocket::message_view m) -> asio::awaitable<void> {
        ++wakes;
        (void)co_await c->ws().co_write(m.payload, m.type);
    });
    const burrow::websocket::stream_options options;
    auto conn = server.serve(std::move(a), options, {});

    std::size_t before = 0, after = 0, round_trips = 0, parked = 0;
    bool failed = false;
    asio::co_spawn(io, [&]() -> asio::awaitable<void> {
        std::vector<std::byte> back;
        back.reserve(64 * 1024);
        std::vector<std::byte> payload(1000, std::byte{'x'});
        auto round_trip = [&](int i) -> asio::awaitable<bool> {
            if (co_await client.co_write(std::span(payload).first(i % 2 == 0 ? 20 : 1000), opcode::binary))
                co_return false;
            if (i % 100 == 0 && co_await client.co_ping())
                co_return false;
            auto info = co_await client.co_read(back);
            parked += conn->parked() ? 1 : 0;  // the server parked it again before the echo came back?
            co_return static_cast<bool>(info);
        };
        for (int i = 0; i < 200; ++i)
            failed |= !co_await round_trip(i);
        before = allocations();
        for (int i = 0; i < 10000; ++i) {
            failed |= !co_await round_trip(i);
            ++round_trips;
        }
        after = allocations();
        co_await client.co_close();
        io.stop();
    }, asio::detached);
    io.run_for(std::chrono::seconds(60));

    EXPECT_FALSE(failed);
    EXPECT_EQ(round_trips, 10000u);
    EXPECT_EQ(wakes, 10200u);
    EXPECT_GT(parked, 0u);  // the connection really went back to its readiness wait
    EXPECT_EQ(after - before, 0u) << "allocations per round trip: " << double(after - before) / 10000;
}

// Write batching: a corked client sends bursts of four messages in one write, a parked_server with
// batch_writes answers each burst in one write; the queues' buffers come from the pool.
TEST(stream_no_allocation, corked_bursts_through_a_parked_server_with_batch_writes) {
    using server_type = burrow::websocket::parked_server<local_socket>;
    asio::io_context io(1);
    local_socket a(io), b(io);
    asio::local::connect_pair(a, b);
    ws_stream client(std::move(b), role::client);
    server_type::options_type server_options;
    server_options.batch_writes = true;
    std::size_t most_queued = 0;
    server_type server(io.get_executor(), [&](const server_type::connection_ptr& c,
                                              burrow::websocket::message_view m) -> asio::awaitable<void> {
        (void)co_await c->ws().co_write(m.payload, m.type);
        most_queued = std::max(most_queued, c->ws().queued_bytes());
    }, {}, server_options);
    const burrow::websocket::stream_options options;
    auto conn = server.serve(std::move(a), options, {});

    std::size_t before = 0, after = 0, bursts = 0;
    bool failed = false;
    asio::co_spawn(io, [&]() -> asio::awaitable<void> {
        std::vector<std::byte> back;
        back.reserve(64 * 1024);
        std::vector<std::byte> payload(1000, std::byte{'x'});
        client.cork();
        auto burst = [&](int i) -> asio::awaitable<bool> {
            for (int k = 0; k < 4; ++k) {
                if (co_await client.co_write(std::span(payload).first(k % 2 == 0 ? 20 : 1000), opcode::binary))
                    co_return false;
            }
            if (i % 100 == 0 && co_await client.co_ping())
                co_return false;
            for (int k = 0; k < 4; ++k) {  // the first read waits: the burst goes out first
                auto info = co_await client.co_read(back);
                if (!info || back.size() != (k % 2 == 0 ? 20u : 1000u))
                    co_return false;
            }
            co_return true;
        };
        for (int i = 0; i < 200; ++i)
            failed |= !co_await burst(i);
        before = allocations();
        for (int i = 0; i < 2500; ++i) {
            failed |= !co_await burst(i);
            ++bursts;
        }
        after = allocations();
        co_await client.co_close();
        io.stop();
    }, asio::detached);
    io.run_for(std::chrono::seconds(60));

    EXPECT_FALSE(failed);
    EXPECT_EQ(bursts, 2500u);
    EXPECT_GT(most_queued, 0u);  // the server's answers were batched
    EXPECT_EQ(after - before, 0u) << "allocations per burst: " << double(after - before) / 2500;
}

// Large messages are received straight into the reader's own buffer (a vector for co_read, the
// worker's buffer for parked_server): that path allocates nothing in steady state either.
TEST(stream_no_allocation, large_messages_through_a_stream_and_a_parked_server) {
    using server_type = burrow::websocket::parked_server<local_socket>;
    asio::io_context io(1);
    local_socket a(io), b(io), c(io), d(io);
    asio::local::connect_pair(a, b);
    asio::local::connect_pair(c, d);
    ws_stream client(std::move(a), role::client);
    ws_stream server(std::move(b), role::server);
    ws_stream parked_client(std::move(c), role::client);
    server_type parked(io.get_executor(), [&](const server_type::connection_ptr& conn,
                                              burrow::websocket::message_view m) -> asio::awaitable<void> {
        (void)co_await conn->ws().co_write(m.payload, m.type);
    });
    const burrow::websocket::stream_options options;
    auto conn = parked.serve(std::move(d), options, {});

    asio::co_spawn(io, [&]() -> asio::awaitable<void> {
        std::vector<std::byte> message;
        for (;;) {
            auto info = co_await server.co_read(message);
            if (!info || co_await server.co_write(message, info->type))
                co_return;
        }
    }, asio::detached);
    std::size_t before = 0, after = 0, round_trips = 0;
    bool failed = false;
    asio::co_spawn(io, [&]() -> asio::awaitable<void> {
        std::vector<std::byte> payload(150 * 1024);
        for (std::size_t i = 0; i < payload.size(); ++i)
            payload[i] = static_cast<std::byte>(i * 31);
        std::vector<std::byte> back;
        const std::size_t sizes[] = {64 * 1024, 100 * 1024, 5000, 150 * 1024, 64 * 1024 - 1};
        auto round_trip = [&](ws_stream& s, std::size_t size) -> asio::awaitable<bool> {
            const auto sent = std::span(payload).first(size);
            if (co_await s.co_write(sent, opcode::binary))
                co_return false;
            auto info = co_await s.co_read(back);
            co_return info && std::equal(back.begin(), back.end(), sent.begin(), sent.end());
        };
        for (int i = 0; i < 50; ++i) {  // warm-up
            failed |= !co_await round_trip(client, sizes[i % 5]);
            failed |= !co_await round_trip(parked_client, sizes[i % 5]);
        }
        before = allocations();
        for (int i = 0; i < 500; ++i) {
            failed |= !co_await round_trip(client, sizes[i % 5]);
            failed |= !co_await round_trip(parked_client, sizes[i % 5]);
            ++round_trips;
        }
        after = allocations();
        co_await client.co_close();
        co_await parked_client.co_close();
        io.stop();
    }, asio::detached);
    io.run_for(std::chrono::seconds(60));

    EXPECT_FALSE(failed);
    EXPECT_EQ(round_trips, 500u);
    EXPECT_EQ(after - before, 0u) << "allocations per round trip: " << double(after - before) / 500;
}

TEST(stream_no_allocation, the_counter_counts) {
    const std::size_t before = allocations();
    auto* p = new std::vector<int>(100);
    const std::size_t after = allocations();
    delete p;
    EXPECT_GE(after - before, 2u);
}
