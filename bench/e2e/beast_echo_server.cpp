// Boost.Beast's echo server for the e2e race, written the way Beast's own coroutine examples are
// (websocket::stream, flat_buffer, async_read then async_write), on a single-threaded io_context
// with the concurrency hint 1, like burrow's. Two settings give Beast its best case: the stream
// sits on a plain tcp::socket (no tcp_stream timers) and auto-fragmenting is off (by default Beast
// splits written messages into 4 KiB frames).
#include "server_main.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/websocket.hpp>

namespace asio = boost::asio;
namespace websocket = boost::beast::websocket;
using asio::ip::tcp;

namespace {

asio::awaitable<void> session(tcp::socket socket) {
    socket.set_option(tcp::no_delay(true));
    websocket::stream<tcp::socket> ws(std::move(socket));
    ws.auto_fragment(false);
    ws.read_message_max(64 * 1024 * 1024);
    auto [accept_ec] = co_await ws.async_accept(asio::as_tuple(asio::use_awaitable));
    if (accept_ec)
        co_return;
    boost::beast::flat_buffer buffer;
    for (;;) {
        auto [read_ec, n] = co_await ws.async_read(buffer, asio::as_tuple(asio::use_awaitable));
        if (read_ec)
            co_return;
        ws.text(ws.got_text());
        auto [write_ec, m] = co_await ws.async_write(buffer.data(), asio::as_tuple(asio::use_awaitable));
        if (write_ec)
            co_return;
        buffer.consume(buffer.size());
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
    const auto where = burrow::e2e::parse_listen_args(argc, argv, "beast-e2e-echo");
    asio::io_context io(1);
    tcp::acceptor acceptor(io, tcp::endpoint(asio::ip::make_address(where.host), where.port));
    burrow::e2e::announce(where, acceptor.local_endpoint().port());
    asio::co_spawn(io, accept_loop(acceptor), asio::detached);
    io.run();
}
