// The wolfSSL side of detail/teardown.hpp: sending our close_notify without waiting for the peer's.
#include <burrow/asio/detail/teardown.hpp>

#include <wolfssl/options.h>
#include <wolfssl/ssl.h>

namespace burrow::detail {

void tls_send_close_notify_only(void* ssl) noexcept {
    // With "received" already set, wolfSSL_shutdown sends close_notify and reports the shutdown
    // complete, so Asio's async_shutdown writes it and finishes without reading.
    wolfSSL_set_shutdown(static_cast<WOLFSSL*>(ssl), WOLFSSL_RECEIVED_SHUTDOWN);
}

} // namespace burrow::detail
