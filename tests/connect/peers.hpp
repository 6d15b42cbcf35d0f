// In-process peers for the burrow::connect tests, on 127.0.0.1: a WebSocket echo server built from
// co_accept + websocket::stream, a relaying CONNECT proxy with Basic authentication, and a server
// that accepts and never answers.
#pragma once

#include <burrow/asio/handshake.hpp>
#include <burrow/asio/stream.hpp>
#include <burrow/proxy/auth.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <memory>
#include <string>
#include <vector>

namespace burrow::test {

namespace asio = boost::asio;
using asio::ip::tcp;

/// Accepts WebSocket upgrades and echoes every message back (text as text, binary as binary).
class ws_echo_server {
public:
    explicit ws_echo_server(asio::io_context& io) : acceptor_(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)) {
        asio::co_spawn(io, accept_loop(), asio::detached);
    }
    std::uint16_t port() const { return acceptor_.local_endpoint().port(); }
    std::string url(std::string_view path = "/") const {
        return "ws://127.0.0.1:" + std::to_string(port()) + std::string(path);
    }
    void stop() {
        boost::system::error_code ignored;
        acceptor_.close(ignored);
    }
    unsigned accepted = 0;

private:
    asio::awaitable<void> accept_loop() {
        for (;;) {
            auto [ec, socket] = co_await acceptor_.async_accept(asio::as_tuple(asio::use_awaitable));
            if (ec)
                co_return;
            ++accepted;
            asio::co_spawn(acceptor_.get_executor(), serve(std::move(socket)), asio::detached);
        }
    }
    static asio::awaitable<void> serve(tcp::socket socket) {
        const accept_options options;
        auto accepted = co_await co_accept(socket, options);
        if (accepted.ec)
            co_return;
        websocket::stream<tcp::socket> ws(std::move(socket), ws::role::server, {}, accepted.leftover);
        std::string message;
        for (;;) {
            auto r = co_await ws.co_read(message);
            if (!r)
                co_return;
            auto ec = co_await ws.co_write(std::as_bytes(std::span(message.data(), message.size())), r->type);
            if (ec)
                co_return;
        }
    }
    tcp::acceptor acceptor_;
};

/// A CONNECT proxy that relays to the requested host:port. With `user`/`password` set it answers
/// requests without the right Basic credentials with 407 (closing the connection when
/// `close_on_407`). Records every request head.
class relay_proxy {
public:
    relay_proxy(asio::io_context& io, std::string user = {}, std::string password = {}, bool close_on_407 = false)
        : acceptor_(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0))
        , expected_(user.empty() ? std::string{} : proxy::basic_authorization({user, password}))
        , close_on_407_(close_on_407) {
        asio::co_spawn(io, accept_loop(), asio::detached);
    }
    std::uint16_t port() const { return acceptor_.local_endpoint().port(); }
    std::string url() const { return "http://127.0.0.1:" + std::to_string(port()); }
    std::vector<std::string> requests;
    unsigned connections = 0;

private:
    asio::awaitable<void> accept_loop() {
        for (;;) {
            auto [ec, socket] = co_await acceptor_.async_accept(asio::as_tuple(asio::use_awaitable));
            if (ec)
                co_return;
            ++connections;
            asio::co_spawn(acceptor_.get_executor(), serve(std::move(socket)), asio::detached);
        }
    }

    asio::awaitable<void> serve(tcp::socket client) {
        using asio::as_tuple;
        using asio::use_awaitable;
        asio::streambuf in;
        for (;;) {
            auto [ec, n] = co_await asio::async_read_until(client, in, "\r\n\r\n", as_tuple(use_awaitable));
            if (ec)
                co_return;
            std::string head(asio::buffers_begin(in.data()), asio::buffers_begin(in.data()) + static_cast<std::ptrdiff_t>(n));
            in.consume(n);
            requests.push_back(head);
            if (!expected_.empty() && head.find("Proxy-Authorization: " + expected_ + "\r\n") == std::string::npos) {
                const std::string reply = std::string("HTTP/1.1 407 Proxy Authentication Required\r\n") +
                                          "Proxy-Authenticate: Basic realm=\"test\"\r\nContent-Length: 0\r\n" +
                                          (close_on_407_ ? "Connection: close\r\n" : "") + "\r\n";
                co_await asio::async_write(client, asio::buffer(reply), as_tuple(use_awaitable));
                if (close_on_407_)
                    co_return;
                continue;
            }
            // "CONNECT host:port HTTP/1.1"
            const auto target = head.substr(8, head.find(' ', 8) - 8);
            const auto colon = target.rfind(':');
            tcp::resolver resolver(client.get_executor());
            auto [rec, results] = co_await resolver.async_resolve(target.substr(0, colon), target.substr(colon + 1),
                                                                  as_tuple(use_awaitable));
            tcp::socket server(client.get_executor());
            boost::system::error_code cec = rec;
            if (!rec)
                std::tie(cec) = co_await server.async_connect(results.begin()->endpoint(), as_tuple(use_awaitable));
            if (cec) {
                const std::string reply = "HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n";
                co_await asio::async_write(client, asio::buffer(reply), as_tuple(use_awaitable));
                co_return;
            }
            const std::string ok = "HTTP/1.1 200 Connection established\r\n\r\n";
            co_await asio::async_write(client, asio::buffer(ok), as_tuple(use_awaitable));
            using namespace asio::experimental::awaitable_operators;
            co_await (pump(client, server, &in) || pump(server, client, nullptr));
            co_return;
        }
    }

    static asio::awaitable<void> pump(tcp::socket& from, tcp::socket& to, asio::streambuf* buffered) {
        using asio::as_tuple;
        using asio::use_awaitable;
        if (buffered && buffered->size() > 0) {
            co_await asio::async_write(to, buffered->data(), as_tuple(use_awaitable));
            buffered->consume(buffered->size());
        }
        std::array<char, 4096> data;
        for (;;) {
            auto [ec, n] = co_await from.async_read_some(asio::buffer(data), as_tuple(use_awaitable));
            if (ec) {
                boost::system::error_code ignored;
                to.shutdown(tcp::socket::shutdown_send, ignored);
                co_return;
            }
            auto [wec, w] = co_await asio::async_write(to, asio::buffer(data.data(), n), as_tuple(use_awaitable));
            if (wec)
                co_return;
        }
    }

    tcp::acceptor acceptor_;
    std::string expected_;
    bool close_on_407_;
};

/// Accepts connections and never says anything (a server or a proxy that hangs).
class silent_server {
public:
    explicit silent_server(asio::io_context& io) : acceptor_(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)) {
        asio::co_spawn(io, accept_loop(), asio::detached);
    }
    std::uint16_t port() const { return acceptor_.local_endpoint().port(); }

private:
    asio::awaitable<void> accept_loop() {
        for (;;) {
            auto [ec, socket] = co_await acceptor_.async_accept(asio::as_tuple(asio::use_awaitable));
            if (ec)
                co_return;
            held_.push_back(std::make_unique<tcp::socket>(std::move(socket)));
        }
    }
    tcp::acceptor acceptor_;
    std::vector<std::unique_ptr<tcp::socket>> held_;
};

/// A port on 127.0.0.1 where nothing listens (bound, then closed).
inline std::uint16_t closed_port(asio::io_context& io) {
    tcp::acceptor a(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    const auto port = a.local_endpoint().port();
    a.close();
    return port;
}

} // namespace burrow::test
