// The load generator itself. Threads: one io_context each (concurrency hint 1: no locking inside
// Asio), connections spread round robin. A connection is one coroutine: setup (TCP or proxy
// CONNECT, TLS for wss://, then the upgrade), a wait for the common start, then either the closed
// loop (send up to `pipeline` messages, then one more per echo) or the open loop (a writer on a
// fixed schedule and a reader; the round trip is measured from the *intended* send time, so a
// stalled server cannot hide its stall: no coordinated omission).
// The closed loop batches its writes: a send only queues the message, and the queue goes out in
// one write before a read has to wait. So the `pipeline` first messages leave in one write, and
// later the replacements for all the echoes one read brought; with pipeline 1 it is one write per
// message as without batching. Both transports batch alike (WebSocket: the stream's cork(); raw
// TCP: tcp_channel's output buffer), so the tcp:// baselines see the same bursts as the servers.
#include "load.hpp"

#include <burrow/asio/connect_via_proxy.hpp>
#include <burrow/asio/handshake.hpp>
#include <burrow/asio/stream.hpp>
#include <burrow/asio/tls.hpp>
#include <burrow/proxy/proxy_url.hpp>
#include <burrow/ws/handshake.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <sys/resource.h>
#include <unistd.h>

#include <atomic>
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <memory>
#include <optional>
#include <thread>
#include <vector>

namespace burrow::bench {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;
using clock = std::chrono::steady_clock;
using tls_stream = asio::ssl::stream<tcp::socket>;

std::uint64_t ns_between(clock::time_point a, clock::time_point b) {
    return b <= a ? 0 : static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(b - a).count());
}

double cpu_seconds_now() {
    rusage u{};
    getrusage(RUSAGE_SELF, &u);
    return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
           static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

// Counters the progress line reads while the threads run (one cache line per thread).
struct alignas(64) live_counters {
    std::atomic<std::uint64_t> received{0};
    std::atomic<std::uint64_t> up{0};
    std::atomic<std::uint64_t> errors{0};
};

// A fixed ring of send times (the echoes come back in order), allocated once per connection.
class send_times {
public:
    explicit send_times(std::size_t capacity) : slots_(std::bit_ceil(std::max<std::size_t>(capacity, 1))) {}
    bool full() const noexcept { return size_ == slots_.size(); }
    bool empty() const noexcept { return size_ == 0; }
    std::size_t size() const noexcept { return size_; }
    void push(clock::time_point t) noexcept { slots_[(head_ + size_++) & (slots_.size() - 1)] = t; }
    clock::time_point pop() noexcept {
        const auto t = slots_[head_];
        head_ = (head_ + 1) & (slots_.size() - 1);
        --size_;
        return t;
    }

private:
    std::vector<clock::time_point> slots_;
    std::size_t head_ = 0;
    std::size_t size_ = 0;
};

struct shared_state;

// One thread: its io_context, its part of the result, the timer its connections wait on.
struct worker {
    explicit worker(shared_state& s) : shared(s), io(1), start_signal(io, clock::time_point::max()) {}
    shared_state& shared;
    asio::io_context io;
    asio::steady_timer start_signal;  // cancelled when the load phase starts
    bench_result result;
    live_counters live;
    clock::time_point last_receive{};
};

struct shared_state {
    bench_options options;
    bool raw_tcp = false;
    ws::ws_url url;
    std::optional<proxy::proxy_url> proxy;
    tcp::endpoint target;                   // resolved once (direct connections)
    // wss://: one client context for every connection and thread (trusted roots parsed once, as a
    // long-running client would), and the per-session settings.
    std::optional<asio::ssl::context> tls_context;
    tls_options tls;
    std::vector<std::byte> payload;         // the message every connection sends
    std::vector<std::unique_ptr<worker>> workers;
    std::atomic<std::size_t> settled{0};    // connections up or failed
    std::atomic<std::int64_t> send_budget{0};  // --messages: sends left over all connections
    clock::time_point setup_start{};
    // Set once by the last connection to settle, before the start signal is posted to every worker.
    clock::time_point load_start{};
    clock::time_point load_end = clock::time_point::max();  // duration mode
    std::atomic<double> cpu_at_start{0};
    std::atomic<bool> started{false};  // load_start and load_end are set (release/acquire)
};

void note_error(worker& w, phase p, const std::string& what) {
    auto& r = w.result;
    ++r.errors[static_cast<std::size_t>(p)];
    if (r.first_error[static_cast<std::size_t>(p)].empty())
        r.first_error[static_cast<std::size_t>(p)] = what;
    w.live.errors.fetch_add(1, std::memory_order_relaxed);
}

// Called once per connection when its setup is over (up or failed); the last one starts the load.
void settle(worker& w) {
    auto& s = w.shared;
    if (s.settled.fetch_add(1) + 1 != s.options.connections)
        return;
    s.load_start = clock::now();
    if (s.options.messages == 0)
        s.load_end = s.load_start + std::chrono::duration_cast<clock::duration>(std::chrono::duration<double>(s.options.duration_s));
    s.cpu_at_start = cpu_seconds_now();
    s.started.store(true, std::memory_order_release);
    for (auto& other : s.workers) {
        worker* o = other.get();
        asio::post(o->io, [o] { o->start_signal.cancel(); });
    }
}

// True when another message may be sent now.
bool may_send(worker& w, clock::time_point now) {
    auto& s = w.shared;
    if (s.options.messages != 0)
        return s.send_budget.fetch_sub(1, std::memory_order_relaxed) > 0;
    return now < s.load_end;
}

void count_echo(worker& w, clock::time_point sent, clock::time_point now) {
    auto& s = w.shared;
    if (s.options.messages == 0 && now >= s.load_end)
        return;  // outside the window
    w.result.rtt_ns.record(ns_between(sent, now));
    ++w.result.messages_received;
    w.result.bytes_received += s.payload.size();
    w.live.received.fetch_add(1, std::memory_order_relaxed);
    w.last_receive = now;
}

// The two transports behind one interface: a WebSocket stream (over TCP or TLS), or raw TCP (the
// baseline: S bytes out, S bytes back). batch_writes() makes send() queue and receive() write the
// queue before it waits for the peer (closed loop only: in the open loop the reader is already
// waiting when the writer sends, so nothing would flush the queue).
template <class NextLayer>
struct ws_channel {
    websocket::stream<NextLayer> ws;
    ws::opcode type;
    // The stream sends its queue by itself before a read waits, and with the Close.
    void batch_writes() { ws.cork(); }
    asio::awaitable<boost::system::error_code> send(std::span<const std::byte> p) { return ws.co_write(p, type); }
    asio::awaitable<boost::system::error_code> receive() {
        for (;;) {
            auto piece = co_await ws.co_read_frame();
            if (!piece)
                co_return piece.error();
            if (piece->message_end)
                co_return boost::system::error_code{};
        }
    }
    asio::awaitable<boost::system::error_code> close() { return ws.co_close(); }
    bool reading_closed(const boost::system::error_code& ec) const { return ec == burrow::error::closed; }
};

// Raw TCP: a message is `message_size` bytes. Reads take whatever has arrived (up to 64 KiB or
// one message, whichever is larger) and hand it out one message at a time, as the WebSocket
// stream does with its read buffer; sends queue while batching, like a corked stream.
struct tcp_channel {
    tcp::socket socket;
    std::size_t message_size;
    std::vector<std::byte> in;  // received bytes: [in_begin, in_end) not handed out yet
    std::size_t in_begin = 0;
    std::size_t in_end = 0;
    std::vector<std::byte> out;  // messages queued while batching
    bool batching = false;

    tcp_channel(tcp::socket s, std::size_t size)
        : socket(std::move(s)), message_size(size), in(std::max<std::size_t>(size, 64 * 1024)) {}
    void batch_writes() { batching = true; }
    asio::awaitable<boost::system::error_code> send(std::span<const std::byte> p) {
        if (batching) {
            out.insert(out.end(), p.begin(), p.end());
            co_return boost::system::error_code{};
        }
        auto [ec, n] = co_await asio::async_write(socket, asio::buffer(p.data(), p.size()), asio::as_tuple(asio::use_awaitable));
        co_return ec;
    }
    // Writes the queued messages (one write).
    asio::awaitable<boost::system::error_code> flush() {
        if (out.empty())
            co_return boost::system::error_code{};
        auto [ec, n] = co_await asio::async_write(socket, asio::buffer(out), asio::as_tuple(asio::use_awaitable));
        out.clear();
        co_return ec;
    }
    asio::awaitable<boost::system::error_code> receive() {
        while (in_end - in_begin < message_size) {
            if (in.size() - in_begin < message_size) {  // no room behind for the rest: move it to the front
                std::memmove(in.data(), in.data() + in_begin, in_end - in_begin);
                in_end -= in_begin;
                in_begin = 0;
            }
            if (auto ec = co_await flush())  // the queue goes out before the read waits
                co_return ec;
            auto [ec, n] = co_await socket.async_read_some(asio::buffer(in.data() + in_end, in.size() - in_end),
                                                           asio::as_tuple(asio::use_awaitable));
            if (ec)
                co_return ec;
            in_end += n;
        }
        in_begin += message_size;
        if (in_begin == in_end)
            in_begin = in_end = 0;
        co_return boost::system::error_code{};
    }
    asio::awaitable<boost::system::error_code> close() {
        boost::system::error_code ignored;
        socket.shutdown(tcp::socket::shutdown_both, ignored);
        socket.close(ignored);
        co_return boost::system::error_code{};
    }
    bool reading_closed(const boost::system::error_code& ec) const {
        return ec == asio::error::operation_aborted || ec == asio::error::bad_descriptor;
    }
};

template <class Channel>
asio::awaitable<void> closed_loop(worker& w, Channel& ch) {
    const auto& o = w.shared.options;
    send_times times(o.pipeline);
    const std::span<const std::byte> payload(w.shared.payload);
    ch.batch_writes();
    for (std::size_t i = 0; i < o.pipeline; ++i) {
        const auto now = clock::now();
        if (!may_send(w, now))
            break;
        times.push(now);
        if (auto ec = co_await ch.send(payload)) {
            note_error(w, phase::transfer, ec.message());
            co_return;
        }
        ++w.result.messages_sent;
    }
    while (!times.empty()) {
        if (auto ec = co_await ch.receive()) {
            note_error(w, phase::transfer, ec.message());
            co_return;
        }
        const auto now = clock::now();
        count_echo(w, times.pop(), now);
        if (!may_send(w, now))
            continue;
        times.push(now);
        if (auto ec = co_await ch.send(payload)) {
            note_error(w, phase::transfer, ec.message());
            co_return;
        }
        ++w.result.messages_sent;
    }
}

template <class Channel>
asio::awaitable<void> open_loop(worker& w, Channel& ch, std::size_t index) {
    using namespace asio::experimental::awaitable_operators;
    const auto& o = w.shared.options;
    const double per_connection = o.rate / static_cast<double>(o.connections);
    const auto interval = std::chrono::duration_cast<clock::duration>(std::chrono::duration<double>(1.0 / per_connection));
    // Room for two seconds of sends (at least 64, at most 64 Ki) before the writer waits.
    send_times times(static_cast<std::size_t>(std::clamp(per_connection * 2, 64.0, 65536.0)));
    asio::steady_timer room(w.io, clock::time_point::max());  // cancelled when the reader frees a slot
    bool writer_waiting = false, writer_done = false, failed = false;
    const std::span<const std::byte> payload(w.shared.payload);

    auto writer = [&]() -> asio::awaitable<void> {
        asio::steady_timer tick(w.io);
        // Connections start staggered over one interval so the total rate is smooth.
        auto next = w.shared.load_start + interval * static_cast<clock::rep>(index) / static_cast<clock::rep>(o.connections);
        while (!failed && may_send(w, next)) {
            tick.expires_at(next);
            (void)co_await tick.async_wait(asio::as_tuple(asio::use_awaitable));
            while (times.full() && !failed) {
                writer_waiting = true;
                (void)co_await room.async_wait(asio::as_tuple(asio::use_awaitable));
                writer_waiting = false;
            }
            if (failed)
                break;
            times.push(next);  // the intended time, not the actual one
            if (auto ec = co_await ch.send(payload)) {
                note_error(w, phase::transfer, ec.message());
                failed = true;
                break;
            }
            ++w.result.messages_sent;
            next += interval;
        }
        writer_done = true;
        if (times.empty() && !failed)
            (void)co_await ch.close();  // ends the reader's wait (nothing more will come)
    };
    auto reader = [&]() -> asio::awaitable<void> {
        while (!(writer_done && times.empty())) {
            auto ec = co_await ch.receive();
            if (ec) {
                if (!(writer_done && times.empty() && ch.reading_closed(ec)))
                    note_error(w, phase::transfer, ec.message());
                failed = true;
                room.cancel();
                co_return;
            }
            const auto now = clock::now();
            if (times.empty()) {
                note_error(w, phase::transfer, "an echo nobody sent");
                failed = true;
                co_return;
            }
            count_echo(w, times.pop(), now);
            if (writer_waiting)
                room.cancel();
        }
    };
    co_await (writer() && reader());
}

template <class Channel>
asio::awaitable<void> run_load(worker& w, Channel& ch, std::size_t index) {
    if (w.shared.options.rate > 0)
        co_await open_loop(w, ch, index);
    else
        co_await closed_loop(w, ch);
}

// Waits for the common start (the last connection to settle cancels the start signal).
asio::awaitable<void> wait_for_start(worker& w) {
    // A worker that checks before the flag is set waits; the cancel posted after setting it runs
    // on this worker's thread after the wait began, so no wake-up is lost.
    if (!w.shared.started.load(std::memory_order_acquire))
        (void)co_await w.start_signal.async_wait(asio::as_tuple(asio::use_awaitable));
}

// Setup: returns the connected (and, through a proxy, tunnelled) socket and any bytes already read.
asio::awaitable<bool> open_transport(worker& w, tcp::socket& socket, std::vector<std::byte>& leftover) {
    auto& s = w.shared;
    const auto t0 = clock::now();
    if (s.proxy) {
        const std::string host = s.url.host;
        auto tunnel = co_await co_connect_via_proxy(socket, *s.proxy, host, s.url.port);
        if (!tunnel) {
            note_error(w, tunnel.phase == proxy_phase::connect_to_proxy ? phase::tcp : phase::proxy_connect, tunnel.message());
            co_return false;
        }
        w.result.setup_ns[static_cast<std::size_t>(phase::proxy_connect)].record(ns_between(t0, clock::now()));
        const auto* first = reinterpret_cast<const std::byte*>(tunnel.leftover.data());
        leftover.assign(first, first + tunnel.leftover.size());
    } else {
        auto [ec] = co_await socket.async_connect(s.target, asio::as_tuple(asio::use_awaitable));
        if (ec) {
            note_error(w, phase::tcp, ec.message());
            co_return false;
        }
        w.result.setup_ns[static_cast<std::size_t>(phase::tcp)].record(ns_between(t0, clock::now()));
    }
    boost::system::error_code ignored;
    socket.set_option(tcp::no_delay(true), ignored);
    co_return true;
}

asio::awaitable<void> hold_until_end(worker& w) {
    asio::steady_timer t(w.io, w.shared.load_end);
    (void)co_await t.async_wait(asio::as_tuple(asio::use_awaitable));
}

// The upgrade over `next` (a socket, or a TLS stream for wss://), then the load on the WebSocket
// stream that takes `next` over, then the close handshake.
template <class NextLayer>
asio::awaitable<void> upgrade_and_run(worker& w, NextLayer& next, const std::vector<std::byte>& leftover,
                                      std::size_t index) {
    auto& s = w.shared;
    const auto& o = s.options;
    const auto t0 = clock::now();
    handshake_options hs;
    hs.timeout = std::chrono::duration_cast<clock::duration>(std::chrono::duration<double>(o.connect_timeout_s));
    handshake_result upgraded = co_await co_handshake(next, s.url, hs, leftover);
    if (!upgraded) {
        note_error(w, phase::upgrade, upgraded.message());
        settle(w);
        co_return;
    }
    w.result.setup_ns[static_cast<std::size_t>(phase::upgrade)].record(ns_between(t0, clock::now()));
    ++w.result.connections_up;
    w.live.up.fetch_add(1, std::memory_order_relaxed);
    websocket::stream_options so;
    so.close_timeout = std::chrono::seconds(3);
    if (o.idle) {  // idle connections hold as little memory as the stream allows
        so.read_buffer_size = 0;
        so.write_buffer_size = 0;
    } else {
        // Room for a whole echoed frame (payload and header), so one read takes it: with 64 KiB a
        // 64 KiB message took two reads, the second for its last 10 bytes. Capped at 1 MiB.
        so.read_buffer_size = std::clamp<std::size_t>(s.payload.size() + 16, 4096, 1024 * 1024);
        // A busy connection: keep the buffer and let the read wait, instead of a readiness wait
        // (Asio re-arms epoll for each: an epoll_ctl per message on the load generator's side).
        so.keep_read_buffer = true;
    }
    ws_channel<NextLayer> ch{websocket::stream<NextLayer>(std::move(next), ws::role::client, so, upgraded.leftover),
                             o.binary ? ws::opcode::binary : ws::opcode::text};
    settle(w);
    co_await wait_for_start(w);
    if (o.idle)
        co_await hold_until_end(w);
    else
        co_await run_load(w, ch, index);
    if (ch.ws.is_open()) {
        auto ec = co_await ch.close();
        if (ec && ec != burrow::error::closed)
            note_error(w, phase::close, ec.message());
    }
}

asio::awaitable<void> connection(worker& w, std::size_t index) {
    auto& s = w.shared;
    const auto& o = s.options;
    if (o.ramp_rate > 0) {
        asio::steady_timer t(w.io, s.setup_start + std::chrono::duration_cast<clock::duration>(
                                                       std::chrono::duration<double>(static_cast<double>(index) / o.ramp_rate)));
        (void)co_await t.async_wait(asio::as_tuple(asio::use_awaitable));
    }
    tcp::socket socket(w.io);
    std::vector<std::byte> leftover;
    if (!co_await open_transport(w, socket, leftover)) {
        settle(w);
        co_return;
    }
    if (s.raw_tcp) {
        if (!leftover.empty()) {  // nothing was sent yet, so nothing can have been echoed
            note_error(w, phase::proxy_connect, "the proxy sent bytes of the tunnel before any were sent");
            settle(w);
            co_return;
        }
        ++w.result.connections_up;
        w.live.up.fetch_add(1, std::memory_order_relaxed);
        settle(w);
        co_await wait_for_start(w);
        tcp_channel ch(std::move(socket), s.payload.size());
        if (o.idle)
            co_await hold_until_end(w);
        else
            co_await run_load(w, ch, index);
        (void)co_await ch.close();
        co_return;
    }
    if (!s.url.secure) {
        co_await upgrade_and_run(w, socket, leftover, index);
        co_return;
    }
    if (!leftover.empty()) {  // the ClientHello must be the first byte of the tunnel
        note_error(w, phase::tls, "the proxy sent bytes of the tunnel before the TLS ClientHello");
        settle(w);
        co_return;
    }
    tls_stream tls(std::move(socket), *s.tls_context);
    const auto t0 = clock::now();
    const tls_result session = co_await co_tls_handshake(tls, s.url.host, s.tls);
    if (session.ec) {
        note_error(w, phase::tls, session.message());
        settle(w);
        co_return;
    }
    w.result.setup_ns[static_cast<std::size_t>(phase::tls)].record(ns_between(t0, clock::now()));
    co_await upgrade_and_run(w, tls, leftover, index);
}

void print_progress(const shared_state& s, double elapsed, std::uint64_t received, std::uint64_t rate, std::uint64_t up,
                    std::uint64_t errors) {
    std::fprintf(stderr, "\r\033[K[%6.1fs] connections %llu/%zu  messages %llu  %llu msg/s  errors %llu", elapsed,
                 static_cast<unsigned long long>(up), s.options.connections, static_cast<unsigned long long>(received),
                 static_cast<unsigned long long>(rate), static_cast<unsigned long long>(errors));
    std::fflush(stderr);
}

} // namespace

std::string check_options(const bench_options& o) {
    if (o.connections == 0)
        return "--connections must be at least 1";
    if (o.threads == 0)
        return "--threads must be at least 1";
    if (o.pipeline == 0)
        return "--pipeline must be at least 1";
    if (o.messages == 0 && !(o.duration_s > 0))
        return "--duration must be positive (or give --messages)";
    if (o.rate < 0 || o.ramp_rate < 0)
        return "--rate and --ramp-rate must not be negative";
    if (o.idle && o.messages != 0)
        return "--idle holds connections for --duration; it sends no messages";
    if (!o.proxy.empty()) {
        auto p = proxy::parse_proxy_url(o.proxy);
        if (!p)
            return "not a proxy URL: " + o.proxy + " (" + p.error().message() + ")";
        if (p->scheme == proxy::proxy_scheme::https)
            return "https:// proxies are not supported by burrow-bench (http://, socks5://, socks5h://)";
    }
    const bool tls_option = !o.ca_file.empty() || !o.cert_file.empty() || !o.key_file.empty() || o.insecure;
    if (o.cert_file.empty() != o.key_file.empty())
        return "--cert and --key go together";
    if (o.url.starts_with("tcp://")) {
        if (o.message_size == 0)
            return "tcp:// needs --message-size of at least 1";
        if (tls_option)
            return "--cacert, --cert, --key and --insecure are for wss:// URLs";
        auto url = ws::parse_ws_url("ws://" + o.url.substr(6));
        if (!url)
            return "not a tcp://host:port URL: " + o.url;
        return {};
    }
    if (!o.url.starts_with("ws://") && !o.url.starts_with("wss://"))
        return "the URL must start with ws://, wss:// or tcp://: " + o.url;
    auto url = ws::parse_ws_url(o.url);
    if (!url)
        return "not a ws:// URL: " + o.url + " (" + url.error().message() + ")";
    if (!url->secure && tls_option)
        return "--cacert, --cert, --key and --insecure are for wss:// URLs";
    return {};
}

bench_report run_bench(const bench_options& options) {
    shared_state s;
    s.options = options;
    s.raw_tcp = options.url.starts_with("tcp://");
    if (s.raw_tcp) {
        // tcp://host:port: borrow the ws:// parser for host and port.
        s.url = *ws::parse_ws_url("ws://" + options.url.substr(6));
    } else {
        s.url = *ws::parse_ws_url(options.url);
    }
    if (!options.proxy.empty())
        s.proxy = *proxy::parse_proxy_url(options.proxy);

    bench_report report;
    report.options = options;
    report.batched_writes = !options.idle && options.rate == 0;
    if (s.url.secure) {
        s.tls.ca_file = options.ca_file;
        s.tls.cert_file = options.cert_file;
        s.tls.key_file = options.key_file;
        s.tls.insecure_skip_verify = options.insecure;
        s.tls.handshake_timeout = std::chrono::duration_cast<clock::duration>(std::chrono::duration<double>(options.connect_timeout_s));
        auto made = make_client_context(s.tls);
        if (!made) {  // every connection would fail the same way: say so once per connection
            report.result.errors[static_cast<std::size_t>(phase::tls)] = options.connections;
            report.result.first_error[static_cast<std::size_t>(phase::tls)] = made.message();
            return report;
        }
        s.tls_context.emplace(std::move(*made.context));
    }
    s.payload.resize(options.message_size);
    for (std::size_t i = 0; i < s.payload.size(); ++i)  // valid UTF-8 for text messages
        s.payload[i] = static_cast<std::byte>('a' + i % 26);
    s.send_budget = static_cast<std::int64_t>(options.messages);

    const unsigned threads = static_cast<unsigned>(std::min<std::size_t>(options.threads, options.connections));
    for (unsigned t = 0; t < threads; ++t)
        s.workers.push_back(std::make_unique<worker>(s));

    if (!s.proxy) {
        asio::io_context resolver_io(1);
        tcp::resolver resolver(resolver_io);
        boost::system::error_code ec;
        auto found = resolver.resolve(s.url.host, std::to_string(s.url.port), ec);
        if (ec || found.empty()) {
            report.result.errors[static_cast<std::size_t>(phase::tcp)] = options.connections;
            report.result.first_error[static_cast<std::size_t>(phase::tcp)] =
                "cannot resolve " + s.url.host + ": " + (ec ? ec.message() : "no address");
            return report;
        }
        s.target = found.begin()->endpoint();
    }

    s.setup_start = clock::now();
    for (std::size_t i = 0; i < options.connections; ++i) {
        worker& w = *s.workers[i % threads];
        asio::co_spawn(w.io, connection(w, i), asio::detached);
    }
    std::vector<std::thread> running;
    for (auto& w : s.workers)
        running.emplace_back([&w] { w->io.run(); });

    if (options.progress) {
        std::uint64_t last = 0;
        auto last_time = clock::now();
        std::atomic<bool> done{false};
        // The main thread prints the line while the workers run; it stops when they are all done.
        std::thread watcher([&] {
            for (auto& t : running)
                t.join();
            done = true;
        });
        while (!done) {
            std::this_thread::sleep_for(std::chrono::milliseconds(250));
            const auto now = clock::now();
            if (now - last_time < std::chrono::seconds(1) && !done)
                continue;
            std::uint64_t received = 0, up = 0, errors = 0;
            for (auto& w : s.workers) {
                received += w->live.received.load(std::memory_order_relaxed);
                up += w->live.up.load(std::memory_order_relaxed);
                errors += w->live.errors.load(std::memory_order_relaxed);
            }
            const double dt = std::chrono::duration<double>(now - last_time).count();
            print_progress(s, std::chrono::duration<double>(now - s.setup_start).count(), received,
                           static_cast<std::uint64_t>(static_cast<double>(received - last) / dt), up, errors);
            last = received;
            last_time = now;
        }
        watcher.join();
        std::fprintf(stderr, "\n");
    } else {
        for (auto& t : running)
            t.join();
    }
    const double cpu_end = cpu_seconds_now();

    clock::time_point last_receive{};
    for (auto& w : s.workers) {
        report.result.merge(w->result);
        last_receive = std::max(last_receive, w->last_receive);
    }
    if (s.started.load()) {
        report.setup_seconds = std::chrono::duration<double>(s.load_start - s.setup_start).count();
        if (options.messages == 0)
            report.window_seconds = options.duration_s;
        else
            report.window_seconds = std::chrono::duration<double>(std::max(last_receive, s.load_start) - s.load_start).count();
        report.cpu_seconds = cpu_end - s.cpu_at_start.load();
    }
    return report;
}

} // namespace burrow::bench
