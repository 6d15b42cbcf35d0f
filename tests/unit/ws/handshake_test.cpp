#include <burrow/ws/handshake.hpp>

#include <gtest/gtest.h>

#include <array>
#include <memory>

using namespace burrow;
using namespace burrow::ws;

namespace {

struct parsed_head {
    std::string text;
    std::array<http::header, 32> storage;
    http::head head;
};

std::unique_ptr<parsed_head> parse(std::string text, http::head_kind kind) {
    auto p = std::make_unique<parsed_head>();
    p->text = std::move(text);
    http::head_parser parser(kind);
    const auto r = parser.parse(std::span(p->text.data(), p->text.size()), p->storage, p->head);
    EXPECT_EQ(r.status, http::head_status::complete) << p->text;
    return p;
}

const std::string rfc_key = "dGhlIHNhbXBsZSBub25jZQ==";
const std::string rfc_accept = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";

std::string response(std::string extra = {}, std::string accept = rfc_accept, std::string status = "101 Switching Protocols") {
    return "HTTP/1.1 " + status + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: " + accept +
           "\r\n" + extra + "\r\n";
}

std::string request(std::string extra = {}, std::string start = "GET /chat HTTP/1.1") {
    return start + "\r\nHost: server.example.com\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" + extra + "\r\n";
}

const std::string good_request_headers = "Sec-WebSocket-Key: " + rfc_key + "\r\nSec-WebSocket-Version: 13\r\n";

} // namespace

TEST(handshake, rfc_6455_accept_key) { EXPECT_EQ(accept_key(rfc_key), rfc_accept); }

TEST(handshake, client_keys_are_random_16_bytes) {
    const auto a = make_client_key();
    const auto b = make_client_key();
    EXPECT_EQ(a.size(), 24u);
    EXPECT_NE(a, b);
    EXPECT_EQ(a.substr(22), "==");
}

TEST(handshake, parse_ws_url) {
    auto u = parse_ws_url("ws://echo.example/chat?room=1#frag");
    EXPECT_FALSE(u);
    EXPECT_EQ(u.error(), error::bad_url);
    u = parse_ws_url("ws://echo.example/chat?room=1");
    ASSERT_TRUE(u);
    EXPECT_FALSE(u->secure);
    EXPECT_EQ(u->host, "echo.example");
    EXPECT_EQ(u->port, 80);
    EXPECT_EQ(u->resource, "/chat?room=1");
    EXPECT_EQ(u->host_header(), "echo.example");
    u = parse_ws_url("wss://echo.example");
    ASSERT_TRUE(u);
    EXPECT_TRUE(u->secure);
    EXPECT_EQ(u->port, 443);
    EXPECT_EQ(u->resource, "/");
    u = parse_ws_url("ws://[::1]:9001/runCase?case=1&agent=burrow");
    ASSERT_TRUE(u);
    EXPECT_EQ(u->host, "::1");
    EXPECT_EQ(u->port, 9001);
    EXPECT_EQ(u->host_header(), "[::1]:9001");
    EXPECT_EQ(u->resource, "/runCase?case=1&agent=burrow");
    EXPECT_EQ(parse_ws_url("WSS://X.example:8443/")->host_header(), "X.example:8443");
    EXPECT_EQ(parse_ws_url("https://x.example/")->port, 443);
    EXPECT_EQ(parse_ws_url("ftp://x.example/").error(), error::unsupported_url_scheme);
    for (const char* bad : {"ws://", "ws:///path", "ws://x:0/", "ws://x:65536/", "ws://x:abc/", "not a url", ""})
        EXPECT_EQ(parse_ws_url(bad).error(), error::bad_url) << bad;
}

TEST(handshake, url_credentials_become_basic_authorization_and_are_redacted) {
    const auto u = parse_ws_url("wss://alice:p%40ss%3Aword@echo.example/chat");
    ASSERT_TRUE(u);
    EXPECT_EQ(u->user, "alice");
    EXPECT_EQ(u->password, "p@ss:word");  // percent-decoded
    EXPECT_EQ(u->host, "echo.example");
    EXPECT_EQ(u->host_header(), "echo.example");  // never in Host
    client_handshake_options options;
    auto text = build_client_request(*u, rfc_key, options);
    ASSERT_TRUE(text);
    // base64("alice:p@ss:word")
    EXPECT_NE(text->find("\r\nAuthorization: Basic YWxpY2U6cEBzczp3b3Jk\r\n"), std::string::npos) << *text;
    EXPECT_EQ(text->find("alice:"), std::string::npos);
    // An Authorization header of the caller's wins: the URL's credentials are not sent too.
    options.headers = {{"authorization", "Bearer t"}};
    text = build_client_request(*u, rfc_key, options);
    ASSERT_TRUE(text);
    EXPECT_EQ(text->find("Basic"), std::string::npos) << *text;
    EXPECT_NE(text->find("authorization: Bearer t"), std::string::npos) << *text;
    // No userinfo: no Authorization.
    text = build_client_request(*parse_ws_url("ws://echo.example/"), rfc_key, client_handshake_options{});
    EXPECT_EQ(text->find("Authorization"), std::string::npos);

    EXPECT_EQ(redact_url("wss://alice:s3cret@echo.example/chat"), "wss://alice:***@echo.example/chat");
    EXPECT_EQ(redact_url("wss://alice@echo.example/"), "wss://alice@echo.example/");
    EXPECT_EQ(redact_url("ws://echo.example/a@b"), "ws://echo.example/a@b");
    EXPECT_EQ(redact_url("ws://al ice:s3cret@host/x"), "ws://***@host/x");  // not a URL: still hidden
}

TEST(handshake, client_request) {
    client_handshake_options options;
    options.origin = "http://example.com";
    options.subprotocols = {"chat", "superchat"};
    options.extensions = {"x-test; a=1"};
    options.headers = {{"Authorization", "Bearer t"}};
    const auto text = build_client_request(*parse_ws_url("ws://server.example.com:8080/chat"), rfc_key, options);
    ASSERT_TRUE(text);
    EXPECT_EQ(*text, "GET /chat HTTP/1.1\r\nHost: server.example.com:8080\r\nUpgrade: websocket\r\n"
                     "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
                     "Origin: http://example.com\r\nSec-WebSocket-Protocol: chat, superchat\r\n"
                     "Sec-WebSocket-Extensions: x-test; a=1\r\nUser-Agent: burrow/0.1\r\nAuthorization: Bearer t\r\n\r\n");
    options.headers = {{"X", "a\r\nEvil: 1"}};
    EXPECT_EQ(build_client_request(*parse_ws_url("ws://h/"), rfc_key, options).error(), error::http_bad_header);
    options.headers = {};
    options.subprotocols = {"bad protocol"};
    EXPECT_EQ(build_client_request(*parse_ws_url("ws://h/"), rfc_key, options).error(), error::http_bad_header);
}

TEST(handshake, server_response_checks) {
    const client_handshake_options none;
    EXPECT_TRUE(check_server_response(parse(response(), http::head_kind::response)->head, rfc_key, none));
    // Case-insensitive tokens, a Connection list.
    const auto lenient = parse("HTTP/1.1 101 OK\r\nUPGRADE: WebSocket\r\nconnection: keep-alive, UPGRADE\r\n"
                               "Sec-WebSocket-Accept: " + rfc_accept + "\r\n\r\n", http::head_kind::response);
    EXPECT_TRUE(check_server_response(lenient->head, rfc_key, none));

    auto fails = [&](const std::string& text, error e, const client_handshake_options& o = {}) {
        const auto r = check_server_response(parse(text, http::head_kind::response)->head, rfc_key, o);
        ASSERT_FALSE(r) << text;
        EXPECT_EQ(r.error(), e) << text;
        EXPECT_TRUE(r.error() == condition::handshake_failed);
    };
    fails(response({}, rfc_accept, "200 OK"), error::handshake_bad_status);
    fails(response({}, rfc_accept, "403 Forbidden"), error::handshake_bad_status);
    fails(response({}, rfc_accept, "426 Upgrade Required"), error::handshake_bad_status);
    fails("HTTP/1.1 101 OK\r\nUpgrade: h2c\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: " + rfc_accept + "\r\n\r\n",
          error::handshake_bad_upgrade);
    fails("HTTP/1.1 101 OK\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: " + rfc_accept + "\r\n\r\n",
          error::handshake_bad_upgrade);
    fails("HTTP/1.1 101 OK\r\nUpgrade: websocket\r\nConnection: keep-alive\r\nSec-WebSocket-Accept: " + rfc_accept + "\r\n\r\n",
          error::handshake_bad_connection);
    fails(response({}, "AAAAAAAAAAAAAAAAAAAAAAAAAAA="), error::handshake_bad_accept);
    fails("HTTP/1.1 101 OK\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n", error::handshake_bad_accept);
    fails(response("Sec-WebSocket-Protocol: chat\r\n"), error::handshake_unexpected_subprotocol);
    fails(response("Sec-WebSocket-Extensions: permessage-deflate\r\n"), error::handshake_unexpected_extension);

    client_handshake_options offered;
    offered.subprotocols = {"chat", "superchat"};
    offered.extensions = {"permessage-deflate; client_max_window_bits"};
    const auto ok = check_server_response(
        parse(response("Sec-WebSocket-Protocol: superchat\r\nSec-WebSocket-Extensions: permessage-deflate\r\n"),
              http::head_kind::response)->head,
        rfc_key, offered);
    ASSERT_TRUE(ok);
    EXPECT_EQ(ok->subprotocol, "superchat");
    EXPECT_EQ(ok->extensions, "permessage-deflate");
    fails(response("Sec-WebSocket-Protocol: other\r\n"), error::handshake_unexpected_subprotocol, offered);
}

TEST(handshake, client_request_checks) {
    const auto good = parse(request(good_request_headers + "Origin: http://example.com\r\n"
                                    "Sec-WebSocket-Protocol: chat, superchat\r\nSec-WebSocket-Protocol: v3\r\n"),
                            http::head_kind::request);
    const auto r = check_client_request(good->head);
    ASSERT_TRUE(std::holds_alternative<upgrade_request>(r));
    const auto& u = std::get<upgrade_request>(r);
    EXPECT_EQ(u.key, rfc_key);
    EXPECT_EQ(u.origin, "http://example.com");
    EXPECT_EQ(u.resource, "/chat");
    EXPECT_EQ(u.subprotocols, (std::vector<std::string_view>{"chat", "superchat", "v3"}));
    EXPECT_EQ(select_subprotocol(u.subprotocols, {"v3", "superchat"}), "superchat");
    EXPECT_EQ(select_subprotocol(u.subprotocols, {"none"}), "");

    auto refused = [&](const std::string& text, error e, unsigned status) {
        const auto p = parse(text, http::head_kind::request);
        const auto v = check_client_request(p->head);
        ASSERT_TRUE(std::holds_alternative<upgrade_refusal>(v)) << text;
        EXPECT_EQ(std::get<upgrade_refusal>(v).reason, e) << text;
        EXPECT_EQ(std::get<upgrade_refusal>(v).status, status) << text;
    };
    refused(request(good_request_headers, "POST /chat HTTP/1.1"), error::handshake_bad_method, 405);
    refused(request(good_request_headers, "GET /chat HTTP/1.0"), error::handshake_bad_http_version, 400);
    refused("GET / HTTP/1.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" + good_request_headers + "\r\n",
            error::handshake_missing_host, 400);
    refused("GET / HTTP/1.1\r\nHost: h\r\n\r\n", error::handshake_not_websocket, 426);
    refused("GET / HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: keep-alive\r\n" + good_request_headers + "\r\n",
            error::handshake_bad_connection, 400);
    refused(request("Sec-WebSocket-Key: " + rfc_key + "\r\nSec-WebSocket-Version: 8\r\n"), error::handshake_bad_version, 426);
    refused(request("Sec-WebSocket-Key: " + rfc_key + "\r\n"), error::handshake_bad_version, 426);
    refused(request("Sec-WebSocket-Version: 13\r\n"), error::handshake_bad_key, 400);
    refused(request("Sec-WebSocket-Key: c2hvcnQ=\r\nSec-WebSocket-Version: 13\r\n"), error::handshake_bad_key, 400);
    refused(request("Sec-WebSocket-Key: not base64 at all!!!!!!=\r\nSec-WebSocket-Version: 13\r\n"),
            error::handshake_bad_key, 400);
}

TEST(handshake, server_responses) {
    const auto accept = build_accept_response(rfc_key, "chat", {{"X-Server", "burrow"}});
    ASSERT_TRUE(accept);
    EXPECT_EQ(*accept, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                       "Sec-WebSocket-Accept: " + rfc_accept + "\r\nSec-WebSocket-Protocol: chat\r\nX-Server: burrow\r\n\r\n");
    // What a server builds, a client accepts.
    client_handshake_options o;
    o.subprotocols = {"chat"};
    EXPECT_TRUE(check_server_response(parse(*accept, http::head_kind::response)->head, rfc_key, o));
    EXPECT_EQ(build_accept_response(rfc_key, "bad value").error(), error::http_bad_header);

    const auto reject = build_reject_response({error::handshake_bad_version, 426, "Upgrade Required"});
    EXPECT_EQ(reject.substr(0, 31), "HTTP/1.1 426 Upgrade Required\r\n");
    EXPECT_NE(reject.find("Sec-WebSocket-Version: 13\r\n"), std::string::npos);
    EXPECT_NE(reject.find("Connection: Upgrade, close\r\n"), std::string::npos);
    const auto not_allowed = build_reject_response({error::handshake_bad_method, 405, "Method Not Allowed"});
    EXPECT_NE(not_allowed.find("Allow: GET\r\n"), std::string::npos);
    EXPECT_NE(not_allowed.find("Connection: close\r\n"), std::string::npos);
    const auto p = parse(reject, http::head_kind::response);
    const auto length = std::stoul(std::string(p->head.find("Content-Length").value()));
    EXPECT_EQ(p->text.size() - p->text.find("\r\n\r\n") - 4, length);
}
