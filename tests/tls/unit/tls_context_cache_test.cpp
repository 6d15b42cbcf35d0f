// connect()'s client contexts are kept for reuse (tls_options::context_cache_timeout): the same
// settings and files give the same context, any difference in what goes into the context (or a
// rewritten file, or an expired entry) gives a new one, failures are never kept, and connections
// from two threads share one context. Observed through detail::client_context_cache_statistics
// and the contexts' identity, never through timing.
#include <burrow/asio/connect.hpp>
#include <burrow/asio/tls.hpp>

#include "asio_run.hpp"
#include "tls_peers.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <thread>
#include <vector>

using namespace burrow;
using namespace burrow::test;
using namespace std::chrono_literals;
namespace asio = boost::asio;

namespace {

struct attempt {
    bool ok = false;
    bool echoed = false;
    connect_phase phase = connect_phase::open;
    boost::system::error_code ec;
    std::string message;
};

// An https:// proxy's side of one connection: TLS with the "proxy" certificate, then CONNECT.
asio::awaitable<void> https_proxy_session(tcp::socket sock, ssl::context& ctx) {
    ssl::stream<tcp::socket> s(std::move(sock), ctx);
    if (!co_await co_tls_accept(s))
        co_return;
    std::string request;
    co_await tls_connect_proxy(s, "HTTP/1.1 200 Connection established\r\n\r\n", request);
}

// `count` connect()s in a row with `options` to a wss echo server on 127.0.0.1 (the test CA's
// "server" certificate), each sending one message and closing; with `via_https_proxy`, through
// an https:// proxy on 127.0.0.1 (the "proxy" certificate of proxy-ca).
std::vector<attempt> connect_times(int count, connect_options options, bool via_https_proxy = false) {
    std::vector<attempt> out;
    run([&](asio::io_context& io) -> asio::awaitable<void> {
        auto server_ctx = tls_context_or_throw(make_server_context(tls_server_options("server")));
        auto proxy_ctx = tls_context_or_throw(make_server_context(tls_server_options("proxy")));
        auto acceptor = tls_listen(io);
        auto proxy_acceptor = tls_listen(io);
        asio::co_spawn(io, [&]() -> asio::awaitable<void> {
            for (;;) {
                tls_result seen;
                co_await tls_wss_echo_once(acceptor, server_ctx, seen);
            }
        }, asio::detached);
        if (via_https_proxy) {
            options.proxy = "https://localhost:" + std::to_string(tls_port(proxy_acceptor));
            options.proxy_tls = tls_client_options("proxy-ca");
            asio::co_spawn(io, [&]() -> asio::awaitable<void> {
                for (;;) {
                    auto sock = co_await proxy_acceptor.async_accept(asio::use_awaitable);
                    asio::co_spawn(io, https_proxy_session(std::move(sock), proxy_ctx), asio::detached);
                }
            }, asio::detached);
        }
        const std::string url = "wss://localhost:" + std::to_string(tls_port(acceptor)) + "/";
        for (int i = 0; i < count; ++i) {
            attempt a;
            auto ws = co_await burrow::connect(url, options);
            a.ok = ws.ok();
            a.phase = ws.error().phase;
            a.ec = ws.error().ec;
            a.message = ws.error_message();
            if (ws) {
                EXPECT_FALSE(co_await ws.co_write_text("cached?"));
                auto msg = co_await ws.co_read();
                a.echoed = msg && msg->data == "cached?";
                co_await ws.co_close();
            }
            out.push_back(std::move(a));
        }
    }, 60s);
    return out;
}

connect_options wss_options() {
    connect_options o;
    o.use_environment = false;
    o.tls = tls_client_options("ca");
    return o;
}

// A copy of the test CA in a file of its own (removed at the end of the test).
struct ca_copy {
    std::filesystem::path path;
    explicit ca_copy(const std::string& name) {
        path = std::filesystem::path(tls_cert_dir()) / (name + ".pem");
        std::filesystem::copy_file(tls_file("ca"), path, std::filesystem::copy_options::overwrite_existing);
    }
    ~ca_copy() {
        std::error_code ignored;
        std::filesystem::remove(path, ignored);
    }
};

detail::client_context_cache_stats stats() { return detail::client_context_cache_statistics(); }

} // namespace

TEST(tls_context_cache, the_second_connect_with_the_same_options_reuses_the_context) {
    clear_tls_context_cache();
    const auto before = stats();
    const auto results = connect_times(3, wss_options());
    ASSERT_EQ(results.size(), 3u);
    for (const auto& r : results) {
        EXPECT_TRUE(r.ok) << r.message;
        EXPECT_TRUE(r.echoed);
    }
    const auto after = stats();
    EXPECT_EQ(after.builds - before.builds, 1u);
    EXPECT_EQ(after.reuses - before.reuses, 2u);
    EXPECT_EQ(after.entries, 1u);
}

TEST(tls_context_cache, connects_through_an_https_proxy_reuse_both_contexts) {
    clear_tls_context_cache();
    const auto before = stats();
    const auto results = connect_times(3, wss_options(), true);
    ASSERT_EQ(results.size(), 3u);
    for (const auto& r : results) {
        EXPECT_TRUE(r.ok) << r.message;
        EXPECT_TRUE(r.echoed);
    }
    const auto after = stats();
    EXPECT_EQ(after.builds - before.builds, 2u);  // the proxy's and the server's
    EXPECT_EQ(after.reuses - before.reuses, 4u);
    EXPECT_EQ(after.entries, 2u);
}

TEST(tls_context_cache, the_same_settings_give_the_same_context_and_per_session_settings_do_not_matter) {
    clear_tls_context_cache();
    auto o = tls_client_options("ca");
    const auto first = detail::client_context_for(o);
    ASSERT_TRUE(first.context) << first.failure.message();
    o.server_name = "another.name";       // per session
    o.alpn = {"h2"};                      // per session
    o.handshake_timeout = 1s;             // per session
    const auto second = detail::client_context_for(o);
    EXPECT_EQ(second.context, first.context);
}

TEST(tls_context_cache, each_setting_of_the_context_gives_a_context_of_its_own) {
    clear_tls_context_cache();
    const auto base_options = tls_client_options("ca");
    const auto base = detail::client_context_for(base_options);
    ASSERT_TRUE(base.context) << base.failure.message();

    std::vector<tls_options> variants;
    variants.push_back(tls_client_options("proxy-ca"));  // another ca_file
    auto insecure = base_options;
    insecure.insecure_skip_verify = true;
    variants.push_back(insecure);
    auto with_client_cert = base_options;
    with_client_cert.cert_file = tls_file("client");
    with_client_cert.key_file = tls_file("client.key");
    variants.push_back(with_client_cert);
    auto tls13 = base_options;
    tls13.min_version = tls_version::tls1_3;
    variants.push_back(tls13);
    auto system_too = base_options;
    system_too.use_system_ca = true;
    variants.push_back(system_too);
    auto with_dir = base_options;
    with_dir.ca_dir = tls_cert_dir();
    variants.push_back(with_dir);

    std::set<const void*> seen{base.context.get()};
    for (const auto& v : variants) {
        const auto made = detail::client_context_for(v);
        ASSERT_TRUE(made.context) << made.failure.message();
        EXPECT_TRUE(seen.insert(made.context.get()).second) << "a context shared by different settings";
        // Asked again, each variant gets its own context back.
        EXPECT_EQ(detail::client_context_for(v).context, made.context);
    }
    EXPECT_EQ(detail::client_context_for(base_options).context, base.context);
    EXPECT_EQ(stats().entries, 1 + variants.size());
}

TEST(tls_context_cache, a_rewritten_ca_file_makes_the_next_connect_build_a_new_context) {
    clear_tls_context_cache();
    const ca_copy ca("rotating-ca");
    auto o = wss_options();
    o.tls.ca_file = ca.path.string();
    const auto first = detail::client_context_for(o.tls);
    ASSERT_TRUE(first.context);
    ASSERT_EQ(detail::client_context_for(o.tls).context, first.context);

    // The same certificate written again (a rotation that keeps the size): only the time differs.
    std::filesystem::copy_file(tls_file("ca"), ca.path, std::filesystem::copy_options::overwrite_existing);
    std::filesystem::last_write_time(ca.path, std::filesystem::last_write_time(ca.path) + 2s);
    const auto before = stats();
    const auto results = connect_times(2, o);
    ASSERT_EQ(results.size(), 2u);
    EXPECT_TRUE(results[0].ok) << results[0].message;
    EXPECT_TRUE(results[1].ok) << results[1].message;
    const auto after = stats();
    EXPECT_EQ(after.builds - before.builds, 1u) << "the rewritten file was not noticed";
    EXPECT_EQ(after.reuses - before.reuses, 1u);
    EXPECT_NE(detail::client_context_for(o.tls).context, first.context);
    EXPECT_EQ(after.entries, 1u) << "the stale context is replaced, not kept beside the new one";
}

TEST(tls_context_cache, a_ca_file_replaced_by_another_one_is_trusted_at_the_next_connect) {
    clear_tls_context_cache();
    const ca_copy ca("replaced-ca");
    auto o = wss_options();
    o.tls.ca_file = ca.path.string();
    std::filesystem::copy_file(tls_file("proxy-ca"), ca.path, std::filesystem::copy_options::overwrite_existing);
    auto results = connect_times(1, o);
    ASSERT_EQ(results.size(), 1u);
    EXPECT_FALSE(results[0].ok) << "the server's certificate is not issued by proxy-ca";
    EXPECT_EQ(results[0].ec, make_error_code(error::tls_unknown_issuer)) << results[0].message;

    // Replaced by the right CA (another inode, as tools that write a new file and rename it do).
    const auto fresh = ca.path.string() + ".new";
    std::filesystem::copy_file(tls_file("ca"), fresh, std::filesystem::copy_options::overwrite_existing);
    std::filesystem::rename(fresh, ca.path);
    results = connect_times(1, o);
    ASSERT_EQ(results.size(), 1u);
    EXPECT_TRUE(results[0].ok) << results[0].message;
}

TEST(tls_context_cache, a_timeout_of_zero_never_keeps_a_context) {
    clear_tls_context_cache();
    auto o = wss_options();
    o.tls.context_cache_timeout = std::chrono::steady_clock::duration::zero();
    const auto before = stats();
    const auto results = connect_times(2, o);
    ASSERT_EQ(results.size(), 2u);
    EXPECT_TRUE(results[0].ok) << results[0].message;
    EXPECT_TRUE(results[1].ok) << results[1].message;
    const auto after = stats();
    EXPECT_EQ(after.builds - before.builds, 2u);
    EXPECT_EQ(after.reuses - before.reuses, 0u);
    EXPECT_EQ(after.entries, 0u);
    const auto a = detail::client_context_for(o.tls);
    const auto b = detail::client_context_for(o.tls);
    ASSERT_TRUE(a.context && b.context);
    EXPECT_NE(a.context, b.context);
}

TEST(tls_context_cache, an_expired_context_is_built_again) {
    clear_tls_context_cache();
    auto o = tls_client_options("ca");
    o.context_cache_timeout = 2s;  // long enough for two calls in a row on a busy machine
    const auto first = detail::client_context_for(o);
    ASSERT_TRUE(first.context);
    EXPECT_EQ(detail::client_context_for(o).context, first.context);
    std::this_thread::sleep_for(2500ms);
    const auto later = detail::client_context_for(o);
    ASSERT_TRUE(later.context);
    EXPECT_NE(later.context, first.context);
    EXPECT_EQ(stats().entries, 1u);
}

TEST(tls_context_cache, a_bad_ca_file_fails_every_time_with_the_same_error) {
    clear_tls_context_cache();
    auto o = wss_options();
    o.tls.ca_file = tls_cert_dir() + "/no-such-ca.pem";
    const auto before = stats();
    const auto results = connect_times(2, o);
    ASSERT_EQ(results.size(), 2u);
    for (const auto& r : results) {
        EXPECT_FALSE(r.ok);
        EXPECT_EQ(r.phase, connect_phase::tls);
        EXPECT_EQ(r.ec, make_error_code(error::tls_bad_configuration));
        EXPECT_NE(r.message.find("no-such-ca.pem: cannot read"), std::string::npos) << r.message;
    }
    EXPECT_EQ(results[0].message, results[1].message);
    const auto after = stats();
    EXPECT_EQ(after.builds - before.builds, 2u) << "a failure was kept instead of tried again";
    EXPECT_EQ(after.entries, 0u);

    // Once the file exists, the next connect() uses it.
    const ca_copy ca("no-such-ca");
    const auto fixed = connect_times(1, o);
    ASSERT_EQ(fixed.size(), 1u);
    EXPECT_TRUE(fixed[0].ok) << fixed[0].message;
}

TEST(tls_context_cache, at_most_the_capacity_is_kept_and_the_least_recently_used_goes) {
    clear_tls_context_cache();
    std::vector<std::unique_ptr<ca_copy>> files;
    std::vector<std::shared_ptr<asio::ssl::context>> contexts;
    auto options_for = [&](std::size_t i) {
        auto o = tls_client_options("ca");
        o.ca_file = files[i]->path.string();
        return o;
    };
    const std::size_t n = detail::client_context_cache_capacity;
    for (std::size_t i = 0; i <= n; ++i)
        files.push_back(std::make_unique<ca_copy>("lru-" + std::to_string(i)));
    for (std::size_t i = 0; i < n; ++i) {
        auto made = detail::client_context_for(options_for(i));
        ASSERT_TRUE(made.context) << made.failure.message();
        contexts.push_back(made.context);
    }
    EXPECT_EQ(stats().entries, n);
    EXPECT_EQ(detail::client_context_for(options_for(0)).context, contexts[0]);  // 0 used last; 1 is oldest
    ASSERT_TRUE(detail::client_context_for(options_for(n)).context);
    EXPECT_EQ(stats().entries, n);
    EXPECT_EQ(detail::client_context_for(options_for(0)).context, contexts[0]) << "the recently used one was dropped";
    EXPECT_NE(detail::client_context_for(options_for(1)).context, contexts[1]) << "the least recently used one was kept";
}

TEST(tls_context_cache, clear_forgets_every_context) {
    clear_tls_context_cache();
    const auto o = tls_client_options("ca");
    const auto first = detail::client_context_for(o);
    ASSERT_TRUE(first.context);
    clear_tls_context_cache();
    EXPECT_EQ(stats().entries, 0u);
    EXPECT_NE(detail::client_context_for(o).context, first.context);
}

TEST(tls_context_cache, connects_from_two_threads_share_one_context) {
    clear_tls_context_cache();
    const auto before = stats();
    constexpr int per_thread = 4;
    std::vector<attempt> results[2];
    {
        std::vector<std::thread> threads;
        for (auto& r : results)
            threads.emplace_back([&r] { r = connect_times(per_thread, wss_options()); });
        for (auto& t : threads)
            t.join();
    }
    for (const auto& per : results) {
        ASSERT_EQ(per.size(), static_cast<std::size_t>(per_thread));
        for (const auto& r : per) {
            EXPECT_TRUE(r.ok) << r.message;
            EXPECT_TRUE(r.echoed);
        }
    }
    const auto after = stats();
    // The first connection of each thread may both build (the builds run outside the lock); the
    // rest reuse the one kept.
    EXPECT_LE(after.builds - before.builds, 2u);
    EXPECT_GE(after.reuses - before.reuses, 2u * per_thread - 2);
    EXPECT_EQ(after.entries, 1u);
}
