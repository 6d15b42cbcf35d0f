// Differential fuzzing of the masking kernels.
//
// Input: bytes 0-3 the key (wire order), byte 4 the buffer offset from a 64-byte boundary (0-63),
// byte 5 the key phase (the key is rotated by 0-3 bytes first, as for a payload masked in
// pieces), bytes 6-7 a split point; the rest is the payload. For every kernel this CPU runs
// (burrow::detail::mask_kernels()) and for ws::apply_mask:
//   - the bytes and the returned key equal a byte-wise reference written here, whole and in two
//     pieces (the second piece continuing with the key the first returned);
//   - no byte around the span changes (canaries on both sides);
//   - no byte outside the span is read: the payload also runs at the very end of an allocation
//     of its exact size, where AddressSanitizer catches an overread;
//   - masking twice restores the payload;
//   - each kernel's masking copy and ws::copy_masked give the reference's bytes and key, whole and
//     in two pieces, without writing outside the destination or reading outside the source.
#include "fuzz_check.hpp"

#include <burrow/detail/mask_kernels.hpp>
#include <burrow/ws/mask.hpp>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <new>
#include <span>
#include <vector>

namespace {

using burrow::detail::mask_fn;

constexpr std::size_t canary_size = 64;
constexpr std::size_t alignment = 64;

std::byte canary_byte(std::size_t i) { return std::byte(0xA5 ^ (i * 31)); }

// 64-byte aligned storage from the (sanitized) heap.
struct aligned_buffer {
    std::byte* p;
    explicit aligned_buffer(std::size_t n) : p(static_cast<std::byte*>(::operator new(n ? n : 1, std::align_val_t{alignment}))) {}
    ~aligned_buffer() { ::operator delete(p, std::align_val_t{alignment}); }
    aligned_buffer(const aligned_buffer&) = delete;
    aligned_buffer& operator=(const aligned_buffer&) = delete;
};

struct reference_result {
    std::vector<std::byte> bytes;
    std::uint32_t key_after;
};

reference_result reference(std::span<const std::byte> payload, std::uint32_t key) {
    unsigned char k[4];
    std::memcpy(k, &key, 4); // key bytes in wire order
    reference_result r{{payload.begin(), payload.end()}, 0};
    for (std::size_t i = 0; i < payload.size(); ++i)
        r.bytes[i] ^= std::byte{k[i % 4]};
    unsigned char next[4];
    for (std::size_t j = 0; j < 4; ++j)
        next[j] = k[(j + payload.size()) % 4];
    std::memcpy(&r.key_after, next, 4);
    return r;
}

// Runs `fn` on `payload` at `offset` from a 64-byte boundary, with canaries on both sides.
void check_with_canaries(mask_fn fn, std::span<const std::byte> payload, std::size_t offset, std::size_t split,
                         std::uint32_t key, const reference_result& ref) {
    const std::size_t n = payload.size();
    const std::size_t total = canary_size + offset + n + canary_size;
    aligned_buffer buf(total);
    for (std::size_t i = 0; i < total; ++i)
        buf.p[i] = canary_byte(i);
    std::byte* data = buf.p + canary_size + offset;
    if (n)
        std::memcpy(data, payload.data(), n);

    const auto check_canaries = [&] {
        for (std::size_t i = 0; i < canary_size + offset; ++i)
            BURROW_FUZZ_CHECK(buf.p[i] == canary_byte(i));
        for (std::size_t i = canary_size + offset + n; i < total; ++i)
            BURROW_FUZZ_CHECK(buf.p[i] == canary_byte(i));
    };

    // Whole.
    BURROW_FUZZ_CHECK(fn(data, n, key) == ref.key_after);
    BURROW_FUZZ_CHECK(n == 0 || std::memcmp(data, ref.bytes.data(), n) == 0);
    check_canaries();

    // Again, in two pieces: restores the payload.
    const std::uint32_t mid = fn(data, split, key);
    BURROW_FUZZ_CHECK(fn(data + split, n - split, mid) == ref.key_after);
    BURROW_FUZZ_CHECK(n == 0 || std::memcmp(data, payload.data(), n) == 0);
    check_canaries();
}

// Runs `fn` on `payload` placed at the very end of an exact-size allocation.
void check_at_allocation_end(mask_fn fn, std::span<const std::byte> payload, std::size_t offset,
                             std::uint32_t key, const reference_result& ref) {
    const std::size_t n = payload.size();
    aligned_buffer buf(offset + n);
    std::byte* data = buf.p + offset;
    if (n)
        std::memcpy(data, payload.data(), n);
    BURROW_FUZZ_CHECK(fn(data, n, key) == ref.key_after);
    BURROW_FUZZ_CHECK(n == 0 || std::memcmp(data, ref.bytes.data(), n) == 0);
}

// ws::apply_mask through the same checks, as a mask_fn.
std::uint32_t dispatched(std::byte* data, std::size_t size, std::uint32_t key) noexcept {
    return burrow::ws::apply_mask(std::span<std::byte>{data, size}, key);
}

// A masking copy (`fn` of copy_mask_fn): the source at the very end of an exact-size allocation
// (AddressSanitizer catches an overread), the destination at `offset` from a 64-byte boundary with
// canaries on both sides; then in two pieces chained by the returned key.
void check_copy(burrow::detail::copy_mask_fn fn, std::size_t min_size, std::span<const std::byte> payload,
                std::size_t offset, std::size_t split, std::uint32_t key, const reference_result& ref) {
    const std::size_t n = payload.size();
    if (n < min_size)
        return;
    aligned_buffer source(n);
    if (n)
        std::memcpy(source.p, payload.data(), n);
    const std::size_t total = canary_size + offset + n + canary_size;
    aligned_buffer buf(total);
    for (std::size_t i = 0; i < total; ++i)
        buf.p[i] = canary_byte(i);
    std::byte* out = buf.p + canary_size + offset;
    const auto check_canaries = [&] {
        for (std::size_t i = 0; i < canary_size + offset; ++i)
            BURROW_FUZZ_CHECK(buf.p[i] == canary_byte(i));
        for (std::size_t i = canary_size + offset + n; i < total; ++i)
            BURROW_FUZZ_CHECK(buf.p[i] == canary_byte(i));
    };
    BURROW_FUZZ_CHECK(fn(out, source.p, n, key) == ref.key_after);
    BURROW_FUZZ_CHECK(n == 0 || std::memcmp(out, ref.bytes.data(), n) == 0);
    BURROW_FUZZ_CHECK(n == 0 || std::memcmp(source.p, payload.data(), n) == 0);
    check_canaries();
    if (n != 0 && split >= min_size && n - split >= min_size) {
        std::memset(out, 0, n);
        const std::uint32_t mid = fn(out, source.p, split, key);
        BURROW_FUZZ_CHECK(fn(out + split, source.p + split, n - split, mid) == ref.key_after);
        BURROW_FUZZ_CHECK(std::memcmp(out, ref.bytes.data(), n) == 0);
        check_canaries();
    }
}

// ws::copy_masked (any size) as a copy_mask_fn.
std::uint32_t dispatched_copy(std::byte* out, const std::byte* in, std::size_t size, std::uint32_t key) noexcept {
    return burrow::ws::copy_masked(out, std::span<const std::byte>{in, size}, key);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 8)
        return 0;
    const auto* bytes = reinterpret_cast<const std::byte*>(data);
    const std::uint32_t wire_key = burrow::ws::load_mask_key(bytes);
    const std::size_t offset = data[4] % alignment;
    const std::uint32_t key = burrow::ws::rotate_mask_key(wire_key, data[5] % 4);
    const std::span<const std::byte> payload{bytes + 8, size - 8};
    const std::size_t split = (std::size_t{data[6]} | std::size_t{data[7]} << 8) % (payload.size() + 1);

    const reference_result ref = reference(payload, key);
    for (const auto& kernel : burrow::detail::mask_kernels()) {
        check_with_canaries(kernel.fn, payload, offset, split, key, ref);
        check_at_allocation_end(kernel.fn, payload, offset, key, ref);
    }
    check_with_canaries(&dispatched, payload, offset, split, key, ref);
    check_at_allocation_end(&dispatched, payload, offset, key, ref);
    for (const auto& kernel : burrow::detail::mask_kernels())
        check_copy(kernel.copy, burrow::detail::copy_mask_min, payload, offset, split, key, ref);
    check_copy(&dispatched_copy, 0, payload, offset, split, key, ref);
    return 0;
}
