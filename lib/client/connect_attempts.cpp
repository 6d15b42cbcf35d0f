#include <burrow/asio/detail/connect_attempts.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace burrow::detail {

namespace asio = boost::asio;
using asio::ip::tcp;

std::vector<tcp::endpoint> interleave_families(const std::vector<tcp::endpoint>& endpoints) {
    if (endpoints.empty())
        return {};
    const bool first_v6 = endpoints.front().address().is_v6();
    std::vector<tcp::endpoint> same, other;
    for (const auto& e : endpoints)
        (e.address().is_v6() == first_v6 ? same : other).push_back(e);
    std::vector<tcp::endpoint> out;
    out.reserve(endpoints.size());
    for (std::size_t i = 0; i < std::max(same.size(), other.size()); ++i) {
        if (i < same.size())
            out.push_back(same[i]);
        if (i < other.size())
            out.push_back(other[i]);
    }
    return out;
}

std::string to_string(const tcp::endpoint& endpoint) {
    const auto address = endpoint.address();
    std::string host = address.to_string();
    if (address.is_v6())
        host = "[" + host + "]";
    return host + ":" + std::to_string(endpoint.port());
}

asio::awaitable<attempts_outcome> connect_detail::co_connect_each_impl(tcp::socket& socket,
                                                                       std::vector<tcp::endpoint> endpoints,
                                                                       clock::duration per_attempt,
                                                                       std::function<void(std::string_view)> note) {
    attempts_outcome out;
    out.ec = asio::error::host_not_found;
    for (const auto& endpoint : endpoints) {
        boost::system::error_code ignored;
        socket.close(ignored);
        const std::string name = to_string(endpoint);
        if (note)
            note("connecting to " + name);
        auto r = co_await co_before(socket.async_connect(endpoint, asio::as_tuple(asio::use_awaitable)),
                                    clock::now() + per_attempt);
        out.ec = r ? std::get<0>(*r) : make_error_code(asio::error::timed_out);
        if (!out.ec) {
            socket.set_option(tcp::no_delay(true), ignored);
            out.connected = endpoint;
            co_return out;
        }
        if (out.ec == asio::error::operation_aborted)
            co_return out;  // the caller was cancelled (overall deadline): stop trying
        if (!out.failures.empty())
            out.failures += "; ";
        out.failures += name + ": " + out.ec.message();
        if (note)
            note(name + ": " + out.ec.message());
    }
    boost::system::error_code ignored;
    socket.close(ignored);
    co_return out;
}

} // namespace burrow::detail
