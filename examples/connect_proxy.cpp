// A small HTTP CONNECT proxy: optional Basic authentication, a connection limit, an idle timeout.
// It is examples/common/connect_proxy_server.hpp (burrow's HTTP head parser plus Asio coroutines)
// with a command line; scripts/demo.sh runs the same code in-process.
//
//   connect_proxy --port 3128                            # no authentication, binds 127.0.0.1
//   connect_proxy --port 3128 --user alice:s3cret        # 407 until Basic alice:s3cret is sent
//   curl -p -x http://alice:s3cret@127.0.0.1:3128 http://127.0.0.1:8000/
//   burrow-cat --proxy http://alice:s3cret@127.0.0.1:3128 ws://127.0.0.1:9001/
//
// Only CONNECT is served (tunnels); it is not a forwarding proxy for plain http:// requests.
#include "common/connect_proxy_server.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>

#include <CLI/CLI.hpp>

#include <iostream>

namespace asio = boost::asio;

int main(int argc, char** argv) {
    CLI::App app{"burrow connect_proxy: an HTTP CONNECT proxy with optional Basic authentication"};
    burrow::examples::connect_proxy_options options;
    std::string user;
    double idle_seconds = 60;
    bool verbose = false;
    app.add_option("--host", options.host, "address to listen on")->capture_default_str();
    app.add_option("--port", options.port, "port to listen on (0: any free port)")->capture_default_str();
    app.add_option("--user", user, "require Basic proxy authentication with these credentials (user:password)");
    app.add_option("--realm", options.realm, "realm named in the 407 challenge")->capture_default_str();
    app.add_option("--max-connections", options.max_connections, "connections served at once; more get 503")
        ->capture_default_str()
        ->check(CLI::PositiveNumber);
    app.add_option("--idle-timeout", idle_seconds, "seconds a tunnel may stay silent both ways before it is closed")
        ->capture_default_str()
        ->check(CLI::PositiveNumber);
    app.add_flag("-v,--verbose", verbose, "print one line per request to stderr");
    CLI11_PARSE(app, argc, argv);

    if (!user.empty()) {
        const auto colon = user.find(':');
        if (colon == std::string::npos) {
            std::cerr << "connect_proxy: --user wants user:password\n";
            return 2;
        }
        options.basic = burrow::proxy::credentials{user.substr(0, colon), user.substr(colon + 1)};
    }
    options.idle_timeout = std::chrono::duration_cast<std::chrono::steady_clock::duration>(
        std::chrono::duration<double>(idle_seconds));
    if (verbose)
        options.log = [](std::string_view line) { std::cerr << "connect_proxy: " << line << "\n"; };

    try {
        asio::io_context io(1);  // the server runs on one thread (see connect_proxy_server.hpp)
        burrow::examples::connect_proxy_server proxy(io.get_executor(), options);
        proxy.start();
        std::cout << "listening on " << options.host << ":" << proxy.port() << std::endl;
        asio::signal_set signals(io, SIGINT, SIGTERM);
        signals.async_wait([&](auto, int) {
            proxy.stop();
            io.stop();
        });
        io.run();
    } catch (const std::exception& e) {  // only setup can throw (e.g. the port is taken)
        std::cerr << "connect_proxy: " << e.what() << "\n";
        return 1;
    }
    return 0;
}
