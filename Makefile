# The two commands the README starts with, and the rest.
#   make demo      runs examples/tour.rs: real calls into libc and libm
#   make test      every test, the format and lint checks CI enforces, the runtime without
#                  discovery, its ABI tests on aarch64 under qemu, and memcheck
#   make memcheck  the runtime's tests (callbacks, the drop stress test) under valgrind
#   make fuzz      every fuzz target for FUZZ_SECONDS (60) each; FUZZ_MERGE=1 keeps new inputs
#   make bench     criterion timings, callgrind instruction counts, discovery start-up times and
#                  build times (ffi-auto vs extern blocks vs bindgen),
#                  as tables for the README

CARGO ?= cargo

.PHONY: demo test memcheck fuzz bench deps

deps:
	@sh scripts/deps.sh

demo: deps
	$(CARGO) run --release --example tour

test: deps
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings
	$(CARGO) test --workspace
	$(CARGO) test --features track-wrappers --test tracked_wrappers
	$(CARGO) test -p ffi-auto-runtime --no-default-features --features dynamic --lib --tests
	@sh scripts/macros_only.sh
	@sh scripts/aarch64.sh
	@sh scripts/memcheck.sh

memcheck: deps
	@sh scripts/memcheck.sh

fuzz: deps
	@sh scripts/fuzz.sh

bench:
	@sh scripts/deps.sh bench
	$(CARGO) bench --bench calls
	@echo
	@echo "criterion, median ns per call ($$(date -u +%F)):"
	@python3 scripts/bench_table.py
	$(CARGO) bench --bench instructions --no-run
	LD_LIBRARY_PATH=$$(dirname $$(ls -t target/release/build/ffi-auto-fixture-*/out/libffiauto_fixture.so | head -n 1)) \
		valgrind --tool=callgrind --callgrind-out-file=target/instructions.callgrind \
		$$(ls -t target/release/deps/instructions-* | grep -v '\.d$$' | head -n 1) >/dev/null 2>&1
	@echo
	@echo "callgrind, instructions per call ($$(date -u +%F)):"
	@python3 scripts/instructions_table.py target/instructions.callgrind 100000
	$(CARGO) bench --bench discovery
	@echo
	@echo "signature discovery ($$(date -u +%F)):"
	$(CARGO) bench --bench discovery_startup
	@echo
	@echo "build times, 100 libc functions ($$(date -u +%F)):"
	@python3 scripts/build_times.py
