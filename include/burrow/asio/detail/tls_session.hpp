// Non-template pieces of the TLS handshakes (compiled in lib/tls), used by detail/tls_handshake.hpp.
// Include burrow/asio/tls.hpp, not this.
#pragma once

#include <burrow/tls/options.hpp>
#include <burrow/tls/result.hpp>

#include <boost/asio/ssl/stream_base.hpp>
#include <boost/asio/ssl/verify_context.hpp>
#include <boost/system/error_code.hpp>

#include <array>
#include <cstddef>
#include <memory>
#include <string>

namespace burrow::detail {

/// What certificate verification saw during one handshake (the first failure wins).
struct tls_verify_record {
    int error = 0;        ///< X509_V_ERR_* (or wolfSSL's own code) of the first failure, 0: none
    int depth = -1;       ///< depth in the chain of the certificate that failed (0: the peer's own)
    bool name_mismatch = false;   ///< the chain was trusted but the certificate does not name the host
    tls_certificate_info failed;  ///< the certificate that failed
};

/// The first bytes the peer sent during one handshake, kept so that an answer that is not TLS at
/// all ("HTTP/1.1 400 Bad Request") can be quoted: wolfSSL reads them itself and says only
/// "record layer length error". Installed on the session's read callback for the handshake only.
struct tls_received_prefix {
    static constexpr std::size_t capacity = 64;
    std::array<char, capacity> bytes{};
    std::size_t size = 0;
    void* inner_context = nullptr;  // wolfSSL's own read context, handed on to its BIO reader
};

/// Starts recording what the session reads into `prefix` (which must outlive the recording).
void tls_start_recording(void* ssl, tls_received_prefix& prefix) noexcept;

/// Restores the session's own read callback; the session then reads as if never recorded.
void tls_stop_recording(void* ssl, const tls_received_prefix& prefix) noexcept;

/// Records for as long as it lives.
class tls_recording {
public:
    tls_recording(void* ssl, tls_received_prefix& prefix) noexcept : ssl_(ssl), prefix_(prefix) {
        tls_start_recording(ssl_, prefix_);
    }
    ~tls_recording() { tls_stop_recording(ssl_, prefix_); }
    tls_recording(const tls_recording&) = delete;
    tls_recording& operator=(const tls_recording&) = delete;

private:
    void* ssl_;
    tls_received_prefix& prefix_;
};

/// Asio verify callback: records the first failure and checks the host name on the peer's own
/// certificate. With `skip` (insecure_skip_verify) it accepts everything but still records.
class tls_verifier {
public:
    tls_verifier(std::shared_ptr<tls_verify_record> record, std::string host, bool skip)
        : record_(std::move(record)), host_(std::move(host)), skip_(skip) {}
    bool operator()(bool preverified, boost::asio::ssl::verify_context& ctx) const;

private:
    std::shared_ptr<tls_verify_record> record_;
    std::string host_;  // empty: no name check (servers)
    bool skip_;
};

/// True when `host` is an IPv4 or IPv6 literal (brackets allowed): no SNI, IP SAN check.
bool is_ip_literal(std::string_view host) noexcept;

/// The name to verify and send in SNI: options.server_name, else `host` without IPv6 brackets.
std::string tls_target_name(std::string_view host, const tls_options& options);

/// Client session settings on a fresh SSL object: SNI (DNS names only), ALPN, verification mode.
/// Returns tls_bad_configuration (with `detail`) when wolfSSL refuses one of them.
boost::system::error_code tls_prepare_client(void* ssl, const std::string& name, const tls_options& options,
                                             std::string& detail);

/// Server session settings on a fresh SSL object (the verification mode for insecure_skip_verify).
void tls_prepare_server(void* ssl, const tls_options& options);

/// The result of a finished handshake: on success the session's parameters; on failure the
/// burrow error that explains `io_error` (from the verify record, the alert history, wolfSSL's
/// last error) and the details for the message.
/// `prefix`: what the peer sent first (quoted when it is not TLS).
tls_result tls_outcome(void* ssl, boost::system::error_code io_error, const tls_verify_record& record,
                       const tls_received_prefix& prefix, tls_peer which, std::string host);

} // namespace burrow::detail
