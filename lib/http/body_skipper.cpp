#include <burrow/http/body_skipper.hpp>

#include <algorithm>

namespace burrow::http {
namespace {

int hex_value(char c) noexcept {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

// The last coding of the last Transfer-Encoding header.
std::string_view last_transfer_coding(const head& h) noexcept {
    std::string_view last;
    h.for_each("Transfer-Encoding", [&](std::string_view v) {
        const std::size_t comma = v.rfind(',');
        last = trim_ows(comma == std::string_view::npos ? v : v.substr(comma + 1));
    });
    return last;
}

// Every Content-Length value (repeated headers, comma lists) must be the same number (RFC 9110 §8.6).
boost::system::result<std::optional<std::uint64_t>> content_length(const head& h) noexcept {
    std::optional<std::uint64_t> length;
    bool bad = false;
    h.for_each("Content-Length", [&](std::string_view v) {
        while (!bad) {
            const std::size_t comma = v.find(',');
            const std::string_view item = trim_ows(v.substr(0, comma));
            std::uint64_t n = 0;
            if (item.empty() || item.size() > 18)
                bad = true;
            for (char c : item) {
                if (c < '0' || c > '9')
                    bad = true;
                n = n * 10 + static_cast<unsigned>(c - '0');
            }
            if (!bad && length && *length != n)
                bad = true;
            length = n;
            if (comma == std::string_view::npos)
                break;
            v.remove_prefix(comma + 1);
        }
    });
    if (bad)
        return make_error_code(error::http_bad_body_framing);
    return length;
}

} // namespace

boost::system::result<body_skipper> body_skipper::for_response(const head& response, std::string_view request_method,
                                                               std::uint64_t max_size) noexcept {
    body_skipper s;
    s.max_size_ = max_size;
    const unsigned status = response.status;
    if ((status >= 100 && status < 200) || status == 204 || status == 304 ||
        (iequals(request_method, "CONNECT") && status >= 200 && status < 300) || iequals(request_method, "HEAD"))
        return s;  // no body
    if (response.count("Transfer-Encoding") != 0) {
        // A response whose final coding is not chunked is delimited by the close (RFC 9112 §6.3).
        s.framing_ = iequals(last_transfer_coding(response), "chunked") ? body_framing::chunked
                                                                         : body_framing::until_close;
        return s;
    }
    auto length = content_length(response);
    if (!length)
        return length.error();
    if (!*length) {
        s.framing_ = body_framing::until_close;
        return s;
    }
    if (**length > max_size)
        return make_error_code(error::http_body_too_large);
    if (**length > 0) {
        s.framing_ = body_framing::content_length;
        s.remaining_ = **length;
    }
    return s;
}

skip_result body_skipper::consume(std::span<const char> in) noexcept {
    switch (framing_) {
    case body_framing::none: return {0, true};
    case body_framing::content_length: {
        const auto n = static_cast<std::size_t>(std::min<std::uint64_t>(in.size(), remaining_));
        remaining_ -= n;
        return {n, remaining_ == 0};
    }
    case body_framing::until_close:
        total_ += in.size();
        if (total_ > max_size_)
            return {in.size(), false, error::http_body_too_large};
        return {in.size(), false};
    case body_framing::chunked: break;
    }

    std::size_t i = 0;
    auto fail = [&](error e) { return skip_result{i, false, e}; };
    while (i < in.size()) {
        if (chunk_ == chunk_state::data) {
            const auto n = static_cast<std::size_t>(std::min<std::uint64_t>(in.size() - i, remaining_));
            i += n;
            total_ += n;
            remaining_ -= n;
            if (total_ > max_size_)
                return fail(error::http_body_too_large);
            if (remaining_ == 0)
                chunk_ = chunk_state::data_cr;
            continue;
        }
        const char c = in[i++];
        if (++total_ > max_size_)
            return fail(error::http_body_too_large);
        bool line_end = false;  // end of a chunk-size line
        switch (chunk_) {
        case chunk_state::size:
            if (const int d = hex_value(c); d >= 0) {
                if (remaining_ > (max_size_ >> 4))
                    return fail(error::http_body_too_large);
                remaining_ = remaining_ * 16 + static_cast<unsigned>(d);
                size_seen_ = true;
            } else if (c == ';' || c == ' ' || c == '\t') {
                chunk_ = chunk_state::extension;
            } else if (c == '\r') {
                chunk_ = chunk_state::size_lf;
            } else if (c == '\n') {
                line_end = true;
            } else {
                return fail(error::http_bad_body_framing);
            }
            break;
        case chunk_state::extension:
            if (c == '\n')
                line_end = true;
            break;
        case chunk_state::size_lf:
            if (c != '\n')
                return fail(error::http_bad_body_framing);
            line_end = true;
            break;
        case chunk_state::data_cr:
            if (c == '\r')
                chunk_ = chunk_state::data_lf;
            else if (c == '\n')
                chunk_ = chunk_state::size;
            else
                return fail(error::http_bad_body_framing);
            break;
        case chunk_state::data_lf:
            if (c != '\n')
                return fail(error::http_bad_body_framing);
            chunk_ = chunk_state::size;
            break;
        case chunk_state::trailer:
        case chunk_state::trailer_lf:
            if (c == '\n') {
                if (trailer_line_empty_)
                    return {i, true};
                trailer_line_empty_ = true;
                chunk_ = chunk_state::trailer;
            } else if (chunk_ == chunk_state::trailer_lf) {
                return fail(error::http_bad_body_framing);
            } else if (c == '\r') {
                chunk_ = chunk_state::trailer_lf;
            } else {
                trailer_line_empty_ = false;
            }
            break;
        case chunk_state::data: break;  // handled above
        }
        if (line_end) {
            if (!size_seen_)
                return fail(error::http_bad_body_framing);
            size_seen_ = false;
            chunk_ = remaining_ == 0 ? chunk_state::trailer : chunk_state::data;
            trailer_line_empty_ = true;
        }
    }
    return {i, false};
}

} // namespace burrow::http
