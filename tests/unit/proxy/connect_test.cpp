#include <burrow/proxy/connect_exchange.hpp>

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

using namespace burrow;
using namespace burrow::proxy;

namespace {

// What a scripted proxy does on one connection: a reply per request received, then either it
// closes the connection or it goes silent (keeps it open without a word).
struct connection_script {
    std::vector<std::string> replies;
    bool close_after = true;
};

struct outcome {
    connect_step final = connect_step::need_more;  // need_more here means "hung: would time out"
    boost::system::error_code ec;
    std::vector<std::string> requests;  // as sent, one per round
    std::vector<std::size_t> connection_of_request;
    std::string tunnel;                 // bytes after the head: those read with it, then the rest
    std::string summary;
    proxy_diagnostics diagnostics;

    bool operator==(const outcome& o) const {
        return final == o.final && ec == o.ec && requests_without_nonces() == o.requests_without_nonces() &&
               connection_of_request == o.connection_of_request && tunnel == o.tunnel && summary == o.summary;
    }
    // Digest cnonces are random: compare requests up to their Proxy-Authorization values.
    std::vector<std::string> requests_without_nonces() const {
        std::vector<std::string> out;
        for (const auto& r : requests)
            out.push_back(redact_head(r));
        return out;
    }
};

void PrintTo(const outcome& o, std::ostream* os) {
    *os << "{step " << static_cast<int>(o.final) << ", " << o.ec.message() << ", requests " << o.requests.size()
        << " on connections";
    for (auto c : o.connection_of_request)
        *os << " " << c;
    *os << ", tunnel \"" << o.tunnel << "\", summary \"" << o.summary << "\", body \"" << o.diagnostics.body_start
        << "\"}";
}

// Drives a connect_exchange against a scripted proxy. Each reply is delivered in pieces that end
// at the offsets in `cuts` (relative to that reply), or whole when `cuts` is empty; `bytewise`
// delivers one byte at a time.
outcome run(connect_settings settings, std::optional<credentials> creds, const std::vector<connection_script>& script,
            const std::vector<std::size_t>& cuts = {}, bool bytewise = false) {
    connect_exchange ex(std::move(settings), std::move(creds));
    outcome out;
    std::size_t conn = 0;
    std::size_t reply_index = 0;
    for (;;) {
        auto request = ex.request();
        if (!request) {
            out.ec = request.error();
            out.final = connect_step::failed;
            return out;
        }
        out.requests.push_back(*request);
        out.connection_of_request.push_back(conn);
        if (conn >= script.size()) {
            out.final = connect_step::need_more;  // nobody to talk to
            return out;
        }
        const auto& cs = script[conn];
        const bool have_reply = reply_index < cs.replies.size();
        const std::string reply = have_reply ? cs.replies[reply_index] : std::string();
        ++reply_index;

        // Deliver the reply piece by piece; the buffer keeps every byte since the request.
        std::string buffer;
        std::vector<std::size_t> ends;
        if (bytewise)
            for (std::size_t i = 1; i <= reply.size(); ++i)
                ends.push_back(i);
        else
            for (std::size_t c : cuts)
                if (c < reply.size())
                    ends.push_back(c);
        ends.push_back(reply.size());
        std::size_t delivered = 0;
        connect_step step = connect_step::need_more;
        std::size_t body_from = 0;  // while skipping a body: where the unconsumed bytes start
        bool skipping = false;
        for (std::size_t end : ends) {
            if (end <= delivered && !(end == 0 && delivered == 0))
                continue;
            buffer.append(reply, delivered, end - delivered);
            delivered = end;
            if (!skipping) {
                step = ex.on_reply(buffer);
                if (step == connect_step::skip_body) {
                    skipping = true;
                    body_from = ex.head_size();
                }
            }
            if (skipping) {
                std::size_t consumed = 0;
                step = ex.on_body(std::span(buffer).subspan(body_from), consumed);
                body_from += consumed;
            }
            if (step != connect_step::need_more && step != connect_step::skip_body)
                break;
        }
        if (step == connect_step::need_more) {
            if (!(cs.close_after && reply_index >= cs.replies.size())) {
                out.final = connect_step::need_more;  // the proxy went silent: a timeout's job
                out.diagnostics = ex.diagnostics();
                return out;
            }
            step = ex.on_eof();
        }
        switch (step) {
        case connect_step::tunnel_open:
            out.final = step;
            out.tunnel = buffer.substr(ex.head_size()) + reply.substr(delivered);
            out.summary = ex.diagnostics().summary();
            out.diagnostics = ex.diagnostics();
            return out;
        case connect_step::failed:
            out.final = step;
            out.ec = ex.error();
            out.summary = ex.diagnostics().summary();
            out.diagnostics = ex.diagnostics();
            return out;
        case connect_step::reconnect:
            ++conn;
            reply_index = 0;
            break;
        case connect_step::send_request:
            if (body_from != buffer.size())
                ADD_FAILURE() << "bytes after the 407 body were dropped";
            break;
        default:
            ADD_FAILURE() << "unexpected step";
            return out;
        }
    }
}

// The same outcome whatever the chunking: whole, byte by byte, split at every offset of the first
// reply of the first connection.
outcome expect_any_chunking(const connect_settings& settings, const std::optional<credentials>& creds,
                            const std::vector<connection_script>& script) {
    const outcome whole = run(settings, creds, script);
    EXPECT_EQ(run(settings, creds, script, {}, true), whole) << "byte by byte";
    const std::size_t first = script.empty() || script[0].replies.empty() ? 0 : script[0].replies[0].size();
    for (std::size_t cut = 1; cut < first; ++cut)
        EXPECT_EQ(run(settings, creds, script, {cut}), whole) << "split at " << cut;
    return whole;
}

connect_settings to(std::string target) {
    connect_settings s;
    s.target = std::move(target);
    return s;
}

const credentials alice{"alice", "s3cret"};

struct captured {
    const char* name;
    std::string_view bytes;
};
#define ROW(name, text) captured{name, std::string_view(text, sizeof(text) - 1)}
const captured captures[] = {
#include "../data/captured_proxy_replies.inc"
};
#undef ROW

// A captured head plus the body its Content-Length announces.
std::string with_body(std::string_view head) {
    std::string out(head);
    const std::string_view key = "Content-Length: ";
    std::size_t at = head.find(key);
    if (at == std::string_view::npos)
        at = head.find("content-length: ");
    if (at != std::string_view::npos) {
        const std::size_t n = std::stoul(std::string(head.substr(at + key.size())));
        std::string body = "<html><body>Access denied by policy</body></html>";
        body.resize(n, ' ');
        out += body;
    }
    return out;
}

} // namespace

TEST(connect_exchange, request_format) {
    connect_settings s = to("echo.example:80");
    s.headers = {{"X-Trace", "abc"}};
    connect_exchange ex(s, std::nullopt);
    auto r = ex.request({{"X-Attempt", "1"}});
    ASSERT_TRUE(r);
    EXPECT_EQ(*r, "CONNECT echo.example:80 HTTP/1.1\r\nHost: echo.example:80\r\nUser-Agent: burrow/0.1\r\n"
                  "Proxy-Connection: Keep-Alive\r\nX-Trace: abc\r\nX-Attempt: 1\r\n\r\n");
    connect_exchange v6(to("[::1]:8443"), std::nullopt);
    EXPECT_EQ(v6.request()->substr(0, 42), "CONNECT [::1]:8443 HTTP/1.1\r\nHost: [::1]:8");
}

TEST(connect_exchange, headers_that_could_break_the_request_are_refused) {
    for (const auto& bad : std::vector<std::pair<std::string, std::string>>{
             {"X-Evil", "a\r\nInjected: yes"}, {"X-Evil", "a\nb"}, {"Bad Name", "v"}, {"", "v"}, {"X:y", "v"}}) {
        connect_exchange ex(to("h:1"), std::nullopt);
        auto r = ex.request({bad});
        ASSERT_FALSE(r) << bad.first;
        EXPECT_EQ(r.error(), error::http_bad_header);
    }
}

TEST(connect_exchange, preemptive_basic) {
    connect_exchange ex(to("h:1"), alice, true);
    EXPECT_NE(ex.request()->find("Proxy-Authorization: Basic YWxpY2U6czNjcmV0\r\n"), std::string::npos);
}

TEST(connect_exchange, every_captured_reply) {
    for (const auto& c : captures) {
        SCOPED_TRACE(c.name);
        const std::string reply = with_body(c.bytes) + (c.bytes.find(" 200 ") == 8 ? "TUNNEL" : "");
        const auto o = expect_any_chunking(to("127.0.0.1:33315"), std::nullopt, {{{reply}, true}});
        const std::string_view status = c.bytes.size() > 12 ? c.bytes.substr(9, 3) : "";
        if (c.bytes.empty()) {
            EXPECT_EQ(o.ec, error::proxy_closed);
        } else if (c.bytes.substr(0, 5) != "HTTP/") {
            EXPECT_EQ(o.ec, error::proxy_malformed_reply);
            EXPECT_NE(o.diagnostics.detail.find("TLS"), std::string::npos) << o.diagnostics.detail;
        } else if (status == "200") {
            EXPECT_EQ(o.final, connect_step::tunnel_open);
            EXPECT_EQ(o.tunnel, "TUNNEL");
        } else if (status == "407") {
            EXPECT_EQ(o.ec, error::proxy_auth_required);
            EXPECT_FALSE(o.diagnostics.proxy_authenticate.empty());
        } else {
            EXPECT_EQ(o.ec, error::proxy_refused);
            EXPECT_EQ(std::to_string(o.diagnostics.status), std::string(status));
            EXPECT_EQ(o.summary.substr(0, 12), std::string(c.bytes.substr(0, 12)));
        }
    }
}

TEST(connect_exchange, tunnel_bytes_right_after_the_200_are_kept) {
    for (std::string_view head : {"HTTP/1.0 200 Connection established\r\n\r\n", "HTTP/1.1 200\r\n\r\n",
                                  "HTTP/1.0 200 OK\nProxy-agent: x\n\n"}) {
        const auto o = expect_any_chunking(to("h:1"), std::nullopt,
                                           {{{std::string(head) + "\x81\x05Hello\r\n\r\nmore"}, false}});
        EXPECT_EQ(o.final, connect_step::tunnel_open);
        EXPECT_EQ(o.tunnel, "\x81\x05Hello\r\n\r\nmore");
    }
}

TEST(connect_exchange, any_2xx_opens_and_body_headers_are_ignored) {
    for (std::string_view head : {"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n",
                                  "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
                                  "HTTP/1.1 201 Created\r\n\r\n", "HTTP/1.1 204 No Content\r\n\r\n",
                                  "HTTP/1.0 299 Odd\r\n\r\n"}) {
        const auto o = expect_any_chunking(to("h:1"), std::nullopt, {{{std::string(head) + "0123456789"}, false}});
        EXPECT_EQ(o.final, connect_step::tunnel_open) << head;
        EXPECT_EQ(o.tunnel, "0123456789") << head;
    }
}

TEST(connect_exchange, interim_1xx_then_200) {
    const auto o = expect_any_chunking(to("h:1"), std::nullopt,
                                       {{{"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\n\r\nT"}, false}});
    EXPECT_EQ(o.final, connect_step::tunnel_open);
    EXPECT_EQ(o.tunnel, "T");
}

TEST(connect_exchange, basic_407_with_body_on_a_kept_connection) {
    const std::string r407 =
        "HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm=\"squid\"\r\n"
        "Content-Length: 12\r\nConnection: keep-alive\r\n\r\n<html></html>";
    ASSERT_EQ(r407.size() - r407.find("<html>"), 13u);  // one byte more than the body: checked below
    const std::string reply = r407.substr(0, r407.size() - 1);
    const auto o = expect_any_chunking(to("h:1"), alice, {{{reply, "HTTP/1.1 200 OK\r\n\r\n"}, false}});
    EXPECT_EQ(o.final, connect_step::tunnel_open);
    ASSERT_EQ(o.requests.size(), 2u);
    EXPECT_EQ(o.connection_of_request, (std::vector<std::size_t>{0, 0}));
    EXPECT_EQ(o.requests[0].find("Proxy-Authorization"), std::string::npos);
    EXPECT_NE(o.requests[1].find("Proxy-Authorization: Basic YWxpY2U6czNjcmV0\r\n"), std::string::npos);
    EXPECT_EQ(o.diagnostics.auth_scheme, "basic");
}

TEST(connect_exchange, basic_407_with_chunked_body_on_a_kept_connection) {
    const std::string reply = "HTTP/1.1 407 Auth\r\nProxy-Authenticate: Basic realm=\"x\"\r\n"
                              "Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n";
    const auto o = expect_any_chunking(to("h:1"), alice, {{{reply, "HTTP/1.1 200 OK\r\n\r\n"}, false}});
    EXPECT_EQ(o.final, connect_step::tunnel_open);
    EXPECT_EQ(o.connection_of_request, (std::vector<std::size_t>{0, 0}));
}

TEST(connect_exchange, a_407_that_closes_means_a_new_connection) {
    const std::vector<std::string> closing_407s = {
        "HTTP/1.1 407 Auth\r\nProxy-Authenticate: Basic realm=\"x\"\r\nConnection: close\r\nContent-Length: 0\r\n\r\n",
        "HTTP/1.1 407 Auth\r\nProxy-Authenticate: Basic realm=\"x\"\r\nProxy-Connection: close\r\nContent-Length: 0\r\n\r\n",
        "HTTP/1.0 407 Auth\r\nProxy-Authenticate: Basic realm=\"x\"\r\nContent-Length: 0\r\n\r\n",
        "HTTP/1.1 407 Auth\r\nProxy-Authenticate: Basic realm=\"x\"\r\n\r\nbody until close",
    };
    for (const auto& r : closing_407s) {
        const auto o = expect_any_chunking(to("h:1"), alice, {{{r}, true}, {{"HTTP/1.1 200 OK\r\n\r\n"}, false}});
        EXPECT_EQ(o.final, connect_step::tunnel_open) << r;
        EXPECT_EQ(o.connection_of_request, (std::vector<std::size_t>{0, 1})) << r;
    }
    // HTTP/1.0 that asks for keep-alive is kept.
    const auto kept = run(to("h:1"), alice,
                          {{{"HTTP/1.0 407 Auth\r\nProxy-Authenticate: Basic realm=\"x\"\r\nProxy-Connection: "
                             "keep-alive\r\nContent-Length: 2\r\n\r\nok",
                             "HTTP/1.0 200 OK\r\n\r\n"},
                            false}});
    EXPECT_EQ(kept.connection_of_request, (std::vector<std::size_t>{0, 0}));
}

TEST(connect_exchange, kept_connection_closed_before_the_answer_is_retried_once) {
    const std::string r407 = "HTTP/1.1 407 Auth\r\nProxy-Authenticate: Basic realm=\"x\"\r\nContent-Length: 0\r\n\r\n";
    const auto o = run(to("h:1"), alice, {{{r407}, true}, {{"HTTP/1.1 200 OK\r\n\r\n"}, false}});
    EXPECT_EQ(o.final, connect_step::tunnel_open);
    EXPECT_EQ(o.connection_of_request, (std::vector<std::size_t>{0, 0, 1}));
}

TEST(connect_exchange, digest_answer_uses_the_authority) {
    const std::string r407 = "HTTP/1.1 407 Auth\r\nProxy-Authenticate: Digest realm=\"squid-test\", "
                             "nonce=\"211e77c7077fd6a830a04b253e9e2b77\", qop=\"auth\", stale=false\r\n"
                             "Proxy-Authenticate: Basic realm=\"squid-test\"\r\nContent-Length: 0\r\n\r\n";
    const auto o = expect_any_chunking(to("127.0.0.1:9000"), alice, {{{r407, "HTTP/1.1 200 OK\r\n\r\n"}, false}});
    EXPECT_EQ(o.final, connect_step::tunnel_open);
    ASSERT_EQ(o.requests.size(), 2u);
    EXPECT_NE(o.requests[1].find("Proxy-Authorization: Digest "), std::string::npos);
    EXPECT_NE(o.requests[1].find("uri=\"127.0.0.1:9000\""), std::string::npos);
    EXPECT_EQ(o.diagnostics.auth_scheme, "digest");
}

TEST(connect_exchange, wrong_credentials_end_with_auth_failed) {
    const std::string r407 = "HTTP/1.1 407 Auth\r\nProxy-Authenticate: Basic realm=\"x\"\r\nVia: 1.1 squid\r\n"
                             "Content-Length: 6\r\n\r\ndenied";
    const auto o = expect_any_chunking(to("h:1"), credentials{"alice", "wrong"}, {{{r407, r407, r407}, false}});
    EXPECT_EQ(o.ec, error::proxy_auth_failed);
    EXPECT_EQ(o.requests.size(), 2u);
    EXPECT_EQ(o.diagnostics.status, 407u);
    EXPECT_EQ(o.summary, "HTTP/1.1 407 Auth (Via: 1.1 squid)");
    EXPECT_EQ(o.diagnostics.body_start, "denied");
}

TEST(connect_exchange, tinyproxy_401_after_credentials_is_auth_failed) {
    const std::string r407 = "HTTP/1.0 407 Proxy Authentication Required\r\nServer: tinyproxy/1.11.1\r\n"
                             "Proxy-Authenticate: Basic realm=\"Tinyproxy\"\r\n\r\n";
    const std::string r401 = "HTTP/1.0 401 Unauthorized\r\nServer: tinyproxy/1.11.1\r\n"
                             "WWW-Authenticate: Basic realm=\"Tinyproxy\"\r\n\r\n";
    const auto o = run(to("h:1"), credentials{"alice", "bad"}, {{{r407}, true}, {{r401}, true}});
    EXPECT_EQ(o.ec, error::proxy_auth_failed);
    EXPECT_EQ(o.diagnostics.status, 401u);
    // Without credentials sent, a 401 is a refusal like any other.
    EXPECT_EQ(run(to("h:1"), std::nullopt, {{{r401}, true}}).ec, error::proxy_refused);
}

TEST(connect_exchange, no_credentials_or_no_supported_scheme) {
    const std::string r407 = "HTTP/1.1 407 Auth\r\nProxy-Authenticate: Basic realm=\"x\"\r\n\r\n";
    auto o = expect_any_chunking(to("h:1"), std::nullopt, {{{r407}, true}});
    EXPECT_EQ(o.ec, error::proxy_auth_required);
    EXPECT_EQ(o.diagnostics.proxy_authenticate, "Basic realm=\"x\"");
    const std::string ntlm = "HTTP/1.1 407 Auth\r\nProxy-Authenticate: NTLM\r\nProxy-Authenticate: Negotiate\r\n\r\n";
    o = expect_any_chunking(to("h:1"), alice, {{{ntlm}, true}});
    EXPECT_EQ(o.ec, error::proxy_auth_unsupported);
    EXPECT_EQ(o.diagnostics.proxy_authenticate, "NTLM, Negotiate");
}

TEST(connect_exchange, auth_rounds_are_bounded) {
    // A proxy that calls every Digest nonce stale would loop forever without a bound.
    std::vector<std::string> replies;
    for (int i = 0; i < 20; ++i)
        replies.push_back("HTTP/1.1 407 Auth\r\nProxy-Authenticate: Digest realm=\"r\", nonce=\"n" + std::to_string(i) +
                          "\", qop=\"auth\", stale=true\r\nContent-Length: 0\r\n\r\n");
    const auto o = run(to("h:1"), alice, {{replies, false}});
    EXPECT_EQ(o.ec, error::proxy_auth_failed);
    EXPECT_LE(o.requests.size(), 5u);
}

TEST(connect_exchange, refusals_keep_the_proxy_explanation) {
    const std::string gateway = "HTTP/1.0 500 handshakefailed\r\nVia: 1.0 gateway\r\n\r\n";
    auto o = expect_any_chunking(to("h:443"), std::nullopt, {{{gateway}, true}});
    EXPECT_EQ(o.ec, error::proxy_refused);
    EXPECT_EQ(o.summary, "HTTP/1.0 500 handshakefailed (Via: 1.0 gateway)");

    for (std::string_view status : {"403 Forbidden", "502 Bad Gateway", "503 Service Unavailable"}) {
        const std::string html = "<html><head><title>" + std::string(status) + "</title></head>\r\n<body>\tNo.</body></html>";
        const std::string reply = "HTTP/1.1 " + std::string(status) + "\r\nServer: squid/5.7\r\nProxy-Status: squid; "
                                  "error=connection_refused\r\nContent-Type: text/html\r\nContent-Length: " +
                                  std::to_string(html.size()) + "\r\n\r\n" + html;
        o = expect_any_chunking(to("h:1"), std::nullopt, {{{reply}, false}});
        EXPECT_EQ(o.ec, error::proxy_refused);
        EXPECT_EQ(o.summary, "HTTP/1.1 " + std::string(status) +
                                 " (Server: squid/5.7; Proxy-Status: squid; error=connection_refused)");
        const std::string shown = std::string(status) + " No.";  // the page's text, not its markup
        EXPECT_EQ(o.diagnostics.body_start, shown);
        // Its length is known, so the start of the body is waited for however it arrives.
        EXPECT_EQ(run(to("h:1"), std::nullopt, {{{reply}, false}}, {}, true).diagnostics.body_start, shown);
    }
    // A refusal with a body of unknown length is reported without waiting for it.
    o = run(to("h:1"), std::nullopt, {{{"HTTP/1.1 403 Forbidden\r\n\r\n"}, false}});
    EXPECT_EQ(o.ec, error::proxy_refused);
    // 3xx is a refusal too: a CONNECT is never redirected.
    EXPECT_EQ(run(to("h:1"), std::nullopt, {{{"HTTP/1.1 302 Found\r\nLocation: /x\r\n\r\n"}, false}}).ec,
              error::proxy_refused);
}

TEST(connect_exchange, html_error_pages_are_shown_as_text) {
    const std::string page =
        "<!DOCTYPE html PUBLIC \"-//W3C//DTD HTML 4.01//EN\">\n<html><head>\n<meta type=\"copyright\" content=\"x\">\n"
        "<title>ERROR: The requested URL could not be retrieved</title>\n<style type=\"text/css\"><!--\n"
        " body { font-family: verdana; } p { margin: 0 } \n--></style>\n<script>var x = '<b>';</script></head>"
        "<body id=ERR_CONNECT_FAIL>\n<!-- a comment -->\n<p>The system returned: <i>(111) Connection refused</i></p>"
        "<p>Tom &amp; Jerry &lt;3</p></body></html>";
    const std::string reply = "HTTP/1.1 503 Service Unavailable\r\nServer: squid/5.7\r\nX-Squid-Error: ERR_CONNECT_FAIL 111\r\n"
                              "Content-Length: " + std::to_string(page.size()) + "\r\n\r\n" + page;
    const auto o = run(to("h:1"), std::nullopt, {{{reply}, false}});
    EXPECT_EQ(o.ec, error::proxy_refused);
    EXPECT_EQ(o.diagnostics.body_start, "ERROR: The requested URL could not be retrieved The system returned: (111) "
                                        "Connection refused Tom & Jerry <3");
    EXPECT_EQ(o.summary, "HTTP/1.1 503 Service Unavailable (Server: squid/5.7; X-Squid-Error: ERR_CONNECT_FAIL 111)");
    // Plain text bodies keep their characters, markup-like or not.
    const auto plain = run(to("h:1"), std::nullopt,
                           {{{"HTTP/1.1 403 Forbidden\r\nContent-Length: 12\r\n\r\na <b> c &amp"}, false}});
    EXPECT_EQ(plain.diagnostics.body_start, "a <b> c &amp");
}

TEST(connect_exchange, each_round_reports_its_own_reply) {
    // A 407 that closes, then a new connection the proxy closes without a word: the failure must not
    // quote the earlier 407 as if it were the answer.
    const std::string r407 = "HTTP/1.1 407 Auth\r\nProxy-Authenticate: Basic realm=\"x\"\r\nConnection: close\r\n\r\n";
    const auto o = run(to("h:1"), alice, {{{r407}, true}, {{""}, true}});
    EXPECT_EQ(o.ec, error::proxy_closed);
    EXPECT_EQ(o.summary, "");
    EXPECT_EQ(o.diagnostics.status, 0u);
    EXPECT_EQ(o.diagnostics.rounds, 2u);
    EXPECT_EQ(o.diagnostics.auth_scheme, "basic");
}

TEST(connect_exchange, malformed_or_missing_replies) {
    auto o = expect_any_chunking(to("h:1"), std::nullopt, {{{"garbage\r\n\r\n"}, true}});
    EXPECT_EQ(o.ec, error::proxy_malformed_reply);
    EXPECT_FALSE(o.diagnostics.detail.empty());
    o = expect_any_chunking(to("h:1"), std::nullopt, {{{"HTTP/1.1 200 OK\r\nBad Header\r\n\r\n"}, true}});
    EXPECT_EQ(o.ec, error::proxy_malformed_reply);
    o = run(to("h:1"), std::nullopt, {{{""}, true}});
    EXPECT_EQ(o.ec, error::proxy_closed);
    o = run(to("h:1"), std::nullopt, {{{"HTTP/1.1 200 Conn"}, true}});
    EXPECT_EQ(o.ec, error::proxy_closed);
    o = run(to("h:1"), std::nullopt, {{{""}, false}});
    EXPECT_EQ(o.final, connect_step::need_more);  // silence: only a timeout ends this
}

TEST(connect_exchange, reply_head_over_the_limit) {
    connect_settings s = to("h:1");
    s.limits.max_size = 1024;
    std::string big = "HTTP/1.1 200 OK\r\n";
    while (big.size() < 2000)
        big += "X-Filler: 0123456789abcdef\r\n";
    const auto o = run(s, std::nullopt, {{{big}, false}}, {}, true);
    EXPECT_EQ(o.ec, error::proxy_reply_too_large);
}

TEST(connect_exchange, redact_head) {
    EXPECT_EQ(redact_head("CONNECT h:1 HTTP/1.1\r\nProxy-Authorization: Basic YWxpY2U6czNjcmV0\r\nHost: h:1\r\n\r\n"),
              "CONNECT h:1 HTTP/1.1\r\nProxy-Authorization: Basic <redacted>\r\nHost: h:1\r\n\r\n");
    EXPECT_EQ(redact_head("GET / HTTP/1.1\nauthorization: Digest username=\"a\", response=\"b\"\n\n"),
              "GET / HTTP/1.1\nauthorization: Digest <redacted>\n\n");
    EXPECT_EQ(redact_head("X-Other: Basic abc\r\n"), "X-Other: Basic abc\r\n");
}
