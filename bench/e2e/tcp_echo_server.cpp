// The physical baseline of the e2e race: a plain TCP echo (no WebSocket at all) with a 64 KiB
// buffer: whatever arrives is written back. burrow-bench drives it with a tcp:// URL.
#include "server_main.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <array>

namespace asio = boost::asio;
using asio::ip::tcp;

namespace {

asio::awaitable<void> session(tcp::socket socket) {
    socket.set_option(tcp::no_delay(true));
    std::array<char, 64 * 1024> buffer;
    for (;;) {
        auto [read_ec, n] = co_await socket.async_read_some(asio::buffer(buffer), asio::as_tuple(asio::use_awaitable));
        if (read_ec)
            co_return;
        auto [write_ec, m] = co_await asio::async_write(socket, asio::buffer(buffer.data(), n), asio::as_tuple(asio::use_awaitable));
        if (write_ec)
            co_return;
    }
}

} // namespace

int main(int argc, char** argv) { return burrow::e2e::serve(argc, argv, "tcp-e2e-echo", session); }
