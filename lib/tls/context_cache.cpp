// connect()'s client contexts, kept for reuse: loading the system CA store into a new wolfSSL
// context costs 15-20 ms of CPU, more than the rest of a local wss:// connection setup. libcurl keeps
// its CA store for 24 hours (CURLOPT_CA_CACHE_TIMEOUT) and Go shares a tls.Config's root pool; this
// does the same for the whole context.
//
// Sharing is safe because a context is complete before it is shared and never modified afterwards:
// everything per connection (SNI, ALPN, verify mode and callback, I/O callbacks) is set on the
// session (session.cpp, tls_handshake.hpp), and wolfSSL supports many sessions of one WOLFSSL_CTX on
// many threads as long as the CTX does not change (wolfSSL_new counts the CTX's references under a
// mutex; the certificate manager locks its CA table for lookups).
//
// An entry is found by its settings (every tls_options field that goes into the context, plus
// SSL_CERT_FILE and SSL_CERT_DIR), and used only when the files it was built from still look the
// same (path, device, inode, size, modification time): a rotated certificate or CA file replaces
// the entry. The files are looked at BEFORE the build, so a file changed during a build makes the
// next lookup build again rather than keep a stale context.
#include <burrow/asio/tls.hpp>

#include "context_build.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace burrow {

namespace {

using clock = std::chrono::steady_clock;

// What a path looked like: enough to notice a replaced or rewritten file.
struct file_look {
    std::string path;
    int error = 0;  // errno of stat, 0 when it exists
    std::uint64_t device = 0;
    std::uint64_t inode = 0;
    std::int64_t size = 0;
    std::int64_t modified_ns = 0;
    std::int64_t changed_ns = 0;

    bool operator==(const file_look&) const = default;
};

file_look look_at(const std::string& path) {
    file_look f;
    f.path = path;
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) {  // follows symbolic links: the certificate they name
        f.error = errno;
        return f;
    }
    f.device = static_cast<std::uint64_t>(st.st_dev);
    f.inode = static_cast<std::uint64_t>(st.st_ino);
    f.size = static_cast<std::int64_t>(st.st_size);
    f.modified_ns = static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
    f.changed_ns = static_cast<std::int64_t>(st.st_ctim.tv_sec) * 1'000'000'000 + st.st_ctim.tv_nsec;
    return f;
}

// A directory and every entry in it, in name order (the build loads each file of it).
void look_at_directory(const std::string& dir, std::vector<file_look>& out) {
    out.push_back(look_at(dir));
    std::error_code ec;
    std::vector<std::string> names;
    for (std::filesystem::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec))
        names.push_back(it->path().string());
    std::sort(names.begin(), names.end());
    for (const auto& name : names)
        out.push_back(look_at(name));
}

// Everything that goes into a client context (context.cpp's make_client_context_in).
// insecure_skip_verify is set on the session today; it is part of the key anyway so that an
// insecure connection and a verifying one never share a context, whatever a later change puts on it.
struct context_settings {
    bool use_system_ca = true;
    std::string ca_file, ca_dir, cert_file, key_file;
    bool insecure_skip_verify = false;
    tls_version min_version = tls_version::tls1_2;
    detail::ca_environment environment;

    bool operator==(const context_settings&) const = default;
};

context_settings settings_of(const tls_options& o, detail::ca_environment env) {
    context_settings s;
    s.use_system_ca = o.use_system_ca;
    s.ca_file = o.ca_file;
    s.ca_dir = o.ca_dir;
    s.cert_file = o.cert_file;
    s.key_file = o.key_file;
    s.insecure_skip_verify = o.insecure_skip_verify;
    s.min_version = o.min_version;
    s.environment = std::move(env);
    return s;
}

// The files a build with `s` reads, as they look now.
std::vector<file_look> files_of(const context_settings& s) {
    std::vector<file_look> files;
    if (s.use_system_ca) {
        files.push_back(look_at(s.environment.cert_file.empty() ? std::string(system_ca_bundle) : s.environment.cert_file));
        const std::string& dirs = s.environment.cert_dir;
        for (std::size_t at = 0; at <= dirs.size();) {
            const auto colon = std::min(dirs.find(':', at), dirs.size());
            if (colon > at)
                look_at_directory(dirs.substr(at, colon - at), files);
            at = colon + 1;
        }
    }
    for (const std::string* path : {&s.ca_file, &s.cert_file, &s.key_file})
        if (!path->empty())
            files.push_back(look_at(*path));
    if (!s.ca_dir.empty())
        look_at_directory(s.ca_dir, files);
    return files;
}

struct entry {
    context_settings settings;
    std::vector<file_look> files;
    std::shared_ptr<boost::asio::ssl::context> context;
    clock::time_point built;
    std::uint64_t last_used = 0;  // a tick of the cache's use counter: the smallest goes first
};

class context_cache {
public:
    detail::shared_client_context get(const tls_options& options) {
        auto settings = settings_of(options, detail::ca_environment::from_process());
        auto files = files_of(settings);
        const auto timeout = options.context_cache_timeout;
        if (timeout > clock::duration::zero()) {
            std::lock_guard lock(mutex_);
            const auto now = clock::now();
            auto it = find(settings);
            if (it != entries_.end()) {
                if (it->files == files && now - it->built < timeout) {
                    it->last_used = ++ticks_;
                    ++reuses_;
                    return {it->context, {}};
                }
                entries_.erase(it);  // expired, or its files changed: never valid again
            }
        }

        // Built outside the lock: other connections go on meanwhile. Two first connections with the
        // same settings may both build; the first one kept wins.
        auto made = detail::make_client_context_in(options, settings.environment);
        std::lock_guard lock(mutex_);
        ++builds_;
        if (!made)
            return {nullptr, std::move(made)};
        auto context = std::make_shared<boost::asio::ssl::context>(std::move(*made.context));
        if (timeout <= clock::duration::zero())
            return {std::move(context), {}};
        if (auto it = find(settings); it != entries_.end()) {
            if (it->files == files) {
                it->last_used = ++ticks_;
                return {it->context, {}};
            }
            entries_.erase(it);
        }
        if (entries_.size() >= detail::client_context_cache_capacity)
            entries_.erase(std::min_element(entries_.begin(), entries_.end(),
                                            [](const entry& a, const entry& b) { return a.last_used < b.last_used; }));
        entries_.push_back(entry{std::move(settings), std::move(files), context, clock::now(), ++ticks_});
        return {std::move(context), {}};
    }

    void clear() {
        std::lock_guard lock(mutex_);
        entries_.clear();
    }

    detail::client_context_cache_stats stats() {
        std::lock_guard lock(mutex_);
        return {builds_, reuses_, entries_.size()};
    }

private:
    std::vector<entry>::iterator find(const context_settings& s) {
        return std::find_if(entries_.begin(), entries_.end(), [&](const entry& e) { return e.settings == s; });
    }

    std::mutex mutex_;
    std::vector<entry> entries_;  // at most client_context_cache_capacity, one per settings
    std::uint64_t ticks_ = 0;
    std::uint64_t builds_ = 0;
    std::uint64_t reuses_ = 0;
};

// Never destroyed: connections on other threads may still look contexts up while the process ends
// (the contexts themselves live on in the connections holding them).
context_cache& the_cache() {
    static auto* cache = new context_cache;
    return *cache;
}

} // namespace

void clear_tls_context_cache() { the_cache().clear(); }

namespace detail {

shared_client_context client_context_for(const tls_options& options) { return the_cache().get(options); }

client_context_cache_stats client_context_cache_statistics() { return the_cache().stats(); }

} // namespace detail

} // namespace burrow
