#!/usr/bin/env bash
# The main job on a fresh machine, in one command: installs the Debian packages that are missing,
# builds burrow-demo, and runs it. Without arguments the demo starts a WebSocket echo server and a
# CONNECT proxy with Basic authentication on 127.0.0.1 inside its own process, connects through
# the proxy (answering its 407), sends "test message", reads the echo, closes cleanly and prints
# the exchange. With a URL it does the same against a real server (and --proxy, or the proxy
# variables of the environment).
set -euo pipefail

usage() {
    cat <<'USAGE'
usage: scripts/demo.sh [--build-dir DIR] [--no-build] [URL [--proxy PROXY] [--message TEXT] [--timeout S]]

  (no URL)         embedded echo server + CONNECT proxy with Basic auth on 127.0.0.1
  URL              a ws:// echo server, e.g. ws://echo.example/
  --proxy PROXY    http://[user:password@]host:port or socks5h://host:port
                   (default with a URL: ws_proxy / http_proxy / all_proxy from the environment)
  --build-dir DIR  the meson build directory to use (default: build)
  --no-build       do not install packages or build; run DIR's burrow-demo as it is (for tests)
  -h, --help       this text

Exit status: 0 when the message came back and the connection closed cleanly.
USAGE
}

cd "$(dirname "${BASH_SOURCE[0]}")/.."
build_dir=build
build=1
demo_args=()
while (($#)); do
    case "$1" in
    --build-dir)
        (($# >= 2)) || { echo "error: --build-dir needs a directory" >&2; exit 2; }
        build_dir=$2
        shift
        ;;
    --no-build) build=0 ;;
    -h | --help) usage; exit 0 ;;
    *) demo_args+=("$1") ;;
    esac
    shift
done

demo=$build_dir/tools/burrow-demo/burrow-demo
if ((build)); then
    # shellcheck source=lib/packages.sh
    source scripts/lib/packages.sh
    burrow_ensure_packages "${BURROW_BASE_PACKAGES[@]}"
    if [[ ! -f $build_dir/build.ninja ]]; then
        echo "==> configuring $build_dir"
        meson setup "$build_dir" --wrap-mode=nodownload
    fi
    echo "==> building burrow-demo in $build_dir"
    ninja -C "$build_dir" tools/burrow-demo/burrow-demo
    echo
fi
if [[ ! -x $demo ]]; then
    echo "error: $demo is missing (run without --no-build)" >&2
    exit 1
fi
exec "$demo" "${demo_args[@]}"
