//! Compile errors a person can act on: each file under tests/ui must fail to compile with the
//! error in its `.stderr` (`TRYBUILD=overwrite cargo test --test ui` rewrites them).

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/*.rs");
}
