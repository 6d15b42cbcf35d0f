// tls_result::message: one paragraph that says which TLS session failed, why, and what to do.
#include <burrow/tls/result.hpp>

namespace burrow {

namespace {

std::string who(const tls_result& r) {
    std::string out(to_string(r.peer));
    if (!r.host.empty())
        out += " " + r.host;
    return out;
}

std::string certificate_names(const tls_certificate_info& c) {
    if (!c.names.empty())
        return c.names;
    return c.subject.empty() ? std::string("no name") : c.subject;
}

} // namespace

std::string tls_result::message() const {
    if (!ec) {
        std::string out = version + " session with the " + who(*this);
        std::string extra = cipher;
        if (!alpn.empty())
            extra += (extra.empty() ? "" : ", ") + ("ALPN " + alpn);
        if (!extra.empty())
            out += " (" + extra + ")";
        if (!detail.empty())
            out += "; " + detail;
        return out + ".";
    }
    std::string out = "TLS handshake with the " + who(*this) + " failed: " + ec.message();
    const auto& c = certificate;
    if (ec == error::tls_unknown_issuer) {
        if (!c.empty() && c.subject == c.issuer)
            out += ". Its certificate \"" + c.subject + "\" is self-signed and not trusted";
        else if (!c.empty())
            out += ". Its certificate \"" + c.subject + "\" was issued by \"" + c.issuer +
                   "\", which is not a trusted authority";
        out += ". Hint: a TLS-inspecting (corporate) proxy or a private CA presents its own issuer: add that CA's "
               "certificate with ca_file (or ca_dir). insecure_skip_verify turns checking off, which is unsafe";
    } else if (ec == error::tls_hostname_mismatch) {
        out += ". The certificate names " + certificate_names(c) + ", not " + host;
        if (!c.subject.empty())
            out += " (subject \"" + c.subject + "\", issuer \"" + c.issuer + "\")";
        out += ". Hint: connect with a name the certificate lists, or set server_name to one of them";
    } else if (ec == error::tls_certificate_expired) {
        out += ". The certificate \"" + c.subject + "\" was valid until " + c.not_after + " (issuer \"" + c.issuer +
               "\"). Hint: the server must renew it; also check this machine's clock";
    } else if (ec == error::tls_certificate_not_yet_valid) {
        out += ". The certificate \"" + c.subject + "\" is valid only from " + c.not_before +
               ". Hint: check this machine's clock";
    } else if (ec == error::tls_alert) {
        out += ". " + detail;
        out += peer == tls_peer::client
                   ? ". Hint: the client refused our certificate or settings"
                   : ". Hint: the " + std::string(to_string(peer)) +
                         " may require a client certificate (cert_file, key_file), or support no TLS version or "
                         "cipher in common with us (TLS 1.2 is the minimum)";
    } else if (ec == error::tls_not_tls) {
        // detail: what the peer answered, then wolfSSL's reason; it goes before the hint.
        const std::string said = detail.empty() ? std::string() : " (" + detail + ")";
        if (peer == tls_peer::proxy && (detail.empty() || detail.find("answered \"HTTP/") != std::string::npos))
            out += ". The proxy speaks plain HTTP, not TLS" + said + ". Hint: use an http:// proxy URL for it";
        else if (peer == tls_peer::proxy)
            out += ". The proxy is not speaking TLS" + said + ". Hint: check the proxy URL's scheme and port";
        else if (peer == tls_peer::origin)
            out += ". The server is not speaking TLS" + said +
                   ". Is it a plain ws:// or http:// server? Hint: check the URL's scheme and port";
        else
            out += ". The client is not speaking TLS" + said + " (a plain ws:// or http:// client on a TLS port?)";
    } else if (ec == error::tls_timeout) {
        out += ". The " + std::string(to_string(peer)) +
               " accepted the connection but did not complete the handshake in time";
    } else if (!detail.empty()) {
        out += ". " + detail;
    }
    return out + ".";
}

} // namespace burrow
