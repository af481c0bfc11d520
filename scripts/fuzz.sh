#!/bin/sh
# `make fuzz`: every cargo-fuzz target for a bounded time, seeded with its committed corpus
# (fuzz/corpus/<target>, read only: new inputs go to a scratch directory). A crash fails the
# run and leaves its input in fuzz/artifacts/<target>/; add it to the corpus once fixed.
#   FUZZ_SECONDS  seconds per target (default 60)
#   FUZZ_MERGE=1  merge what the run found into the committed corpora (minimized)
set -eu
cd "$(dirname "$0")/.."
seconds="${FUZZ_SECONDS:-60}"

if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "installing cargo-fuzz (cargo install cargo-fuzz --locked)"
    cargo install cargo-fuzz --locked
fi
# cargo-fuzz passes -Z sanitizer flags: a nightly toolchain if there is one, else the stable
# one with RUSTC_BOOTSTRAP (stable ships the sanitizer runtimes on x86_64 Linux).
if rustup toolchain list 2>/dev/null | grep -q '^nightly'; then
    fuzz="cargo +nightly fuzz"
else
    export RUSTC_BOOTSTRAP=1
    fuzz="cargo fuzz"
fi

status=0
for target in db_decode sig_parse cli_args format; do
    case "$target" in
        db_decode) max_len=65536 ;;
        *) max_len=4096 ;;
    esac
    scratch=$(mktemp -d)
    echo "== $target: ${seconds}s"
    if ! $fuzz run -O "$target" "$scratch" "fuzz/corpus/$target" -- \
        -max_total_time="$seconds" -max_len="$max_len" -timeout=10 -rss_limit_mb=4096 \
        -print_final_stats=1 2>"$scratch.log"; then
        grep -E 'SUMMARY|Test unit written|panicked' "$scratch.log" || tail -n 30 "$scratch.log"
        status=1
    else
        grep -E '^Done|stat::number_of_executed_units|stat::new_units_added' "$scratch.log" || true
        if [ "${FUZZ_MERGE:-0}" = 1 ]; then
            # Keep the committed corpora small: new inputs of at most 4 KiB (the seeds, whole
            # databases, stay as they are).
            find "$scratch" -type f -size +4096c -delete
            $fuzz run -O "$target" "fuzz/corpus/$target" "$scratch" -- -merge=1 \
                -max_len="$max_len" 2>/dev/null
        fi
    fi
    rm -rf "$scratch" "$scratch.log"
done
if [ "$status" = 0 ]; then
    echo "fuzz: 0 crashes"
fi
exit "$status"
