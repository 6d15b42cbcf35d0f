// TLS sessions that must FAIL, each with the right error code and a message that names the
// session that failed (the proxy's or the origin server's) and what is useful to fix it, against
// real peers on 127.0.0.1 (started by with_tls_servers.sh): Python `websockets` servers with bad
// certificates, a plain ws server, squid on plain and TLS ports, a proxy refusing CONNECT.
// Every message is printed ("[   info   ]") so a reader sees what a user would see.
#include "real_peers.hpp"

#include <iostream>

namespace {

using namespace burrow_tls_it;
using burrow::error;

class TlsFailures : public ::testing::Test {
protected:
    void SetUp() override {
        ca_ = env_file("BURROW_TEST_TLS_CA");
        proxy_ca_ = env_file("BURROW_TEST_TLS_PROXY_CA");
        ASSERT_FALSE(HasFailure());
    }

    static std::string url(std::string_view scheme, std::string_view host, const char* port_env,
                           std::string_view path = "/") {
        return std::string(scheme) + "://" + std::string(host) + ":" + std::to_string(env_port(port_env)) +
               std::string(path);
    }

    session_report run(auto make) {
        auto r = run_with_deadline(make);
        if (!r) {
            ADD_FAILURE() << "the session did not finish within " << io_deadline.count() << " s";
            return {};
        }
        return std::move(*r);
    }

    // A failure of the TLS session to the origin server (directly or through a tunnel).
    static void expect_origin_tls_failure(const session_report& r, error want, const std::string& what) {
        std::cout << "[   info   ] " << what << ": " << r.tls.message() << "\n";
        EXPECT_EQ(r.stage, "tls") << what << ": " << r.summary();
        EXPECT_EQ(r.tls.ec, want) << what << ": " << r.tls.ec.message() << ": " << r.tls.message();
        EXPECT_TRUE(r.tls.ec == burrow::condition::tls_failed) << r.tls.ec.message();
        EXPECT_EQ(r.tls.peer, burrow::tls_peer::origin);
        // The message says it was the server's session, never the proxy's (a hint may still
        // mention proxies: an unknown issuer is often a TLS-inspecting one).
        const std::string m = r.tls.message();
        EXPECT_TRUE(contains(m, "with the server ")) << m;
        EXPECT_FALSE(contains(m, "with the proxy ")) << m;
    }

    // A failure of the TLS session to an https:// proxy.
    static void expect_proxy_tls_failure(const session_report& r, error want, const std::string& what) {
        std::cout << "[   info   ] " << what << ": " << r.tunnel.message() << "\n";
        EXPECT_EQ(r.stage, "tunnel") << what << ": " << r.summary();
        EXPECT_EQ(r.tunnel.phase, burrow::proxy_phase::tls_to_proxy) << r.tunnel.message();
        EXPECT_EQ(r.tunnel.ec, want) << what << ": " << r.tunnel.ec.message() << ": " << r.tunnel.message();
        EXPECT_EQ(r.tunnel.tls.ec, want) << r.tunnel.tls.message();
        EXPECT_EQ(r.tunnel.tls.peer, burrow::tls_peer::proxy);
        EXPECT_TRUE(contains(r.tunnel.message(), "with the proxy ")) << r.tunnel.message();
        EXPECT_FALSE(contains(r.tunnel.message(), "with the server ")) << r.tunnel.message();
        EXPECT_TRUE(r.tls.version.empty() && !r.tls.ec) << "the origin's TLS session should not have started";
    }

    // A refusal of the CONNECT: a proxy error with the proxy's status, never a TLS error, and the
    // origin's TLS session never started.
    static void expect_proxy_refusal(const session_report& r, unsigned status, const std::string& what) {
        std::cout << "[   info   ] " << what << ": " << r.tunnel.message() << "\n";
        EXPECT_EQ(r.stage, "tunnel") << what << ": " << r.summary();
        EXPECT_EQ(r.tunnel.ec, error::proxy_refused) << r.tunnel.ec.message() << ": " << r.tunnel.message();
        EXPECT_FALSE(r.tunnel.ec == burrow::condition::tls_failed) << r.tunnel.message();
        EXPECT_EQ(r.tunnel.phase, burrow::proxy_phase::proxy_connect) << r.tunnel.message();
        EXPECT_EQ(r.tunnel.diagnostics.status, status) << r.tunnel.diagnostics.status_line;
        EXPECT_TRUE(contains(r.tunnel.message(), std::to_string(status))) << r.tunnel.message();
        EXPECT_FALSE(r.tunnel.tls.ec) << "a TLS error on a refused CONNECT: " << r.tunnel.tls.message();
        EXPECT_TRUE(r.tls.version.empty() && !r.tls.ec) << "the origin's TLS session should not have started";
    }

    std::string ca_, proxy_ca_;
};

constexpr exercise echo_only{.read_first = false, .echo = true};

// The certificate names wrong.example only; we asked for localhost.
TEST_F(TlsFailures, WrongHostName) {
    const auto r = run([&] {
        return co_direct(url("wss", "localhost", "BURROW_TEST_TLS_WRONG_NAME_PORT"), trusting(ca_), echo_only);
    });
    expect_origin_tls_failure(r, error::tls_hostname_mismatch, "wrong host name");
    const std::string m = r.tls.message();
    EXPECT_TRUE(contains(m, "localhost")) << "the name asked for: " << m;
    EXPECT_TRUE(contains(m, "wrong.example")) << "the names the certificate has: " << m;
}

// The IP literal is not in the certificate's IP subjectAltNames (it names wrong.example only).
TEST_F(TlsFailures, WrongHostNameByIp) {
    const auto r = run([&] {
        return co_direct(url("wss", "127.0.0.1", "BURROW_TEST_TLS_WRONG_NAME_PORT"), trusting(ca_), echo_only);
    });
    expect_origin_tls_failure(r, error::tls_hostname_mismatch, "wrong IP address");
    EXPECT_TRUE(contains(r.tls.message(), "127.0.0.1")) << r.tls.message();
}

// A private CA the system store does not know, and no ca_file: the message shows the issuer and
// the subject and suggests adding the CA.
TEST_F(TlsFailures, UnknownCaWithoutCaFile) {
    const auto r =
        run([&] { return co_direct(url("wss", "localhost", "BURROW_TEST_TLS_WSS_PORT"), system_store_only(), echo_only); });
    expect_origin_tls_failure(r, error::tls_unknown_issuer, "unknown CA, no ca_file");
    const std::string m = r.tls.message();
    EXPECT_TRUE(contains(m, "burrow test CA")) << "the issuer: " << m;
    EXPECT_TRUE(contains(m, "CN=localhost")) << "the subject: " << m;
    EXPECT_TRUE(contains(m, "ca_file")) << "the hint: " << m;
    EXPECT_TRUE(contains(r.tls.certificate.issuer, "burrow test CA")) << r.tls.certificate.issuer;
}

// A self-signed certificate (no CA at all), trusted by nobody: the message says it is self-signed.
TEST_F(TlsFailures, SelfSignedWithoutCa) {
    const auto r = run(
        [&] { return co_direct(url("wss", "localhost", "BURROW_TEST_TLS_SELF_SIGNED_PORT"), trusting(ca_), echo_only); });
    expect_origin_tls_failure(r, error::tls_unknown_issuer, "self-signed certificate");
    const std::string m = r.tls.message();
    EXPECT_TRUE(contains(m, "self-signed")) << m;
    EXPECT_TRUE(contains(m, "CN=localhost")) << m;
    EXPECT_TRUE(contains(m, "ca_file")) << "the hint: " << m;
}

// A certificate whose validity ended in 2020.
TEST_F(TlsFailures, ExpiredCertificate) {
    const auto r =
        run([&] { return co_direct(url("wss", "localhost", "BURROW_TEST_TLS_EXPIRED_PORT"), trusting(ca_), echo_only); });
    expect_origin_tls_failure(r, error::tls_certificate_expired, "expired certificate");
    const std::string m = r.tls.message();
    EXPECT_TRUE(contains(m, "expired")) << m;
    EXPECT_TRUE(contains(m, "2020")) << "the end of validity: " << m;
}

// Issued by a CA nobody trusts, while ca_file names another CA.
TEST_F(TlsFailures, UntrustedIssuer) {
    const auto r = run(
        [&] { return co_direct(url("wss", "localhost", "BURROW_TEST_TLS_UNTRUSTED_PORT"), trusting(ca_), echo_only); });
    expect_origin_tls_failure(r, error::tls_unknown_issuer, "untrusted issuer");
    EXPECT_TRUE(contains(r.tls.message(), "burrow rogue CA")) << r.tls.message();
}

// A plain ws server on a wss:// URL answers the ClientHello with an HTTP 400.
TEST_F(TlsFailures, PlaintextServerOnWssUrl) {
    const auto r = run(
        [&] { return co_direct(url("wss", "localhost", "BURROW_TEST_TLS_PLAIN_WS_PORT"), trusting(ca_), echo_only); });
    expect_origin_tls_failure(r, error::tls_not_tls, "plaintext server on a wss:// URL");
    const std::string m = r.tls.message();
    EXPECT_TRUE(contains(m, "not speaking TLS")) << m;
    EXPECT_TRUE(contains(m, "HTTP/1.1 400")) << "what it answered: " << m;
}

// The origin's failure inside a working https:// proxy tunnel is the origin's, not the proxy's.
TEST_F(TlsFailures, OriginFailureInsideHttpsProxyTunnel) {
    const auto proxy = proxy_at("https", "localhost", env_port("BURROW_TEST_TLS_SQUID_HTTPS_PORT"));
    const auto r = run([&] {
        return co_via_https_proxy(proxy, trusting(proxy_ca_), url("wss", "localhost", "BURROW_TEST_TLS_WRONG_NAME_PORT"),
                                  trusting(ca_), echo_only);
    });
    EXPECT_TRUE(r.tunnel) << r.tunnel.message();
    EXPECT_FALSE(r.tunnel.tls.version.empty()) << "the proxy's TLS session did not complete";
    expect_origin_tls_failure(r, error::tls_hostname_mismatch, "wrong host name inside the https:// proxy");
}

// The proxy's certificate comes from a CA the client was not told about (a TLS-inspecting
// corporate proxy): the proxy's session fails, and the message says so with the issuer.
TEST_F(TlsFailures, UnknownProxyCa) {
    const auto proxy = proxy_at("https", "localhost", env_port("BURROW_TEST_TLS_SQUID_HTTPS_PORT"));
    const auto r = run([&] {
        return co_via_https_proxy(proxy, trusting(ca_), url("wss", "localhost", "BURROW_TEST_TLS_WSS_PORT"),
                                  trusting(ca_), echo_only);
    });
    expect_proxy_tls_failure(r, error::tls_unknown_issuer, "unknown proxy CA");
    EXPECT_TRUE(contains(r.tunnel.message(), "burrow test proxy CA")) << r.tunnel.message();
}

// An https:// proxy URL pointing at squid's plain http_port: squid answers the ClientHello in
// plain HTTP.
TEST_F(TlsFailures, TlsToPlainHttpProxy) {
    const auto proxy = proxy_at("https", "localhost", env_port("BURROW_TEST_TLS_SQUID_HTTP_PORT"));
    const auto r = run([&] {
        return co_via_https_proxy(proxy, trusting(proxy_ca_), url("wss", "localhost", "BURROW_TEST_TLS_WSS_PORT"),
                                  trusting(ca_), echo_only);
    });
    expect_proxy_tls_failure(r, error::tls_not_tls, "https:// proxy URL at a plain HTTP proxy");
    EXPECT_TRUE(contains(r.tunnel.message(), "plain HTTP")) << r.tunnel.message();
    EXPECT_TRUE(contains(r.tunnel.message(), "HTTP/1.1 400")) << "what squid answered: " << r.tunnel.message();
    EXPECT_TRUE(contains(r.tunnel.message(), "http://")) << "the hint: " << r.tunnel.message();
}

// The reverse: an http:// proxy URL pointing at squid's https_port. The CONNECT in plain text is
// answered with a TLS alert record (then a reset): a proxy error, never a TLS one.
TEST_F(TlsFailures, PlainHttpToTlsProxy) {
    const auto proxy = proxy_at("http", "localhost", env_port("BURROW_TEST_TLS_SQUID_HTTPS_PORT"));
    const auto r = run([&] {
        return co_via_http_proxy(proxy, url("wss", "localhost", "BURROW_TEST_TLS_WSS_PORT"), trusting(ca_), echo_only);
    });
    std::cout << "[   info   ] http:// proxy URL at a TLS port: " << r.tunnel.message() << "\n";
    EXPECT_EQ(r.stage, "tunnel") << r.summary();
    EXPECT_EQ(r.tunnel.phase, burrow::proxy_phase::proxy_connect) << r.tunnel.message();
    EXPECT_TRUE(r.tunnel.ec == burrow::condition::proxy_failed) << r.tunnel.ec.message() << ": " << r.tunnel.message();
    EXPECT_FALSE(r.tunnel.ec == burrow::condition::tls_failed) << r.tunnel.message();
    EXPECT_TRUE(contains(r.tunnel.message(), "https://")) << "the hint: " << r.tunnel.message();
    EXPECT_TRUE(r.tls.version.empty() && !r.tls.ec) << "the origin's TLS session should not have started";
}

// A proxy that answers CONNECT with "HTTP/1.0 500 handshakefailed": a proxy refusal, with the
// proxy's words, not a TLS handshake failure.
TEST_F(TlsFailures, ProxyRefusesConnectHandshakeFailed) {
    const auto proxy = proxy_at("http", "127.0.0.1", env_port("BURROW_TEST_TLS_REFUSING_PROXY_PORT"));
    const auto r = run([&] {
        return co_via_http_proxy(proxy, url("wss", "localhost", "BURROW_TEST_TLS_WSS_PORT"), trusting(ca_), echo_only);
    });
    expect_proxy_refusal(r, 500, "proxy answering 500 handshakefailed");
    EXPECT_TRUE(contains(r.tunnel.message(), "handshakefailed")) << r.tunnel.message();
    EXPECT_TRUE(contains(r.tunnel.diagnostics.status_line, "handshakefailed")) << r.tunnel.diagnostics.status_line;
}

// squid refusing the CONNECT (403) on a plain port, with a wss:// target.
TEST_F(TlsFailures, HttpProxyRefusesConnect) {
    const auto proxy = proxy_at("http", "127.0.0.1", env_port("BURROW_TEST_TLS_SQUID_HTTP_DENY_PORT"));
    const auto r = run([&] {
        return co_via_http_proxy(proxy, url("wss", "localhost", "BURROW_TEST_TLS_WSS_PORT"), trusting(ca_), echo_only);
    });
    expect_proxy_refusal(r, 403, "squid refusing CONNECT (http://)");
}

// squid refusing the CONNECT (403) over TLS: the proxy's TLS session succeeded, the refusal is
// the proxy's.
TEST_F(TlsFailures, HttpsProxyRefusesConnect) {
    const auto proxy = proxy_at("https", "localhost", env_port("BURROW_TEST_TLS_SQUID_HTTPS_DENY_PORT"));
    const auto r = run([&] {
        return co_via_https_proxy(proxy, trusting(proxy_ca_), url("wss", "localhost", "BURROW_TEST_TLS_WSS_PORT"),
                                  trusting(ca_), echo_only);
    });
    expect_proxy_refusal(r, 403, "squid refusing CONNECT (https://)");
    EXPECT_FALSE(r.tunnel.tls.version.empty()) << "the proxy's TLS session did not complete: " << r.tunnel.tls.message();
}

// The server requires a client certificate and we have none: the session fails and says why.
TEST_F(TlsFailures, MutualTlsWithoutClientCertificate) {
    const auto r = run(
        [&] { return co_direct(url("wss", "localhost", "BURROW_TEST_TLS_MTLS_PORT"), trusting(ca_), echo_only); });
    std::cout << "[   info   ] mutual TLS without a certificate: " << r.summary() << "\n";
    ASSERT_FALSE(r.done()) << "the server accepted a client without a certificate";
    // With TLS 1.3 the server checks the client's certificate after the client's side of the
    // handshake is done, so its alert ("certificate_required") may only arrive with the first
    // read, i.e. during the upgrade. Either way the failure must be a TLS alert from the server
    // whose message names the certificate, not an anonymous end of stream.
    ASSERT_TRUE(r.stage == "tls" || r.stage == "upgrade") << r.summary();
    const auto ec = r.stage == "tls" ? r.tls.ec : r.upgrade.ec;
    const std::string m = r.stage == "tls" ? r.tls.message() : r.upgrade.message();
    EXPECT_EQ(ec, error::tls_alert) << ec.message() << ": " << m;
    EXPECT_TRUE(contains(m, "certificate")) << m;
    EXPECT_TRUE(contains(m, "server")) << m;
}

} // namespace
