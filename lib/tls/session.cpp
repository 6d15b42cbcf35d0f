// Per-session TLS work: SNI, ALPN and verification mode before the handshake, the verify callback
// (chain failures and the host name check), and turning wolfSSL's state after the handshake into a
// tls_result that says what happened.
#include <burrow/asio/tls.hpp>
#include <burrow/asio/detail/stream_error.hpp>

#include <boost/asio/error.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ssl/error.hpp>

#include <wolfssl/error-ssl.h>
#include <wolfssl/ssl.h>
#include <wolfssl/wolfio.h>
#include <wolfssl/wolfcrypt/ecc.h>
#include <wolfssl/wolfcrypt/error-crypt.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <memory>

namespace burrow::detail {

namespace {

WOLFSSL* as_ssl(void* p) { return static_cast<WOLFSSL*>(p); }

// "/O=burrow tests/CN=localhost" -> "O=burrow tests, CN=localhost".
std::string name_text(WOLFSSL_X509_NAME* name) {
    if (name == nullptr)
        return {};
    char buf[512] = {};
    if (wolfSSL_X509_NAME_oneline(name, buf, sizeof buf) == nullptr)
        return {};
    std::string in(buf), out;
    for (std::size_t i = 0; i < in.size(); ++i) {
        // A '/' starts a new attribute when "KEY=" follows it.
        if (in[i] == '/') {
            const auto eq = in.find('=', i + 1);
            const auto slash = in.find('/', i + 1);
            if (eq != std::string::npos && (slash == std::string::npos || eq < slash)) {
                if (!out.empty())
                    out += ", ";
                continue;
            }
        }
        out += in[i];
    }
    return out;
}

std::string time_text(WOLFSSL_ASN1_TIME* t) {
    if (t == nullptr)
        return {};
    char buf[64] = {};
    if (wolfSSL_ASN1_TIME_to_string(t, buf, sizeof buf) == nullptr)
        return {};
    return buf;
}

std::string alt_names(WOLFSSL_X509* cert) {
    auto* names = static_cast<WOLFSSL_GENERAL_NAMES*>(
        wolfSSL_X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr));
    if (names == nullptr)
        return {};
    std::string out;
    const int n = wolfSSL_sk_GENERAL_NAME_num(names);
    for (int i = 0; i < n; ++i) {
        WOLFSSL_GENERAL_NAME* g = wolfSSL_sk_GENERAL_NAME_value(names, i);
        if (g == nullptr)
            continue;
        std::string item;
        if (g->type == GEN_DNS && g->d.dNSName != nullptr) {
            item = "DNS:";
            item.append(reinterpret_cast<const char*>(wolfSSL_ASN1_STRING_data(g->d.dNSName)),
                        static_cast<std::size_t>(wolfSSL_ASN1_STRING_length(g->d.dNSName)));
        } else if (g->type == GEN_IPADD && g->d.iPAddress != nullptr) {
            const auto* bytes = wolfSSL_ASN1_STRING_data(g->d.iPAddress);
            const int len = wolfSSL_ASN1_STRING_length(g->d.iPAddress);
            boost::asio::ip::address a;
            if (len == 4) {
                boost::asio::ip::address_v4::bytes_type b;
                std::memcpy(b.data(), bytes, 4);
                a = boost::asio::ip::address_v4(b);
            } else if (len == 16) {
                boost::asio::ip::address_v6::bytes_type b;
                std::memcpy(b.data(), bytes, 16);
                a = boost::asio::ip::address_v6(b);
            } else {
                continue;
            }
            item = "IP:" + a.to_string();
        } else {
            continue;
        }
        if (!out.empty())
            out += ", ";
        out += item;
    }
    wolfSSL_GENERAL_NAMES_free(names);
    return out;
}

// True when one of the certificate's iPAddress subjectAltNames holds exactly the address `host`
// (an IPv4 or IPv6 literal, brackets allowed). Compared as bytes, so every spelling of an IPv6
// address matches; the subject CN and DNS-type names never count for an IP literal (RFC 6125
// §6.2.1, RFC 2818 §3.1). wolfSSL_X509_check_ip_asc compares text instead: it rejects "::1" against
// IP:::1 and accepts CN=10.0.0.5.
bool certificate_names_ip(WOLFSSL_X509* cert, std::string_view host) {
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
        host = host.substr(1, host.size() - 2);
    boost::system::error_code ec;
    const boost::asio::ip::address wanted = boost::asio::ip::make_address(std::string(host), ec);
    if (ec)
        return false;
    // An IPv4-mapped IPv6 literal (::ffff:10.0.0.5) names the IPv4 address.
    std::array<unsigned char, 16> want{};
    std::size_t want_len = 0;
    if (wanted.is_v4() || (wanted.is_v6() && wanted.to_v6().is_v4_mapped())) {
        const auto b = wanted.is_v4() ? wanted.to_v4().to_bytes()
                                      : boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, wanted.to_v6()).to_bytes();
        std::memcpy(want.data(), b.data(), 4);
        want_len = 4;
    } else {
        const auto b = wanted.to_v6().to_bytes();
        std::memcpy(want.data(), b.data(), 16);
        want_len = 16;
    }
    auto* names = static_cast<WOLFSSL_GENERAL_NAMES*>(
        wolfSSL_X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr));
    if (names == nullptr)
        return false;
    bool found = false;
    const int n = wolfSSL_sk_GENERAL_NAME_num(names);
    for (int i = 0; i < n && !found; ++i) {
        WOLFSSL_GENERAL_NAME* g = wolfSSL_sk_GENERAL_NAME_value(names, i);
        if (g == nullptr || g->type != GEN_IPADD || g->d.iPAddress == nullptr)
            continue;
        const int len = wolfSSL_ASN1_STRING_length(g->d.iPAddress);
        found = len >= 0 && static_cast<std::size_t>(len) == want_len &&
                std::memcmp(wolfSSL_ASN1_STRING_data(g->d.iPAddress), want.data(), want_len) == 0;
    }
    wolfSSL_GENERAL_NAMES_free(names);
    return found;
}

tls_certificate_info describe(WOLFSSL_X509* cert) {
    tls_certificate_info out;
    if (cert == nullptr)
        return out;
    out.subject = name_text(wolfSSL_X509_get_subject_name(cert));
    out.issuer = name_text(wolfSSL_X509_get_issuer_name(cert));
    out.not_before = time_text(wolfSSL_X509_get_notBefore(cert));
    out.not_after = time_text(wolfSSL_X509_get_notAfter(cert));
    out.names = alt_names(cert);
    return out;
}

// The burrow error for a verification error code (OpenSSL's X509_V_ERR_* as wolfSSL's compatibility
// layer reports them, or wolfSSL's own ASN codes, depending on the path that failed).
error verify_error(int code) {
    switch (code) {
    // wolfSSL reports a date outside the validity period with the "error in field" codes.
    case X509_V_ERR_CERT_HAS_EXPIRED:
    case X509_V_ERR_ERROR_IN_CERT_NOT_AFTER_FIELD:
    case ASN_AFTER_DATE_E: return error::tls_certificate_expired;
    case X509_V_ERR_CERT_NOT_YET_VALID:
    case X509_V_ERR_ERROR_IN_CERT_NOT_BEFORE_FIELD:
    case ASN_BEFORE_DATE_E: return error::tls_certificate_not_yet_valid;
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
    case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
    case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
    case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
    case X509_V_ERR_CERT_UNTRUSTED:
    case ASN_NO_SIGNER_E:
    case ASN_SELF_SIGNED_E: return error::tls_unknown_issuer;
    case DOMAIN_NAME_MISMATCH:
    case IPADDR_MISMATCH: return error::tls_hostname_mismatch;
    default: return error::tls_certificate_invalid;
    }
}

// Record-layer errors: the bytes received do not even look like TLS records.
bool not_a_tls_record(int wolf_error) {
    switch (wolf_error) {
    case VERSION_ERROR:
    case UNKNOWN_RECORD_TYPE:
    case LENGTH_ERROR:
    case PARSE_ERROR:
    case BUFFER_ERROR: return true;
    default: return false;
    }
}

// An alert's name as RFC 8446 §6 spells it. wolfSSL 5.5 names most alerts this way but has no
// name for some TLS 1.3 ones (it returns null for certificate_required), so those are named here.
std::string alert_name(int code) {
    switch (code) {
    case 109: return "missing_extension";
    case 110: return "unsupported_extension";
    case 115: return "unknown_psk_identity";
    case 116: return "certificate_required";
    default: break;
    }
    if (const char* name = wolfSSL_alert_desc_string_long(code))
        return name;
    return "unknown alert";
}

// wolfSSL (Debian's build has FP_ECC with thread-local storage) caches precomputed ECC points per
// thread, about 257 points per peer key seen, and frees them only when the thread calls
// wc_ecc_fp_free(). A thread that runs TLS handshakes gets this guard, whose destructor does that
// when the thread ends: without it every io_context thread that ended leaked its cache.
#ifdef FP_ECC
struct ecc_cache_release {
    ~ecc_cache_release() { wc_ecc_fp_free(); }
    void arm() const noexcept {}
};

void release_ecc_cache_at_thread_exit() noexcept {
    thread_local const ecc_cache_release guard;
    guard.arm();
}
#else
void release_ecc_cache_at_thread_exit() noexcept {}
#endif

// wolfSSL's read callback while a handshake is recorded: its own BIO reader (Asio feeds the session
// through a BIO pair), plus a copy of the first bytes.
int recording_receive(WOLFSSL* ssl, char* buf, int size, void* context) {
    auto& prefix = *static_cast<tls_received_prefix*>(context);
    const int got = BioReceive(ssl, buf, size, prefix.inner_context);
    if (got > 0 && prefix.size < prefix.capacity) {
        const auto n = std::min(prefix.capacity - prefix.size, static_cast<std::size_t>(got));
        std::memcpy(prefix.bytes.data() + prefix.size, buf, n);
        prefix.size += n;
    }
    return got;
}

// Whether the first bytes received start like a TLS record: a content type (change_cipher_spec,
// alert, handshake, application_data, heartbeat) and a major version 3.
bool starts_like_tls(const tls_received_prefix& prefix) {
    if (prefix.size == 0)
        return false;  // nothing recorded: wolfSSL's verdict stands
    const auto type = static_cast<unsigned char>(prefix.bytes[0]);
    if (type < 0x14 || type > 0x18)
        return false;
    return prefix.size < 2 || static_cast<unsigned char>(prefix.bytes[1]) == 0x03;
}

// The peer's first bytes for a message: wolfSSL read only a record header's worth, so the rest of
// the answer's first line is taken from what is still waiting in the session's input. The result
// is the first line, printable ASCII only (anything else, and '"' and '\\', escaped), at most
// `capacity` bytes; "..." marks a line cut there.
std::string quote_first_bytes(WOLFSSL* ssl, const tls_received_prefix& prefix) {
    std::string raw(prefix.bytes.data(), prefix.size);
    if (WOLFSSL_BIO* input = wolfSSL_SSL_get_rbio(ssl); input != nullptr && raw.size() < prefix.capacity) {
        std::array<char, tls_received_prefix::capacity> more{};
        const int got = wolfSSL_BIO_read(input, more.data(), static_cast<int>(prefix.capacity - raw.size()));
        if (got > 0)
            raw.append(more.data(), static_cast<std::size_t>(got));
    }
    std::string out;
    bool whole_line = false;
    for (const char c : raw) {
        if (c == '\r' || c == '\n') {
            whole_line = true;
            break;
        }
        const auto u = static_cast<unsigned char>(c);
        if (c == '"' || c == '\\') {
            out += '\\';
            out += c;
        } else if (u >= 0x20 && u < 0x7f) {
            out += c;
        } else {
            static constexpr char hex[] = "0123456789abcdef";
            out += "\\x";
            out += hex[u >> 4];
            out += hex[u & 0xf];
        }
    }
    if (!whole_line && raw.size() >= prefix.capacity)
        out += "...";
    return out;
}

} // namespace

void tls_start_recording(void* p, tls_received_prefix& prefix) noexcept {
    WOLFSSL* ssl = as_ssl(p);
    prefix.inner_context = wolfSSL_GetIOReadCtx(ssl);
    wolfSSL_SSLSetIORecv(ssl, recording_receive);
    wolfSSL_SetIOReadCtx(ssl, &prefix);
}

void tls_stop_recording(void* p, const tls_received_prefix& prefix) noexcept {
    WOLFSSL* ssl = as_ssl(p);
    wolfSSL_SSLSetIORecv(ssl, BioReceive);
    wolfSSL_SetIOReadCtx(ssl, prefix.inner_context);
}

bool tls_verifier::operator()(bool preverified, boost::asio::ssl::verify_context& ctx) const {
    WOLFSSL_X509_STORE_CTX* store = ctx.native_handle();
    const int depth = wolfSSL_X509_STORE_CTX_get_error_depth(store);
    if (!preverified) {
        if (record_->error == 0) {
            record_->error = wolfSSL_X509_STORE_CTX_get_error(store);
            if (record_->error == 0)
                record_->error = -1;  // failed without a code: reported as tls_certificate_invalid
            record_->depth = depth;
            record_->failed = describe(wolfSSL_X509_STORE_CTX_get_current_cert(store));
        }
        return skip_;
    }
    // The chain is good so far; the peer's own certificate must also name the host.
    if (depth == 0 && !host_.empty() && record_->error == 0) {
        WOLFSSL_X509* cert = wolfSSL_X509_STORE_CTX_get_current_cert(store);
        const bool ok = is_ip_literal(host_)
                            ? certificate_names_ip(cert, host_)
                            : wolfSSL_X509_check_host(cert, host_.c_str(), host_.size(), 0, nullptr) == WOLFSSL_SUCCESS;
        if (!ok) {
            record_->error = is_ip_literal(host_) ? IPADDR_MISMATCH : DOMAIN_NAME_MISMATCH;
            record_->depth = 0;
            record_->name_mismatch = true;
            record_->failed = describe(cert);
            return skip_;
        }
    }
    return true;
}

bool is_ip_literal(std::string_view host) noexcept {
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
        host = host.substr(1, host.size() - 2);
    boost::system::error_code ec;
    (void)boost::asio::ip::make_address(std::string(host), ec);
    return !ec;
}

std::string tls_target_name(std::string_view host, const tls_options& options) {
    if (!options.server_name.empty())
        return options.server_name;
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
        host = host.substr(1, host.size() - 2);
    return std::string(host);
}

namespace {

// wolfSSL wants the ALPN list as "a,b,c" in a writable buffer.
bool use_alpn(WOLFSSL* ssl, const std::vector<std::string>& protocols, std::string& detail) {
    if (protocols.empty())
        return true;
    std::string list;
    for (const auto& p : protocols) {
        if (p.empty() || p.size() > 255 || p.find(',') != std::string::npos) {
            detail = "alpn: unusable protocol name \"" + p + "\"";
            return false;
        }
        if (!list.empty())
            list += ',';
        list += p;
    }
    if (wolfSSL_UseALPN(ssl, list.data(), static_cast<unsigned>(list.size()), WOLFSSL_ALPN_CONTINUE_ON_MISMATCH) !=
        WOLFSSL_SUCCESS) {
        detail = "alpn: wolfSSL refused the protocol list \"" + list + "\"";
        return false;
    }
    return true;
}

} // namespace

boost::system::error_code tls_prepare_client(void* p, const std::string& name, const tls_options& options,
                                             std::string& detail) {
    WOLFSSL* ssl = as_ssl(p);
    release_ecc_cache_at_thread_exit();
    if (name.empty()) {
        detail = "no host name to verify";
        return error::tls_bad_configuration;
    }
    // SNI carries host names only (RFC 6066 §3: literal IP addresses are not permitted).
    if (!is_ip_literal(name) &&
        wolfSSL_UseSNI(ssl, WOLFSSL_SNI_HOST_NAME, name.data(), static_cast<unsigned short>(name.size())) !=
            WOLFSSL_SUCCESS) {
        detail = "server name \"" + name + "\" cannot be sent in SNI";
        return error::tls_bad_configuration;
    }
    if (!use_alpn(ssl, options.alpn, detail))
        return error::tls_bad_configuration;
    wolfSSL_set_verify(ssl, WOLFSSL_VERIFY_PEER, nullptr);  // the callback comes from Asio
    return {};
}

void tls_prepare_server(void* p, const tls_options& options) {
    WOLFSSL* ssl = as_ssl(p);
    release_ecc_cache_at_thread_exit();
    std::string ignored;
    (void)use_alpn(ssl, options.alpn, ignored);
    if (options.insecure_skip_verify)
        wolfSSL_set_verify(ssl, WOLFSSL_VERIFY_NONE, nullptr);
}

tls_result tls_outcome(void* p, boost::system::error_code io_error, const tls_verify_record& record,
                       const tls_received_prefix& prefix, tls_peer which, std::string host) {
    WOLFSSL* ssl = as_ssl(p);
    tls_result out;
    out.peer = which;
    out.host = std::move(host);
    if (!io_error) {
        out.version = wolfSSL_get_version(ssl);
        if (const char* c = wolfSSL_get_cipher_name(ssl))
            out.cipher = c;
        char* proto = nullptr;
        unsigned short proto_size = 0;
        if (wolfSSL_ALPN_GetProtocol(ssl, &proto, &proto_size) == WOLFSSL_SUCCESS && proto != nullptr)
            out.alpn.assign(proto, proto_size);
        if (which == tls_peer::client) {
            if (const char* sni = wolfSSL_get_servername(ssl, WOLFSSL_SNI_HOST_NAME))
                out.sni = sni;
        }
        if (WOLFSSL_X509* cert = wolfSSL_get_peer_certificate(ssl)) {
            out.certificate = describe(cert);
            wolfSSL_X509_free(cert);
        }
        if (record.error != 0)
            out.detail = std::string("verification skipped (insecure_skip_verify); it would have failed: ") +
                         make_error_code(verify_error(record.error)).message();
        return out;
    }
    if (io_error == boost::asio::error::operation_aborted) {
        out.ec = io_error;
        return out;
    }
    // The verify callback's record explains a certificate failure best.
    if (record.error != 0) {
        out.ec = record.name_mismatch ? error::tls_hostname_mismatch : verify_error(record.error);
        out.certificate = record.failed;
        if (out.ec == error::tls_certificate_invalid)
            out.detail = std::string("verification error ") + std::to_string(record.error) + " (" +
                         wolfSSL_X509_verify_cert_error_string(record.error) + ")";
        return out;
    }
    WOLFSSL_ALERT_HISTORY alerts{};
    const bool have_alerts = wolfSSL_get_alert_history(ssl, &alerts) == WOLFSSL_SUCCESS;
    const int wolf_error = wolfSSL_get_error(ssl, 0);
    if (have_alerts && alerts.last_rx.level == alert_fatal) {
        out.ec = error::tls_alert;
        out.detail = std::string("the ") + std::string(to_string(which)) + " sent the alert \"" +
                     alert_name(alerts.last_rx.code) + "\" (" +
                     std::to_string(alerts.last_rx.code) + ")";
        return out;
    }
    // wolfSSL says the same for a malformed record inside a TLS session: "not TLS" only when the
    // first bytes are not a TLS record header at all.
    if (not_a_tls_record(wolf_error) && !starts_like_tls(prefix)) {
        out.ec = error::tls_not_tls;
        const std::string first = quote_first_bytes(ssl, prefix);
        if (!first.empty())
            out.detail = "the " + std::string(to_string(which)) + (which == tls_peer::client ? " sent \"" : " answered \"") +
                         first + "\"; ";
        out.detail += std::string("wolfSSL: ") + wolfSSL_ERR_reason_error_string(static_cast<unsigned long>(wolf_error));
        return out;
    }
    out.ec = error::tls_handshake_failed;
    if (io_error.category() == boost::asio::error::get_ssl_category() || io_error == boost::asio::ssl::error::stream_truncated) {
        char text[WOLFSSL_MAX_ERROR_SZ] = {};
        wolfSSL_ERR_error_string_n(static_cast<unsigned long>(wolf_error), text, sizeof text);
        out.detail = std::string("wolfSSL error ") + std::to_string(wolf_error) + ": " + text;
    } else if (io_error == boost::asio::error::eof || io_error == boost::asio::error::connection_reset) {
        out.detail = "the " + std::string(to_string(which)) + " closed the connection during the handshake (" +
                     io_error.message() + ")";
    } else {
        out.detail = io_error.message();
    }
    return out;
}

} // namespace burrow::detail

namespace burrow::detail {

int tls_received_fatal_alert(void* p, std::string& name) {
    WOLFSSL_ALERT_HISTORY alerts{};
    if (wolfSSL_get_alert_history(as_ssl(p), &alerts) != WOLFSSL_SUCCESS || alerts.last_rx.level != alert_fatal)
        return 0;
    name = alert_name(alerts.last_rx.code);
    return alerts.last_rx.code;
}

} // namespace burrow::detail
