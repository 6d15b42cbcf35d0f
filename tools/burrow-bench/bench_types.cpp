#include "bench_types.hpp"

namespace burrow::bench {

const char* phase_key(phase p) noexcept {
    switch (p) {
    case phase::tcp: return "tcp";
    case phase::proxy_connect: return "proxy_connect";
    case phase::tls: return "tls";
    case phase::upgrade: return "upgrade";
    case phase::transfer: return "transfer";
    case phase::close: return "close";
    }
    return "?";
}

const char* phase_label(phase p) noexcept {
    switch (p) {
    case phase::tcp: return "TCP";
    case phase::proxy_connect: return "proxy CONNECT";
    case phase::tls: return "TLS";
    case phase::upgrade: return "upgrade";
    case phase::transfer: return "transfer";
    case phase::close: return "close";
    }
    return "?";
}

void bench_result::merge(const bench_result& other) {
    rtt_ns.merge(other.rtt_ns);
    for (std::size_t i = 0; i < setup_ns.size(); ++i)
        setup_ns[i].merge(other.setup_ns[i]);
    messages_sent += other.messages_sent;
    messages_received += other.messages_received;
    bytes_received += other.bytes_received;
    connections_up += other.connections_up;
    for (std::size_t i = 0; i < phase_count; ++i) {
        errors[i] += other.errors[i];
        if (first_error[i].empty())
            first_error[i] = other.first_error[i];
    }
}

} // namespace burrow::bench
