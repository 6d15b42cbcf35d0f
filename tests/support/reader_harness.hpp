// Drives a ws::message_reader the way a stream does (a receive buffer, consumed bytes dropped,
// new bytes appended) and records what it reported as a transcript that does not depend on how
// the input was chunked.
#pragma once

#include <burrow/error.hpp>
#include <burrow/ws/message_reader.hpp>

#include "test_bytes.hpp"

#include <algorithm>
#include <string>
#include <vector>

namespace burrow::test {

struct transcript {
    /// One line per message or control frame ("text:Hello", "binary:<hex>", "ping:Hi"), then
    /// "error:<message>" if the reader failed.
    std::vector<std::string> lines;
    burrow::error err{};
    /// How many input bytes had been fed when the error was reported (0: no error).
    std::size_t fed_at_error = 0;
    std::size_t data_events = 0;

    friend bool operator==(const transcript& a, const transcript& b) {
        return a.lines == b.lines && a.err == b.err;
    }
};

inline std::string hex(std::span<const std::byte> data) {
    static const char digits[] = "0123456789abcdef";
    std::string out;
    for (auto b : data) {
        out += digits[std::to_integer<unsigned>(b) >> 4];
        out += digits[std::to_integer<unsigned>(b) & 15];
    }
    return out;
}

inline std::string opcode_name(ws::opcode op) {
    switch (op) {
    case ws::opcode::continuation: return "continuation";
    case ws::opcode::text: return "text";
    case ws::opcode::binary: return "binary";
    case ws::opcode::close: return "close";
    case ws::opcode::ping: return "ping";
    case ws::opcode::pong: return "pong";
    }
    return "?";
}

/// Feeds `input` to a reader in chunks that end at the given cut points (ascending offsets into
/// `input`), draining events after each chunk, and returns the transcript.
inline transcript run_reader(const ws::reader_options& options, const bytes& input,
                             const std::vector<std::size_t>& cuts) {
    ws::message_reader reader(options);
    transcript out;
    bytes buffer;       // unconsumed bytes, as a stream's receive buffer holds them
    bytes message;      // the message being assembled
    ws::opcode message_op = ws::opcode::text;
    bool in_message = false;
    std::size_t fed = 0;

    auto feed = [&](std::size_t end) -> bool {
        buffer.insert(buffer.end(), input.begin() + static_cast<std::ptrdiff_t>(fed),
                      input.begin() + static_cast<std::ptrdiff_t>(end));
        fed = end;
        for (;;) {
            const auto ev = reader.next(buffer);
            if (ev.status == ws::read_status::error) {
                out.err = ev.err;
                out.fed_at_error = fed;
                out.lines.push_back("error:" + make_error_code(ev.err).message());
                return false;
            }
            if (ev.status == ws::read_status::data) {
                ++out.data_events;
                if (ev.message_start != !in_message)
                    out.lines.push_back("bad message_start flag");
                in_message = true;
                message_op = ev.op;
                message.insert(message.end(), ev.payload.begin(), ev.payload.end());
                if (ev.message_end) {
                    out.lines.push_back(opcode_name(message_op) + ":" +
                                        (message_op == ws::opcode::text ? to_string(message) : hex(message)));
                    message.clear();
                    in_message = false;
                }
            } else if (ev.status == ws::read_status::control) {
                out.lines.push_back(opcode_name(ev.op) + ":" + hex(ev.payload));
            }
            buffer.erase(buffer.begin(), buffer.begin() + static_cast<std::ptrdiff_t>(ev.consumed));
            if (ev.status == ws::read_status::need_more) {
                if (ev.need <= buffer.size())
                    out.lines.push_back("need_more asked for bytes it already had");
                return true;
            }
        }
    };
    for (std::size_t cut : cuts)
        if (cut > fed && cut <= input.size() && !feed(cut))
            return out;
    if (fed < input.size())
        feed(input.size());
    if (out.err == burrow::error{} && !buffer.empty())
        out.lines.push_back("unconsumed:" + hex(buffer));
    return out;
}

/// All at once.
inline transcript run_whole(const ws::reader_options& options, const bytes& input) {
    return run_reader(options, input, {});
}

/// One byte at a time.
inline transcript run_bytewise(const ws::reader_options& options, const bytes& input) {
    std::vector<std::size_t> cuts;
    for (std::size_t i = 1; i <= input.size(); ++i)
        cuts.push_back(i);
    return run_reader(options, input, cuts);
}

} // namespace burrow::test
