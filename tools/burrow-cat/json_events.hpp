// burrow-cat --json: one JSON object per line on stdout for each event (opened, message, closed,
// error, and with -v trace), so scripts and tests can follow a session without parsing prose.
//
//   {"event":"opened","url":...,"proxy":...,"layers":"tls","subprotocol":"","timings_ms":{...},"tls":{...}}
//   {"event":"message","type":"text","data":"hello"}     (binary: "data_base64")
//   {"event":"closed","code":1000,"reason":""}
//   {"event":"error","phase":"proxy_auth","code":"burrow:205","message":"...","diagnostics":{...}}
//   {"event":"trace","kind":"client > proxy","phase":"proxy_connect","text":"CONNECT ..."}
#pragma once

#include "transcript.hpp"

#include <burrow/asio/connect.hpp>
#include <burrow/detail/crypto.hpp>

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdio>
#include <string>
#include <string_view>

namespace burrow::tools {

using json = nlohmann::json;

inline void emit_json(const json& j) {
    const std::string line = j.dump(-1, ' ', false, json::error_handler_t::replace);
    std::fwrite(line.data(), 1, line.size(), stdout);
    std::fputc('\n', stdout);
    std::fflush(stdout);
}

inline double to_ms(std::chrono::steady_clock::duration d) {
    return std::chrono::duration<double, std::milli>(d).count();
}

inline json tls_json(const tls_result& t) {
    return json{{"version", t.version},
                {"cipher", t.cipher},
                {"alpn", t.alpn},
                {"host", t.host},
                {"certificate",
                 {{"subject", t.certificate.subject},
                  {"issuer", t.certificate.issuer},
                  {"not_before", t.certificate.not_before},
                  {"not_after", t.certificate.not_after},
                  {"names", t.certificate.names}}}};
}

inline json timings_json(const connect_report& r) {
    json t = json::object();
    for (const auto& p : r.timings)
        t[std::string(to_string(p.phase))] = to_ms(p.took);
    return t;
}

inline json opened_event(const connection& ws) {
    const auto& r = ws.report();
    json j{{"event", "opened"},
           {"url", r.url},
           {"proxy", r.proxy},
           {"proxy_explanation", r.proxy_explanation},
           {"remote", r.remote_endpoint},
           {"layers", ws.layers_name()},
           {"subprotocol", ws.subprotocol()},
           {"timings_ms", timings_json(r)}};
    if (r.tls)
        j["tls"] = tls_json(*r.tls);
    if (r.proxy_tls)
        j["proxy_tls"] = tls_json(*r.proxy_tls);
    return j;
}

inline json message_event(bool is_text, std::string_view data) {
    if (is_text)
        return json{{"event", "message"}, {"type", "text"}, {"data", data}};
    return json{{"event", "message"}, {"type", "binary"}, {"data_base64", detail::base64_encode(data)}};
}

inline json error_event(const connection& ws) {
    const auto& e = ws.error();
    const auto& r = ws.report();
    json diagnostics = json::object();
    if (r.tunnel) {
        const auto& d = r.tunnel->diagnostics;
        diagnostics["proxy"] = {{"status_line", d.status_line}, {"status", d.status},
                                {"via", d.via},                 {"server", d.server},
                                {"proxy_authenticate", d.proxy_authenticate},
                                {"body_start", d.body_start},   {"rounds", d.rounds},
                                {"message", r.tunnel->message()}};
    }
    if (r.proxy_tls && r.proxy_tls->ec)
        diagnostics["proxy_tls"] = {{"message", r.proxy_tls->message()}, {"detail", r.proxy_tls->detail},
                                    {"issuer", r.proxy_tls->certificate.issuer}};
    if (r.tls && r.tls->ec)
        diagnostics["tls"] = {{"message", r.tls->message()}, {"detail", r.tls->detail},
                              {"issuer", r.tls->certificate.issuer}};
    if (r.handshake && r.handshake->ec)
        diagnostics["handshake"] = {{"status_line", r.handshake->status_line},
                                    {"body_start", r.handshake->body_start},
                                    {"message", r.handshake->message()}};
    return json{{"event", "error"},
                {"phase", to_string(e.phase)},
                {"code", std::string(e.ec.category().name()) + ":" + std::to_string(e.ec.value())},
                {"error", e.ec.message()},
                {"message", ws.error_message()},
                {"proxy", r.proxy},
                {"timings_ms", timings_json(r)},
                {"diagnostics", diagnostics}};
}

inline json trace_json(const trace_event& e) {
    json j{{"event", "trace"}, {"kind", direction_label(e.kind)}, {"phase", to_string(e.phase)}};
    if (e.kind == trace_kind::phase_done) {
        j["kind"] = "phase_done";
        j["took_ms"] = to_ms(e.elapsed);
    } else {
        j["kind"] = e.kind == trace_kind::note ? std::string_view("note") : direction_label(e.kind);
        j["text"] = e.text;
        j["at_ms"] = to_ms(e.elapsed);
    }
    return j;
}

} // namespace burrow::tools
