// A WebSocket echo service, reusable over any stream: every message comes back whole and as it
// came (text as text, binary as binary); pings are answered and the close handshake completed by
// burrow::websocket::stream. Header-only; used by examples/echo_server.cpp, the example tests and
// the in-process demo (scripts/demo.sh).
//
// Three levels, pick the one that fits:
//   - co_echo_messages(ws): echo on an open WebSocket until it ends;
//   - co_echo_session(stream, options): the server handshake (co_accept) on a connected stream,
//     then the echo; works for TCP sockets, TLS streams, anything with async_read_some/write_some;
//   - echo_server: a listener on 127.0.0.1 (any free port by default) that runs co_echo_session
//     for every connection, for programs and tests that want an echo peer in-process:
//
//       burrow::examples::echo_server echo(io.get_executor(), {});
//       echo.start();   // ws://127.0.0.1:<echo.port()>/
//
// Threading: like connect_proxy_server, an echo_server runs on one executor that does not run
// handlers concurrently (a single-threaded io_context or a strand).
#pragma once

#include <burrow/asio/handshake.hpp>
#include <burrow/asio/stream.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <unordered_set>
#include <utility>
#include <vector>

namespace burrow::examples {

struct echo_options {
    /// Subprotocols accepted; the first one the client offers that is listed here wins.
    std::vector<std::string> subprotocols;
    /// Options of the WebSocket stream (message size limit, keepalive, ...).
    websocket::stream_options stream;
};

/// What an echo session ended with.
struct echo_result {
    boost::system::error_code ec;  ///< error::closed after a clean close by the peer
    std::size_t messages = 0;      ///< messages echoed
};

/// Echoes every message on `ws` until the peer closes or the connection fails. The stream sends
/// the right Close itself on a protocol error; nothing is left for the caller to do. The echoes
/// of a burst (messages the peer sent before reading) go out in one write: while more input is
/// already received, the stream is corked and an echo only queued; the last echo of the burst
/// carries the queue.
template <class NextLayer>
boost::asio::awaitable<echo_result> co_echo_messages(websocket::stream<NextLayer>& ws) {
    echo_result result;
    std::vector<std::byte> message;  // its capacity is reused: no allocation per message once warm
    for (;;) {
        auto info = co_await ws.co_read(message);
        if (!info) {
            result.ec = info.error();
            co_return result;
        }
        if (ws.input_pending())
            ws.cork();
        else
            ws.uncork();
        if (auto ec = co_await ws.co_write(message, info->type)) {
            result.ec = ec;
            co_return result;
        }
        ++result.messages;
    }
}

namespace detail::echo {

template <class AsyncStream>
boost::asio::awaitable<echo_result> co_echo_session_impl(AsyncStream stream, echo_options options) {
    accept_options accept;
    accept.subprotocols = options.subprotocols;
    auto accepted = co_await co_accept(stream, accept);
    if (!accepted)
        co_return echo_result{accepted.ec, 0};
    websocket::stream<AsyncStream> ws(std::move(stream), ws::role::server, options.stream, accepted.leftover);
    co_return co_await co_echo_messages(ws);
}

template <class AsyncStream>
boost::asio::awaitable<echo_result> co_echo_upgraded_impl(AsyncStream stream, std::string request_head,
                                                          std::vector<std::byte> rest, echo_options options) {
    accept_options accept;
    accept.subprotocols = options.subprotocols;
    auto accepted = co_await co_accept(stream, request_head, rest, accept);
    if (!accepted)
        co_return echo_result{accepted.ec, 0};
    websocket::stream<AsyncStream> ws(std::move(stream), ws::role::server, options.stream, accepted.leftover);
    co_return co_await co_echo_messages(ws);
}

} // namespace detail::echo

/// Reads the upgrade request from `stream` (taken over), answers it, then echoes until the end.
/// A refused upgrade ends with the handshake's error (the refusal was sent to the client).
template <class AsyncStream>
boost::asio::awaitable<echo_result> co_echo_session(AsyncStream stream, const echo_options& options) {
    return detail::echo::co_echo_session_impl(std::move(stream), options);
}

/// The same for an HTTP server that has already read the request: `request_head` is the head it
/// read (start line to blank line), `rest` the bytes it read after it (see co_accept).
template <class AsyncStream>
boost::asio::awaitable<echo_result> co_echo_session(AsyncStream stream, std::string_view request_head,
                                                    const std::vector<std::byte>& rest, const echo_options& options) {
    return detail::echo::co_echo_upgraded_impl(std::move(stream), std::string(request_head), rest, options);
}

/// A WebSocket echo server on a TCP port: every connection is upgraded on any path and echoed.
class echo_server {
public:
    /// Binds `host`:`port` at once (throws boost::system::system_error when it cannot: a setup
    /// error); serves after start().
    echo_server(const boost::asio::any_io_executor& executor, const echo_options& options,
                const std::string& host, std::uint16_t port)
        : state_(std::make_shared<state>(executor, options)) {
        using boost::asio::ip::tcp;
        const tcp::endpoint endpoint(boost::asio::ip::make_address(host), port);
        state_->acceptor.open(endpoint.protocol());
        state_->acceptor.set_option(tcp::acceptor::reuse_address(true));
        state_->acceptor.bind(endpoint);
        state_->acceptor.listen();
    }

    /// On 127.0.0.1, any free port.
    echo_server(const boost::asio::any_io_executor& executor, const echo_options& options)
        : echo_server(executor, options, "127.0.0.1", 0) {}

    echo_server(const echo_server&) = delete;
    echo_server& operator=(const echo_server&) = delete;
    ~echo_server() { stop(); }

    /// Starts accepting connections.
    void start() {
        boost::asio::co_spawn(state_->acceptor.get_executor(), accept_loop(state_), boost::asio::detached);
    }

    /// Stops accepting and closes every connection. Call it from the server's executor.
    void stop() {
        boost::system::error_code ignored;
        state_->acceptor.close(ignored);
        for (auto* socket : state_->sockets)
            socket->close(ignored);
    }

    /// The port listened on.
    std::uint16_t port() const { return state_->acceptor.local_endpoint().port(); }

    /// "ws://127.0.0.1:PORT/".
    std::string url() const {
        const auto endpoint = state_->acceptor.local_endpoint();
        const auto address = endpoint.address();
        const std::string host = address.is_v6() ? "[" + address.to_string() + "]" : address.to_string();
        return "ws://" + host + ":" + std::to_string(endpoint.port()) + "/";
    }

    /// Messages echoed by the connections that have ended.
    std::size_t messages() const noexcept { return state_->messages; }

private:
    using tcp = boost::asio::ip::tcp;

    struct state {
        state(const boost::asio::any_io_executor& ex, const echo_options& opts) : acceptor(ex), options(opts) {}
        tcp::acceptor acceptor;
        echo_options options;
        std::unordered_set<tcp::socket*> sockets;  // sockets in handshake or echo, closed by stop()
        std::size_t messages = 0;
    };

    // While upgraded, the socket lives inside the websocket::stream; it is registered through the
    // stream's next_layer() then.
    static boost::asio::awaitable<void> session(std::shared_ptr<state> st, tcp::socket socket) {
        boost::system::error_code ignored;
        socket.set_option(tcp::no_delay(true), ignored);
        st->sockets.insert(&socket);
        accept_options accept;
        accept.subprotocols = st->options.subprotocols;
        auto accepted = co_await co_accept(socket, accept);
        st->sockets.erase(&socket);
        if (!accepted)
            co_return;
        websocket::stream<tcp::socket> ws(std::move(socket), ws::role::server, st->options.stream, accepted.leftover);
        st->sockets.insert(&ws.next_layer());
        auto result = co_await co_echo_messages(ws);
        st->sockets.erase(&ws.next_layer());
        st->messages += result.messages;
    }

    static boost::asio::awaitable<void> accept_loop(std::shared_ptr<state> st) {
        for (;;) {
            auto [ec, socket] = co_await st->acceptor.async_accept(boost::asio::as_tuple(boost::asio::use_awaitable));
            if (ec == boost::asio::error::operation_aborted || !st->acceptor.is_open())
                co_return;
            if (ec)
                continue;
            boost::asio::co_spawn(st->acceptor.get_executor(), session(st, std::move(socket)), boost::asio::detached);
        }
    }

    std::shared_ptr<state> state_;
};

} // namespace burrow::examples
