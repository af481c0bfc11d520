#!/bin/sh
# `make memcheck` (and the end of `make test`): the runtime's test binaries under valgrind,
# the callback tests and the guard-dropped-while-C-is-inside stress test among them. Any
# memory error, and any block definitely lost, fails the run.
#   FFI_AUTO_STRESS_ROUNDS  rounds of the callback stress test (default 2000)
set -eu
cd "$(dirname "$0")/.."
if ! command -v valgrind >/dev/null 2>&1; then
    echo "memcheck needs valgrind"
    echo "run: sudo apt-get install -y valgrind"
    exit 1
fi
export FFI_AUTO_STRESS_ROUNDS="${FFI_AUTO_STRESS_ROUNDS:-2000}"
# Natively first: builds the tests and fills the signature cache, so that the run under
# valgrind reads databases instead of running libclang (not what this checks, and minutes
# under valgrind).
cargo test -q -p ffi-auto-runtime --tests >/dev/null
host=$(rustc -vV | sed -n 's/^host: //p' | tr 'a-z-' 'A-Z_')
export "CARGO_TARGET_${host}_RUNNER=valgrind -q --error-exitcode=99 --leak-check=full --show-leak-kinds=definite --errors-for-leak-kinds=definite --track-fds=no --suppressions=$(pwd)/scripts/valgrind.supp"
cargo test -p ffi-auto-runtime --tests
echo "memcheck: 0 errors, 0 bytes definitely lost"
