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
        case error::http_head_too_large: return "HTTP head larger than the limit";
        case error::http_bad_start_line: return "malformed HTTP status line or request line";
        case error::http_bad_version: return "unsupported HTTP version (only HTTP/1.0 and HTTP/1.1)";
        case error::http_bad_header: return "malformed HTTP header line";
        case error::http_obs_fold: return "HTTP header uses obsolete line folding";
        case error::http_bad_body_framing: return "unusable Content-Length or Transfer-Encoding";
        case error::http_body_too_large: return "HTTP body larger than the limit";
        case error::proxy_unreachable: return "cannot connect to the proxy";
        case error::proxy_closed: return "the proxy closed the connection before opening the tunnel";
        case error::proxy_malformed_reply: return "the proxy's reply is not valid HTTP";
        case error::proxy_reply_too_large: return "the proxy's reply head is larger than the limit";
        case error::proxy_refused: return "the proxy refused the CONNECT request";
        case error::proxy_auth_required: return "the proxy requires authentication and no credentials were given";
        case error::proxy_auth_failed: return "proxy authentication failed: the credentials were rejected";
        case error::proxy_auth_unsupported: return "the proxy offers no authentication scheme burrow supports";
        case error::proxy_timeout: return "the proxy did not answer in time";
        case error::proxy_bad_url: return "malformed proxy URL";
        case error::proxy_unsupported_scheme: return "unsupported proxy URL scheme (use http, https, socks5 or socks5h)";
        case error::socks_general_failure: return "SOCKS5 proxy: general failure";
        case error::socks_not_allowed: return "SOCKS5 proxy: connection not allowed by ruleset";
        case error::socks_network_unreachable: return "SOCKS5 proxy: network unreachable";
        case error::socks_host_unreachable: return "SOCKS5 proxy: host unreachable";
        case error::socks_connection_refused: return "SOCKS5 proxy: connection refused by the target";
        case error::socks_ttl_expired: return "SOCKS5 proxy: TTL expired";
        case error::socks_command_not_supported: return "SOCKS5 proxy: command not supported";
        case error::socks_address_not_supported: return "SOCKS5 proxy: address type not supported";
        case error::socks_unknown_reply: return "SOCKS5 proxy: unknown reply code";
        case error::socks_no_acceptable_method: return "SOCKS5 proxy: no acceptable authentication method";
        case error::socks_auth_failed: return "SOCKS5 proxy: username/password authentication failed";
        case error::socks_malformed_reply: return "SOCKS5 proxy: malformed reply";
        case error::socks_name_too_long: return "SOCKS5: host name, user name or password empty or longer than 255 bytes";
        case error::bad_url: return "malformed URL, or one without a usable host and port";
        case error::unsupported_url_scheme: return "unsupported URL scheme (use ws, wss, http or https)";
        case error::handshake_bad_status: return "the server did not accept the WebSocket upgrade";
        case error::handshake_bad_upgrade: return "WebSocket handshake: Upgrade header missing or not \"websocket\"";
        case error::handshake_bad_connection: return "WebSocket handshake: Connection header lacks the \"upgrade\" token";
        case error::handshake_bad_accept: return "WebSocket handshake: wrong or missing Sec-WebSocket-Accept";
        case error::handshake_unexpected_subprotocol: return "WebSocket handshake: the server chose a subprotocol that was not offered";
        case error::handshake_unexpected_extension: return "WebSocket handshake: the server chose an extension that was not offered";
        case error::handshake_bad_method: return "WebSocket handshake: the request method is not GET";
        case error::handshake_bad_http_version: return "WebSocket handshake: the request is not HTTP/1.1";
        case error::handshake_missing_host: return "WebSocket handshake: the request has no Host header";
        case error::handshake_bad_key: return "WebSocket handshake: Sec-WebSocket-Key missing or malformed";
        case error::handshake_bad_version: return "WebSocket handshake: unsupported Sec-WebSocket-Version (13 is required)";
        case error::handshake_not_websocket: return "not a WebSocket upgrade request";
        case error::closed: return "the WebSocket connection was closed";
        case error::connection_lost: return "the connection ended without a WebSocket close handshake";
        case error::ping_timeout: return "no pong from the peer within the keepalive timeout";
        case error::idle_timeout: return "nothing received from the peer within the idle timeout";
        case error::close_timeout: return "the peer did not complete the close handshake in time";
        case error::operation_in_progress: return "another operation of the same kind is already in progress";
        case error::message_too_big_for_buffer: return "the message does not fit the buffer given to read";
        case error::bad_write: return "the frame cannot be sent (control frames are at most 125 bytes and never fragmented)";
        case error::tls_unknown_issuer: return "TLS: the certificate is not signed by a trusted authority";
        case error::tls_hostname_mismatch: return "TLS: the certificate does not match the host name";
        case error::tls_certificate_expired: return "TLS: the certificate has expired";
        case error::tls_certificate_not_yet_valid: return "TLS: the certificate is not valid yet";
        case error::tls_certificate_invalid: return "TLS: the certificate failed verification";
        case error::tls_alert: return "TLS: the peer sent a fatal alert";
        case error::tls_not_tls: return "TLS: the peer is not speaking TLS";
        case error::tls_handshake_failed: return "TLS handshake failed";
        case error::tls_bad_configuration: return "TLS: unusable configuration (CA, certificate or key file)";
        case error::tls_timeout: return "TLS: the handshake did not finish in time";
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
        case condition::http_failed: return "malformed HTTP head";
        case condition::proxy_failed: return "the proxy did not open the tunnel";
        case condition::invalid_url: return "unusable URL";
        case condition::handshake_failed: return "the WebSocket opening handshake failed";
        case condition::connection_ended: return "the WebSocket connection ended";
        case condition::tls_failed: return "the TLS session could not be set up";
        }
        return "unknown burrow condition";
    }
};

constexpr error_category_impl error_category_instance;
constexpr condition_category_impl condition_category_instance;

boost::system::error_condition error_category_impl::default_error_condition(int ev) const noexcept {
    // Errors are numbered in blocks by phase (1.. frames, 100.. HTTP, 200.. proxy, 300.. SOCKS,
    // 400.. URLs, 500.. upgrade, 600.. open connection, 700.. TLS).
    auto in = [ev](error first, error last) { return ev >= static_cast<int>(first) && ev <= static_cast<int>(last); };
    if (in(error::bad_opcode, error::bad_close_reason))
        return {static_cast<int>(condition::protocol_violation), condition_category_instance};
    if (in(error::http_head_too_large, error::http_body_too_large))
        return {static_cast<int>(condition::http_failed), condition_category_instance};
    if (in(error::proxy_unreachable, error::proxy_unsupported_scheme) ||
        in(error::socks_general_failure, error::socks_name_too_long))
        return {static_cast<int>(condition::proxy_failed), condition_category_instance};
    if (in(error::bad_url, error::unsupported_url_scheme))
        return {static_cast<int>(condition::invalid_url), condition_category_instance};
    if (in(error::handshake_bad_status, error::handshake_not_websocket))
        return {static_cast<int>(condition::handshake_failed), condition_category_instance};
    if (in(error::closed, error::close_timeout))
        return {static_cast<int>(condition::connection_ended), condition_category_instance};
    if (in(error::tls_unknown_issuer, error::tls_timeout))
        return {static_cast<int>(condition::tls_failed), condition_category_instance};
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
