// wss:// and ws:// sessions that must WORK, against real peers on 127.0.0.1 (started by
// with_tls_servers.sh): Python `websockets` echo servers behind burrow's TLS, directly, through
// squid as an http:// proxy, and through squid's https_port (TLS to the proxy, then TLS to the
// origin inside it: TLS in TLS on one TCP connection). Each session does a text and a binary round
// trip, a 1 MiB message and the close handshake. The servers report the SNI they received.
#include "real_peers.hpp"

#include <iostream>

namespace {

using namespace burrow_tls_it;

class WssPaths : public ::testing::Test {
protected:
    void SetUp() override {
        ca_ = env_file("BURROW_TEST_TLS_CA");
        proxy_ca_ = env_file("BURROW_TEST_TLS_PROXY_CA");
        wss_ = env_port("BURROW_TEST_TLS_WSS_PORT");
        ASSERT_FALSE(HasFailure());
    }

    std::string wss_url(std::string_view host, std::string_view path = "/") const {
        return "wss://" + std::string(host) + ":" + std::to_string(wss_) + std::string(path);
    }

    session_report run(auto make) {
        auto r = run_with_deadline(make);
        if (!r) {
            ADD_FAILURE() << "the session did not finish within " << io_deadline.count() << " s";
            return {};
        }
        return std::move(*r);
    }

    std::string ca_, proxy_ca_;
    std::uint16_t wss_ = 0;
};

constexpr exercise sni_then_echo{.read_first = true, .echo = true};
constexpr exercise echo_only{.read_first = false, .echo = true};

// Direct, by name: the chain is verified against the test CA, the name against DNS:localhost, and
// the server saw "localhost" in SNI.
TEST_F(WssPaths, DirectByNameSendsSni) {
    const auto r = run([&] { return co_direct(wss_url("localhost", "/sni"), trusting(ca_), sni_then_echo); });
    expect_complete(r, "wss://localhost direct");
    EXPECT_EQ(r.first_message, "sni=localhost");
    EXPECT_EQ(r.tls.peer, burrow::tls_peer::origin);
    EXPECT_FALSE(r.tls.version.empty()) << r.tls.message();
    EXPECT_NE(r.tls.certificate.subject.find("localhost"), std::string::npos) << r.tls.certificate.subject;
    EXPECT_EQ(r.tls.alpn, "http/1.1") << "ALPN: the server accepts only http/1.1";
    std::cout << "[   info   ] direct by name: " << r.tls.message() << "\n";
}

// Direct, by IP literal: no SNI is sent, and the certificate is verified against IP:127.0.0.1.
TEST_F(WssPaths, DirectByIpSendsNoSni) {
    const auto r = run([&] { return co_direct(wss_url("127.0.0.1", "/sni"), trusting(ca_), sni_then_echo); });
    expect_complete(r, "wss://127.0.0.1 direct");
    EXPECT_EQ(r.first_message, "sni=");
}

// The system store is used along with ca_file by default (use_system_ca stays true).
TEST_F(WssPaths, CaFileAddsToSystemStore) {
    auto opts = trusting(ca_);
    opts.use_system_ca = true;
    const auto r = run([&] { return co_direct(wss_url("localhost"), opts, echo_only); });
    expect_complete(r, "wss://localhost with the system store and ca_file");
}

// The verification opt-out, asked for by name, accepts a certificate nobody trusts.
TEST_F(WssPaths, InsecureSkipVerifyMustBeAskedFor) {
    const auto untrusted = env_port("BURROW_TEST_TLS_UNTRUSTED_PORT");
    auto opts = system_store_only();
    opts.insecure_skip_verify = true;
    const std::string url = "wss://localhost:" + std::to_string(untrusted) + "/";
    const auto r = run([&] { return co_direct(url, opts, echo_only); });
    expect_complete(r, "wss://localhost (untrusted issuer) with insecure_skip_verify");
}

// Through squid as a plain http:// proxy: CONNECT, then TLS to the origin inside the tunnel.
TEST_F(WssPaths, ThroughHttpProxy) {
    const auto proxy = proxy_at("http", "127.0.0.1", env_port("BURROW_TEST_TLS_SQUID_HTTP_PORT"));
    const auto r = run([&] { return co_via_http_proxy(proxy, wss_url("localhost", "/sni"), trusting(ca_), sni_then_echo); });
    expect_complete(r, "wss://localhost through squid (http://)");
    EXPECT_EQ(r.first_message, "sni=localhost");
    EXPECT_EQ(r.tunnel.diagnostics.rounds, 1u);
    EXPECT_TRUE(r.tunnel.leftover.empty());
}

// The same with Basic authentication: a 407 first, then the tunnel.
TEST_F(WssPaths, ThroughHttpProxyWithBasic) {
    const auto proxy =
        proxy_at("http", "127.0.0.1", env_port("BURROW_TEST_TLS_SQUID_HTTP_AUTH_PORT"), "alice", "s3cret");
    const auto r = run([&] { return co_via_http_proxy(proxy, wss_url("localhost"), trusting(ca_), echo_only); });
    expect_complete(r, "wss://localhost through squid (http://, Basic)");
    EXPECT_EQ(r.tunnel.diagnostics.auth_scheme, "basic");
    EXPECT_EQ(r.tunnel.diagnostics.rounds, 2u);
}

// Through squid's https_port: TLS to the proxy (verified against the proxy's own CA, SNI
// "localhost"), CONNECT inside it, then TLS to the origin inside that: TLS in TLS.
TEST_F(WssPaths, TlsInTlsThroughHttpsProxy) {
    const auto proxy = proxy_at("https", "localhost", env_port("BURROW_TEST_TLS_SQUID_HTTPS_PORT"));
    const auto r = run([&] {
        return co_via_https_proxy(proxy, trusting(proxy_ca_), wss_url("localhost", "/sni"), trusting(ca_),
                                  sni_then_echo);
    });
    expect_complete(r, "wss://localhost through squid https_port");
    EXPECT_EQ(r.first_message, "sni=localhost");
    EXPECT_FALSE(r.tunnel.tls.ec) << r.tunnel.tls.message();
    EXPECT_EQ(r.tunnel.tls.peer, burrow::tls_peer::proxy);
    EXPECT_FALSE(r.tunnel.tls.version.empty()) << "no TLS session with the proxy was recorded";
    EXPECT_NE(r.tunnel.tls.certificate.issuer.find("burrow test proxy CA"), std::string::npos)
        << r.tunnel.tls.certificate.issuer;
    EXPECT_NE(r.tls.certificate.issuer.find("burrow test CA"), std::string::npos) << r.tls.certificate.issuer;
    EXPECT_EQ(r.tls.alpn, "http/1.1") << "ALPN inside the tunnel";
    std::cout << "[   info   ] to the proxy: " << r.tunnel.tls.message() << "\n"
              << "[   info   ] to the origin, inside: " << r.tls.message() << "\n";
}

// The https:// proxy's own TLS session gets SNI too: a Python CONNECT proxy reports the name it
// received in its 200 ("X-Burrow-SNI: ..."), seen here through the trace hook. By IP: no SNI.
TEST_F(WssPaths, HttpsProxyGetsSniForNamesOnly) {
    const auto port = env_port("BURROW_TEST_TLS_SNI_PROXY_PORT");
    for (const std::string host : {"localhost", "127.0.0.1"}) {
        const auto proxy = proxy_at("https", host, port);
        std::string replies;
        auto popts = fast_proxy_options();
        popts.trace = [&](burrow::trace_direction d, std::string_view head) {
            if (d == burrow::trace_direction::from_proxy)
                replies += head;
        };
        const auto r = run([&] {
            return co_via_https_proxy(proxy, trusting(proxy_ca_), wss_url("localhost", "/sni"), trusting(ca_),
                                      sni_then_echo, popts);
        });
        expect_complete(r, "wss://localhost through the Python https:// proxy at " + host);
        EXPECT_EQ(r.first_message, "sni=localhost") << "the origin's SNI, inside the tunnel";
        const std::string want = host == "localhost" ? "X-Burrow-SNI: localhost\r\n" : "X-Burrow-SNI: \r\n";
        EXPECT_TRUE(contains(replies, want)) << "proxy at " << host << " replied: " << replies;
    }
}

// TLS in TLS with Basic authentication to the https:// proxy.
TEST_F(WssPaths, TlsInTlsThroughHttpsProxyWithBasic) {
    const auto proxy =
        proxy_at("https", "localhost", env_port("BURROW_TEST_TLS_SQUID_HTTPS_AUTH_PORT"), "alice", "s3cret");
    const auto r = run([&] {
        return co_via_https_proxy(proxy, trusting(proxy_ca_), wss_url("localhost"), trusting(ca_), echo_only);
    });
    expect_complete(r, "wss://localhost through squid https_port with Basic");
    EXPECT_EQ(r.tunnel.diagnostics.auth_scheme, "basic");
    EXPECT_FALSE(r.tunnel.tls.version.empty());
}

// TLS in TLS by IP literals: the proxy's certificate and the origin's are both checked against
// IP:127.0.0.1, and the origin gets no SNI.
TEST_F(WssPaths, TlsInTlsByIpLiterals) {
    const auto proxy = proxy_at("https", "127.0.0.1", env_port("BURROW_TEST_TLS_SQUID_HTTPS_PORT"));
    const auto r = run([&] {
        return co_via_https_proxy(proxy, trusting(proxy_ca_), wss_url("127.0.0.1", "/sni"), trusting(ca_),
                                  sni_then_echo);
    });
    expect_complete(r, "wss://127.0.0.1 through squid https_port at 127.0.0.1");
    EXPECT_EQ(r.first_message, "sni=");
}

// ws:// (no TLS to the origin) through the https:// proxy.
TEST_F(WssPaths, WsThroughHttpsProxy) {
    const auto proxy = proxy_at("https", "localhost", env_port("BURROW_TEST_TLS_SQUID_HTTPS_PORT"));
    const std::string url = "ws://127.0.0.1:" + std::to_string(env_port("BURROW_TEST_TLS_PLAIN_WS_PORT")) + "/sni";
    const auto r = run([&] { return co_via_https_proxy(proxy, trusting(proxy_ca_), url, trusting(ca_), sni_then_echo); });
    expect_complete(r, "ws://127.0.0.1 through squid https_port");
    EXPECT_EQ(r.first_message, "sni=<not TLS>");
    EXPECT_TRUE(r.tls.version.empty()) << "a TLS session to a ws:// origin?";
}

// Mutual TLS: the server requires a client certificate issued by the test CA and names the one
// it got.
TEST_F(WssPaths, MutualTlsWithClientCertificate) {
    auto opts = trusting(ca_);
    opts.cert_file = env_file("BURROW_TEST_TLS_CLIENT_CERT");
    opts.key_file = env_file("BURROW_TEST_TLS_CLIENT_KEY");
    const std::string url =
        "wss://localhost:" + std::to_string(env_port("BURROW_TEST_TLS_MTLS_PORT")) + "/client-cert";
    const auto r = run([&] { return co_direct(url, opts, sni_then_echo); });
    expect_complete(r, "wss://localhost with a client certificate");
    EXPECT_EQ(r.first_message, "client-cert=burrow-test-client");
}

// Mutual TLS inside TLS: the client certificate goes to the origin, through the https:// proxy.
TEST_F(WssPaths, MutualTlsThroughHttpsProxy) {
    auto opts = trusting(ca_);
    opts.cert_file = env_file("BURROW_TEST_TLS_CLIENT_CERT");
    opts.key_file = env_file("BURROW_TEST_TLS_CLIENT_KEY");
    const auto proxy = proxy_at("https", "localhost", env_port("BURROW_TEST_TLS_SQUID_HTTPS_PORT"));
    const std::string url =
        "wss://localhost:" + std::to_string(env_port("BURROW_TEST_TLS_MTLS_PORT")) + "/client-cert";
    const auto r = run([&] { return co_via_https_proxy(proxy, trusting(proxy_ca_), url, opts, sni_then_echo); });
    expect_complete(r, "wss://localhost with a client certificate through squid https_port");
    EXPECT_EQ(r.first_message, "client-cert=burrow-test-client");
}

} // namespace
