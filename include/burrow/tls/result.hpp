// What a TLS handshake reports: success with the session's parameters, or the failure with enough
// to act on it (which session, what the peer's certificate says, the alert, a hint). No Asio here,
// so tunnel_result and the client's results can carry it.
#pragma once

#include <burrow/config.hpp>
#include <burrow/error.hpp>
#include <burrow/tls/options.hpp>

#include <boost/system/error_code.hpp>

#include <string>

namespace burrow {

/// The parts of an X.509 certificate people need to decide about it.
struct tls_certificate_info {
    std::string subject;     ///< e.g. "CN=proxy.corp.example, O=Corp"
    std::string issuer;      ///< e.g. "CN=Corp Inspection CA, O=Corp"
    std::string not_before;  ///< e.g. "Jan  1 00:00:00 2026 GMT"
    std::string not_after;
    std::string names;       ///< the subjectAltNames, e.g. "DNS:localhost, IP:127.0.0.1"
    bool empty() const noexcept { return subject.empty() && issuer.empty(); }
};

struct tls_result {
    /// burrow::error (tls_* codes, all equal to condition::tls_failed; a connection closed or
    /// reset during the handshake is tls_handshake_failed), or operation_aborted when cancelled.
    boost::system::error_code ec;
    tls_peer peer = tls_peer::origin;  ///< which session this is
    std::string host;                  ///< the name or address verified (clients)
    /// Specifics: the alert received ("handshake_failure"), for a non-TLS answer the first line the
    /// peer sent (`the server answered "HTTP/1.1 400 Bad Request"`) and wolfSSL's record-layer
    /// error, the file that could not be loaded...
    std::string detail;
    /// The peer's certificate: on success the leaf; on a verification failure the certificate that
    /// failed (for an unknown issuer: the one whose issuer is not trusted).
    tls_certificate_info certificate;
    std::string version;   ///< "TLSv1.3" (on success)
    std::string cipher;    ///< e.g. "TLS_AES_128_GCM_SHA256" (on success)
    std::string alpn;      ///< the protocol agreed by ALPN, empty when none
    std::string sni;       ///< servers: the name the client asked for (empty: none sent)

    explicit operator bool() const noexcept { return !ec; }

    /// One paragraph for a person: which session failed, why, the certificate's subject and issuer
    /// when they matter, and a hint (e.g. "certificate issuer X is not trusted — a TLS-inspecting
    /// proxy? add its CA with ca_file"). On success: "TLSv1.3 with <host> (TLS_..., ALPN http/1.1)".
    std::string message() const;
};

} // namespace burrow
