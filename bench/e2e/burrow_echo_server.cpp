// burrow's echo server for the e2e race, on a single-threaded io_context (concurrency hint 1):
// every message read whole and written back as it came. Deliberately minimal and independent of
// examples/echo_server (which may grow features).
//
// Connections are upgraded and served by websocket::parked_server: an idle connection keeps no
// coroutine and no read buffer, only its stream and a readiness wait (the idle-memory row of the
// race), and a connection waiting for its upgrade request only its socket and a wait; a worker
// coroutine reads and echoes while bytes are there. The sockets use the io_context's own
// executor type (8 bytes, no type-erased executor in every socket and pending operation).
#include "server_main.hpp"

#include <burrow/asio/parked_server.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

namespace asio = boost::asio;
using asio::ip::tcp;
using socket_type = asio::basic_stream_socket<tcp, asio::io_context::executor_type>;
using echo_server = burrow::websocket::parked_server<socket_type>;

namespace {

asio::awaitable<void> echo(const echo_server::connection_ptr& c, burrow::websocket::message_view m) {
    (void)co_await c->ws().co_write(m.payload, m.type);  // a failed write ends the connection
}

asio::awaitable<void> accept_loop(tcp::acceptor& acceptor, echo_server& server, asio::io_context::executor_type ex) {
    for (;;) {
        auto [ec, socket] = co_await acceptor.async_accept(ex, asio::as_tuple(asio::use_awaitable));
        if (ec)
            continue;
        socket.set_option(tcp::no_delay(true), ec);
        server.accept(std::move(socket));  // parked until the upgrade request arrives
    }
}

} // namespace

int main(int argc, char** argv) {
    const auto where = burrow::e2e::parse_listen_args(argc, argv, "burrow-e2e-echo");
    asio::io_context io(1);
    tcp::acceptor acceptor(io, tcp::endpoint(asio::ip::make_address(where.host), where.port));
    echo_server server(io.get_executor(), echo);
    burrow::e2e::announce(where, acceptor.local_endpoint().port());
    asio::co_spawn(io, accept_loop(acceptor, server, io.get_executor()), asio::detached);
    io.run();
}
