// A program outside burrow's tree that uses it as a user would: built against the installed
// headers and libraries through pkg-config (tests/examples/install_test.sh), and as a meson
// subproject (meson.build here, tests/examples/subproject_test.sh). It touches the core (URL
// parsing, a handshake key from wolfCrypt), the Asio layer's compiled code (connect_authority
// lives in burrow_asio) and the TLS layer (a client context: Asio built for wolfSSL), so a missing
// library or compile flag fails the build, the link or the run.
#include <burrow/asio/connect_via_proxy.hpp>
#include <burrow/asio/tls.hpp>
#include <burrow/proxy/proxy_url.hpp>
#include <burrow/ws/handshake.hpp>

#include <iostream>

int main() {
    const auto url = burrow::ws::parse_ws_url("wss://echo.example:8443/chat");
    if (!url || !url->secure || url->port != 8443) {
        std::cerr << "consumer: parse_ws_url failed\n";
        return 1;
    }
    const std::string key = burrow::ws::make_client_key();
    if (key.size() != 24) {
        std::cerr << "consumer: make_client_key failed\n";
        return 1;
    }
    const std::string authority = burrow::connect_authority("::1", 443);
    if (authority != "[::1]:443") {
        std::cerr << "consumer: connect_authority gave " << authority << "\n";
        return 1;
    }
    burrow::tls_options options;
    options.use_system_ca = false;  // nothing to read: the context is made in memory
    auto context = burrow::make_client_context(options);
    if (!context) {
        std::cerr << "consumer: " << context.message() << "\n";
        return 1;
    }
    std::cout << "consumer: burrow works (" << url->host << ", key " << key.size() << " characters, "
              << authority << ", TLS client context)\n";
    return 0;
}
