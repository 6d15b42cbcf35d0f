// TLS over any Asio stream with Asio's ssl::stream running on wolfSSL: contexts built from
// tls_options, and the client and server handshakes as coroutines that return a tls_result
// (which session, why it failed, what the certificate says) instead of a bare error code.
//
// Build configuration: Asio must be compiled for wolfSSL in every translation unit that includes
// it: BOOST_ASIO_USE_WOLFSSL defined and <includedir>/wolfssl on the include path (so that
// <openssl/ssl.h> is wolfSSL's compatibility header), with <wolfssl/options.h> seen first.
// burrow_asio_dep (and the installed pkg-config file) passes both; this header checks them.
//
// Layers compose: ssl::stream<tcp::socket> is wss:// or an https:// proxy, and
// ssl::stream<ssl::stream<tcp::socket>> is wss:// through an https:// proxy (TLS inside TLS on one
// TCP connection, no copy of the tunnel's bytes beyond the two TLS engines' own buffers).
// websocket::stream<ssl::stream<...>> ends its transport with a close_notify (detail/teardown.hpp).
#pragma once

#ifndef BOOST_ASIO_USE_WOLFSSL
#error "burrow/asio/tls.hpp: compile with -DBOOST_ASIO_USE_WOLFSSL and -I<includedir>/wolfssl (use burrow_asio_dep)"
#endif
#include <wolfssl/options.h>  // first: the configuration wolfSSL was built with

#include <burrow/asio/detail/tls_session.hpp>
#include <burrow/config.hpp>
#include <burrow/error.hpp>
#include <burrow/tls/options.hpp>
#include <burrow/tls/result.hpp>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace burrow {

/// A context made from tls_options, or why it could not be made.
struct tls_context_result {
    std::optional<boost::asio::ssl::context> context;  ///< set on success
    boost::system::error_code ec;  ///< error::tls_bad_configuration on failure
    std::string detail;            ///< which file and why ("ca_file /x.pem: cannot read: ...")

    explicit operator bool() const noexcept { return context.has_value(); }
    /// "TLS configuration: ca_file /x.pem: cannot read: No such file or directory."
    std::string message() const;
};

/// A client context: trusted roots (system store unless use_system_ca is false, plus ca_file and
/// ca_dir), the client certificate and key when both are given (mutual TLS), min_version, peer
/// verification on. One context may serve many connections (and threads). Builds a new context at
/// every call (connect() keeps the ones it builds for reuse: tls_options::context_cache_timeout). Fails with
/// tls_bad_configuration when a file cannot be read or parsed, the key does not match the
/// certificate, or only one of cert_file/key_file is given.
tls_context_result make_client_context(const tls_options& options);

/// A server context: cert_file and key_file are required; with require_client_certificate the
/// handshake fails unless the client presents a certificate signed by one of the trusted roots
/// (use_system_ca, ca_file, ca_dir). ALPN: the first of options.alpn the client also offers is
/// chosen; none in common is not an error. The client's SNI is recorded (tls_result::sni).
tls_context_result make_server_context(const tls_options& options);

/// Forgets every client context connect() keeps for reuse (see tls_options::context_cache_timeout),
/// e.g. after changing trusted CAs in a way their files' metadata does not show. Connections already
/// open keep theirs. Thread-safe.
void clear_tls_context_cache();

namespace detail {

/// A client context shared by connect()'s connections, or why it could not be built.
struct shared_client_context {
    std::shared_ptr<boost::asio::ssl::context> context;  ///< set on success; never changed once shared
    tls_context_result failure;                          ///< when context is null
};

/// connect()'s client context for `options`: a reused one when a context built from the same
/// settings and the same files (see tls_options::context_cache_timeout) is younger than
/// options.context_cache_timeout, else a new one (kept for reuse unless the timeout is zero or
/// less, or the build failed). Thread-safe; the context is complete before it is shared and never
/// modified afterwards (wolfSSL allows a WOLFSSL_CTX used that way by sessions on many threads).
shared_client_context client_context_for(const tls_options& options);

/// The most contexts kept; beyond it the least recently used is dropped.
inline constexpr std::size_t client_context_cache_capacity = 16;

/// Counters of client_context_for since the process started, for tests and diagnostics.
struct client_context_cache_stats {
    std::uint64_t builds = 0;  ///< contexts built (including failed builds and uncached ones)
    std::uint64_t reuses = 0;  ///< calls answered with a kept context
    std::size_t entries = 0;   ///< contexts kept now
};
client_context_cache_stats client_context_cache_statistics();

template <class NextLayer>
boost::asio::awaitable<tls_result> co_tls_handshake_impl(boost::asio::ssl::stream<NextLayer>& s, std::string host,
                                                         tls_options options, tls_peer which);

template <class NextLayer>
boost::asio::awaitable<tls_result> co_tls_accept_impl(boost::asio::ssl::stream<NextLayer>& s, tls_options options);

} // namespace detail

/// The client side of a TLS handshake on `s` (whose next layer is connected to the peer, directly
/// or through a tunnel), with the host of the URL (or the proxy's host for an https:// proxy).
/// `s` must have been built from a client context (make_client_context); the per-session settings
/// come from `options`: server_name (overrides `host`), insecure_skip_verify, alpn, handshake_timeout.
///
/// SNI is sent when the name is a DNS name, not when it is an IP literal. Unless
/// insecure_skip_verify, the chain must lead to a trusted root and the certificate must name the
/// host: a DNS name against its DNS subjectAltNames (wildcards in the left-most label) or its CN
/// when it has none; an IP literal against its IP subjectAltNames.
///
/// Errors (tls_result::ec): tls_unknown_issuer, tls_hostname_mismatch, tls_certificate_expired,
/// tls_certificate_not_yet_valid, tls_certificate_invalid, tls_alert (detail: the alert),
/// tls_not_tls (the peer answered with something that is not TLS: detail quotes its first line,
/// e.g. `the server answered "HTTP/1.1 400 Bad Request"`),
/// tls_handshake_failed (also when the peer closed the connection during the handshake: detail
/// says so), tls_timeout, tls_bad_configuration (an unusable ALPN name); operation_aborted when
/// cancelled. All but the last compare equal to condition::tls_failed. `which` names the session
/// in the message ("TLS handshake with the proxy proxy.corp failed: ...").
///
/// With TLS 1.3 a server checks a client certificate after the client's handshake is done: a
/// refused (or missing) client certificate then shows as an error of the first read (co_handshake
/// reports it as tls_alert "certificate_required").
///
/// To quote a non-TLS answer, the handshake reads through wolfSSL's own BIO reader (the one Asio's
/// ssl::stream sets up) with a copy of the first bytes: a read callback installed on the session
/// by the caller (wolfSSL_SSLSetIORecv) is not supported.
///
/// Per-operation cancellation: terminal cancellation of the awaiting coroutine cancels the
/// handshake (operation_aborted); the stream must then be closed. Arguments are copied.
template <class NextLayer>
boost::asio::awaitable<tls_result> co_tls_handshake(boost::asio::ssl::stream<NextLayer>& s, std::string_view host,
                                                    const tls_options& options, tls_peer which) {
    return detail::co_tls_handshake_impl(s, std::string(host), options, which);
}

/// The same, for the origin server (wss://).
template <class NextLayer>
boost::asio::awaitable<tls_result> co_tls_handshake(boost::asio::ssl::stream<NextLayer>& s, std::string_view host,
                                                    const tls_options& options) {
    return detail::co_tls_handshake_impl(s, std::string(host), options, tls_peer::origin);
}

/// The server side of a TLS handshake on `s`, built from a server context (make_server_context).
/// From `options` only alpn, handshake_timeout and insecure_skip_verify (no client-certificate
/// check) are used here; the rest is in the context. On success tls_result::sni is the name the client asked for and certificate is
/// the client's certificate, if it sent one. Errors as for co_tls_handshake, with peer = client.
template <class NextLayer>
boost::asio::awaitable<tls_result> co_tls_accept(boost::asio::ssl::stream<NextLayer>& s, const tls_options& options) {
    return detail::co_tls_accept_impl(s, options);
}

/// The same with default options (15 s handshake timeout).
template <class NextLayer>
boost::asio::awaitable<tls_result> co_tls_accept(boost::asio::ssl::stream<NextLayer>& s) {
    const tls_options defaults;  // named: GCC 12.2 crashes on a tls_options{} temporary here
    return detail::co_tls_accept_impl(s, defaults);
}

} // namespace burrow

#include <burrow/asio/detail/tls_handshake.hpp>
