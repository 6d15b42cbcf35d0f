// Building a client context from tls_options with the system CA store's location given explicitly,
// so that the context cache (context_cache.cpp) keys its entries on exactly what the build read.
// Private to lib/tls.
#pragma once

#include <burrow/asio/tls.hpp>

#include <string>

namespace burrow::detail {

/// Where the system CA store is, as OpenSSL's environment variables say (empty: unset or empty).
struct ca_environment {
    std::string cert_file;  ///< SSL_CERT_FILE: replaces system_ca_bundle
    std::string cert_dir;   ///< SSL_CERT_DIR: ':' separated directories added to it

    /// This process's values now (getenv).
    static ca_environment from_process();

    bool operator==(const ca_environment&) const = default;
};

/// make_client_context with the system store at `env` instead of the process's environment.
tls_context_result make_client_context_in(const tls_options& options, const ca_environment& env);

} // namespace burrow::detail
