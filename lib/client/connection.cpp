// The connection wrapper: each operation branches on the layers variant, which
// returns the concrete stream's own awaitable, so no coroutine frame is added per call.
#include <burrow/asio/connect.hpp>
#include <burrow/asio/detail/connect_layers.hpp>


namespace burrow {

namespace asio = boost::asio;
using boost::system::error_code;

connection::connection(std::unique_ptr<detail::connection_layers> l, connect_report report)
    : layers_(std::move(l)), report_(std::move(report)) {
    error_.phase = connect_phase::open;
}

connection::connection(connect_error e, connect_report report) : error_(std::move(e)), report_(std::move(report)) {}

connection::connection(connection&&) noexcept = default;
connection& connection::operator=(connection&&) noexcept = default;
connection::~connection() = default;

namespace {

// Calls f(websocket::stream<...>&) on the stream in use: a branch per layer type, no virtual call.
// The monostate alternative only exists while connect() builds the layers; a connection never
// holds it (std::get would throw: a bug, not a network condition).
template <class Layers, class F>
decltype(auto) on_stream(Layers& layers, F&& f) {
    if (auto* s = std::get_if<1>(&layers.stream))
        return f(*s);
    if (auto* s = std::get_if<2>(&layers.stream))
        return f(*s);
    return f(std::get<3>(layers.stream));
}

// What an operation on a connection without a stream reports: connect()'s error.
error_code unusable(const connect_error& e) {
    return e.ec ? e.ec : make_error_code(error::closed);
}

template <class T>
asio::awaitable<T> ready(T value) {
    co_return value;
}

} // namespace

std::string_view connection::subprotocol() const noexcept {
    if (!report_.handshake)
        return {};
    return report_.handshake->agreement.subprotocol;
}

asio::awaitable<boost::system::result<connection::message>> connection::co_read() {
    message m;
    auto r = co_await co_read(m.data);
    if (!r)
        co_return r.error();
    m.type = r->type;
    co_return m;
}

asio::awaitable<boost::system::result<websocket::message_info>> connection::co_read(std::string& out) {
    if (!layers_)
        return ready(boost::system::result<websocket::message_info>(unusable(error_)));
    return on_stream(*layers_, [&](auto& s) { return s.co_read(out); });
}

asio::awaitable<boost::system::result<websocket::frame_piece>> connection::co_read_frame() {
    if (!layers_)
        return ready(boost::system::result<websocket::frame_piece>(unusable(error_)));
    return on_stream(*layers_, [](auto& s) { return s.co_read_frame(); });
}

asio::awaitable<error_code> connection::co_write_text(std::string_view text) {
    if (!layers_)
        return ready(unusable(error_));
    return on_stream(*layers_, [text](auto& s) { return s.co_write_text(text); });
}

asio::awaitable<error_code> connection::co_write(std::span<const std::byte> payload, ws::opcode type) {
    if (!layers_)
        return ready(unusable(error_));
    return on_stream(*layers_, [&](auto& s) { return s.co_write(payload, type); });
}

asio::awaitable<error_code> connection::co_ping(std::span<const std::byte> payload) {
    if (!layers_)
        return ready(unusable(error_));
    return on_stream(*layers_, [&](auto& s) { return s.co_ping(payload); });
}

asio::awaitable<error_code> connection::co_close(ws::close_code code, std::string_view reason) {
    if (!layers_)
        return ready(unusable(error_));
    return on_stream(*layers_, [&](auto& s) { return s.co_close(code, reason); });
}

bool connection::is_open() const noexcept {
    return layers_ && on_stream(*layers_, [](const auto& s) { return s.is_open(); });
}

ws::close_code connection::peer_close_code() const noexcept {
    return layers_ ? on_stream(*layers_, [](const auto& s) { return s.peer_close_code(); }) : ws::close_code::no_status;
}

std::string_view connection::peer_close_reason() const noexcept {
    return layers_ ? on_stream(*layers_, [](const auto& s) { return s.peer_close_reason(); }) : std::string_view{};
}

std::string_view connection::layers_name() const noexcept {
    if (!layers_)
        return {};
    switch (layers_->stream.index()) {
    case 1: return "tcp";
    case 2: return "tls";
    case 3: return "tls-in-tls";
    }
    return {};
}

} // namespace burrow
