#!/bin/sh
# The runtime's unit tests and its ABI tests (long double as IEEE binary128 in vector
# registers, __int128 refused, the fixture's calls through every tier) on aarch64, built with
# the cross compiler and run under qemu's user-mode emulation. Run by `make test`.
set -eu
CARGO="${CARGO:-cargo}"
target=aarch64-unknown-linux-gnu
if ! rustup target list --installed 2>/dev/null | grep -qx "$target"; then
    if ! rustup target add "$target" >/dev/null 2>&1; then
        echo "aarch64: SKIPPED: rustup could not install the $target standard library" >&2
        echo "aarch64: run: rustup target add $target" >&2
        exit 0
    fi
fi
export CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_LINKER=aarch64-linux-gnu-gcc
export CC_aarch64_unknown_linux_gnu=aarch64-linux-gnu-gcc
export CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_RUNNER="qemu-aarch64 -L /usr/aarch64-linux-gnu"
# Without discovery: libclang is a host library, and these tests write their signatures.
$CARGO test -q -p ffi-auto-runtime --no-default-features --features dynamic --target "$target" \
    --lib --test wide_abi --test fixture
