// Basic authentication (RFC 7617): "Basic " + base64(user-id ":" password).
//
// Theory of operation: the credentials are sent as the bytes the caller gave, without charset
// conversion; RFC 7617 §2.1's charset="UTF-8" parameter only tells a client to use UTF-8, which
// burrow's callers already do. A user name containing ':' cannot be represented (the proxy splits
// at the first colon); that is the caller's input to check, not something to silently alter here.

#include <burrow/proxy/auth.hpp>

#include <burrow/detail/crypto.hpp>

namespace burrow::proxy {

std::string basic_authorization(const credentials& creds) {
    std::string pair;
    pair.reserve(creds.user.size() + 1 + creds.password.size());
    pair.append(creds.user).append(1, ':').append(creds.password);
    return "Basic " + detail::base64_encode(std::string_view{pair});
}

} // namespace burrow::proxy
