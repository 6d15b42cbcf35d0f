# Shared by scripts/*.sh: the Debian 12 packages burrow needs, and a function that installs the
# missing ones. Source it; it defines functions and arrays only and runs nothing.
#
# To need a new package, add it to the list of the script that needs it (or to BURROW_BASE_PACKAGES
# when every script needs it). Keep one package per line so diffs stay readable.

# What building and testing the library needs.
BURROW_BASE_PACKAGES=(
    meson
    ninja-build
    g++
    pkg-config
    python3
    libboost1.81-dev
    libboost-url1.81-dev
    libwolfssl-dev
    zlib1g-dev
    nlohmann-json3-dev
    libgtest-dev
    libbenchmark-dev
    libcli11-dev
)

# The libFuzzer targets (tests/fuzz) need clang and its runtime libraries.
BURROW_FUZZ_PACKAGES=(
    clang-14
    libclang-rt-14-dev
)

# The real proxies of the integration tests (tests/integration) and the WebSocket peers of the
# interop and conformance tests (tests/interop, tests/conformance) have their own lists.
_burrow_lib_dir=$(dirname "${BASH_SOURCE[0]}")
# shellcheck source=integration_packages.sh
source "$_burrow_lib_dir/integration_packages.sh"
# shellcheck source=interop_packages.sh
source "$_burrow_lib_dir/interop_packages.sh"
unset _burrow_lib_dir

# Everything scripts/test.sh uses.
BURROW_TEST_PACKAGES=("${BURROW_BASE_PACKAGES[@]}" "${BURROW_FUZZ_PACKAGES[@]}"
                      "${BURROW_INTEGRATION_PACKAGES[@]}" "${BURROW_INTEROP_PACKAGES[@]}")

# What scripts/bench.sh e2e adds: the websocketpp server it races, strace for system call counts,
# gnuplot for the chart, taskset (util-linux) to pin the server and the load generator, squid for
# the comparison through a proxy.
BURROW_E2E_PACKAGES=(
    libwebsocketpp-dev
    strace
    gnuplot-nox
    util-linux
    squid
)

# What scripts/bench.sh e2e uses when it can: liburing for the build with Asio on io_uring
# (meson -Dasio_backend=io_uring) that the race compares with epoll. Without it that comparison
# is skipped, nothing else.
BURROW_E2E_OPTIONAL_PACKAGES=(
    liburing-dev
)

# Everything scripts/bench.sh uses.
BURROW_BENCH_PACKAGES=("${BURROW_BASE_PACKAGES[@]}" "${BURROW_E2E_PACKAGES[@]}")

# True when the package is installed (not merely known to dpkg, e.g. removed with its config kept).
burrow_package_installed() {
    dpkg -s "$1" 2>/dev/null | grep -q '^Status: install ok installed$'
}

# burrow_ensure_packages PKG...: installs the packages that are missing, with one `apt-get update`
# first, and only when something is missing. Needs root for that; without root it names what is
# missing and returns non-zero.
burrow_ensure_packages() {
    local missing=() pkg
    for pkg in "$@"; do
        burrow_package_installed "$pkg" || missing+=("$pkg")
    done
    if ((${#missing[@]} == 0)); then
        return 0
    fi
    if [[ $(id -u) -ne 0 ]]; then
        echo "error: missing Debian packages: ${missing[*]}" >&2
        echo "error: install them as root: apt-get install --no-install-recommends ${missing[*]}" >&2
        return 1
    fi
    echo "==> installing missing packages: ${missing[*]}"
    DEBIAN_FRONTEND=noninteractive apt-get update -q
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
}
