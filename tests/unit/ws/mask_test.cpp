// Every masking kernel against the scalar reference, plus the properties apply_mask promises:
// exact bounds, key rotation for pieces, involution, the RFC 6455 example and the dispatch rule.
#include <burrow/detail/cpu_features.hpp>
#include <burrow/detail/mask_kernels.hpp>
#include <burrow/ws/mask.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <vector>

#if __has_include(<sys/mman.h>) && __has_include(<unistd.h>)
#include <sys/mman.h>
#include <unistd.h>
#define BURROW_TEST_HAS_MMAN 1
#endif

namespace {

using burrow::detail::mask_fn;
using burrow::detail::mask_kernel;
using burrow::detail::mask_kernels;
using burrow::detail::mask_scalar;

// apply_mask (inline small path + dispatch) is tested like a kernel.
std::uint32_t apply_mask_fn(std::byte* data, std::size_t size, std::uint32_t key) noexcept {
    return burrow::ws::apply_mask({data, size}, key);
}

struct named_fn {
    std::string name;
    mask_fn fn;
};

std::vector<named_fn> functions_under_test() {
    std::vector<named_fn> out;
    for (const auto& k : mask_kernels())
        out.push_back({std::string(burrow::detail::isa_name(k.level)), k.fn});
    out.push_back({"apply_mask", &apply_mask_fn});
    return out;
}

void fill_random(std::span<std::byte> s, std::mt19937& rng) {
    for (auto& b : s)
        b = static_cast<std::byte>(rng());
}

// A key whose four bytes differ, so a wrongly rotated key always shows.
std::uint32_t distinct_key(std::mt19937& rng) {
    for (;;) {
        const std::uint32_t k = rng();
        const auto b0 = k & 0xFF, b1 = (k >> 8) & 0xFF, b2 = (k >> 16) & 0xFF, b3 = k >> 24;
        if (b0 != b1 && b0 != b2 && b0 != b3 && b1 != b2 && b1 != b3 && b2 != b3)
            return k;
    }
}

TEST(mask, kernel_list_is_well_formed) {
    const auto kernels = mask_kernels();
    ASSERT_GE(kernels.size(), 2u);
    EXPECT_EQ(kernels[0].level, burrow::detail::isa::scalar);
    EXPECT_EQ(kernels[0].fn, &mask_scalar);
    EXPECT_EQ(kernels[1].level, burrow::detail::isa::word);
    for (std::size_t i = 0; i < kernels.size(); ++i) {
        EXPECT_TRUE(burrow::detail::cpu_supports(kernels[i].level)) << i;
        ASSERT_NE(kernels[i].fn, nullptr);
        if (i > 0) {
            EXPECT_LT(kernels[i - 1].level, kernels[i].level) << i;
        }
    }
    std::string names;
    for (const auto& k : kernels)
        names += std::string(burrow::detail::isa_name(k.level)) + " ";
    const std::string active(burrow::ws::active_mask_kernel());
    std::printf("kernels: %s(active: %s)\n", names.c_str(), active.c_str());
}

// Every kernel, every length 0..300, every start alignment 0..63 and every key phase 0..3 against
// the reference, with random guard bytes on both sides checked untouched. The reference itself is
// checked against the definition data[i] ^ key[i % 4] for one case per length.
TEST(mask, kernels_match_scalar_at_every_length_alignment_and_phase) {
    constexpr std::size_t guard = 64, max_len = 300, max_align = 64;
    std::mt19937 rng(20260101);
    alignas(64) std::array<std::byte, guard + max_align + max_len + guard> original{}, expected{}, actual{};
    const auto fns = functions_under_test();
    for (std::size_t len = 0; len <= max_len; ++len) {
        const std::uint32_t base_key = distinct_key(rng);
        fill_random(original, rng);
        for (std::size_t align = 0; align < max_align; ++align) {
            for (std::size_t phase = 0; phase < 4; ++phase) {
                const std::uint32_t key = burrow::ws::rotate_mask_key(base_key, phase);
                expected = original;
                const std::uint32_t expected_next = mask_scalar(expected.data() + guard + align, len, key);
                if (align == 0 && phase == 0) {
                    std::byte k[4];
                    burrow::ws::store_mask_key(k, key);
                    for (std::size_t i = 0; i < len; ++i)
                        ASSERT_EQ(expected[guard + i], original[guard + i] ^ k[i % 4]) << len << " " << i;
                    ASSERT_EQ(expected_next, burrow::ws::rotate_mask_key(key, len));
                }
                for (const auto& f : fns) {
                    actual = original;
                    const std::uint32_t next = f.fn(actual.data() + guard + align, len, key);
                    ASSERT_EQ(next, expected_next) << f.name << " len " << len << " align " << align;
                    ASSERT_EQ(0, std::memcmp(actual.data(), expected.data(), actual.size()))
                        << f.name << " len " << len << " align " << align << " phase " << phase;
                    // Redundant with the memcmp (the reference never touches them), but says so.
                    ASSERT_TRUE(std::equal(actual.begin(), actual.begin() + guard + align, original.begin()));
                    ASSERT_TRUE(std::equal(actual.begin() + guard + align + len, actual.end(),
                                           original.begin() + guard + align + len));
                }
            }
        }
    }
}

// Spans that start or end exactly at a heap allocation's edge: under AddressSanitizer any access
// outside the span, even a read within the same page, is reported.
TEST(mask, kernels_stay_within_exact_allocations) {
    std::mt19937 rng(7);
    const auto fns = functions_under_test();
    for (std::size_t len = 0; len <= 300; ++len) {
        const std::uint32_t key = distinct_key(rng);
        std::vector<std::byte> original(len); // data() may be null when empty: no memcpy
        fill_random(original, rng);
        std::vector<std::byte> expected = original;
        mask_scalar(expected.data(), len, key);
        for (const auto& f : fns) {
            for (std::size_t slack = 0; slack < 8; ++slack) {
                // Span at the end of the allocation, starting `slack` bytes in.
                auto tail_buf = std::make_unique<std::byte[]>(slack + len);
                std::copy(original.begin(), original.end(), tail_buf.get() + slack);
                f.fn(tail_buf.get() + slack, len, key);
                ASSERT_TRUE(std::equal(expected.begin(), expected.end(), tail_buf.get() + slack))
                    << f.name << " " << len;
                // Span at the start of the allocation, ending `slack` bytes before its end.
                auto head_buf = std::make_unique<std::byte[]>(len + slack);
                std::copy(original.begin(), original.end(), head_buf.get());
                f.fn(head_buf.get(), len, key);
                ASSERT_TRUE(std::equal(expected.begin(), expected.end(), head_buf.get()))
                    << f.name << " " << len;
            }
        }
    }
}

#if defined(BURROW_TEST_HAS_MMAN)
// Spans that end right before, or start right after, an inaccessible page: an access outside the
// span that crosses into it crashes, also in optimised builds without sanitizers.
TEST(mask, kernels_do_not_cross_into_protected_pages) {
    const auto page = static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
    void* region = mmap(nullptr, 3 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    ASSERT_NE(region, MAP_FAILED);
    auto* const base = static_cast<std::byte*>(region);
    ASSERT_EQ(0, mprotect(base, page, PROT_NONE));
    ASSERT_EQ(0, mprotect(base + 2 * page, page, PROT_NONE));
    std::byte* const first = base + page;      // preceded by a protected page
    std::byte* const end = base + 2 * page;    // followed by a protected page
    std::mt19937 rng(11);
    std::vector<std::byte> original(600), expected(600);
    for (const auto& f : functions_under_test()) {
        for (std::size_t len = 0; len <= 300; ++len) {
            for (std::size_t phase = 0; phase < 4; ++phase) {
                const std::uint32_t key = burrow::ws::rotate_mask_key(distinct_key(rng), phase);
                fill_random({original.data(), len}, rng);
                std::memcpy(expected.data(), original.data(), len);
                mask_scalar(expected.data(), len, key);
                std::memcpy(end - len, original.data(), len);
                f.fn(end - len, len, key);
                ASSERT_EQ(0, std::memcmp(end - len, expected.data(), len)) << f.name << " " << len;
                std::memcpy(first, original.data(), len);
                f.fn(first, len, key);
                ASSERT_EQ(0, std::memcmp(first, expected.data(), len)) << f.name << " " << len;
            }
        }
    }
    munmap(region, 3 * page);
}
#endif

TEST(mask, large_random_buffers_match_scalar) {
    std::mt19937 rng(424242);
    std::vector<std::size_t> sizes{1u << 20, (1u << 20) + 1, (1u << 20) + 63, 65535, 65536 + 3,
                                   16384 - 1, 4097};
    for (int i = 0; i < 8; ++i)
        sizes.push_back(rng() % (1u << 20));
    const auto fns = functions_under_test();
    for (std::size_t size : sizes) {
        const std::size_t offset = rng() % 64;
        const std::uint32_t key = distinct_key(rng);
        std::vector<std::byte> original(size + offset + 64);
        fill_random(original, rng);
        std::vector<std::byte> expected = original;
        const std::uint32_t expected_next = mask_scalar(expected.data() + offset, size, key);
        for (const auto& f : fns) {
            std::vector<std::byte> actual = original;
            EXPECT_EQ(f.fn(actual.data() + offset, size, key), expected_next) << f.name << " " << size;
            EXPECT_TRUE(actual == expected) << f.name << " size " << size << " offset " << offset;
        }
    }
}

// Unmasking a payload as it arrives, in pieces of random length, each call taking the key the
// previous one returned, gives the same bytes as unmasking it at once.
TEST(mask, pieces_chained_by_the_returned_key_equal_one_call) {
    std::mt19937 rng(99);
    const auto fns = functions_under_test();
    for (int round = 0; round < 200; ++round) {
        const std::size_t size = rng() % 5000;
        const std::uint32_t key = distinct_key(rng);
        std::vector<std::byte> original(size);
        fill_random(original, rng);
        std::vector<std::byte> expected = original;
        const std::uint32_t expected_next = mask_scalar(expected.data(), size, key);
        for (const auto& f : fns) {
            std::vector<std::byte> actual = original;
            std::uint32_t k = key;
            std::size_t done = 0;
            while (done < size) {
                // Mostly small pieces, so every phase and the tiny paths show up, some large ones.
                const std::size_t want = (rng() % 4 == 0) ? rng() % 700 : rng() % 20;
                const std::size_t piece = std::min(want, size - done);
                k = f.fn(actual.data() + done, piece, k);
                done += piece;
            }
            EXPECT_EQ(k, expected_next) << f.name;
            EXPECT_TRUE(actual == expected) << f.name << " round " << round;
        }
    }
}

TEST(mask, masking_twice_restores_the_input) {
    std::mt19937 rng(5);
    for (const auto& f : functions_under_test()) {
        for (std::size_t size : {0u, 1u, 3u, 16u, 17u, 64u, 65u, 125u, 1000u, 70000u}) {
            const std::uint32_t key = distinct_key(rng);
            std::vector<std::byte> original(size);
            fill_random(original, rng);
            std::vector<std::byte> data = original;
            f.fn(data.data(), size, key);
            if (size >= 4) {
                EXPECT_FALSE(data == original) << f.name << " " << size; // it did something
            }
            f.fn(data.data(), size, key);
            EXPECT_TRUE(data == original) << f.name << " " << size;
        }
    }
}

TEST(mask, rfc6455_masked_hello) {
    // RFC 6455 §5.7: a single-frame masked text message "Hello".
    const std::array<unsigned char, 4> wire_key{0x37, 0xfa, 0x21, 0x3d};
    const std::array<unsigned char, 5> masked{0x7f, 0x9f, 0x4d, 0x51, 0x58};
    const std::uint32_t key = burrow::ws::load_mask_key(reinterpret_cast<const std::byte*>(wire_key.data()));
    for (const auto& f : functions_under_test()) {
        std::array<std::byte, 5> payload;
        std::memcpy(payload.data(), masked.data(), payload.size());
        const std::uint32_t next = f.fn(payload.data(), payload.size(), key);
        const std::string text(reinterpret_cast<const char*>(payload.data()), payload.size());
        EXPECT_EQ(text, "Hello") << f.name;
        // 5 bytes consumed: the next byte would be masked with 0xfa.
        std::byte next_wire[4];
        burrow::ws::store_mask_key(next_wire, next);
        EXPECT_EQ(next_wire[0], std::byte{0xfa}) << f.name;
        EXPECT_EQ(next_wire[3], std::byte{0x37}) << f.name;
    }
}

TEST(mask, rotate_mask_key_follows_memory_order) {
    const std::array<unsigned char, 4> wire{0x11, 0x22, 0x33, 0x44};
    const std::uint32_t key = burrow::ws::load_mask_key(reinterpret_cast<const std::byte*>(wire.data()));
    for (std::size_t n = 0; n < 12; ++n) {
        std::byte out[4];
        burrow::ws::store_mask_key(out, burrow::ws::rotate_mask_key(key, n));
        for (std::size_t i = 0; i < 4; ++i)
            EXPECT_EQ(out[i], std::byte{wire[(n + i) % 4]}) << n << " " << i;
    }
}

// The dispatched kernel is the highest runnable one not above kernel_cap() (which reflects
// BURROW_FORCE_KERNEL), its name is what active_mask_kernel() reports, and apply_mask calls it.
TEST(mask, dispatch_uses_the_best_kernel_within_the_cap) {
    const auto cap = burrow::detail::kernel_cap();
    const mask_kernel& active = burrow::detail::active_mask_kernel_entry();
    EXPECT_LE(active.level, cap);
    const mask_kernel* best = nullptr;
    for (const auto& k : mask_kernels())
        if (k.level <= cap)
            best = &k;
    ASSERT_NE(best, nullptr);
    EXPECT_EQ(&active, best);
    EXPECT_EQ(burrow::ws::active_mask_kernel(), burrow::detail::isa_name(active.level));

    if (const char* forced = std::getenv("BURROW_FORCE_KERNEL")) {
        if (const auto level = burrow::detail::parse_isa(forced)) {
            EXPECT_LE(cap, *level) << "BURROW_FORCE_KERNEL=" << forced;
        }
    } else {
        // Without the override the cap is the best level this CPU supports.
        for (auto level : {burrow::detail::isa::sse2, burrow::detail::isa::ssse3, burrow::detail::isa::avx2,
                           burrow::detail::isa::avx512})
            if (burrow::detail::cpu_supports(level)) {
                EXPECT_GE(cap, level);
            }
    }

    // A call above the inline size resolves the dispatch pointer to the active kernel.
    std::vector<std::byte> buf(100);
    burrow::ws::apply_mask(buf, 0x01020304);
    EXPECT_EQ(burrow::detail::mask_dispatch.load(), active.fn);
}

} // namespace

// --- copying (ws::copy_masked and each kernel's copy) ---

namespace {

using burrow::detail::copy_mask_fn;

// ws::copy_masked (inline small path + dispatch) is tested like a kernel, at every size.
std::uint32_t copy_masked_fn(std::byte* out, const std::byte* in, std::size_t size, std::uint32_t key) noexcept {
    return burrow::ws::copy_masked(out, {in, size}, key);
}

struct named_copy_fn {
    std::string name;
    copy_mask_fn fn;
    std::size_t min_size;  // kernels are only called from copy_mask_min on
};

std::vector<named_copy_fn> copy_functions_under_test() {
    std::vector<named_copy_fn> out;
    for (const auto& k : mask_kernels())
        out.push_back({std::string(burrow::detail::isa_name(k.level)), k.copy, burrow::detail::copy_mask_min});
    out.push_back({"copy_masked", &copy_masked_fn, 0});
    return out;
}

} // namespace

// Every copy against the in-place reference, for every length up to 600, every alignment of the
// source and of the destination within 64 bytes and every key phase; guard bytes around the
// destination must stay as they were, and the source must not change.
TEST(copy_mask, kernels_match_scalar_at_every_length_alignment_and_phase) {
    constexpr std::size_t guard = 64, max_len = 600, max_align = 64;
    std::mt19937 rng(20261127);
    std::vector<std::byte> source(max_align + max_len), source_copy, expected, fresh(guard + max_align + max_len + guard);
    fill_random(fresh, rng);
    // The destination's offsets count from a 64-byte boundary (guard is a multiple of 64).
    std::unique_ptr<std::byte[]> actual_storage(new std::byte[fresh.size() + 64]);
    const auto actual_address = reinterpret_cast<std::uintptr_t>(actual_storage.get());
    const std::span<std::byte> actual(actual_storage.get() + (64 - actual_address % 64) % 64, fresh.size());
    const auto fns = copy_functions_under_test();
    for (std::size_t len = 0; len <= max_len; ++len) {
        fill_random(source, rng);
        source_copy = source;
        const std::uint32_t base_key = distinct_key(rng);
        for (std::size_t in_align = 0; in_align < max_align; in_align += (len < 200 ? 5 : 13)) {
            for (std::size_t out_align = 0; out_align < max_align; ++out_align) {
                const std::uint32_t key = burrow::ws::rotate_mask_key(base_key, (in_align + out_align) % 4);
                expected = fresh;
                std::memcpy(expected.data() + guard + out_align, source.data() + in_align, len);
                const std::uint32_t expected_next = mask_scalar(expected.data() + guard + out_align, len, key);
                for (const auto& f : fns) {
                    if (len < f.min_size)
                        continue;
                    std::copy(fresh.begin(), fresh.end(), actual.begin());
                    const std::uint32_t next = f.fn(actual.data() + guard + out_align, source.data() + in_align, len, key);
                    ASSERT_EQ(next, expected_next) << f.name << " len " << len;
                    ASSERT_TRUE(std::equal(actual.begin(), actual.end(), expected.begin()))
                        << f.name << " len " << len << " in " << in_align << " out " << out_align;
                    ASSERT_EQ(source, source_copy) << f.name << " changed its source";
                }
            }
        }
    }
}

// Source and destination at the very end (and at the very start) of heap allocations of their
// exact size: under AddressSanitizer any read or write outside them is reported.
TEST(copy_mask, kernels_stay_within_exact_allocations) {
    std::mt19937 rng(8);
    const auto fns = copy_functions_under_test();
    for (std::size_t len = 0; len <= 400; ++len) {
        const std::uint32_t key = distinct_key(rng);
        std::vector<std::byte> original(len);
        fill_random(original, rng);
        std::vector<std::byte> expected = original;
        mask_scalar(expected.data(), len, key);
        for (const auto& f : fns) {
            if (len < f.min_size)
                continue;
            for (std::size_t slack = 0; slack < 8; ++slack) {
                auto in = std::make_unique<std::byte[]>(slack + len);
                auto out = std::make_unique<std::byte[]>(slack + len);
                std::copy(original.begin(), original.end(), in.get() + slack);
                f.fn(out.get() + slack, in.get() + slack, len, key);  // both end at their allocation's end
                ASSERT_TRUE(std::equal(expected.begin(), expected.end(), out.get() + slack)) << f.name << " " << len;
                std::copy(original.begin(), original.end(), in.get());
                f.fn(out.get(), in.get(), len, key);  // both start at their allocation's start
                ASSERT_TRUE(std::equal(expected.begin(), expected.end(), out.get())) << f.name << " " << len;
            }
        }
    }
}

TEST(copy_mask, large_buffers_in_pieces_chained_by_the_returned_key_equal_the_reference) {
    std::mt19937 rng(99);
    const std::size_t size = (1u << 20) + 37;
    std::vector<std::byte> in(size), expected(size), out(size);
    fill_random(in, rng);
    const std::uint32_t key = distinct_key(rng);
    expected = in;
    mask_scalar(expected.data(), size, key);
    for (std::size_t piece : {std::size_t{1} << 16, std::size_t{8191}, std::size_t{130}, std::size_t{13}}) {
        std::fill(out.begin(), out.end(), std::byte{0});
        std::uint32_t k = key;
        for (std::size_t done = 0; done < size; done += std::min(piece, size - done))
            k = burrow::ws::copy_masked(out.data() + done, std::span(in).subspan(done, std::min(piece, size - done)), k);
        EXPECT_EQ(out, expected) << "pieces of " << piece;
        EXPECT_EQ(k, burrow::ws::rotate_mask_key(key, size));
    }
}

TEST(copy_mask, every_level_has_a_copy_and_dispatch_uses_the_level_of_apply_mask) {
    for (const auto& k : mask_kernels())
        EXPECT_NE(k.copy, nullptr) << burrow::detail::isa_name(k.level);
    // The first call resolves the dispatch; afterwards it holds the copy of apply_mask's level.
    std::vector<std::byte> in(1000), out(1000);
    (void)burrow::ws::copy_masked(out.data(), in, 0x01020304);
    EXPECT_EQ(burrow::detail::copy_mask_dispatch.load(), burrow::detail::active_mask_kernel_entry().copy);
}
