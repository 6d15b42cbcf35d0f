// The Beast half of the client-side comparison: the same closed-loop work as
// `burrow-bench URL --connections N --message-size S --duration T` (each connection sends one
// message, waits for its echo, sends the next; all connections start once all are up), written
// with Boost.Beast's client (auto-fragmenting off, as on the server). Prints one JSON line:
// {"messages": ..., "window_seconds": ..., "messages_per_second": ..., "connections_up": ...}.
//
//   beast-e2e-client HOST PORT CONNECTIONS MESSAGE_SIZE SECONDS [binary]
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/websocket.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

namespace asio = boost::asio;
namespace websocket = boost::beast::websocket;
using asio::ip::tcp;
using clock_type = std::chrono::steady_clock;

namespace {

struct run_state {
    tcp::endpoint target;
    std::string host;
    std::string payload;
    bool binary = false;
    std::size_t connections = 0;
    std::size_t settled = 0;
    std::size_t up = 0;
    double seconds = 0;
    clock_type::time_point end = clock_type::time_point::max();
    std::uint64_t messages = 0;
    asio::steady_timer* start = nullptr;
};

asio::awaitable<void> connection(run_state& s) {
    auto ex = co_await asio::this_coro::executor;
    websocket::stream<tcp::socket> ws(ex);
    auto [connect_ec] = co_await ws.next_layer().async_connect(s.target, asio::as_tuple(asio::use_awaitable));
    bool ok = !connect_ec;
    if (ok) {
        ws.next_layer().set_option(tcp::no_delay(true));
        ws.auto_fragment(false);
        ws.binary(s.binary);
        auto [hs_ec] = co_await ws.async_handshake(s.host, "/", asio::as_tuple(asio::use_awaitable));
        ok = !hs_ec;
    }
    s.up += ok ? 1 : 0;
    if (++s.settled == s.connections) {
        s.end = clock_type::now() + std::chrono::duration_cast<clock_type::duration>(std::chrono::duration<double>(s.seconds));
        s.start->cancel();
    } else {
        (void)co_await s.start->async_wait(asio::as_tuple(asio::use_awaitable));
    }
    if (!ok)
        co_return;
    boost::beast::flat_buffer buffer;
    while (clock_type::now() < s.end) {
        auto [write_ec, n] = co_await ws.async_write(asio::buffer(s.payload), asio::as_tuple(asio::use_awaitable));
        if (write_ec)
            co_return;
        auto [read_ec, m] = co_await ws.async_read(buffer, asio::as_tuple(asio::use_awaitable));
        if (read_ec)
            co_return;
        buffer.consume(buffer.size());
        if (clock_type::now() < s.end)
            ++s.messages;
    }
    auto [close_ec] = co_await ws.async_close(websocket::close_code::normal, asio::as_tuple(asio::use_awaitable));
    (void)close_ec;
}

} // namespace

int main(int argc, char** argv) {
    if (argc < 6) {
        std::fprintf(stderr, "usage: beast-e2e-client HOST PORT CONNECTIONS MESSAGE_SIZE SECONDS [binary]\n");
        return 2;
    }
    run_state s;
    s.host = argv[1];
    s.target = tcp::endpoint(asio::ip::make_address(argv[1]), static_cast<std::uint16_t>(std::atoi(argv[2])));
    s.connections = static_cast<std::size_t>(std::atol(argv[3]));
    s.payload.assign(static_cast<std::size_t>(std::atol(argv[4])), 'x');
    s.seconds = std::atof(argv[5]);
    s.binary = argc > 6 && std::string(argv[6]) == "binary";
    asio::io_context io(1);
    asio::steady_timer start(io, clock_type::time_point::max());
    s.start = &start;
    for (std::size_t i = 0; i < s.connections; ++i)
        asio::co_spawn(io, connection(s), asio::detached);
    io.run();
    std::printf("{\"messages\": %llu, \"window_seconds\": %g, \"messages_per_second\": %g, \"connections_up\": %zu}\n",
                static_cast<unsigned long long>(s.messages), s.seconds, static_cast<double>(s.messages) / s.seconds, s.up);
    return s.up == s.connections ? 0 : 1;
}
