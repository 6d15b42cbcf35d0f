// Fuzzes ws::message_reader on re-chunked input. The first input byte picks the role, whether RSV1 is
// granted, the message size limit and the chunking seed; the rest is the byte stream. Invariants:
//   - fed whole, or in pieces cut at pseudo-random points (as reads arrive), the reader reports the
//     same messages, control frames and final error;
//   - consumed bytes and payload views stay inside the input; need_more asks for more than it has;
//   - every uncompressed text message it delivers is valid UTF-8; no message exceeds the limit;
//     control payloads are at most 125 bytes; nothing follows an error.
#include <burrow/ws/message_reader.hpp>
#include <burrow/ws/utf8.hpp>

#include "fuzz_check.hpp"

#include <cstdint>
#include <string>
#include <vector>

using namespace burrow::ws;

namespace {

struct transcript {
    std::vector<std::string> items;
    burrow::error err{};
    bool operator==(const transcript&) const = default;
};

transcript run(const reader_options& options, const std::uint8_t* data, std::size_t size, std::uint32_t seed,
               bool chunked) {
    message_reader reader(options);
    transcript out;
    std::vector<std::byte> buffer;  // unconsumed bytes, like a stream's receive buffer
    std::string message;
    opcode type = opcode::text;
    bool compressed = false;
    std::size_t fed = 0;
    std::uint32_t state = seed | 1;
    while (fed < size || !buffer.empty()) {
        std::size_t piece = size - fed;
        if (chunked) {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            piece = std::min<std::size_t>(piece, 1 + state % 17);
        }
        buffer.insert(buffer.end(), reinterpret_cast<const std::byte*>(data + fed),
                      reinterpret_cast<const std::byte*>(data + fed + piece));
        fed += piece;
        for (;;) {
            const auto ev = reader.next(buffer);
            BURROW_FUZZ_CHECK(ev.consumed <= buffer.size());
            if (ev.status == read_status::error) {
                out.err = ev.err;
                BURROW_FUZZ_CHECK(reader.next(buffer).status == read_status::error);  // sticky
                return out;
            }
            if (ev.status == read_status::need_more) {
                BURROW_FUZZ_CHECK(ev.need > buffer.size() - ev.consumed);
                buffer.erase(buffer.begin(), buffer.begin() + static_cast<std::ptrdiff_t>(ev.consumed));
                break;
            }
            const auto* begin = buffer.data();
            BURROW_FUZZ_CHECK(ev.payload.empty() ||
                              (ev.payload.data() >= begin && ev.payload.data() + ev.payload.size() <= begin + buffer.size()));
            if (ev.status == read_status::control) {
                BURROW_FUZZ_CHECK(ev.payload.size() <= max_control_payload);
                out.items.push_back("c" + std::to_string(static_cast<int>(ev.op)) + ":" +
                                    std::string(reinterpret_cast<const char*>(ev.payload.data()), ev.payload.size()));
            } else {
                if (ev.message_start) {
                    message.clear();
                    type = ev.op;
                    compressed = ev.compressed;
                }
                message.append(reinterpret_cast<const char*>(ev.payload.data()), ev.payload.size());
                BURROW_FUZZ_CHECK(message.size() <= options.max_message_size);
                if (ev.message_end) {
                    if (type == opcode::text && !compressed)
                        BURROW_FUZZ_CHECK(is_valid_utf8(std::string_view(message)));
                    out.items.push_back("m" + std::to_string(static_cast<int>(type)) + ":" + message);
                }
            }
            buffer.erase(buffer.begin(), buffer.begin() + static_cast<std::ptrdiff_t>(ev.consumed));
        }
        if (fed == size)
            break;
    }
    return out;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 1)
        return 0;
    const std::uint8_t control = data[0];
    reader_options options;
    options.receiver = (control & 1) ? role::client : role::server;
    options.allow_rsv1 = (control & 2) != 0;
    options.max_message_size = (control & 4) ? 64 : 1 << 20;
    const std::uint32_t seed = 0x9e3779b9u * (control + 1u);
    const transcript whole = run(options, data + 1, size - 1, seed, false);
    const transcript pieces = run(options, data + 1, size - 1, seed, true);
    BURROW_FUZZ_CHECK(whole == pieces);
    return 0;
}
