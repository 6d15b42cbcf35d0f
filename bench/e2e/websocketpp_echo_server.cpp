// websocketpp's echo server for the e2e race: its own echo example (asio_no_tls config, message
// handler that sends the payload back with the same opcode), logging off, TCP_NODELAY on.
#include "server_main.hpp"

#include <websocketpp/config/asio_no_tls.hpp>
#include <websocketpp/server.hpp>

using server = websocketpp::server<websocketpp::config::asio>;

int main(int argc, char** argv) {
    const auto where = burrow::e2e::parse_listen_args(argc, argv, "websocketpp-e2e-echo");
    server s;
    s.clear_access_channels(websocketpp::log::alevel::all);
    s.clear_error_channels(websocketpp::log::elevel::all);
    s.init_asio();
    s.set_reuse_addr(true);
    // The socket init handler runs before accept (no descriptor yet): set TCP_NODELAY on open.
    s.set_open_handler([&s](websocketpp::connection_hdl hdl) {
        boost::system::error_code ignored;
        s.get_con_from_hdl(hdl)->get_socket().set_option(boost::asio::ip::tcp::no_delay(true), ignored);
    });
    s.set_message_handler([&s](websocketpp::connection_hdl hdl, server::message_ptr msg) {
        websocketpp::lib::error_code ec;
        s.send(hdl, msg->get_payload(), msg->get_opcode(), ec);
    });
    s.listen(boost::asio::ip::tcp::endpoint(boost::asio::ip::make_address(where.host), where.port));
    s.start_accept();
    boost::system::error_code ec;  // websocketpp's lib::asio::error_code here
    burrow::e2e::announce(where, s.get_local_endpoint(ec).port());
    s.run();
}
