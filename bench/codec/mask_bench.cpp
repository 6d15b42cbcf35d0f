// Masking throughput: burrow's dispatched apply_mask, each kernel on its own, and Boost.Beast's
// mask_inplace as a comparator, in place on one buffer (in cache for all but the largest sizes);
// then masking while copying (ws::copy_masked) against memcpy.
//
//   mask/<impl>/<size>            buffer 64-byte aligned
//   mask_unaligned/<impl>/<size>  buffer at offset 3 from a 64-byte boundary
//
// Each iteration continues with the key the previous one returned, as a reader unmasking a stream
// of pieces would.
#include <burrow/detail/mask_kernels.hpp>
#include <burrow/ws/mask.hpp>

#include <benchmark/benchmark.h>
#include <boost/beast/websocket/detail/mask.hpp>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <string_view>

namespace {

constexpr std::size_t sizes[] = {16, 125, 1024, 16384, 65536, 1048576};
constexpr std::uint32_t seed = 0x5eed;

// Random bytes at `offset` from a 64-byte boundary.
class payload {
public:
    payload(std::size_t size, std::size_t offset)
        : storage_(std::make_unique<std::byte[]>(size + offset + 64)) {
        const auto addr = reinterpret_cast<std::uintptr_t>(storage_.get());
        data_ = storage_.get() + ((64 - addr % 64) % 64) + offset;
        std::mt19937 rng(seed);
        for (std::size_t i = 0; i < size; ++i)
            data_[i] = static_cast<std::byte>(rng());
    }
    std::byte* data() const noexcept { return data_; }

private:
    std::unique_ptr<std::byte[]> storage_;
    std::byte* data_;
};

std::uint32_t bench_key() { return std::mt19937(seed + 1)(); }

void bm_burrow(benchmark::State& state, std::size_t size, std::size_t offset) {
    payload buf(size, offset);
    const std::span<std::byte> span(buf.data(), size);
    std::uint32_t key = bench_key();
    for (auto _ : state) {
        key = burrow::ws::apply_mask(span, key);
        benchmark::DoNotOptimize(key);
        benchmark::ClobberMemory();
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * size));
}

void bm_kernel(benchmark::State& state, burrow::detail::mask_fn fn, std::size_t size, std::size_t offset) {
    payload buf(size, offset);
    std::uint32_t key = bench_key();
    for (auto _ : state) {
        key = fn(buf.data(), size, key);
        benchmark::DoNotOptimize(key);
        benchmark::ClobberMemory();
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * size));
}

void bm_beast(benchmark::State& state, std::size_t size, std::size_t offset) {
    namespace bwd = boost::beast::websocket::detail;
    payload buf(size, offset);
    bwd::prepared_key key;
    bwd::prepare_key(key, bench_key());
    const boost::asio::mutable_buffer buffer(buf.data(), size);
    for (auto _ : state) {
        bwd::mask_inplace(buffer, key);
        benchmark::DoNotOptimize(key);
        benchmark::ClobberMemory();
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * size));
}

// Masking copy (a client masks its payload into its own send buffer): the destination 14 bytes
// past a 64-byte boundary (behind a client frame header of 14 bytes), the source aligned.
//   copy_mask/burrow         ws::copy_masked (one pass)
//   copy_mask/burrow-<isa>   each kernel's copy (from copy_mask_min bytes)
//   copy_mask/memcpy+mask    memcpy, then apply_mask in place (burrow before the copy kernels)
//   copy_mask/beast          memcpy, then Beast's mask_inplace (what its client write does)
//   copy_mask/memcpy         the copy alone: the floor
struct copy_buffers {
    payload in;
    payload out;
    explicit copy_buffers(std::size_t size) : in(size, 0), out(size, 14) {}
};

void bm_copy_burrow(benchmark::State& state, std::size_t size) {
    copy_buffers b(size);
    std::uint32_t key = bench_key();
    for (auto _ : state) {
        key = burrow::ws::copy_masked(b.out.data(), {b.in.data(), size}, key);
        benchmark::DoNotOptimize(key);
        benchmark::ClobberMemory();
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * size));
}

void bm_copy_kernel(benchmark::State& state, burrow::detail::copy_mask_fn fn, std::size_t size) {
    copy_buffers b(size);
    std::uint32_t key = bench_key();
    for (auto _ : state) {
        key = fn(b.out.data(), b.in.data(), size, key);
        benchmark::DoNotOptimize(key);
        benchmark::ClobberMemory();
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * size));
}

void bm_copy_then_mask(benchmark::State& state, std::size_t size) {
    copy_buffers b(size);
    std::uint32_t key = bench_key();
    for (auto _ : state) {
        std::memcpy(b.out.data(), b.in.data(), size);
        key = burrow::ws::apply_mask({b.out.data(), size}, key);
        benchmark::DoNotOptimize(key);
        benchmark::ClobberMemory();
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * size));
}

void bm_copy_beast(benchmark::State& state, std::size_t size) {
    namespace bwd = boost::beast::websocket::detail;
    copy_buffers b(size);
    bwd::prepared_key key;
    bwd::prepare_key(key, bench_key());
    const boost::asio::mutable_buffer buffer(b.out.data(), size);
    for (auto _ : state) {
        std::memcpy(b.out.data(), b.in.data(), size);
        bwd::mask_inplace(buffer, key);
        benchmark::DoNotOptimize(key);
        benchmark::ClobberMemory();
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * size));
}

void bm_copy_memcpy(benchmark::State& state, std::size_t size) {
    copy_buffers b(size);
    for (auto _ : state) {
        std::memcpy(b.out.data(), b.in.data(), size);
        benchmark::ClobberMemory();
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * size));
}

// "<measurement>/<impl>/<size>". Built by appending: GCC 12 reports a false -Wrestrict on
// chains of std::string operator+.
std::string bench_name(std::string_view measurement, std::string_view impl, std::size_t size) {
    std::string name;
    name.append(measurement).append("/").append(impl).append("/").append(std::to_string(size));
    return name;
}

const int registered = [] {
    for (std::size_t size : sizes) {
        benchmark::RegisterBenchmark(bench_name("mask", "burrow", size).c_str(), bm_burrow, size, 0);
        for (const auto& k : burrow::detail::mask_kernels()) {
            std::string impl = "burrow-";
            impl.append(burrow::detail::isa_name(k.level));
            benchmark::RegisterBenchmark(bench_name("mask", impl, size).c_str(), bm_kernel, k.fn, size, 0);
        }
        benchmark::RegisterBenchmark(bench_name("mask", "beast", size).c_str(), bm_beast, size, 0);
    }
    for (std::size_t size : sizes) {
        constexpr std::size_t offset = 3;
        const auto name = [size](std::string_view impl) { return bench_name("mask_unaligned", impl, size); };
        benchmark::RegisterBenchmark(name("burrow").c_str(), bm_burrow, size, offset);
        benchmark::RegisterBenchmark(name("beast").c_str(), bm_beast, size, offset);
    }
    for (std::size_t size : sizes) {
        if (size < burrow::detail::copy_mask_min)
            continue;
        const auto name = [size](std::string_view impl) { return bench_name("copy_mask", impl, size); };
        benchmark::RegisterBenchmark(name("burrow").c_str(), bm_copy_burrow, size);
        for (const auto& k : burrow::detail::mask_kernels()) {
            std::string impl = "burrow-";
            impl.append(burrow::detail::isa_name(k.level));
            benchmark::RegisterBenchmark(name(impl).c_str(), bm_copy_kernel, k.copy, size);
        }
        benchmark::RegisterBenchmark(name("memcpy+mask").c_str(), bm_copy_then_mask, size);
        benchmark::RegisterBenchmark(name("beast").c_str(), bm_copy_beast, size);
        benchmark::RegisterBenchmark(name("memcpy").c_str(), bm_copy_memcpy, size);
    }
    return 0;
}();

} // namespace
