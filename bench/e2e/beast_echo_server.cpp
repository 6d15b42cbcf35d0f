// Boost.Beast's echo server for the e2e race, written the way Beast's own coroutine examples are
// (websocket::stream, flat_buffer, async_read then async_write), on a single-threaded io_context
// with the concurrency hint 1, like burrow's. Two settings give Beast its best case: the stream
// sits on a plain tcp::socket (no tcp_stream timers) and auto-fragmenting is off (by default Beast
// splits written messages into 4 KiB frames).
#include "server_main.hpp"

#include <boost/asio/as_tuple.hpp>
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

} // namespace

int main(int argc, char** argv) { return burrow::e2e::serve(argc, argv, "beast-e2e-echo", session); }
