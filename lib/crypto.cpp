// wolfCrypt behind burrow::detail's hashes, base64 and random bytes.
//
// Theory of operation: each hash runs init/update/final/free on a wolfCrypt state object on the
// stack, rather than the one-shot wc_*Hash helpers, because those may allocate the state on the
// heap in WOLFSSL_SMALL_STACK builds and burrow's core promises no allocation on the handshake
// path. The calls can only fail on bad arguments, which this file never passes, so a failure
// leaves a zeroed digest (and an assertion in debug builds) instead of a result type that every
// caller would have to check for an impossible case.
//
// Base64 uses wolfCrypt's codec for the actual encoding and decoding. wolfCrypt's decoder is lax
// (it skips line breaks, silently drops a trailing partial quantum and accepts padding in the
// middle), which is right for PEM files but not for values a peer sends, so `base64_decode`
// validates the text first and only then hands it over. wolfCrypt's decoder also wants more
// output room than the exact decoded size and may write a NUL after the output, so the last
// quantum is decoded into a small local buffer and copied: callers only need room for the bytes.
//
// The RNG is a wolfCrypt Hash-DRBG per thread (thread_local: no locking, and WC_RNG is not safe to
// share between threads), seeded on first use and freed when the thread ends.

#include <wolfssl/options.h> // must come first: it fixes the configuration the library was built with

#include <wolfssl/wolfcrypt/coding.h>
#include <wolfssl/wolfcrypt/md5.h>
#include <wolfssl/wolfcrypt/random.h>
#include <wolfssl/wolfcrypt/sha.h>
#include <wolfssl/wolfcrypt/sha256.h>

#include <burrow/detail/crypto.hpp>

#include <algorithm>
#include <cassert>
#include <limits>

namespace burrow::detail {
namespace {

// wolfCrypt rejects a null pointer even with a zero length on some paths; an empty span may have
// a null data(), so it is pointed here instead.
constexpr byte empty_input[1] = {0};

const byte* input_pointer(std::span<const std::byte> data) noexcept {
    return data.empty() ? empty_input : reinterpret_cast<const byte*>(data.data());
}

// One digest: `State` is the wolfCrypt context, the functions its init/update/final/free.
template <std::size_t N, typename State, typename Init, typename Update, typename Final, typename Free>
std::array<std::byte, N> digest(std::span<const std::byte> data, Init init, Update update, Final finish,
                                Free free) noexcept {
    std::array<std::byte, N> out{};
    State state;
    if (init(&state) != 0) {
        assert(!"wolfCrypt hash init failed");
        return out;
    }
    // The inputs are short (keys, nonces, credentials), but a word32 length must not wrap.
    bool ok = true;
    const byte* p = input_pointer(data);
    std::size_t left = data.size();
    do {
        const auto chunk =
            static_cast<word32>(std::min<std::size_t>(left, std::numeric_limits<word32>::max()));
        ok = update(&state, p, chunk) == 0;
        p += chunk;
        left -= chunk;
    } while (ok && left != 0);
    if (ok)
        ok = finish(&state, reinterpret_cast<byte*>(out.data())) == 0;
    free(&state);
    if (!ok) {
        assert(!"wolfCrypt hash failed");
        out.fill(std::byte{0});
    }
    return out;
}

constexpr bool is_base64_char(char c) noexcept {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '/';
}

// The 6-bit value of an alphabet character (is_base64_char(c) holds).
constexpr unsigned base64_value(char c) noexcept {
    if (c >= 'A' && c <= 'Z')
        return static_cast<unsigned>(c - 'A');
    if (c >= 'a' && c <= 'z')
        return static_cast<unsigned>(c - 'a' + 26);
    if (c >= '0' && c <= '9')
        return static_cast<unsigned>(c - '0' + 52);
    return c == '+' ? 62u : 63u;
}

// Checks canonical padded base64 and returns the decoded size, or nullopt.
std::optional<std::size_t> validate_base64(std::string_view in) noexcept {
    if (in.size() % 4 != 0)
        return std::nullopt;
    if (in.empty())
        return 0;
    std::size_t pad = 0;
    if (in.back() == '=')
        pad = in[in.size() - 2] == '=' ? 2 : 1;
    const std::size_t data_chars = in.size() - pad;
    for (std::size_t i = 0; i < data_chars; ++i)
        if (!is_base64_char(in[i]))
            return std::nullopt; // also catches '=' before the last two places
    // The bits of the last data character that fall under the padding must be zero, otherwise two
    // different texts would decode to the same bytes (RFC 4648 §3.5 lets decoders reject them).
    const unsigned last = base64_value(in[data_chars - 1]);
    if ((pad == 1 && (last & 0x03u) != 0) || (pad == 2 && (last & 0x0Fu) != 0))
        return std::nullopt;
    return in.size() / 4 * 3 - pad;
}

// The calling thread's generator. Constructed on first use; the destructor runs at thread exit.
class thread_rng {
public:
    thread_rng() noexcept = default;
    thread_rng(const thread_rng&) = delete;
    thread_rng& operator=(const thread_rng&) = delete;
    ~thread_rng() { reset(); }

    bool generate(std::span<std::byte> out) noexcept {
        if (!ready_) {
            if (wc_InitRng(&rng_) != 0)
                return false; // seeding failed; the next call tries again
            ready_ = true;
        }
        auto* p = reinterpret_cast<byte*>(out.data());
        std::size_t left = out.size();
        while (left != 0) {
            // A DRBG request is limited to RNG_MAX_BLOCK_LEN bytes.
            const auto chunk = static_cast<word32>(std::min<std::size_t>(left, RNG_MAX_BLOCK_LEN));
            if (wc_RNG_GenerateBlock(&rng_, p, chunk) != 0) {
                // A failed health test leaves the DRBG unusable: drop it and reseed next time.
                reset();
                return false;
            }
            p += chunk;
            left -= chunk;
        }
        return true;
    }

private:
    void reset() noexcept {
        if (ready_)
            wc_FreeRng(&rng_);
        ready_ = false;
    }

    WC_RNG rng_{};
    bool ready_ = false;
};

} // namespace

std::array<std::byte, sha1_size> sha1(std::span<const std::byte> data) noexcept {
    static_assert(sha1_size == WC_SHA_DIGEST_SIZE);
    return digest<sha1_size, wc_Sha>(data, wc_InitSha, wc_ShaUpdate, wc_ShaFinal, wc_ShaFree);
}

std::array<std::byte, md5_size> md5(std::span<const std::byte> data) noexcept {
    static_assert(md5_size == WC_MD5_DIGEST_SIZE);
    return digest<md5_size, wc_Md5>(data, wc_InitMd5, wc_Md5Update, wc_Md5Final, wc_Md5Free);
}

std::array<std::byte, sha256_size> sha256(std::span<const std::byte> data) noexcept {
    static_assert(sha256_size == WC_SHA256_DIGEST_SIZE);
    return digest<sha256_size, wc_Sha256>(data, wc_InitSha256, wc_Sha256Update, wc_Sha256Final,
                                          wc_Sha256Free);
}

std::size_t base64_encode(std::span<const std::byte> in, std::span<char> out) noexcept {
    const std::size_t needed = base64_encoded_size(in.size());
    if (in.empty() || out.size() < needed || in.size() > std::numeric_limits<word32>::max() / 2)
        return 0;
    // wolfCrypt writes a NUL after the text when there is room; the caller asked for exactly
    // `needed` characters, and a larger `out` is the caller's scratch space anyway.
    auto out_len = static_cast<word32>(std::min<std::size_t>(out.size(), std::numeric_limits<word32>::max()));
    if (Base64_Encode_NoNl(input_pointer(in), static_cast<word32>(in.size()),
                           reinterpret_cast<byte*>(out.data()), &out_len) != 0) {
        assert(!"wolfCrypt base64 encode failed");
        return 0;
    }
    assert(out_len == needed);
    return out_len;
}

std::string base64_encode(std::span<const std::byte> in) {
    std::string out(base64_encoded_size(in.size()), '\0');
    out.resize(base64_encode(in, std::span<char>{out.data(), out.size()}));
    return out;
}

std::string base64_encode(std::string_view in) {
    return base64_encode(std::as_bytes(std::span<const char>{in.data(), in.size()}));
}

std::optional<std::size_t> base64_decode(std::string_view in, std::span<std::byte> out) noexcept {
    const auto size = validate_base64(in);
    if (!size || *size > out.size() || in.size() > std::numeric_limits<word32>::max())
        return std::nullopt;
    if (in.empty())
        return 0;
    const auto* text = reinterpret_cast<const byte*>(in.data());
    auto* dest = reinterpret_cast<byte*>(out.data());
    // Every quantum but the last decodes to exactly 3 bytes straight into `out`.
    const std::size_t head_chars = in.size() - 4;
    if (head_chars != 0) {
        word32 len = static_cast<word32>(head_chars / 4 * 3);
        if (Base64_Decode(text, static_cast<word32>(head_chars), dest, &len) != 0 ||
            len != head_chars / 4 * 3)
            return std::nullopt;
    }
    // The last one (1 to 3 bytes) goes through a buffer with the room wolfCrypt wants.
    byte tail[4] = {};
    word32 tail_len = sizeof tail;
    const std::size_t tail_bytes = *size - head_chars / 4 * 3;
    if (Base64_Decode(text + head_chars, 4, tail, &tail_len) != 0 || tail_len != tail_bytes)
        return std::nullopt;
    std::copy_n(reinterpret_cast<const std::byte*>(tail), tail_bytes, out.begin() + head_chars / 4 * 3);
    return *size;
}

bool random_bytes(std::span<std::byte> out) noexcept {
    if (out.empty())
        return true;
    thread_local thread_rng rng;
    return rng.generate(out);
}

std::string to_hex(std::span<const std::byte> in) {
    static constexpr char digits[] = "0123456789abcdef";
    std::string out;
    out.reserve(in.size() * 2);
    for (std::byte b : in) {
        const auto v = std::to_integer<unsigned>(b);
        out.push_back(digits[v >> 4]);
        out.push_back(digits[v & 0x0Fu]);
    }
    return out;
}

} // namespace burrow::detail
