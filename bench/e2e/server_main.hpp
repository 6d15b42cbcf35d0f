// The command line every e2e echo server shares: --port (and --host, default 127.0.0.1). Each
// server prints "listening on HOST:PORT" once it accepts connections, so scripts can wait for it.
#pragma once

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

} // namespace burrow::e2e
