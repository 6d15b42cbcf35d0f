#include <burrow/error.hpp>

namespace burrow {
namespace {

class error_category_impl final : public boost::system::error_category {
public:
    // Fixed id: two copies of this category (two shared libraries) still compare equal.
    constexpr error_category_impl() noexcept : boost::system::error_category(0xb0aa'0e57'6c1e'0001ULL) {}

    const char* name() const noexcept override { return "burrow"; }

    std::string message(int ev) const override { return message(ev, nullptr, 0); }

    const char* message(int ev, char*, std::size_t) const noexcept override {
        switch (static_cast<error>(ev)) {
        case error::bad_opcode: return "frame with a reserved opcode";
        case error::bad_reserved_bits: return "frame with RSV bits set that no extension granted";
        case error::fragmented_control_frame: return "fragmented control frame";
        case error::control_frame_too_big: return "control frame payload longer than 125 bytes";
        case error::bad_payload_length: return "64-bit payload length with the most significant bit set";
        case error::non_minimal_length: return "payload length not in its shortest encoding";
        case error::unexpected_mask: return "masked frame sent by the server";
        case error::missing_mask: return "unmasked frame sent by the client";
        case error::unexpected_continuation: return "continuation frame with no message in progress";
        case error::expected_continuation: return "new data frame inside a fragmented message";
        case error::message_too_big: return "message larger than the configured maximum";
        case error::bad_utf8: return "text message is not valid UTF-8";
        case error::bad_close_payload: return "close frame with a 1-byte payload";
        case error::bad_close_code: return "close frame with a code not allowed on the wire";
        case error::bad_close_reason: return "close frame reason is not valid UTF-8";
        }
        return "unknown burrow error";
    }

    boost::system::error_condition default_error_condition(int ev) const noexcept override;
};

class condition_category_impl final : public boost::system::error_category {
public:
    constexpr condition_category_impl() noexcept
        : boost::system::error_category(0xb0aa'0e57'6c1e'0002ULL) {}

    const char* name() const noexcept override { return "burrow.condition"; }

    std::string message(int ev) const override {
        switch (static_cast<condition>(ev)) {
        case condition::protocol_violation: return "WebSocket protocol violation";
        }
        return "unknown burrow condition";
    }
};

constexpr error_category_impl error_category_instance;
constexpr condition_category_impl condition_category_instance;

boost::system::error_condition error_category_impl::default_error_condition(int ev) const noexcept {
    if (ev >= static_cast<int>(error::bad_opcode) && ev <= static_cast<int>(error::bad_close_reason))
        return {static_cast<int>(condition::protocol_violation), condition_category_instance};
    return {ev, *this};
}

} // namespace

const boost::system::error_category& error_category() noexcept { return error_category_instance; }

const boost::system::error_category& condition_category() noexcept { return condition_category_instance; }

ws::close_code to_close_code(error e) noexcept {
    switch (e) {
    case error::bad_utf8:
    case error::bad_close_reason: return ws::close_code::invalid_payload;
    case error::message_too_big: return ws::close_code::message_too_big;
    default: return ws::close_code::protocol_error;
    }
}

} // namespace burrow
