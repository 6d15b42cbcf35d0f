// websocket::stream over socket pairs: against a raw peer writing hand-made frames (every rule of
// RFC 6455 the stream enforces), and against another burrow stream (echo, duplex, close).
#include <burrow/asio/stream.hpp>

#include "asio_run.hpp"
#include "raw_peer.hpp"
#include "slow_reading_socket.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/local/connect_pair.hpp>
#include <boost/asio/steady_timer.hpp>

#include <gtest/gtest.h>

#include <cstring>
#include <optional>
#include <random>

using namespace burrow;
using namespace burrow::test;
using namespace std::chrono_literals;
using ws_stream = websocket::stream<local_socket>;
using websocket::stream_options;
using ws::opcode;
using ws::role;

namespace {


std::string as_string(std::span<const std::byte> bytes) { return {reinterpret_cast<const char*>(bytes.data()), bytes.size()}; }

std::span<const std::byte> bytes_of(std::string_view s) { return std::as_bytes(std::span(s.data(), s.size())); }

} // namespace

TEST(stream, server_reads_client_frames_split_at_every_offset) {
    std::vector<std::byte> wire;
    for (auto& f : {wire_frame(opcode::text, false, "Hel", 0x11223344), wire_frame(opcode::ping, true, "p", 0x55667788),
                    wire_frame(opcode::continuation, true, "lo \xe2\x82\xac", 0x01020304),
                    wire_frame(opcode::binary, true, std::string(300, 'b'), 0xa1b2c3d4)})
        wire.insert(wire.end(), f.begin(), f.end());
    for (std::size_t step : {std::size_t{0}, std::size_t{1}, std::size_t{2}, std::size_t{3}, std::size_t{7}, std::size_t{64}}) {
        SCOPED_TRACE(step);
        run([&](asio::io_context& io) -> asio::awaitable<void> {
            using namespace asio::experimental::awaitable_operators;
            auto [a, b] = make_pair(io);
            ws_stream server(std::move(a), role::server);
            auto reads = [&]() -> asio::awaitable<void> {
                std::string message;
                auto text = co_await server.co_read(message);
                EXPECT_TRUE(text);
                EXPECT_EQ(text->type, opcode::text);
                EXPECT_EQ(message, "Hello \xe2\x82\xac");
                auto bin = co_await server.co_read(message);
                EXPECT_EQ(bin->type, opcode::binary);
                EXPECT_EQ(message, std::string(300, 'b'));
            };
            // The raw peer writes (in tiny pieces) while the server reads, then reads the pong.
            co_await (reads() && write_raw(b, wire, step));
            auto pong = co_await read_wire_frame(b);  // the ping was answered, unmasked, same payload
            EXPECT_TRUE(pong);
            EXPECT_EQ(pong->header.op, opcode::pong);
            EXPECT_FALSE(pong->header.masked);
            EXPECT_EQ(pong->payload, "p");
        });
    }
}

TEST(stream, leftover_bytes_from_the_handshake_are_read_first) {
    run([&](asio::io_context& io) -> asio::awaitable<void> {
        auto [a, b] = make_pair(io);
        const auto first = wire_frame(opcode::text, true, "early");
        ws_stream client(std::move(a), role::client, {}, first);
        co_await write_raw(b, wire_frame(opcode::text, true, "later"));
        std::string m;
        co_await client.co_read(m);
        EXPECT_EQ(m, "early");
        co_await client.co_read(m);
        EXPECT_EQ(m, "later");
    });
}

TEST(stream, client_frames_are_masked_server_frames_are_not) {
    run([&](asio::io_context& io) -> asio::awaitable<void> {
        auto [a, b] = make_pair(io);
        auto [c, d] = make_pair(io);
        ws_stream client(std::move(a), role::client);
        ws_stream server(std::move(c), role::server);
        std::uint32_t previous_key = 0;
        for (int i = 0; i < 3; ++i) {
            co_await client.co_write_text("masked");
            auto f = co_await read_wire_frame(b);
            EXPECT_TRUE(f->header.masked);
            EXPECT_NE(f->header.mask_key, 0u);
            EXPECT_NE(f->header.mask_key, previous_key);
            previous_key = f->header.mask_key;
            EXPECT_EQ(f->payload, "masked");
        }
        co_await server.co_write_text("plain");
        auto g = co_await read_wire_frame(d);
        EXPECT_FALSE(g->header.masked);
        EXPECT_EQ(g->payload, "plain");
    });
}

namespace {

// The raw peer sends `bad`; the burrow endpoint (role `r`) must fail the read with `expected`,
// send a Close with `code`, and end the connection.
void expect_failure(role r, const std::vector<std::byte>& bad, error expected, ws::close_code code) {
    run([&](asio::io_context& io) -> asio::awaitable<void> {
        auto [a, b] = make_pair(io);
        stream_options o;
        o.max_message_size = 1000;
        o.close_timeout = 200ms;
        ws_stream s(std::move(a), r, o);
        co_await write_raw(b, bad);
        std::string m;
        auto result = co_await s.co_read(m);
        EXPECT_FALSE(result);
        if (!result) {
            EXPECT_EQ(result.error(), expected) << result.error().message();
        }
        auto close = co_await read_wire_frame(b);
        EXPECT_TRUE(close);
        if (close) {
            EXPECT_EQ(close->header.op, opcode::close);
            EXPECT_GE(close->payload.size(), 2u);
            if (close->payload.size() >= 2) {
                EXPECT_EQ((static_cast<unsigned char>(close->payload[0]) << 8) | static_cast<unsigned char>(close->payload[1]),
                      static_cast<int>(code));
            }
        }
        EXPECT_TRUE(co_await at_eof(b));
        EXPECT_FALSE(s.is_open());
        // Later reads report the same failure.
        auto again = co_await s.co_read(m);
        EXPECT_EQ(again.error(), expected);
    });
}

} // namespace

TEST(stream, protocol_errors_fail_the_connection_with_the_right_code) {
    expect_failure(role::server, wire_frame(opcode::text, true, "unmasked"), error::missing_mask, ws::close_code::protocol_error);
    expect_failure(role::client, wire_frame(opcode::text, true, "masked", 7), error::unexpected_mask, ws::close_code::protocol_error);
    expect_failure(role::client, {std::byte{0x83}, std::byte{0x00}}, error::bad_opcode, ws::close_code::protocol_error);
    expect_failure(role::client, wire_frame(opcode::text, true, "x", {}, true), error::bad_reserved_bits,
                   ws::close_code::protocol_error);
    expect_failure(role::client, wire_frame(opcode::continuation, true, "x"), error::unexpected_continuation,
                   ws::close_code::protocol_error);
    expect_failure(role::client, wire_frame(opcode::text, true, "ok \xff"), error::bad_utf8, ws::close_code::invalid_payload);
    expect_failure(role::client, wire_frame(opcode::binary, true, std::string(1001, 'x')), error::message_too_big,
                   ws::close_code::message_too_big);
    expect_failure(role::client, wire_frame(opcode::close, true, "\x03"), error::bad_close_payload,
                   ws::close_code::protocol_error);
}

TEST(stream, invalid_utf8_fails_before_the_rest_of_the_message_arrives) {
    run([&](asio::io_context& io) -> asio::awaitable<void> {
        auto [a, b] = make_pair(io);
        stream_options o;
        o.close_timeout = 100ms;  // the raw peer never closes: do not wait long for it
        ws_stream client(std::move(a), role::client, o);
        // A long fragmented text: the bad byte is in the second fragment; the rest never comes.
        co_await write_raw(b, wire_frame(opcode::text, false, "valid start "));
        co_await write_raw(b, wire_frame(opcode::continuation, false, "then \xc0\xaf bad"));
        std::string m;
        auto r = co_await client.co_read(m);
        EXPECT_EQ(r.error(), error::bad_utf8);
        auto close = co_await read_wire_frame(b);
        EXPECT_EQ(close->header.op, opcode::close);
        EXPECT_EQ(close->payload.substr(0, 2), "\x03\xef");  // 1007
    });
}

TEST(stream, close_from_the_peer_is_echoed_and_reported) {
    for (role r : {role::server, role::client}) {
        run([&](asio::io_context& io) -> asio::awaitable<void> {
            auto [a, b] = make_pair(io);
            stream_options o;
            o.close_timeout = 300ms;
            ws_stream s(std::move(a), r, o);
            const std::optional<std::uint32_t> key = r == role::server ? std::optional<std::uint32_t>(9) : std::nullopt;
            co_await write_raw(b, wire_frame(opcode::close, true, "\x0f\xa0going", key));  // 4000 "going"
            std::string m;
            auto result = co_await s.co_read(m);
            EXPECT_EQ(result.error(), error::closed);
            EXPECT_TRUE(result.error() == condition::connection_ended);
            EXPECT_EQ(s.peer_close_code(), static_cast<ws::close_code>(4000));
            EXPECT_EQ(s.peer_close_reason(), "going");
            auto echo = co_await read_wire_frame(b);
            EXPECT_EQ(echo->header.op, opcode::close);
            EXPECT_EQ(echo->payload, "\x0f\xa0");
            EXPECT_EQ(echo->header.masked, r == role::client);
            // A server closes TCP at once; a client waited for us first, then closed (timeout).
            EXPECT_TRUE(co_await at_eof(b));
            // Nothing can be sent any more.
            EXPECT_EQ(co_await s.co_write_text("late"), error::closed);
        });
    }
}

TEST(stream, empty_close_is_answered_with_an_empty_close) {
    run([&](asio::io_context& io) -> asio::awaitable<void> {
        auto [a, b] = make_pair(io);
        stream_options o;
        o.close_timeout = 100ms;  // the raw peer never closes its side: do not linger long
        ws_stream s(std::move(a), role::server, o);
        co_await write_raw(b, wire_frame(opcode::close, true, "", 5));
        std::string m;
        auto r = co_await s.co_read(m);
        EXPECT_EQ(r.error(), error::closed);
        EXPECT_EQ(s.peer_close_code(), ws::close_code::no_status);
        auto echo = co_await read_wire_frame(b);
        EXPECT_EQ(echo->header.op, opcode::close);
        EXPECT_EQ(echo->payload, "");
    });
}

TEST(stream, burrow_to_burrow_echo_and_close_handshake) {
    run([&](asio::io_context& io) -> asio::awaitable<void> {
        auto [a, b] = make_pair(io);
        stream_options small_frames;
        small_frames.max_frame_size = 1000;
        small_frames.write_buffer_size = 4096;
        auto client = std::make_shared<ws_stream>(std::move(a), role::client, small_frames);
        auto server = std::make_shared<ws_stream>(std::move(b), role::server);
        asio::co_spawn(io, [server]() -> asio::awaitable<void> {
            std::vector<std::byte> m;
            for (;;) {
                auto info = co_await server->co_read(m);
                if (!info)
                    co_return;
                co_await server->co_write(m, info->type);
            }
        }, asio::detached);
        std::vector<std::byte> back;
        for (std::size_t size : {0u, 1u, 125u, 126u, 127u, 65535u, 65536u, 65537u, 1u << 20}) {
            std::vector<std::byte> payload(size);
            for (std::size_t i = 0; i < size; ++i)
                payload[i] = std::byte(i * 31 + 7);
            EXPECT_FALSE(co_await client->co_write(payload, opcode::binary));
            auto info = co_await client->co_read(back);
            EXPECT_TRUE(info);
            EXPECT_EQ(info->type, opcode::binary);
            EXPECT_TRUE(back == payload) << size;
        }
        EXPECT_FALSE(co_await client->co_write_text("\xf0\x9f\x98\x80 text"));
        auto info = co_await client->co_read(back);
        EXPECT_EQ(info->type, opcode::text);
        // The client starts the close handshake; the server echoes and closes first.
        EXPECT_FALSE(co_await client->co_close(ws::close_code::going_away, "bye"));
        EXPECT_FALSE(client->is_open());
        EXPECT_EQ(client->peer_close_code(), ws::close_code::going_away);
        EXPECT_EQ(server->peer_close_code(), ws::close_code::going_away);
        EXPECT_EQ(server->peer_close_reason(), "bye");
    });
}

TEST(stream, full_duplex_read_and_write_at_once) {
    run([&](asio::io_context& io) -> asio::awaitable<void> {
        using namespace asio::experimental::awaitable_operators;
        auto [a, b] = make_pair(io);
        ws_stream client(std::move(a), role::client);
        ws_stream server(std::move(b), role::server);
        const std::size_t count = 200;
        auto writer = [&](ws_stream& s, std::string tag) -> asio::awaitable<void> {
            for (std::size_t i = 0; i < count; ++i)
                EXPECT_FALSE(co_await s.co_write_text(tag + std::to_string(i) + std::string(2000, '.')));
        };
        auto reader = [&](ws_stream& s, std::string tag) -> asio::awaitable<void> {
            std::string m;
            for (std::size_t i = 0; i < count; ++i) {
                auto r = co_await s.co_read(m);
                EXPECT_TRUE(r);
                EXPECT_EQ(m.substr(0, tag.size() + std::to_string(i).size()), tag + std::to_string(i));
            }
        };
        // Both sides write and read at the same time; and the client pings in the middle.
        co_await (writer(client, "c") && reader(server, "c") && writer(server, "s") && reader(client, "s") &&
                  [&]() -> asio::awaitable<void> { co_await client.co_ping(bytes_of("mid")); }());
    });
}

TEST(stream, a_second_concurrent_read_is_refused) {
    run([&](asio::io_context& io) -> asio::awaitable<void> {
        using namespace asio::experimental::awaitable_operators;
        auto [a, b] = make_pair(io);
        ws_stream s(std::move(a), role::client);
        auto first = [&]() -> asio::awaitable<void> {
            auto r = co_await s.co_read_frame();
            EXPECT_TRUE(r);
        };
        auto second = [&]() -> asio::awaitable<void> {
            auto r = co_await s.co_read_frame();
            EXPECT_EQ(r.error(), error::operation_in_progress);
            co_await write_raw(b, wire_frame(opcode::text, true, "x"));
        };
        co_await (first() && second());
    });
}

TEST(stream, control_frames_that_cannot_be_sent) {
    run([&](asio::io_context& io) -> asio::awaitable<void> {
        auto [a, b] = make_pair(io);
        ws_stream s(std::move(a), role::client);
        const std::string big(126, 'x');
        EXPECT_EQ(co_await s.co_ping(bytes_of(big)), error::bad_write);
        EXPECT_EQ(co_await s.co_write_frame(bytes_of("x"), opcode::ping, true), error::bad_write);
        EXPECT_EQ(co_await s.co_write(bytes_of("x"), opcode::close), error::bad_write);
        EXPECT_FALSE(co_await s.co_ping(bytes_of(std::string(125, 'x'))));
    });
}

TEST(stream, co_read_into_a_small_buffer) {
    run([&](asio::io_context& io) -> asio::awaitable<void> {
        auto [a, b] = make_pair(io);
        ws_stream s(std::move(a), role::client);
        co_await write_raw(b, wire_frame(opcode::binary, true, "0123456789"));
        co_await write_raw(b, wire_frame(opcode::binary, true, "ok"));
        std::array<std::byte, 4> small{};
        auto r = co_await s.co_read(small);
        EXPECT_EQ(r.error(), error::message_too_big_for_buffer);
        r = co_await s.co_read(small);  // the stream stays usable
        EXPECT_TRUE(r);
        EXPECT_EQ(r->size, 2u);
        EXPECT_EQ(as_string(std::span(small).first(2)), "ok");
    });
}

TEST(stream, keepalive_ping_and_pong_timeout) {
    run([&](asio::io_context& io) -> asio::awaitable<void> {
        auto [a, b] = make_pair(io);
        stream_options o;
        o.ping_interval = 100ms;
        o.pong_timeout = 200ms;
        o.close_timeout = 100ms;
        ws_stream s(std::move(a), role::client, o);
        const auto start = std::chrono::steady_clock::now();
        std::string m;
        auto read = [&]() -> asio::awaitable<void> {
            auto r = co_await s.co_read(m);
            EXPECT_EQ(r.error(), error::ping_timeout);
        };
        auto silent_peer = [&]() -> asio::awaitable<void> {
            auto ping = co_await read_wire_frame(b);  // the keepalive ping arrives, and is ignored
            EXPECT_TRUE(ping);
            EXPECT_EQ(ping->header.op, opcode::ping);
            auto close = co_await read_wire_frame(b);  // then the failure: Close 1001
            EXPECT_EQ(close->header.op, opcode::close);
            EXPECT_EQ(close->payload.substr(0, 2), "\x03\xe9");
        };
        using namespace asio::experimental::awaitable_operators;
        co_await (read() && silent_peer());
        const auto took = std::chrono::steady_clock::now() - start;
        EXPECT_GE(took, 280ms);
        EXPECT_LT(took, 3s);
    });
}

TEST(stream, keepalive_is_satisfied_by_a_pong) {
    run([&](asio::io_context& io) -> asio::awaitable<void> {
        auto [a, b] = make_pair(io);
        stream_options o;
        o.ping_interval = 50ms;
        o.pong_timeout = 100ms;
        ws_stream s(std::move(a), role::client, o);
        auto responsive_peer = [&]() -> asio::awaitable<void> {
            for (int i = 0; i < 3; ++i) {
                auto ping = co_await read_wire_frame(b);
                EXPECT_EQ(ping->header.op, opcode::ping);
                co_await write_raw(b, wire_frame(opcode::pong, true, ping->payload));
            }
            co_await write_raw(b, wire_frame(opcode::text, true, "still here"));
        };
        auto read = [&]() -> asio::awaitable<void> {
            std::string m;
            auto r = co_await s.co_read(m);
            EXPECT_TRUE(r) << r.error().message();
            EXPECT_EQ(m, "still here");
        };
        using namespace asio::experimental::awaitable_operators;
        co_await (read() && responsive_peer());
    });
}

TEST(stream, pings_and_pongs_are_passed_up_when_asked) {
    run([&](asio::io_context& io) -> asio::awaitable<void> {
        auto [a, b] = make_pair(io);
        stream_options o;
        std::vector<std::string> seen;
        o.on_control = [&](opcode op, std::span<const std::byte> payload) {
            seen.push_back((op == opcode::ping ? "ping:" : "pong:") + as_string(payload));
        };
        ws_stream s(std::move(a), role::client, o);
        co_await write_raw(b, wire_frame(opcode::pong, true, "rtt-1"));
        co_await write_raw(b, wire_frame(opcode::ping, true, "hb"));
        co_await write_raw(b, wire_frame(opcode::text, true, "data"));
        std::string m;
        EXPECT_TRUE(co_await s.co_read(m));
        EXPECT_EQ(seen, (std::vector<std::string>{"pong:rtt-1", "ping:hb"}));
        auto pong = co_await read_wire_frame(b);  // still answered
        EXPECT_EQ(pong->header.op, opcode::pong);
        EXPECT_EQ(pong->payload, "hb");
    });
}

TEST(stream, idle_timeout) {
    run([&](asio::io_context& io) -> asio::awaitable<void> {
        auto [a, b] = make_pair(io);
        stream_options o;
        o.idle_timeout = 150ms;
        o.close_timeout = 50ms;
        ws_stream s(std::move(a), role::server, o);
        std::string m;
        auto r = co_await s.co_read(m);
        EXPECT_EQ(r.error(), error::idle_timeout);
    });
}

TEST(stream, connection_lost_without_close) {
    run([&](asio::io_context& io) -> asio::awaitable<void> {
        auto [a, b] = make_pair(io);
        ws_stream s(std::move(a), role::client);
        co_await write_raw(b, wire_frame(opcode::text, false, "half a message"));
        b.close();
        std::string m;
        auto r = co_await s.co_read(m);
        EXPECT_EQ(r.error(), error::connection_lost);
    });
}

// --- regressions from review: the write gate, the close paths, keepalive error mapping ---

TEST(stream, a_ping_goes_out_between_the_fragments_of_a_long_write) {
    run([&](asio::io_context& io) -> asio::awaitable<void> {
        using namespace asio::experimental::awaitable_operators;
        auto [a, b] = make_pair(io);
        stream_options o;
        o.max_frame_size = 1024;
        ws_stream s(std::move(a), role::server, o);
        const std::vector<std::byte> big(4 << 20, std::byte{'x'});
        std::size_t ping_index = 0, frames = 0;
        auto peer = [&]() -> asio::awaitable<void> {
            for (;;) {
                auto f = co_await read_wire_frame(b);
                if (!f)
                    co_return;
                ++frames;
                if (f->header.op == opcode::ping)
                    ping_index = frames;
                if (f->header.op == opcode::continuation && f->header.fin)
                    co_return;
            }
        };
        auto ping_soon = [&]() -> asio::awaitable<void> {
            asio::steady_timer t(io, 5ms);
            co_await t.async_wait(asio::as_tuple(asio::use_awaitable));
            EXPECT_FALSE(co_await s.co_ping());
        };
        co_await (s.co_write(big, opcode::binary) && ping_soon() && peer());
        EXPECT_GT(ping_index, 0u);
        EXPECT_LT(ping_index, frames) << "the ping waited for the whole message";
    });
}

TEST(stream, peer_closing_tcp_with_keepalive_on_is_connection_lost) {
    run([&](asio::io_context& io) -> asio::awaitable<void> {
        auto [a, b] = make_pair(io);
        stream_options o;
        o.ping_interval = 10s;
        ws_stream s(std::move(a), role::client, o);
        b.close();
        std::string m;
        auto r = co_await s.co_read(m);
        EXPECT_EQ(r.error(), error::connection_lost);
        EXPECT_FALSE(s.is_open());
        EXPECT_EQ((co_await s.co_read(m)).error(), error::connection_lost);
    });
}

TEST(stream, an_outstanding_read_after_co_close_is_bounded) {
    for (bool keepalive : {false, true}) {
        SCOPED_TRACE(keepalive);
        run([&](asio::io_context& io) -> asio::awaitable<void> {
            using namespace asio::experimental::awaitable_operators;
            auto [a, b] = make_pair(io);
            stream_options o;
            o.close_timeout = 200ms;
            if (keepalive)
                o.ping_interval = 50ms;
            ws_stream s(std::move(a), role::client, o);
            const auto start = std::chrono::steady_clock::now();
            auto reader = [&]() -> asio::awaitable<void> {
                std::string m;
                auto r = co_await s.co_read(m);
                EXPECT_EQ(r.error(), error::close_timeout) << r.error().message();
            };
            auto closer = [&]() -> asio::awaitable<void> {
                asio::steady_timer t(io, 20ms);
                co_await t.async_wait(asio::as_tuple(asio::use_awaitable));
                EXPECT_EQ(co_await s.co_close(), error::close_timeout);  // the peer never answered
            };
            co_await (reader() && closer());  // the peer never answers
            EXPECT_LT(std::chrono::steady_clock::now() - start, 3s);
            EXPECT_FALSE(s.is_open());
            EXPECT_EQ(s.peer_close_code(), ws::close_code::no_status);
        });
    }
}

TEST(stream, co_close_is_bounded_when_a_write_is_stuck) {
    run([&](asio::io_context& io) -> asio::awaitable<void> {
        using namespace asio::experimental::awaitable_operators;
        auto [a, b] = make_pair(io);
        stream_options o;
        o.close_timeout = 200ms;
        ws_stream s(std::move(a), role::server, o);
        const std::vector<std::byte> big(16 << 20, std::byte{'x'});
        auto writer = [&]() -> asio::awaitable<void> {
            auto ec = co_await s.co_write(big, opcode::binary);  // the peer never reads: stuck
            EXPECT_TRUE(ec);
        };
        const auto start = std::chrono::steady_clock::now();
        auto closer = [&]() -> asio::awaitable<void> {
            asio::steady_timer t(io, 20ms);
            co_await t.async_wait(asio::as_tuple(asio::use_awaitable));
            EXPECT_EQ(co_await s.co_close(), error::close_timeout);
        };
        co_await (writer() && closer());
        EXPECT_LT(std::chrono::steady_clock::now() - start, 3s);
        EXPECT_FALSE(s.is_open());
    });
}

TEST(stream, co_close_after_the_peer_closed_is_a_success) {
    run([&](asio::io_context& io) -> asio::awaitable<void> {
        auto [a, b] = make_pair(io);
        stream_options o;
        o.close_timeout = 100ms;
        ws_stream s(std::move(a), role::server, o);
        co_await write_raw(b, wire_frame(opcode::close, true, "\x03\xe8", 3));
        std::string m;
        EXPECT_EQ((co_await s.co_read(m)).error(), error::closed);
        EXPECT_FALSE(co_await s.co_close());
    });
}

namespace {

// A payload whose every byte depends on its position (so a piece in the wrong place shows).
std::string patterned(std::size_t size, char salt) {
    std::string s(size, '\0');
    for (std::size_t i = 0; i < size; ++i)
        s[i] = static_cast<char>('a' + (i * 7 + static_cast<std::size_t>(salt)) % 26);
    return s;
}

// Reads frames from the raw peer until `expected` pongs (the answers to its pings) arrived.
asio::awaitable<void> read_pongs(local_socket& peer, std::size_t expected, std::size_t& pongs) {
    while (pongs < expected) {
        auto f = co_await read_wire_frame(peer);
        if (!f)
            co_return;
        EXPECT_EQ(f->header.op, opcode::pong);
        ++pongs;
    }
}

// co_read of each kind: into a vector, a string or a fixed buffer, each reused across messages.
struct whole_message_reads {
    std::vector<std::byte> as_vector;
    std::string as_text;
    std::vector<std::byte> fixed = std::vector<std::byte>(400'000);

    // The next message through co_read into the vector (how == 0), the string (1) or the fixed
    // buffer (2); nullopt when the read failed.
    asio::awaitable<std::optional<std::string>> read(ws_stream& s, std::size_t how) {
        if (how == 0) {
            auto r = co_await s.co_read(as_vector);
            co_return r ? std::optional(as_string(as_vector)) : std::nullopt;
        }
        if (how == 1) {
            auto r = co_await s.co_read(as_text);
            co_return r ? std::optional(as_text) : std::nullopt;
        }
        auto r = co_await s.co_read(std::span(fixed));
        co_return r ? std::optional(as_string(std::span(fixed).first(r->size))) : std::nullopt;
    }
};

} // namespace

TEST(stream, a_large_payload_that_has_not_arrived_is_received_straight_into_the_room) {
    run([&](asio::io_context& io) -> asio::awaitable<void> {
        using namespace asio::experimental::awaitable_operators;
        auto [a, b] = make_pair(io);
        ws_stream server(std::move(a), role::server);
        const std::string payload = patterned(100'000, 3);
        const auto frame = wire_frame(opcode::binary, true, payload, 0x0badf00d);
        const std::size_t head = frame.size() - payload.size();
        // The header and 100 bytes first: they are read into the stream's buffer as usual.
        co_await write_raw(b, std::vector<std::byte>(frame.begin(), frame.begin() + static_cast<std::ptrdiff_t>(head + 100)));
        std::vector<std::byte> room(payload.size());
        auto first = co_await server.co_read_frame(room);
        EXPECT_TRUE(first);
        if (!first)
            co_return;
        EXPECT_EQ(as_string(first->payload), payload.substr(0, 100));
        EXPECT_NE(first->payload.data(), room.data());
        EXPECT_EQ(server.payload_remaining(), payload.size() - 100);
        std::memcpy(room.data(), first->payload.data(), 100);
        // The rest arrives while the stream waits: every piece lands in the room, unmasked there.
        std::size_t filled = 100;
        std::size_t in_place = 0;
        auto reads = [&]() -> asio::awaitable<void> {
            for (;;) {
                const auto offered = std::span(room).subspan(filled);
                auto piece = co_await server.co_read_frame(offered);
                EXPECT_TRUE(piece);
                if (!piece)
                    co_return;
                EXPECT_EQ(piece->payload.data(), offered.data());
                in_place += piece->payload.data() == offered.data() ? 1 : 0;
                filled += piece->payload.size();
                if (piece->message_end)
                    co_return;
            }
        };
        const std::vector<std::byte> rest(frame.begin() + static_cast<std::ptrdiff_t>(head + 100), frame.end());
        co_await (reads() && write_raw(b, rest, 7000));
        EXPECT_GE(in_place, 1u);
        EXPECT_EQ(filled, payload.size());
        EXPECT_EQ(as_string(room), payload);
        EXPECT_EQ(server.payload_remaining(), 0u);
    });
}

TEST(stream, invalid_utf8_received_into_the_room_fails_the_connection) {
    run([&](asio::io_context& io) -> asio::awaitable<void> {
        using namespace asio::experimental::awaitable_operators;
        auto [a, b] = make_pair(io);
        stream_options o;
        o.close_timeout = 100ms;  // the raw peer never closes: do not wait long for it
        ws_stream server(std::move(a), role::server, o);
        std::string text(20'000, 'a');
        text[15'000] = '\xff';
        const auto frame = wire_frame(opcode::text, true, text, 0x01020304);
        const std::size_t head = frame.size() - text.size();
        co_await write_raw(b, std::vector<std::byte>(frame.begin(), frame.begin() + static_cast<std::ptrdiff_t>(head + 10)));
        std::vector<std::byte> room(text.size());
        auto first = co_await server.co_read_frame(room);
        EXPECT_TRUE(first);
        // Valid text up to byte 12,000 first: it is received into the room.
        const auto at = [&](std::size_t payload_offset) { return frame.begin() + static_cast<std::ptrdiff_t>(head + payload_offset); };
        co_await write_raw(b, std::vector<std::byte>(at(10), at(12'000)));
        std::size_t filled = 10;
        while (filled < 12'000) {
            const auto offered = std::span(room).subspan(filled);
            auto piece = co_await server.co_read_frame(offered);
            EXPECT_TRUE(piece);
            if (!piece)
                co_return;
            EXPECT_EQ(piece->payload.data(), offered.data());
            filled += piece->payload.size();
        }
        // Then the rest, with the bad byte: the read into the room fails the connection.
        co_await write_raw(b, std::vector<std::byte>(at(12'000), frame.end()));
        auto failed = co_await server.co_read_frame(std::span(room).subspan(filled));
        const boost::system::error_code failure = failed ? boost::system::error_code{} : failed.error();
        EXPECT_EQ(failure, error::bad_utf8);
        auto close = co_await read_wire_frame(b);
        EXPECT_TRUE(close);
        if (close) {
            EXPECT_EQ(close->header.op, opcode::close);
            EXPECT_EQ(close->payload.substr(0, 2), "\x03\xef");  // 1007
        }
    });
}

TEST(stream, steady_large_messages_into_a_vector_a_string_and_a_fixed_buffer) {
    // Sizes around the direct-read threshold and the read buffer, fragmented ones with a ping
    // between the fragments, growing and shrinking, so the kept room is both too small and too big.
    run([&](asio::io_context& io) -> asio::awaitable<void> {
        using namespace asio::experimental::awaitable_operators;
        auto [a, b] = make_pair(io);
        stream_options o;
        o.read_buffer_size = 16 * 1024;
        ws_stream server(std::move(a), role::server, o);
        const std::vector<std::size_t> sizes{70'000, 65'536, 200'000, 4'100, 10, 4'095, 70'000, 0, 300'000, 5'000};
        std::vector<std::string> sent;
        std::vector<std::byte> wire;
        for (std::size_t i = 0; i < sizes.size(); ++i) {
            sent.push_back(patterned(sizes[i], static_cast<char>(i)));
            const std::string& p = sent.back();
            if (i % 3 == 2 && p.size() > 2) {  // three fragments, a ping after the first
                const std::size_t third = p.size() / 3;
                for (auto& f : {wire_frame(opcode::text, false, std::string_view(p).substr(0, third), 0x11111111u + i),
                                wire_frame(opcode::ping, true, "between", 0x22222222u),
                                wire_frame(opcode::continuation, false, std::string_view(p).substr(third, third), 0x33333333u),
                                wire_frame(opcode::continuation, true, std::string_view(p).substr(2 * third), 0x44444444u)})
                    wire.insert(wire.end(), f.begin(), f.end());
            } else {
                const auto f = wire_frame(i % 2 ? opcode::binary : opcode::text, true, p, 0x5a5a5a5au + i);
                wire.insert(wire.end(), f.begin(), f.end());
            }
        }
        std::size_t pongs = 0;
        auto reads = [&]() -> asio::awaitable<void> {
            whole_message_reads readers;
            for (std::size_t i = 0; i < sizes.size(); ++i) {
                SCOPED_TRACE(i);
                auto got = co_await readers.read(server, i % 3);
                EXPECT_TRUE(got);
                EXPECT_EQ(got.value_or("").size(), sent[i].size());
                EXPECT_TRUE(got.value_or("") == sent[i]);
            }
        };
        co_await (reads() && write_raw(b, wire, 9000) && read_pongs(b, 3, pongs));
        EXPECT_EQ(pongs, 3u);
    });
}

TEST(stream, after_a_large_frame_the_next_ones_payload_is_read_into_the_room_with_its_header) {
    // Once large frames come, the read for the next header is a scatter read: the header into the
    // stream's buffer, the payload behind it straight into the room, so even the first piece of
    // the next large message is in place. Then a small message and a ping still parse.
    run([&](asio::io_context& io) -> asio::awaitable<void> {
        auto [a, b] = make_pair(io);
        ws_stream server(std::move(a), role::server);
        const std::string first = patterned(100'000, 1), second = patterned(90'000, 2);
        co_await write_raw(b, wire_frame(opcode::binary, true, first, 0x01010101));
        std::vector<std::byte> message;
        auto r = co_await server.co_read(message);
        EXPECT_TRUE(r);
        EXPECT_EQ(as_string(message), first);
        co_await write_raw(b, wire_frame(opcode::binary, true, second, 0x02020202));
        std::vector<std::byte> room(second.size());
        auto piece = co_await server.co_read_frame(room);
        EXPECT_TRUE(piece);
        if (!piece)
            co_return;
        EXPECT_TRUE(piece->message_start);
        EXPECT_EQ(piece->payload.data(), room.data());
        std::size_t filled = piece->payload.size();
        while (filled < second.size()) {
            piece = co_await server.co_read_frame(std::span(room).subspan(filled));
            EXPECT_TRUE(piece);
            if (!piece)
                co_return;
            filled += piece->payload.size();
        }
        EXPECT_EQ(as_string(room), second);
        // A ping and a small message after large ones (headers of other sizes than predicted).
        auto tail = wire_frame(opcode::ping, true, "p", 0x03030303);
        const auto small = wire_frame(opcode::text, true, "small", 0x04040404);
        tail.insert(tail.end(), small.begin(), small.end());
        co_await write_raw(b, tail);
        r = co_await server.co_read(message);
        EXPECT_TRUE(r);
        EXPECT_EQ(as_string(message), "small");
        auto pong = co_await read_wire_frame(b);
        EXPECT_TRUE(pong && pong->header.op == opcode::pong);
    });
}

TEST(stream, random_message_streams_arrive_intact_whatever_the_reads_and_rooms) {
    // Random messages (empty to 200 KB, in up to three fragments, pings between them), written in
    // random pieces, read with every reading call in turn: co_read into a vector, a string and a
    // fixed buffer, co_read_frame_if_ready and co_read_frame with rooms of random sizes (none,
    // smaller than a frame, larger), on blocking and non-blocking sockets. Both roles, several read buffer sizes. Whatever path a byte takes (the read
    // buffer, straight into a room, a scatter read past a predicted header), every message must
    // come out as it was sent.
    for (unsigned seed = 1; seed <= 200; ++seed) {
        SCOPED_TRACE(seed);
        std::mt19937 rng(seed);
        auto pick = [&](std::size_t lo, std::size_t hi) { return std::uniform_int_distribution<std::size_t>(lo, hi)(rng); };
        const role receiver = seed % 2 ? role::server : role::client;
        const std::size_t buffer_sizes[] = {ws::min_buffer_size, 1000, 16 * 1024, 64 * 1024};
        stream_options o;
        o.read_buffer_size = buffer_sizes[seed % 4];
        std::vector<std::string> sent;
        std::vector<std::byte> wire;
        std::size_t pings = 0;
        auto add = [&](opcode op, bool fin, std::string_view p) {
            const auto f = receiver == role::server ? wire_frame(op, fin, p, static_cast<std::uint32_t>(rng()))
                                                    : wire_frame(op, fin, p);
            wire.insert(wire.end(), f.begin(), f.end());
        };
        for (int m = 0; m < 30; ++m) {
            const std::size_t size_class = pick(0, 4);
            const std::size_t size = size_class == 0   ? 0
                                     : size_class == 1 ? pick(1, 200)
                                     : size_class == 2 ? pick(4000, 4200)
                                     : size_class == 3 ? pick(60'000, 70'000)
                                                       : pick(100'000, 200'000);
            sent.push_back(patterned(size, static_cast<char>(m)));
            const std::string_view p = sent.back();
            const std::size_t fragments = size < 3 ? 1 : pick(1, 3);
            std::size_t at = 0;
            for (std::size_t f = 0; f < fragments; ++f) {
                const std::size_t end = f + 1 == fragments ? size : pick(at, size);
                add(f == 0 ? (m % 2 ? opcode::binary : opcode::text) : opcode::continuation, f + 1 == fragments,
                    p.substr(at, end - at));
                at = end;
                if (pick(0, 3) == 0 && (m + 1 < 30 || f + 1 < fragments)) {  // read before the last message ends
                    add(opcode::ping, true, "pi");
                    ++pings;
                }
            }
        }
        run([&](asio::io_context& io) -> asio::awaitable<void> {
            using namespace asio::experimental::awaitable_operators;
            auto [a, b] = make_pair(io);
            if (seed % 3 == 0)
                a.non_blocking(true);  // reads are tried at once (parked_server's sockets)
            ws_stream reader(std::move(a), receiver, o);
            std::size_t pongs = 0;
            auto reads = [&]() -> asio::awaitable<void> {
                whole_message_reads readers;
                for (std::size_t i = 0; i < sent.size(); ++i) {
                    SCOPED_TRACE(i);
                    std::string got;
                    bool ok = true;
                    switch (i % 5) {
                    case 0:
                    case 1:
                    case 2: {
                        auto whole = co_await readers.read(reader, i % 5);
                        ok = whole.has_value();
                        got = whole.value_or("");
                        break;
                    }
                    case 3:
                        // As parked_server reads: never waiting inside the stream; on would_block
                        // the caller waits for readability itself and says so.
                        for (;;) {
                            const std::size_t room_sizes[] = {0, 100, 4096, 70'000, 300'000};
                            std::vector<std::byte> room(room_sizes[pick(0, 4)]);
                            auto piece = co_await reader.co_read_frame_if_ready(room);
                            if (!piece && piece.error() == asio::error::would_block) {
                                co_await reader.next_layer().async_wait(local_socket::wait_read, asio::use_awaitable);
                                reader.note_readable();
                                continue;
                            }
                            ok = static_cast<bool>(piece);
                            if (!piece)
                                break;
                            got += as_string(piece->payload);
                            if (piece->message_end)
                                break;
                        }
                        break;
                    default:
                        for (;;) {
                            const std::size_t room_sizes[] = {0, 100, 4095, 4096, 70'000, 300'000};
                            std::vector<std::byte> room(room_sizes[pick(0, 5)]);
                            auto piece = co_await reader.co_read_frame(room);
                            ok = static_cast<bool>(piece);
                            if (!piece)
                                break;
                            got += as_string(piece->payload);
                            if (piece->message_end)
                                break;
                        }
                    }
                    EXPECT_TRUE(ok);
                    if (!ok)
                        co_return;
                    EXPECT_EQ(got.size(), sent[i].size());
                    EXPECT_TRUE(got == sent[i]);
                }
            };
            co_await (reads() && write_raw(b, wire, pick(1000, 70'000)) && read_pongs(b, pings, pongs));
            EXPECT_EQ(pongs, pings);
        });
    }
}

TEST(stream, a_close_started_during_a_scatter_read_loses_no_payload) {
    // After a large frame the next read is a scatter read into the caller's room. co_close from
    // another coroutine while it waits must not drop what that read put in the room: the peer's
    // next large message and its Close still arrive in order, and the close handshake completes.
    run([&](asio::io_context& io) -> asio::awaitable<void> {
        using namespace asio::experimental::awaitable_operators;
        auto [a, b] = make_pair(io);
        ws_stream server(std::move(a), role::server);
        const std::string first = patterned(100'000, 1), second = patterned(70'000, 2);
        co_await write_raw(b, wire_frame(opcode::binary, true, first, 0x01010101));
        std::vector<std::byte> message;
        auto r = co_await server.co_read(message);
        EXPECT_TRUE(r);
        std::vector<std::string> received;
        boost::system::error_code read_end, close_result;
        auto reader = [&]() -> asio::awaitable<void> {
            for (;;) {
                auto m = co_await server.co_read(message);
                if (!m) {
                    read_end = m.error();
                    co_return;
                }
                received.push_back(as_string(message));
            }
        };
        auto closer = [&]() -> asio::awaitable<void> {
            asio::steady_timer t(io, 20ms);
            co_await t.async_wait(asio::use_awaitable);
            close_result = co_await server.co_close();
        };
        auto peer = [&]() -> asio::awaitable<void> {
            auto ours = co_await read_wire_frame(b);
            EXPECT_TRUE(ours && ours->header.op == opcode::close);
            co_await write_raw(b, wire_frame(opcode::binary, true, second, 0x02020202));
            asio::steady_timer t(io, 20ms);
            co_await t.async_wait(asio::use_awaitable);
            co_await write_raw(b, wire_frame(opcode::close, true, std::string("\x03\xe8", 2), 0x03030303));
            boost::system::error_code ignored;
            b.shutdown(asio::socket_base::shutdown_send, ignored);  // as a client does after the Close
        };
        co_await (reader() && closer() && peer());
        EXPECT_FALSE(close_result) << close_result.message();
        EXPECT_EQ(read_end, error::closed);
        EXPECT_LE(received.size(), 1u);  // the message may come out before the close completes
        if (received.size() == 1) {
            EXPECT_TRUE(received[0] == second);
        }
    });
}

TEST(stream, a_header_announcing_a_huge_payload_does_not_make_the_reader_allocate_it) {
    // 16 MB announced, one byte sent: co_read grows its vector as bytes arrive (doubling at
    // most), not to the announced size at once.
    run([&](asio::io_context& io) -> asio::awaitable<void> {
        using namespace asio::experimental::awaitable_operators;
        auto [a, b] = make_pair(io);
        ws_stream server(std::move(a), role::server);
        std::vector<std::byte> message;
        ws::frame_header h;
        h.op = opcode::binary;
        h.fin = true;
        h.payload_length = 16'000'000;
        h.masked = true;
        h.mask_key = 0x01020304;
        std::array<std::byte, ws::max_frame_header_size> head{};
        const std::size_t n = ws::write_frame_header(head, h);
        std::vector<std::byte> wire(head.begin(), head.begin() + static_cast<std::ptrdiff_t>(n));
        wire.push_back(std::byte{'x'});
        std::size_t capacity_while_waiting = 0;
        auto read = [&]() -> asio::awaitable<void> {
            auto r = co_await server.co_read(message);
            EXPECT_EQ(r.error(), error::connection_lost);
        };
        auto peer = [&]() -> asio::awaitable<void> {
            co_await write_raw(b, wire);
            asio::steady_timer t(io, 30ms);
            co_await t.async_wait(asio::use_awaitable);
            capacity_while_waiting = message.capacity();
            b.close();
        };
        co_await (read() && peer());
        EXPECT_GT(capacity_while_waiting, 0u);
        EXPECT_LE(capacity_while_waiting, 128u * 1024);
    });
}

TEST(stream, message_room_grows_as_bytes_arrive) {
    using burrow::detail::grown_room;
    EXPECT_EQ(grown_room(0, 0, 16'000'000), 64u * 1024);           // a header alone: 64 KiB
    EXPECT_EQ(grown_room(0, 0, 5000), 5000u);                      // all of a small payload
    EXPECT_EQ(grown_room(64 * 1024, 64 * 1024, 1u << 30), 128u * 1024);  // then double
    EXPECT_EQ(grown_room(100, 50, 70'000), 50u + 64 * 1024);
    EXPECT_EQ(grown_room(1'000'000, 1'000'000, 10), 1'000'010u);
}

// --- write batching (cork) ---

namespace {

// Bytes the peer could read right now, without waiting.
std::size_t readable_now(local_socket& s) {
    boost::system::error_code ec;
    const std::size_t n = s.available(ec);
    EXPECT_FALSE(ec);
    return n;
}

std::size_t wire_size(opcode op, std::string_view payload, bool masked) {
    return wire_frame(op, true, payload, masked ? std::optional<std::uint32_t>(1) : std::nullopt).size();
}

} // namespace

TEST(stream_cork, corked_frames_are_queued_until_a_flush_sends_them_together) {
    run([&](asio::io_context& io) -> asio::awaitable<void> {
        auto [a, b] = make_pair(io);
        ws_stream server(std::move(a), role::server);
        EXPECT_FALSE(server.corked());
        server.cork();
        EXPECT_TRUE(server.corked());
        std::size_t expected = 0;
        for (const char* text : {"one", "two", "three"}) {
            EXPECT_FALSE(co_await server.co_write_text(text));
            expected += wire_size(opcode::text, text, false);
            EXPECT_EQ(server.queued_bytes(), expected);
        }
        EXPECT_FALSE(co_await server.co_write_frame(bytes_of("frag"), opcode::binary, false));
        EXPECT_FALSE(co_await server.co_write_frame(bytes_of("ment"), opcode::continuation, true));
        EXPECT_EQ(readable_now(b), 0u);  // nothing was sent yet
        EXPECT_FALSE(co_await server.co_flush());
        EXPECT_EQ(server.queued_bytes(), 0u);
        EXPECT_TRUE(server.corked());  // a flush does not uncork
        EXPECT_EQ(readable_now(b), expected + 2 * wire_size(opcode::binary, "frag", false));
        for (const char* text : {"one", "two", "three", "frag", "ment"}) {
            auto f = co_await read_wire_frame(b);
            EXPECT_TRUE(f);
            EXPECT_EQ(f->payload, text);
            EXPECT_FALSE(f->header.masked);
        }
        EXPECT_FALSE(co_await server.co_flush());  // nothing queued: nothing to do
    });
}

TEST(stream_cork, a_clients_queued_frames_are_masked_each_with_its_own_key) {
    run([&](asio::io_context& io) -> asio::awaitable<void> {
        auto [a, b] = make_pair(io);
        ws_stream client(std::move(a), role::client);
        client.cork();
        EXPECT_FALSE(co_await client.co_write_text("first"));
        EXPECT_FALSE(co_await client.co_write(bytes_of(std::string(1000, 'x'))));
        EXPECT_EQ(client.queued_bytes(), wire_size(opcode::text, "first", true) +
                                             wire_size(opcode::binary, std::string(1000, 'x'), true));
        EXPECT_FALSE(co_await client.co_uncork());
        EXPECT_FALSE(client.corked());
        auto first = co_await read_wire_frame(b);
        auto second = co_await read_wire_frame(b);
        EXPECT_TRUE(first && second);
        EXPECT_TRUE(first->header.masked && second->header.masked);
        EXPECT_NE(first->header.mask_key, second->header.mask_key);
        EXPECT_EQ(first->payload, "first");
        EXPECT_EQ(second->payload, std::string(1000, 'x'));
        // Uncorked: the next write goes out at once.
        EXPECT_FALSE(co_await client.co_write_text("now"));
        EXPECT_EQ(client.queued_bytes(), 0u);
        EXPECT_EQ(readable_now(b), wire_size(opcode::text, "now", true));
    });
}

TEST(stream_cork, a_frame_that_does_not_fit_goes_out_behind_the_queue) {
    for (role r : {role::server, role::client}) {
        SCOPED_TRACE(r == role::server ? "server" : "client");
        run([&](asio::io_context& io) -> asio::awaitable<void> {
            using namespace asio::experimental::awaitable_operators;
            auto [a, b] = make_pair(io);
            ws_stream s(std::move(a), r);
            s.cork();
            EXPECT_FALSE(co_await s.co_write_text("small"));
            const std::string big(ws_stream::write_batch_capacity + 5000, 'B');
            std::optional<received_frame> first, second;
            auto read_two = [&]() -> asio::awaitable<void> {
                first = co_await read_wire_frame(b);
                second = co_await read_wire_frame(b);
            };
            auto write_big = [&]() -> asio::awaitable<void> {
                EXPECT_FALSE(co_await s.co_write(bytes_of(big)));
                EXPECT_EQ(s.queued_bytes(), 0u);
            };
            co_await (write_big() && read_two());
            EXPECT_TRUE(first && second);
            EXPECT_EQ(first->payload, "small");
            EXPECT_EQ(second->payload, big);
            // A frame that fits the capacity but not what is left of it flushes the queue as well.
            const std::string half(ws_stream::write_batch_capacity / 2, 'h');
            EXPECT_FALSE(co_await s.co_write(bytes_of(half)));
            EXPECT_GT(s.queued_bytes(), half.size());
            EXPECT_FALSE(co_await s.co_write(bytes_of(half)));
            EXPECT_EQ(s.queued_bytes(), 0u);
            for (int i = 0; i < 2; ++i) {
                auto f = co_await read_wire_frame(b);
                EXPECT_TRUE(f);
                EXPECT_EQ(f->payload, half);
            }
        });
    }
}

TEST(stream_cork, pings_and_the_close_are_not_queued_and_take_the_queue_along) {
    run([&](asio::io_context& io) -> asio::awaitable<void> {
        auto [a, b] = make_pair(io);
        stream_options o;
        o.close_timeout = 200ms;
        ws_stream server(std::move(a), role::server, o);
        server.cork();
        EXPECT_FALSE(co_await server.co_write_text("before ping"));
        EXPECT_FALSE(co_await server.co_ping(bytes_of("p")));
        EXPECT_EQ(server.queued_bytes(), 0u);
        auto text = co_await read_wire_frame(b);
        auto ping = co_await read_wire_frame(b);
        EXPECT_EQ(text->payload, "before ping");
        EXPECT_EQ(ping->header.op, opcode::ping);
        EXPECT_FALSE(co_await server.co_write_text("before close"));
        EXPECT_FALSE(co_await server.co_pong(bytes_of("unsolicited")));  // a pong joins the queue
        EXPECT_GT(server.queued_bytes(), 0u);
        co_await write_raw(b, wire_frame(opcode::close, true, "", 0x01020304));  // the peer's answer, ahead
        (void)co_await server.co_close();
        text = co_await read_wire_frame(b);
        auto pong = co_await read_wire_frame(b);
        auto close = co_await read_wire_frame(b);
        EXPECT_EQ(text->payload, "before close");
        EXPECT_EQ(pong->header.op, opcode::pong);
        EXPECT_EQ(close->header.op, opcode::close);
    });
}

TEST(stream_cork, a_read_that_has_to_wait_sends_the_queue_first) {
    // A corked echo server answers pipelined messages: its answers go out when it runs out of
    // received messages, so the client (which sends everything before reading) gets all of them.
    for (bool non_blocking : {false, true}) {
        SCOPED_TRACE(non_blocking);
        run([&](asio::io_context& io) -> asio::awaitable<void> {
            using namespace asio::experimental::awaitable_operators;
            auto [a, b] = make_pair(io);
            ws_stream client(std::move(a), role::client);
            ws_stream server(std::move(b), role::server);
            server.next_layer().non_blocking(true);
            if (!non_blocking)
                server.next_layer().non_blocking(false);
            server.cork();
            const int count = 50;
            std::size_t most_queued = 0;
            auto echo = [&]() -> asio::awaitable<void> {
                std::string m;
                for (int i = 0; i < count; ++i) {
                    auto info = co_await server.co_read(m);
                    EXPECT_TRUE(info);
                    if (!info)
                        co_return;
                    EXPECT_FALSE(co_await server.co_write_text(m));
                    most_queued = std::max(most_queued, server.queued_bytes());
                }
                EXPECT_FALSE(co_await server.co_flush());  // no read waits after the last one
            };
            auto talk = [&]() -> asio::awaitable<void> {
                client.cork();  // the client batches its burst too
                for (int i = 0; i < count; ++i) {
                    const std::string text = "message " + std::to_string(i);  // named: GCC 12 coroutine bug
                    EXPECT_FALSE(co_await client.co_write_text(text));
                }
                std::string m;
                for (int i = 0; i < count; ++i) {  // the first read waits: the burst goes out
                    auto info = co_await client.co_read(m);
                    EXPECT_TRUE(info);
                    EXPECT_EQ(m, "message " + std::to_string(i));
                }
            };
            co_await (echo() && talk());
            EXPECT_GT(most_queued, wire_size(opcode::text, "message 1", false));  // answers were batched
            EXPECT_EQ(server.queued_bytes(), 0u);
        });
    }
}

TEST(stream_cork, read_frame_if_ready_sends_the_queue_before_it_reports_would_block) {
    run([&](asio::io_context& io) -> asio::awaitable<void> {
        auto [a, b] = make_pair(io);
        ws_stream server(std::move(a), role::server);
        server.next_layer().non_blocking(true);
        server.cork();
        co_await write_raw(b, wire_frame(opcode::ping, true, "are you there", 0x0a0b0c0d));
        co_await write_raw(b, wire_frame(opcode::text, true, "hello", 0x01020304));
        server.note_readable();
        auto piece = co_await server.co_read_frame_if_ready();
        EXPECT_TRUE(piece);
        EXPECT_EQ(as_string(piece->payload), "hello");
        EXPECT_FALSE(co_await server.co_write_text("hello back"));
        EXPECT_GT(server.queued_bytes(), 0u);  // the pong and the answer wait in the queue
        auto none = co_await server.co_read_frame_if_ready();
        EXPECT_EQ(none.error(), asio::error::would_block);
        EXPECT_EQ(server.queued_bytes(), 0u);
        auto pong = co_await read_wire_frame(b);
        auto answer = co_await read_wire_frame(b);
        EXPECT_EQ(pong->header.op, opcode::pong);
        EXPECT_EQ(pong->payload, "are you there");
        EXPECT_EQ(answer->payload, "hello back");
    });
}

TEST(stream_cork, a_flush_to_a_peer_that_went_away_reports_the_error) {
    run([&](asio::io_context& io) -> asio::awaitable<void> {
        auto [a, b] = make_pair(io);
        ws_stream server(std::move(a), role::server);
        server.cork();
        EXPECT_FALSE(co_await server.co_write_text("lost"));
        b.close();
        const auto ec = co_await server.co_flush();
        EXPECT_TRUE(ec);
        EXPECT_FALSE(server.is_open());
        EXPECT_EQ(server.queued_bytes(), 0u);
        EXPECT_TRUE(co_await server.co_write_text("after"));  // the stream is over
        EXPECT_EQ(server.queued_bytes(), 0u);
    });
}

namespace {

asio::awaitable<void> sleep_for(std::chrono::milliseconds d) {
    asio::steady_timer t(co_await asio::this_coro::executor, d);
    co_await t.async_wait(asio::use_awaitable);
}

// A local socket whose non-blocking write_some takes at most `*limit` bytes: drives the partial
// write arithmetic (queue, header, payload) at every split point.
struct limited_socket {
    using executor_type = local_socket::executor_type;
    local_socket s;
    std::size_t* limit;
    executor_type get_executor() { return s.get_executor(); }
    bool non_blocking() const { return s.non_blocking(); }
    template <class B>
    std::size_t read_some(const B& b, boost::system::error_code& ec) { return s.read_some(b, ec); }
    template <class B>
    std::size_t write_some(const B& b, boost::system::error_code& ec) {
        std::vector<std::byte> taken(std::min(*limit, asio::buffer_size(b)));
        asio::buffer_copy(asio::buffer(taken), b);
        if (taken.empty()) {
            ec = asio::error::would_block;
            return 0;
        }
        return s.write_some(asio::buffer(taken), ec);
    }
    template <class B, class T>
    auto async_read_some(const B& b, T&& t) { return s.async_read_some(b, std::forward<T>(t)); }
    template <class B, class T>
    auto async_write_some(const B& b, T&& t) { return s.async_write_some(b, std::forward<T>(t)); }
};

} // namespace

// A socket in blocking mode (no write at once: every frame goes through async_write) that records
// how many bytes each write_some was offered.
struct offer_recording_socket {
    using executor_type = local_socket::executor_type;
    local_socket s;
    std::vector<std::size_t>* offers;
    executor_type get_executor() { return s.get_executor(); }
    bool non_blocking() const { return false; }
    template <class B>
    std::size_t read_some(const B& b, boost::system::error_code& ec) { return s.read_some(b, ec); }
    template <class B>
    std::size_t write_some(const B& b, boost::system::error_code& ec) { return s.write_some(b, ec); }
    template <class B, class T>
    auto async_read_some(const B& b, T&& t) { return s.async_read_some(b, std::forward<T>(t)); }
    template <class B, class T>
    auto async_write_some(const B& b, T&& t) {
        offers->push_back(asio::buffer_size(b));
        return s.async_write_some(b, std::forward<T>(t));
    }
};

TEST(stream_write, a_frame_larger_than_64_kib_is_offered_to_the_socket_in_one_piece) {
    // Asio's transfer_all offers at most 64 KiB per write_some: a 64 KiB payload's frame would
    // leave its last bytes for a second system call and a second TCP segment.
    for (role r : {role::server, role::client}) {
        SCOPED_TRACE(r == role::server ? "server" : "client");
        run([&](asio::io_context& io) -> asio::awaitable<void> {
            using namespace asio::experimental::awaitable_operators;
            auto [a, b] = make_pair(io);
            std::vector<std::size_t> offers;
            websocket::stream<offer_recording_socket> s(offer_recording_socket{std::move(a), &offers}, r);
            const std::string payload(64 * 1024, 'x');
            auto write = [&]() -> asio::awaitable<void> { EXPECT_FALSE(co_await s.co_write(bytes_of(payload))); };
            auto read = [&]() -> asio::awaitable<void> {
                auto f = co_await read_wire_frame(b);
                EXPECT_TRUE(f);
                if (f) {
                    EXPECT_EQ(f->payload, payload);
                }
            };
            co_await (write() && read());
            const std::size_t header = r == role::server ? 10 : 14;
            EXPECT_FALSE(offers.empty());
            if (!offers.empty()) {
                EXPECT_EQ(offers.front(), header + payload.size());  // (the socket may take less)
            }
        });
    }
}

// A socket (blocking or non-blocking mode, as its owner set it) that counts the readiness waits
// and the asynchronous reads a stream starts on it.
struct wait_counting_socket {
    using executor_type = local_socket::executor_type;
    using wait_type = local_socket::wait_type;
    static constexpr wait_type wait_read = local_socket::wait_read;
    local_socket s;
    int* waits;
    int* async_reads;
    executor_type get_executor() { return s.get_executor(); }
    bool non_blocking() const { return s.non_blocking(); }
    template <class B>
    std::size_t read_some(const B& b, boost::system::error_code& ec) { return s.read_some(b, ec); }
    template <class B>
    std::size_t write_some(const B& b, boost::system::error_code& ec) { return s.write_some(b, ec); }
    template <class T>
    auto async_wait(wait_type w, T&& t) {
        ++*waits;
        return s.async_wait(w, std::forward<T>(t));
    }
    template <class B, class T>
    auto async_read_some(const B& b, T&& t) {
        ++*async_reads;
        return s.async_read_some(b, std::forward<T>(t));
    }
    template <class B, class T>
    auto async_write_some(const B& b, T&& t) { return s.async_write_some(b, std::forward<T>(t)); }
};

TEST(stream_keep_read_buffer, the_read_itself_waits_instead_of_a_readiness_wait) {
    // Without the option an idle stream waits for readability without a buffer (Asio re-arms epoll
    // for every such wait); with it, every wait is the read itself. Messages arrive the same either
    // way: small ones, and large ones received straight into the caller's vector.
    for (bool keep : {false, true}) {
        for (bool non_blocking : {false, true}) {
            SCOPED_TRACE(std::string(keep ? "keep" : "give back") + (non_blocking ? ", non-blocking" : ", blocking"));
            run([&](asio::io_context& io) -> asio::awaitable<void> {
                using namespace asio::experimental::awaitable_operators;
                auto [a, b] = make_pair(io);
                if (non_blocking)
                    a.non_blocking(true);
                int waits = 0, async_reads = 0;
                stream_options o;
                o.keep_read_buffer = keep;
                websocket::stream<wait_counting_socket> reader(wait_counting_socket{std::move(a), &waits, &async_reads},
                                                               role::client, o);
                ws_stream writer(std::move(b), role::server);
                const std::string big(200 * 1024, 'b');
                const std::vector<std::string> messages{"one", "two", big, "three", big};
                std::vector<std::byte> got;
                for (const auto& m : messages) {
                    // The peer sends a moment after the read started, so that every read has to wait.
                    auto send_later = [&]() -> asio::awaitable<void> {
                        asio::steady_timer later(io, 5ms);
                        co_await later.async_wait(asio::use_awaitable);
                        EXPECT_FALSE(co_await writer.co_write(bytes_of(m), opcode::text));
                    };
                    auto read = [&]() -> asio::awaitable<void> {
                        auto info = co_await reader.co_read(got);
                        EXPECT_TRUE(info);
                        if (info) {
                            EXPECT_EQ(std::string(reinterpret_cast<const char*>(got.data()), info->size), m);
                        }
                    };
                    co_await (send_later() && read());
                }
                if (keep) {
                    EXPECT_EQ(waits, 0);
                    EXPECT_GE(async_reads, static_cast<int>(messages.size()));
                } else {
                    EXPECT_GE(waits, static_cast<int>(messages.size()));
                }
            });
        }
    }
}

TEST(stream_keep_read_buffer, read_frame_if_ready_still_returns_instead_of_waiting) {
    run([&](asio::io_context& io) -> asio::awaitable<void> {
        auto [a, b] = make_pair(io);
        a.non_blocking(true);
        stream_options o;
        o.keep_read_buffer = true;
        ws_stream reader(std::move(a), role::client, o);
        ws_stream writer(std::move(b), role::server);
        auto none = co_await reader.co_read_frame_if_ready();
        EXPECT_FALSE(none);
        EXPECT_EQ(none.error(), asio::error::would_block);
        EXPECT_FALSE(co_await writer.co_write_text("here"));
        std::string m;
        EXPECT_TRUE(co_await reader.co_read(m));
        EXPECT_EQ(m, "here");
    });
}

TEST(stream, small_frames_behind_large_ones_in_one_burst_arrive_whole_and_in_order) {
    // After large frames the read for the next header offers the caller's room for a frame like the
    // last one (more than the read buffer holds). When small frames come instead, everything that
    // read took has to be parsed from the read buffer, which must grow for it.
    run([&](asio::io_context& io) -> asio::awaitable<void> {
        using namespace asio::experimental::awaitable_operators;
        auto [a, b] = make_pair(io);
        // Every read waits a moment first, so the writer has filled the socket's buffer by then and
        // the read after the large frames takes as much as it offers.
        websocket::stream<slow_reading_socket> server(slow_reading_socket{std::move(a)}, role::server);  // 64 KiB read buffer
        client_burst burst;
        burst.add(letter_pattern(100 * 1024, 1));
        burst.add(letter_pattern(100 * 1024, 2));
        for (std::size_t i = 0; i < 3000; ++i)  // about 138 KB of small frames
            burst.add(letter_pattern(40, i));
        burst.add(letter_pattern(100 * 1024, 3));
        const std::vector<std::string>& sent = burst.sent;
        auto write = [&]() -> asio::awaitable<void> { co_await write_raw(b, burst.wire); };
        auto read = [&]() -> asio::awaitable<void> {
            std::vector<std::byte> got;
            for (std::size_t i = 0; i < sent.size(); ++i) {
                auto info = co_await server.co_read(got);
                EXPECT_TRUE(info) << i;
                if (!info)
                    co_return;
                const std::string_view text(reinterpret_cast<const char*>(got.data()), info->size);
                EXPECT_EQ(text, sent[i]) << "message " << i;
                if (text != sent[i])
                    co_return;
            }
        };
        co_await (write() && read());
    });
}

TEST(stream_cork, a_read_does_not_wait_behind_a_blocked_write_that_carries_the_queue) {
    // Both sides write 4 MiB before they read: the server's read must go on while its write (which
    // took the queue along) waits for the peer, or nobody reads.
    for (bool corked : {false, true}) {
        SCOPED_TRACE(corked ? "corked" : "not corked");
        run([&](asio::io_context& io) -> asio::awaitable<void> {
            using namespace asio::experimental::awaitable_operators;
            auto [a, b] = make_pair(io);
            ws_stream server(std::move(a), role::server);
            ws_stream client(std::move(b), role::client);
            if (corked) {
                server.cork();
                EXPECT_FALSE(co_await server.co_write_text("queued"));
            }
            const std::string down(4 * 1024 * 1024, 'S');
            const std::string up(4 * 1024 * 1024, 'C');
            std::string at_server, at_client;
            auto server_write = [&]() -> asio::awaitable<void> { EXPECT_FALSE(co_await server.co_write(bytes_of(down))); };
            auto server_read = [&]() -> asio::awaitable<void> { EXPECT_TRUE(co_await server.co_read(at_server)); };
            auto client_side = [&]() -> asio::awaitable<void> {
                EXPECT_FALSE(co_await client.co_write(bytes_of(up)));
                if (corked) {
                    EXPECT_TRUE(co_await client.co_read(at_client));
                    EXPECT_EQ(at_client, "queued");
                }
                EXPECT_TRUE(co_await client.co_read(at_client));
                EXPECT_EQ(at_client.size(), down.size());
            };
            co_await (server_write() && server_read() && client_side());
        }, 5s);
    }
}

TEST(stream_cork, idle_timeout_fires_while_a_stuck_write_carries_the_queue) {
    for (bool corked : {false, true}) {
        SCOPED_TRACE(corked ? "corked" : "not corked");
        run([&](asio::io_context& io) -> asio::awaitable<void> {
            using namespace asio::experimental::awaitable_operators;
            auto [a, b] = make_pair(io);
            stream_options o;
            o.idle_timeout = 300ms;
            o.close_timeout = 200ms;
            ws_stream server(std::move(a), role::server, o);
            if (corked) {
                server.cork();
                EXPECT_FALSE(co_await server.co_write_text("queued"));
            }
            const std::string down(4 * 1024 * 1024, 'S');
            boost::system::error_code read_error;
            auto server_write = [&]() -> asio::awaitable<void> { (void)co_await server.co_write(bytes_of(down)); };
            auto server_read = [&]() -> asio::awaitable<void> {
                std::string m;
                auto r = co_await server.co_read(m);
                EXPECT_FALSE(r);
                if (!r)
                    read_error = r.error();
            };
            co_await (server_write() && server_read());  // the peer (b) never reads nor writes
            // The timeout fired (its Close could not go out behind the stuck write either).
            EXPECT_TRUE(read_error == error::idle_timeout || read_error == error::close_timeout) << read_error.message();
            EXPECT_FALSE(server.is_open());
        }, 4s);
    }
}

TEST(stream_cork, partial_writes_of_queue_header_and_payload_at_every_split) {
    for (role r : {role::server, role::client}) {
        for (std::size_t limit = 0; limit < 200; ++limit) {
            SCOPED_TRACE(limit);
            run([&](asio::io_context& io) -> asio::awaitable<void> {
                auto [a, b] = make_pair(io);
                a.non_blocking(true);
                std::size_t most = limit;
                websocket::stream<limited_socket> s(limited_socket{std::move(a), &most}, r);
                s.cork();
                EXPECT_FALSE(co_await s.co_write_text("one"));
                EXPECT_FALSE(co_await s.co_write_text("two two"));
                const std::string qs(40, 'q');
                EXPECT_FALSE(co_await s.co_write(bytes_of(qs)));
                const std::string ping(100, 'p');
                EXPECT_FALSE(co_await s.co_ping(bytes_of(ping)));  // carries the queue
                EXPECT_EQ(s.queued_bytes(), 0u);
                const std::string expected[] = {"one", "two two", qs, ping};
                for (const auto& payload : expected) {
                    auto f = co_await read_wire_frame(b);
                    EXPECT_TRUE(f);
                    if (!f)
                        co_return;
                    EXPECT_EQ(f->header.masked, r == role::client);
                    EXPECT_EQ(f->payload, payload);
                }
                EXPECT_EQ(readable_now(b), 0u);
            });
        }
    }
}

TEST(stream_cork, a_keepalive_read_sends_the_queue_before_it_waits) {
    run([&](asio::io_context& io) -> asio::awaitable<void> {
        using namespace asio::experimental::awaitable_operators;
        auto [a, b] = make_pair(io);
        stream_options o;
        o.ping_interval = 5s;
        ws_stream server(std::move(a), role::server, o);
        server.cork();
        EXPECT_FALSE(co_await server.co_write_text("queued"));
        auto reader = [&]() -> asio::awaitable<void> {
            std::string m;
            EXPECT_TRUE(co_await server.co_read(m));
            EXPECT_EQ(m, "done");
        };
        auto peer = [&]() -> asio::awaitable<void> {
            auto f = co_await read_wire_frame(b);  // comes before the peer sends anything
            EXPECT_TRUE(f);
            EXPECT_EQ(f->payload, "queued");
            co_await write_raw(b, wire_frame(opcode::text, true, "done", 0x01020304));
        };
        co_await (reader() && peer());
    }, 3s);
}

TEST(stream_cork, a_write_while_a_read_waits_for_the_peer_goes_out_at_once) {
    run([&](asio::io_context& io) -> asio::awaitable<void> {
        using namespace asio::experimental::awaitable_operators;
        auto [a, b] = make_pair(io);
        ws_stream server(std::move(a), role::server);
        server.cork();
        auto reader = [&]() -> asio::awaitable<void> {
            std::string m;
            EXPECT_TRUE(co_await server.co_read(m));
        };
        auto other = [&]() -> asio::awaitable<void> {
            co_await sleep_for(20ms);  // the read waits by now
            EXPECT_FALSE(co_await server.co_write_text("late"));
            EXPECT_EQ(server.queued_bytes(), 0u);
            auto f = co_await read_wire_frame(b);
            EXPECT_TRUE(f);
            EXPECT_EQ(f->payload, "late");
            co_await write_raw(b, wire_frame(opcode::text, true, "x", 0x01020304));
        };
        co_await (reader() && other());
    }, 3s);
}

TEST(stream_cork, a_write_that_waited_while_the_connection_failed_reports_an_error) {
    run([&](asio::io_context& io) -> asio::awaitable<void> {
        using namespace asio::experimental::awaitable_operators;
        auto [a, b] = make_pair(io);
        ws_stream server(std::move(a), role::server);
        server.cork();
        const std::string big(4 * 1024 * 1024, 'S');
        boost::system::error_code big_ec, small_ec;
        auto first = [&]() -> asio::awaitable<void> { big_ec = co_await server.co_write(bytes_of(big)); };
        auto second = [&]() -> asio::awaitable<void> { small_ec = co_await server.co_write_text("after"); };  // waits for the gate
        auto peer = [&]() -> asio::awaitable<void> {
            co_await sleep_for(50ms);
            b.close();
        };
        co_await (first() && second() && peer());
        EXPECT_TRUE(big_ec);
        EXPECT_FALSE(server.is_open());
        EXPECT_TRUE(small_ec);  // not queued on a connection that is over and reported as sent
        EXPECT_EQ(server.queued_bytes(), 0u);
    });
}
