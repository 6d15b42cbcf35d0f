// A small HTTP server with a WebSocket echo endpoint, on Asio coroutines: how to embed burrow's
// upgrade in a server that also answers plain HTTP.
//
//   GET /          a small HTML page          GET /health   200 "ok"
//   GET /ws        the WebSocket echo (every message comes back whole, text as text, binary as
//                  binary; pings answered; the close handshake completed with the peer's code).
//                  An upgrade is accepted on any other path too, for clients that connect to "/".
//   other paths    404; other methods 405; /ws without an upgrade 426
//
//   echo_server --port 9001                                # binds 127.0.0.1
//   echo_server --host 0.0.0.0 --port 9001 --subprotocol chat
//   echo_server --port 9443 --cert server.pem --key server.key   # wss:// and https://
//
// The HTTP part reads each request head with burrow's http::head_parser (bounded in size and
// time), and hands a WebSocket upgrade to co_accept's embedding form: co_accept(stream, head,
// rest, options) takes the head the server already read and the bytes that came after it. Plain
// requests get a response and the connection is kept for the next request (HTTP/1.1 keep-alive).
// One coroutine per connection on a single-threaded io_context.
//
// This program is also the peer of the interop and conformance suites (tests/interop,
// tests/conformance): keep --host, --port, --subprotocol, --max-message-size and the
// "listening on HOST:PORT" line.
#include "common/echo_service.hpp"
#include "common/http_request.hpp"

#include <burrow/asio/tls.hpp>
#include <burrow/http/head_parser.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/ssl/stream.hpp>

#include <CLI/CLI.hpp>

#include <iostream>
#include <optional>

namespace asio = boost::asio;
using asio::ip::tcp;
using namespace std::chrono_literals;

namespace {

struct server_settings {
    burrow::examples::echo_options echo;
    std::optional<asio::ssl::context> tls;  // set with --cert/--key: every connection is TLS
    burrow::tls_options tls_options;
};

constexpr std::string_view websocket_path = "/ws";

constexpr std::string_view home_page = R"(<!doctype html>
<title>burrow echo server</title>
<h1>burrow echo server</h1>
<p>WebSocket echo at <code>/ws</code>: every message comes back as it was sent.</p>
<p>Try it: <code>burrow-cat ws://HOST:PORT/ws</code>, or in a browser console:
<code>new WebSocket("ws://" + location.host + "/ws")</code>.</p>
)";

struct response {
    unsigned status = 200;
    std::string_view reason = "OK";
    std::string_view content_type = "text/plain";
    std::string body;
    std::string extra_headers;
};

// Plain HTTP routing: what every request that is not a WebSocket upgrade gets.
response route(const burrow::http::head& request) {
    if (request.method != "GET" && request.method != "HEAD")
        return {405, "Method Not Allowed", "text/plain", "only GET and HEAD here\n", "Allow: GET, HEAD\r\n"};
    const std::string_view path = request.target.substr(0, request.target.find('?'));
    if (path == "/")
        return {200, "OK", "text/html; charset=utf-8", std::string(home_page), {}};
    if (path == "/health")
        return {200, "OK", "text/plain", "ok\n", {}};
    if (path == websocket_path)
        return {426, "Upgrade Required", "text/plain", "this is a WebSocket endpoint\n",
                "Upgrade: websocket\r\nSec-WebSocket-Version: 13\r\n"};
    return {404, "Not Found", "text/plain", "not found\n", {}};
}

std::string serialize(const response& r, bool head_only, bool keep_alive) {
    const std::string headers = "Server: burrow-echo-server\r\n" + r.extra_headers;
    return burrow::examples::http_response(r.status, r.reason, r.content_type, r.body, headers, keep_alive, head_only);
}

// One connection, plain or TLS: HTTP requests until one upgrades or the connection ends.
template <class Stream>
asio::awaitable<void> serve_http(Stream stream, const server_settings& settings) {
    std::string buffer;
    std::array<burrow::http::header, 64> storage;
    for (;;) {
        burrow::http::head request;
        const auto head = co_await burrow::examples::co_read_request_head(stream, buffer, request, storage, 15s);
        if (head.size == 0) {
            if (head.bad) {
                const std::string reply = serialize({400, "Bad Request", "text/plain", "bad request\n", {}}, false, false);
                (void)co_await asio::async_write(stream, asio::buffer(reply), asio::as_tuple(asio::use_awaitable));
            }
            co_return;
        }
        if (burrow::examples::wants_websocket(request)) {
            // The embedding form of co_accept: the head we read, and whatever followed it.
            const std::string head_text = buffer.substr(0, head.size);
            const auto leftover = burrow::examples::bytes_after(buffer, head.size);
            (void)co_await burrow::examples::co_echo_session(std::move(stream), head_text, leftover, settings.echo);
            co_return;
        }
        // No request bodies here: a request that announces one gets its answer and the connection
        // is closed, rather than reading the body as the next request.
        const bool has_body = request.find("Transfer-Encoding") ||
                              (request.find("Content-Length") && *request.find("Content-Length") != "0");
        const bool keep_alive =
            !has_body && request.version_minor == 1 && !request.has_token("Connection", "close");
        const std::string reply = serialize(route(request), request.method == "HEAD", keep_alive);
        auto [ec, n] = co_await asio::async_write(stream, asio::buffer(reply), asio::as_tuple(asio::use_awaitable));
        if (ec || !keep_alive)
            co_return;
        buffer.erase(0, head.size);
    }
}

asio::awaitable<void> session(tcp::socket socket, server_settings& settings) {
    boost::system::error_code ignored;
    socket.set_option(tcp::no_delay(true), ignored);
    if (!settings.tls) {
        co_await serve_http(std::move(socket), settings);
        co_return;
    }
    asio::ssl::stream<tcp::socket> tls(std::move(socket), *settings.tls);
    auto handshake = co_await burrow::co_tls_accept(tls, settings.tls_options);
    if (!handshake) {
        std::cerr << "echo_server: " << handshake.message() << "\n";
        co_return;
    }
    co_await serve_http(std::move(tls), settings);
}

asio::awaitable<void> accept_loop(tcp::acceptor& acceptor, server_settings& settings) {
    for (;;) {
        auto [ec, socket] = co_await acceptor.async_accept(asio::as_tuple(asio::use_awaitable));
        if (ec) {
            if (ec == asio::error::operation_aborted)
                co_return;
            continue;  // a failed accept (e.g. too many files) must not stop the server
        }
        asio::co_spawn(acceptor.get_executor(), session(std::move(socket), settings), asio::detached);
    }
}

} // namespace

int main(int argc, char** argv) {
    CLI::App app{"burrow echo server: a WebSocket echo at /ws (and any path), plain HTTP elsewhere"};
    std::string host = "127.0.0.1";
    std::uint16_t port = 9001;
    server_settings settings;
    app.add_option("--host", host, "address to listen on")->capture_default_str();
    app.add_option("--port", port, "port to listen on (0: any free port)")->capture_default_str();
    app.add_option("--subprotocol", settings.echo.subprotocols,
                   "subprotocol to accept (repeatable); the first the client offers that is listed wins");
    app.add_option("--max-message-size", settings.echo.stream.max_message_size, "largest message accepted, in bytes")
        ->capture_default_str();
    auto* cert = app.add_option("--cert", settings.tls_options.cert_file, "certificate chain (PEM): serve wss:// and https://");
    auto* key = app.add_option("--key", settings.tls_options.key_file, "private key (PEM) of --cert");
    cert->needs(key);
    key->needs(cert);
    CLI11_PARSE(app, argc, argv);

    if (!settings.tls_options.cert_file.empty()) {
        auto context = burrow::make_server_context(settings.tls_options);
        if (!context) {
            std::cerr << "echo_server: " << context.message() << "\n";
            return 2;
        }
        settings.tls.emplace(std::move(*context.context));
    }

    try {
        asio::io_context io(1);
        tcp::acceptor acceptor(io, tcp::endpoint(asio::ip::make_address(host), port));
        std::cout << "listening on " << host << ":" << acceptor.local_endpoint().port() << std::endl;
        asio::signal_set signals(io, SIGINT, SIGTERM);
        signals.async_wait([&](auto, int) { io.stop(); });
        asio::co_spawn(io, accept_loop(acceptor, settings), asio::detached);
        io.run();
    } catch (const std::exception& e) {
        std::cerr << "echo_server: " << e.what() << "\n";
        return 1;
    }
    return 0;
}
