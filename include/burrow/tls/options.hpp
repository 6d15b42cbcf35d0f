// TLS settings for one TLS session (to an origin server, to an https:// proxy, or a server's own).
// No Asio here: the settings are plain data, shared by the client, the proxy code and the tools.
//
// Defaults are the safe ones: the peer's certificate chain is verified against the system CA store,
// the host name (a DNS name, or an IP address against the certificate's IP subjectAltNames) is
// checked, SNI is sent for names (never for IP literals), TLS 1.2 is the minimum, ALPN offers
// "http/1.1". Turning verification off takes the field named `insecure_skip_verify`.
#pragma once

#include <burrow/config.hpp>

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace burrow {

/// The oldest protocol version accepted.
enum class tls_version : std::uint8_t {
    tls1_2,  ///< TLS 1.2 or 1.3 (the default)
    tls1_3,  ///< TLS 1.3 only
};

/// Which TLS session a result is about: the one to an https:// proxy, or the one to the server named
/// in the URL (directly, or inside the proxy's tunnel). A server's own (accepted) sessions are `client`.
enum class tls_peer : std::uint8_t {
    origin,  ///< the wss:// server (the URL's host)
    proxy,   ///< an https:// proxy
    client,  ///< a client connecting to our server (co_tls_accept)
};

/// "server", "proxy" or "client": the word used in messages.
constexpr std::string_view to_string(tls_peer p) noexcept {
    switch (p) {
    case tls_peer::origin: return "server";
    case tls_peer::proxy: return "proxy";
    case tls_peer::client: return "client";
    }
    return "peer";
}

/// The system CA bundle on Debian (every certificate of /etc/ssl/certs in one file).
inline constexpr std::string_view system_ca_bundle = "/etc/ssl/certs/ca-certificates.crt";

struct tls_options {
    /// Trust the system CA store: `system_ca_bundle` (or the file the environment variable
    /// SSL_CERT_FILE names) plus the directories of SSL_CERT_DIR (':' separated; missing or empty
    /// ones are skipped): the OpenSSL convention, which Python and Go follow too. `ca_file` and `ca_dir` are ADDED to it;
    /// set this to false to trust only them (a private PKI).
    bool use_system_ca = true;
    /// A PEM file of extra trusted roots, e.g. the CA of a TLS-inspecting corporate proxy.
    std::string ca_file;
    /// A directory of PEM files of extra trusted roots (every file is loaded; non-certificates are
    /// skipped).
    std::string ca_dir;
    /// Our certificate chain (PEM): a client certificate for mutual TLS, or a server's certificate.
    std::string cert_file;
    /// The private key (PEM) of `cert_file`.
    std::string key_file;
    /// Accept any certificate and any name. Only for tests and debugging: the connection is then
    /// open to anyone on the path. Also turns off the server's client-certificate check.
    bool insecure_skip_verify = false;
    /// The name sent in SNI and checked against the certificate, instead of the host connected to
    /// (e.g. connecting to an IP address of a server whose certificate names it). Empty: the host.
    std::string server_name;
    /// ALPN protocols offered (client) or accepted (server), in order of preference. Empty: no ALPN.
    /// A server that knows none of them may still complete the handshake without ALPN.
    std::vector<std::string> alpn{"http/1.1"};
    /// The oldest version accepted.
    tls_version min_version = tls_version::tls1_2;
    /// Servers: require a client certificate signed by a trusted CA (mutual TLS). The trusted CAs
    /// are those above (for servers, use_system_ca = false with ca_file is the usual choice).
    bool require_client_certificate = false;
    /// The whole handshake, from the first byte sent to the last received.
    std::chrono::steady_clock::duration handshake_timeout = std::chrono::seconds(15);
    /// connect() only: how long a client context built from these settings is reused by later
    /// connections (like libcurl's CURLOPT_CA_CACHE_TIMEOUT, 24 hours by default). Loading the system
    /// CA store costs about 15-20 ms of CPU, more than the rest of a local wss:// connection setup.
    /// A context is reused only when every setting it holds is the same (use_system_ca, ca_file,
    /// ca_dir, cert_file, key_file, insecure_skip_verify, min_version, SSL_CERT_FILE, SSL_CERT_DIR)
    /// and every file it was built from (the CA bundle, ca_file, cert_file, key_file, and the files
    /// of ca_dir and SSL_CERT_DIR) still has the same path, inode, size and modification time: a
    /// rotated certificate or CA file is picked up by the next connection. (A file rewritten in
    /// place to the same size within one tick of the file system's clock would go unnoticed until
    /// the time runs out; clear_tls_context_cache() forgets every context at once.) Zero or less: never reuse, build a
    /// context for every connection. At most 16 contexts are kept (the least recently used goes);
    /// a context that cannot be built is never kept, so the next connect() tries again.
    /// Per-session settings (server_name, alpn, handshake_timeout) never go into the context.
    std::chrono::steady_clock::duration context_cache_timeout = std::chrono::hours(24);
};

} // namespace burrow
