#!/bin/sh
# Installs what a fresh Debian/Ubuntu machine lacks for building and testing ffi-auto, with
# apt-get when run as root; otherwise prints the exact command to run. Usage:
#   scripts/deps.sh            what `make demo` and `make test` need
#   scripts/deps.sh bench      also what `make bench` needs
set -eu

missing=""
need_cmd() { # command package
    command -v "$1" >/dev/null 2>&1 || missing="$missing $2"
}
need_pkg() { # package (a library, detected through dpkg)
    dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "ok installed" || missing="$missing $1"
}

# The C toolchain: cc links the test fixture, and the bundled libffi is built with sh, make
# and cc (no autotools needed).
need_cmd cc gcc
need_cmd make make
need_pkg libc6-dev
# libclang, loaded at run time by signature discovery; pkg-config finds include flags; zlib's
# header is part of the discovery oracle test.
need_pkg libclang-dev
need_cmd pkg-config pkg-config
need_pkg zlib1g-dev
# sqlite3: the real-library tests (exec callbacks, prepared statements), and the oracle.
need_pkg libsqlite3-dev
# The discovery oracle (discovery/tests/oracle.rs) compares every function and struct of these
# libraries' headers with bindgen's: umbrella headers (openssl/ssl.h, lzma.h), handles passed
# as one-element arrays of anonymous structs (gmp.h), nested and tagged unions (yaml.h),
# headers under a pkg-config include directory (libpng16/, libxml2/).
# tests/real_programs/ runs small programs against all of them but libpng.
need_pkg libssl-dev
need_pkg libgmp-dev
need_pkg libbz2-dev
need_pkg liblzma-dev
need_pkg libpng-dev
need_pkg libxml2-dev
need_pkg libyaml-dev
need_pkg libexpat1-dev
# liburing: an API that is mostly `static inline` (`io_uring_prep_*`), called through shims
# (runtime/tests/shims.rs).
need_pkg liburing-dev
# valgrind: `make memcheck`, which `make test` runs (and callgrind for `make bench`).
need_cmd valgrind valgrind
# aarch64 under emulation (scripts/aarch64.sh, which `make test` runs): the cross compiler and
# C library, and qemu's user-mode emulator.
need_cmd aarch64-linux-gnu-gcc gcc-aarch64-linux-gnu
need_pkg libc6-dev-arm64-cross
need_cmd qemu-aarch64 qemu-user
if [ "${1:-}" = "bench" ]; then
    need_cmd python3 python3
    # the `system-libffi` row of the build-time table
    need_pkg libffi-dev
fi

if [ -n "$missing" ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "installing:$missing"
        apt-get update -qq
        # shellcheck disable=SC2086
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing
    else
        echo "ffi-auto needs:$missing"
        echo "run: sudo apt-get install -y$missing"
        exit 1
    fi
fi

if ! command -v cargo >/dev/null 2>&1; then
    echo "ffi-auto needs a Rust toolchain (1.88 or newer)."
    echo "run: curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs | sh"
    exit 1
fi
