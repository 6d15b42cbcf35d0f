// A misbehaving proxy on 127.0.0.1 for tests: each accepted connection follows a script of
// replies (one per request head received), delivered whole or a byte at a time, after which the
// connection is kept for the next request, closed, left silent, or turned into an echo "tunnel".
#pragma once

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

namespace burrow::test {

namespace asio = boost::asio;
using asio::ip::tcp;

enum class then { next_request, close, silence, echo };

struct reply_step {
    std::string bytes;       ///< sent after a request head arrives ("" = send nothing)
    then after = then::next_request;
    bool bytewise = false;   ///< one byte per write, with a short pause between
    bool before_request = false;  ///< send as soon as the connection is accepted, without reading
};

using connection_script = std::vector<reply_step>;

class scripted_proxy {
public:
    scripted_proxy(asio::io_context& io, std::vector<connection_script> scripts)
        : acceptor_(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)), scripts_(std::move(scripts)) {
        asio::co_spawn(io, accept_loop(), asio::detached);
    }

    std::uint16_t port() const { return acceptor_.local_endpoint().port(); }
    std::string url() const { return "http://127.0.0.1:" + std::to_string(port()); }

    /// Every request head received, in order, with the index of its connection.
    std::vector<std::pair<std::size_t, std::string>> requests;
    std::size_t connections = 0;

    void stop() {
        boost::system::error_code ignored;
        acceptor_.close(ignored);
        for (auto& s : open_)
            if (auto p = s.lock())
                p->close(ignored);
    }

private:
    asio::awaitable<void> accept_loop() {
        for (;;) {
            auto [ec, socket] = co_await acceptor_.async_accept(asio::as_tuple(asio::use_awaitable));
            if (ec)
                co_return;
            const std::size_t index = connections++;
            auto shared = std::make_shared<tcp::socket>(std::move(socket));
            open_.push_back(shared);
            asio::co_spawn(acceptor_.get_executor(), serve(shared, index), asio::detached);
        }
    }

    asio::awaitable<void> serve(std::shared_ptr<tcp::socket> socket, std::size_t index) {
        using asio::as_tuple;
        using asio::use_awaitable;
        if (index >= scripts_.size())
            co_return;  // no script: close at once
        asio::streambuf in;
        for (const auto& step : scripts_[index]) {
            if (!step.before_request) {
                auto [ec, n] = co_await asio::async_read_until(*socket, in, "\r\n\r\n", as_tuple(use_awaitable));
                if (ec)
                    co_return;
                std::string head(asio::buffers_begin(in.data()), asio::buffers_begin(in.data()) + static_cast<std::ptrdiff_t>(n));
                in.consume(n);
                requests.emplace_back(index, head);
            }
            if (step.bytewise) {
                asio::steady_timer pause(socket->get_executor());
                for (char c : step.bytes) {
                    auto [ec, n] = co_await asio::async_write(*socket, asio::buffer(&c, 1), as_tuple(use_awaitable));
                    if (ec)
                        co_return;
                    pause.expires_after(std::chrono::milliseconds(1));
                    co_await pause.async_wait(as_tuple(use_awaitable));
                }
            } else if (!step.bytes.empty()) {
                auto [ec, n] = co_await asio::async_write(*socket, asio::buffer(step.bytes), as_tuple(use_awaitable));
                if (ec)
                    co_return;
            }
            switch (step.after) {
            case then::next_request: break;
            case then::close: socket->close(); co_return;
            case then::silence: {
                // Keep the connection open and say nothing until the peer goes away.
                char sink[256];
                for (;;) {
                    auto [ec, n] = co_await socket->async_read_some(asio::buffer(sink), as_tuple(use_awaitable));
                    if (ec)
                        co_return;
                }
            }
            case then::echo: {
                // The tunnel: echo every byte, starting with any already buffered.
                if (in.size() > 0) {
                    auto [ec, n] = co_await asio::async_write(*socket, in.data(), as_tuple(use_awaitable));
                    if (ec)
                        co_return;
                    in.consume(in.size());
                }
                char data[4096];
                for (;;) {
                    auto [ec, n] = co_await socket->async_read_some(asio::buffer(data), as_tuple(use_awaitable));
                    if (ec)
                        co_return;
                    auto [wec, w] = co_await asio::async_write(*socket, asio::buffer(data, n), as_tuple(use_awaitable));
                    if (wec)
                        co_return;
                }
            }
            }
        }
    }

    tcp::acceptor acceptor_;
    std::vector<connection_script> scripts_;
    std::vector<std::weak_ptr<tcp::socket>> open_;
};

} // namespace burrow::test
