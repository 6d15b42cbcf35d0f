// websocket::parked_server over socket pairs: connections are parked (no worker) between messages
// and woken by the peer's bytes; the peer or the server closes a parked connection; an io_context
// destroyed with parked connections and waiting workers frees everything (run under ASan).
#include <burrow/asio/parked_server.hpp>

#include "asio_run.hpp"
#include "raw_peer.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/steady_timer.hpp>

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

using namespace burrow;
using namespace burrow::test;
using namespace std::chrono_literals;
using ws_stream = websocket::stream<local_socket>;
using server_type = websocket::parked_server<local_socket, std::string>;
using connection_ptr = server_type::connection_ptr;
using ws::opcode;
using ws::role;

namespace {

// Echoes every message; counts them in the connection's state.
asio::awaitable<void> echo(const connection_ptr& c, websocket::message_view m) {
    c->state() += "m";
    (void)co_await c->ws().co_write(m.payload, m.type);
}

struct ended {
    std::vector<boost::system::error_code> reasons;
    void operator()(const connection_ptr& c, boost::system::error_code ec) {
        EXPECT_TRUE(c->ended());
        reasons.push_back(ec);
    }
    // The connection ended exactly once, with `expected`.
    void expect_once(boost::system::error_code expected) const {
        EXPECT_EQ(reasons.size(), 1u);
        if (!reasons.empty()) {
            EXPECT_EQ(reasons[0], expected);
        }
    }
};

// A connection served by `server` (default options) and the client stream at its other end.
struct served_connection {
    connection_ptr conn;
    ws_stream client;
};

served_connection serve_a_client(asio::io_context& io, server_type& server) {
    auto [a, b] = make_pair(io);
    const websocket::stream_options options;
    return {server.serve(std::move(a), options, {}), ws_stream(std::move(b), role::client)};
}

// Lets the io_context run queued work (the worker parks the connection after the echo went out).
asio::awaitable<void> settle() {
    asio::steady_timer t(co_await asio::this_coro::executor, 20ms);
    co_await t.async_wait(asio::use_awaitable);
}

} // namespace

TEST(parked_server, parks_between_messages_and_wakes_on_bytes) {
    ended ends;
    run([&](asio::io_context& io) -> asio::awaitable<void> {
        server_type server(io.get_executor(), echo, std::ref(ends));
        auto [conn, client] = serve_a_client(io, server);
        EXPECT_TRUE(conn->parked());
        EXPECT_EQ(server.workers(), 0u);  // nothing arrived yet: no coroutine for the connection
        std::string back;
        for (int i = 0; i < 5; ++i) {
            const std::string text = "hello " + std::to_string(i);
            EXPECT_FALSE(co_await client.co_write_text(text));
            auto info = co_await client.co_read(back);
            EXPECT_TRUE(info);
            EXPECT_EQ(back, text);
            co_await settle();
            EXPECT_TRUE(conn->parked()) << i;  // back to the readiness wait after every message
        }
        EXPECT_EQ(conn->state(), "mmmmm");
        EXPECT_EQ(server.workers(), 1u);  // one worker served them all, and waits for more
        EXPECT_TRUE(ends.reasons.empty());
        co_await client.co_close();
    });
}

TEST(parked_server, many_connections_share_few_workers) {
    ended ends;
    run([&](asio::io_context& io) -> asio::awaitable<void> {
        server_type server(io.get_executor(), echo, std::ref(ends));
        std::vector<connection_ptr> conns;
        std::vector<std::unique_ptr<ws_stream>> clients;
        const websocket::stream_options options;
        for (int i = 0; i < 50; ++i) {
            auto [a, b] = make_pair(io);
            conns.push_back(server.serve(std::move(a), options, {}));
            clients.push_back(std::make_unique<ws_stream>(std::move(b), role::client));
        }
        std::string back;
        for (int round = 0; round < 3; ++round) {
            for (auto& client : clients)
                EXPECT_FALSE(co_await client->co_write_text("ping"));
            for (auto& client : clients) {
                EXPECT_TRUE(co_await client->co_read(back));
                EXPECT_EQ(back, "ping");
            }
        }
        co_await settle();
        for (auto& c : conns) {
            EXPECT_TRUE(c->parked());
            EXPECT_EQ(c->state(), "mmm");
        }
        EXPECT_LE(server.workers(), 50u);
        EXPECT_GE(server.workers(), 1u);
        for (auto& client : clients)
            co_await client->co_close();
        co_await settle();
        EXPECT_EQ(ends.reasons.size(), 50u);
    });
}

TEST(parked_server, leftover_and_fragmented_and_large_messages_arrive_whole) {
    ended ends;
    run([&](asio::io_context& io) -> asio::awaitable<void> {
        server_type server(io.get_executor(), echo, std::ref(ends));
        auto [a, b] = make_pair(io);
        const auto early = wire_frame(opcode::text, true, "early", 0x01020304);
        websocket::stream_options options;
        options.read_buffer_size = 1024;  // a 5,000-byte message arrives in several reads
        auto conn = server.serve(std::move(a), options, early);
        ws_stream client(std::move(b), role::client);
        std::string back;
        EXPECT_TRUE(co_await client.co_read(back));
        EXPECT_EQ(back, "early");
        // Fragments, with a ping between them.
        EXPECT_FALSE(co_await client.co_write_frame(std::as_bytes(std::span("abc", 3)), opcode::text, false));
        EXPECT_FALSE(co_await client.co_ping());
        EXPECT_FALSE(co_await client.co_write_frame(std::as_bytes(std::span("def", 3)), opcode::continuation, true));
        EXPECT_TRUE(co_await client.co_read(back));
        EXPECT_EQ(back, "abcdef");
        const std::string big(5000, 'z');
        EXPECT_FALSE(co_await client.co_write_text(big));
        EXPECT_TRUE(co_await client.co_read(back));
        EXPECT_EQ(back, big);
        co_await settle();
        EXPECT_TRUE(conn->parked());
        EXPECT_EQ(conn->state(), "mmm");
        co_await client.co_close();
    });
}

TEST(parked_server, ping_while_parked_is_answered_and_the_connection_parks_again) {
    ended ends;
    run([&](asio::io_context& io) -> asio::awaitable<void> {
        server_type server(io.get_executor(), echo, std::ref(ends));
        auto [a, b] = make_pair(io);
        const websocket::stream_options options;
        auto conn = server.serve(std::move(a), options, {});
        co_await write_raw(b, wire_frame(opcode::ping, true, "hb", 0x11223344));
        auto pong = co_await read_wire_frame(b);
        EXPECT_TRUE(pong);
        EXPECT_EQ(pong->header.op, opcode::pong);
        EXPECT_EQ(pong->payload, "hb");
        co_await settle();
        EXPECT_TRUE(conn->parked());  // a ping alone does not keep a worker
        EXPECT_TRUE(conn->state().empty());
    });
}

TEST(parked_server, peer_closes_while_parked) {
    ended ends;
    run([&](asio::io_context& io) -> asio::awaitable<void> {
        server_type server(io.get_executor(), echo, std::ref(ends));
        auto [conn, client] = serve_a_client(io, server);
        const std::string_view reason = "bye";
        EXPECT_FALSE(co_await client.co_close(ws::close_code::going_away, reason));
        co_await settle();
        EXPECT_TRUE(conn->ended());
        EXPECT_FALSE(conn->ws().is_open());
        EXPECT_EQ(conn->ws().peer_close_code(), ws::close_code::going_away);
        EXPECT_EQ(conn->ws().peer_close_reason(), "bye");
        ends.expect_once(error::closed);
    });
}

TEST(parked_server, peer_drops_tcp_while_parked) {
    ended ends;
    run([&](asio::io_context& io) -> asio::awaitable<void> {
        server_type server(io.get_executor(), echo, std::ref(ends));
        auto [a, b] = make_pair(io);
        const websocket::stream_options options;
        auto conn = server.serve(std::move(a), options, {});
        b.close();
        co_await settle();
        EXPECT_TRUE(conn->ended());
        ends.expect_once(error::connection_lost);
    });
}

TEST(parked_server, server_closes_a_parked_connection) {
    ended ends;
    run([&](asio::io_context& io) -> asio::awaitable<void> {
        server_type server(io.get_executor(), echo, std::ref(ends));
        auto [conn, client] = serve_a_client(io, server);
        std::string back;
        EXPECT_FALSE(co_await client.co_write_text("one"));
        EXPECT_TRUE(co_await client.co_read(back));
        co_await settle();
        EXPECT_TRUE(conn->parked());
        server.close(conn, ws::close_code::going_away);
        auto r = co_await client.co_read(back);  // the client's read sees the Close and answers it
        EXPECT_FALSE(r);
        EXPECT_EQ(r.error(), error::closed);
        EXPECT_EQ(client.peer_close_code(), ws::close_code::going_away);
        co_await settle();
        EXPECT_TRUE(conn->ended());
        ends.expect_once(error::closed);  // a completed close handshake
        server.close(conn);  // after the end: nothing happens
        EXPECT_EQ(ends.reasons.size(), 1u);
    });
}

TEST(parked_server, handler_closing_ends_the_connection) {
    ended ends;
    run([&](asio::io_context& io) -> asio::awaitable<void> {
        auto close_on_message = [](const connection_ptr& c, websocket::message_view) -> asio::awaitable<void> {
            const std::string_view reason = "done";
            (void)co_await c->ws().co_close(ws::close_code::policy_violation, reason);
        };
        server_type server(io.get_executor(), close_on_message, std::ref(ends));
        auto [conn, client] = serve_a_client(io, server);
        EXPECT_FALSE(co_await client.co_write_text("x"));
        std::string back;
        auto r = co_await client.co_read(back);
        EXPECT_EQ(r.error(), error::closed);
        EXPECT_EQ(client.peer_close_code(), ws::close_code::policy_violation);
        co_await settle();
        EXPECT_TRUE(conn->ended());
        EXPECT_EQ(ends.reasons.size(), 1u);
    });
}

TEST(parked_server, destroying_the_io_context_frees_parked_connections_and_workers) {
    std::vector<std::weak_ptr<server_type::connection>> watched;
    ended ends;
    // The message handler lives as long as what the workers share with the server: it goes only
    // when the last idle worker's coroutine was destroyed too.
    auto handler_alive = std::make_shared<int>(0);
    std::weak_ptr<int> handler_watch = handler_alive;
    {
        asio::io_context io(1);
        std::vector<std::unique_ptr<ws_stream>> clients;
        {
            auto handler = [alive = std::move(handler_alive)](const connection_ptr& c, websocket::message_view m) {
                return echo(c, m);
            };
            server_type server(io.get_executor(), handler, std::ref(ends));
            const websocket::stream_options options;
            for (int i = 0; i < 10; ++i) {
                auto [a, b] = make_pair(io);
                watched.push_back(server.serve(std::move(a), options, {}));
                clients.push_back(std::make_unique<ws_stream>(std::move(b), role::client));
            }
            bool echoed = false;
            asio::co_spawn(io, [&]() -> asio::awaitable<void> {
                std::string back;
                for (auto& client : clients) {  // wake every connection once, so workers exist
                    (void)co_await client->co_write_text("hi");
                    (void)co_await client->co_read(back);
                }
                echoed = true;
                co_await settle();
                io.stop();
            }, asio::detached);
            io.run_for(10s);
            EXPECT_TRUE(echoed);
            EXPECT_GE(server.workers(), 1u);
        }  // the server object goes first; its connections stay parked on the io_context
        for (auto& w : watched)
            EXPECT_FALSE(w.expired());
    }  // now the io_context: the pending waits own the connections and are destroyed with it
    for (auto& w : watched)
        EXPECT_TRUE(w.expired());
    EXPECT_TRUE(handler_watch.expired()) << "an idle worker's coroutine was not destroyed with the io_context";
    EXPECT_TRUE(ends.reasons.empty());  // freed, not ended
}

TEST(parked_server, run_does_not_return_while_idle_workers_wait) {
    // Documented: idle workers wait on the io_context, so run() returns only when it is stopped.
    // (A worker is a coroutine started with co_spawn, which holds outstanding work until it ends.)
    asio::io_context io(1);
    ended ends;
    server_type server(io.get_executor(), echo, std::ref(ends));
    auto [a, b] = make_pair(io);
    ws_stream client(std::move(b), role::client);
    const websocket::stream_options options;
    auto served = server.serve(std::move(a), options, {});
    bool echoed = false;
    asio::co_spawn(io, [&]() -> asio::awaitable<void> {
        std::string back;
        (void)co_await client.co_write_text("hi");
        echoed = static_cast<bool>(co_await client.co_read(back));
        (void)co_await client.co_close();  // the connection ends: only the idle worker is left
    }, asio::detached);
    const auto ran = io.run_for(1s);
    EXPECT_TRUE(echoed);
    ends.expect_once(make_error_code(error::closed));
    EXPECT_EQ(server.workers(), 1u);
    EXPECT_FALSE(io.stopped()) << "run_for returned early: nothing kept the io_context busy (" << ran << " handlers)";
}

TEST(parked_server, accept_parks_until_the_request_then_upgrades_and_serves) {
    ended ends;
    run([&](asio::io_context& io) -> asio::awaitable<void> {
        server_type::options_type options;
        options.accept.subprotocols = {"chat"};
        options.on_open = [](const connection_ptr& c, const accept_result& accepted) {
            EXPECT_TRUE(c->state().empty());  // before any message
            c->state() = accepted.resource + " " + accepted.subprotocol + " ";
        };
        server_type server(io.get_executor(), echo, std::ref(ends), options);
        auto [a, b] = make_pair(io);
        server.accept(std::move(a));
        co_await settle();  // nothing sent yet: no worker, no handshake coroutine
        EXPECT_EQ(server.workers(), 0u);
        const auto url = *ws::parse_ws_url("ws://example.com/room");
        handshake_options client_options;
        client_options.request.subprotocols = {"chat"};
        auto shook = co_await co_handshake(b, url, client_options);
        EXPECT_TRUE(shook) << shook.message();
        EXPECT_EQ(shook.agreement.subprotocol, "chat");
        ws_stream client(std::move(b), role::client, {}, shook.leftover);
        std::string back;
        EXPECT_FALSE(co_await client.co_write_text("hi"));
        EXPECT_TRUE(co_await client.co_read(back));
        EXPECT_EQ(back, "hi");
        EXPECT_FALSE(co_await client.co_close());
        co_await settle();
        EXPECT_EQ(ends.reasons.size(), 1u);
    });
}

TEST(parked_server, accept_closes_a_bad_request_without_serving_it) {
    ended ends;
    run([&](asio::io_context& io) -> asio::awaitable<void> {
        server_type server(io.get_executor(), echo, std::ref(ends));
        auto [a, b] = make_pair(io);
        server.accept(std::move(a));
        const std::string request = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";  // no upgrade
        co_await asio::async_write(b, asio::buffer(request), asio::use_awaitable);
        std::string answer;
        auto [ec, n] = co_await asio::async_read(b, asio::dynamic_buffer(answer), asio::as_tuple(asio::use_awaitable));
        EXPECT_EQ(ec, asio::error::eof);  // answered, then closed
        EXPECT_TRUE(answer.starts_with("HTTP/1.1 4")) << answer;
        EXPECT_TRUE(ends.reasons.empty());
    });
}

TEST(parked_server, a_message_larger_than_the_socket_buffers_goes_through_both_ways) {
    // The server's socket is non-blocking: its reads and writes are tried at once, and what the
    // socket does not take at once (a partial write of a 3 MB echo) goes through Asio's async path.
    ended ends;
    run([&](asio::io_context& io) -> asio::awaitable<void> {
        server_type server(io.get_executor(), echo, std::ref(ends));
        auto [a, b] = make_pair(io);
        const websocket::stream_options options;
        auto conn = server.serve(std::move(a), options, {});
        EXPECT_TRUE(conn->ws().next_layer().non_blocking());
        ws_stream client(std::move(b), role::client);
        std::string big(3 * 1024 * 1024, 'q');
        for (std::size_t i = 0; i < big.size(); i += 4093)
            big[i] = static_cast<char>('a' + i % 26);
        std::string back;
        using namespace asio::experimental::awaitable_operators;
        auto write = [&]() -> asio::awaitable<void> { EXPECT_FALSE(co_await client.co_write_text(big)); };
        auto read = [&]() -> asio::awaitable<void> { EXPECT_TRUE(co_await client.co_read(back)); };
        co_await (write() && read());
        EXPECT_TRUE(back == big);
        co_await settle();
        EXPECT_TRUE(conn->parked());
        co_await client.co_close();
    });
}

TEST(parked_server, accept_waits_for_a_request_that_comes_in_pieces) {
    ended ends;
    run([&](asio::io_context& io) -> asio::awaitable<void> {
        server_type server(io.get_executor(), echo, std::ref(ends));
        auto [a, b] = make_pair(io);
        server.accept(std::move(a));
        const auto url = *ws::parse_ws_url("ws://example.com/");
        const std::string key = ws::make_client_key();
        const ws::client_handshake_options request_options;
        const auto request = ws::build_client_request(url, key, request_options);
        EXPECT_TRUE(request);
        const std::string first = request->substr(0, 20), second = request->substr(20);
        co_await asio::async_write(b, asio::buffer(first), asio::use_awaitable);
        co_await settle();  // the server saw an incomplete head: its coroutine path waits for more
        co_await asio::async_write(b, asio::buffer(second), asio::use_awaitable);
        std::string answer;
        auto [ec, n] = co_await asio::async_read_until(b, asio::dynamic_buffer(answer), "\r\n\r\n",
                                                       asio::as_tuple(asio::use_awaitable));
        EXPECT_FALSE(ec);
        EXPECT_TRUE(answer.starts_with("HTTP/1.1 101")) << answer;
        ws_stream client(std::move(b), role::client);
        std::string back;
        EXPECT_FALSE(co_await client.co_write_text("pieces"));
        EXPECT_TRUE(co_await client.co_read(back));
        EXPECT_EQ(back, "pieces");
        EXPECT_FALSE(co_await client.co_close());
    });
}

TEST(parked_server, on_open_closing_the_connection_hands_it_to_one_worker) {
    ended ends;
    run([&](asio::io_context& io) -> asio::awaitable<void> {
        server_type* server_ptr = nullptr;
        server_type::options_type options;
        options.on_open = [&server_ptr](const connection_ptr& c, const accept_result&) {
            server_ptr->close(c, ws::close_code::going_away);
        };
        server_type server(io.get_executor(), echo, std::ref(ends), options);
        server_ptr = &server;
        auto [a, b] = make_pair(io);
        server.accept(std::move(a));
        const auto url = *ws::parse_ws_url("ws://example.com/");
        handshake_options client_options;
        auto shook = co_await co_handshake(b, url, client_options);
        EXPECT_TRUE(shook) << shook.message();
        ws_stream client(std::move(b), role::client, {}, shook.leftover);
        std::string back;
        auto r = co_await client.co_read(back);
        EXPECT_EQ(r.error(), error::closed);
        EXPECT_EQ(client.peer_close_code(), ws::close_code::going_away);
        co_await settle();
        EXPECT_EQ(server.workers(), 1u);  // not two workers closing the same stream
        ends.expect_once(error::closed);
    });
}

TEST(parked_server, a_failed_write_in_the_handler_ends_with_its_error_not_closed) {
    ended ends;
    run([&](asio::io_context& io) -> asio::awaitable<void> {
        server_type server(io.get_executor(), echo, std::ref(ends));
        auto [conn, client] = serve_a_client(io, server);
        EXPECT_FALSE(co_await client.co_write_text("into the void"));
        client.next_layer().close();  // gone before the echo: the handler's write fails
        co_await settle();
        EXPECT_TRUE(conn->ended());
        EXPECT_EQ(ends.reasons.size(), 1u);
        if (!ends.reasons.empty()) {
            EXPECT_TRUE(ends.reasons[0]);
            EXPECT_NE(ends.reasons[0], error::closed) << ends.reasons[0].message();
        }
    });
}

TEST(parked_server, large_messages_of_changing_sizes_arrive_whole_and_in_order) {
    // The worker keeps its message buffer as room for the next message (large payloads are read
    // straight into it): sizes grow and shrink around the direct-read threshold and the read
    // buffer, some messages in fragments with pings between them, two connections taking turns.
    ended ends;
    run([&](asio::io_context& io) -> asio::awaitable<void> {
        server_type server(io.get_executor(), echo, std::ref(ends));
        auto [a, b] = make_pair(io);
        auto [c, d] = make_pair(io);
        websocket::stream_options options;
        options.read_buffer_size = 8 * 1024;
        auto first = server.serve(std::move(a), options, {});
        auto second = server.serve(std::move(c), options, {});
        websocket::stream_options fragmenting;
        fragmenting.max_frame_size = 30'000;
        ws_stream one(std::move(b), role::client);
        ws_stream two(std::move(d), role::client, fragmenting);
        const std::size_t sizes[] = {70'000, 4'096, 65'536, 10, 300'000, 4'095, 0, 120'000, 5'000, 70'000};
        std::vector<std::byte> back;
        for (std::size_t i = 0; i < std::size(sizes); ++i) {
            SCOPED_TRACE(i);
            std::vector<std::byte> payload(sizes[i]);
            for (std::size_t k = 0; k < payload.size(); ++k)
                payload[k] = static_cast<std::byte>(k * 7 + i);
            ws_stream& client = i % 2 ? two : one;
            EXPECT_FALSE(co_await client.co_write(payload, opcode::binary));
            if (i % 3 == 0) {
                EXPECT_FALSE(co_await client.co_ping());
            }
            auto info = co_await client.co_read(back);
            EXPECT_TRUE(info);
            EXPECT_EQ(back.size(), payload.size());
            EXPECT_TRUE(back == payload);
        }
        co_await settle();
        EXPECT_TRUE(first->parked());
        EXPECT_TRUE(second->parked());
        EXPECT_EQ(first->state() + second->state(), std::string(std::size(sizes), 'm'));
        co_await one.co_close();
        co_await two.co_close();
    });
}

TEST(parked_server, accept_finishes_a_101_the_socket_did_not_take_at_once) {
    // A response with many extra headers and a tiny send buffer: the first write takes only part
    // of the 101, and the rest must follow (it used to fail the upgrade).
    ended ends;
    run([&](asio::io_context& io) -> asio::awaitable<void> {
        server_type::options_type options;
        for (int i = 0; i < 60; ++i)
            options.accept.headers.emplace_back("X-Filler-" + std::to_string(i), std::string(150, 'f'));
        server_type server(io.get_executor(), echo, std::ref(ends), options);
        auto [a, b] = make_pair(io);
        a.set_option(asio::socket_base::send_buffer_size(1));  // the kernel's minimum, a few KB
        server.accept(std::move(a));
        const auto url = *ws::parse_ws_url("ws://example.com/");
        handshake_options client_options;
        auto shook = co_await co_handshake(b, url, client_options);
        EXPECT_TRUE(shook) << shook.message();
        EXPECT_NE(shook.response_head.find("X-Filler-59"), std::string::npos);
        ws_stream client(std::move(b), role::client, {}, shook.leftover);
        std::string back;
        EXPECT_FALSE(co_await client.co_write_text("after a long 101"));
        EXPECT_TRUE(co_await client.co_read(back));
        EXPECT_EQ(back, "after a long 101");
        EXPECT_FALSE(co_await client.co_close());
        co_await settle();
        EXPECT_EQ(ends.reasons.size(), 1u);
    });
}

TEST(parked_server, a_peer_that_keeps_sending_does_not_starve_the_others) {
    // Connection A has 5,000 small messages queued and a tiny read buffer (hundreds of reads,
    // all of which succeed at once); B's message arrives while A's worker is busy. The worker
    // gives the scheduler a turn every 16 reads in a row, so B is served long before A's queue
    // is empty (without that, B would wait for all 5,000).
    std::size_t a_messages = 0;
    std::size_t a_messages_when_b_came = 0;
    local_socket* b_peer = nullptr;
    const auto b_frame = wire_frame(opcode::text, true, "from b", 0x0a0b0c0d);
    auto record = [&](const connection_ptr& c, websocket::message_view) -> asio::awaitable<void> {
        if (c->state() == "a") {
            if (++a_messages == 10)  // B's peer speaks now, while A's worker is busy
                asio::write(*b_peer, asio::buffer(b_frame));
        } else {
            a_messages_when_b_came = a_messages;
        }
        co_return;
    };
    run([&](asio::io_context& io) -> asio::awaitable<void> {
        server_type server(io.get_executor(), record);
        auto [a, a_peer] = make_pair(io);
        auto [b, b_peer_socket] = make_pair(io);
        b_peer = &b_peer_socket;
        std::vector<std::byte> flood;
        for (int i = 0; i < 5000; ++i) {
            const auto f = wire_frame(opcode::binary, true, "hi", 0x01020304);
            flood.insert(flood.end(), f.begin(), f.end());
        }
        co_await write_raw(a_peer, flood);
        websocket::stream_options tiny;
        tiny.read_buffer_size = 140;  // about 17 messages per read
        auto conn_b = server.serve(std::move(b), tiny, {});
        conn_b->state() = "b";
        auto conn_a = server.serve(std::move(a), tiny, {});
        conn_a->state() = "a";
        while (a_messages < 5000) {
            asio::steady_timer t(io, 5ms);
            co_await t.async_wait(asio::use_awaitable);
        }
    });
    EXPECT_EQ(a_messages, 5000u);
    EXPECT_GT(a_messages_when_b_came, 10u);
    EXPECT_LT(a_messages_when_b_came, 2500u);
}

TEST(parked_server, batch_writes_answers_a_burst_in_one_write_and_single_messages_at_once) {
    ended ends;
    struct handled {
        bool corked;
        std::size_t queued_after_write;
    };
    std::vector<handled> calls;
    auto echo_and_look = [&](const connection_ptr& c, websocket::message_view m) -> asio::awaitable<void> {
        const bool corked = c->ws().corked();
        (void)co_await c->ws().co_write(m.payload, m.type);
        calls.push_back({corked, c->ws().queued_bytes()});
    };
    run([&](asio::io_context& io) -> asio::awaitable<void> {
        server_type::options_type options;
        options.batch_writes = true;
        server_type server(io.get_executor(), echo_and_look, std::ref(ends), options);
        auto [conn, client] = serve_a_client(io, server);
        // A burst in one write (one read for the server): answered in one write.
        const int burst = 20;
        client.cork();
        for (int i = 0; i < burst; ++i) {
            const std::string text = "burst " + std::to_string(i);  // named: GCC 12 coroutine bug
            EXPECT_FALSE(co_await client.co_write_text(text));
        }
        EXPECT_FALSE(co_await client.co_uncork());
        std::string back;
        for (int i = 0; i < burst; ++i) {
            auto info = co_await client.co_read(back);
            EXPECT_TRUE(info);
            EXPECT_EQ(back, "burst " + std::to_string(i));
        }
        EXPECT_EQ(calls.size(), std::size_t(burst));
        for (std::size_t i = 0; i < calls.size(); ++i) {
            const bool last = i + 1 == calls.size();
            EXPECT_EQ(calls[i].corked, !last) << i;  // queued while more was received
            EXPECT_EQ(calls[i].queued_after_write == 0, last) << i;  // the last answer took the queue along
        }
        // One message at a time: answered at once, nothing queued.
        calls.clear();
        for (int i = 0; i < 3; ++i) {
            EXPECT_FALSE(co_await client.co_write_text("single"));
            auto info = co_await client.co_read(back);
            EXPECT_TRUE(info);
        }
        EXPECT_EQ(calls.size(), 3u);
        for (const auto& call : calls) {
            EXPECT_FALSE(call.corked);
            EXPECT_EQ(call.queued_after_write, 0u);
        }
        co_await settle();
        EXPECT_TRUE(conn->parked());
        EXPECT_FALSE(conn->ws().corked());  // parked: a write from elsewhere goes out at once
        EXPECT_FALSE(co_await conn->ws().co_write_text("pushed"));
        EXPECT_EQ(conn->ws().queued_bytes(), 0u);
        auto info = co_await client.co_read(back);
        EXPECT_TRUE(info);
        EXPECT_EQ(back, "pushed");
        co_await client.co_close();
        co_await settle();
    });
    ends.expect_once(make_error_code(error::closed));
}

TEST(parked_server, batch_writes_never_holds_back_a_write_from_elsewhere_while_the_worker_waits) {
    run([&](asio::io_context& io) -> asio::awaitable<void> {
        server_type::options_type options;
        options.batch_writes = true;
        server_type server(io.get_executor(), echo, {}, options);
        auto [a, b] = make_pair(io);
        const websocket::stream_options stream_options;
        auto conn = server.serve(std::move(a), stream_options, {});
        // A whole message and the first fragment of the next one, in one write: the worker answers
        // the first, then waits for the rest of the second.
        std::vector<std::byte> wire = wire_frame(opcode::text, true, "A", 0x01020304);
        const auto fragment = wire_frame(opcode::text, false, "B1", 0x05060708);
        wire.insert(wire.end(), fragment.begin(), fragment.end());
        co_await write_raw(b, wire);
        auto echo_a = co_await read_wire_frame(b);
        EXPECT_TRUE(echo_a);
        EXPECT_EQ(echo_a->payload, "A");
        co_await settle();
        EXPECT_FALSE(conn->parked());  // the worker waits for the rest of B
        EXPECT_FALSE(co_await conn->ws().co_write_text("pushed"));
        EXPECT_EQ(conn->ws().queued_bytes(), 0u);
        auto pushed = co_await read_wire_frame(b);  // without the rest of B
        EXPECT_TRUE(pushed);
        EXPECT_EQ(pushed->payload, "pushed");
        co_await write_raw(b, wire_frame(opcode::continuation, true, "B2", 0x0a0b0c0d));
        auto echo_b = co_await read_wire_frame(b);
        EXPECT_TRUE(echo_b);
        EXPECT_EQ(echo_b->payload, "B1B2");
    });
}

TEST(parked_server, close_while_the_worker_sends_a_batch_is_not_lost) {
    run([&](asio::io_context& io) -> asio::awaitable<void> {
        using namespace asio::experimental::awaitable_operators;
        server_type::options_type options;
        options.batch_writes = true;
        server_type server(io.get_executor(), echo, {}, options);
        auto [a, b] = make_pair(io);
        a.set_option(asio::socket_base::send_buffer_size(4096));
        const websocket::stream_options stream_options;
        auto conn = server.serve(std::move(a), stream_options, {});
        // Exactly 64 KiB of whole frames (1024 bytes each on the wire): the server's first read
        // fills its buffer, so it answers them corked, and its next read sends the batch into a
        // socket that takes only part of it: the worker is suspended in that write.
        std::vector<std::byte> wire;
        for (int i = 0; i < 64; ++i) {
            const auto f = wire_frame(opcode::binary, true, std::string(1016, char('a' + i % 26)), 0x01020304);
            wire.insert(wire.end(), f.begin(), f.end());
        }
        co_await write_raw(b, wire);
        int got = 0;
        for (; got < 51; ++got) {
            auto f = co_await read_wire_frame(b);
            EXPECT_TRUE(f);
            if (!f)
                co_return;
        }
        co_await settle();
        server.close(conn);
        for (; got < 64; ++got) {
            auto f = co_await read_wire_frame(b);
            EXPECT_TRUE(f);
            if (!f)
                co_return;
        }
        asio::steady_timer limit(io, 1s);
        auto r = co_await (read_wire_frame(b) || limit.async_wait(asio::use_awaitable));
        EXPECT_EQ(r.index(), 0u) << "no Close within 1 s after close()";
        if (r.index() == 0) {
            const auto& f = std::get<0>(r);
            EXPECT_TRUE(f && f->header.op == opcode::close);
        }
    }, 5s);
}
