// Proxy authentication: Basic (RFC 7617) and Digest (RFC 7616, with RFC 2617/2069 compatibility)
// answers to a 407, and the state that carries a connection through the rounds.
//
// Theory of operation: `proxy_authenticator` is a small sans-I/O state machine that the CONNECT
// code drives once per request/response round:
//
//     proxy_authenticator auth{creds};
//     request.proxy_authorization = auth.initial_authorization("CONNECT", "host:443");  // usually none
//     loop: send; if the reply is 407:
//         if (auto ec = auth.on_challenge(proxy_authenticate_values)) -> fail with ec
//         request.proxy_authorization = auth.authorization("CONNECT", "host:443"); resend
//
// `on_challenge` picks the strongest scheme burrow supports among those offered (Digest SHA-256,
// then Digest MD5, then Basic; NTLM, Negotiate and unknown schemes are passed over) and remembers
// which schemes it has already answered. A second 407 for a scheme we already answered means the
// credentials were rejected, and ends the loop with proxy_auth_failed instead of retrying forever;
// the one exception is a Digest challenge with stale=true, which says the credentials were right
// but the nonce expired, and is answered again with the new nonce (a bounded number of times).
// `authorization` then produces the header value; for Digest every call uses the next nonce count
// and a fresh client nonce, so it may be called again for a resent request.
//
// The free functions below are the pure parts (header values from given inputs) and are what the
// RFC worked examples test directly.
#pragma once

#include <burrow/config.hpp>
#include <burrow/proxy/auth_challenge.hpp>

#include <boost/system/error_code.hpp>

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace burrow::proxy {

/// A user name and password for the proxy, as UTF-8 (or whatever bytes the proxy expects): they
/// are sent exactly as given.
struct credentials {
    std::string user;
    std::string password;
};

/// The Proxy-Authorization value for Basic: "Basic " + base64(user ":" password).
std::string basic_authorization(const credentials& creds);

/// The hash algorithms of Digest that burrow answers (RFC 7616 §3.3; SHA-512-256 is not offered by
/// the proxies burrow meets, so it is treated as unsupported).
enum class digest_algorithm : std::uint8_t { md5, md5_sess, sha256, sha256_sess };

/// What a Digest answer needs from a challenge.
struct digest_challenge {
    std::string realm;
    std::string nonce;
    std::optional<std::string> opaque;             ///< echoed verbatim when present
    std::optional<std::string> algorithm;          ///< the token as sent, echoed when present
    digest_algorithm hash = digest_algorithm::md5; ///< no algorithm parameter means MD5
    bool qop_auth = false; ///< the challenge offered qop "auth"; false = RFC 2069 mode (no qop at all)
    bool stale = false;    ///< stale=true: the nonce expired, the credentials were fine
};

/// Reads a Digest challenge. Returns nullopt when `c` is not Digest, has no nonce, names an
/// algorithm other than MD5, MD5-sess, SHA-256 or SHA-256-sess, or offers qop values none of
/// which is "auth" (burrow does not do auth-int).
std::optional<digest_challenge> parse_digest_challenge(const auth_challenge& c);

/// The Proxy-Authorization value for Digest (RFC 7616 §3.4): the response is computed over
/// `method` and `uri` (for CONNECT, the authority "host:port" as curl sends), nonce count `nc`
/// (written as 8 hex digits) and client nonce `cnonce`. `nc` and `cnonce` are used only with qop
/// or a -sess algorithm. The user name is sent as a quoted string; `userhash` is not used.
std::string digest_authorization(const digest_challenge& challenge, const credentials& creds,
                                 std::string_view method, std::string_view uri, std::uint32_t nc,
                                 std::string_view cnonce);

/// The per-connection authentication state (see the theory of operation above). Not thread-safe:
/// one per connection attempt.
class proxy_authenticator {
public:
    /// `creds` empty: a 407 ends with proxy_auth_required. `preemptive_basic`: send Basic with the
    /// first request, before any challenge (saves a round trip; exposes the password to a proxy
    /// that would have asked for Digest).
    explicit proxy_authenticator(std::optional<credentials> creds, bool preemptive_basic = false);

    /// The Proxy-Authorization value for the first request: Basic when preemptive Basic was asked
    /// for and there are credentials, nullopt otherwise.
    std::optional<std::string> initial_authorization(std::string_view method, std::string_view uri);

    /// Takes the Proxy-Authenticate values of a 407 and prepares the next answer. Returns
    ///   - proxy_auth_required: no credentials were configured;
    ///   - proxy_auth_unsupported: no offered scheme is one burrow answers;
    ///   - proxy_auth_failed: the chosen scheme was already answered, so the credentials were
    ///     rejected (a Digest stale=true with a new nonce is retried instead, a few times at most);
    ///   - errc::not_enough_memory if parsing could not allocate;
    ///   - success: call `authorization` for the header value of the next request.
    boost::system::error_code
    on_challenge(std::span<const std::string_view> proxy_authenticate_values) noexcept;

    /// The Proxy-Authorization value for the next request under the scheme `on_challenge` chose
    /// (or preemptive Basic). For Digest each call takes the next nonce count and a fresh cnonce.
    /// Empty when no scheme was chosen, or when the random generator failed to make a cnonce.
    std::string authorization(std::string_view method, std::string_view uri);

    /// The chosen scheme: "basic", "digest", or empty before any.
    std::string_view scheme() const noexcept;

    /// Uses `cnonce` instead of random client nonces from now on; for tests reproducing published
    /// examples. An empty string returns to random nonces.
    void set_fixed_cnonce(std::string cnonce);

    /// The nonce count the last Digest `authorization` used (0 before any).
    std::uint32_t nonce_count() const noexcept { return nc_; }

    /// How many stale=true rounds are answered before giving up with proxy_auth_failed: a proxy
    /// that calls every nonce stale would otherwise keep the client looping.
    static constexpr int max_stale_retries = 3;

private:
    enum class chosen : std::uint8_t { none, basic, digest };

    std::optional<credentials> creds_;
    std::optional<digest_challenge> digest_;
    std::string fixed_cnonce_;
    std::uint32_t nc_ = 0;
    int stale_retries_ = 0;
    chosen scheme_ = chosen::none;
    bool preemptive_basic_ = false;
    bool sent_basic_ = false;  // a Basic header was produced: a new Basic challenge means rejection
    bool sent_digest_ = false; // likewise for Digest
};

} // namespace burrow::proxy
