// burrow's echo server for the e2e race, on a single-threaded io_context (concurrency hint 1):
// every message read whole and written back as it came. Deliberately minimal and independent of
// examples/echo_server (which may grow features).
//
// Connections are upgraded and served by websocket::parked_server: an idle connection keeps no
// coroutine and no read buffer, only its stream and a readiness wait (the idle-memory row of the
// race), and a connection waiting for its upgrade request only its socket and a wait; a worker
// coroutine reads and echoes while bytes are there. The sockets use the io_context's own
// executor type (8 bytes, no type-erased executor in every socket and pending operation).
//
// --blocking-sockets (io_uring builds, asio_backend=io_uring): parked_server puts sockets in
// non-blocking mode so the stream reads and writes at once with recv/send system calls; this
// option puts each socket back into blocking mode once upgraded, so the stream's reads and writes
// become asynchronous operations, which Asio's io_uring backend submits as ring operations
// (recvmsg/sendmsg), batched across connections into a few io_uring_enter calls. On epoll it
// only adds work (every read then goes through the reactor).
//
// Writes are batched (parked_server_options::batch_writes, stream::cork): the echoes of all the
// messages one read brought go out in one write. With one message in flight per connection that
// changes nothing; with a client that pipelines, it is one send per read instead of one per
// message. --no-batch-writes turns it off (the A/B of the pipelined table).
#include "server_main.hpp"

#include <burrow/asio/parked_server.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <cstring>

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
    bool blocking_sockets = false;
    bool batch_writes = true;
    int kept = 1;  // argv without our own options, for the common parser
    for (int i = 1; i < argc; ++i) {
        if (std::strcmp(argv[i], "--blocking-sockets") == 0)
            blocking_sockets = true;
        else if (std::strcmp(argv[i], "--no-batch-writes") == 0)
            batch_writes = false;
        else
            argv[kept++] = argv[i];
    }
    const auto where = burrow::e2e::parse_listen_args(kept, argv, "burrow-e2e-echo");
    asio::io_context io(1);
    tcp::acceptor acceptor(io, tcp::endpoint(asio::ip::make_address(where.host), where.port));
    echo_server::options_type options;
    options.batch_writes = batch_writes;
    if (blocking_sockets) {
        options.on_open = [](const echo_server::connection_ptr& c, const burrow::accept_result&) {
            boost::system::error_code ignored;
            c->ws().next_layer().non_blocking(false, ignored);
        };
    }
    echo_server server(io.get_executor(), echo, {}, options);
    burrow::e2e::announce(where, acceptor.local_endpoint().port());
    asio::co_spawn(io, accept_loop(acceptor, server, io.get_executor()), asio::detached);
    io.run();
}
