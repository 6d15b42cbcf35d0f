// HTTP/1.x message heads (RFC 9112): the CONNECT reply, the WebSocket upgrade request and response.
//
// Theory of operation: the caller accumulates received bytes in one buffer and calls `parse` with
// all of them each time more arrive. The parser remembers how far it searched for the end of the
// head, so byte-at-a-time input costs linear time. It answers:
//   - need_more: no blank line yet (and nothing wrong so far);
//   - complete: `size` is the number of bytes the head used, including the blank line. Bytes after
//     it (a tunnel's first bytes, a first WebSocket frame, a body) are the caller's, untouched;
//   - error: what is wrong, as early as it can be seen: bytes that cannot start an HTTP head (a TLS
//     record, an SSH banner) fail at once, not after 16 KiB.
// The head is bounded (`head_limits::max_size`, 16 KiB by default): a longer one is an error,
// never a hang or a big buffer. Header views point into the caller's buffer and into the
// caller-provided `storage` array, so nothing is allocated; they live as long as those do.
//
// Accepted: HTTP/1.0 and HTTP/1.1, a status line with or without a reason phrase, CRLF or bare LF
// line ends, repeated headers. Rejected: other versions, whitespace before a header's colon, obsolete
// line folding, control bytes in values, more headers than `storage` holds.
#pragma once

#include <burrow/config.hpp>
#include <burrow/error.hpp>
#include <burrow/http/token.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

namespace burrow::http {

struct header {
    std::string_view name;   ///< as received; compare with `iequals`
    std::string_view value;  ///< leading and trailing whitespace removed
};

/// A parsed head. Every view points into the caller's buffer or header storage.
struct head {
    std::string_view start_line;  ///< without its line end
    unsigned version_minor = 1;   ///< 0 for HTTP/1.0, 1 for HTTP/1.1
    unsigned status = 0;          ///< responses: the status code
    std::string_view reason;      ///< responses: the reason phrase (may be empty)
    std::string_view method;      ///< requests
    std::string_view target;      ///< requests: the request-target as sent
    std::span<const header> headers;

    /// The first header named `name` (case-insensitive), if any.
    std::optional<std::string_view> find(std::string_view name) const noexcept;

    /// How many headers are named `name`.
    std::size_t count(std::string_view name) const noexcept;

    /// True when some header named `name` holds `token` in its comma-separated list
    /// (case-insensitive), e.g. has_token("Connection", "upgrade") for "keep-alive, Upgrade".
    bool has_token(std::string_view name, std::string_view token) const noexcept;

    /// Calls `f(value)` for each header named `name`, in order.
    template <class F>
    void for_each(std::string_view name, F&& f) const {
        for (const auto& h : headers)
            if (iequals(h.name, name))
                f(h.value);
    }
};

enum class head_kind : std::uint8_t { request, response };

struct head_limits {
    std::size_t max_size = 16 * 1024;  ///< bytes, start line to blank line inclusive
};

enum class head_status : std::uint8_t { complete, need_more, error };

struct head_parse_result {
    head_status status;
    std::size_t size = 0;  ///< complete: bytes the head used
    error err{};           ///< with status error
};

class head_parser {
public:
    explicit head_parser(head_kind kind, head_limits limits = {}) noexcept : kind_(kind), limits_(limits) {}

    /// Parses the head at the start of `in`: every byte received so far, the same bytes as in the
    /// previous call plus any new ones. Headers are stored in `storage`, which bounds their number.
    /// On complete, `out` holds the head.
    head_parse_result parse(std::span<const char> in, std::span<header> storage, head& out) noexcept;

    /// Starts over for a new head (for instance the reply to a second CONNECT).
    void reset() noexcept { scanned_ = 0; }

private:
    error check_start(std::string_view in) const noexcept;
    head_parse_result parse_complete(std::string_view text, std::span<header> storage, head& out) const noexcept;

    head_kind kind_;
    head_limits limits_;
    std::size_t scanned_ = 0;  // bytes already searched for the end of the head
};

} // namespace burrow::http
