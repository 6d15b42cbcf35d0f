// co_tls_handshake / co_tls_accept against in-process TLS servers on 127.0.0.1, with certificates
// made by openssl at test time: the good path (SNI, ALPN, IP SANs, mutual TLS) and every failure
// with its error code and the words its message must contain.
#include <burrow/asio/detail/stream_error.hpp>
#include <burrow/asio/tls.hpp>

#include "asio_run.hpp"
#include "tls_peers.hpp"

#include <boost/asio/experimental/awaitable_operators.hpp>

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <optional>

using namespace burrow;
using namespace burrow::test;
using namespace std::chrono_literals;
using namespace boost::asio::experimental::awaitable_operators;
namespace asio = boost::asio;

namespace {

// Client side: a TCP connection to `port`, then the TLS handshake for `host`.
asio::awaitable<tls_result> client_handshake(std::uint16_t port, std::string host, tls_options options,
                                             tls_peer which = tls_peer::origin) {
    auto ctx = make_client_context(options);
    if (!ctx) {
        tls_result r;
        r.ec = ctx.ec;
        r.detail = ctx.detail;
        co_return r;
    }
    ssl::stream<tcp::socket> s(co_await tls_connect_local(port), *ctx.context);
    co_return co_await co_tls_handshake(s, host, options, which);
}

// Server side: one connection, the TLS handshake, then a short read so a client alert sent right
// after the handshake (TLS 1.3 client-certificate checks) is seen.
asio::awaitable<tls_result> server_handshake(tcp::acceptor& a, ssl::context& ctx) {
    auto sock = co_await a.async_accept(asio::use_awaitable);
    ssl::stream<tcp::socket> s(std::move(sock), ctx);
    co_return co_await co_tls_accept(s);
}

struct pair_result {
    tls_result client, server;
};

// Runs a client handshake against a server with certificate `server_cert`.
pair_result handshake_with(std::string_view server_cert, std::string host, const tls_options& client,
                           tls_peer which = tls_peer::origin) {
    pair_result out;
    run([&](asio::io_context& io) -> asio::awaitable<void> {
        auto server_ctx = tls_context_or_throw(make_server_context(tls_server_options(server_cert)));
        auto acceptor = tls_listen(io);
        auto [c, s] = co_await (client_handshake(tls_port(acceptor), host, client, which) &&
                                server_handshake(acceptor, server_ctx));
        out.client = std::move(c);
        out.server = std::move(s);
    });
    return out;
}

bool contains(const std::string& text, std::string_view part) { return text.find(part) != std::string::npos; }

} // namespace

TEST(tls_handshake, a_name_in_the_certificate_verifies_with_sni_alpn_and_tls13) {
    const auto r = handshake_with("server", "localhost", tls_client_options());
    ASSERT_FALSE(r.client.ec) << r.client.message();
    ASSERT_FALSE(r.server.ec) << r.server.message();
    EXPECT_EQ(r.client.version, "TLSv1.3");
    EXPECT_EQ(r.client.alpn, "http/1.1");
    EXPECT_EQ(r.server.alpn, "http/1.1");
    EXPECT_EQ(r.server.sni, "localhost");
    EXPECT_TRUE(contains(r.client.certificate.subject, "CN=localhost")) << r.client.certificate.subject;
    EXPECT_TRUE(contains(r.client.certificate.issuer, "CN=burrow test CA")) << r.client.certificate.issuer;
    EXPECT_TRUE(contains(r.client.certificate.names, "DNS:localhost")) << r.client.certificate.names;
    EXPECT_TRUE(contains(r.client.certificate.names, "IP:127.0.0.1")) << r.client.certificate.names;
    EXPECT_TRUE(contains(r.client.message(), "TLSv1.3 session with the server localhost")) << r.client.message();
}

TEST(tls_handshake, the_system_store_and_ca_file_are_used_together) {
    tls_options o = tls_client_options();
    o.use_system_ca = true;  // the default: system roots plus ca_file
    const auto r = handshake_with("server", "localhost", o);
    EXPECT_FALSE(r.client.ec) << r.client.message();
}

namespace {

// Sets an environment variable for one scope (tests run one at a time in this process).
class scoped_env {
public:
    scoped_env(const char* name, const std::string& value) : name_(name) {
        if (const char* old = std::getenv(name))
            old_ = old;
        ::setenv(name, value.c_str(), 1);
    }
    ~scoped_env() {
        if (old_)
            ::setenv(name_, old_->c_str(), 1);
        else
            ::unsetenv(name_);
    }
    scoped_env(const scoped_env&) = delete;
    scoped_env& operator=(const scoped_env&) = delete;

private:
    const char* name_;
    std::optional<std::string> old_;
};

tls_options system_store_only() {
    tls_options o = tls_client_options();
    o.ca_file.clear();
    o.use_system_ca = true;
    return o;
}

} // namespace

TEST(tls_handshake, ssl_cert_file_replaces_the_system_bundle) {
    {
        scoped_env file("SSL_CERT_FILE", tls_file("ca"));
        const auto r = handshake_with("server", "localhost", system_store_only());
        EXPECT_FALSE(r.client.ec) << r.client.message();
    }
    {
        scoped_env file("SSL_CERT_FILE", std::string(system_ca_bundle));
        const auto r = handshake_with("server", "localhost", system_store_only());
        EXPECT_EQ(r.client.ec, error::tls_unknown_issuer) << "the test CA is not in the system bundle: " << r.client.message();
    }
    {
        scoped_env file("SSL_CERT_FILE", "/nonexistent/burrow-ca.pem");
        const auto made = make_client_context(system_store_only());
        EXPECT_EQ(made.ec, error::tls_bad_configuration);
        EXPECT_NE(made.message().find("SSL_CERT_FILE"), std::string::npos) << made.message();
    }
}

TEST(tls_handshake, ssl_cert_dir_adds_a_hashed_directory) {
    // A directory in OpenSSL's layout: the CA under its subject hash, as c_rehash names it.
    const std::filesystem::path dir = std::filesystem::path(tls_file("ca")).parent_path() / "ssl-cert-dir";
    std::filesystem::create_directories(dir);
    std::string hash;
    {
        const std::string cmd = "openssl x509 -noout -subject_hash -in '" + tls_file("ca") + "'";
        std::FILE* p = ::popen(cmd.c_str(), "r");
        ASSERT_NE(p, nullptr);
        char buf[64] = {};
        if (std::fgets(buf, sizeof buf, p) != nullptr)
            hash = buf;
        ::pclose(p);
        while (!hash.empty() && (hash.back() == '\n' || hash.back() == '\r'))
            hash.pop_back();
    }
    ASSERT_EQ(hash.size(), 8u) << hash;
    std::filesystem::copy_file(tls_file("ca"), dir / (hash + ".0"), std::filesystem::copy_options::overwrite_existing);
    {
        scoped_env file("SSL_CERT_FILE", "");  // empty counts as unset: Debian's bundle, plus the directory
        scoped_env dir_env("SSL_CERT_DIR", dir.string());
        const auto r = handshake_with("server", "localhost", system_store_only());
        EXPECT_FALSE(r.client.ec) << r.client.message();
    }
    {
        // The bundle file is still loaded with a directory (here the rogue CA as the "bundle"),
        // and SSL_CERT_DIR is a list whose missing or empty entries are skipped.
        const std::filesystem::path empty = dir.parent_path() / "ssl-cert-dir-empty";
        std::filesystem::create_directories(empty);
        scoped_env file("SSL_CERT_FILE", tls_file("rogue-ca"));
        scoped_env dir_env("SSL_CERT_DIR", "/nonexistent/certs::" + empty.string() + ":" + dir.string());
        const auto by_dir = handshake_with("server", "localhost", system_store_only());
        EXPECT_FALSE(by_dir.client.ec) << by_dir.client.message();
        const auto by_file = handshake_with("untrusted", "localhost", system_store_only());
        EXPECT_FALSE(by_file.client.ec) << by_file.client.message();
    }
    {
        // Only an empty directory and no readable bundle: nothing to trust is an error, not silence.
        const std::filesystem::path empty = dir.parent_path() / "ssl-cert-dir-empty";
        scoped_env file("SSL_CERT_FILE", "/nonexistent/bundle.pem");
        scoped_env dir_env("SSL_CERT_DIR", empty.string());
        const auto made = make_client_context(system_store_only());
        EXPECT_EQ(made.ec, error::tls_bad_configuration) << made.message();
    }
}

TEST(tls_handshake, an_ip_address_verifies_against_ip_sans_and_sends_no_sni) {
    const auto r = handshake_with("server", "127.0.0.1", tls_client_options());
    ASSERT_FALSE(r.client.ec) << r.client.message();
    ASSERT_FALSE(r.server.ec) << r.server.message();
    EXPECT_EQ(r.server.sni, "");
}

TEST(tls_handshake, server_name_overrides_the_host_for_sni_and_verification) {
    tls_options o = tls_client_options();
    o.server_name = "localhost";
    const auto r = handshake_with("server", "127.0.0.1", o);
    ASSERT_FALSE(r.client.ec) << r.client.message();
    EXPECT_EQ(r.server.sni, "localhost");
    EXPECT_EQ(r.client.host, "localhost");
}

TEST(tls_handshake, tls12_minimum_is_accepted) {
    // A server that speaks TLS 1.2 at most still meets our minimum.
    pair_result out;
    run([&](asio::io_context& io) -> asio::awaitable<void> {
        auto server_ctx = tls_context_or_throw(make_server_context(tls_server_options("server")));
        SSL_CTX_set_max_proto_version(server_ctx.native_handle(), TLS1_2_VERSION);
        auto acceptor = tls_listen(io);
        const tls_options client = tls_client_options();
        auto [c, s] = co_await (client_handshake(tls_port(acceptor), "localhost", client) &&
                                server_handshake(acceptor, server_ctx));
        out.client = std::move(c);
        out.server = std::move(s);
    });
    ASSERT_FALSE(out.client.ec) << out.client.message();
    EXPECT_EQ(out.client.version, "TLSv1.2");
}

TEST(tls_handshake, an_untrusted_issuer_names_issuer_and_subject_and_suggests_ca_file) {
    const auto r = handshake_with("untrusted", "localhost", tls_client_options());
    EXPECT_EQ(r.client.ec, error::tls_unknown_issuer) << r.client.message();
    EXPECT_EQ(r.client.ec, condition::tls_failed);
    EXPECT_EQ(r.client.peer, tls_peer::origin);
    const auto m = r.client.message();
    EXPECT_TRUE(contains(m, "server localhost")) << m;
    EXPECT_TRUE(contains(m, "burrow rogue CA")) << m;
    EXPECT_TRUE(contains(m, "CN=localhost")) << m;
    EXPECT_TRUE(contains(m, "ca_file")) << m;
    EXPECT_TRUE(contains(m, "TLS-inspecting")) << m;
}

TEST(tls_handshake, a_server_certificate_without_its_ca_is_an_unknown_issuer) {
    tls_options o;  // system roots only: the test CA is not among them
    const auto r = handshake_with("server", "localhost", o);
    EXPECT_EQ(r.client.ec, error::tls_unknown_issuer) << r.client.message();
    EXPECT_TRUE(contains(r.client.message(), "burrow test CA")) << r.client.message();
}

TEST(tls_handshake, a_self_signed_certificate_says_so) {
    // The CA's own certificate, presented as a server certificate, is self-signed.
    pair_result out;
    run([&](asio::io_context& io) -> asio::awaitable<void> {
        tls_options server = tls_server_options("ca");
        auto server_ctx = tls_context_or_throw(make_server_context(server));
        auto acceptor = tls_listen(io);
        const tls_options client = tls_client_options("proxy-ca");
        auto [c, s] = co_await (client_handshake(tls_port(acceptor), "localhost", client) &&
                                server_handshake(acceptor, server_ctx));
        out.client = std::move(c);
    });
    EXPECT_EQ(out.client.ec, error::tls_unknown_issuer) << out.client.message();
    EXPECT_TRUE(contains(out.client.message(), "self-signed")) << out.client.message();
}

TEST(tls_handshake, a_wrong_name_is_a_hostname_mismatch_listing_the_certificate_names) {
    const auto r = handshake_with("wrong-name", "localhost", tls_client_options());
    EXPECT_EQ(r.client.ec, error::tls_hostname_mismatch) << r.client.message();
    const auto m = r.client.message();
    EXPECT_TRUE(contains(m, "DNS:wrong.example")) << m;
    EXPECT_TRUE(contains(m, "not localhost")) << m;
    EXPECT_TRUE(contains(m, "server_name")) << m;
}

TEST(tls_handshake, an_ip_address_not_in_the_certificate_is_a_hostname_mismatch) {
    const auto r = handshake_with("wrong-name", "127.0.0.1", tls_client_options());
    EXPECT_EQ(r.client.ec, error::tls_hostname_mismatch) << r.client.message();
}

TEST(tls_handshake, an_ipv6_address_matches_its_ip_san_in_any_spelling) {
    // The certificate lists IP:::1 and IP:2001:db8::5; the TCP connection itself goes to 127.0.0.1,
    // the host only decides what is verified.
    for (const char* host : {"::1", "[::1]", "0:0:0:0:0:0:0:1", "2001:db8::5", "2001:DB8:0::5"}) {
        const auto r = handshake_with("ipv6", host, tls_client_options());
        EXPECT_FALSE(r.client.ec) << host << ": " << r.client.message();
    }
    const auto other = handshake_with("ipv6", "::2", tls_client_options());
    EXPECT_EQ(other.client.ec, error::tls_hostname_mismatch) << other.client.message();
}

TEST(tls_handshake, an_ip_address_never_matches_the_common_name_or_a_dns_san) {
    const auto in_cn = handshake_with("ip-in-cn", "127.0.0.1", tls_client_options());
    EXPECT_EQ(in_cn.client.ec, error::tls_hostname_mismatch) << in_cn.client.message();
    const auto as_dns = handshake_with("ip-as-dns", "127.0.0.1", tls_client_options());
    EXPECT_EQ(as_dns.client.ec, error::tls_hostname_mismatch) << as_dns.client.message();
}

TEST(tls_handshake, a_name_only_in_ip_sans_does_not_match_a_dns_name) {
    // The server certificate lists IP:127.0.0.1 but no DNS name "127.0.0.2.example".
    const auto r = handshake_with("server", "other.example", tls_client_options());
    EXPECT_EQ(r.client.ec, error::tls_hostname_mismatch) << r.client.message();
}

TEST(tls_handshake, an_expired_certificate_gives_its_end_date) {
    const auto r = handshake_with("expired", "localhost", tls_client_options());
    EXPECT_EQ(r.client.ec, error::tls_certificate_expired) << r.client.message();
    EXPECT_TRUE(contains(r.client.message(), "2020")) << r.client.message();
}

TEST(tls_handshake, a_certificate_not_valid_yet_gives_its_start_date) {
    const auto r = handshake_with("not-yet-valid", "localhost", tls_client_options());
    EXPECT_EQ(r.client.ec, error::tls_certificate_not_yet_valid) << r.client.message();
    EXPECT_TRUE(contains(r.client.message(), "2099")) << r.client.message();
}

TEST(tls_handshake, insecure_skip_verify_accepts_an_untrusted_wrong_name_and_says_what_it_skipped) {
    tls_options o = tls_client_options();
    o.insecure_skip_verify = true;
    const auto r = handshake_with("untrusted", "wrong.example", o);
    ASSERT_FALSE(r.client.ec) << r.client.message();
    EXPECT_TRUE(contains(r.client.detail, "insecure_skip_verify")) << r.client.detail;
    // Without the opt-out the same connection fails.
    const auto strict = handshake_with("untrusted", "wrong.example", tls_client_options());
    EXPECT_TRUE(strict.client.ec);
}

TEST(tls_handshake, a_client_certificate_is_required_by_a_mutual_tls_server) {
    // first_read: the client's first read after its handshake, explained (detail/stream_error.hpp).
    std::string first_read_detail;
    auto mtls_server = [&first_read_detail](const tls_options& client, tls_result& client_seen,
                                            tls_result& server_seen, boost::system::error_code& first_read) {
        run([&](asio::io_context& io) -> asio::awaitable<void> {
            tls_options server = tls_server_options("server");
            server.require_client_certificate = true;
            auto server_ctx = tls_context_or_throw(make_server_context(server));
            auto acceptor = tls_listen(io);
            auto client_side = [&]() -> asio::awaitable<void> {
                auto ctx = tls_context_or_throw(make_client_context(client));
                ssl::stream<tcp::socket> s(co_await tls_connect_local(tls_port(acceptor)), ctx);
                client_seen = co_await co_tls_handshake(s, "localhost", client);
                if (client_seen) {
                    // TLS 1.3: the server judges our certificate after our handshake is done.
                    std::array<char, 16> buf;
                    auto [ec, n] = co_await s.async_read_some(asio::buffer(buf), asio::as_tuple(asio::use_awaitable));
                    const auto failure = burrow::detail::explain_stream_error(s, ec);
                    first_read = failure.ec;
                    first_read_detail = failure.alert_name;
                }
            };
            auto server_side = [&]() -> asio::awaitable<void> {
                auto sock = co_await acceptor.async_accept(asio::use_awaitable);
                ssl::stream<tcp::socket> s(std::move(sock), server_ctx);
                server_seen = co_await co_tls_accept(s);
                if (server_seen) {
                    const std::string hello = "hello";
                    co_await asio::async_write(s, asio::buffer(hello), asio::as_tuple(asio::use_awaitable));
                }
            };
            co_await (client_side() && server_side());
        });
    };
    {
        tls_result client_seen, server_seen;
        boost::system::error_code first_read;
        mtls_server(tls_client_options(), client_seen, server_seen, first_read);
        EXPECT_TRUE(server_seen.ec) << server_seen.message();
        EXPECT_EQ(server_seen.peer, tls_peer::client);
        // The client learns it from the server's alert: in the handshake (TLS 1.2) or at the first read.
        EXPECT_TRUE(client_seen.ec || first_read) << client_seen.message();
        if (client_seen.ec) {
            EXPECT_EQ(client_seen.ec, error::tls_alert) << client_seen.message();
            EXPECT_TRUE(contains(client_seen.message(), "client certificate")) << client_seen.message();
        } else {
            // TLS 1.3: the refusal is an alert at the first read, explained as such.
            EXPECT_EQ(first_read, error::tls_alert) << first_read.message();
            EXPECT_EQ(first_read_detail, "certificate_required");
        }
    }
    {
        tls_options client = tls_client_options();
        client.cert_file = tls_file("client");
        client.key_file = tls_file("client.key");
        tls_result client_seen, server_seen;
        boost::system::error_code first_read;
        mtls_server(client, client_seen, server_seen, first_read);
        ASSERT_FALSE(client_seen.ec) << client_seen.message();
        ASSERT_FALSE(server_seen.ec) << server_seen.message();
        EXPECT_FALSE(first_read) << first_read.message();
        EXPECT_TRUE(contains(server_seen.certificate.subject, "CN=burrow-test-client")) << server_seen.certificate.subject;
    }
}

TEST(tls_handshake, a_fatal_alert_from_the_server_is_reported_with_its_name) {
    // The server allows only TLS 1.3 ciphers we refuse to offer: it answers our hello with an alert.
    pair_result out;
    run([&](asio::io_context& io) -> asio::awaitable<void> {
        auto server_ctx = tls_context_or_throw(make_server_context(tls_server_options("server")));
        SSL_CTX_set_min_proto_version(server_ctx.native_handle(), TLS1_3_VERSION);
        auto acceptor = tls_listen(io);
        auto client_side = [&]() -> asio::awaitable<tls_result> {
            const tls_options options = tls_client_options();
            auto ctx = tls_context_or_throw(make_client_context(options));
            SSL_CTX_set_max_proto_version(ctx.native_handle(), TLS1_2_VERSION);
            ssl::stream<tcp::socket> s(co_await tls_connect_local(tls_port(acceptor)), ctx);
            co_return co_await co_tls_handshake(s, "localhost", options);
        };
        auto [c, s] = co_await (client_side() && server_handshake(acceptor, server_ctx));
        out.client = std::move(c);
        out.server = std::move(s);
    });
    EXPECT_EQ(out.client.ec, error::tls_alert) << out.client.message();
    EXPECT_TRUE(contains(out.client.detail, "alert")) << out.client.detail;
    EXPECT_TRUE(out.server.ec);
}

namespace {

// A plain HTTP server: reads whatever comes and answers with a 400, as nginx or squid do.
asio::awaitable<void> plain_http_once(tcp::acceptor& a) {
    auto s = co_await a.async_accept(asio::use_awaitable);
    std::array<char, 4096> buf;
    (void)co_await s.async_read_some(asio::buffer(buf), asio::as_tuple(asio::use_awaitable));
    const std::string reply = "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
    co_await asio::async_write(s, asio::buffer(reply), asio::as_tuple(asio::use_awaitable));
    boost::system::error_code ignored;
    s.shutdown(tcp::socket::shutdown_send, ignored);
    (void)co_await s.async_read_some(asio::buffer(buf), asio::as_tuple(asio::use_awaitable));
}

tls_result against_plain_http(tls_peer which) {
    tls_result out;
    run([&](asio::io_context& io) -> asio::awaitable<void> {
        auto acceptor = tls_listen(io);
        const tls_options options = tls_client_options();
        auto [c, ignored] = co_await (client_handshake(tls_port(acceptor), "localhost", options, which) &&
                                      [&]() -> asio::awaitable<int> {
                                          co_await plain_http_once(acceptor);
                                          co_return 0;
                                      }());
        out = std::move(c);
    });
    return out;
}

} // namespace

TEST(tls_handshake, a_plain_http_server_is_not_tls) {
    const auto r = against_plain_http(tls_peer::origin);
    EXPECT_EQ(r.ec, error::tls_not_tls) << r.message();
    EXPECT_TRUE(contains(r.message(), "not speaking TLS")) << r.message();
    // The answer's first line is quoted, and only that line.
    EXPECT_TRUE(contains(r.message(), "the server answered \"HTTP/1.1 400 Bad Request\"")) << r.message();
    EXPECT_FALSE(contains(r.message(), "Content-Length")) << r.message();
}

TEST(tls_handshake, a_plain_http_client_at_a_tls_server_is_quoted_with_control_bytes_escaped) {
    tls_result server_seen;
    run([&](asio::io_context& io) -> asio::awaitable<void> {
        auto server_ctx = tls_context_or_throw(make_server_context(tls_server_options("server")));
        auto acceptor = tls_listen(io);
        auto client = [&]() -> asio::awaitable<int> {
            tcp::socket s = co_await tls_connect_local(tls_port(acceptor));
            const std::string request = "GET /\x01 HTTP/1.1\r\nHost: x\r\n\r\n";
            co_await asio::async_write(s, asio::buffer(request), asio::as_tuple(asio::use_awaitable));
            std::array<char, 256> buf;
            (void)co_await s.async_read_some(asio::buffer(buf), asio::as_tuple(asio::use_awaitable));
            co_return 0;
        };
        auto [seen, ignored] = co_await (server_handshake(acceptor, server_ctx) && client());
        server_seen = std::move(seen);
    });
    EXPECT_EQ(server_seen.ec, error::tls_not_tls) << server_seen.message();
    EXPECT_TRUE(contains(server_seen.message(), "the client sent \"GET /\\x01 HTTP/1.1\"")) << server_seen.message();
}

TEST(tls_handshake, a_plain_http_proxy_speaks_plain_http) {
    const auto r = against_plain_http(tls_peer::proxy);
    EXPECT_EQ(r.ec, error::tls_not_tls) << r.message();
    EXPECT_EQ(r.peer, tls_peer::proxy);
    EXPECT_TRUE(contains(r.message(), "proxy speaks plain HTTP")) << r.message();
    EXPECT_TRUE(contains(r.message(), "http://")) << r.message();
    EXPECT_TRUE(contains(r.message(), "the proxy answered \"HTTP/1.1 400 Bad Request\"")) << r.message();
}

TEST(tls_handshake, a_peer_closing_during_the_handshake_fails_with_a_tls_error) {
    tls_result out;
    run([&](asio::io_context& io) -> asio::awaitable<void> {
        auto acceptor = tls_listen(io);
        const tls_options options = tls_client_options();
        auto [c, ignored] = co_await (client_handshake(tls_port(acceptor), "localhost", options) &&
                                      [&]() -> asio::awaitable<int> {
                                          auto s = co_await acceptor.async_accept(asio::use_awaitable);
                                          s.close();
                                          co_return 0;
                                      }());
        out = std::move(c);
    });
    EXPECT_EQ(out.ec, error::tls_handshake_failed) << out.message();
    EXPECT_TRUE(contains(out.message(), "closed the connection")) << out.message();
}

TEST(tls_handshake, a_silent_server_times_out) {
    tls_result out;
    run([&](asio::io_context& io) -> asio::awaitable<void> {
        auto acceptor = tls_listen(io);
        tls_options options = tls_client_options();
        options.handshake_timeout = 200ms;
        tcp::socket held(io);
        auto [c, ignored] = co_await (client_handshake(tls_port(acceptor), "localhost", options) &&
                                      [&]() -> asio::awaitable<int> {
                                          held = co_await acceptor.async_accept(asio::use_awaitable);
                                          co_return 0;
                                      }());
        out = std::move(c);
    });
    EXPECT_EQ(out.ec, error::tls_timeout) << out.message();
    EXPECT_TRUE(contains(out.message(), "in time")) << out.message();
}

TEST(tls_context, unreadable_files_are_named) {
    tls_options o;
    o.ca_file = "/nonexistent/corp-ca.pem";
    auto r = make_client_context(o);
    EXPECT_FALSE(r);
    EXPECT_EQ(r.ec, error::tls_bad_configuration);
    EXPECT_EQ(r.ec, condition::tls_failed);
    EXPECT_TRUE(contains(r.message(), "/nonexistent/corp-ca.pem")) << r.message();
    EXPECT_TRUE(contains(r.message(), "No such file")) << r.message();

    tls_options not_pem;
    not_pem.use_system_ca = false;
    not_pem.ca_file = tls_file("server.key");  // a key, not a certificate
    r = make_client_context(not_pem);
    EXPECT_EQ(r.ec, error::tls_bad_configuration) << r.message();

    tls_options half;
    half.cert_file = tls_file("client");
    r = make_client_context(half);
    EXPECT_EQ(r.ec, error::tls_bad_configuration);
    EXPECT_TRUE(contains(r.message(), "without key_file")) << r.message();

    tls_options missing_key;
    missing_key.cert_file = tls_file("client");
    missing_key.key_file = tls_cert_dir() + "/nothing.key";
    r = make_client_context(missing_key);
    EXPECT_EQ(r.ec, error::tls_bad_configuration);
    EXPECT_TRUE(contains(r.message(), "key_file")) << r.message();
    EXPECT_TRUE(contains(r.message(), "nothing.key")) << r.message();

    r = make_server_context(tls_options{});
    EXPECT_EQ(r.ec, error::tls_bad_configuration);
    EXPECT_TRUE(contains(r.message(), "cert_file and key_file")) << r.message();
}

TEST(tls_context, a_key_that_does_not_belong_to_the_certificate_is_refused) {
    // Both are P-256 keys, so only comparing the public keys tells them apart.
    tls_options client;
    client.cert_file = tls_file("client");
    client.key_file = tls_file("server.key");
    auto r = make_client_context(client);
    EXPECT_EQ(r.ec, error::tls_bad_configuration) << r.message();
    EXPECT_TRUE(contains(r.message(), "does not belong")) << r.message();

    tls_options server = tls_server_options("server");
    server.key_file = tls_file("client.key");
    r = make_server_context(server);
    EXPECT_EQ(r.ec, error::tls_bad_configuration) << r.message();

    tls_options matching;
    matching.cert_file = tls_file("client");
    matching.key_file = tls_file("client.key");
    r = make_client_context(matching);
    EXPECT_FALSE(r.ec) << r.message();
}
