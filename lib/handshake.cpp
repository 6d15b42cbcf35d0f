#include <burrow/detail/crypto.hpp>
#include <burrow/ws/handshake.hpp>
#include <burrow/http/token.hpp>

#include <boost/url/parse.hpp>
#include <boost/url/url.hpp>
#include <boost/url/url_view.hpp>

#include <algorithm>
#include <charconv>

namespace burrow::ws {
namespace {

using http::is_tchar;
using http::trim_ows;

constexpr std::string_view websocket_guid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

bool safe_name(std::string_view s) noexcept { return !s.empty() && std::all_of(s.begin(), s.end(), is_tchar); }

bool safe_value(std::string_view s) noexcept {
    return std::none_of(s.begin(), s.end(), [](char c) { return c == '\r' || c == '\n' || c == '\0'; });
}

// Calls f(item) for each element of a comma-separated list, trimmed, empty ones skipped.
template <class F>
void for_each_item(std::string_view list, F&& f) {
    while (!list.empty()) {
        const std::size_t comma = list.find(',');
        if (const auto item = trim_ows(list.substr(0, comma)); !item.empty())
            f(item);
        list.remove_prefix(comma == std::string_view::npos ? list.size() : comma + 1);
    }
}

void append_header(std::string& out, std::string_view name, std::string_view value) {
    out.append(name).append(": ").append(value).append("\r\n");
}

} // namespace

std::string ws_url::host_header() const {
    std::string out = host.find(':') != std::string::npos ? "[" + host + "]" : host;
    if (!default_port())
        out.append(":").append(std::to_string(port));
    return out;
}

boost::system::result<ws_url> parse_ws_url(std::string_view text) {
    const auto parsed = boost::urls::parse_uri(text);
    if (!parsed)
        return make_error_code(error::bad_url);
    const boost::urls::url_view& u = *parsed;
    ws_url out;
    const std::string_view scheme = u.scheme();
    if (http::iequals(scheme, "wss") || http::iequals(scheme, "https"))
        out.secure = true;
    else if (!http::iequals(scheme, "ws") && !http::iequals(scheme, "http"))
        return make_error_code(error::unsupported_url_scheme);
    if (u.has_fragment() || !u.has_authority() || u.host_address().empty())
        return make_error_code(error::bad_url);
    out.host = u.host_address();
    out.port = out.secure ? 443 : 80;
    if (u.has_port()) {
        const std::string_view p = u.port();
        unsigned value = 0;
        if (!p.empty()) {
            const auto [end, ec] = std::from_chars(p.data(), p.data() + p.size(), value);
            if (ec != std::errc{} || end != p.data() + p.size() || value == 0 || value > 65535)
                return make_error_code(error::bad_url);
            out.port = static_cast<std::uint16_t>(value);
        }
    }
    if (u.has_userinfo()) {
        out.user = u.user();
        out.password = u.password();
    }
    out.resource = u.encoded_path().empty() ? "/" : std::string(u.encoded_path());
    if (out.resource.front() != '/')
        return make_error_code(error::bad_url);
    if (u.has_query())
        out.resource.append("?").append(u.encoded_query());
    return out;
}

std::string redact_url(std::string_view text) {
    if (const auto parsed = boost::urls::parse_uri(text); parsed) {
        if (!parsed->has_password())
            return std::string(text);
        boost::urls::url u(*parsed);
        u.set_password("***");
        return std::string(u.buffer());
    }
    // Not a URL: hide any userinfo-looking part of the authority.
    const std::size_t start = text.find("://");
    const std::size_t from = start == std::string_view::npos ? 0 : start + 3;
    const std::size_t path = text.find('/', from);
    const std::size_t at = text.substr(0, path).rfind('@');
    if (at == std::string_view::npos || at < from)
        return std::string(text);
    return std::string(text.substr(0, from)) + "***" + std::string(text.substr(at));
}

std::string make_client_key() {
    std::array<std::byte, 16> nonce{};
    if (!detail::random_bytes(nonce))
        return {};
    return detail::base64_encode(nonce);
}

std::string accept_key(std::string_view key) {
    std::string input;
    input.reserve(key.size() + websocket_guid.size());
    input.append(key).append(websocket_guid);
    const auto digest = detail::sha1(std::as_bytes(std::span(input.data(), input.size())));
    return detail::base64_encode(digest);
}

boost::system::result<std::string> build_client_request(const ws_url& url, std::string_view key,
                                                        const client_handshake_options& options) {
    for (const auto& [name, value] : options.headers)
        if (!safe_name(name) || !safe_value(value))
            return make_error_code(error::http_bad_header);
    for (const auto& p : options.subprotocols)
        if (!safe_name(p))
            return make_error_code(error::http_bad_header);
    for (const auto& e : options.extensions)
        if (e.empty() || !safe_value(e))
            return make_error_code(error::http_bad_header);
    if (!safe_value(options.origin) || !safe_value(options.user_agent) || !safe_value(url.resource))
        return make_error_code(error::http_bad_header);

    std::string out;
    out.reserve(256);
    out.append("GET ").append(url.resource).append(" HTTP/1.1\r\n");
    append_header(out, "Host", url.host_header());
    append_header(out, "Upgrade", "websocket");
    append_header(out, "Connection", "Upgrade");
    append_header(out, "Sec-WebSocket-Key", key);
    append_header(out, "Sec-WebSocket-Version", "13");
    if (!options.origin.empty())
        append_header(out, "Origin", options.origin);
    if (!options.subprotocols.empty()) {
        std::string list;
        for (const auto& p : options.subprotocols)
            list.append(list.empty() ? "" : ", ").append(p);
        append_header(out, "Sec-WebSocket-Protocol", list);
    }
    if (!options.extensions.empty()) {
        std::string list;
        for (const auto& e : options.extensions)
            list.append(list.empty() ? "" : ", ").append(e);
        append_header(out, "Sec-WebSocket-Extensions", list);
    }
    if (!options.user_agent.empty())
        append_header(out, "User-Agent", options.user_agent);
    bool authorization_given = false;
    for (const auto& [name, value] : options.headers)
        authorization_given = authorization_given || http::iequals(name, "Authorization");
    if (url.has_credentials() && !authorization_given) {
        const std::string pair = url.user + ":" + url.password;
        append_header(out, "Authorization", "Basic " + detail::base64_encode(std::string_view(pair)));
    }
    for (const auto& [name, value] : options.headers)
        append_header(out, name, value);
    out.append("\r\n");
    return out;
}

boost::system::result<handshake_agreement> check_server_response(const http::head& response, std::string_view key,
                                                                 const client_handshake_options& options) {
    if (response.status != 101)
        return make_error_code(error::handshake_bad_status);
    if (!response.has_token("Upgrade", "websocket"))
        return make_error_code(error::handshake_bad_upgrade);
    if (!response.has_token("Connection", "upgrade"))
        return make_error_code(error::handshake_bad_connection);
    if (response.count("Sec-WebSocket-Accept") != 1 || *response.find("Sec-WebSocket-Accept") != accept_key(key))
        return make_error_code(error::handshake_bad_accept);

    handshake_agreement out;
    if (const auto protocol = response.find("Sec-WebSocket-Protocol")) {
        const bool offered =
            std::find(options.subprotocols.begin(), options.subprotocols.end(), *protocol) != options.subprotocols.end();
        if (!offered || response.count("Sec-WebSocket-Protocol") != 1)
            return make_error_code(error::handshake_unexpected_subprotocol);
        out.subprotocol = std::string(*protocol);
    }
    bool unexpected = false;
    response.for_each("Sec-WebSocket-Extensions", [&](std::string_view value) {
        for_each_item(value, [&](std::string_view item) {
            const std::string_view name = trim_ows(item.substr(0, item.find(';')));
            const bool offered = std::any_of(options.extensions.begin(), options.extensions.end(), [&](const auto& e) {
                return http::iequals(trim_ows(std::string_view(e).substr(0, e.find(';'))), name);
            });
            unexpected |= !offered;
        });
        if (!out.extensions.empty())
            out.extensions += ", ";
        out.extensions += value;
    });
    if (unexpected)
        return make_error_code(error::handshake_unexpected_extension);
    return out;
}

std::variant<upgrade_request, upgrade_refusal> check_client_request(const http::head& request) {
    if (request.method != "GET")
        return upgrade_refusal{error::handshake_bad_method, 405, "Method Not Allowed"};
    if (request.version_minor < 1)
        return upgrade_refusal{error::handshake_bad_http_version, 400, "Bad Request"};
    if (request.count("Host") != 1)
        return upgrade_refusal{error::handshake_missing_host, 400, "Bad Request"};
    if (!request.has_token("Upgrade", "websocket"))
        return upgrade_refusal{error::handshake_not_websocket, 426, "Upgrade Required"};
    if (!request.has_token("Connection", "upgrade"))
        return upgrade_refusal{error::handshake_bad_connection, 400, "Bad Request"};
    const auto version = request.find("Sec-WebSocket-Version");
    if (!version || request.count("Sec-WebSocket-Version") != 1 || *version != "13")
        return upgrade_refusal{error::handshake_bad_version, 426, "Upgrade Required"};
    const auto key = request.find("Sec-WebSocket-Key");
    std::array<std::byte, 18> decoded{};
    const auto decoded_size = key ? detail::base64_decode(*key, decoded) : std::nullopt;
    if (!key || request.count("Sec-WebSocket-Key") != 1 || decoded_size != 16u)
        return upgrade_refusal{error::handshake_bad_key, 400, "Bad Request"};

    upgrade_request out;
    out.key = *key;
    out.origin = request.find("Origin").value_or("");
    out.resource = request.target;
    request.for_each("Sec-WebSocket-Protocol",
                     [&](std::string_view v) { for_each_item(v, [&](std::string_view p) { out.subprotocols.push_back(p); }); });
    out.extensions = request.find("Sec-WebSocket-Extensions").value_or("");
    return out;
}

boost::system::result<std::string> build_accept_response(std::string_view key, std::string_view subprotocol,
                                                         const header_list& headers) {
    if ((!subprotocol.empty() && !safe_name(subprotocol)))
        return make_error_code(error::http_bad_header);
    for (const auto& [name, value] : headers)
        if (!safe_name(name) || !safe_value(value))
            return make_error_code(error::http_bad_header);
    std::string out = "HTTP/1.1 101 Switching Protocols\r\n";
    append_header(out, "Upgrade", "websocket");
    append_header(out, "Connection", "Upgrade");
    append_header(out, "Sec-WebSocket-Accept", accept_key(key));
    if (!subprotocol.empty())
        append_header(out, "Sec-WebSocket-Protocol", subprotocol);
    for (const auto& [name, value] : headers)
        append_header(out, name, value);
    out.append("\r\n");
    return out;
}

std::string build_reject_response(const upgrade_refusal& refusal, std::string_view body) {
    std::string text = body.empty() ? std::string(make_error_code(refusal.reason).message()) + "\n" : std::string(body);
    std::string out = "HTTP/1.1 " + std::to_string(refusal.status) + " " + std::string(refusal.status_text) + "\r\n";
    if (refusal.status == 405)
        append_header(out, "Allow", "GET");  // RFC 9110 §15.5.6
    if (refusal.status == 426) {
        append_header(out, "Upgrade", "websocket");
        append_header(out, "Sec-WebSocket-Version", "13");
    }
    append_header(out, "Content-Type", "text/plain; charset=utf-8");
    append_header(out, "Content-Length", std::to_string(text.size()));
    // A sender of Upgrade lists it in Connection too (RFC 9110 §7.8).
    append_header(out, "Connection", refusal.status == 426 ? "Upgrade, close" : "close");
    out.append("\r\n").append(text);
    return out;
}

std::string_view select_subprotocol(const std::vector<std::string_view>& offered,
                                    const std::vector<std::string>& supported) noexcept {
    for (const auto p : offered)
        if (std::find(supported.begin(), supported.end(), p) != supported.end())
            return p;
    return {};
}

} // namespace burrow::ws
