// The other end of a websocket::stream in tests: a plain socket that writes hand-made frames
// (any header, masked or not, in any chunking) and reads frames back without any WebSocket logic.
#pragma once

#include <burrow/ws/frame_header.hpp>
#include <burrow/ws/mask.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace burrow::test {

namespace asio = boost::asio;
using local_socket = asio::local::stream_protocol::socket;

/// A frame as bytes on the wire.
inline std::vector<std::byte> wire_frame(ws::opcode op, bool fin, std::string_view payload,
                                         std::optional<std::uint32_t> key = {}, bool rsv1 = false) {
    ws::frame_header h;
    h.op = op;
    h.fin = fin;
    h.rsv1 = rsv1;
    h.payload_length = payload.size();
    h.masked = key.has_value();
    h.mask_key = key.value_or(0);
    std::array<std::byte, ws::max_frame_header_size> head{};
    const std::size_t n = ws::write_frame_header(head, h);
    std::vector<std::byte> out(head.begin(), head.begin() + static_cast<std::ptrdiff_t>(n));
    const auto* p = reinterpret_cast<const std::byte*>(payload.data());
    const std::size_t start = out.size();
    out.insert(out.end(), p, p + payload.size());
    if (key)
        ws::apply_mask(std::span(out).subspan(start), *key);
    return out;
}

struct received_frame {
    ws::frame_header header;
    std::string payload;  // unmasked
};

/// Reads one whole frame from `s` (no validation beyond the header's own rules).
inline asio::awaitable<std::optional<received_frame>> read_wire_frame(local_socket& s) {
    std::array<std::byte, 14> head{};
    std::size_t have = 0;
    ws::frame_rules rules{ws::role::server, true, true, true};
    for (;;) {
        // A server-side parse accepts masked frames; for unmasked ones parse as a client.
        ws::frame_header h;
        auto r = ws::parse_frame_header(std::span(head).first(have), rules, h);
        if (r.status == ws::header_status::error && (r.err == error::missing_mask || r.err == error::unexpected_mask)) {
            rules.receiver = rules.receiver == ws::role::server ? ws::role::client : ws::role::server;
            continue;
        }
        if (r.status == ws::header_status::error)
            co_return std::nullopt;
        if (r.status == ws::header_status::complete) {
            received_frame f{h, std::string(h.payload_length, '\0')};
            if (h.payload_length > 0) {
                auto [ec, n] = co_await asio::async_read(s, asio::buffer(f.payload), asio::as_tuple(asio::use_awaitable));
                if (ec)
                    co_return std::nullopt;
            }
            if (h.masked)
                ws::apply_mask(std::as_writable_bytes(std::span(f.payload)), h.mask_key);
            co_return f;
        }
        auto [ec, n] = co_await asio::async_read(s, asio::buffer(head.data() + have, r.size - have),
                                                 asio::as_tuple(asio::use_awaitable));
        if (ec)
            co_return std::nullopt;
        have = r.size;
    }
}

/// Binary frames as a client sends them (masked, a different key each), back to back in `wire`,
/// with their payloads in `sent`: a burst to write at a server in one go.
struct client_burst {
    std::vector<std::string> sent;
    std::vector<std::byte> wire;
    void add(std::string payload) {
        const auto f = wire_frame(ws::opcode::binary, true, payload, 0x11223344u + static_cast<std::uint32_t>(sent.size()));
        wire.insert(wire.end(), f.begin(), f.end());
        sent.push_back(std::move(payload));
    }
};

/// `n` letters in a pattern that `seed` shifts (payloads that differ from message to message).
inline std::string letter_pattern(std::size_t n, std::size_t seed) {
    std::string s(n, '\0');
    for (std::size_t i = 0; i < n; ++i)
        s[i] = static_cast<char>('a' + (i * 7 + seed) % 26);
    return s;
}

/// Writes `bytes` to `s`, in pieces of `step` bytes (0: all at once).
inline asio::awaitable<void> write_raw(local_socket& s, const std::vector<std::byte>& bytes, std::size_t step = 0) {
    if (step == 0)
        step = bytes.size();
    for (std::size_t i = 0; i < bytes.size(); i += step) {
        const std::size_t n = std::min(step, bytes.size() - i);
        co_await asio::async_write(s, asio::buffer(bytes.data() + i, n), asio::as_tuple(asio::use_awaitable));
    }
}

/// True when the peer closed the connection (EOF) within the io_context's run.
inline asio::awaitable<bool> at_eof(local_socket& s) {
    std::array<char, 256> sink;
    for (;;) {
        auto [ec, n] = co_await s.async_read_some(asio::buffer(sink), asio::as_tuple(asio::use_awaitable));
        if (ec)
            co_return ec == asio::error::eof || ec == asio::error::connection_reset;
    }
}

} // namespace burrow::test
