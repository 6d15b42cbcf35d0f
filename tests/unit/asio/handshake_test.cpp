// co_handshake and co_accept over socket pairs: against each other, against scripted HTTP peers
// (refusals, a first frame right after the 101), and the embedding form of co_accept.
#include <burrow/asio/handshake.hpp>
#include <burrow/asio/stream.hpp>

#include "asio_run.hpp"
#include "raw_peer.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/local/connect_pair.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/streambuf.hpp>

#include <gtest/gtest.h>

using namespace burrow;
using namespace burrow::test;
using namespace std::chrono_literals;
using ws::opcode;
using ws::role;

namespace {

// GCC 12.2 destroys twice a temporary of class type created inside a co_await expression (an
// argument written `{}` or converted implicitly): these tests name every such argument first.
const handshake_options default_handshake{};
const ws::ws_url url_h = *ws::parse_ws_url("ws://h/");


// Reads the request head a client sent; returns it.
asio::awaitable<std::string> read_request(local_socket& s) {
    asio::streambuf in;
    auto [ec, n] = co_await asio::async_read_until(s, in, "\r\n\r\n", asio::as_tuple(asio::use_awaitable));
    co_return std::string(asio::buffers_begin(in.data()), asio::buffers_begin(in.data()) + static_cast<std::ptrdiff_t>(n));
}

std::string header_value(const std::string& head, const std::string& name) {
    const auto at = head.find(name + ": ");
    if (at == std::string::npos)
        return {};
    const auto start = at + name.size() + 2;
    return head.substr(start, head.find("\r\n", start) - start);
}

} // namespace

TEST(co_handshake, client_and_server_agree_and_talk) {
    run([&](asio::io_context& io) -> asio::awaitable<void> {
        using namespace asio::experimental::awaitable_operators;
        auto [a, b] = make_pair(io);
        handshake_options client_options;
        client_options.request.subprotocols = {"superchat", "chat"};
        client_options.request.origin = "http://example.com";
        accept_options server_options;
        server_options.subprotocols = {"chat"};
        const auto url = *ws::parse_ws_url("ws://example.com/chat?x=1");
        auto [client, server] = co_await (co_handshake(a, url, client_options) && co_accept(b, server_options));
        EXPECT_FALSE(client.ec) << client.message();
        EXPECT_FALSE(server.ec) << server.ec.message();
        EXPECT_EQ(client.agreement.subprotocol, "chat");
        EXPECT_EQ(server.subprotocol, "chat");
        EXPECT_EQ(server.resource, "/chat?x=1");
        EXPECT_EQ(server.origin, "http://example.com");
        websocket::stream<local_socket> cs(std::move(a), role::client, {}, client.leftover);
        websocket::stream<local_socket> ss(std::move(b), role::server, {}, server.leftover);
        EXPECT_FALSE(co_await cs.co_write_text("hi"));
        std::string m;
        EXPECT_TRUE(co_await ss.co_read(m));
        EXPECT_EQ(m, "hi");
    });
}

TEST(co_handshake, a_first_frame_sent_with_the_101_is_kept) {
    run([&](asio::io_context& io) -> asio::awaitable<void> {
        using namespace asio::experimental::awaitable_operators;
        auto [a, b] = make_pair(io);
        auto server = [&]() -> asio::awaitable<void> {
            const std::string request = co_await read_request(b);
            const auto key = header_value(request, "Sec-WebSocket-Key");
            std::string reply = *ws::build_accept_response(key, "");
            const auto frame = wire_frame(opcode::text, true, "welcome");
            reply.append(reinterpret_cast<const char*>(frame.data()), frame.size());
            co_await asio::async_write(b, asio::buffer(reply), asio::as_tuple(asio::use_awaitable));
        };
        auto [client, ignored] = co_await (co_handshake(a, url_h, default_handshake) && [&]() -> asio::awaitable<int> {
            co_await server();
            co_return 0;
        }());
        EXPECT_FALSE(client.ec) << client.message();
        EXPECT_EQ(client.leftover.size(), 9u);
        websocket::stream<local_socket> cs(std::move(a), role::client, {}, client.leftover);
        std::string m;
        EXPECT_TRUE(co_await cs.co_read(m));
        EXPECT_EQ(m, "welcome");
    });
}

TEST(co_handshake, refusals_keep_status_and_body) {
    run([&](asio::io_context& io) -> asio::awaitable<void> {
        using namespace asio::experimental::awaitable_operators;
        auto [a, b] = make_pair(io);
        auto server = [&]() -> asio::awaitable<int> {
            co_await read_request(b);
            const std::string reply = "HTTP/1.1 403 Forbidden\r\nContent-Length: 14\r\n\r\nno such token\n";
            co_await asio::async_write(b, asio::buffer(reply), asio::as_tuple(asio::use_awaitable));
            co_return 0;
        };
        auto [client, ignored] = co_await (co_handshake(a, url_h, default_handshake) && server());
        EXPECT_EQ(client.ec, error::handshake_bad_status);
        EXPECT_EQ(client.status_line, "HTTP/1.1 403 Forbidden");
        EXPECT_EQ(client.response_head, "HTTP/1.1 403 Forbidden\r\nContent-Length: 14\r\n\r\n");
        EXPECT_EQ(client.body_start, "no such token ");
        EXPECT_NE(client.message().find("403 Forbidden"), std::string::npos);
    });
}

TEST(co_handshake, a_wrong_accept_key_is_refused) {
    run([&](asio::io_context& io) -> asio::awaitable<void> {
        using namespace asio::experimental::awaitable_operators;
        auto [a, b] = make_pair(io);
        auto server = [&]() -> asio::awaitable<int> {
            co_await read_request(b);
            const std::string reply = *ws::build_accept_response("dGhlIHNhbXBsZSBub25jZQ==", "");
            co_await asio::async_write(b, asio::buffer(reply), asio::as_tuple(asio::use_awaitable));
            co_return 0;
        };
        auto [client, ignored] = co_await (co_handshake(a, url_h, default_handshake) && server());
        EXPECT_EQ(client.ec, error::handshake_bad_accept);
    });
}

TEST(co_handshake, silent_server_times_out) {
    run([&](asio::io_context& io) -> asio::awaitable<void> {
        auto [a, b] = make_pair(io);
        handshake_options o;
        o.timeout = 150ms;
        auto client = co_await co_handshake(a, url_h, o);
        EXPECT_EQ(client.ec, asio::error::timed_out);
    });
}

TEST(co_accept, bad_requests_get_4xx_answers) {
    struct sample {
        std::string request;
        std::string status;
        error e;
    };
    const std::vector<sample> samples = {
        {"POST / HTTP/1.1\r\nHost: h\r\n\r\n", "405", error::handshake_bad_method},
        {"GET / HTTP/1.1\r\nHost: h\r\n\r\n", "426", error::handshake_not_websocket},
        {"GET / HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
         "Sec-WebSocket-Version: 8\r\n\r\n", "426", error::handshake_bad_version},
        {"GET / HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n\r\n", "400",
         error::handshake_bad_key},
        {"GARBAGE\r\n\r\n", "400", error::http_bad_start_line},
    };
    for (const auto& s : samples) {
        SCOPED_TRACE(s.request);
        run([&](asio::io_context& io) -> asio::awaitable<void> {
            using namespace asio::experimental::awaitable_operators;
            auto [a, b] = make_pair(io);
            auto client = [&]() -> asio::awaitable<std::string> {
                co_await asio::async_write(a, asio::buffer(s.request), asio::as_tuple(asio::use_awaitable));
                co_return co_await read_request(a);  // the response head
            };
            auto [server, response] = co_await (co_accept(b) && client());
            EXPECT_EQ(server.ec, s.e) << server.ec.message();
            EXPECT_EQ(response.substr(9, 3), s.status) << response;
            if (s.status == "426" && s.e == error::handshake_bad_version) {
                EXPECT_NE(response.find("Sec-WebSocket-Version: 13"), std::string::npos);
            }
        });
    }
}

TEST(co_accept, embedded_in_a_server_that_already_read_the_request) {
    run([&](asio::io_context& io) -> asio::awaitable<void> {
        using namespace asio::experimental::awaitable_operators;
        auto [a, b] = make_pair(io);
        // The "HTTP server" read the request head and the first frame after it, then hands over.
        const std::string head = "GET /ws HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                                 "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
        const auto first = wire_frame(opcode::text, true, "early bird", 0x01020304);
        const accept_options options;
        auto accepted = co_await co_accept(b, head, first, options);
        EXPECT_FALSE(accepted.ec) << accepted.ec.message();
        EXPECT_EQ(accepted.resource, "/ws");
        const std::string response = co_await read_request(a);
        EXPECT_NE(response.find("Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo="), std::string::npos);
        websocket::stream<local_socket> ss(std::move(b), role::server, {}, accepted.leftover);
        std::string m;
        EXPECT_TRUE(co_await ss.co_read(m));
        EXPECT_EQ(m, "early bird");
    });
}
