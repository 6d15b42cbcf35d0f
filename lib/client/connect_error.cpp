// The paragraph a person reads when connect() fails: what failed, in which phase, what the proxy or
// the server said, and a hint.
#include <burrow/asio/connect.hpp>

#include <boost/asio/error.hpp>

namespace burrow {

namespace asio = boost::asio;

namespace {

std::string_view phase_words(connect_phase p) {
    switch (p) {
    case connect_phase::url: return "checking the URL";
    case connect_phase::proxy_selection: return "choosing the proxy";
    case connect_phase::resolve: return "resolving the host name";
    case connect_phase::tcp_connect: return "opening the TCP connection";
    case connect_phase::proxy_tls: return "TLS with the proxy";
    case connect_phase::proxy_connect: return "opening the tunnel through the proxy";
    case connect_phase::proxy_auth: return "proxy authentication";
    case connect_phase::tls: return "TLS with the server";
    case connect_phase::handshake: return "the WebSocket upgrade";
    case connect_phase::open: return "nothing";
    }
    return "connecting";
}

// `said` up to its own hint ("... Hint: ..."), ending with a full stop (or its question mark).
std::string without_hint(std::string said) {
    if (const auto at = said.find(" Hint: "); at != std::string::npos)
        said.resize(at);
    if (!said.empty() && said.back() != '.' && said.back() != '?')
        said += '.';
    return said;
}

bool is_timeout(const boost::system::error_code& ec) {
    return ec == asio::error::timed_out || ec == error::proxy_timeout;
}

// Hints for a TLS failure with the server (--cacert) or with an https:// proxy (--proxy-cacert).
std::string tls_hint(const connect_error& e, const std::optional<tls_result>& tls, std::string_view ca_option,
                     std::string_view not_tls) {
    const std::string issuer = tls && !tls->certificate.issuer.empty() ? tls->certificate.issuer : "of the certificate";
    if (e.ec == error::tls_unknown_issuer)
        return "certificate issuer " + issuer + " is not trusted: a TLS-inspecting proxy? pass " + std::string(ca_option) +
               " FILE with that CA (or --insecure, only to test)";
    if (e.ec == error::tls_hostname_mismatch)
        return "the certificate is for " + (tls && !tls->certificate.names.empty() ? tls->certificate.names : "another name") +
               ", not " + (tls ? tls->host : std::string("this host")) + ": check the host in the URL";
    if (e.ec == error::tls_certificate_expired || e.ec == error::tls_certificate_not_yet_valid)
        return "the certificate is outside its validity dates: check this machine's clock, or the server's certificate";
    if (e.ec == error::tls_not_tls)
        return std::string(not_tls);
    if (e.ec == error::tls_bad_configuration)
        return "check the certificate, key and CA files given";
    if (e.ec == error::tls_timeout)
        return "the TLS handshake did not finish in time";
    if (e.ec == error::tls_alert)
        return "the peer ended the session with an alert; one that requires a client certificate wants --cert and "
               "--key (connect_options' tls.cert_file and tls.key_file)";
    return "the TLS handshake failed; -v shows how far it got";
}

std::string hint(const connect_error& e, const connect_report& r) {
    const bool via_proxy = !r.proxy.empty();
    switch (e.phase) {
    case connect_phase::url:
        return "write the URL as ws://host[:port]/path or wss://host[:port]/path";
    case connect_phase::proxy_selection:
        return "fix the proxy URL (" + r.proxy_explanation +
               "); it must look like http://[user:password@]host:port or socks5h://host:port";
    case connect_phase::resolve:
        if (is_timeout(e.ec))
            return "the name server did not answer in time";
        return via_proxy ? "check the proxy's host name"
                         : "check the host name; if only a proxy can resolve it, set --proxy or https_proxy/http_proxy";
    case connect_phase::tcp_connect:
        if (is_timeout(e.ec))
            return via_proxy ? "the proxy did not accept the connection in time: is the address right, is a firewall in the way?"
                             : "nothing answered in time: a firewall may drop direct connections; does this network need a proxy?";
        return via_proxy ? "is the proxy running at that address and port?" : "is the server running at that address and port?";
    case connect_phase::proxy_tls:
        if (e.ec == error::tls_alert)
            return "the proxy ended the TLS session with an alert; if it requires a client certificate, set "
                   "connect_options' proxy_tls.cert_file and proxy_tls.key_file";
        return tls_hint(e, r.proxy_tls, "--proxy-cacert", "the proxy speaks plain HTTP: write its URL with http://");
    case connect_phase::proxy_auth:
        if (e.ec == error::proxy_auth_required)
            return "the proxy requires authentication: pass --proxy-user user:password or put user:password@ in the proxy URL";
        if (e.ec == error::proxy_auth_failed)
            return "the proxy rejected the credentials: check the user name and password";
        return "the proxy asks for an authentication scheme burrow does not speak (it supports Basic and Digest)";
    case connect_phase::proxy_connect:
        if (r.tunnel && r.tunnel->diagnostics.status == 403)
            return "the proxy forbids CONNECT to this host or port (many proxies allow port 443 only)";
        if (r.tunnel && (r.tunnel->diagnostics.status == 502 || r.tunnel->diagnostics.status == 503 ||
                         r.tunnel->diagnostics.status == 504))
            return "the proxy could not reach the server: check the host and port of the URL";
        if (is_timeout(e.ec))
            return "the proxy accepted the connection but did not answer in time";
        return "the proxy would not open the tunnel; its answer is above";
    case connect_phase::tls:
        // An alert after the TLS handshake (TLS 1.3 servers judge the client certificate then).
        if (e.ec == error::tls_alert && r.handshake && r.handshake->tls_alert == 116)
            return "the server requires a client certificate: pass --cert and --key (connect_options' tls.cert_file "
                   "and tls.key_file)";
        return tls_hint(e, r.tls, "--cacert", "the server does not speak TLS here: is it ws:// rather than wss://?");
    case connect_phase::handshake:
        if (is_timeout(e.ec))
            return "the server took the connection but did not answer the upgrade: is it a WebSocket server (or does it want wss://)?";
        if (e.ec == error::handshake_bad_status && r.handshake) {
            const auto& line = r.handshake->status_line;
            if (line.find(" 404") != std::string::npos)
                return "the server has no WebSocket endpoint at this path";
            if (line.find(" 401") != std::string::npos || line.find(" 403") != std::string::npos)
                return "the server wants credentials or refuses this origin: see --header and --origin";
            if (line.find(" 400") != std::string::npos && via_proxy)
                return "the server refused the request: a proxy that rewrites HTTP may sit in front of it (try wss://)";
        }
        if (e.ec == error::connection_lost)
            return via_proxy ? "the connection ended before the upgrade: the proxy or the server dropped it (try wss://)"
                             : "the server closed the connection before answering the upgrade";
        return "the server's answer is not a WebSocket upgrade";
    case connect_phase::open: return {};
    }
    return {};
}

} // namespace

std::string connect_error::message(const connect_report& r) const {
    if (!ec)
        return "connected to " + r.url;
    // append() chains: GCC 12 warns falsely (-Wrestrict) on long operator+ chains at -O3.
    std::string out = "Could not connect to ";
    out.append(r.url);
    if (r.proxy.empty())
        out.append(" (direct)");
    else
        out.append(" through the proxy ").append(r.proxy);
    out.append(" [phase ").append(to_string(phase)).append("]: ");
    // A failed TLS session of this phase tells what happened itself (which session, the
    // certificate, the alert, what a non-TLS peer answered).
    const tls_result* failed_tls = nullptr;
    if (phase == connect_phase::proxy_tls && r.proxy_tls && r.proxy_tls->ec)
        failed_tls = &*r.proxy_tls;
    else if (phase == connect_phase::tls && r.tls && r.tls->ec)
        failed_tls = &*r.tls;
    // The layers' own accounts keep their facts; their hints are replaced by ours below, which
    // also names burrow-cat's options.
    if (r.tunnel && r.tunnel->ec) {
        out.append(without_hint(r.tunnel->message()));
    } else if (failed_tls != nullptr) {
        out.append(without_hint(failed_tls->message()));
    } else {
        out.append(phase_words(phase)).append(" failed: ").append(ec.message());
        if (cause)
            out.append(" (").append(cause.message()).append(")");
        out.append(".");
    }
    if (!detail.empty())
        out.append(" While ").append(detail).append(".");
    if (r.handshake && r.handshake->tls_alert != 0 && (phase == connect_phase::tls || phase == connect_phase::proxy_tls)) {
        // A TLS session's alert that came with the upgrade's first read (after the TLS handshake).
        out.append(phase == connect_phase::proxy_tls ? " The proxy" : " The server")
            .append(" sent the TLS alert \"")
            .append(r.handshake->tls_alert_name)
            .append("\" (")
            .append(std::to_string(r.handshake->tls_alert))
            .append(") after the TLS handshake, with the upgrade's first read.");
    } else if (r.handshake && r.handshake->ec) {
        out.append(" ").append(r.handshake->message());
        if (out.back() != '.')
            out.append(".");
    }
    const std::string h = hint(*this, r);
    if (!h.empty()) {
        out.append(" Hint: ").append(h);
        if (h.back() != '.' && h.back() != '?')
            out.append(".");
    }
    return out;
}

} // namespace burrow
