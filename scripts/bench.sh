#!/usr/bin/env bash
# Builds the codec benchmarks (release, default flags: no -march=native, so the numbers are those
# of the runtime-dispatched kernels a packaged binary gets), runs them with repetitions and prints
# one table per measurement (scripts/bench_table.py). Results: bench-results/codec.json and
# bench-results/codec.md. `scripts/bench.sh e2e` runs the end-to-end race instead (echo servers
# against burrow-bench, scripts/bench_e2e.py): bench-results/e2e.json, e2e.md and e2e.svg, and the
# table and chart again under docs/bench/ (tracked, shown by the README).
set -euo pipefail

usage() {
    cat <<'USAGE'
usage: scripts/bench.sh [--filter REGEX] [--min-time SECONDS] [--help]
       scripts/bench.sh e2e

Builds build-bench/ (release) and runs build-bench/bench/codec/burrow-codec-bench, then prints
tables of medians: burrow vs memcpy and Boost.Beast, and each SIMD kernel on its own.
Writes bench-results/codec.json (raw Google Benchmark output) and bench-results/codec.md.

  --filter REGEX      only the benchmarks whose name matches (--benchmark_filter)
  --min-time SECONDS  minimum time per benchmark run (--benchmark_min_time)
  --help              this text

Environment:
  REPS                 repetitions per benchmark (default 5); the tables use the medians
  BURROW_FORCE_KERNEL  cap the dispatched kernel (scalar, word, sse2, ssse3, avx2, avx512)
  BURROW_BENCH_DIR     build dir (default build-bench)

e2e: the end-to-end race. Builds build-bench/ (burrow-bench and the echo servers of bench/e2e:
burrow, Boost.Beast, websocketpp, plain TCP on Asio, and the floor: a raw epoll TCP echo without
Asio, one recv and one send per message), then runs each server pinned to core 0 with
burrow-bench on core 1, back to back: 20 B, 1 KiB and 64 KiB messages over 1, 100 and 1000
connections, medians of repetitions; server CPU per message, messages/s and the ratios
burrow/Beast and burrow/websocketpp, and Beast's and burrow's CPU per message over the floor's;
a pipelined table (burrow-bench --pipeline 8, batched writes, 100 connections, 20 B and 1 KiB,
every server and both TCP echoes); memory per idle connection (10,000 open); system calls per
message (strace); burrow-bench against a Beast client; then through squid (started on 127.0.0.1
from scripts/fixtures/squid.sh, pinned to core 0): connection setup rate with per-phase
percentiles and echo messages/s at 20 B and 1 KiB, burrow's echo server through squid against
the plain TCP echo through the same squid (a raw CONNECT tunnel) and both directly.
Writes bench-results/e2e.json, e2e.md and e2e.svg, and copies the table and the chart to
docs/bench/e2e.md and docs/bench/e2e.svg (tracked: the README shows the chart; commit them from a
run worth showing). Environment (see scripts/bench_e2e.py): E2E_SECONDS (3), E2E_REPS (3),
E2E_SIZES, E2E_CONNECTIONS, E2E_IDLE (10000), E2E_STRACE_SECONDS (2), E2E_CLIENT_CONNECTIONS,
E2E_BINARY; squid: E2E_SQUID_SECONDS (2 s per echo run; 0 skips squid), E2E_SQUID_REPS (2),
E2E_SQUID_CONNECTIONS (100), E2E_SQUID_SETUP (200 connections for the setup rate),
E2E_SQUID_SIZES (20,1024); pipelined table: E2E_PIPELINE (8 messages in flight; 0 skips it),
E2E_PIPELINE_SIZES (20,1024), E2E_PIPELINE_CONNECTIONS (100); E2E_DOCS=0 leaves docs/bench/ alone.
With E2E_URING=1 (and liburing-dev installed; skipped with a message otherwise), last: the same
echo servers built with Asio on io_uring (meson -Dasio_backend=io_uring, in build-bench-uring/ or
BURROW_BENCH_URING_DIR) against the epoll build, burrow/Beast/TCP, 100 connections, 20 B, 1 KiB
and 64 KiB: messages/s, server CPU and system calls per message (E2E_URING_SECONDS (2),
E2E_URING_REPS (2), E2E_URING_SIZES, E2E_URING_CONNECTIONS, E2E_URING_STRACE_SECONDS (1)), about
2.5 minutes plus that build; E2E_ONLY_URING=1 runs only that comparison, into
bench-results/uring/ (docs/bench/ untouched).
The default settings take about 13-15 minutes (the squid part about 1, the floor about 1.5, the
pipelined table about 2).
An existing build dir keeps its other options (tests, examples); a new one is made without them.

For numbers worth quoting, run on a quiet machine with frequency scaling off.
USAGE
}

filter=''
min_time=''
mode=codec
if [[ ${1:-} == e2e ]]; then
    mode=e2e
    shift
fi
while (($#)); do
    case "$1" in
    --filter) (($# >= 2)) || { echo "error: --filter needs a REGEX" >&2; exit 2; }; filter=$2; shift ;;
    --filter=*) filter=${1#--filter=} ;;
    --min-time) (($# >= 2)) || { echo "error: --min-time needs SECONDS" >&2; exit 2; }; min_time=$2; shift ;;
    --min-time=*) min_time=${1#--min-time=} ;;
    -h | --help) usage; exit 0 ;;
    *) echo "error: unknown argument: $1" >&2; usage >&2; exit 2 ;;
    esac
    shift
done

cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=lib/packages.sh
source scripts/lib/packages.sh
burrow_ensure_packages "${BURROW_BENCH_PACKAGES[@]}"

dir=${BURROW_BENCH_DIR:-build-bench}
reps=${REPS:-5}
setup_args=(--wrap-mode=nodownload -Dbuildtype=release -Dbenchmarks=true -Dtests=false -Dexamples=false
            -Dfuzz=false)
if [[ -f $dir/meson-private/coredata.dat ]]; then
    # Only what the numbers depend on: a build dir that also runs the tests keeps them.
    meson setup --reconfigure "$dir" --wrap-mode=nodownload -Dbuildtype=release -Dbenchmarks=true >/dev/null ||
        meson setup --wipe "$dir" "${setup_args[@]}"
else
    meson setup "$dir" "${setup_args[@]}"
fi

if [[ $mode == e2e ]]; then
    e2e_targets=(tools/burrow-bench/burrow-bench bench/e2e/burrow-e2e-echo bench/e2e/beast-e2e-echo
                 bench/e2e/tcp-e2e-echo bench/e2e/raw-tcp-e2e-echo bench/e2e/beast-e2e-client)
    [[ -f /usr/include/websocketpp/server.hpp ]] && e2e_targets+=(bench/e2e/websocketpp-e2e-echo)
    ninja -C "$dir" "${e2e_targets[@]}"
    # On request (E2E_URING=1, or E2E_ONLY_URING=1): the same echo servers with Asio on io_uring,
    # compared with epoll after the race. Not by default: measured here, io_uring removed system
    # calls but not server CPU (burrow 1.3x more CPU per message, Beast and TCP about 1.0-1.15x),
    # so it is not worth its own build and ~2.5 minutes in every race. Without liburing it is skipped.
    e2e_args=()
    if [[ ${E2E_URING:-0} != 0 || ${E2E_ONLY_URING:-0} != 0 ]]; then
        burrow_ensure_packages "${BURROW_E2E_OPTIONAL_PACKAGES[@]}" || true
        if pkg-config --exists liburing; then
            udir=${BURROW_BENCH_URING_DIR:-build-bench-uring}
            if [[ -f $udir/meson-private/coredata.dat ]]; then
                meson setup --reconfigure "$udir" --wrap-mode=nodownload -Dbuildtype=release -Dasio_backend=io_uring \
                    >/dev/null || meson setup --wipe "$udir" "${setup_args[@]}" -Dasio_backend=io_uring
            else
                meson setup "$udir" "${setup_args[@]}" -Dasio_backend=io_uring
            fi
            ninja -C "$udir" bench/e2e/burrow-e2e-echo bench/e2e/beast-e2e-echo bench/e2e/tcp-e2e-echo
            e2e_args=(--uring-build "$udir")
            # Only this comparison (to try it): no race, and docs/bench/ is left alone.
            [[ ${E2E_ONLY_URING:-0} != 0 ]] && e2e_args+=(--only-uring)
        else
            echo "==> Asio on io_uring: skipped (liburing-dev is not installed; apt-get install liburing-dev)"
        fi
    fi
    out=bench-results
    [[ ${E2E_ONLY_URING:-0} != 0 ]] && out=bench-results/uring  # leave the last race's results alone
    mkdir -p "$out"
    /usr/bin/python3 scripts/bench_e2e.py "$dir" --out "$out" "${e2e_args[@]}"
    echo
    rm -f "$out/e2e.svg"  # never copy a stale chart below
    /usr/bin/python3 scripts/bench_e2e_table.py "$out/e2e.json" --markdown "$out/e2e.md" --svg "$out/e2e.svg"
    echo "==> wrote $out/e2e.json and $out/e2e.md$([[ -f $out/e2e.svg ]] && echo " and $out/e2e.svg")"
    if [[ ${E2E_DOCS:-1} != 0 && ${E2E_ONLY_URING:-0} == 0 ]]; then
        mkdir -p docs/bench
        cp bench-results/e2e.md docs/bench/e2e.md
        [[ -f bench-results/e2e.svg ]] && cp bench-results/e2e.svg docs/bench/e2e.svg
        echo "==> copied to docs/bench/e2e.md and docs/bench/e2e.svg (tracked: commit them from a run worth showing)"
    fi
    exit 0
fi
ninja -C "$dir" bench/codec/burrow-codec-bench

mkdir -p bench-results
bench_args=(--benchmark_repetitions="$reps" --benchmark_report_aggregates_only=true
            --benchmark_out_format=json --benchmark_out=bench-results/codec.json)
[[ -n $filter ]] && bench_args+=(--benchmark_filter="$filter")
[[ -n $min_time ]] && bench_args+=(--benchmark_min_time="$min_time")

echo "==> $dir/bench/codec/burrow-codec-bench ${bench_args[*]}"
# Progress on the console; the JSON goes to the --benchmark_out file.
"$dir/bench/codec/burrow-codec-bench" "${bench_args[@]}" --benchmark_format=console

# The compiler that built the benchmark, as compile_commands.json names it.
compiler=$(/usr/bin/python3 -c '
import json, sys
print(json.load(open(sys.argv[1]))[0]["command"].split()[0])
' "$dir/compile_commands.json" 2>/dev/null || echo c++)
compiler=$("$compiler" --version 2>/dev/null | head -n 1 || echo "$compiler")
flags="buildtype=release, no -march"
[[ -n ${BURROW_FORCE_KERNEL:-} ]] && flags+=", BURROW_FORCE_KERNEL=$BURROW_FORCE_KERNEL"

echo
/usr/bin/python3 scripts/bench_table.py bench-results/codec.json --markdown bench-results/codec.md \
    --compiler "${compiler:-unknown} ($flags)"
echo
echo "==> wrote bench-results/codec.json and bench-results/codec.md"
