// Fuzzes http::head_parser with what a hostile proxy or client could send. The first byte picks
// request or response and a size limit. Invariants: fed whole, byte by byte, or split once at a
// point derived from the input, the verdict (complete with its size and headers, or the same error)
// is the same; a complete head is never longer than the input or the limit, ends with a blank line,
// and its header views lie inside the input.
#include <burrow/http/head_parser.hpp>

#include "fuzz_check.hpp"

#include <array>
#include <string>
#include <vector>

using namespace burrow::http;

namespace {

struct verdict {
    head_status status = head_status::need_more;
    std::size_t size = 0;
    burrow::error err{};
    std::vector<std::string> headers;
    bool operator==(const verdict&) const = default;
};

verdict feed(head_kind kind, head_limits limits, std::string_view in, std::size_t step) {
    head_parser parser(kind, limits);
    std::array<header, 32> storage;
    head h;
    verdict v;
    for (std::size_t end = std::min(step, in.size());; end = std::min(end + step, in.size())) {
        const auto r = parser.parse(std::span(in.data(), end), storage, h);
        if (r.status == head_status::need_more && end < in.size())
            continue;
        v.status = r.status;
        v.size = r.size;
        v.err = r.err;
        if (r.status == head_status::complete) {
            BURROW_FUZZ_CHECK(r.size <= end && r.size <= limits.max_size);
            BURROW_FUZZ_CHECK(in.substr(0, r.size).ends_with("\n\n") || in.substr(0, r.size).ends_with("\n\r\n"));
            for (const auto& x : h.headers) {
                BURROW_FUZZ_CHECK(x.name.data() >= in.data() && x.name.data() + x.name.size() <= in.data() + r.size);
                v.headers.push_back(std::string(x.name) + ":" + std::string(x.value));
            }
        }
        return v;
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 1)
        return 0;
    const head_kind kind = (data[0] & 1) ? head_kind::request : head_kind::response;
    const head_limits limits{(data[0] & 2) ? 64u : 16384u};
    const std::string_view in(reinterpret_cast<const char*>(data + 1), size - 1);
    const verdict whole = feed(kind, limits, in, in.size() + 1);
    BURROW_FUZZ_CHECK(feed(kind, limits, in, 1) == whole);
    if (!in.empty())
        BURROW_FUZZ_CHECK(feed(kind, limits, in, 1 + data[0] % in.size()) == whole);
    return 0;
}
