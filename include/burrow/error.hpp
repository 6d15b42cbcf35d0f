// burrow's error codes: one category ("burrow") for every failure the library detects itself, and
// conditions that group them. Expected network conditions are values, never exceptions.
//
// Each error that a peer can cause knows the close code burrow sends in answer (RFC 6455 §7.4.1):
// `to_close_code`. Enumerator names are permanent once released: add, never rename.
#pragma once

#include <burrow/config.hpp>
#include <burrow/ws/close_code.hpp>

#include <boost/system/error_code.hpp>

#include <type_traits>

namespace burrow {

enum class error : int {
    // --- frames received from the peer (RFC 6455 §5) ---
    bad_opcode = 1,            ///< reserved opcode 0x3-0x7 or 0xB-0xF
    bad_reserved_bits,         ///< RSV1/2/3 set without an extension that grants it
    fragmented_control_frame,  ///< control frame with FIN clear
    control_frame_too_big,     ///< control frame payload over 125 bytes
    bad_payload_length,        ///< 64-bit length with the most significant bit set
    non_minimal_length,        ///< length sent in a longer form than needed
    unexpected_mask,           ///< a client received a masked frame
    missing_mask,              ///< a server received an unmasked frame
    unexpected_continuation,   ///< continuation frame with no message in progress
    expected_continuation,     ///< new data frame while a fragmented message is in progress
    message_too_big,           ///< message larger than the configured maximum
    bad_utf8,                  ///< text message that is not valid UTF-8
    bad_close_payload,         ///< Close frame with a 1-byte payload
    bad_close_code,            ///< Close frame with a code not allowed on the wire
    bad_close_reason,          ///< Close frame whose reason is not valid UTF-8

    // --- HTTP/1.x heads (CONNECT replies, upgrade requests and responses) ---
    http_head_too_large = 100, ///< the head did not end within the configured limit
    http_bad_start_line,       ///< malformed status line or request line
    http_bad_version,          ///< not HTTP/1.0 or HTTP/1.1
    http_bad_header,           ///< malformed header line (no colon, bad name, control bytes)
    http_obs_fold,             ///< obsolete line folding (RFC 9112 §5.2), rejected
    http_bad_body_framing,     ///< unusable Content-Length or Transfer-Encoding on a body to skip
    http_body_too_large,       ///< a body to skip is larger than the limit

    // --- proxies (HTTP CONNECT) ---
    proxy_unreachable = 200,   ///< could not connect to the proxy
    proxy_closed,              ///< the proxy closed the connection before the tunnel was open
    proxy_malformed_reply,     ///< the proxy's reply is not HTTP
    proxy_reply_too_large,     ///< the proxy's reply head is over the limit
    proxy_refused,             ///< the proxy answered CONNECT with a status other than 2xx/407
    proxy_auth_required,       ///< 407, and no credentials were configured
    proxy_auth_failed,         ///< 407 again after sending credentials: they were rejected
    proxy_auth_unsupported,    ///< 407 offering no scheme burrow supports
    proxy_timeout,             ///< the proxy did not answer in time
    proxy_bad_url,             ///< a proxy URL that cannot be parsed
    proxy_unsupported_scheme,  ///< a proxy URL scheme other than http, https, socks5, socks5h

    // --- SOCKS5 (RFC 1928, RFC 1929) ---
    socks_general_failure = 300,   ///< reply 0x01
    socks_not_allowed,             ///< reply 0x02: connection not allowed by ruleset
    socks_network_unreachable,     ///< reply 0x03
    socks_host_unreachable,        ///< reply 0x04
    socks_connection_refused,      ///< reply 0x05
    socks_ttl_expired,             ///< reply 0x06
    socks_command_not_supported,   ///< reply 0x07
    socks_address_not_supported,   ///< reply 0x08
    socks_unknown_reply,           ///< a reply code RFC 1928 does not define
    socks_no_acceptable_method,    ///< the server accepted none of the offered methods (0xFF)
    socks_auth_failed,             ///< username/password rejected (RFC 1929 status != 0)
    socks_malformed_reply,         ///< not a SOCKS5 reply (wrong version, bad address type, ...)
    socks_name_too_long,           ///< a host name, user name or password empty or over 255 bytes

    // --- URLs given by the caller ---
    bad_url = 400,             ///< a ws://, wss:// (or http/https) URL that cannot be parsed or has no usable host/port
    unsupported_url_scheme,    ///< a URL scheme other than ws, wss, http, https

    // --- the opening handshake (RFC 6455 §4) ---
    handshake_bad_status = 500,     ///< the server answered the upgrade with a status other than 101
    handshake_bad_upgrade,          ///< Upgrade header missing or not "websocket"
    handshake_bad_connection,       ///< Connection header without the "upgrade" token
    handshake_bad_accept,           ///< Sec-WebSocket-Accept missing or wrong
    handshake_unexpected_subprotocol,  ///< the server chose a subprotocol the client did not offer
    handshake_unexpected_extension,    ///< the server chose an extension the client did not offer
    handshake_bad_method,           ///< the request is not a GET
    handshake_bad_http_version,     ///< the request is not HTTP/1.1 or later
    handshake_missing_host,         ///< the request has no Host header
    handshake_bad_key,              ///< Sec-WebSocket-Key missing or not 16 bytes in base64
    handshake_bad_version,          ///< Sec-WebSocket-Version is not 13
    handshake_not_websocket,        ///< a plain HTTP request, no Upgrade: websocket

    // --- an open WebSocket connection ---
    closed = 600,              ///< the connection was closed with a close handshake (see the close reason)
    connection_lost,           ///< the TCP connection ended without a close handshake
    ping_timeout,              ///< no pong within the keepalive timeout
    idle_timeout,              ///< nothing received within the idle timeout
    close_timeout,             ///< the peer did not complete the close handshake in time
    operation_in_progress,     ///< a second read (or write) while one is already outstanding
    message_too_big_for_buffer,  ///< co_read: the caller's buffer is smaller than the message
    bad_write,                 ///< a frame that cannot be sent (fragmented or over-long control frame)

    // --- TLS (to the origin server or to an https:// proxy; tls_result::peer says which) ---
    tls_unknown_issuer = 700,       ///< the certificate chain does not lead to a trusted root (or is self-signed)
    tls_hostname_mismatch,          ///< the certificate does not name the host (DNS name or IP address)
    tls_certificate_expired,        ///< the peer's certificate (or one of its chain) has expired
    tls_certificate_not_yet_valid,  ///< the certificate's validity starts in the future
    tls_certificate_invalid,        ///< another verification failure (bad signature, unusable certificate, ...)
    tls_alert,                      ///< the peer sent a fatal alert (tls_result::detail or handshake_result::tls_alert_name names it)
    tls_not_tls,                    ///< the peer answered with something that is not TLS (e.g. plain HTTP)
    tls_handshake_failed,           ///< the handshake failed for another reason (no common version or cipher, ...)
    tls_bad_configuration,          ///< a CA, certificate or key file cannot be used, or an unusable setting
    tls_timeout,                    ///< the handshake did not finish within handshake_timeout
};

/// Groups of errors, for callers that only care about the kind of failure.
enum class condition : int {
    protocol_violation = 1,    ///< the peer broke RFC 6455; the connection must be failed
    http_failed,               ///< an HTTP head could not be parsed
    proxy_failed,              ///< the proxy (HTTP CONNECT or SOCKS5) did not open the tunnel
    invalid_url,               ///< the caller's URL is unusable
    handshake_failed,          ///< the opening handshake was refused or malformed
    connection_ended,          ///< an open connection ended (close handshake, lost, timed out)
    tls_failed,                ///< a TLS session could not be set up (any tls_* error)
};

/// The category of `burrow::error`. Its identity is a fixed 64-bit id, so comparisons hold across
/// shared libraries.
const boost::system::error_category& error_category() noexcept;

/// The category of `burrow::condition`.
const boost::system::error_category& condition_category() noexcept;

inline boost::system::error_code make_error_code(error e) noexcept {
    return {static_cast<int>(e), error_category()};
}

inline boost::system::error_condition make_error_condition(condition c) noexcept {
    return {static_cast<int>(c), condition_category()};
}

/// The close code to send when failing a connection because of `e`: 1007 for invalid UTF-8,
/// 1009 for a message over the limit, 1002 for the other protocol violations.
ws::close_code to_close_code(error e) noexcept;

} // namespace burrow

template <>
struct boost::system::is_error_code_enum<burrow::error> : std::true_type {};

template <>
struct boost::system::is_error_condition_enum<burrow::condition> : std::true_type {};
