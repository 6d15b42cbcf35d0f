// Test certificates, made once per test process by scripts/fixtures/tls_certs.sh (openssl) into a
// fresh temporary directory that is removed at exit. Names: see that script (ca, server,
// wrong-name, expired, untrusted, rogue-ca, client, proxy-ca, proxy).
#pragma once

#include <cstdlib>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <string_view>

#ifndef BURROW_TLS_CERTS_SCRIPT
#error "define BURROW_TLS_CERTS_SCRIPT (the path of scripts/fixtures/tls_certs.sh)"
#endif

namespace burrow::test {

inline const std::string& tls_cert_dir() {
    static const std::string dir = [] {
        std::string templ = (std::filesystem::temp_directory_path() / "burrow-tls-XXXXXX").string();
        if (::mkdtemp(templ.data()) == nullptr)
            throw std::runtime_error("mkdtemp failed");
        const std::string cmd = std::string("bash ") + BURROW_TLS_CERTS_SCRIPT + " '" + templ + "' >/dev/null";
        if (std::system(cmd.c_str()) != 0)
            throw std::runtime_error("tls_certs.sh failed: " + cmd);
        static const struct remover {
            std::string path;
            ~remover() {
                std::error_code ignored;
                std::filesystem::remove_all(path, ignored);
            }
        } cleanup{templ};
        return templ;
    }();
    return dir;
}

/// The path of NAME.pem ("server") or of another file ("server.key").
inline std::string tls_file(std::string_view name) {
    std::string file(name);
    if (file.find('.') == std::string::npos)
        file += ".pem";
    return tls_cert_dir() + "/" + file;
}

} // namespace burrow::test
