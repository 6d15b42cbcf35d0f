// The human-readable trace of a connection, shared by burrow-cat (-v) and burrow-demo:
//
//   client > proxy   CONNECT echo.example:80 HTTP/1.1
//                    Host: echo.example:80
//   proxy > client   HTTP/1.1 200 Connection established
//   client > server  GET / HTTP/1.1
//   ...
//   *                tcp_connect took 0.2 ms
//
// Each head is printed line by line as it is sent or received (credentials already redacted by
// burrow), continuation lines indented under the first.
#pragma once

#include <burrow/asio/connect.hpp>

#include <chrono>
#include <cstdio>
#include <string>
#include <string_view>

namespace burrow::tools {

inline std::string_view direction_label(trace_kind kind) {
    switch (kind) {
    case trace_kind::client_to_proxy: return "client > proxy";
    case trace_kind::proxy_to_client: return "proxy > client";
    case trace_kind::client_to_server: return "client > server";
    case trace_kind::server_to_client: return "server > client";
    case trace_kind::note:
    case trace_kind::phase_done: return "*";
    }
    return "*";
}

inline std::string format_ms(std::chrono::steady_clock::duration d) {
    char text[32];
    std::snprintf(text, sizeof text, "%.1f ms", std::chrono::duration<double, std::milli>(d).count());
    return text;
}

/// Prints `text` (a head, or one line) under `label`, one line per head line, without the blank
/// line that ends a head.
inline void print_block(std::FILE* out, std::string_view label, std::string_view text) {
    bool first = true;
    while (!text.empty()) {
        const auto eol = text.find('\n');
        std::string_view line = text.substr(0, eol);
        text = eol == std::string_view::npos ? std::string_view{} : text.substr(eol + 1);
        if (!line.empty() && line.back() == '\r')
            line.remove_suffix(1);
        if (line.empty())
            continue;
        std::fprintf(out, "%-17.*s%.*s\n", first ? static_cast<int>(label.size()) : 0, label.data(),
                     static_cast<int>(line.size()), line.data());
        first = false;
    }
    std::fflush(out);
}

/// A trace hook for connect_options::trace that prints as the exchange happens.
/// `heads_only`: leave out notes and phase timings.
inline connect_trace_hook print_trace(std::FILE* out, bool heads_only = false) {
    return [out, heads_only](const trace_event& e) {
        if (e.kind == trace_kind::phase_done) {
            if (!heads_only)
                print_block(out, "*", std::string(to_string(e.phase)) + " took " + format_ms(e.elapsed));
            return;
        }
        if (e.kind == trace_kind::note) {
            if (!heads_only)
                print_block(out, "*", e.text);
            return;
        }
        print_block(out, direction_label(e.kind), e.text);
    };
}

/// A one-line preview of a message for the transcript: text quoted (cut at 60 bytes), binary as
/// its size.
inline std::string preview(bool is_text, std::string_view data) {
    if (!is_text)
        return "binary, " + std::to_string(data.size()) + " bytes";
    std::string out = "text \"";
    for (char c : data.substr(0, 60))
        out += (static_cast<unsigned char>(c) < 0x20) ? '.' : c;
    out += data.size() > 60 ? "\"..." : "\"";
    return out;
}

} // namespace burrow::tools
