#!/bin/sh
# A crate that uses only the macros (`ffi-auto` with default-features = false) builds without
# libffi and runs: examples/macros_only. Run by `make test`.
set -eu
CARGO="${CARGO:-cargo}"
if $CARGO tree -e normal -p ffi-auto-example-macros-only | grep -q libffi; then
    echo "macros only: libffi is in the dependency tree of examples/macros_only:" >&2
    $CARGO tree -e normal -i libffi-sys -p ffi-auto-example-macros-only >&2 || true
    exit 1
fi
$CARGO run -q -p ffi-auto-example-macros-only

# A `dynamic` entry (a call through the engine) in such a crate is a compile error that names
# the feature. Built as a crate of its own beside the workspace, sharing its target directory.
root=$(pwd)
check="$root/target/macros-only-dynamic-entry"
mkdir -p "$check/src"
cat > "$check/Cargo.toml" <<TOML
[package]
name = "macros-only-dynamic-entry"
version = "0.0.0"
edition = "2024"
publish = false

[dependencies]
ffi-auto = { path = "$root", default-features = false }

[workspace]
TOML
cat > "$check/src/main.rs" <<'RS'
ffi_auto::defcfuns! {
    #![ffi_auto(dynamic)]
    fn not_in_any_header;
}
fn main() {}
RS
if out=$(CARGO_TARGET_DIR="$root/target" $CARGO build -q --manifest-path "$check/Cargo.toml" 2>&1); then
    echo "macros only: a dynamic entry compiled without the dynamic feature" >&2
    exit 1
fi
if ! printf '%s' "$out" | grep -q "enable the \`dynamic\` feature"; then
    echo "macros only: a dynamic entry failed without naming the feature:" >&2
    printf '%s\n' "$out" >&2
    exit 1
fi
echo "macros only: a dynamic entry is a compile error naming the \`dynamic\` feature"
