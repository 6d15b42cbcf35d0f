// Runs the load: opens the connections (ramped), waits until every one is up or failed, then
// drives the echo traffic for the measurement window, and closes them.
#pragma once

#include "bench_types.hpp"

#include <string>

namespace burrow::bench {

/// Runs the benchmark described by `options` (already validated: a parsable URL and proxy).
/// Never throws for network failures: they are counted per phase in the result.
bench_report run_bench(const bench_options& options);

/// Empty when `options` can run, else a message for the user.
std::string check_options(const bench_options& options);

} // namespace burrow::bench
