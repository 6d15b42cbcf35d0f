#!/usr/bin/env bash
# run_fuzzer.sh EXE SEED_CORPUS_DIR [ARTIFACT_DIR]: runs one libFuzzer target for
# $BURROW_FUZZ_SECONDS seconds (default 30) on a temporary copy of its seed corpus, so the source
# tree is never written to. Crash reproducers go to ARTIFACT_DIR (default: the current directory).
# Exits 0 when the fuzzer found nothing, 1 otherwise (never libFuzzer's default 77, which meson
# would count as a skipped test).
set -euo pipefail

if (($# < 2)); then
    echo "usage: $0 EXE SEED_CORPUS_DIR [ARTIFACT_DIR]" >&2
    exit 2
fi
exe=$1
seeds=$2
artifacts=${3:-.}
seconds=${BURROW_FUZZ_SECONDS:-30}

corpus=$(mktemp -d "${TMPDIR:-/tmp}/burrow-fuzz.XXXXXX")
trap 'rm -rf "$corpus"' EXIT
if [[ -d $seeds ]]; then
    cp -R "$seeds/." "$corpus/"
fi
mkdir -p "$artifacts"

status=0
"$exe" -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=60 -print_final_stats=1 \
    -error_exitcode=1 -timeout_exitcode=1 -artifact_prefix="$artifacts/" "$corpus" || status=$?
if ((status != 0)); then
    echo "run_fuzzer.sh: $(basename "$exe") failed with status $status; reproducers in $artifacts/" >&2
    exit 1
fi
