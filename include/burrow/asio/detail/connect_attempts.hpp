// The TCP part of connect(): order the resolved addresses as RFC 8305 §4 asks (families
// interleaved, starting with the resolver's first choice) and try them one after the other, each
// attempt bounded, until one connects. Not part of the public API; tested on its own.
#pragma once

#include <burrow/asio/detail/deadline.hpp>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace burrow::detail {

/// `endpoints` reordered so that IPv6 and IPv4 alternate, the family of the first one first
/// (RFC 8305 §4: a broken family then costs one attempt, not all of them). Order within a family
/// is kept.
std::vector<boost::asio::ip::tcp::endpoint> interleave_families(const std::vector<boost::asio::ip::tcp::endpoint>& endpoints);

/// "127.0.0.1:80", "[::1]:443".
std::string to_string(const boost::asio::ip::tcp::endpoint& endpoint);

struct attempts_outcome {
    boost::system::error_code ec;                 ///< success, or the last attempt's error (timed_out for a timeout)
    boost::asio::ip::tcp::endpoint connected;     ///< the address that answered
    std::string failures;                         ///< "[::1]:80: Connection refused; ..." for messages
};

namespace connect_detail {
boost::asio::awaitable<attempts_outcome> co_connect_each_impl(boost::asio::ip::tcp::socket& socket,
                                                              std::vector<boost::asio::ip::tcp::endpoint> endpoints,
                                                              clock::duration per_attempt,
                                                              std::function<void(std::string_view)> note);
} // namespace connect_detail

/// Connects `socket` to the first of `endpoints` (in the given order) that accepts within
/// `per_attempt`; `note` (may be empty) hears "connecting to X" and each failure. Arguments are
/// copied (see the GCC 12.2 note in connect.hpp).
inline boost::asio::awaitable<attempts_outcome> co_connect_each(boost::asio::ip::tcp::socket& socket,
                                                                const std::vector<boost::asio::ip::tcp::endpoint>& endpoints,
                                                                clock::duration per_attempt,
                                                                const std::function<void(std::string_view)>& note) {
    return connect_detail::co_connect_each_impl(socket, endpoints, per_attempt, note);
}

} // namespace burrow::detail
