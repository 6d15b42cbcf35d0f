#include <burrow/proxy/socks5.hpp>

#include <algorithm>
#include <cstring>

namespace burrow::proxy {
namespace {

// RFC 1928 §3-6 and RFC 1929 §2 wire values.
constexpr std::uint8_t socks_version = 0x05;
constexpr std::uint8_t auth_version = 0x01; // version of the RFC 1929 sub-negotiation
constexpr std::uint8_t method_none = 0x00;
constexpr std::uint8_t method_password = 0x02;
constexpr std::uint8_t method_rejected = 0xFF;
constexpr std::uint8_t command_connect = 0x01;
constexpr std::uint8_t reply_succeeded = 0x00;
constexpr std::uint8_t last_known_reply = 0x08; // 0x01..0x08 map to socks_general_failure..
constexpr std::size_t method_reply_size = 2;
constexpr std::size_t auth_reply_size = 2;
constexpr std::size_t reply_head_size = 5; // VER REP RSV ATYP + first byte of BND.ADDR

// The reply codes 1..8 and the errors for them must stay in the same order.
static_assert(static_cast<int>(error::socks_address_not_supported) -
                  static_cast<int>(error::socks_general_failure) ==
              last_known_reply - 1);

constexpr std::byte to_byte(std::uint8_t v) noexcept {
    return static_cast<std::byte>(v);
}
constexpr std::uint8_t at(const std::byte* p, std::size_t i) noexcept {
    return static_cast<std::uint8_t>(p[i]);
}

bool valid_name_size(std::size_t n) noexcept {
    return n >= 1 && n <= socks5_max_name;
}

// Appends bytes at `pos`; the callers have checked every length against the array sizes.
template <std::size_t N>
class writer {
public:
    explicit writer(std::array<std::byte, N>& out) noexcept
        : out_(out) {}
    void byte(std::uint8_t v) noexcept { out_[pos_++] = to_byte(v); }
    void port(std::uint16_t p) noexcept {
        byte(static_cast<std::uint8_t>(p >> 8));
        byte(static_cast<std::uint8_t>(p & 0xFF));
    }
    void bytes(std::span<const std::uint8_t> v) noexcept {
        for (auto b : v)
            byte(b);
    }
    void text(std::string_view s) noexcept {
        byte(static_cast<std::uint8_t>(s.size())); // one length byte: the caller checked <= 255
        for (char c : s)
            byte(static_cast<std::uint8_t>(c));
    }
    std::size_t size() const noexcept { return pos_; }

private:
    std::array<std::byte, N>& out_;
    std::size_t pos_ = 0;
};

// Bytes after ATYP and the first address byte (already read in the head): the rest of the
// address, then the 2-byte port. For a domain, the first address byte was the name's length.
std::size_t reply_tail_size(std::uint8_t atyp, std::uint8_t first_address_byte) noexcept {
    switch (static_cast<socks5_address_type>(atyp)) {
    case socks5_address_type::ipv4:
        return 4 - 1 + 2;
    case socks5_address_type::ipv6:
        return 16 - 1 + 2;
    case socks5_address_type::domain:
        return std::size_t{first_address_byte} + 2;
    }
    return 0; // unreachable: check_received rejected other types
}

} // namespace

socks5_target socks5_target::ipv4(const std::array<std::uint8_t, 4>& address, std::uint16_t port) noexcept {
    socks5_target t;
    t.type = socks5_address_type::ipv4;
    std::copy(address.begin(), address.end(), t.ip.begin());
    t.port = port;
    return t;
}

socks5_target socks5_target::ipv6(const std::array<std::uint8_t, 16>& address, std::uint16_t port) noexcept {
    socks5_target t;
    t.type = socks5_address_type::ipv6;
    t.ip = address;
    t.port = port;
    return t;
}

socks5_target socks5_target::domain(std::string_view host, std::uint16_t port) noexcept {
    socks5_target t;
    t.type = socks5_address_type::domain;
    t.name = host;
    t.port = port;
    return t;
}

socks5_client::socks5_client(const socks5_target& target,
                             std::optional<socks5_credentials> credentials) noexcept {
    // Judge the input first, so no message is ever built from an over-long string.
    if (credentials &&
        (!valid_name_size(credentials->user.size()) || !valid_name_size(credentials->password.size()))) {
        failed_ = error::socks_name_too_long;
        return;
    }
    switch (target.type) {
    case socks5_address_type::ipv4:
    case socks5_address_type::ipv6:
        break;
    case socks5_address_type::domain:
        if (!valid_name_size(target.name.size())) {
            failed_ = error::socks_name_too_long;
            return;
        }
        break;
    default:
        // Only reachable through a cast: refuse it here rather than send an ATYP the proxy rejects.
        failed_ = error::socks_address_not_supported;
        return;
    }

    // Greeting: offer "no authentication" always, so a proxy that needs none is not made to
    // check credentials it has no use for (curl does the same).
    writer<4> greeting(small_);
    greeting.byte(socks_version);
    greeting.byte(credentials ? 2 : 1);
    greeting.byte(method_none);
    if (credentials)
        greeting.byte(method_password);
    greeting_size_ = static_cast<std::uint8_t>(greeting.size());

    if (credentials) {
        writer<socks5_max_auth_request> auth(auth_);
        auth.byte(auth_version);
        auth.text(credentials->user);
        auth.text(credentials->password);
        auth_size_ = static_cast<std::uint16_t>(auth.size());
    }

    writer<socks5_max_connect_message> request(connect_);
    request.byte(socks_version);
    request.byte(command_connect);
    request.byte(0x00); // RSV
    request.byte(static_cast<std::uint8_t>(target.type));
    switch (target.type) {
    case socks5_address_type::ipv4:
        request.bytes(std::span(target.ip).first<4>());
        break;
    case socks5_address_type::ipv6:
        request.bytes(target.ip);
        break;
    case socks5_address_type::domain:
        request.text(target.name);
        break;
    }
    request.port(target.port);
    connect_size_ = static_cast<std::uint16_t>(request.size());
}

socks5_action socks5_client::fail(error e) noexcept {
    failed_ = e;
    state_ = state::failed;
    return {socks5_action_kind::error, {}, {}, e};
}

socks5_action socks5_client::write_action(state next, std::span<const std::byte> data) noexcept {
    state_ = next;
    return {socks5_action_kind::write, data, {}, {}};
}

socks5_action socks5_client::read_action(state next, std::size_t size) noexcept {
    state_ = next;
    want_ = static_cast<std::uint16_t>(size);
    have_ = 0;
    return ask_for_rest();
}

socks5_action socks5_client::ask_for_rest() noexcept {
    return {socks5_action_kind::read, {}, std::span(read_area() + have_, want_ - have_), {}};
}

bool socks5_client::reads_into_small() const noexcept {
    // The 2-byte replies reuse the greeting's bytes (sent by then); the CONNECT reply goes to
    // auth_, which was sent before the CONNECT request.
    return state_ == state::method_reply || state_ == state::auth_reply;
}

std::byte* socks5_client::read_area() noexcept {
    // Computed, not stored, so that a moved machine reads into its own arrays.
    return reads_into_small() ? small_.data() : auth_.data();
}

error socks5_client::check_received() const noexcept {
    const std::byte* p = reads_into_small() ? small_.data() : auth_.data();
    switch (state_) {
    case state::method_reply:
        if (have_ >= 1 && at(p, 0) != socks_version)
            return error::socks_malformed_reply;
        if (have_ >= 2) {
            const std::uint8_t method = at(p, 1);
            if (method == method_rejected)
                return error::socks_no_acceptable_method;
            // A server may only pick a method we offered: anything else means it does not speak
            // the protocol we think it does.
            if (method != method_none && !(method == method_password && auth_size_ != 0))
                return error::socks_malformed_reply;
        }
        return {};
    case state::auth_reply:
        if (have_ >= 1 && at(p, 0) != auth_version)
            return error::socks_malformed_reply;
        if (have_ >= 2 && at(p, 1) != 0)
            return error::socks_auth_failed;
        return {};
    case state::reply_head:
    case state::reply_tail:
        if (have_ >= 1 && at(p, 0) != socks_version)
            return error::socks_malformed_reply;
        if (have_ >= 2) {
            const std::uint8_t rep = at(p, 1);
            if (rep != reply_succeeded && rep <= last_known_reply)
                return static_cast<error>(static_cast<int>(error::socks_general_failure) + rep - 1);
            if (rep != reply_succeeded)
                return error::socks_unknown_reply;
        }
        // RSV (byte 2) is not checked: it carries no meaning, and curl and PySocks ignore it too.
        if (have_ >= 4) {
            const auto atyp = static_cast<socks5_address_type>(at(p, 3));
            if (atyp != socks5_address_type::ipv4 && atyp != socks5_address_type::ipv6 &&
                atyp != socks5_address_type::domain)
                return error::socks_malformed_reply;
        }
        return {};
    default:
        return {};
    }
}

socks5_action socks5_client::resume(std::span<const std::byte> received) noexcept {
    switch (state_) {
    case state::start:
        if (failed_ != error{})
            return fail(failed_);
        return write_action(state::greeting, std::span(small_).first(greeting_size_));

    case state::greeting:
    case state::auth_request:
    case state::connect_request:
        // The server has nothing to say while we write: bytes here are a driver bug.
        if (!received.empty())
            return fail(error::socks_malformed_reply);
        if (state_ == state::greeting)
            return read_action(state::method_reply, method_reply_size);
        if (state_ == state::auth_request)
            return read_action(state::auth_reply, auth_reply_size);
        return read_action(state::reply_head, reply_head_size);

    case state::method_reply:
    case state::auth_reply:
    case state::reply_head:
    case state::reply_tail: {
        if (received.size() > std::size_t{want_} - have_)
            return fail(error::socks_malformed_reply);
        std::byte* dest = read_area() + have_;
        // The driver may have read straight into the action's buffer: then there is nothing to copy.
        if (!received.empty() && received.data() != dest)
            std::memmove(dest, received.data(), received.size());
        have_ = static_cast<std::uint16_t>(have_ + received.size());
        if (const error e = check_received(); e != error{})
            return fail(e);
        if (have_ < want_)
            return ask_for_rest();
        return advance();
    }

    case state::done:
        return {socks5_action_kind::done, {}, {}, {}};
    case state::failed:
        return {socks5_action_kind::error, {}, {}, failed_};
    }
    return fail(error::socks_malformed_reply); // unreachable: every state is handled above
}

socks5_action socks5_client::advance() noexcept {
    // The step's bytes are all in and check_received accepted them.
    switch (state_) {
    case state::method_reply:
        if (at(small_.data(), 1) == method_password)
            return write_action(state::auth_request, std::span(auth_).first(auth_size_));
        return write_action(state::connect_request, std::span(connect_).first(connect_size_));
    case state::auth_reply:
        return write_action(state::connect_request, std::span(connect_).first(connect_size_));
    case state::reply_head: {
        // Keep have_ and grow want_: the tail lands right after the head, so the whole reply is
        // contiguous for bound().
        state_ = state::reply_tail;
        const std::size_t tail = reply_tail_size(at(auth_.data(), 3), at(auth_.data(), 4));
        want_ = static_cast<std::uint16_t>(reply_head_size + tail);
        return ask_for_rest();
    }
    case state::reply_tail:
        state_ = state::done;
        return {socks5_action_kind::done, {}, {}, {}};
    default:
        return fail(error::socks_malformed_reply); // unreachable: only read steps advance
    }
}

socks5_target socks5_client::bound() const noexcept {
    if (state_ != state::done)
        return {};
    const std::byte* p = auth_.data();
    socks5_target t;
    t.type = static_cast<socks5_address_type>(at(p, 3));
    std::size_t pos = 4;
    switch (t.type) {
    case socks5_address_type::ipv4:
    case socks5_address_type::ipv6: {
        const std::size_t n = t.type == socks5_address_type::ipv4 ? 4 : 16;
        for (std::size_t i = 0; i < n; ++i)
            t.ip[i] = at(p, pos + i);
        pos += n;
        break;
    }
    case socks5_address_type::domain: {
        const std::size_t n = at(p, pos);
        t.name = std::string_view(reinterpret_cast<const char*>(p + pos + 1), n);
        pos += 1 + n;
        break;
    }
    }
    t.port = static_cast<std::uint16_t>((at(p, pos) << 8) | at(p, pos + 1));
    return t;
}

} // namespace burrow::proxy
