#include <burrow/http/head_parser.hpp>

#include <cstring>

namespace burrow::http {
namespace {

// Field values and reason phrases: visible characters, obs-text, space and tab; no other controls.
constexpr bool is_text(char c) noexcept {
    const auto u = static_cast<unsigned char>(c);
    return u == '\t' || (u >= 0x20 && u != 0x7F);
}

bool all_of(std::string_view s, bool (*pred)(char) noexcept) noexcept {
    for (char c : s)
        if (!pred(c))
            return false;
    return true;
}

// "HTTP/1.0" or "HTTP/1.1" -> minor version; anything else -> error.
error parse_version(std::string_view v, unsigned& minor) noexcept {
    if (v.size() != 8 || v.substr(0, 5) != "HTTP/")
        return error::http_bad_start_line;
    if (v.substr(5) == "1.1")
        minor = 1;
    else if (v.substr(5) == "1.0")
        minor = 0;
    else
        return error::http_bad_version;
    return error{};
}

// Takes the next line off `rest` (without its CRLF or bare LF).
std::string_view next_line(std::string_view& rest) noexcept {
    const std::size_t lf = rest.find('\n');
    std::string_view line = rest.substr(0, lf);
    rest.remove_prefix(lf == std::string_view::npos ? rest.size() : lf + 1);
    if (!line.empty() && line.back() == '\r')
        line.remove_suffix(1);
    return line;
}

error parse_status_line(std::string_view line, head& out) noexcept {
    // HTTP-version SP 3DIGIT [SP reason-phrase]; servers omit the reason or even its space.
    if (const error e = parse_version(line.substr(0, 8), out.version_minor); e != error{})
        return e;
    if (line.size() < 12 || line[8] != ' ')
        return error::http_bad_start_line;
    unsigned status = 0;
    for (std::size_t i = 9; i < 12; ++i) {
        if (line[i] < '0' || line[i] > '9')
            return error::http_bad_start_line;
        status = status * 10 + static_cast<unsigned>(line[i] - '0');
    }
    if (status < 100)
        return error::http_bad_start_line;
    std::string_view reason = line.substr(12);
    if (!reason.empty()) {
        if (reason.front() != ' ' || !all_of(reason, is_text))
            return error::http_bad_start_line;
        reason.remove_prefix(1);
    }
    out.status = status;
    out.reason = reason;
    return error{};
}

error parse_request_line(std::string_view line, head& out) noexcept {
    // method SP request-target SP HTTP-version
    const std::size_t sp1 = line.find(' ');
    const std::size_t sp2 = line.rfind(' ');
    if (sp1 == std::string_view::npos || sp1 == 0 || sp2 == sp1)
        return error::http_bad_start_line;
    const std::string_view method = line.substr(0, sp1);
    const std::string_view target = line.substr(sp1 + 1, sp2 - sp1 - 1);
    if (!all_of(method, is_tchar) || target.empty())
        return error::http_bad_start_line;
    for (char c : target)
        if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7F)
            return error::http_bad_start_line;
    if (const error e = parse_version(line.substr(sp2 + 1), out.version_minor); e != error{})
        return e;
    out.method = method;
    out.target = target;
    return error{};
}

} // namespace

std::optional<std::string_view> head::find(std::string_view name) const noexcept {
    for (const auto& h : headers)
        if (iequals(h.name, name))
            return h.value;
    return std::nullopt;
}

std::size_t head::count(std::string_view name) const noexcept {
    std::size_t n = 0;
    for (const auto& h : headers)
        n += iequals(h.name, name);
    return n;
}

bool head::has_token(std::string_view name, std::string_view token) const noexcept {
    for (const auto& h : headers) {
        if (!iequals(h.name, name))
            continue;
        std::string_view rest = h.value;
        while (!rest.empty()) {
            const std::size_t comma = rest.find(',');
            if (iequals(trim_ows(rest.substr(0, comma)), token))
                return true;
            rest.remove_prefix(comma == std::string_view::npos ? rest.size() : comma + 1);
        }
    }
    return false;
}

// Judges the first bytes as they arrive, so that a peer that does not speak HTTP is caught at
// once: a TLS record (0x16 0x03 ...) where a CONNECT reply was expected fails on its first byte.
error head_parser::check_start(std::string_view in) const noexcept {
    if (kind_ == head_kind::response) {
        constexpr std::string_view prefix = "HTTP/1.";
        const std::size_t n = std::min(in.size(), prefix.size());
        for (std::size_t i = 0; i < n; ++i)
            if (in[i] != prefix[i])
                return i >= 5 ? error::http_bad_version : error::http_bad_start_line;
        if (in.size() > prefix.size() && in[prefix.size()] != '0' && in[prefix.size()] != '1')
            return error::http_bad_version;
        return error{};
    }
    for (char c : in) {
        if (c == ' ')
            return in.front() == ' ' ? error::http_bad_start_line : error{};
        if (!is_tchar(c))
            return error::http_bad_start_line;
    }
    return error{};
}

head_parse_result head_parser::parse(std::span<const char> in, std::span<header> storage, head& out) noexcept {
    const std::string_view s(in.data(), in.size());
    // Only the first max_size bytes are ever judged, so the verdict does not depend on how much
    // arrived at once (found by fuzz_http_head: a long token line was "bad start line" when fed
    // whole but "too large" byte by byte).
    if (const error e = check_start(s.substr(0, std::min(s.size(), limits_.max_size))); e != error{})
        return {head_status::error, 0, e};

    // Resume the search for the blank line where the previous call stopped. A '\n' whose
    // successor has not arrived yet is re-examined next time.
    std::size_t i = scanned_;
    std::size_t end = 0;
    while (i < s.size()) {
        const void* lf = std::memchr(s.data() + i, '\n', s.size() - i);
        if (lf == nullptr) {
            i = s.size();
            break;
        }
        i = static_cast<std::size_t>(static_cast<const char*>(lf) - s.data());
        if (i + 1 >= s.size())
            break;
        if (s[i + 1] == '\n') {
            end = i + 2;
            break;
        }
        if (s[i + 1] == '\r') {
            if (i + 2 >= s.size())
                break;
            if (s[i + 2] == '\n') {
                end = i + 3;
                break;
            }
        }
        ++i;
    }
    scanned_ = i;

    if ((end == 0 && s.size() > limits_.max_size) || end > limits_.max_size)
        return {head_status::error, 0, error::http_head_too_large};
    if (end == 0)
        return {head_status::need_more};
    return parse_complete(s.substr(0, end), storage, out);
}

head_parse_result head_parser::parse_complete(std::string_view text, std::span<header> storage,
                                              head& out) const noexcept {
    head result;
    std::string_view rest = text;
    result.start_line = next_line(rest);
    const error start_error = kind_ == head_kind::response ? parse_status_line(result.start_line, result)
                                                           : parse_request_line(result.start_line, result);
    if (start_error != error{})
        return {head_status::error, 0, start_error};

    std::size_t count = 0;
    for (;;) {
        const std::string_view line = next_line(rest);
        if (line.empty())
            break;  // the blank line: `text` ends right after it
        if (is_ows(line.front()))
            return {head_status::error, 0, error::http_obs_fold};
        const std::size_t colon = line.find(':');
        if (colon == std::string_view::npos || colon == 0)
            return {head_status::error, 0, error::http_bad_header};
        const std::string_view name = line.substr(0, colon);
        const std::string_view value = trim_ows(line.substr(colon + 1));
        if (!all_of(name, is_tchar) || !all_of(value, is_text))
            return {head_status::error, 0, error::http_bad_header};
        if (count == storage.size())
            return {head_status::error, 0, error::http_head_too_large};
        storage[count++] = header{name, value};
    }
    result.headers = storage.first(count);
    out = result;
    return {head_status::complete, text.size()};
}

} // namespace burrow::http
