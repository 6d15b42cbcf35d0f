// What burrow-bench is asked to do (bench_options) and what it measured (bench_result).
#pragma once

#include "histogram.hpp"

#include <array>
#include <cstdint>
#include <string>

namespace burrow::bench {

/// The phases a connection goes through; errors are counted per phase.
enum class phase : std::uint8_t { tcp, proxy_connect, tls, upgrade, transfer, close };
inline constexpr std::size_t phase_count = 6;
/// The setup phases whose durations are reported as percentiles.
inline constexpr std::size_t setup_phase_count = 4;

/// "tcp", "proxy_connect", "tls", "upgrade", "transfer", "close" (the JSON keys).
const char* phase_key(phase p) noexcept;
/// "TCP", "proxy CONNECT", "TLS", "upgrade", "transfer", "close" (the table's labels).
const char* phase_label(phase p) noexcept;

struct bench_options {
    std::string url;                  ///< ws:// or wss://host:port/path, or tcp://host:port (raw TCP echo)
    std::string proxy;                ///< empty: direct
    // wss:// only (burrow's tls_options for the server's session):
    std::string ca_file;              ///< extra trusted roots (PEM), added to the system store
    std::string cert_file;            ///< client certificate (PEM) for mutual TLS, with key_file
    std::string key_file;             ///< its private key (PEM)
    bool insecure = false;            ///< do not verify the server's certificate (tests only)
    std::size_t connections = 1;
    std::size_t message_size = 20;
    double duration_s = 10;           ///< load phase length (ignored when messages > 0)
    std::uint64_t messages = 0;       ///< total messages to send over all connections (0: use duration)
    double rate = 0;                  ///< open loop: messages/s over all connections (0: closed loop)
    std::size_t pipeline = 1;         ///< closed loop: messages in flight per connection
    bool binary = false;
    double ramp_rate = 0;             ///< new connections per second (0: all at once)
    unsigned threads = 1;
    bool idle = false;                ///< connect, hold the connections for duration_s, send nothing
    double connect_timeout_s = 15;    ///< per connection: the TLS handshake, and again the upgrade
    bool json = false;
    bool progress = false;            ///< the live line (only on a terminal)
};

/// What one thread measured; merged into one at the end.
struct bench_result {
    log_linear_histogram rtt_ns;                                   ///< per echoed message
    std::array<log_linear_histogram, setup_phase_count> setup_ns;  ///< per connection and phase
    std::uint64_t messages_sent = 0;
    std::uint64_t messages_received = 0;  ///< echoes received inside the measurement window
    std::uint64_t bytes_received = 0;     ///< their payload bytes
    std::uint64_t connections_up = 0;
    std::array<std::uint64_t, phase_count> errors{};
    std::array<std::string, phase_count> first_error;  ///< the first error message per phase

    void merge(const bench_result& other);
};

/// The whole run: the merged result plus the times that frame it.
struct bench_report {
    bench_options options;
    bench_result result;
    double setup_seconds = 0;     ///< from the first connection attempt until every one settled
    double window_seconds = 0;    ///< the measurement window (load phase)
    double cpu_seconds = 0;       ///< user+system CPU of this process during the load phase
    /// The closed loop queued its messages and wrote the queue before each read that had to wait
    /// (always in the closed loop; false in the open loop and with --idle).
    bool batched_writes = false;
};

} // namespace burrow::bench
