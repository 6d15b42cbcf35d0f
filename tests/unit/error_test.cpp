#include <burrow/error.hpp>

#include <gtest/gtest.h>

#include <set>
#include <string>

using namespace burrow;

namespace {
constexpr int first_error = static_cast<int>(error::bad_opcode);
constexpr int last_error = static_cast<int>(error::bad_close_reason);

struct block {
    error first, last;
    condition cond;
};
// Every block of the enum, and the condition its errors belong to.
constexpr block blocks[] = {
    {error::bad_opcode, error::bad_close_reason, condition::protocol_violation},
    {error::http_head_too_large, error::http_body_too_large, condition::http_failed},
    {error::proxy_unreachable, error::proxy_unsupported_scheme, condition::proxy_failed},
    {error::socks_general_failure, error::socks_name_too_long, condition::proxy_failed},
    {error::bad_url, error::unsupported_url_scheme, condition::invalid_url},
    {error::handshake_bad_status, error::handshake_not_websocket, condition::handshake_failed},
    {error::closed, error::close_timeout, condition::connection_ended},
    {error::tls_unknown_issuer, error::tls_timeout, condition::tls_failed},
};
} // namespace

TEST(error, category_is_named_burrow) {
    EXPECT_STREQ(error_category().name(), "burrow");
    const boost::system::error_code ec = error::bad_utf8;
    EXPECT_EQ(&ec.category(), &error_category());
}

TEST(error, every_error_has_its_own_message_and_condition) {
    std::set<std::string> seen;
    for (const auto& b : blocks) {
        for (int e = static_cast<int>(b.first); e <= static_cast<int>(b.last); ++e) {
            const boost::system::error_code ec = static_cast<error>(e);
            const std::string message = ec.message();
            EXPECT_NE(message, "unknown burrow error") << e;
            EXPECT_TRUE(seen.insert(message).second) << "duplicate message: " << message;
            EXPECT_TRUE(ec == b.cond) << message;
        }
        // Just past a block's end there is no error (the last block has local-misuse errors after it).
        if (b.last != error::close_timeout) {
            EXPECT_EQ(make_error_code(static_cast<error>(static_cast<int>(b.last) + 1)).message(), "unknown burrow error");
        }
    }
    EXPECT_FALSE(make_error_code(error::proxy_refused) == condition::protocol_violation);
    EXPECT_FALSE(make_error_code(error::bad_utf8) == condition::proxy_failed);
    // Local misuse belongs to no condition of the peer's doing.
    for (auto e : {error::operation_in_progress, error::message_too_big_for_buffer, error::bad_write}) {
        const boost::system::error_code ec = e;
        EXPECT_NE(ec.message(), "unknown burrow error");
        EXPECT_FALSE(ec == condition::connection_ended);
        EXPECT_FALSE(ec == condition::protocol_violation);
    }
    EXPECT_EQ(make_error_code(static_cast<error>(9999)).message(), "unknown burrow error");
}

TEST(error, tls_errors_are_their_own_kind) {
    // A TLS failure is never a proxy failure (a proxy's refusal is never a TLS failure), and the
    // condition has a message of its own.
    for (int e = static_cast<int>(error::tls_unknown_issuer); e <= static_cast<int>(error::tls_timeout); ++e) {
        const boost::system::error_code ec = static_cast<error>(e);
        EXPECT_TRUE(ec == condition::tls_failed) << ec.message();
        EXPECT_FALSE(ec == condition::proxy_failed) << ec.message();
        EXPECT_FALSE(ec == condition::connection_ended) << ec.message();
    }
    EXPECT_FALSE(make_error_code(error::proxy_refused) == condition::tls_failed);
    EXPECT_EQ(static_cast<int>(error::tls_unknown_issuer), 700);
    EXPECT_EQ(make_error_condition(condition::tls_failed).message(), "the TLS session could not be set up");
}

TEST(error, frame_errors_are_protocol_violations) {
    for (int e = first_error; e <= last_error; ++e) {
        const boost::system::error_code ec = static_cast<error>(e);
        EXPECT_TRUE(ec == condition::protocol_violation) << ec.message();
    }
    EXPECT_FALSE(boost::system::error_code() == condition::protocol_violation);
    EXPECT_FALSE(make_error_code(boost::system::errc::connection_reset) == condition::protocol_violation);
}

TEST(error, close_codes) {
    EXPECT_EQ(to_close_code(error::bad_utf8), ws::close_code::invalid_payload);
    EXPECT_EQ(to_close_code(error::bad_close_reason), ws::close_code::invalid_payload);
    EXPECT_EQ(to_close_code(error::message_too_big), ws::close_code::message_too_big);
    EXPECT_EQ(to_close_code(error::bad_opcode), ws::close_code::protocol_error);
    EXPECT_EQ(to_close_code(error::unexpected_continuation), ws::close_code::protocol_error);
}

TEST(error, category_identity_is_a_fixed_id) {
    // error_category(id) compares by id, not by address, so copies in other shared objects match.
    class clone final : public boost::system::error_category {
    public:
        clone() noexcept : boost::system::error_category(0xb0aa'0e57'6c1e'0001ULL) {}
        const char* name() const noexcept override { return "clone"; }
        std::string message(int) const override { return {}; }
    };
    static const clone copy;
    EXPECT_TRUE(copy == error_category());
}
