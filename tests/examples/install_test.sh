#!/bin/bash
# install_test.sh BUILD_DIR CONSUMER_CPP [SANITIZE]: `meson install --destdir` into a temporary directory,
# then compile, link and run a small program with `pkg-config --cflags --libs burrow` against
# that install, the way a user of an installed burrow builds. Nothing is written outside the
# temporary directory (the build directory is only read: --no-rebuild).
set -euo pipefail
build=$(cd "$1" && pwd)
consumer=$2
sanitize=${3:-none}  # the build's b_sanitize: its libraries need the consumer built the same way
extra=()
[ "$sanitize" = none ] || extra=("-fsanitize=$sanitize")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

meson install -C "$build" --destdir "$tmp/root" --no-rebuild --quiet >"$tmp/install.log" 2>&1 || {
    cat "$tmp/install.log"
    echo "FAIL meson install --destdir"
    exit 1
}
pc=$(find "$tmp/root" -name burrow.pc)
[ -n "$pc" ] || { echo "FAIL no burrow.pc installed"; find "$tmp/root" | head -50; exit 1; }
echo "ok   installed: ${pc#"$tmp/root"}"
for h in burrow/asio/stream.hpp burrow/asio/tls.hpp burrow/http/head_parser.hpp burrow/error.hpp; do
    [ -n "$(find "$tmp/root" -path "*/include/$h")" ] || { echo "FAIL header $h not installed"; exit 1; }
done
for l in libburrow_core.a libburrow_asio.a; do
    [ -n "$(find "$tmp/root" -name "$l")" ] || { echo "FAIL $l not installed"; exit 1; }
done
echo "ok   headers and static libraries installed"

# The .pc file names the real prefix (/usr/local by default): point it at the staged copy with
# --define-variable. (PKG_CONFIG_SYSROOT_DIR would also move wolfSSL's system paths, and
# --define-prefix guesses wrong for a multiarch libdir such as lib/x86_64-linux-gnu.)
prefix=$(sed -n 's/^prefix=//p' "$pc")
export PKG_CONFIG_PATH=$(dirname "$pc")
cflags=$(pkg-config --define-variable=prefix="$tmp/root$prefix" --cflags burrow)
libs=$(pkg-config --define-variable=prefix="$tmp/root$prefix" --libs burrow)
echo "     pkg-config --cflags: $cflags"
echo "     pkg-config --libs:   $libs"
case " $cflags " in
*" -DBOOST_ASIO_USE_WOLFSSL "*) ;;
*) echo "FAIL Cflags lack -DBOOST_ASIO_USE_WOLFSSL"; exit 1 ;;
esac
# shellcheck disable=SC2086  # the flags are meant to be split
c++ -std=c++20 -O0 "${extra[@]}" -o "$tmp/consumer" "$consumer" $cflags $libs
echo "ok   consumer compiled and linked with pkg-config's flags only (the staged headers, not the source tree)"
"$tmp/consumer"
echo "ok   consumer ran"
