// A WebSocket echo client: connects to a URL (directly or through a proxy) and sends every message
// it receives straight back, until the server closes. Exit status 0 after a clean close handshake.
//
//   echo_client ws://127.0.0.1:9001/
//   echo_client --proxy http://alice:s3cret@proxy.corp:3128 ws://echo.example/
#include <burrow/asio/connect_via_proxy.hpp>
#include <burrow/asio/handshake.hpp>
#include <burrow/asio/stream.hpp>
#include <burrow/proxy/proxy_url.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <CLI/CLI.hpp>

#include <iostream>

namespace asio = boost::asio;
using asio::ip::tcp;

namespace {

struct client_settings {
    std::string url;
    std::string proxy;
    std::vector<std::string> subprotocols;
    burrow::websocket::stream_options stream;
};

// Returns the process exit status.
asio::awaitable<int> run(const client_settings& settings) {
    auto url = burrow::ws::parse_ws_url(settings.url);
    if (!url) {
        std::cerr << "echo_client: " << settings.url << ": " << url.error().message() << "\n";
        co_return 2;
    }
    if (url->secure) {
        std::cerr << "echo_client: wss:// needs TLS, which this build does not have yet\n";
        co_return 2;
    }
    tcp::socket socket(co_await asio::this_coro::executor);
    std::vector<std::byte> leftover;
    if (!settings.proxy.empty()) {
        auto proxy = burrow::proxy::parse_proxy_url(settings.proxy);
        if (!proxy) {
            std::cerr << "echo_client: --proxy " << settings.proxy << ": " << proxy.error().message() << "\n";
            co_return 2;
        }
        auto tunnel = co_await burrow::co_connect_via_proxy(socket, *proxy, url->host, url->port);
        if (!tunnel) {
            std::cerr << "echo_client: " << tunnel.message() << "\n";
            co_return 3;
        }
        const auto* p = reinterpret_cast<const std::byte*>(tunnel.leftover.data());
        leftover.assign(p, p + tunnel.leftover.size());
    } else {
        tcp::resolver resolver(socket.get_executor());
        const std::string port = std::to_string(url->port);  // named: see README, "GCC 12.2 and co_await"
        auto [rec, endpoints] = co_await resolver.async_resolve(url->host, port, asio::as_tuple(asio::use_awaitable));
        if (rec) {
            std::cerr << "echo_client: cannot resolve " << url->host << ": " << rec.message() << "\n";
            co_return 3;
        }
        auto [cec, endpoint] = co_await asio::async_connect(socket, endpoints, asio::as_tuple(asio::use_awaitable));
        if (cec) {
            std::cerr << "echo_client: cannot connect to " << url->host << ":" << url->port << ": " << cec.message() << "\n";
            co_return 3;
        }
    }
    socket.set_option(tcp::no_delay(true));

    burrow::handshake_options options;
    options.request.subprotocols = settings.subprotocols;
    auto upgraded = co_await burrow::co_handshake(socket, *url, options, std::move(leftover));
    if (!upgraded) {
        std::cerr << "echo_client: " << upgraded.message() << "\n";
        co_return 4;
    }
    if (!upgraded.agreement.subprotocol.empty())
        std::cout << "subprotocol: " << upgraded.agreement.subprotocol << std::endl;

    burrow::websocket::stream<tcp::socket> ws(std::move(socket), burrow::ws::role::client, settings.stream,
                                              upgraded.leftover);
    std::vector<std::byte> message;
    for (;;) {
        auto info = co_await ws.co_read(message);
        if (!info) {
            if (info.error() == burrow::error::closed)
                co_return 0;
            std::cerr << "echo_client: " << info.error().message() << "\n";
            co_return 5;
        }
        if (auto ec = co_await ws.co_write(message, info->type)) {
            std::cerr << "echo_client: write: " << ec.message() << "\n";
            co_return 5;
        }
    }
}

} // namespace

int main(int argc, char** argv) {
    CLI::App app{"burrow echo client: echoes every message the server sends until it closes"};
    client_settings settings;
    app.add_option("url", settings.url, "ws:// URL to connect to")->required();
    app.add_option("--proxy", settings.proxy, "proxy URL: http://[user:password@]host:port, socks5://, socks5h://");
    app.add_option("--subprotocol", settings.subprotocols, "subprotocol to offer (repeatable)");
    app.add_option("--max-message-size", settings.stream.max_message_size, "largest message accepted, in bytes")
        ->capture_default_str();
    CLI11_PARSE(app, argc, argv);

    asio::io_context io(1);
    int status = 1;
    asio::co_spawn(io, run(settings), [&](std::exception_ptr e, int s) {
        if (e) {
            try {
                std::rethrow_exception(e);
            } catch (const std::exception& x) {
                std::cerr << "echo_client: " << x.what() << "\n";
            }
            status = 1;
        } else {
            status = s;
        }
    });
    io.run();
    return status;
}
