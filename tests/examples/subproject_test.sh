#!/bin/bash
# subproject_test.sh SOURCE_ROOT CONSUMER_DIR: builds tests/examples/consumer, a meson project that
# takes burrow as a subproject (dependency('burrow', fallback : ['burrow', 'burrow_dep'])), in a
# temporary directory: the consumer is copied there and subprojects/burrow holds a copy of
# burrow's meson files, include/ and lib/ (not its build directories). Then runs the program.
# Nothing is written into the source tree.
set -euo pipefail
src=$(cd "$1" && pwd)
consumer=$(cd "$2" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

mkdir -p "$tmp/consumer/subprojects/burrow"
cp "$consumer/meson.build" "$consumer/consumer.cpp" "$tmp/consumer/"
# What a release tarball or a wrap would bring: the build files and the sources meson needs.
# (tests, examples and benchmarks are switched off by the consumer; tools/ is configured but only
# built on demand; burrow-demo includes examples/common, so examples/ comes too.)
for item in meson.build meson_options.txt include lib tools examples subprojects; do
    [ -e "$src/$item" ] && cp -r "$src/$item" "$tmp/consumer/subprojects/burrow/"
done
echo "ok   consumer project with subprojects/burrow in $tmp"

cd "$tmp/consumer"
# --force-fallback-for: use the subproject even if a burrow.pc is installed on this machine.
# debug: -O0 compiles fastest; the point is that it builds, links and runs.
meson setup build --wrap-mode=nodownload --force-fallback-for=burrow --buildtype=debug >setup.log 2>&1 || {
    cat setup.log
    echo "FAIL meson setup of the consumer project"
    exit 1
}
grep -q "Subproject burrow finished" setup.log || { cat setup.log; echo "FAIL burrow was not used as a subproject"; exit 1; }
echo "ok   meson setup: burrow found as a subproject"
# Only the consumer and what it needs (burrow's libraries), not burrow's tools.
ninja -C build consumer >build.log 2>&1 || { tail -50 build.log; echo "FAIL build"; exit 1; }
echo "ok   consumer built against the subproject"
./build/consumer
echo "ok   consumer ran"
