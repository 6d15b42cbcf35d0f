// UTF-8 validation of whole text messages: burrow's dispatched validator, each of its kernels, and
// Boost.Beast's websocket utf8_checker from the same Boost, on text of one script each and on a
// realistic JSON document.
//
// Names: "utf8_<text>/<impl>/<size>", text in ascii, cyrillic (2-byte), cjk (3-byte), emoji
// (4-byte), json (mostly ASCII with non-ASCII strings) and mixed (random code points of every
// length). The texts are built deterministically
// by repeating representative sentences up to the size and cutting at a code-point boundary, so
// every run and every implementation sees the same bytes.
#include <burrow/detail/utf8_kernels.hpp>
#include <burrow/ws/utf8.hpp>

#include <boost/beast/websocket/detail/utf8_checker.hpp>

#include <benchmark/benchmark.h>

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

namespace {

using text_maker = std::string (*)(std::size_t);

// Repeats `pieces` in turn up to `size` bytes, then drops a partial code point at the end.
std::string repeat_to(std::initializer_list<std::string_view> pieces, std::size_t size) {
    std::string out;
    while (out.size() < size)
        for (auto p : pieces)
            out += p;
    out.resize(size);
    std::size_t end = size;
    while (end > 0 && (static_cast<unsigned char>(out[end - 1]) & 0xC0) == 0x80)
        --end;
    // out[end - 1] is now ASCII (keep it) or the lead of the last sequence (keep it only if whole).
    if (end > 0) {
        const auto lead = static_cast<unsigned char>(out[end - 1]);
        const std::size_t length = lead < 0x80 ? 1 : lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : 2;
        out.resize(end - 1 + length <= size ? end - 1 + length : end - 1);
    }
    return out;
}

std::string ascii_text(std::size_t size) {
    return repeat_to({"The quick brown fox jumps over the lazy dog. ",
                      "WebSocket frames carry text as UTF-8; every message is validated on receipt.\n",
                      "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor. "},
                     size);
}

std::string cyrillic_text(std::size_t size) {
    return repeat_to(
        {"Съешь же ещё этих мягких французских булок, да выпей чаю. ",
         "Широкая электрификация южных губерний даст мощный толчок подъёму сельского хозяйства. ",
         "Γαζέες καὶ μυρτιὲς δὲν θὰ βρῶ πιὰ στὸ χρυσαφὶ ξέφωτο. "},
        size);
}

std::string cjk_text(std::size_t size) {
    return repeat_to({"我能吞下玻璃而不伤身体。", "いろはにほへと ちりぬるを わかよたれそ つねならむ。",
                      "天地玄黄，宇宙洪荒。日月盈昃，辰宿列张。", "다람쥐 헌 쳇바퀴에 타고파。"},
                     size);
}

std::string emoji_text(std::size_t size) {
    return repeat_to({"😀😃😄😁😆😅🤣😂🙂🙃😉😊😇🥰😍🤩",
                      "🚀🛰️🌍🌕⭐🔥💧🌈 ",
                      "👩‍💻👨‍🔬🧑‍🚀🐶🐱🦊🐻🐼🐨🐯🦁🐮 "},
                     size);
}

std::string json_text(std::size_t size) {
    return repeat_to(
        {R"({"id":1042,"user":{"name":"Zoë Müller","locale":"de-DE","verified":true},)",
         R"("text":"Grüße aus Köln! Das Wetter ist schön.","tags":["travel","food"],)",
         R"("geo":{"lat":50.9375,"lon":6.9603},"created_at":"2024-06-11T08:15:00Z"})", "\n",
         R"({"id":1043,"user":{"name":"Иван Петров","locale":"ru-RU","verified":false},)",
         R"("text":"Привет, мир! Как дела?","tags":["news"],"score":0.875,"replies":[]})", "\n",
         R"({"id":1044,"user":{"name":"山田太郎","locale":"ja-JP","verified":true},)",
         R"("text":"今日はいい天気ですね 🌞","tags":["weather","日本"],"likes":12,"shared":false})", "\n",
         R"({"id":1045,"user":{"name":"alice","locale":"en-US","verified":true},)",
         R"("text":"Meeting moved to 3pm, see the updated agenda in the shared folder.",)",
         R"("tags":[],"attachments":[{"type":"pdf","bytes":48213,"name":"agenda.pdf"}]})", "\n"},
        size);
}

// Code points of every length, drawn at random (seeded: the same bytes every run) over all valid
// ranges, surrogates excluded: the densely mixed text on which branchy validators are slowest, as
// in the published UTF-8 validation benchmarks.
std::string mixed_text(std::size_t size) {
    std::uint64_t state = 0x2545F4914F6CDD1Dull;
    auto next = [&state] {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        return state;
    };
    std::string out;
    while (out.size() < size) {
        std::uint32_t cp = 0;
        switch (next() % 4) {
        case 0: cp = static_cast<std::uint32_t>(next() % 0x80); break;
        case 1: cp = 0x80 + static_cast<std::uint32_t>(next() % (0x800 - 0x80)); break;
        case 2:
            do
                cp = 0x800 + static_cast<std::uint32_t>(next() % (0x10000 - 0x800));
            while (cp >= 0xD800 && cp <= 0xDFFF);
            break;
        default: cp = 0x10000 + static_cast<std::uint32_t>(next() % (0x110000 - 0x10000)); break;
        }
        char buf[4];
        std::size_t n = 0;
        if (cp < 0x80) {
            buf[n++] = static_cast<char>(cp);
        } else if (cp < 0x800) {
            buf[n++] = static_cast<char>(0xC0 | (cp >> 6));
            buf[n++] = static_cast<char>(0x80 | (cp & 0x3F));
        } else if (cp < 0x10000) {
            buf[n++] = static_cast<char>(0xE0 | (cp >> 12));
            buf[n++] = static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
            buf[n++] = static_cast<char>(0x80 | (cp & 0x3F));
        } else {
            buf[n++] = static_cast<char>(0xF0 | (cp >> 18));
            buf[n++] = static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
            buf[n++] = static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
            buf[n++] = static_cast<char>(0x80 | (cp & 0x3F));
        }
        if (out.size() + n > size)
            break;
        out.append(buf, n);
    }
    return out;
}

std::span<const std::byte> as_span(const std::string& s) {
    return std::as_bytes(std::span{s.data(), s.size()});
}

void finish(benchmark::State& state, bool valid, std::size_t size) {
    if (!valid)
        state.SkipWithError("the text was rejected");
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * size));
}

void bm_dispatched(benchmark::State& state, text_maker make, std::size_t size) {
    const std::string text = make(size);
    bool valid = true;
    for (auto _ : state) {
        benchmark::DoNotOptimize(text.data());
        valid &= burrow::ws::is_valid_utf8(as_span(text));
        benchmark::DoNotOptimize(valid);
    }
    finish(state, valid, text.size());
}

void bm_kernel(benchmark::State& state, text_maker make, std::size_t size, burrow::detail::utf8_fn fn) {
    const std::string text = make(size);
    bool valid = true;
    for (auto _ : state) {
        benchmark::DoNotOptimize(text.data());
        valid &= fn(reinterpret_cast<const std::byte*>(text.data()), text.size());
        benchmark::DoNotOptimize(valid);
    }
    finish(state, valid, text.size());
}

void bm_beast(benchmark::State& state, text_maker make, std::size_t size) {
    const std::string text = make(size);
    bool valid = true;
    for (auto _ : state) {
        benchmark::DoNotOptimize(text.data());
        boost::beast::websocket::detail::utf8_checker checker;
        valid &= checker.write(reinterpret_cast<const std::uint8_t*>(text.data()), text.size()) &&
                 checker.finish();
        benchmark::DoNotOptimize(valid);
    }
    finish(state, valid, text.size());
}

// "a/b/c" from its parts, appended one by one (GCC 12 warns falsely on chains of operator+).
std::string join(std::initializer_list<std::string_view> parts) {
    std::string out;
    for (auto p : parts) {
        if (!out.empty())
            out.push_back('/');
        out.append(p);
    }
    return out;
}

struct text_case {
    const char* measurement;
    text_maker make;
    std::initializer_list<std::size_t> sizes;
};

const int registered = [] {
    const text_case cases[] = {
        {"utf8_ascii", &ascii_text, {16384u, 65536u, 1048576u}},
        {"utf8_cyrillic", &cyrillic_text, {16384u}},
        {"utf8_cjk", &cjk_text, {16384u}},
        {"utf8_emoji", &emoji_text, {16384u}},
        {"utf8_json", &json_text, {16384u}},
        {"utf8_mixed", &mixed_text, {16384u}},
    };
    for (const auto& c : cases) {
        for (std::size_t size : c.sizes) {
            const std::string n = std::to_string(size);
            benchmark::RegisterBenchmark(join({c.measurement, "burrow", n}).c_str(), bm_dispatched, c.make,
                                         size);
            for (const auto& k : burrow::detail::utf8_kernels()) {
                std::string impl = "burrow-";
                impl.append(burrow::detail::isa_name(k.level));
                benchmark::RegisterBenchmark(join({c.measurement, impl, n}).c_str(), bm_kernel, c.make, size,
                                             k.fn);
            }
            benchmark::RegisterBenchmark(join({c.measurement, "beast", n}).c_str(), bm_beast, c.make, size);
        }
    }
    return 0;
}();

} // namespace
