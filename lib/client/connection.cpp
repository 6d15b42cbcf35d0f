// The connection wrapper: each operation is a switch over the layers variant (std::visit), which
// returns the concrete stream's own awaitable, so no coroutine frame is added per call.
#include <burrow/asio/connect.hpp>

namespace burrow {

namespace asio = boost::asio;
using boost::system::error_code;

connection::connection(std::unique_ptr<layers> l, connect_report report)
    : layers_(std::move(l)), report_(std::move(report)) {
    error_.phase = connect_phase::open;
}

connection::connection(connect_error e, connect_report report) : error_(std::move(e)), report_(std::move(report)) {}

connection::~connection() = default;

namespace {

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
    return std::visit([&](auto& s) { return s.co_read(out); }, *layers_);
}

asio::awaitable<boost::system::result<websocket::frame_piece>> connection::co_read_frame() {
    if (!layers_)
        return ready(boost::system::result<websocket::frame_piece>(unusable(error_)));
    return std::visit([](auto& s) { return s.co_read_frame(); }, *layers_);
}

asio::awaitable<error_code> connection::co_write_text(std::string_view text) {
    if (!layers_)
        return ready(unusable(error_));
    return std::visit([text](auto& s) { return s.co_write_text(text); }, *layers_);
}

asio::awaitable<error_code> connection::co_write(std::span<const std::byte> payload, ws::opcode type) {
    if (!layers_)
        return ready(unusable(error_));
    return std::visit([&](auto& s) { return s.co_write(payload, type); }, *layers_);
}

asio::awaitable<error_code> connection::co_ping(std::span<const std::byte> payload) {
    if (!layers_)
        return ready(unusable(error_));
    return std::visit([&](auto& s) { return s.co_ping(payload); }, *layers_);
}

asio::awaitable<error_code> connection::co_close(ws::close_code code, std::string_view reason) {
    if (!layers_)
        return ready(unusable(error_));
    return std::visit([&](auto& s) { return s.co_close(code, reason); }, *layers_);
}

bool connection::is_open() const noexcept {
    return layers_ && std::visit([](const auto& s) { return s.is_open(); }, *layers_);
}

ws::close_code connection::peer_close_code() const noexcept {
    return layers_ ? std::visit([](const auto& s) { return s.peer_close_code(); }, *layers_) : ws::close_code::no_status;
}

std::string_view connection::peer_close_reason() const noexcept {
    return layers_ ? std::visit([](const auto& s) { return s.peer_close_reason(); }, *layers_) : std::string_view{};
}

} // namespace burrow
