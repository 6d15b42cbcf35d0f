// Frame header parsing and the message reader end to end (parse + unmask + validate).
//
// The reader unmasks in place, so a second pass over the same buffer would see plain text under a
// masking header. The payloads here are ASCII text and every key byte is below 0x80, so the
// buffer toggles between two valid ASCII texts: every pass does the full work (unmask and
// validate every byte) with no untimed restore step.
#include <burrow/ws/frame_header.hpp>
#include <burrow/ws/mask.hpp>
#include <burrow/ws/message_reader.hpp>

#include <benchmark/benchmark.h>

#include <random>
#include <string>
#include <vector>

namespace {

using namespace burrow::ws;

std::vector<std::byte> build_stream(std::size_t payload_size, std::size_t count, bool masked) {
    static const char json[] =
        R"({"id":12345,"type":"trade","symbol":"BTC-USD","price":"43012.55","size":"0.0125","side":"buy"},)";
    std::mt19937 rng(42);
    std::vector<std::byte> out;
    for (std::size_t m = 0; m < count; ++m) {
        frame_header h;
        h.op = opcode::text;
        h.payload_length = payload_size;
        h.masked = masked;
        h.mask_key = masked ? (rng() & 0x7f7f7f7fu) : 0;
        std::array<std::byte, max_frame_header_size> head{};
        const std::size_t n = write_frame_header(head, h);
        out.insert(out.end(), head.begin(), head.begin() + static_cast<std::ptrdiff_t>(n));
        const std::size_t start = out.size();
        for (std::size_t i = 0; i < payload_size; ++i)
            out.push_back(static_cast<std::byte>(json[(i + m) % (sizeof json - 1)]));
        if (masked)
            apply_mask(std::span(out).subspan(start), h.mask_key);
    }
    return out;
}

// Many small frames (2-byte header, 16-byte payload): how fast headers are found and parsed.
void bm_header_parse(benchmark::State& state) {
    const std::size_t frames = 4096;
    const auto stream = build_stream(16, frames, false);
    const frame_rules rules{role::client};
    for (auto _ : state) {
        std::size_t pos = 0;
        std::uint64_t total = 0;
        frame_header h;
        while (pos < stream.size()) {
            const auto r = parse_frame_header(std::span(stream).subspan(pos), rules, h);
            pos += r.size + h.payload_length;
            total += h.payload_length;
        }
        benchmark::DoNotOptimize(total);
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * frames));
}

void bm_reader(benchmark::State& state, std::size_t payload_size) {
    // About 1 MiB of frames for small messages; a single frame for the 64 KiB case so it stays in
    // the same cache level as the memcpy it is compared with.
    const std::size_t count = payload_size >= 65536 ? 1 : std::max<std::size_t>(1, 65536 / (payload_size + 6));
    auto stream = build_stream(payload_size, count, true);
    message_reader reader(reader_options{role::server, 1 << 24});
    for (auto _ : state) {
        std::span<std::byte> in(stream);
        std::size_t messages = 0;
        while (!in.empty()) {
            const auto ev = reader.next(in);
            in = in.subspan(ev.consumed);
            messages += ev.message_end;
            if (ev.status == read_status::error)
                state.SkipWithError("reader failed");
        }
        benchmark::DoNotOptimize(messages);
        benchmark::ClobberMemory();
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * count));
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * count * payload_size));
}

const int registered = [] {
    benchmark::RegisterBenchmark("header_parse/burrow/small_frames", bm_header_parse);
    for (std::size_t size : {16u, 1024u, 65536u})
        benchmark::RegisterBenchmark(("reader_text/burrow/" + std::to_string(size)).c_str(), bm_reader, size);
    return 0;
}();

} // namespace
