// The seed scenario: connect to a WebSocket server through a proxy with burrow::connect, send one
// message, print every message that comes back, close.
//
//   echo_via_proxy ws://echo.example/ --proxy http://alice:s3cret@proxy.corp:3128
//   echo_via_proxy wss://echo.example/ --proxy https://proxy.corp:443 --message hello --count 2
//   https_proxy=http://proxy.corp:3128 echo_via_proxy wss://echo.example/   # proxy from the environment
//
// Without --proxy the environment decides (ws_proxy, http_proxy, https_proxy, all_proxy,
// no_proxy; see the README). Exit status 0 after a clean close, 1 when anything failed (the
// reason is printed: which phase, what the proxy or the server said, and a hint).
#include <burrow/asio/connect.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include <CLI/CLI.hpp>

#include <iostream>
#include <string>

namespace asio = boost::asio;

namespace {

struct settings {
    std::string url;
    std::string proxy;
    std::string message = "test message";
    int count = 1;  // how many messages to print before closing
};

asio::awaitable<int> run(const settings& s) {
    // The short form: the braces build a burrow::connect_args (see connect.hpp for the rest).
    auto ws = co_await burrow::connect(s.url, {.proxy = s.proxy});
    if (!ws) {
        std::cerr << ws.error_message() << "\n";
        co_return 1;
    }
    std::cerr << "connected: " << ws.report().proxy_explanation << "\n";

    if (auto ec = co_await ws.co_write_text(s.message)) {
        std::cerr << "sending failed: " << ec.message() << "\n";
        co_return 1;
    }
    for (int i = 0; i < s.count; ++i) {
        auto msg = co_await ws.co_read();
        if (!msg) {  // the server closed, or the connection failed
            std::cerr << "reading failed: " << msg.error().message() << "\n";
            co_return 1;
        }
        std::cout << (msg->is_text() ? msg->data : "<" + std::to_string(msg->data.size()) + " bytes>") << std::endl;
    }
    if (auto ec = co_await ws.co_close()) {
        std::cerr << "the close handshake failed: " << ec.message() << "\n";
        co_return 1;
    }
    co_return 0;
}

} // namespace

int main(int argc, char** argv) {
    settings s;
    CLI::App app{"Connect through a proxy, send one message, print what comes back, close"};
    app.add_option("url", s.url, "ws:// or wss:// URL")->required();
    app.add_option("--proxy", s.proxy,
                   "proxy URL: http://[user:password@]host:port, https://, socks5://, socks5h:// "
                   "(default: from the environment)");
    app.add_option("--message", s.message, "the text message to send")->capture_default_str();
    app.add_option("--count", s.count, "how many messages to print before closing")
        ->check(CLI::PositiveNumber)
        ->capture_default_str();
    CLI11_PARSE(app, argc, argv);

    asio::io_context io(1);
    int status = 1;
    asio::co_spawn(io, run(s), [&](std::exception_ptr e, int result) {
        if (e) {
            try {
                std::rethrow_exception(e);
            } catch (const std::exception& x) {
                std::cerr << "echo_via_proxy: " << x.what() << "\n";
            }
        } else {
            status = result;
        }
    });
    io.run();
    return status;
}
