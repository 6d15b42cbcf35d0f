// The WebSocket opening handshake (RFC 6455 §4), both sides, as pure functions over HTTP heads.
//
// Client: parse_ws_url -> make_client_key -> build_client_request; send it; parse the response head
// with http::head_parser; check_server_response. Server: parse the request head; check_client_request
// says whether it is a valid upgrade and, if not, which status to answer; build_accept_response or
// build_reject_response. No I/O here: co_handshake and co_accept drive these over a stream.
#pragma once

#include <burrow/config.hpp>
#include <burrow/error.hpp>
#include <burrow/http/head_parser.hpp>

#include <boost/system/result.hpp>

#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace burrow::ws {

using header_list = std::vector<std::pair<std::string, std::string>>;

/// A parsed ws:// or wss:// URL (http:// and https:// are accepted as aliases).
struct ws_url {
    bool secure = false;      ///< wss (or https)
    std::string host;         ///< without brackets for IPv6
    std::uint16_t port = 80;
    std::string resource;     ///< path and query, "/" at least; never the fragment
    /// Credentials from the URL's userinfo (wss://user:password@host/), percent-decoded. When set,
    /// the upgrade request carries them as `Authorization: Basic` (as curl and Python websockets
    /// do), unless the caller supplies an Authorization header. Never print them: see redact_url.
    std::string user;
    std::string password;
    bool has_credentials() const noexcept { return !user.empty() || !password.empty(); }
    bool default_port() const noexcept { return port == (secure ? 443 : 80); }
    /// The Host header value: the host (IPv6 in brackets) and the port unless it is the default.
    std::string host_header() const;
};

/// Parses a WebSocket URL. Errors: bad_url (no host, port 0, a fragment, garbage),
/// unsupported_url_scheme.
boost::system::result<ws_url> parse_ws_url(std::string_view url);

/// `url` as it may be printed or logged: a password in the userinfo is replaced by "***"
/// ("wss://alice:***@host/"). Text that does not parse as a URL comes back with everything
/// between "://" and the last '@' before the path replaced, so a typo cannot leak a password.
std::string redact_url(std::string_view url);

/// A Sec-WebSocket-Key: 16 bytes from a cryptographic generator, base64-encoded (24 characters).
/// Empty if the generator failed.
std::string make_client_key();

/// The Sec-WebSocket-Accept value the server must answer to `key` (SHA-1 + base64, 28 characters).
std::string accept_key(std::string_view key);

struct client_handshake_options {
    std::string origin;                      ///< sent as Origin when not empty
    std::vector<std::string> subprotocols;   ///< offered in preference order
    std::vector<std::string> extensions;     ///< offered verbatim (e.g. "permessage-deflate")
    std::string user_agent = "burrow/0.1";   ///< empty: not sent
    header_list headers;                     ///< extra headers
};

/// The GET request that asks for the upgrade. Fails with http_bad_header when a header name or
/// value (including options' strings) could break the request.
boost::system::result<std::string> build_client_request(const ws_url& url, std::string_view key,
                                                        const client_handshake_options& options);

/// What the server agreed to.
struct handshake_agreement {
    std::string subprotocol;  ///< empty when none was selected
    std::string extensions;   ///< the Sec-WebSocket-Extensions value, empty when none
};

/// Checks a response head to the upgrade request sent with `key` and `options`: status 101,
/// Upgrade: websocket, Connection: upgrade, the right Sec-WebSocket-Accept, and only a subprotocol
/// or extensions that were offered.
boost::system::result<handshake_agreement> check_server_response(const http::head& response, std::string_view key,
                                                                 const client_handshake_options& options);

/// A valid upgrade request, as the server sees it (views into the request head).
struct upgrade_request {
    std::string_view key;
    std::string_view origin;
    std::string_view resource;               ///< the request-target
    std::vector<std::string_view> subprotocols;  ///< offered, in order
    std::string_view extensions;             ///< the raw Sec-WebSocket-Extensions value(s), first header
};

/// A refusal: the status to answer with and why.
struct upgrade_refusal {
    error reason;
    unsigned status;             ///< 400, 405 or 426
    std::string_view status_text;
};

/// Validates an upgrade request head (RFC 6455 §4.2.1): GET, HTTP/1.1, Host, Upgrade: websocket,
/// Connection: upgrade, a key of 16 bytes, version 13. On failure says which status to answer:
/// 405 for another method, 426 (with Sec-WebSocket-Version: 13) for a plain request or another
/// version, 400 otherwise.
std::variant<upgrade_request, upgrade_refusal> check_client_request(const http::head& request);

/// The 101 response accepting `key`, with `subprotocol` when not empty and extra headers.
boost::system::result<std::string> build_accept_response(std::string_view key, std::string_view subprotocol,
                                                         const header_list& headers = {});

/// A complete refusal response with a short text body; adds Sec-WebSocket-Version: 13 to a 426.
std::string build_reject_response(const upgrade_refusal& refusal, std::string_view body = {});

/// Picks the first subprotocol offered by the client that the server supports, or empty.
std::string_view select_subprotocol(const std::vector<std::string_view>& offered,
                                    const std::vector<std::string>& supported) noexcept;

} // namespace burrow::ws
