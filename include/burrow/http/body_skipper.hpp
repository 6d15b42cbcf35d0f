// Reads past the body of an HTTP response without keeping it, so the connection can carry the next
// request (a 407 answered on the same connection). RFC 9112 §6.3 decides where the body ends:
//   - no body: 1xx, 204, 304, a 2xx to CONNECT, or Content-Length: 0;
//   - Transfer-Encoding ending in "chunked": chunks up to the last one and its trailer;
//   - Content-Length: that many bytes (several equal values are fine, different ones are not);
//   - otherwise: until the server closes, which makes the connection unusable for another request.
// Theory of operation: `consume` takes whatever bytes arrived, reports how many belong to the body
// and whether it ended; bytes after the end are the caller's. A body over `max_size` bytes (wire
// bytes, chunk framing included) is an error: a hostile peer cannot keep us reading forever.
#pragma once

#include <burrow/config.hpp>
#include <burrow/error.hpp>
#include <burrow/http/head_parser.hpp>

#include <boost/system/result.hpp>

#include <cstdint>
#include <span>

namespace burrow::http {

enum class body_framing : std::uint8_t { none, content_length, chunked, until_close };

struct skip_result {
    std::size_t consumed = 0;  ///< bytes of the input that belonged to the body
    bool done = false;         ///< the body ended (never for until_close: the caller waits for EOF)
    error err{};
};

class body_skipper {
public:
    /// The skipper for the body of `response`, sent in answer to a request with `request_method`.
    static boost::system::result<body_skipper> for_response(const head& response, std::string_view request_method,
                                                            std::uint64_t max_size = 1024 * 1024) noexcept;

    body_framing framing() const noexcept { return framing_; }

    /// True when the body ends by itself, so the connection can be reused afterwards.
    bool self_delimited() const noexcept { return framing_ != body_framing::until_close; }

    /// Skips body bytes at the front of `in`.
    skip_result consume(std::span<const char> in) noexcept;

private:
    enum class chunk_state : std::uint8_t { size, extension, size_lf, data, data_cr, data_lf, trailer, trailer_lf };

    body_framing framing_ = body_framing::none;
    chunk_state chunk_ = chunk_state::size;
    bool size_seen_ = false;           // at least one hex digit in the current chunk-size line
    bool trailer_line_empty_ = true;   // the current trailer line has no characters yet
    std::uint64_t remaining_ = 0;      // content_length: bytes left; chunked: bytes left in the chunk
    std::uint64_t total_ = 0;          // wire bytes skipped so far
    std::uint64_t max_size_ = 0;
};

} // namespace burrow::http
