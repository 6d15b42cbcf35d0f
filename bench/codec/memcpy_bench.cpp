// memcpy of the sizes the other codec benchmarks use: the physical limit their ratios refer to.
#include <benchmark/benchmark.h>

#include <cstddef>
#include <cstring>
#include <string>
#include <vector>

namespace {

void bm_memcpy(benchmark::State& state, std::size_t size) {
    std::vector<std::byte> src(size, std::byte{0x5A}), dst(size);
    for (auto _ : state) {
        std::memcpy(dst.data(), src.data(), size);
        benchmark::DoNotOptimize(dst.data());
        benchmark::ClobberMemory();
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * size));
}

const int registered = [] {
    for (std::size_t size : {16u, 125u, 1024u, 16384u, 65536u, 1048576u})
        benchmark::RegisterBenchmark(("memcpy/memcpy/" + std::to_string(size)).c_str(), bm_memcpy, size);
    return 0;
}();

} // namespace

BENCHMARK_MAIN();
