#include <burrow/proxy/connect_exchange.hpp>

#include <algorithm>

namespace burrow::proxy {
namespace {

// How much of a refusal's body is waited for and read (raw bytes), and how much of its text is kept.
constexpr std::size_t body_capture_limit = 4096;
constexpr std::size_t body_text_limit = 400;

using http::is_tchar;

// A header we are asked to send must not be able to end the request early or smuggle another.
bool sendable(const std::pair<std::string, std::string>& field) noexcept {
    if (field.first.empty() || !std::all_of(field.first.begin(), field.first.end(), is_tchar))
        return false;
    return std::none_of(field.second.begin(), field.second.end(),
                        [](char c) { return c == '\r' || c == '\n' || c == '\0'; });
}

// Body bytes shown to a user in one line: whitespace folded, control bytes as '.'. An HTML error
// page (squid, apache) becomes its text: tags, comments, <style> and <script> dropped, the common
// entities decoded, so the user reads "ERROR: The requested URL could not be retrieved ... (111)
// Connection refused" instead of a doctype.
std::string printable(std::span<const char> bytes) {
    std::string_view in(bytes.data(), bytes.size());
    const auto lower_find = [&](std::string_view needle, std::size_t from) {
        for (std::size_t i = from; i + needle.size() <= in.size(); ++i)
            if (http::iequals(in.substr(i, needle.size()), needle))
                return i;
        return std::string_view::npos;
    };
    const bool html = lower_find("<html", 0) != std::string_view::npos || lower_find("<!doctype", 0) == 0;
    std::string out;
    auto put = [&](char c) {
        const auto u = static_cast<unsigned char>(c);
        if (c == '\r' || c == '\n' || c == '\t' || c == ' ') {
            if (!out.empty() && out.back() != ' ')
                out += ' ';
        } else {
            out += (u < 0x20 || u == 0x7F) ? '.' : c;
        }
    };
    for (std::size_t i = 0; i < in.size() && out.size() < body_text_limit;) {
        if (html && in[i] == '<') {
            std::size_t end = std::string_view::npos;
            if (in.substr(i, 4) == "<!--")
                end = in.find("-->", i), end = end == std::string_view::npos ? end : end + 3;
            else if (http::iequals(in.substr(i, 6), "<style") || http::iequals(in.substr(i, 7), "<script")) {
                const bool style = http::iequals(in.substr(i, 6), "<style");
                end = lower_find(style ? "</style>" : "</script>", i);
                end = end == std::string_view::npos ? end : end + (style ? 8 : 9);
            } else {
                end = in.find('>', i);
                end = end == std::string_view::npos ? end : end + 1;
            }
            if (end == std::string_view::npos)
                break;  // cut inside markup: keep what we have
            put(' ');
            i = end;
            continue;
        }
        if (html && in[i] == '&') {
            static constexpr std::pair<std::string_view, char> entities[] = {
                {"&amp;", '&'}, {"&lt;", '<'}, {"&gt;", '>'}, {"&quot;", '"'}, {"&#39;", '\''}, {"&nbsp;", ' '}};
            bool decoded = false;
            for (const auto& [name, c] : entities)
                if (in.substr(i, name.size()) == name) {
                    put(c);
                    i += name.size();
                    decoded = true;
                    break;
                }
            if (decoded)
                continue;
        }
        put(in[i++]);
    }
    while (!out.empty() && out.front() == ' ')
        out.erase(0, 1);
    while (!out.empty() && out.back() == ' ')
        out.pop_back();
    return out;
}

// A reply that is not HTTP at all deserves a hint at the usual cause.
std::string describe_non_http(std::span<const char> received, const boost::system::error_code& parse_error) {
    std::string detail = parse_error.message();
    if (!received.empty()) {
        const auto first = static_cast<unsigned char>(received[0]);
        if ((first == 0x15 || first == 0x16) && received.size() >= 2 && received[1] == 0x03)
            detail += "; the proxy answered with a TLS record: it expects TLS (use an https:// proxy URL)";
    }
    return detail;
}

} // namespace

std::string proxy_diagnostics::summary() const {
    if (status_line.empty())
        return {};
    std::string notes;
    auto note = [&](std::string_view name, const std::string& value) {
        if (value.empty())
            return;
        if (!notes.empty())
            notes += "; ";
        notes.append(name).append(": ").append(value);
    };
    note("Via", via);
    note("Server", server);
    note("Proxy-Status", proxy_status);
    note("X-Squid-Error", squid_error);
    return notes.empty() ? status_line : status_line + " (" + notes + ")";
}

connect_exchange::connect_exchange(connect_settings settings, std::optional<credentials> creds, bool preemptive_basic)
    : settings_(std::move(settings))
    , auth_(std::move(creds), preemptive_basic)
    , parser_(http::head_kind::response, settings_.limits) {
    authorization_ = auth_.initial_authorization("CONNECT", settings_.target);
    if (authorization_)
        diagnostics_.auth_scheme = "basic";
}

boost::system::result<std::string> connect_exchange::request(const header_list& extra) {
    for (const header_list* list : {static_cast<const header_list*>(&settings_.headers), &extra})
        for (const auto& field : *list)
            if (!sendable(field))
                return make_error_code(burrow::error::http_bad_header);

    std::string out;
    out.reserve(128 + settings_.target.size() * 2);
    out.append("CONNECT ").append(settings_.target).append(" HTTP/1.1\r\n");
    out.append("Host: ").append(settings_.target).append("\r\n");
    if (!settings_.user_agent.empty())
        out.append("User-Agent: ").append(settings_.user_agent).append("\r\n");
    // HTTP/1.0 proxies close after a 407 unless asked not to; curl sends the same.
    out.append("Proxy-Connection: Keep-Alive\r\n");
    if (authorization_)
        out.append("Proxy-Authorization: ").append(*authorization_).append("\r\n");
    for (const header_list* list : {static_cast<const header_list*>(&settings_.headers), &extra})
        for (const auto& [name, value] : *list)
            out.append(name).append(": ").append(value).append("\r\n");
    out.append("\r\n");

    // What the proxy said belongs to one reply: a later reply (or its absence) must not be
    // reported with an earlier round's status line.
    const unsigned rounds = diagnostics_.rounds + 1;
    std::string scheme = std::move(diagnostics_.auth_scheme);
    diagnostics_ = proxy_diagnostics{};
    diagnostics_.rounds = rounds;
    diagnostics_.auth_scheme = std::move(scheme);
    sent_credentials_ = authorization_.has_value();
    parser_.reset();
    skipper_.reset();
    head_start_ = 0;
    head_end_ = 0;
    phase_ = phase::awaiting_head;
    return out;
}

connect_step connect_exchange::fail(burrow::error e) { return fail(make_error_code(e)); }

connect_step connect_exchange::fail(boost::system::error_code ec) {
    error_ = ec;
    phase_ = phase::done;
    return connect_step::failed;
}

connect_step connect_exchange::on_reply(std::span<const char> received) {
    if (phase_ == phase::awaiting_refusal_body) {
        record_body(received.subspan(head_end_));
        if (received.size() - head_end_ < refusal_body_wanted_)
            return connect_step::need_more;
        return fail(burrow::error::proxy_refused);
    }
    for (;;) {
        std::array<http::header, 64> storage;
        http::head h;
        const auto r = parser_.parse(received.subspan(head_start_), storage, h);
        if (r.status == http::head_status::need_more)
            return connect_step::need_more;
        if (r.status == http::head_status::error) {
            diagnostics_.detail = describe_non_http(received, make_error_code(r.err));
            diagnostics_.body_start = printable(received.first(std::min(received.size(), body_capture_limit)));
            return fail(r.err == burrow::error::http_head_too_large ? burrow::error::proxy_reply_too_large
                                                            : burrow::error::proxy_malformed_reply);
        }
        if (h.status >= 200) {
            head_end_ = head_start_ + r.size;
            return on_head(h, received);
        }
        // An interim 1xx head: the final reply follows it.
        head_start_ += r.size;
        parser_.reset();
    }
}

void connect_exchange::record(const http::head& h) {
    diagnostics_.status_line = std::string(h.start_line);
    diagnostics_.status = h.status;
    diagnostics_.version_minor = h.version_minor;
    diagnostics_.via = std::string(h.find("Via").value_or(""));
    diagnostics_.server = std::string(h.find("Server").value_or(""));
    diagnostics_.proxy_status = std::string(h.find("Proxy-Status").value_or(""));
    diagnostics_.squid_error = std::string(h.find("X-Squid-Error").value_or(""));
    diagnostics_.proxy_authenticate.clear();
    h.for_each("Proxy-Authenticate", [&](std::string_view v) {
        if (!diagnostics_.proxy_authenticate.empty())
            diagnostics_.proxy_authenticate += ", ";
        diagnostics_.proxy_authenticate += v;
    });
    diagnostics_.body_start.clear();
}

void connect_exchange::record_body(std::span<const char> body) {
    diagnostics_.body_start = printable(body.first(std::min(body.size(), body_capture_limit)));
}

connect_step connect_exchange::on_head(const http::head& h, std::span<const char> received) {
    record(h);
    const auto body = received.subspan(head_end_);
    if (h.status >= 200 && h.status < 300) {
        phase_ = phase::done;
        return connect_step::tunnel_open;
    }
    record_body(body);
    if (h.status == 407)
        return on_challenge(h);
    if (h.status == 401 && sent_credentials_) {
        // tinyproxy 1.11 answers wrong proxy credentials with 401 + WWW-Authenticate (its bug #532).
        return fail(burrow::error::proxy_auth_failed);
    }
    // A refusal: wait for the start of its body when its length says it is coming, so the user sees
    // the proxy's explanation; never wait for a body of unknown length.
    auto skipper = http::body_skipper::for_response(h, "CONNECT", settings_.max_body);
    if (skipper && skipper->framing() == http::body_framing::content_length) {
        const auto length = h.find("Content-Length").value_or("0");
        std::uint64_t n = 0;
        for (char c : length.substr(0, length.find(',')))
            if (c >= '0' && c <= '9')
                n = n * 10 + static_cast<unsigned>(c - '0');
        refusal_body_wanted_ = static_cast<std::size_t>(std::min<std::uint64_t>(n, body_capture_limit));
        if (body.size() < refusal_body_wanted_) {
            phase_ = phase::awaiting_refusal_body;
            return connect_step::need_more;
        }
    }
    return fail(burrow::error::proxy_refused);
}

connect_step connect_exchange::on_challenge(const http::head& h) {
    std::vector<std::string_view> challenges;
    h.for_each("Proxy-Authenticate", [&](std::string_view v) { challenges.push_back(v); });
    if (const auto ec = auth_.on_challenge(challenges))
        return fail(ec);
    diagnostics_.auth_scheme = std::string(auth_.scheme());
    if (diagnostics_.rounds >= settings_.max_rounds)
        return fail(burrow::error::proxy_auth_failed);
    authorization_ = auth_.authorization("CONNECT", settings_.target);
    if (authorization_->empty())
        return fail(burrow::error::proxy_auth_failed);

    // Answer on the same connection when the proxy keeps it and the 407's body has an end;
    // otherwise the answer goes on a new connection.
    auto skipper = http::body_skipper::for_response(h, "CONNECT", settings_.max_body);
    const bool closing = h.has_token("Connection", "close") || h.has_token("Proxy-Connection", "close");
    const bool persistent = h.version_minor >= 1 || h.has_token("Connection", "keep-alive") ||
                            h.has_token("Proxy-Connection", "keep-alive");
    if (!skipper || !skipper->self_delimited() || closing || !persistent) {
        phase_ = phase::done;
        return connect_step::reconnect;
    }
    skipper_ = *skipper;
    phase_ = phase::skipping_body;
    return connect_step::skip_body;
}

connect_step connect_exchange::on_body(std::span<const char> bytes, std::size_t& consumed) {
    consumed = 0;
    if (phase_ != phase::skipping_body || !skipper_)
        return fail(burrow::error::proxy_malformed_reply);
    const auto r = skipper_->consume(bytes);
    consumed = r.consumed;
    if (r.err != burrow::error{}) {
        diagnostics_.detail = make_error_code(r.err).message();
        return fail(r.err == burrow::error::http_body_too_large ? burrow::error::proxy_reply_too_large
                                                        : burrow::error::proxy_malformed_reply);
    }
    if (!r.done)
        return connect_step::need_more;
    reused_ = true;
    return connect_step::send_request;
}

connect_step connect_exchange::on_eof() {
    switch (phase_) {
    case phase::skipping_body:
        // The proxy closed after (or during) the 407 body despite keep-alive: use a new connection.
        phase_ = phase::done;
        return connect_step::reconnect;
    case phase::awaiting_refusal_body: return fail(burrow::error::proxy_refused);
    case phase::awaiting_head:
        if (reused_ && diagnostics_.rounds < settings_.max_rounds && !nothing_received_guard_) {
            // A kept-alive connection the proxy closed before reading our answer: retry once anew.
            nothing_received_guard_ = true;
            phase_ = phase::done;
            return connect_step::reconnect;
        }
        return fail(burrow::error::proxy_closed);
    case phase::done: break;
    }
    return fail(burrow::error::proxy_closed);
}

std::string redact_head(std::string_view head) {
    std::string out;
    out.reserve(head.size());
    while (!head.empty()) {
        const std::size_t lf = head.find('\n');
        std::string_view line = head.substr(0, lf == std::string_view::npos ? head.size() : lf + 1);
        head.remove_prefix(line.size());
        const std::size_t colon = line.find(':');
        const std::string_view name = colon == std::string_view::npos ? std::string_view{} : line.substr(0, colon);
        if (http::iequals(name, "Proxy-Authorization") || http::iequals(name, "Authorization")) {
            std::string_view value = line.substr(colon + 1);
            while (!value.empty() && value.front() == ' ')
                value.remove_prefix(1);
            const std::size_t space = value.find(' ');
            const std::string_view scheme = value.substr(0, space == std::string_view::npos ? 0 : space);
            out.append(name).append(": ");
            if (!scheme.empty())
                out.append(scheme).append(" ");
            out.append("<redacted>");
            out.append(line.size() >= 2 && line[line.size() - 2] == '\r' ? "\r\n" : "\n");
        } else {
            out.append(line);
        }
    }
    return out;
}

} // namespace burrow::proxy
