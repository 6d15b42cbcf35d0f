// Reading an HTTP/1.1 request head in an Asio coroutine server, with burrow's http::head_parser:
// the part of examples/echo_server.cpp and examples/chat_server.cpp that comes before deciding
// between a plain HTTP answer and a WebSocket upgrade (co_accept's embedding form). Header-only.
#pragma once

#include <burrow/http/head_parser.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <array>
#include <chrono>
#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace burrow::examples {

/// What read_request_head found.
struct request_head_result {
    std::size_t size = 0;  ///< bytes of `buffer` the head used; 0 when there is no head
    bool bad = false;      ///< size 0 because the bytes are not an acceptable HTTP head: answer 400
};

/// Reads until `buffer` (which may already hold bytes: a pipelined request) starts with a whole
/// request head, parsed into `head` (views into `buffer` and `storage`). Bounded: 16 KiB of head
/// (http::head_limits) and `timeout` for all of it. Size 0 when the peer left, took too long, or
/// sent something that is not HTTP (then `bad`). Bytes after the head stay in `buffer`.
template <class AsyncStream>
boost::asio::awaitable<request_head_result> co_read_request_head(AsyncStream& stream, std::string& buffer,
                                                                 http::head& head, std::span<http::header> storage,
                                                                 std::chrono::steady_clock::duration timeout) {
    using namespace boost::asio::experimental::awaitable_operators;
    http::head_parser parser(http::head_kind::request);
    boost::asio::steady_timer deadline(stream.get_executor(), timeout);
    std::array<char, 4096> chunk;
    for (;;) {
        if (!buffer.empty()) {
            const auto r = parser.parse(buffer, storage, head);
            if (r.status == http::head_status::complete)
                co_return request_head_result{r.size, false};
            if (r.status == http::head_status::error)
                co_return request_head_result{0, true};
        }
        auto read = co_await (stream.async_read_some(boost::asio::buffer(chunk), boost::asio::as_tuple(boost::asio::use_awaitable)) ||
                              deadline.async_wait(boost::asio::as_tuple(boost::asio::use_awaitable)));
        if (read.index() == 1)
            co_return request_head_result{};  // too slow
        auto [ec, n] = std::get<0>(read);
        if (ec)
            co_return request_head_result{};
        buffer.append(chunk.data(), n);
    }
}

/// True when the request asks for a WebSocket. co_accept then checks it fully, and refuses it
/// with the right status (400, 405, 426) when something is missing.
inline bool wants_websocket(const http::head& request) {
    return request.has_token("Upgrade", "websocket") || request.has_token("Connection", "upgrade");
}

/// The bytes after the head, as co_accept's `rest` argument wants them.
inline std::vector<std::byte> bytes_after(std::string_view buffer, std::size_t head_size) {
    const auto* p = reinterpret_cast<const std::byte*>(buffer.data() + head_size);
    return std::vector<std::byte>(p, p + (buffer.size() - head_size));
}

/// A complete HTTP/1.1 response with a body; `extra_headers` are whole lines ("Allow: GET\r\n").
inline std::string http_response(unsigned status, std::string_view reason, std::string_view content_type,
                                 std::string_view body, std::string_view extra_headers, bool keep_alive,
                                 bool head_only = false) {
    std::string out = "HTTP/1.1 " + std::to_string(status) + " " + std::string(reason) + "\r\n";
    out += "Content-Type: " + std::string(content_type) + "\r\n";
    out += "Content-Length: " + std::to_string(body.size()) + "\r\n";
    out += extra_headers;
    out += keep_alive ? "" : "Connection: close\r\n";
    out += "\r\n";
    if (!head_only)
        out += body;
    return out;
}

} // namespace burrow::examples
