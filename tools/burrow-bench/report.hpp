// The final outputs of burrow-bench: a table for people, one JSON document for scripts.
#pragma once

#include "bench_types.hpp"

#include <nlohmann/json.hpp>

#include <iosfwd>

namespace burrow::bench {

/// The report as JSON (keys documented in --help's epilogue and tools/burrow-bench/README).
nlohmann::json to_json(const bench_report& report);

/// The human-readable table.
void print_table(std::ostream& out, const bench_report& report);

} // namespace burrow::bench
