// What every e2e echo server shares: the command line (--port, and --host, default 127.0.0.1),
// the "listening on HOST:PORT" line printed once it accepts connections (scripts wait for it),
// and the accept loop on one single-threaded io_context (concurrency hint 1) that spawns one
// session coroutine per connection. Each coroutine server only writes its session.
// The websocketpp server is built as C++17 (websocketpp 0.8 does not compile as C++20) and uses
// only the command line part: the coroutine part needs C++20. The raw epoll server defines
// BURROW_E2E_NO_ASIO to take only the command line part too (no Asio anywhere in it).
#pragma once

#if __cplusplus >= 202002L && !defined(BURROW_E2E_NO_ASIO)
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_awaitable.hpp>
#endif

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <string>

namespace burrow::e2e {

struct listen_address {
    std::string host = "127.0.0.1";
    std::uint16_t port = 0;
};

// "--host H --port P" (no other options; these servers are benchmark fixtures).
inline listen_address parse_listen_args(int argc, char** argv, const char* name) {
    listen_address a;
    for (int i = 1; i < argc; ++i) {
        if (std::strcmp(argv[i], "--port") == 0 && i + 1 < argc)
            a.port = static_cast<std::uint16_t>(std::atoi(argv[++i]));
        else if (std::strcmp(argv[i], "--host") == 0 && i + 1 < argc)
            a.host = argv[++i];
        else {
            std::cerr << "usage: " << name << " [--host 127.0.0.1] [--port N]\n";
            std::exit(2);
        }
    }
    return a;
}

inline void announce(const listen_address& a, std::uint16_t bound_port) {
    std::cout << "listening on " << a.host << ":" << bound_port << std::endl;
}

#if __cplusplus >= 202002L && !defined(BURROW_E2E_NO_ASIO)
// One connection's coroutine. A plain function pointer, not a callable object: a class-type
// argument of a coroutine is what GCC 12.2 destroys twice when it is a temporary.
using session_function = boost::asio::awaitable<void> (*)(boost::asio::ip::tcp::socket);

// Accepts forever, spawning `session` for each connection on the acceptor's executor. A failed
// accept (e.g. out of file descriptors) is skipped, not fatal.
inline boost::asio::awaitable<void> accept_loop(boost::asio::ip::tcp::acceptor& acceptor, session_function session) {
    namespace asio = boost::asio;
    for (;;) {
        auto [ec, socket] = co_await acceptor.async_accept(asio::as_tuple(asio::use_awaitable));
        if (!ec)
            asio::co_spawn(acceptor.get_executor(), session(std::move(socket)), asio::detached);
    }
}

// The whole main() of a server: parse the arguments, listen, announce, and serve `session` on one
// single-threaded io_context until killed.
inline int serve(int argc, char** argv, const char* name, session_function session) {
    namespace asio = boost::asio;
    const auto where = parse_listen_args(argc, argv, name);
    asio::io_context io(1);
    asio::ip::tcp::acceptor acceptor(io, asio::ip::tcp::endpoint(asio::ip::make_address(where.host), where.port));
    announce(where, acceptor.local_endpoint().port());
    asio::co_spawn(io, accept_loop(acceptor, session), asio::detached);
    io.run();
    return 0;
}
#endif

} // namespace burrow::e2e
