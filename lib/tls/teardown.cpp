// The wolfSSL side of detail/teardown.hpp: sending our close_notify without waiting for the peer's.
#include <burrow/asio/detail/teardown.hpp>

#include <wolfssl/options.h>
#include <wolfssl/ssl.h>

namespace burrow::detail {

void tls_send_close_notify_only(void* ssl) noexcept {
    wolfSSL_set_shutdown(static_cast<WOLFSSL*>(ssl), WOLFSSL_RECEIVED_SHUTDOWN);
}

void tls_resume_reading(void* ssl) noexcept {
    (void)ssl;
}

} // namespace burrow::detail
