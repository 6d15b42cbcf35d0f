// A WebSocket echo server: every message comes back whole, as it came (text as text, binary as
// binary); pings are answered, the close handshake is completed with the peer's code.
//
//   echo_server --port 9001                 # binds 127.0.0.1
//   echo_server --host 0.0.0.0 --port 9001 --subprotocol chat
//
// One coroutine per connection on a single-threaded io_context.
#include <burrow/asio/handshake.hpp>
#include <burrow/asio/stream.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>

#include <CLI/CLI.hpp>

#include <iostream>

namespace asio = boost::asio;
using asio::ip::tcp;

namespace {

struct server_settings {
    std::vector<std::string> subprotocols;
    burrow::websocket::stream_options stream;
};

asio::awaitable<void> session(tcp::socket socket, const server_settings& settings) {
    socket.set_option(tcp::no_delay(true));
    burrow::accept_options options;
    options.subprotocols = settings.subprotocols;
    auto accepted = co_await burrow::co_accept(socket, options);
    if (!accepted)
        co_return;
    burrow::websocket::stream<tcp::socket> ws(std::move(socket), burrow::ws::role::server, settings.stream,
                                              accepted.leftover);
    std::vector<std::byte> message;
    for (;;) {
        auto info = co_await ws.co_read(message);
        if (!info)
            co_return;  // closed by the peer, or failed (the stream sent the right close code)
        if (auto ec = co_await ws.co_write(message, info->type))
            co_return;
    }
}

asio::awaitable<void> accept_loop(tcp::acceptor& acceptor, const server_settings& settings) {
    for (;;) {
        auto [ec, socket] = co_await acceptor.async_accept(asio::as_tuple(asio::use_awaitable));
        if (ec) {
            if (ec == asio::error::operation_aborted)
                co_return;
            continue;  // a failed accept (e.g. too many files) must not stop the server
        }
        asio::co_spawn(acceptor.get_executor(), session(std::move(socket), settings), asio::detached);
    }
}

} // namespace

int main(int argc, char** argv) {
    CLI::App app{"burrow echo server: echoes every WebSocket message back, whole and as it came"};
    std::string host = "127.0.0.1";
    std::uint16_t port = 9001;
    server_settings settings;
    app.add_option("--host", host, "address to listen on")->capture_default_str();
    app.add_option("--port", port, "port to listen on (0: any free port)")->capture_default_str();
    app.add_option("--subprotocol", settings.subprotocols, "subprotocol to accept (repeatable); the first the client offers wins");
    app.add_option("--max-message-size", settings.stream.max_message_size, "largest message accepted, in bytes")
        ->capture_default_str();
    CLI11_PARSE(app, argc, argv);

    try {
        asio::io_context io(1);
        tcp::acceptor acceptor(io, tcp::endpoint(asio::ip::make_address(host), port));
        std::cout << "listening on " << host << ":" << acceptor.local_endpoint().port() << std::endl;
        asio::signal_set signals(io, SIGINT, SIGTERM);
        signals.async_wait([&](auto, int) { io.stop(); });
        asio::co_spawn(io, accept_loop(acceptor, settings), asio::detached);
        io.run();
    } catch (const std::exception& e) {
        std::cerr << "echo_server: " << e.what() << "\n";
        return 1;
    }
    return 0;
}
