// burrow-demo: the seed scenario end to end, with the traced exchange.
//
// Without a URL it builds its own small world on 127.0.0.1 in this one process: a WebSocket echo
// server and a CONNECT proxy that demands Basic credentials (both from examples/common). The
// client connects to the echo server through the proxy with burrow::connect, answers the proxy's
// 407, sends "test message", reads the echo, closes cleanly, and exits 0. With a URL (and --proxy,
// or the proxy variables of the environment) it does the same against real ones.
//
// Exit status: 0 on success; 1 when anything failed (the reason is printed).
#include "common/connect_proxy_server.hpp"
#include "common/echo_service.hpp"
#include "transcript.hpp"

#include <burrow/asio/connect.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

#include <CLI/CLI.hpp>

#include <cstdio>
#include <optional>
#include <string>

namespace asio = boost::asio;

namespace {

struct demo_settings {
    std::string url;
    std::string proxy;
    std::string message = "test message";
    double timeout_seconds = 20;
};

void say(const std::string& line) {
    std::printf("%s\n", line.c_str());
    std::fflush(stdout);
}

// The client side: the seed scenario, printing each step. Returns the exit status.
asio::awaitable<int> run_client(const demo_settings& s) {
    burrow::connect_options options;
    options.proxy = s.proxy;
    options.total_timeout = std::chrono::milliseconds(static_cast<long>(s.timeout_seconds * 1000));
    options.trace = burrow::tools::print_trace(stdout, /*heads_only=*/true);

    auto ws = co_await burrow::connect(s.url, options);
    if (!ws) {
        std::fprintf(stderr, "\n%s\n", ws.error_message().c_str());
        co_return 1;
    }
    using burrow::tools::print_block;
    using burrow::tools::preview;
    print_block(stdout, "", "--- WebSocket open (" + ws.report().proxy_explanation + ")");

    print_block(stdout, "client > server", preview(true, s.message));
    if (auto ec = co_await ws.co_write_text(s.message)) {
        std::fprintf(stderr, "sending failed: %s\n", ec.message().c_str());
        co_return 1;
    }
    auto msg = co_await ws.co_read();
    if (!msg) {
        std::fprintf(stderr, "reading the echo failed: %s\n", msg.error().message().c_str());
        co_return 1;
    }
    print_block(stdout, "server > client", preview(msg->is_text(), msg->data));

    print_block(stdout, "client > server", "close 1000 (normal)");
    const auto closed = co_await ws.co_close();
    print_block(stdout, "server > client", "close " + std::to_string(static_cast<unsigned>(ws.peer_close_code())));
    if (closed) {
        std::fprintf(stderr, "the close handshake failed: %s\n", closed.message().c_str());
        co_return 1;
    }
    std::string timings;
    for (const auto& t : ws.report().timings)
        timings += (timings.empty() ? "" : ", ") + std::string(burrow::to_string(t.phase)) + " " +
                   burrow::tools::format_ms(t.took);
    print_block(stdout, "", "--- closed cleanly. Phases: " + timings);
    if (msg->data != s.message || !msg->is_text()) {
        std::fprintf(stderr, "the echo differs from the message sent\n");
        co_return 1;
    }
    say("OK: \"" + s.message + "\" came back through the proxy.");
    co_return 0;
}

} // namespace

int main(int argc, char** argv) {
    CLI::App app{"burrow-demo: connect through an HTTP proxy (answering its 407), send one message, "
                 "read the echo, close, and print the exchange.\n"
                 "Without URL: an echo server and a CONNECT proxy with Basic auth run in this process "
                 "on 127.0.0.1."};
    demo_settings s;
    app.add_option("url", s.url, "ws:// URL of an echo server (default: the embedded one)");
    app.add_option("--proxy", s.proxy,
                   "proxy URL, e.g. http://user:password@proxy:3128 (default: the embedded proxy, or with a URL "
                   "the environment's ws_proxy/http_proxy/all_proxy)");
    app.add_option("--message", s.message, "the text to send")->capture_default_str();
    app.add_option("--timeout", s.timeout_seconds, "seconds allowed for the whole connection")->capture_default_str();
    CLI11_PARSE(app, argc, argv);

    asio::io_context io;
    std::optional<burrow::examples::echo_server> echo;
    std::optional<burrow::examples::connect_proxy_server> proxy;
    try {
        if (s.url.empty()) {
            echo.emplace(io.get_executor(), burrow::examples::echo_options{});
            echo->start();
            burrow::examples::connect_proxy_options proxy_options;
            proxy_options.basic = burrow::proxy::credentials{"demo", "demo-password"};
            proxy.emplace(io.get_executor(), proxy_options);
            proxy->start();
            s.url = "ws://127.0.0.1:" + std::to_string(echo->port()) + "/";
            if (s.proxy.empty())
                s.proxy = "http://demo:demo-password@127.0.0.1:" + std::to_string(proxy->port());
            say("burrow demo: an echo server at " + s.url + " and a CONNECT proxy with Basic auth at 127.0.0.1:" +
                std::to_string(proxy->port()) + " (user demo), both in this process.");
        }
    } catch (const boost::system::system_error& e) {
        std::fprintf(stderr, "cannot start the embedded servers: %s\n", e.what());
        return 1;
    }
    const auto shown_proxy = burrow::proxy::parse_proxy_url(s.proxy);  // never print a password
    say("connecting to " + s.url + (s.proxy.empty() ? std::string(" (proxy from the environment, if any)")
                                    : " through " + (shown_proxy ? shown_proxy->redacted() : std::string("the proxy given"))));

    int status = 1;
    asio::co_spawn(io, [&]() -> asio::awaitable<void> {
        status = co_await run_client(s);
        if (echo)
            echo->stop();
        if (proxy)
            proxy->stop();
        io.stop();
    }, asio::detached);
    io.run();
    return status;
}
