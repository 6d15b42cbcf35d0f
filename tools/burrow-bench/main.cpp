// burrow-bench: a WebSocket load generator. See --help, and load.cpp for how it drives the load.
#include "load.hpp"
#include "report.hpp"

#include <CLI/CLI.hpp>

#include <unistd.h>

#include <iostream>

int main(int argc, char** argv) {
    using burrow::bench::bench_options;
    CLI::App app{"burrow-bench: WebSocket load generator. Opens --connections connections to URL (directly or through "
                 "--proxy), waits until all are up, then echoes messages for --duration seconds (or --messages in "
                 "all) and reports setup times per phase, messages/s, MB/s and round-trip percentiles.\n\n"
                 "  burrow-bench ws://127.0.0.1:9001/ --connections 100 --message-size 1024 --duration 10\n"
                 "  burrow-bench ws://echo.example/ --proxy http://proxy:3128 --rate 5000 --json\n"
                 "  burrow-bench wss://localhost:9443/ --cacert ca.pem --connections 100 --idle --duration 1\n"};
    app.footer(
        "URL: ws://host[:port][/path], wss://host[:port][/path] (TLS: the server's certificate is verified against "
        "the system CA store plus --cacert, and must name the host; one TLS context serves every connection), or "
        "tcp://host:port for a raw TCP echo baseline (sends --message-size bytes, reads as many back; works with "
        "--proxy too: the same bytes through the same CONNECT tunnel, without WebSocket).\n"
        "Setup phases, each timed per connection: tcp (direct only), proxy_connect (with --proxy: TCP to the proxy "
        "and its CONNECT or SOCKS5 exchange), tls (wss://), upgrade (the HTTP 101). The setup rate is "
        "connections_up / setup_seconds (with --ramp-rate, the ramp bounds it).\n"
        "Closed loop (default): each connection keeps --pipeline messages in flight and sends the next when an echo "
        "arrives. Its writes are batched: the --pipeline first messages leave in one write, and later the "
        "replacements for all the echoes one read brought (with --pipeline 1, one write per message); for ws:// and "
        "wss:// with burrow's stream cork(), for tcp:// with an output buffer (batched_writes in --json); the round "
        "trip counts from when a message is queued. Open loop (--rate): messages leave on a fixed schedule, and the round trip is measured from the "
        "intended send time, so a stalling server shows as latency (no coordinated omission).\n"
        "--json keys: tool, url, proxy, mode, connections, message_size, binary, pipeline, batched_writes, rate, threads, connections_up, "
        "setup_seconds, setup_connections_per_second, setup_us.{tcp,proxy_connect,tls,upgrade}.{count,min,p50,p90,p99,p99.9,max,mean}, "
        "window_seconds, messages_sent, messages, bytes, messages_per_second, mb_per_second, "
        "rtt_us.{count,min,p50,p90,p99,p99.9,max,mean}, client_cpu_seconds, client_cpu_us_per_message, "
        "errors.{tcp,proxy_connect,tls,upgrade,transfer,close}, errors_total, first_errors.\n"
        "Exit status: 0 when every connection came up and nothing failed, 1 when something failed, 2 for bad "
        "arguments.");
    bench_options o;
    bool text = false;
    app.add_option("url", o.url, "the server: ws://host:port/path, wss://host:port/path or tcp://host:port")->required();
    app.add_option("-c,--connections", o.connections, "connections to open")->capture_default_str();
    app.add_option("-s,--message-size", o.message_size, "payload bytes per message")->capture_default_str();
    auto* duration = app.add_option("-d,--duration", o.duration_s, "seconds of load after all connections are up")
                         ->capture_default_str();
    app.add_option("-m,--messages", o.messages, "send this many messages in all instead of running for --duration")
        ->excludes(duration);
    app.add_option("--proxy", o.proxy, "tunnel every connection through this proxy (http://[user:pass@]host:port, "
                                       "socks5://, socks5h://; not https://)");
    app.add_option("--cacert,--ca-file", o.ca_file, "wss://: PEM file of extra CAs to trust for the server (added to "
                                                    "the system store)");
    app.add_option("--cert", o.cert_file, "wss://: client certificate (PEM) for mutual TLS (with --key)");
    app.add_option("--key", o.key_file, "wss://: private key (PEM) of --cert");
    app.add_flag("--insecure", o.insecure, "wss://: do NOT verify the server's certificate or name (testing only)");
    app.add_option("-r,--rate", o.rate, "open loop: messages per second over all connections (0: closed loop)")
        ->capture_default_str();
    app.add_option("-p,--pipeline", o.pipeline, "closed loop: messages in flight per connection (sent in batches, see below)")->capture_default_str();
    auto* binary = app.add_flag("--binary", o.binary, "send binary messages");
    app.add_flag("--text", text, "send text messages (the default)")->excludes(binary);
    app.add_option("--ramp-rate", o.ramp_rate, "open at most this many connections per second (0: all at once)")
        ->capture_default_str();
    app.add_option("-t,--threads", o.threads, "threads, each with its own io_context (connections round robin)")
        ->capture_default_str();
    app.add_flag("--idle", o.idle, "only connect, hold the connections open for --duration, send nothing (memory "
                                   "per idle connection)");
    app.add_option("--connect-timeout", o.connect_timeout_s,
                   "seconds allowed for each connection's TLS handshake, and again for its upgrade")
        ->capture_default_str();
    app.add_flag("--json", o.json, "print one JSON document instead of the table");
    CLI11_PARSE(app, argc, argv);

    if (const auto problem = burrow::bench::check_options(o); !problem.empty()) {
        std::cerr << "burrow-bench: " << problem << "\n";
        return 2;
    }
    o.progress = isatty(STDERR_FILENO) != 0;
    const auto report = burrow::bench::run_bench(o);
    if (o.json)
        std::cout << burrow::bench::to_json(report).dump(2) << std::endl;
    else
        burrow::bench::print_table(std::cout, report);
    std::uint64_t errors = 0;
    for (auto e : report.result.errors)
        errors += e;
    return errors == 0 && report.result.connections_up == o.connections ? 0 : 1;
}
