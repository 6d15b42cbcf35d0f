// burrow::detail crypto wrappers: published vectors (FIPS 180, RFC 1321, RFC 4648, RFC 6455), strict
// base64 decoding, and the RNG's basic sanity.
#include <burrow/detail/crypto.hpp>

#include "test_bytes.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <thread>
#include <vector>

using namespace burrow::detail;
using burrow::test::bytes;
using burrow::test::to_bytes;
using burrow::test::to_string;

namespace {

std::string sha1_hex(std::string_view s) {
    return to_hex(sha1(to_bytes(s)));
}
std::string md5_hex(std::string_view s) {
    return to_hex(md5(to_bytes(s)));
}
std::string sha256_hex(std::string_view s) {
    return to_hex(sha256(to_bytes(s)));
}

// Decodes into a buffer of exactly the right size, or nullopt.
std::optional<std::string> decode(std::string_view text, std::size_t room) {
    bytes out(room);
    const auto n = base64_decode(text, out);
    if (!n)
        return std::nullopt;
    out.resize(*n);
    return to_string(out);
}

std::optional<std::string> decode(std::string_view text) {
    return decode(text, base64_max_decoded_size(text.size()));
}

} // namespace

TEST(crypto_sha1, fips_vectors) {
    EXPECT_EQ(sha1_hex("abc"), "a9993e364706816aba3e25717850c26c9cd0d89d");
    EXPECT_EQ(sha1_hex(""), "da39a3ee5e6b4b0d3255bfef95601890afd80709");
    EXPECT_EQ(sha1_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
              "84983e441c3bd26ebaae4aa1f95129e5e54670f1");
}

TEST(crypto_sha1, million_a) {
    const std::string a(1'000'000, 'a');
    EXPECT_EQ(sha1_hex(a), "34aa973cd4c4daa4f61eeb2bdbad27316534016f");
}

TEST(crypto_md5, rfc1321_vectors) {
    EXPECT_EQ(md5_hex(""), "d41d8cd98f00b204e9800998ecf8427e");
    EXPECT_EQ(md5_hex("a"), "0cc175b9c0f1b6a831c399e269772661");
    EXPECT_EQ(md5_hex("abc"), "900150983cd24fb0d6963f7d28e17f72");
    EXPECT_EQ(md5_hex("message digest"), "f96b697d7cb7938d525a2f31aaf161d0");
    EXPECT_EQ(md5_hex("12345678901234567890123456789012345678901234567890123456789012345678901234567890"),
              "57edf4a22be3c955ac49da2e2107b67a");
}

TEST(crypto_sha256, fips_vectors) {
    EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    EXPECT_EQ(sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
              "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

TEST(crypto_hex, lowercase_two_digits_per_byte) {
    EXPECT_EQ(to_hex(burrow::test::make_bytes({0x00, 0x0f, 0xa0, 0xff})), "000fa0ff");
    EXPECT_EQ(to_hex(bytes{}), "");
}

TEST(crypto_base64, rfc4648_encode) {
    EXPECT_EQ(base64_encode(std::string_view{""}), "");
    EXPECT_EQ(base64_encode(std::string_view{"f"}), "Zg==");
    EXPECT_EQ(base64_encode(std::string_view{"fo"}), "Zm8=");
    EXPECT_EQ(base64_encode(std::string_view{"foo"}), "Zm9v");
    EXPECT_EQ(base64_encode(std::string_view{"foob"}), "Zm9vYg==");
    EXPECT_EQ(base64_encode(std::string_view{"fooba"}), "Zm9vYmE=");
    EXPECT_EQ(base64_encode(std::string_view{"foobar"}), "Zm9vYmFy");
}

TEST(crypto_base64, rfc4648_decode) {
    EXPECT_EQ(decode(""), "");
    EXPECT_EQ(decode("Zg=="), "f");
    EXPECT_EQ(decode("Zm8="), "fo");
    EXPECT_EQ(decode("Zm9v"), "foo");
    EXPECT_EQ(decode("Zm9vYg=="), "foob");
    EXPECT_EQ(decode("Zm9vYmE="), "fooba");
    EXPECT_EQ(decode("Zm9vYmFy"), "foobar");
}

TEST(crypto_base64, encode_into_span) {
    const bytes in = to_bytes("foob");
    std::array<char, 8> exact{};
    EXPECT_EQ(base64_encode(in, exact), 8u);
    EXPECT_EQ(std::string_view(exact.data(), 8), "Zm9vYg==");
    std::array<char, 7> small{};
    EXPECT_EQ(base64_encode(in, small), 0u); // too small: nothing
    std::array<char, 12> large{};
    EXPECT_EQ(base64_encode(in, large), 8u);
    EXPECT_EQ(std::string_view(large.data(), 8), "Zm9vYg==");
}

TEST(crypto_base64, decode_needs_only_the_exact_room) {
    EXPECT_EQ(decode("Zm9vYg==", 4), "foob");
    EXPECT_EQ(decode("Zm9vYg==", 3), std::nullopt);
    EXPECT_EQ(decode("Zm9vYmFy", 6), "foobar");
    EXPECT_EQ(decode("Zm9vYmFy", 5), std::nullopt);
    EXPECT_EQ(decode("Zg==", 1), "f");
}

TEST(crypto_base64, rejects_bad_input) {
    for (std::string_view bad : {
             "Zg",         // missing padding
             "Zg=",        // short padding
             "Zm9",        // not a multiple of 4
             "Z===",       // three pad characters
             "=Zg=",       // padding in front
             "Zg==Zm8=",   // padding in the middle
             "Zm8=Zm9v",   // padding in the middle
             "Zm9v\nYmFy", // line break
             "Zm9 v",      // space
             " Zm9v",      // leading space
             "Zm9v ",      // trailing space
             "Zm9-",       // URL-safe alphabet is not base64
             "Zm9_",
             "Zm*v", // character outside the alphabet
             "Zh==", // non-zero bits under the padding
             "Zm9=",
             "Zg=a", // data after padding
             "====",
         }) {
        EXPECT_EQ(decode(bad, 64), std::nullopt) << '"' << bad << '"';
    }
    // A NUL byte inside the text is not alphabet either.
    EXPECT_EQ(decode(std::string_view("Zm\0v", 4), 64), std::nullopt);
}

TEST(crypto_base64, round_trips_every_byte_and_length) {
    bytes all(256);
    for (std::size_t i = 0; i < all.size(); ++i)
        all[i] = static_cast<std::byte>(i);
    for (std::size_t n = 0; n <= all.size(); ++n) {
        const auto in = std::span(all).first(n);
        const std::string text = base64_encode(in);
        ASSERT_EQ(text.size(), base64_encoded_size(n));
        bytes back(n);
        const auto got = base64_decode(text, back);
        ASSERT_TRUE(got) << n;
        ASSERT_EQ(*got, n);
        ASSERT_TRUE(std::equal(back.begin(), back.end(), in.begin())) << n;
    }
}

TEST(crypto_base64, rfc6455_accept_key) {
    const std::string key = "dGhlIHNhbXBsZSBub25jZQ==";
    const auto digest = sha1(to_bytes(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"));
    EXPECT_EQ(base64_encode(digest), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
    // And the key itself is 16 bytes of base64, as RFC 6455 §4.1 requires.
    std::array<std::byte, 16> nonce{};
    EXPECT_EQ(base64_decode(key, nonce), 16u);
    EXPECT_EQ(to_string(nonce), "the sample nonce");
}

TEST(crypto_random, differs_between_calls_and_is_not_zero) {
    std::array<std::byte, 32> a{};
    std::array<std::byte, 32> b{};
    ASSERT_TRUE(random_bytes(a));
    ASSERT_TRUE(random_bytes(b));
    EXPECT_NE(a, b);
    const std::array<std::byte, 32> zero{};
    EXPECT_NE(a, zero);
    EXPECT_NE(b, zero);
}

TEST(crypto_random, empty_and_large_requests) {
    EXPECT_TRUE(random_bytes(std::span<std::byte>{}));
    // Larger than one DRBG request (RNG_MAX_BLOCK_LEN = 64 KiB): chunked.
    bytes big(200'000);
    ASSERT_TRUE(random_bytes(big));
    EXPECT_GT(std::count(big.begin(), big.end(), std::byte{0}), 0); // ~781 expected
    EXPECT_LT(std::count(big.begin(), big.end(), std::byte{0}), 2'000);
    // The tail is filled too, not left at zero.
    EXPECT_FALSE(std::all_of(big.end() - 64, big.end(), [](std::byte x) { return x == std::byte{0}; }));
}

TEST(crypto_random, one_generator_per_thread) {
    std::vector<std::array<std::byte, 16>> seen(4);
    std::vector<int> ok(seen.size(), 0);
    std::vector<std::thread> threads;
    for (std::size_t i = 0; i < seen.size(); ++i)
        threads.emplace_back([&, i] { ok[i] = random_bytes(seen[i]) ? 1 : 0; });
    for (auto& t : threads)
        t.join();
    for (std::size_t i = 0; i < seen.size(); ++i) {
        EXPECT_EQ(ok[i], 1);
        for (std::size_t j = 0; j < i; ++j)
            EXPECT_NE(seen[i], seen[j]);
    }
}
