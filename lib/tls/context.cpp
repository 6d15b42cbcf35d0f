// make_client_context / make_server_context: tls_options turned into a wolfSSL context, with every
// file checked so that a bad path is reported by name before any connection is tried.
#include <burrow/asio/tls.hpp>

#include "context_build.hpp"

#include <wolfssl/ssl.h>
#include <wolfssl/openssl/evp.h>
#include <wolfssl/openssl/pem.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string_view>
#include <system_error>
#include <vector>

namespace burrow {

namespace ssl = boost::asio::ssl;

std::string tls_context_result::message() const {
    if (!ec)
        return "TLS configuration ready";
    return "TLS configuration: " + detail + ". " + ec.message() + ".";
}

namespace {

// wolfSSL's description of one of its error codes.
std::string wolf_reason(int code) {
    char text[WOLFSSL_MAX_ERROR_SZ] = {};
    wolfSSL_ERR_error_string_n(static_cast<unsigned long>(code), text, sizeof text);
    return text;
}

// Empty when `path` can be opened for reading, else why not (the OS's words).
std::string unreadable(const std::string& path) {
    std::FILE* f = std::fopen(path.c_str(), "rb");
    if (f == nullptr)
        return std::strerror(errno);
    std::fclose(f);
    return {};
}

// A signature made with `private_key` over a fixed text, empty when it cannot be made.
std::vector<unsigned char> sign_probe(WOLFSSL_EVP_PKEY* private_key, std::string_view probe) {
    std::vector<unsigned char> sig;
    WOLFSSL_EVP_MD_CTX* md = wolfSSL_EVP_MD_CTX_new();
    if (md == nullptr)
        return sig;
    std::size_t size = 0;
    if (wolfSSL_EVP_DigestSignInit(md, nullptr, wolfSSL_EVP_sha256(), nullptr, private_key) == WOLFSSL_SUCCESS &&
        wolfSSL_EVP_DigestSignUpdate(md, probe.data(), static_cast<unsigned>(probe.size())) == WOLFSSL_SUCCESS &&
        wolfSSL_EVP_DigestSignFinal(md, nullptr, &size) == WOLFSSL_SUCCESS && size > 0) {
        sig.resize(size);
        if (wolfSSL_EVP_DigestSignFinal(md, sig.data(), &size) == WOLFSSL_SUCCESS)
            sig.resize(size);
        else
            sig.clear();
    }
    wolfSSL_EVP_MD_CTX_free(md);
    return sig;
}

// Whether the certificate's public key verifies a signature made with the private key, i.e. the
// key is the certificate's. wolfSSL 5.5's check_private_key accepts any two P-256 keys, so this
// proves possession instead. When the probe cannot be made at all, wolfSSL's own check stands.
bool key_belongs_to_certificate(const std::string& cert_file, const std::string& key_file) {
    constexpr std::string_view probe = "burrow: does this key belong to this certificate?";
    WOLFSSL_BIO* bio = wolfSSL_BIO_new_file(key_file.c_str(), "rb");
    WOLFSSL_EVP_PKEY* private_key = bio != nullptr ? wolfSSL_PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr) : nullptr;
    if (bio != nullptr)
        wolfSSL_BIO_free(bio);
    const auto sig = private_key != nullptr ? sign_probe(private_key, probe) : std::vector<unsigned char>{};
    wolfSSL_EVP_PKEY_free(private_key);
    if (sig.empty())
        return true;
    WOLFSSL_X509* cert = wolfSSL_X509_load_certificate_file(cert_file.c_str(), WOLFSSL_FILETYPE_PEM);
    WOLFSSL_EVP_PKEY* public_key = cert != nullptr ? wolfSSL_X509_get_pubkey(cert) : nullptr;
    bool verified = true;
    WOLFSSL_EVP_MD_CTX* md = public_key != nullptr ? wolfSSL_EVP_MD_CTX_new() : nullptr;
    if (md != nullptr) {
        // Only a signature that does not verify says "another key"; a probe that cannot run
        // leaves wolfSSL's own check standing.
        if (wolfSSL_EVP_DigestVerifyInit(md, nullptr, wolfSSL_EVP_sha256(), nullptr, public_key) == WOLFSSL_SUCCESS &&
            wolfSSL_EVP_DigestVerifyUpdate(md, probe.data(), probe.size()) == WOLFSSL_SUCCESS)
            verified = wolfSSL_EVP_DigestVerifyFinal(md, sig.data(), sig.size()) == WOLFSSL_SUCCESS;
        wolfSSL_EVP_MD_CTX_free(md);
    }
    wolfSSL_EVP_PKEY_free(public_key);
    wolfSSL_X509_free(cert);
    return verified;
}

struct context_builder {
    ssl::context ctx;
    tls_context_result failure;

    explicit context_builder(ssl::context::method m) : ctx(m) {}

    WOLFSSL_CTX* native() { return ctx.native_handle(); }

    bool fail(std::string what) {
        failure.ec = error::tls_bad_configuration;
        failure.detail = std::move(what);
        return false;
    }

    // `what` is the option's name ("ca_file"), for the message.
    bool check_readable(const char* what, const std::string& path) {
        if (auto why = unreadable(path); !why.empty())
            return fail(std::string(what) + " " + path + ": cannot read: " + why);
        return true;
    }

    // The system store where OpenSSL's environment variables say it is: the bundle file
    // (SSL_CERT_FILE, else Debian's) plus the directories of SSL_CERT_DIR (a ':' separated list;
    // missing or empty ones are skipped, as OpenSSL and Go do). A store that yields no root at all
    // is an error: silently trusting nothing would fail later, obscurely.
    bool trust_system_store(const detail::ca_environment& env) {
        const bool file_set = !env.cert_file.empty();
        const std::string& dirs = env.cert_dir;
        const std::string bundle = file_set ? env.cert_file : std::string(system_ca_bundle);
        const std::string named = file_set ? "system CA store " + bundle + " (from SSL_CERT_FILE)" : "system CA store " + bundle;
        bool loaded_dir = false;
        for (std::size_t at = 0; at <= dirs.size();) {
            const auto colon = std::min(dirs.find(':', at), dirs.size());
            const std::string dir = dirs.substr(at, colon - at);
            at = colon + 1;
            std::error_code fs_error;
            if (dir.empty() || !std::filesystem::is_directory(dir, fs_error))
                continue;
            // wolfSSL loads every certificate file in the directory (hashed names or not).
            if (wolfSSL_CTX_load_verify_locations_ex(native(), nullptr, dir.c_str(), WOLFSSL_LOAD_FLAG_IGNORE_ERR) ==
                WOLFSSL_SUCCESS)
                loaded_dir = true;
        }
        if (auto why = unreadable(bundle); !why.empty()) {
            if (!file_set && loaded_dir)
                return true;  // no bundle on this system, but SSL_CERT_DIR gave roots
            return fail(named + ": cannot read: " + why +
                        (file_set ? " (fix or unset SSL_CERT_FILE)"
                                  : " (install ca-certificates, or set use_system_ca = false and give ca_file)"));
        }
        // The system bundle may hold certificates wolfSSL cannot use: skip those, keep the rest.
        const int r = wolfSSL_CTX_load_verify_locations_ex(native(), bundle.c_str(), nullptr, WOLFSSL_LOAD_FLAG_IGNORE_ERR);
        if (r != WOLFSSL_SUCCESS && !loaded_dir)
            return fail(named + ": " + (r == 0 ? std::string("no usable certificate in it") : wolf_reason(r)));
        return true;
    }

    bool trust(const tls_options& o, const detail::ca_environment& env) {
        if (o.use_system_ca && !trust_system_store(env))
            return false;
        if (!o.ca_file.empty()) {
            if (!check_readable("ca_file", o.ca_file))
                return false;
            const int r = wolfSSL_CTX_load_verify_locations(native(), o.ca_file.c_str(), nullptr);
            if (r != WOLFSSL_SUCCESS)
                return fail("ca_file " + o.ca_file + ": no usable PEM certificate: " + wolf_reason(r));
        }
        if (!o.ca_dir.empty()) {
            const int r = wolfSSL_CTX_load_verify_locations_ex(native(), nullptr, o.ca_dir.c_str(),
                                                               WOLFSSL_LOAD_FLAG_IGNORE_ERR);
            if (r != WOLFSSL_SUCCESS)
                return fail("ca_dir " + o.ca_dir + ": " +
                            (r == 0 ? std::string("no usable certificate in it") : "cannot load: " + wolf_reason(r)));
        }
        return true;
    }

    bool identity(const tls_options& o, bool required) {
        if (o.cert_file.empty() && o.key_file.empty()) {
            if (required)
                return fail("a server needs cert_file and key_file");
            return true;
        }
        if (o.cert_file.empty() || o.key_file.empty())
            return fail(o.cert_file.empty() ? "key_file given without cert_file" : "cert_file given without key_file");
        if (!check_readable("cert_file", o.cert_file) || !check_readable("key_file", o.key_file))
            return false;
        int r = wolfSSL_CTX_use_certificate_chain_file(native(), o.cert_file.c_str());
        if (r != WOLFSSL_SUCCESS)
            return fail("cert_file " + o.cert_file + ": not a PEM certificate: " + wolf_reason(r));
        r = wolfSSL_CTX_use_PrivateKey_file(native(), o.key_file.c_str(), WOLFSSL_FILETYPE_PEM);
        if (r != WOLFSSL_SUCCESS)
            return fail("key_file " + o.key_file + ": not a PEM private key: " + wolf_reason(r));
        if (wolfSSL_CTX_check_private_key(native()) != WOLFSSL_SUCCESS || !key_belongs_to_certificate(o.cert_file, o.key_file))
            return fail("key_file " + o.key_file + " does not belong to cert_file " + o.cert_file);
        return true;
    }

    bool versions(const tls_options& o) {
        ctx.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                        ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
        const int v = o.min_version == tls_version::tls1_3 ? WOLFSSL_TLSV1_3 : WOLFSSL_TLSV1_2;
        if (wolfSSL_CTX_SetMinVersion(native(), v) != WOLFSSL_SUCCESS)
            return fail("min_version is not supported by this wolfSSL build");
        return true;
    }

    tls_context_result done() {
        tls_context_result out;
        out.context.emplace(std::move(ctx));
        return out;
    }
};

} // namespace

namespace detail {

ca_environment ca_environment::from_process() {
    ca_environment env;
    if (const char* file = std::getenv("SSL_CERT_FILE"))
        env.cert_file = file;
    if (const char* dir = std::getenv("SSL_CERT_DIR"))
        env.cert_dir = dir;
    return env;
}

tls_context_result make_client_context_in(const tls_options& options, const ca_environment& env) {
    context_builder b(ssl::context::tls_client);
    if (!b.versions(options) || !b.trust(options, env) || !b.identity(options, false))
        return std::move(b.failure);
    b.ctx.set_verify_mode(ssl::verify_peer);
    return b.done();
}

} // namespace detail

tls_context_result make_client_context(const tls_options& options) {
    return detail::make_client_context_in(options, detail::ca_environment::from_process());
}

tls_context_result make_server_context(const tls_options& options) {
    context_builder b(ssl::context::tls_server);
    if (!b.versions(options) || !b.identity(options, true))
        return std::move(b.failure);
    if (options.require_client_certificate) {
        if (!b.trust(options, detail::ca_environment::from_process()))
            return std::move(b.failure);
        b.ctx.set_verify_mode(ssl::verify_peer | ssl::verify_fail_if_no_peer_cert);
    } else {
        b.ctx.set_verify_mode(ssl::verify_none);
    }
    return b.done();
}

} // namespace burrow
