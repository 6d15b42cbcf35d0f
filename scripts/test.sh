#!/usr/bin/env bash
# The one command that tests everything (CI runs it through .ci/run).
#
#   1. installs the Debian packages that are missing (scripts/lib/packages.sh);
#   2. build/       release build (-Dwerror=true): every meson test (unit, header checks,
#                   integration tests against real proxies on 127.0.0.1, benchmark smoke run);
#   3. build-asan/  debug build with AddressSanitizer + UBSan, any finding fatal: the unit suite
#                   (only the targets its tests run are built, scripts/lib/suite_targets.py);
#   4. build-fuzz/  clang-14 build of the libFuzzer targets (tests/fuzz, only those): each runs
#                   for $BURROW_FUZZ_SECONDS seconds (default 30) from its seed corpus;
#   5. counts the results of every build dir's meson-logs/testlog.json. The last line printed is
#      "N passed, N failed" (", N skipped" when some were skipped). Exit status is non-zero when a
#      test, a configure step or a build failed.
set -euo pipefail

usage() {
    cat <<'USAGE'
usage: scripts/test.sh [--quick] [--help]

Builds burrow and runs its tests in build/ (all suites: unit, integration with real proxies,
header checks, benchmark smoke run), build-asan/ (ASan+UBSan unit tests) and build-fuzz/
(libFuzzer targets, clang-14). Missing Debian packages are installed first (needs root).

  --quick   only build/ (skip the sanitizer and fuzz builds)
  --help    this text

Environment:
  BURROW_FUZZ_SECONDS  how long each fuzz target runs (default 30)
  BURROW_BUILD_DIR     name of the main build dir (default build; the others get -asan, -fuzz)
USAGE
}

quick=0
while (($#)); do
    case "$1" in
    --quick) quick=1 ;;
    -h | --help) usage; exit 0 ;;
    *) echo "error: unknown argument: $1" >&2; usage >&2; exit 2 ;;
    esac
    shift
done

cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=lib/packages.sh
source scripts/lib/packages.sh

build_dir=${BURROW_BUILD_DIR:-build}
asan_dir=$build_dir-asan
fuzz_dir=$build_dir-fuzz

export BURROW_FUZZ_SECONDS=${BURROW_FUZZ_SECONDS:-30}
if ! [[ $BURROW_FUZZ_SECONDS =~ ^[0-9]+$ ]] || ((BURROW_FUZZ_SECONDS < 1)); then
    echo "error: BURROW_FUZZ_SECONDS must be a positive integer, got '$BURROW_FUZZ_SECONDS'" >&2
    exit 2
fi

# Sanitizer findings abort the test that found them.
export ASAN_OPTIONS=${ASAN_OPTIONS:-halt_on_error=1:abort_on_error=1:detect_leaks=1:print_summary=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

start=$SECONDS
burrow_ensure_packages "${BURROW_TEST_PACKAGES[@]}"

# One record per build dir for the final count: "dir|steps that failed|meson test status".
records=()

# configure DIR ARGS...: sets up DIR, or reconfigures it when it exists (wiping it if that fails,
# e.g. after a compiler change). The options go through `meson configure` first: meson 1.0's
# `setup --reconfigure` ignores a changed -Dcpp_args.
configure() {
    local dir=$1
    shift
    if [[ -f $dir/meson-private/coredata.dat ]]; then
        { meson configure "$dir" "$@" && meson setup --reconfigure "$dir"; } ||
            { echo "==> reconfigure of $dir failed; wiping it" >&2; meson setup --wipe "$dir" "$@"; }
    else
        meson setup "$dir" "$@"
    fi
}

# run_dir NAME DIR SCOPE CONFIGURE_ARGS... -- MESON_TEST_ARGS...: configure, build and test one
# dir. SCOPE is "all" (build every target: the main dir, where -Dwerror checks all the code) or a
# suite name (build only what that suite's tests run, see scripts/lib/suite_targets.py).
run_dir() {
    local name=$1 dir=$2 scope=$3
    shift 3
    local setup_args=() test_args=()
    while (($#)) && [[ $1 != -- ]]; do setup_args+=("$1"); shift; done
    (($#)) && shift
    test_args=("$@")

    local t0=$SECONDS failed_steps='' test_status=0
    echo
    echo "==> [$name] configure $dir"
    rm -f "$dir/meson-logs/testlog.json"
    if ! configure "$dir" --wrap-mode=nodownload "${setup_args[@]}"; then
        failed_steps=configure
    else
        echo "==> [$name] build $dir ($scope)"
        local targets=() listed=''
        if [[ $scope != all ]]; then
            listed=$(/usr/bin/python3 scripts/lib/suite_targets.py "$dir" "$scope") || listed='!'
            [[ $listed == '!' || -z $listed ]] || mapfile -t targets <<<"$listed"
        fi
        if [[ $listed == '!' ]]; then
            failed_steps=build
        elif ! ninja -C "$dir" -k 0 "${targets[@]}"; then
            failed_steps=build
        else
            echo "==> [$name] test $dir"
            meson test -C "$dir" --no-rebuild --print-errorlogs "${test_args[@]}" || test_status=$?
        fi
    fi
    echo "==> [$name] done in $((SECONDS - t0)) s"
    records+=("$dir|$failed_steps|$test_status|$((SECONDS - t0))")
}

run_dir main "$build_dir" all -Dwerror=true --

if ((!quick)); then
    run_dir asan "$asan_dir" unit \
        -Dbuildtype=debug -Db_sanitize=address,undefined -Db_lundef=false \
        -Dbenchmarks=false -Dwerror=true -Dcpp_args=-fno-sanitize-recover=all \
        -- --suite unit

    if command -v clang++-14 >/dev/null; then
        # The fuzz tests are registered with a timeout of 30 + 120 s; scale it for longer runs.
        multiplier=$(((BURROW_FUZZ_SECONDS + 120 + 149) / 150))
        # The library itself is instrumented too (coverage + ASan/UBSan), not only the harnesses.
        # -fno-sanitize=function: clang 14 cannot compile coroutines with it ("Cannot represent a
        # difference across sections", llvm/llvm-project#49689), and the Asio layer has them.
        CXX=clang++-14 run_dir fuzz "$fuzz_dir" fuzz \
            -Dfuzz=true -Dtests=false -Dbenchmarks=false -Dexamples=false \
            -Dbuildtype=debugoptimized -Db_sanitize=address,undefined -Db_lundef=false \
            "-Dcpp_args=['-fsanitize=fuzzer-no-link','-fno-sanitize-recover=all','-fno-sanitize=function']" \
            -- --suite fuzz --timeout-multiplier "$multiplier"
    else
        echo "==> clang++-14 not found: skipping the fuzz targets"
    fi
fi

echo
echo "==> summary (total $((SECONDS - start)) s)"
exec /usr/bin/python3 - "${records[@]}" <<'PY'
import json, os, sys

passed_kinds = {"OK", "EXPECTEDFAIL"}
failed_kinds = {"FAIL", "UNEXPECTEDPASS", "TIMEOUT", "ERROR"}
total = {"passed": 0, "failed": 0, "skipped": 0}
for record in sys.argv[1:]:
    d, failed_steps, test_status, secs = record.split("|")
    c = {"passed": 0, "failed": 0, "skipped": 0}
    failures = []
    log = os.path.join(d, "meson-logs", "testlog.json")
    if failed_steps:
        c["failed"] += 1
        failures.append(f"{failed_steps} failed")
    elif os.path.exists(log):
        with open(log, encoding="utf-8") as f:
            for line in f:
                line = line.strip()
                if not line:
                    continue
                try:
                    result = json.loads(line).get("result")
                except json.JSONDecodeError:
                    continue
                if result in passed_kinds:
                    c["passed"] += 1
                elif result in failed_kinds:
                    c["failed"] += 1
                    failures.append(json.loads(line).get("name", "?"))
                elif result == "SKIP":
                    c["skipped"] += 1
    if not failed_steps and int(test_status) != 0 and c["failed"] == 0:
        # meson test failed without a failing test (no tests found, a bad argument...).
        c["failed"] += 1
        failures.append(f"meson test exited with {test_status}")
    for k in total:
        total[k] += c[k]
    line = f"  {d:<16} {c['passed']} passed, {c['failed']} failed"
    if c["skipped"]:
        line += f", {c['skipped']} skipped"
    line += f"  ({secs} s)"
    if failures:
        line += "  <- " + ", ".join(failures)
    print(line)

last = f"{total['passed']} passed, {total['failed']} failed"
if total["skipped"]:
    last += f", {total['skipped']} skipped"
print(last, flush=True)
sys.exit(1 if total["failed"] else 0)
PY
