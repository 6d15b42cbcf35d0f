// The concrete layers behind burrow::connection: one websocket::stream type per way the connection
// can be built, in a std::variant, and the TLS contexts those streams use (declared first, so they
// outlive the streams). Private to lib/client; needs the TLS build configuration (burrow_asio_dep).
#pragma once

#include <burrow/asio/connect.hpp>
#include <burrow/asio/tls.hpp>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>

#include <memory>
#include <optional>
#include <variant>

namespace burrow::detail {

using tcp_layer = boost::asio::ip::tcp::socket;
using tls_layer_stream = boost::asio::ssl::stream<tcp_layer>;          // wss://, or ws:// via https://
using tls_in_tls_layer_stream = boost::asio::ssl::stream<tls_layer_stream>;  // wss:// via https://

struct connection_layers {
    // Shared with other connections (detail::client_context_for), never modified once shared.
    std::shared_ptr<boost::asio::ssl::context> proxy_context;   // https:// proxy
    std::shared_ptr<boost::asio::ssl::context> origin_context;  // wss:// server
    std::variant<std::monostate, websocket::stream<tcp_layer>, websocket::stream<tls_layer_stream>,
                 websocket::stream<tls_in_tls_layer_stream>>
        stream;
};

} // namespace burrow::detail
