#include <burrow/proxy/socks5.hpp>

#include "test_bytes.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

using namespace burrow;
using namespace burrow::proxy;
using burrow::test::bytes;
using burrow::test::concat;
using burrow::test::from_hex;
using burrow::test::to_bytes;

namespace {

// How the scripted driver hands received bytes to the machine.
enum class delivery {
    into_buffer, // reads into the action's buffer and passes that span back (zero copy)
    own_buffer,  // reads into a buffer of its own and passes that (the machine copies)
};

// What a driver saw while running the machine against a scripted server.
struct run_result {
    std::vector<bytes> writes;                         // every write action, in order
    std::vector<std::size_t> reads;                    // the size of every read action, in order
    socks5_action_kind end = socks5_action_kind::read; // read: the script ran out first
    error err{};
    std::size_t consumed = 0; // bytes of the script the driver read
    socks5_target bound;      // after done; its `name` is cleared (it views the machine)
    std::string bound_name;   // after done: a copy of bound().name
};

// A driver loop as an Asio coroutine would run it: write every byte asked, read at most what is
// asked (here at most `chunk` bytes per read, to model short reads), stop at done, error, or when
// the server's bytes run out (end of stream).
run_result run(socks5_client& client, const bytes& server,
               std::size_t chunk = std::numeric_limits<std::size_t>::max(),
               delivery how = delivery::into_buffer) {
    run_result out;
    std::size_t pos = 0;
    socks5_action a = client.resume({});
    for (int guard = 0; guard < 10000; ++guard) {
        if (a.kind == socks5_action_kind::write) {
            out.writes.emplace_back(a.data.begin(), a.data.end());
            a = client.resume({});
        } else if (a.kind == socks5_action_kind::read) {
            out.reads.push_back(a.buffer.size());
            EXPECT_GT(a.buffer.size(), 0u) << "a read must ask for at least one byte";
            const std::size_t n = std::min({a.buffer.size(), chunk, server.size() - pos});
            if (n == 0)
                break; // end of stream while the machine wants more: a driver reports proxy_closed
            if (how == delivery::into_buffer) {
                std::memcpy(a.buffer.data(), server.data() + pos, n);
                pos += n;
                a = client.resume(a.buffer.first(n));
            } else {
                const bytes received(server.begin() + static_cast<std::ptrdiff_t>(pos),
                                     server.begin() + static_cast<std::ptrdiff_t>(pos + n));
                pos += n;
                a = client.resume(received);
            }
        } else {
            break;
        }
    }
    out.end = a.kind;
    out.err = a.err;
    out.consumed = pos;
    if (a.kind == socks5_action_kind::done) {
        out.bound = client.bound();
        out.bound_name = out.bound.name;
        out.bound.name = {};
    }
    return out;
}

run_result run(const socks5_target& target, std::optional<socks5_credentials> creds, const bytes& server,
               std::size_t chunk = std::numeric_limits<std::size_t>::max(),
               delivery how = delivery::into_buffer) {
    socks5_client client(target, creds);
    return run(client, server, chunk, how);
}

// Runs the same script whole, then in every chunk size from 1 byte up and with both delivery modes,
// and checks that every run behaves like the whole one (same writes, same outcome, same bytes
// consumed on success). Returns the whole run.
run_result run_all_ways(const socks5_target& target, std::optional<socks5_credentials> creds,
                        const bytes& server) {
    const run_result whole = run(target, creds, server);
    for (const delivery how : {delivery::into_buffer, delivery::own_buffer}) {
        for (std::size_t chunk = 1; chunk <= 20; ++chunk) {
            const run_result r = run(target, creds, server, chunk, how);
            EXPECT_EQ(r.writes, whole.writes) << "chunk " << chunk;
            EXPECT_EQ(r.end, whole.end) << "chunk " << chunk;
            EXPECT_EQ(r.err, whole.err) << "chunk " << chunk;
            // Errors are reported at the first offending byte, so short reads may stop earlier.
            if (whole.end == socks5_action_kind::done)
                EXPECT_EQ(r.consumed, whole.consumed) << "chunk " << chunk;
            else
                EXPECT_LE(r.consumed, whole.consumed) << "chunk " << chunk;
            EXPECT_EQ(r.bound, whole.bound) << "chunk " << chunk;
            EXPECT_EQ(r.bound_name, whole.bound_name) << "chunk " << chunk;
        }
    }
    return whole;
}

const socks5_target example_v4 = socks5_target::ipv4({93, 184, 216, 34}, 443);
const socks5_credentials alice{"alice", "s3cret"};

// Replies as the servers of proxy-recipes §7 send them.
const bytes method_none = from_hex("05 00");
const bytes method_password = from_hex("05 02");
const bytes auth_ok = from_hex("01 00");
const bytes microsocks_ok = from_hex("05 00 00 01 00000000 0000");
const bytes dante_ok = from_hex("05 00 00 01 7f000001 1f90"); // BND 127.0.0.1:8080

std::string repeat(char c, std::size_t n) {
    return std::string(n, c);
}

// ---- successful exchanges, exact bytes on the wire ------------------------------------------

TEST(socks5, no_auth_ipv4) {
    const auto r = run_all_ways(example_v4, std::nullopt, concat({method_none, dante_ok}));
    ASSERT_EQ(r.end, socks5_action_kind::done);
    ASSERT_EQ(r.writes.size(), 2u);
    EXPECT_EQ(r.writes[0], from_hex("05 01 00"));
    EXPECT_EQ(r.writes[1], from_hex("05 01 00 01 5db8d822 01bb"));
    EXPECT_EQ(r.reads, (std::vector<std::size_t>{2, 5, 5}));
    EXPECT_EQ(r.bound, socks5_target::ipv4({127, 0, 0, 1}, 8080));
}

TEST(socks5, no_auth_ipv6) {
    const auto target = socks5_target::ipv6({0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}, 80);
    const bytes reply = from_hex("05 00 00 04 fe800000000000000000000000000002 04d2");
    const auto r = run_all_ways(target, std::nullopt, concat({method_none, reply}));
    ASSERT_EQ(r.end, socks5_action_kind::done);
    ASSERT_EQ(r.writes.size(), 2u);
    EXPECT_EQ(r.writes[0], from_hex("05 01 00"));
    EXPECT_EQ(r.writes[1], from_hex("05 01 00 04 20010db8000000000000000000000001 0050"));
    // The second step of the reply asks for the other 15 address bytes plus the port.
    EXPECT_EQ(r.reads, (std::vector<std::size_t>{2, 5, 17}));
    EXPECT_EQ(r.bound, socks5_target::ipv6({0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2}, 1234));
}

TEST(socks5, no_auth_domain) {
    const auto r = run_all_ways(socks5_target::domain("echo.example", 80), std::nullopt,
                                concat({method_none, microsocks_ok}));
    ASSERT_EQ(r.end, socks5_action_kind::done);
    ASSERT_EQ(r.writes.size(), 2u);
    EXPECT_EQ(r.writes[0], from_hex("05 01 00"));
    EXPECT_EQ(r.writes[1], concat({from_hex("05 01 00 03 0c"), to_bytes("echo.example"), from_hex("00 50")}));
}

TEST(socks5, domain_is_copied_by_the_constructor) {
    std::string host = "echo.example";
    socks5_client client(socks5_target::domain(host, 80));
    std::fill(host.begin(), host.end(), 'X'); // the caller's string may change or die now
    const auto r = run(client, concat({method_none, microsocks_ok}));
    ASSERT_EQ(r.end, socks5_action_kind::done);
    EXPECT_EQ(r.writes[1], concat({from_hex("05 01 00 03 0c"), to_bytes("echo.example"), from_hex("00 50")}));
}

TEST(socks5, username_password) {
    const auto r = run_all_ways(socks5_target::domain("echo.example", 443), alice,
                                concat({method_password, auth_ok, dante_ok}));
    ASSERT_EQ(r.end, socks5_action_kind::done);
    ASSERT_EQ(r.writes.size(), 3u);
    EXPECT_EQ(r.writes[0], from_hex("05 02 00 02"));
    EXPECT_EQ(r.writes[1],
              concat({from_hex("01 05"), to_bytes("alice"), from_hex("06"), to_bytes("s3cret")}));
    EXPECT_EQ(r.writes[2], concat({from_hex("05 01 00 03 0c"), to_bytes("echo.example"), from_hex("01 bb")}));
    EXPECT_EQ(r.reads, (std::vector<std::size_t>{2, 2, 5, 5}));
}

TEST(socks5, credentials_are_copied_by_the_constructor) {
    std::string user = "alice";
    std::string pass = "s3cret";
    socks5_client client(example_v4, socks5_credentials{user, pass});
    user.assign(5, 'X');
    pass.assign(6, 'Y');
    const auto r = run(client, concat({method_password, auth_ok, dante_ok}));
    ASSERT_EQ(r.end, socks5_action_kind::done);
    EXPECT_EQ(r.writes[1],
              concat({from_hex("01 05"), to_bytes("alice"), from_hex("06"), to_bytes("s3cret")}));
}

TEST(socks5, server_picks_no_auth_although_credentials_were_offered) {
    const auto r = run_all_ways(example_v4, alice, concat({method_none, dante_ok}));
    ASSERT_EQ(r.end, socks5_action_kind::done);
    ASSERT_EQ(r.writes.size(), 2u);
    EXPECT_EQ(r.writes[0], from_hex("05 02 00 02"));
    EXPECT_EQ(r.writes[1], from_hex("05 01 00 01 5db8d822 01bb")); // no RFC 1929 request
}

TEST(socks5, bound_domain_address) {
    const bytes reply = concat({from_hex("05 00 00 03 09"), to_bytes("proxy.lan"), from_hex("1f90")});
    const auto r = run_all_ways(example_v4, std::nullopt, concat({method_none, reply}));
    ASSERT_EQ(r.end, socks5_action_kind::done);
    EXPECT_EQ(r.reads, (std::vector<std::size_t>{2, 5, 11}));
    EXPECT_EQ(r.bound.type, socks5_address_type::domain);
    EXPECT_EQ(r.bound_name, "proxy.lan");
    EXPECT_EQ(r.bound.port, 8080);
}

TEST(socks5, bound_empty_domain_address) {
    // Odd but harmless: a zero-length BND.ADDR name; only the port follows.
    const auto r =
        run_all_ways(example_v4, std::nullopt, concat({method_none, from_hex("05 00 00 03 00 0050")}));
    ASSERT_EQ(r.end, socks5_action_kind::done);
    EXPECT_EQ(r.reads, (std::vector<std::size_t>{2, 5, 2}));
    EXPECT_EQ(r.bound_name, "");
    EXPECT_EQ(r.bound.port, 80);
}

TEST(socks5, bound_longest_domain_address) {
    const std::string name = repeat('b', 255);
    const bytes reply = concat({from_hex("05 00 00 03 ff"), to_bytes(name), from_hex("0050")});
    const auto r = run_all_ways(example_v4, std::nullopt, concat({method_none, reply}));
    ASSERT_EQ(r.end, socks5_action_kind::done);
    EXPECT_EQ(r.reads, (std::vector<std::size_t>{2, 5, 257}));
    EXPECT_EQ(r.bound_name, name);
}

// ---- real servers (proxy-recipes §7) ---------------------------------------------------------

TEST(socks5, microsocks_no_auth) {
    const auto r = run_all_ways(socks5_target::domain("localhost", 9000), std::nullopt,
                                concat({method_none, microsocks_ok}));
    ASSERT_EQ(r.end, socks5_action_kind::done);
    EXPECT_EQ(r.bound, socks5_target::ipv4({0, 0, 0, 0}, 0));
}

TEST(socks5, microsocks_username_password) {
    const auto r = run_all_ways(example_v4, alice, concat({method_password, auth_ok, microsocks_ok}));
    ASSERT_EQ(r.end, socks5_action_kind::done);
    EXPECT_EQ(r.bound, socks5_target::ipv4({0, 0, 0, 0}, 0));
}

TEST(socks5, microsocks_bad_password) {
    const auto r = run_all_ways(example_v4, alice, concat({method_password, from_hex("01 02")}));
    EXPECT_EQ(r.end, socks5_action_kind::error);
    EXPECT_EQ(r.err, error::socks_auth_failed);
    EXPECT_EQ(r.writes.size(), 2u); // greeting, auth request; never the CONNECT request
}

TEST(socks5, microsocks_refused) {
    const auto r =
        run_all_ways(example_v4, std::nullopt, concat({method_none, from_hex("05 05 00 01 00000000 0000")}));
    EXPECT_EQ(r.err, error::socks_connection_refused);
}

TEST(socks5, microsocks_requires_auth_and_we_have_none) {
    const auto r = run_all_ways(example_v4, std::nullopt, from_hex("05 ff"));
    EXPECT_EQ(r.end, socks5_action_kind::error);
    EXPECT_EQ(r.err, error::socks_no_acceptable_method);
}

TEST(socks5, dante_no_auth) {
    const auto r = run_all_ways(example_v4, std::nullopt, concat({method_none, dante_ok}));
    ASSERT_EQ(r.end, socks5_action_kind::done);
    EXPECT_EQ(r.bound, socks5_target::ipv4({127, 0, 0, 1}, 8080));
}

TEST(socks5, dante_ruleset_denied) {
    const auto r =
        run_all_ways(example_v4, std::nullopt, concat({method_none, from_hex("05 02 00 01 7f000002 1f90")}));
    EXPECT_EQ(r.err, error::socks_not_allowed);
}

TEST(socks5, dante_bad_password) {
    const auto r = run_all_ways(example_v4, alice, concat({method_password, from_hex("01 01")}));
    EXPECT_EQ(r.err, error::socks_auth_failed);
}

TEST(socks5, dante_accepts_none_of_our_methods) {
    const auto r = run_all_ways(example_v4, alice, from_hex("05 ff"));
    EXPECT_EQ(r.err, error::socks_no_acceptable_method);
}

// ---- reply codes -----------------------------------------------------------------------------

TEST(socks5, each_reply_code_has_its_error) {
    const error expected[] = {
        error::socks_general_failure,       error::socks_not_allowed,
        error::socks_network_unreachable,   error::socks_host_unreachable,
        error::socks_connection_refused,    error::socks_ttl_expired,
        error::socks_command_not_supported, error::socks_address_not_supported,
    };
    for (int rep = 1; rep <= 8; ++rep) {
        bytes reply = dante_ok;
        reply[1] = static_cast<std::byte>(rep);
        const auto r = run_all_ways(example_v4, std::nullopt, concat({method_none, reply}));
        EXPECT_EQ(r.end, socks5_action_kind::error) << "REP " << rep;
        EXPECT_EQ(r.err, expected[rep - 1]) << "REP " << rep;
    }
}

TEST(socks5, undefined_reply_codes) {
    for (int rep : {0x09, 0x10, 0x7f, 0xff}) {
        bytes reply = dante_ok;
        reply[1] = static_cast<std::byte>(rep);
        const auto r = run_all_ways(example_v4, std::nullopt, concat({method_none, reply}));
        EXPECT_EQ(r.err, error::socks_unknown_reply) << "REP " << rep;
    }
}

TEST(socks5, refusal_is_reported_before_the_whole_reply_arrives) {
    // A server that sends VER REP and closes: the code is known, so it is what the user sees,
    // not "connection closed".
    const auto r = run_all_ways(example_v4, std::nullopt, from_hex("05 00 05 05"));
    EXPECT_EQ(r.end, socks5_action_kind::error);
    EXPECT_EQ(r.err, error::socks_connection_refused);
    EXPECT_EQ(r.consumed, 4u);
}

TEST(socks5, reserved_byte_is_ignored) {
    const auto r =
        run_all_ways(example_v4, std::nullopt, concat({method_none, from_hex("05 00 ff 01 7f000001 1f90")}));
    EXPECT_EQ(r.end, socks5_action_kind::done);
}

// ---- malformed replies -----------------------------------------------------------------------

TEST(socks5, method_reply_with_wrong_version) {
    for (const char* hex : {"04 00", "00 00", "01 00", "ff ff"}) {
        const auto r = run_all_ways(example_v4, alice, from_hex(hex));
        EXPECT_EQ(r.err, error::socks_malformed_reply) << hex;
        EXPECT_EQ(r.writes.size(), 1u) << hex;
    }
}

TEST(socks5, wrong_version_is_reported_at_the_first_byte) {
    const auto r = run(example_v4, std::nullopt, from_hex("04"));
    EXPECT_EQ(r.end, socks5_action_kind::error);
    EXPECT_EQ(r.err, error::socks_malformed_reply);
}

TEST(socks5, method_we_did_not_offer) {
    // 0x02 without credentials: we offered only 0x00.
    EXPECT_EQ(run_all_ways(example_v4, std::nullopt, from_hex("05 02")).err, error::socks_malformed_reply);
    // GSSAPI, CHAP, private methods: never offered.
    for (const char* hex : {"05 01", "05 03", "05 80", "05 fe"}) {
        EXPECT_EQ(run_all_ways(example_v4, std::nullopt, from_hex(hex)).err, error::socks_malformed_reply)
            << hex;
        EXPECT_EQ(run_all_ways(example_v4, alice, from_hex(hex)).err, error::socks_malformed_reply) << hex;
    }
}

TEST(socks5, auth_reply_with_wrong_version) {
    // RFC 1929 replies carry version 1, not the SOCKS version.
    for (const char* hex : {"05 00", "00 00", "02 00"}) {
        const auto r = run_all_ways(example_v4, alice, concat({method_password, from_hex(hex), dante_ok}));
        EXPECT_EQ(r.err, error::socks_malformed_reply) << hex;
        EXPECT_EQ(r.writes.size(), 2u) << hex;
    }
}

TEST(socks5, auth_status_failures) {
    for (int status : {0x01, 0x02, 0x80, 0xff}) {
        const bytes reply{std::byte{0x01}, static_cast<std::byte>(status)};
        EXPECT_EQ(run_all_ways(example_v4, alice, concat({method_password, reply})).err,
                  error::socks_auth_failed)
            << status;
    }
}

TEST(socks5, connect_reply_with_wrong_version) {
    for (const char* hex :
         {"04 00 00 01 7f000001 1f90", "00 5a 00 01 7f000001 1f90", "01 00 00 01 7f000001 1f90"}) {
        const auto r = run_all_ways(example_v4, std::nullopt, concat({method_none, from_hex(hex)}));
        EXPECT_EQ(r.err, error::socks_malformed_reply) << hex;
    }
}

TEST(socks5, bad_address_type) {
    for (int atyp : {0x00, 0x02, 0x05, 0xff}) {
        bytes reply = dante_ok;
        reply[3] = static_cast<std::byte>(atyp);
        const auto r = run_all_ways(example_v4, std::nullopt, concat({method_none, reply}));
        EXPECT_EQ(r.err, error::socks_malformed_reply) << atyp;
        EXPECT_LE(r.consumed, 2u + 5u) << "nothing is read past the head";
    }
}

TEST(socks5, end_of_stream_mid_reply_leaves_the_machine_asking) {
    // The machine never sees end of stream; it keeps asking, and the driver reports proxy_closed.
    socks5_client client(example_v4);
    const auto r = run(client, concat({method_none, from_hex("05 00 00 01 7f00")}));
    EXPECT_EQ(r.end, socks5_action_kind::read);
    EXPECT_EQ(r.reads.back(), 4u); // 1 of the 5 tail bytes came
}

// ---- length limits ---------------------------------------------------------------------------

TEST(socks5, longest_domain_name) {
    const std::string name = repeat('a', 255);
    const auto r = run(socks5_target::domain(name, 80), std::nullopt, concat({method_none, microsocks_ok}));
    ASSERT_EQ(r.end, socks5_action_kind::done);
    EXPECT_EQ(r.writes[1], concat({from_hex("05 01 00 03 ff"), to_bytes(name), from_hex("00 50")}));
    EXPECT_EQ(r.writes[1].size(), socks5_max_connect_message);
}

TEST(socks5, invalid_lengths_fail_before_anything_is_written) {
    const std::string n255 = repeat('n', 255);
    const std::string n256 = repeat('n', 256);
    struct input {
        socks5_target target;
        std::optional<socks5_credentials> creds;
        const char* what;
    };
    const input cases[] = {
        {socks5_target::domain(n256, 80), std::nullopt, "256-byte name"},
        {socks5_target::domain("", 80), std::nullopt, "empty name"},
        {example_v4, socks5_credentials{n256, "p"}, "256-byte user"},
        {example_v4, socks5_credentials{"u", n256}, "256-byte password"},
        {example_v4, socks5_credentials{"", "p"}, "empty user"},
        {example_v4, socks5_credentials{"u", ""}, "empty password"},
        {socks5_target::domain(n256, 80), socks5_credentials{n255, n255}, "long name, good creds"},
    };
    for (const auto& c : cases) {
        socks5_client client(c.target, c.creds);
        const auto a = client.resume({});
        EXPECT_EQ(a.kind, socks5_action_kind::error) << c.what;
        EXPECT_EQ(a.err, error::socks_name_too_long) << c.what;
        EXPECT_TRUE(a.data.empty()) << c.what;
        EXPECT_EQ(client.resume({}).err, error::socks_name_too_long) << c.what << " (sticky)";
    }
}

TEST(socks5, longest_credentials) {
    const std::string user = repeat('u', 255);
    const std::string pass = repeat('p', 255);
    const auto r =
        run(example_v4, socks5_credentials{user, pass}, concat({method_password, auth_ok, dante_ok}));
    ASSERT_EQ(r.end, socks5_action_kind::done);
    const bytes expected = concat({from_hex("01 ff"), to_bytes(user), from_hex("ff"), to_bytes(pass)});
    EXPECT_EQ(r.writes[1], expected);
    EXPECT_EQ(r.writes[1].size(), socks5_max_auth_request);
}

TEST(socks5, shortest_credentials) {
    const auto r =
        run(example_v4, socks5_credentials{"u", "p"}, concat({method_password, auth_ok, dante_ok}));
    ASSERT_EQ(r.end, socks5_action_kind::done);
    EXPECT_EQ(r.writes[1], from_hex("01 01 75 01 70"));
}

// ---- tunnel bytes are never consumed ---------------------------------------------------------

TEST(socks5, never_reads_past_the_reply) {
    const bytes tunnel = to_bytes("SSH-2.0-banner\r\n\x16\x03\x01"); // the target spoke first
    const bytes replies[] = {
        dante_ok,
        microsocks_ok,
        from_hex("05 00 00 04 00000000000000000000000000000001 0050"),
        concat({from_hex("05 00 00 03 09"), to_bytes("proxy.lan"), from_hex("1f90")}),
        from_hex("05 00 00 03 00 0050"),
    };
    for (const auto& reply : replies) {
        for (const auto& creds : {std::optional<socks5_credentials>{}, std::optional{alice}}) {
            const bytes handshake =
                creds ? concat({method_password, auth_ok, reply}) : concat({method_none, reply});
            const bytes server = concat({handshake, tunnel});
            const auto r = run_all_ways(example_v4, creds, server);
            ASSERT_EQ(r.end, socks5_action_kind::done);
            EXPECT_EQ(r.consumed, handshake.size());
            const bytes left(server.begin() + static_cast<std::ptrdiff_t>(r.consumed), server.end());
            EXPECT_EQ(left, tunnel);
        }
    }
}

// ---- driver contract -------------------------------------------------------------------------

TEST(socks5, bytes_during_a_write_are_a_driver_bug) {
    socks5_client client(example_v4);
    ASSERT_EQ(client.resume({}).kind, socks5_action_kind::write);
    const bytes stray = from_hex("05");
    const auto a = client.resume(stray);
    EXPECT_EQ(a.kind, socks5_action_kind::error);
    EXPECT_EQ(a.err, error::socks_malformed_reply);
}

TEST(socks5, more_bytes_than_asked_are_a_driver_bug) {
    socks5_client client(example_v4);
    ASSERT_EQ(client.resume({}).kind, socks5_action_kind::write);
    const auto read = client.resume({});
    ASSERT_EQ(read.kind, socks5_action_kind::read);
    ASSERT_EQ(read.buffer.size(), 2u);
    const bytes too_much = concat({method_none, from_hex("05")});
    EXPECT_EQ(client.resume(too_much).err, error::socks_malformed_reply);
}

TEST(socks5, empty_input_during_a_read_asks_again) {
    socks5_client client(example_v4);
    client.resume({});
    const auto first = client.resume({});
    const auto again = client.resume({});
    EXPECT_EQ(again.kind, socks5_action_kind::read);
    EXPECT_EQ(again.buffer.data(), first.buffer.data());
    EXPECT_EQ(again.buffer.size(), 2u);
}

TEST(socks5, partial_read_asks_for_exactly_the_rest) {
    socks5_client client(example_v4);
    client.resume({});
    client.resume({});
    auto a = client.resume(method_none); // CONNECT request
    ASSERT_EQ(a.kind, socks5_action_kind::write);
    a = client.resume({});
    ASSERT_EQ(a.buffer.size(), 5u);
    a = client.resume(from_hex("05 00"));
    ASSERT_EQ(a.kind, socks5_action_kind::read);
    EXPECT_EQ(a.buffer.size(), 3u);
    a = client.resume(from_hex("00 01 7f")); // head complete: now the rest of the address + port
    ASSERT_EQ(a.kind, socks5_action_kind::read);
    EXPECT_EQ(a.buffer.size(), 5u);
    a = client.resume(from_hex("00 00 01 1f 90"));
    EXPECT_EQ(a.kind, socks5_action_kind::done);
    EXPECT_EQ(client.bound(), socks5_target::ipv4({127, 0, 0, 1}, 8080));
}

TEST(socks5, terminal_actions_are_sticky) {
    socks5_client ok(example_v4);
    ASSERT_EQ(run(ok, concat({method_none, dante_ok})).end, socks5_action_kind::done);
    EXPECT_EQ(ok.resume({}).kind, socks5_action_kind::done);
    EXPECT_EQ(ok.bound(), socks5_target::ipv4({127, 0, 0, 1}, 8080));

    socks5_client bad(example_v4);
    ASSERT_EQ(run(bad, from_hex("05 ff")).err, error::socks_no_acceptable_method);
    const auto a = bad.resume({});
    EXPECT_EQ(a.kind, socks5_action_kind::error);
    EXPECT_EQ(a.err, error::socks_no_acceptable_method);
}

TEST(socks5, bound_is_empty_before_done) {
    socks5_client client(example_v4);
    EXPECT_EQ(client.bound(), socks5_target{});
    client.resume({});
    EXPECT_EQ(client.bound(), socks5_target{});
}

TEST(socks5, a_copied_machine_continues_on_its_own_buffers) {
    // Trivially copyable: a driver may move the machine between steps (e.g. into a coroutine
    // frame). The copy must read into its own arrays, not the original's.
    socks5_client original(socks5_target::domain("echo.example", 80), alice);
    original.resume({});
    original.resume({});
    original.resume(method_password);
    socks5_client copy = original;
    original = socks5_client(example_v4); // scribble over the original
    auto a = copy.resume({});             // auth request written
    ASSERT_EQ(a.kind, socks5_action_kind::read);
    EXPECT_GE(a.buffer.data(), reinterpret_cast<std::byte*>(&copy));
    EXPECT_LT(a.buffer.data(), reinterpret_cast<std::byte*>(&copy + 1));
    const auto r = run(copy, {}); // resumes with {}: same read again
    EXPECT_EQ(r.end, socks5_action_kind::read);
    a = copy.resume(auth_ok);
    ASSERT_EQ(a.kind, socks5_action_kind::write);
    EXPECT_EQ(bytes(a.data.begin(), a.data.end()),
              concat({from_hex("05 01 00 03 0c"), to_bytes("echo.example"), from_hex("00 50")}));
}

TEST(socks5, target_helpers) {
    const auto v4 = socks5_target::ipv4({10, 0, 0, 1}, 1080);
    EXPECT_EQ(v4.type, socks5_address_type::ipv4);
    EXPECT_EQ(v4.ip[0], 10);
    EXPECT_EQ(v4.ip[3], 1);
    EXPECT_EQ(v4.ip[4], 0);
    EXPECT_EQ(v4.port, 1080);
    EXPECT_TRUE(v4.name.empty());

    const auto d = socks5_target::domain("example.org", 443);
    EXPECT_EQ(d.type, socks5_address_type::domain);
    EXPECT_EQ(d.name, "example.org");
    EXPECT_EQ(d.port, 443);

    EXPECT_EQ(static_cast<int>(socks5_address_type::ipv4), 1);
    EXPECT_EQ(static_cast<int>(socks5_address_type::domain), 3);
    EXPECT_EQ(static_cast<int>(socks5_address_type::ipv6), 4);
}

} // namespace
