// burrow's echo server for the e2e race: one coroutine per connection on a single-threaded
// io_context (concurrency hint 1), every message read whole and written back as it came.
// Deliberately minimal and independent of examples/echo_server (which may grow features).
#include "server_main.hpp"

#include <burrow/asio/handshake.hpp>
#include <burrow/asio/stream.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

namespace asio = boost::asio;
using asio::ip::tcp;

namespace {

asio::awaitable<void> session(tcp::socket socket) {
    socket.set_option(tcp::no_delay(true));
    auto accepted = co_await burrow::co_accept(socket);
    if (!accepted)
        co_return;
    burrow::websocket::stream<tcp::socket> ws(std::move(socket), burrow::ws::role::server, {}, accepted.leftover);
    std::vector<std::byte> message;
    for (;;) {
        auto info = co_await ws.co_read(message);
        if (!info)
            co_return;
        if (co_await ws.co_write(message, info->type))
            co_return;
    }
}

asio::awaitable<void> accept_loop(tcp::acceptor& acceptor) {
    for (;;) {
        auto [ec, socket] = co_await acceptor.async_accept(asio::as_tuple(asio::use_awaitable));
        if (!ec)
            asio::co_spawn(acceptor.get_executor(), session(std::move(socket)), asio::detached);
    }
}

} // namespace

int main(int argc, char** argv) {
    const auto where = burrow::e2e::parse_listen_args(argc, argv, "burrow-e2e-echo");
    asio::io_context io(1);
    tcp::acceptor acceptor(io, tcp::endpoint(asio::ip::make_address(where.host), where.port));
    burrow::e2e::announce(where, acceptor.local_endpoint().port());
    asio::co_spawn(io, accept_loop(acceptor), asio::detached);
    io.run();
}
