// websocket::stream when memory is exhausted: no exception crosses the data path, the error is
// boost::system::errc::not_enough_memory, and nothing is lost without the connection saying so.
// Allocations are made to fail on demand (counting_new.hpp's failing_allocations); the same tool
// shows which stream holds a read buffer (stream_buffers). Each test runs
// on a thread of its own, so the per-thread buffer pool starts empty and every buffer the stream
// needs really has to be allocated.
#include <burrow/asio/stream.hpp>

#include "asio_run.hpp"
#include "counting_new.hpp"
#include "raw_peer.hpp"
#include "slow_reading_socket.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/post.hpp>

#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

using namespace burrow;
using namespace burrow::test;
using ws_stream = websocket::stream<local_socket>;
using websocket::stream_options;
using ws::opcode;
using ws::role;

namespace {

const boost::system::error_code out_of_memory = make_error_code(boost::system::errc::not_enough_memory);

template <class F>
void on_fresh_thread(F f) {
    std::thread t(std::move(f));
    t.join();
}

// (A view: comparing a 100 KiB message must not allocate while allocations fail.)
std::string_view as_text(const std::vector<std::byte>& bytes, std::size_t n) {
    return {reinterpret_cast<const char*>(bytes.data()), n};
}

} // namespace

TEST(stream_out_of_memory, no_read_buffer_is_an_error_that_loses_nothing) {
    on_fresh_thread([] {
        run([&](asio::io_context& io) -> asio::awaitable<void> {
            auto [a, b] = make_pair(io);
            stream_options o;
            o.read_buffer_size = 96 * 1024;  // the only allocation of this size
            ws_stream server(std::move(a), role::server, o);
            std::vector<std::byte> wire;
            for (const char* text : {"first", "second"}) {
                const auto f = wire_frame(opcode::text, true, text, 0x01020304);
                wire.insert(wire.end(), f.begin(), f.end());
            }
            co_await write_raw(b, wire);
            std::vector<std::byte> got;
            got.reserve(1024);
            {
                failing_allocations no_memory(96 * 1024);
                auto r = co_await server.co_read(got);
                EXPECT_FALSE(r);
                EXPECT_EQ(r ? boost::system::error_code{} : r.error(), out_of_memory);
                EXPECT_TRUE(server.is_open()) << "nothing was read: the connection goes on";
            }
            for (const char* text : {"first", "second"}) {
                auto r = co_await server.co_read(got);
                EXPECT_TRUE(r) << text;
                if (!r)
                    co_return;
                EXPECT_EQ(as_text(got, r->size), text);
            }
        });
    });
}

TEST(stream_out_of_memory, a_read_buffer_that_cannot_grow_for_bytes_already_read_fails_the_connection) {
    // After large frames a read offers room for another large one; when small frames come instead,
    // what it took must be parsed from a read buffer grown for it (see the stream test
    // small_frames_behind_large_ones_in_one_burst...). Here that growth fails: the bytes are gone,
    // so the connection must end with the error rather than go on with a hole in the stream.
    on_fresh_thread([] {
        run([&](asio::io_context& io) -> asio::awaitable<void> {
            using namespace asio::experimental::awaitable_operators;
            auto [a, b] = make_pair(io);
            websocket::stream<slow_reading_socket> server(slow_reading_socket{std::move(a)}, role::server);  // 64 KiB read buffer
            client_burst burst;
            burst.add(letter_pattern(100 * 1024, 1));
            burst.add(letter_pattern(100 * 1024, 2));
            for (std::size_t i = 0; i < 3000; ++i)
                burst.add(letter_pattern(40, i));
            const std::vector<std::string>& sent = burst.sent;
            std::vector<std::byte> got;
            got.reserve(256 * 1024);  // the caller's memory is there; only the stream's growth fails
            std::size_t read = 0;
            boost::system::error_code error;
            auto write = [&]() -> asio::awaitable<void> { co_await write_raw(b, burst.wire); };
            auto read_all = [&]() -> asio::awaitable<void> {
                failing_allocations no_memory(64 * 1024 + 1);  // the 64 KiB read buffer, nothing larger
                for (; read < sent.size(); ++read) {
                    auto info = co_await server.co_read(got);
                    if (!info) {
                        error = info.error();
                        co_return;
                    }
                    if (as_text(got, info->size) != sent[read]) {
                        ADD_FAILURE() << "message " << read << " differs";
                        co_return;
                    }
                }
            };
            co_await (write() && read_all());
            EXPECT_EQ(error, out_of_memory);
            EXPECT_GE(read, 2u) << "the large messages came through";
            EXPECT_LT(read, sent.size()) << "the growth never failed: the test did not test";
            EXPECT_FALSE(server.is_open());
            EXPECT_EQ(server.end_reason(), out_of_memory);
            auto again = co_await server.co_read(got);
            EXPECT_FALSE(again);
            EXPECT_EQ(again ? boost::system::error_code{} : again.error(), out_of_memory) << "reported again, not read past the hole";
        });
    });
}

TEST(stream_out_of_memory, no_masking_buffer_is_an_error_and_nothing_is_sent) {
    on_fresh_thread([] {
        run([&](asio::io_context& io) -> asio::awaitable<void> {
            auto [a, b] = make_pair(io);
            stream_options o;
            o.write_buffer_size = 48 * 1024;  // the masking buffer: this plus a frame header
            ws_stream client(std::move(a), role::client, o);
            ws_stream server(std::move(b), role::server);
            const std::string lost(1000, 'l'), sent(1000, 's');  // larger than small_masked_frame
            {
                failing_allocations no_memory(48 * 1024);
                EXPECT_EQ(co_await client.co_write_text(lost), out_of_memory);
                EXPECT_TRUE(client.is_open());
            }
            EXPECT_FALSE(co_await client.co_write_text(sent));
            std::vector<std::byte> got;
            auto r = co_await server.co_read(got);
            EXPECT_TRUE(r);
            if (r) {
                EXPECT_EQ(as_text(got, r->size), sent) << "the failed write sent nothing, not even a header";
            }
        });
    });
}

TEST(stream_buffers, keep_read_buffer_holds_the_read_buffer_while_a_read_waits) {
    // Two streams on one thread, the same read buffer size. While the first one's read waits for
    // its peer, the second reads with allocations of that size failing: it gets the pool's buffer
    // only when the first gave its own back (the default), not when it keeps it.
    for (bool keep : {false, true}) {
        SCOPED_TRACE(keep ? "keep_read_buffer" : "default");
        on_fresh_thread([keep] {
            run([&](asio::io_context& io) -> asio::awaitable<void> {
                auto [a, peer_a] = make_pair(io);
                auto [b, peer_b] = make_pair(io);
                stream_options o;
                o.read_buffer_size = 80 * 1024;  // no other allocation of this size
                o.keep_read_buffer = keep;
                ws_stream first(std::move(a), role::server, o);
                ws_stream second(std::move(b), role::server, o);
                std::vector<std::byte> got;
                got.reserve(1024);
                const auto frame_one = wire_frame(opcode::text, true, "one", 1);  // (named: GCC 12 and temporaries in co_await)
                co_await write_raw(peer_a, frame_one);
                auto r = co_await first.co_read(got);
                EXPECT_TRUE(r);

                bool first_done = false;
                asio::co_spawn(io, [&]() -> asio::awaitable<void> {
                    std::vector<std::byte> later;
                    auto r2 = co_await first.co_read(later);
                    EXPECT_TRUE(r2);
                    if (r2) {
                        EXPECT_EQ(as_text(later, r2->size), "three");
                    }
                    first_done = true;
                }, asio::detached);
                for (int i = 0; i < 4; ++i)  // the first read starts and waits for its peer
                    co_await asio::post(io, asio::use_awaitable);
                EXPECT_FALSE(first_done);

                const auto frame_two = wire_frame(opcode::text, true, "two", 2);  // (named: GCC 12 and temporaries in co_await)
                co_await write_raw(peer_b, frame_two);
                {
                    failing_allocations no_memory(80 * 1024);
                    auto r3 = co_await second.co_read(got);
                    if (keep) {
                        EXPECT_EQ(r3 ? boost::system::error_code{} : r3.error(), out_of_memory)
                            << "the waiting stream gave its buffer back";
                    } else {
                        EXPECT_TRUE(r3) << "the waiting stream kept its buffer";
                    }
                }
                const auto frame_three = wire_frame(opcode::text, true, "three", 3);  // (named: GCC 12 and temporaries in co_await)
                co_await write_raw(peer_a, frame_three);
                for (int i = 0; i < 100 && !first_done; ++i)
                    co_await asio::post(io, asio::use_awaitable);
                EXPECT_TRUE(first_done);
            });
        });
    }
}

TEST(stream_out_of_memory, a_client_sends_control_frames_and_small_messages_without_memory) {
    // Control frames and small messages are masked in the write's own memory: with every
    // allocation of 16 KiB or more failing (the pooled masking buffer is 64 KiB; coroutine frames
    // and timers are smaller), a client still pings, sends a short message and its Close; only
    // the larger message (it needs the masking buffer) fails, sending nothing.
    on_fresh_thread([] {
        run([&](asio::io_context& io) -> asio::awaitable<void> {
            auto [a, peer] = make_pair(io);
            ws_stream client(std::move(a), role::client);
            const std::string larger(300, 'x');
            {
                failing_allocations no_memory(16 * 1024);
                EXPECT_FALSE(co_await client.co_ping());
                EXPECT_FALSE(co_await client.co_write_text("small"));
                EXPECT_EQ(co_await client.co_write_text(larger), out_of_memory);
                EXPECT_TRUE(client.is_open());
                // The Close goes out; waiting for the answer needs a read buffer, which fails.
                EXPECT_EQ(co_await client.co_close(), out_of_memory);
            }
            const opcode expected[] = {opcode::ping, opcode::text, opcode::close};
            for (opcode op : expected) {
                auto f = co_await read_wire_frame(peer);
                EXPECT_TRUE(f);
                if (!f)
                    co_return;
                EXPECT_EQ(f->header.op, op) << "the failed write sent nothing, not even a header";
                if (op == opcode::text) {
                    EXPECT_EQ(f->payload, "small");
                }
            }
        });
    });
}

TEST(stream_out_of_memory, a_corked_frame_whose_queue_cannot_get_a_buffer_goes_out_at_once) {
    on_fresh_thread([] {
        run([&](asio::io_context& io) -> asio::awaitable<void> {
            auto [a, peer] = make_pair(io);
            ws_stream server(std::move(a), role::server);
            server.cork();
            {
                failing_allocations no_memory(ws_stream::write_batch_capacity);
                EXPECT_FALSE(co_await server.co_write_text("not queued"));
                EXPECT_EQ(server.queued_bytes(), 0u);
            }
            auto f = co_await read_wire_frame(peer);
            EXPECT_TRUE(f);
            if (f) {
                EXPECT_EQ(f->payload, "not queued");
            }
        });
    });
}
