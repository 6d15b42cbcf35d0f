#include "report.hpp"

#include <cstdio>
#include <ostream>
#include <string>

namespace burrow::bench {
namespace {

double us(std::uint64_t ns) { return static_cast<double>(ns) / 1000.0; }

nlohmann::json percentiles_us(const log_linear_histogram& h) {
    return {{"count", h.count()},           {"min", us(h.min())},
            {"p50", us(h.quantile(0.5))},   {"p90", us(h.quantile(0.9))},
            {"p99", us(h.quantile(0.99))},  {"p99.9", us(h.quantile(0.999))},
            {"max", us(h.max())},           {"mean", h.mean() / 1000.0}};
}

std::string fmt(const char* f, double v) {
    char buf[64];
    std::snprintf(buf, sizeof buf, f, v);
    return buf;
}

// Microseconds with a sensible unit.
std::string duration_text(std::uint64_t ns) {
    if (ns < 10'000'000)
        return fmt("%.1f us", us(ns));
    return fmt("%.1f ms", static_cast<double>(ns) / 1e6);
}

} // namespace

nlohmann::json to_json(const bench_report& r) {
    const auto& o = r.options;
    const auto& res = r.result;
    nlohmann::json j;
    j["tool"] = "burrow-bench";
    j["url"] = o.url;
    j["proxy"] = o.proxy;
    j["mode"] = o.idle ? "idle" : o.rate > 0 ? "open" : "closed";
    j["connections"] = o.connections;
    j["message_size"] = o.message_size;
    j["binary"] = o.binary;
    j["pipeline"] = o.pipeline;
    j["batched_writes"] = r.batched_writes;
    j["rate"] = o.rate;
    j["threads"] = o.threads;
    j["connections_up"] = res.connections_up;
    j["setup_seconds"] = r.setup_seconds;
    j["setup_connections_per_second"] =
        r.setup_seconds > 0 ? static_cast<double>(res.connections_up) / r.setup_seconds : 0.0;
    nlohmann::json setup = nlohmann::json::object();
    for (std::size_t p = 0; p < setup_phase_count; ++p)
        if (res.setup_ns[p].count() != 0)
            setup[phase_key(static_cast<phase>(p))] = percentiles_us(res.setup_ns[p]);
    j["setup_us"] = setup;
    j["window_seconds"] = r.window_seconds;
    j["messages_sent"] = res.messages_sent;
    j["messages"] = res.messages_received;
    j["bytes"] = res.bytes_received;
    const double window = r.window_seconds > 0 ? r.window_seconds : 1;
    j["messages_per_second"] = static_cast<double>(res.messages_received) / window;
    j["mb_per_second"] = static_cast<double>(res.bytes_received) / window / 1e6;
    j["rtt_us"] = percentiles_us(res.rtt_ns);
    j["client_cpu_seconds"] = r.cpu_seconds;
    j["client_cpu_us_per_message"] =
        res.messages_received ? r.cpu_seconds * 1e6 / static_cast<double>(res.messages_received) : 0.0;
    nlohmann::json errors = nlohmann::json::object();
    nlohmann::json first = nlohmann::json::object();
    std::uint64_t total = 0;
    for (std::size_t p = 0; p < phase_count; ++p) {
        errors[phase_key(static_cast<phase>(p))] = res.errors[p];
        total += res.errors[p];
        if (!res.first_error[p].empty())
            first[phase_key(static_cast<phase>(p))] = res.first_error[p];
    }
    j["errors"] = errors;
    j["errors_total"] = total;
    j["first_errors"] = first;
    return j;
}

void print_table(std::ostream& out, const bench_report& r) {
    const auto& o = r.options;
    const auto& res = r.result;
    out << "burrow-bench " << o.url << (o.proxy.empty() ? "" : " via " + o.proxy) << "\n";
    out << "  " << o.connections << " connection(s), " << o.message_size << " B " << (o.binary ? "binary" : "text")
        << " messages, " << (o.idle ? std::string("idle")
                             : o.rate > 0 ? "open loop at " + fmt("%.0f", o.rate) + " msg/s"
                                          : "closed loop, pipeline " + std::to_string(o.pipeline) +
                                                (r.batched_writes ? " (batched writes)" : ""))
        << ", " << o.threads << " thread(s)\n\n";
    out << "connections up: " << res.connections_up << "/" << o.connections << " in " << fmt("%.3f", r.setup_seconds)
        << " s"
        << (r.setup_seconds > 0 ? " (" + fmt("%.0f", static_cast<double>(res.connections_up) / r.setup_seconds) + "/s)"
                                : std::string())
        << "\n";
    char line[200];
    std::snprintf(line, sizeof line, "  %-14s %10s %10s %10s %10s %10s\n", "setup phase", "p50", "p90", "p99", "max",
                  "count");
    out << line;
    for (std::size_t p = 0; p < setup_phase_count; ++p) {
        const auto& h = res.setup_ns[p];
        if (h.count() == 0)
            continue;
        std::snprintf(line, sizeof line, "  %-14s %10s %10s %10s %10s %10llu\n", phase_label(static_cast<phase>(p)),
                      duration_text(h.quantile(0.5)).c_str(), duration_text(h.quantile(0.9)).c_str(),
                      duration_text(h.quantile(0.99)).c_str(), duration_text(h.max()).c_str(),
                      static_cast<unsigned long long>(h.count()));
        out << line;
    }
    if (!o.idle) {
        const double window = r.window_seconds > 0 ? r.window_seconds : 1;
        out << "\nmessages: " << res.messages_received << " echoed in " << fmt("%.2f", r.window_seconds) << " s: "
            << fmt("%.0f", static_cast<double>(res.messages_received) / window) << " msg/s, "
            << fmt("%.2f", static_cast<double>(res.bytes_received) / window / 1e6) << " MB/s (payload, one way)\n";
        const auto& h = res.rtt_ns;
        out << "round trip: p50 " << duration_text(h.quantile(0.5)) << ", p90 " << duration_text(h.quantile(0.9))
            << ", p99 " << duration_text(h.quantile(0.99)) << ", p99.9 " << duration_text(h.quantile(0.999))
            << ", max " << duration_text(h.max()) << (o.rate > 0 ? " (from the intended send times)" : "") << "\n";
        if (res.messages_received)
            out << "client CPU: " << fmt("%.2f", r.cpu_seconds * 1e6 / static_cast<double>(res.messages_received))
                << " us per message\n";
    }
    std::uint64_t total = 0;
    for (auto e : res.errors)
        total += e;
    out << "\nerrors: " << (total == 0 ? "none" : std::to_string(total)) << "\n";
    for (std::size_t p = 0; p < phase_count; ++p)
        if (res.errors[p] != 0)
            out << "  " << phase_label(static_cast<phase>(p)) << ": " << res.errors[p] << " (first: " << res.first_error[p]
                << ")\n";
}

} // namespace burrow::bench
