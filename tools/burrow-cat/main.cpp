// burrow-cat: a websocat/wscat-like client for trying a WebSocket through your proxy.
//
//   burrow-cat [options] URL     lines from stdin go out as text messages (--binary: binary),
//                                messages received are printed to stdout
//
// Everything between the URL and the open WebSocket is burrow::connect (proxy from the options or
// the environment, CONNECT/SOCKS5 with authentication, TLS, TLS inside TLS, the upgrade); this file
// maps the command line onto connect_options, moves lines and messages, and reports failures with
// an exit status per phase (exit_codes.hpp).
//
// Threads: stdin is read by a thread of its own with blocking reads (a pipe, a terminal and a
// regular file alike), which hands each line to the I/O thread; everything else runs on one
// io_context.
#include "exit_codes.hpp"
#include "json_events.hpp"
#include "transcript.hpp"

#include <burrow/asio/connect.hpp>
#include <burrow/proxy/proxy_selection.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include <CLI/CLI.hpp>

#include <cstdio>
#include <cstdlib>
#include <deque>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

namespace asio = boost::asio;
using namespace burrow;
using namespace burrow::tools;

namespace {

struct cat_settings {
    std::string url;
    bool binary = false;
    std::string proxy;
    std::string proxy_user;
    bool no_proxy = false;
    bool explain_proxy = false;
    std::vector<std::string> headers;
    std::vector<std::string> proxy_headers;
    std::vector<std::string> subprotocols;
    std::string origin;
    std::string cacert, proxy_cacert, cert, key;
    bool insecure = false;
    bool proxy_insecure = false;
    double ping_interval = 0;
    double connect_timeout = 30;
    double linger = 0.5;
    std::uint64_t max_message_size = 64 * 1024 * 1024;
    bool trace = false;
    bool json = false;
    bool echo = false;
};

std::chrono::steady_clock::duration seconds(double s) {
    return std::chrono::duration_cast<std::chrono::steady_clock::duration>(std::chrono::duration<double>(s));
}

// "Name: value" -> {"Name", "value"}; false when there is no colon.
bool split_header(const std::string& text, std::pair<std::string, std::string>& out) {
    const auto colon = text.find(':');
    if (colon == std::string::npos || colon == 0)
        return false;
    auto value = text.substr(colon + 1);
    value.erase(0, value.find_first_not_of(" \t"));
    out = {text.substr(0, colon), value};
    return true;
}

// Turns the command line into connect_options; an error message for a bad combination.
std::string make_options(const cat_settings& s, connect_options& o) {
    o.proxy = s.proxy;
    o.direct = s.no_proxy;
    if (!s.proxy_user.empty()) {
        const auto colon = s.proxy_user.find(':');
        if (colon == std::string::npos)
            return "--proxy-user must be user:password";
        o.proxy_credentials = proxy::credentials{s.proxy_user.substr(0, colon), s.proxy_user.substr(colon + 1)};
    }
    for (const auto& h : s.headers) {
        std::pair<std::string, std::string> parsed;
        if (!split_header(h, parsed))
            return "--header must be \"Name: value\", got \"" + h + "\"";
        o.handshake.headers.push_back(parsed);
    }
    for (const auto& h : s.proxy_headers) {
        std::pair<std::string, std::string> parsed;
        if (!split_header(h, parsed))
            return "--proxy-header must be \"Name: value\", got \"" + h + "\"";
        o.proxy_headers.push_back(parsed);
    }
    o.handshake.subprotocols = s.subprotocols;
    o.handshake.origin = s.origin;
    o.handshake.user_agent = "burrow-cat/0.1";
    o.tls.ca_file = s.cacert;
    o.tls.cert_file = s.cert;
    o.tls.key_file = s.key;
    o.tls.insecure_skip_verify = s.insecure;
    o.proxy_tls.ca_file = s.proxy_cacert;
    o.proxy_tls.insecure_skip_verify = s.proxy_insecure;
    if (s.cert.empty() != s.key.empty())
        return "--cert and --key go together";
    o.stream.ping_interval = seconds(s.ping_interval);
    o.stream.max_message_size = s.max_message_size;
    o.total_timeout = seconds(s.connect_timeout);
    o.connect_timeout = std::min(o.connect_timeout, o.total_timeout);
    return {};
}

// --explain-proxy: which proxy connect() would use for the URL, and why.
int explain_proxy(const cat_settings& s, const connect_options& o) {
    proxy::proxy_config config;
    config.proxy = o.proxy;
    config.direct = o.direct;
    const auto choice = proxy::proxy_for(s.url, config, proxy::proxy_environment::from_process());
    const std::string shown_url = ws::redact_url(s.url);  // a password in the URL is never printed
    if (!choice) {
        std::fprintf(stderr, "burrow-cat: cannot choose a proxy for %s: %s\n", shown_url.c_str(),
                     choice.error().message().c_str());
        if (s.json)
            emit_json(json{{"event", "explain"}, {"url", shown_url}, {"error", choice.error().message()}});
        return exit_url;
    }
    if (s.json)
        emit_json(json{{"event", "explain"},
                       {"url", shown_url},
                       {"proxy", choice->proxy ? choice->proxy->redacted() : std::string()},
                       {"explanation", choice->explanation}});
    else
        std::printf("%s\n", choice->explanation.c_str());
    return exit_ok;
}

// Lines read from stdin by the reader thread, handed to the I/O thread.
struct line_queue {
    explicit line_queue(asio::io_context& io) : wake(io) {}
    std::deque<std::string> lines;
    bool eof = false;
    asio::steady_timer wake;  // cancelled when a line or the end arrives
};

class session {
public:
    session(asio::io_context& io, const cat_settings& s) : io_(io), s_(s), input_(io) {}

    int status() const { return status_; }

    asio::awaitable<void> run(connect_options options) {
        if (s_.trace)
            options.trace = s_.json ? connect_trace_hook([](const trace_event& e) { emit_json(trace_json(e)); })
                                    : print_trace(stderr);
        ws_.emplace(co_await burrow::connect(s_.url, options));
        auto& ws = *ws_;
        if (!ws) {
            if (s_.json)
                emit_json(error_event(ws));
            std::fprintf(stderr, "burrow-cat: %s\n", ws.error_message().c_str());
            finish(exit_code_for(ws.error().phase));
            co_return;
        }
        if (s_.json)
            emit_json(opened_event(ws));
        if (s_.trace && !s_.json)
            print_open_summary(ws);
        if (!s_.echo) {
            start_stdin_thread();
            asio::co_spawn(io_, write_lines(), asio::detached);
        }
        co_await read_messages();
    }

private:
    void print_open_summary(connection& ws) {
        const auto& r = ws.report();
        std::string timings;
        for (const auto& t : r.timings)
            timings += (timings.empty() ? "" : ", ") + std::string(to_string(t.phase)) + " " + format_ms(t.took);
        print_block(stderr, "*", "connected (" + std::string(ws.layers_name()) + ") in: " + timings);
    }

    // Prints every message (or echoes it) until the connection ends; sets the exit status.
    asio::awaitable<void> read_messages() {
        auto& ws = *ws_;
        std::string data;
        for (;;) {
            auto r = co_await ws.co_read(data);
            if (!r) {
                report_end(r.error());
                co_return;
            }
            last_activity_ = std::chrono::steady_clock::now();
            const bool text = r->type == ws::opcode::text;
            if (s_.json) {
                emit_json(message_event(text, data));
            } else if (!s_.echo || s_.trace) {
                std::fwrite(data.data(), 1, data.size(), stdout);
                if (text)
                    std::fputc('\n', stdout);
                std::fflush(stdout);
            }
            if (s_.echo) {
                if (auto ec = co_await ws.co_write(std::as_bytes(std::span(data.data(), data.size())), r->type)) {
                    report_end(ec);
                    co_return;
                }
            }
        }
    }

    void report_end(boost::system::error_code ec) {
        auto& ws = *ws_;
        const auto code = static_cast<unsigned>(ws.peer_close_code());
        if (ec == error::closed) {
            if (s_.json)
                emit_json(json{{"event", "closed"}, {"code", code}, {"reason", ws.peer_close_reason()}, {"by", closing_ ? "us" : "peer"}});
            else if (s_.trace)
                print_block(stderr, "*", "closed: " + std::to_string(code) + " " + std::string(ws.peer_close_reason()));
            const bool normal = code == 1000 || code == 1001 || code == 1005;
            finish(normal ? exit_ok : exit_closed_abnormally);
            return;
        }
        if (s_.json)
            emit_json(json{{"event", "error"}, {"phase", "open"}, {"error", ec.message()},
                           {"message", "the connection failed after the upgrade: " + ec.message()}});
        std::fprintf(stderr, "burrow-cat: the connection failed after the upgrade: %s\n", ec.message().c_str());
        finish(exit_connection_lost);
    }

    // Sends each stdin line; at the end of stdin, closes (the reader then sees the close).
    asio::awaitable<void> write_lines() {
        auto& ws = *ws_;
        for (;;) {
            while (input_.lines.empty() && !input_.eof) {
                input_.wake.expires_at(asio::steady_timer::time_point::max());
                co_await input_.wake.async_wait(asio::as_tuple(asio::use_awaitable));
                if (done_)
                    co_return;
            }
            if (input_.lines.empty())
                break;
            std::string line = std::move(input_.lines.front());
            input_.lines.pop_front();
            const auto ec = s_.binary ? co_await ws.co_write(std::as_bytes(std::span(line.data(), line.size())))
                                      : co_await ws.co_write_text(line);
            if (ec)
                co_return;  // the reader reports how the connection ended
        }
        // Replies to the last lines may still be on their way, and a peer that receives our Close
        // stops sending (Python websockets drops what its handler had yet to send): wait for a
        // quiet moment first.
        const auto linger = seconds(s_.linger);
        last_activity_ = std::chrono::steady_clock::now();
        while (!done_) {
            const auto quiet_until = last_activity_ + linger;
            if (std::chrono::steady_clock::now() >= quiet_until)
                break;
            input_.wake.expires_at(quiet_until);
            co_await input_.wake.async_wait(asio::as_tuple(asio::use_awaitable));
        }
        if (done_)
            co_return;
        closing_ = true;
        (void)co_await ws.co_close();
    }

    void start_stdin_thread() {
        std::thread([this] {
            std::string line;
            while (std::getline(std::cin, line)) {
                if (!line.empty() && line.back() == '\r')
                    line.pop_back();
                asio::post(io_, [this, l = std::move(line)]() mutable {
                    input_.lines.push_back(std::move(l));
                    input_.wake.cancel();
                });
            }
            asio::post(io_, [this] {
                input_.eof = true;
                input_.wake.cancel();
            });
        }).detach();  // blocked in a read at exit: the process ends it
    }

    void finish(int status) {
        status_ = status;
        done_ = true;
        input_.wake.cancel();
        io_.stop();
    }

    asio::io_context& io_;
    const cat_settings& s_;
    line_queue input_;
    std::optional<connection> ws_;
    int status_ = exit_failure;
    bool done_ = false;
    bool closing_ = false;
    std::chrono::steady_clock::time_point last_activity_{};
};

} // namespace

int main(int argc, char** argv) {
    CLI::App app{"burrow-cat: a WebSocket from the command line, through your proxy.\n"
                 "Lines from stdin are sent as text messages; messages received are printed to stdout.\n"
                 "The proxy comes from --proxy, else from ws_proxy/wss_proxy, http_proxy/https_proxy, all_proxy "
                 "(and no_proxy) as curl reads them."};
    app.footer(exit_code_help());
    app.get_formatter()->column_width(34);
    cat_settings s;
    app.add_option("url", s.url, "ws:// or wss:// URL")->required();
    app.add_flag("--binary", s.binary, "send stdin lines as binary messages");
    app.add_option("--proxy", s.proxy, "proxy URL: http://, https://, socks5://, socks5h://, credentials allowed (user:password@)");
    app.add_option("--proxy-user", s.proxy_user, "proxy credentials as user:password");
    app.add_flag("--no-proxy", s.no_proxy, "connect directly, whatever the environment says");
    app.add_flag("--explain-proxy", s.explain_proxy, "print which proxy would be used for URL and why, then exit");
    app.add_option("-H,--header", s.headers, "extra header of the upgrade request, \"Name: value\" (repeatable)");
    app.add_option("--proxy-header", s.proxy_headers, "extra header of the CONNECT request (repeatable)");
    app.add_option("--subprotocol", s.subprotocols, "offer this subprotocol (repeatable, in preference order)");
    app.add_option("--origin", s.origin, "Origin header of the upgrade request");
    app.add_option("--cacert", s.cacert, "PEM file of extra CAs to trust for the server (e.g. a TLS-inspecting proxy's)");
    app.add_option("--proxy-cacert", s.proxy_cacert, "PEM file of extra CAs to trust for an https:// proxy");
    app.add_option("--cert", s.cert, "client certificate (PEM) for mutual TLS");
    app.add_option("--key", s.key, "private key (PEM) of --cert");
    app.add_flag("--insecure", s.insecure, "do NOT verify the server's certificate (testing only)");
    app.add_flag("--proxy-insecure", s.proxy_insecure, "do NOT verify the https:// proxy's certificate (testing only)");
    app.add_option("--ping-interval", s.ping_interval, "send a ping after this many seconds of silence (0: never)");
    app.add_option("--connect-timeout", s.connect_timeout, "seconds allowed for the whole connection setup")->capture_default_str();
    app.add_option("--linger", s.linger,
                   "at the end of stdin, close once nothing has arrived for this many seconds")->capture_default_str();
    app.add_option("--max-message-size", s.max_message_size, "largest message accepted, in bytes")->capture_default_str();
    app.add_flag("-v,--trace", s.trace, "print the proxified handshake as it happens (stderr), TLS details and phase timings");
    app.add_flag("--json", s.json, "print one JSON object per event on stdout (opened, message, closed, error; trace with -v)");
    app.add_flag("--echo", s.echo, "echo every message back unchanged until the peer closes; stdin is ignored");
    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp& e) {
        return app.exit(e);
    } catch (const CLI::ParseError& e) {
        app.exit(e);
        return exit_usage;
    }

    connect_options options;
    if (const auto problem = make_options(s, options); !problem.empty()) {
        std::fprintf(stderr, "burrow-cat: %s\n", problem.c_str());
        return exit_usage;
    }
    if (s.explain_proxy)
        return explain_proxy(s, options);

    asio::io_context io;
    session cat(io, s);
    asio::co_spawn(io, cat.run(options), asio::detached);
    io.run();
    std::fflush(stdout);
    std::fflush(stderr);
    std::_Exit(cat.status());  // the stdin thread may still be blocked in a read
}
