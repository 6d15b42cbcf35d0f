// The SOCKS5 client exchange (RFC 1928, with RFC 1929 username/password) as a sans-I/O state machine.
//
// Theory of operation: a `socks5_client` is built from the target and optional credentials. It
// copies everything it needs (the name, user and password), so the caller's strings only have to
// live until the constructor returns. The driver then calls `resume` in a loop; each call returns
// one action:
//   - write: send every byte of `data` (e.g. asio::async_write), then call `resume({})`;
//   - read: `buffer.size()` is exactly how many more bytes the exchange needs. Read at most that
//     many (into `buffer`, or anywhere) and pass what arrived to `resume`; fewer is fine, the
//     machine asks again for the rest. SOCKS messages carry their own lengths, so the machine
//     never asks for a byte past the end of the server's reply: whatever follows it belongs to
//     the tunnel and stays unread in the socket;
//   - done: the tunnel is open; `bound()` is the address and port the proxy reported;
//   - error: `err` says why. Bad input (a name, user or password outside 1..255 bytes) is
//     reported by the first `resume`, before anything is written.
// After done or error, `resume` keeps returning the same action.
//
// The exchange: greeting (VER 5, the methods offered: 0x00 "no authentication", plus 0x02
// "username/password" when credentials were given) -> method reply -> [RFC 1929 sub-negotiation
// when the server picked 0x02] -> CONNECT request (ATYP 1 IPv4, 3 domain name, 4 IPv6) -> reply.
// The reply is read in two steps: 5 bytes (VER REP RSV ATYP and the first address byte, which for
// a domain name is its length), then the rest of the address and the port.
// Every received byte is judged as soon as it arrives, so a refusal (REP != 0) is reported even
// when the server closes the connection without sending the rest of the reply.
//
// I/O errors, end of stream and timeouts are the driver's business: the machine never sees them.
// A driver that reaches end of stream while the machine asks for bytes reports proxy_closed.
//
// Invariants: no allocation, no exception, no Asio; the object is trivially copyable (about 800
// bytes: every message is built at construction into fixed arrays).
#pragma once

#include <burrow/config.hpp>
#include <burrow/error.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <type_traits>

namespace burrow::proxy {

/// The longest name SOCKS5 can carry: host names (ATYP 3), user names and passwords each have a
/// one-byte length.
inline constexpr std::size_t socks5_max_name = 255;

/// The longest message the client sends: the RFC 1929 request VER ULEN UNAME PLEN PASSWD.
inline constexpr std::size_t socks5_max_auth_request = 1 + 1 + socks5_max_name + 1 + socks5_max_name;

/// The longest CONNECT request and the longest CONNECT reply: VER CMD/REP RSV ATYP, a length
/// byte and a 255-byte name, the port.
inline constexpr std::size_t socks5_max_connect_message = 4 + 1 + socks5_max_name + 2;

/// The address types of RFC 1928 §5, with their wire values.
enum class socks5_address_type : std::uint8_t { ipv4 = 1, domain = 3, ipv6 = 4 };

/// An address and port as SOCKS5 carries them: the target of CONNECT, or the bound address of a
/// reply. Build targets with the helpers: `ipv4` and `ipv6` for `socks5://` (the caller resolved
/// the host), `domain` for `socks5h://` (the proxy resolves it).
struct socks5_target {
    socks5_address_type type = socks5_address_type::ipv4;
    /// ipv4: the first 4 bytes, ipv6: all 16, in network order (as Asio's `to_bytes()` gives them).
    std::array<std::uint8_t, 16> ip{};
    /// domain: the host name. Not owned: it must live as long as the object it was given to needs
    /// it (a `socks5_client` copies it in its constructor).
    std::string_view name;
    std::uint16_t port = 0; ///< host byte order

    /// An IPv4 target: `address` in network order, e.g. `asio::ip::address_v4::to_bytes()`.
    static socks5_target ipv4(const std::array<std::uint8_t, 4>& address, std::uint16_t port) noexcept;

    /// An IPv6 target: `address` in network order, e.g. `asio::ip::address_v6::to_bytes()`.
    static socks5_target ipv6(const std::array<std::uint8_t, 16>& address, std::uint16_t port) noexcept;

    /// A host name for the proxy to resolve (socks5h). Only views `host`; its length (1..255) is
    /// checked by `socks5_client`, which fails with socks_name_too_long otherwise.
    static socks5_target domain(std::string_view host, std::uint16_t port) noexcept;

    friend bool operator==(const socks5_target&, const socks5_target&) = default;
};

/// Username/password for RFC 1929. Each must be 1..255 bytes, else socks_name_too_long. Only
/// viewed: a `socks5_client` copies both in its constructor.
struct socks5_credentials {
    std::string_view user;
    std::string_view password;
};

enum class socks5_action_kind : std::uint8_t { write, read, done, error };

/// What the driver must do next. The spans point into the `socks5_client` that returned the
/// action: they are valid until its next `resume`, move or destruction.
struct socks5_action {
    socks5_action_kind kind = socks5_action_kind::error;
    /// write: the bytes to send, all of them.
    std::span<const std::byte> data;
    /// read: where the next bytes may be read to. Its size is exactly how many more bytes the
    /// exchange needs; never read more, or tunnel bytes would be consumed.
    std::span<std::byte> buffer;
    /// error: what went wrong.
    error err{};
};

class socks5_client {
public:
    /// Prepares the exchange: checks the lengths and builds every message, so `target.name` and
    /// the credentials need only live until this returns. With credentials, the greeting offers
    /// both "no authentication" and "username/password"; the server chooses. Never fails:
    /// invalid input is reported by the first `resume` (socks_name_too_long; a `type` forged by a
    /// cast outside the three address types gives socks_address_not_supported).
    explicit socks5_client(const socks5_target& target,
                           std::optional<socks5_credentials> credentials = std::nullopt) noexcept;

    /// Advances the exchange (see the theory of operation above). `received` holds the bytes
    /// read since the last action: empty at the start and after a write, at most
    /// `buffer.size()` bytes after a read (it may be the action's `buffer` itself, or a part of
    /// it). Passing bytes when none were asked for, or more than asked, is a driver bug that
    /// fails the exchange with socks_malformed_reply rather than drop bytes silently.
    socks5_action resume(std::span<const std::byte> received) noexcept;

    /// After done: the address and port the proxy reported binding for the tunnel (BND.ADDR and
    /// BND.PORT); often 0.0.0.0:0 (microsocks), sometimes the proxy's outgoing address (dante).
    /// For diagnostics only. A domain `name` views this object: valid until it is moved or
    /// destroyed. Before done, a default `socks5_target`.
    socks5_target bound() const noexcept;

private:
    enum class state : std::uint8_t {
        start,           // nothing returned yet (or the input was invalid: failed_ is set)
        greeting,        // the greeting is being written
        method_reply,    // reading VER METHOD
        auth_request,    // the RFC 1929 request is being written
        auth_reply,      // reading VER STATUS
        connect_request, // the CONNECT request is being written
        reply_head,      // reading VER REP RSV ATYP and the first address byte
        reply_tail,      // reading the rest of BND.ADDR and BND.PORT
        done,
        failed,
    };

    socks5_action fail(error e) noexcept;
    socks5_action write_action(state next, std::span<const std::byte> data) noexcept;
    socks5_action read_action(state next, std::size_t size) noexcept;
    socks5_action ask_for_rest() noexcept;
    bool reads_into_small() const noexcept;
    std::byte* read_area() noexcept;
    error check_received() const noexcept;
    socks5_action advance() noexcept;

    // The CONNECT reply (up to 262 bytes) lands in auth_, which is free by then.
    std::array<std::byte, socks5_max_auth_request> auth_{};
    std::array<std::byte, socks5_max_connect_message> connect_{};
    // The greeting (3 or 4 bytes); once written, the 2-byte method and auth replies land here.
    std::array<std::byte, 4> small_{};
    std::uint16_t auth_size_ = 0; // 0: no credentials
    std::uint16_t connect_size_ = 0;
    std::uint16_t want_ = 0; // bytes the current read step needs in total
    std::uint16_t have_ = 0; // bytes of it received so far
    std::uint8_t greeting_size_ = 0;
    state state_ = state::start;
    error failed_{};
};

// Drivers may keep the machine in a coroutine frame or a struct and move it freely.
static_assert(std::is_trivially_copyable_v<socks5_client>);
static_assert(std::is_trivially_copyable_v<socks5_action>);

} // namespace burrow::proxy
