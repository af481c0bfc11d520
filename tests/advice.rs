//! The tracking report's advice compiles: `advice/hot.rs` is what `Report::advice` writes for
//! the calls below (checked here, comments aside), and it is compiled into this test.

use ffi_auto::{ffi_call, track};

mod advice {
    include!("advice/hot.rs");
}

/// The code without comments and blank space, for comparing.
fn code(s: &str) -> String {
    s.lines()
        .map(|l| l.split("//").next().unwrap_or("").trim())
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn the_advice_for_hot_calls_is_a_block_that_compiles() {
    let ((), report) = track::scope(|| {
        for i in 0..track::HOT_CALLS {
            let _: f64 = ffi_call("cbrt", i as f64).unwrap();
            let _: i32 = ffi_call("toupper", 97).unwrap();
            let _: usize = ffi_call("strlen", c"abc").unwrap();
        }
    });
    let advice = report.advice().expect("hot calls");
    assert_eq!(
        code(&advice),
        code(include_str!("advice/hot.rs")),
        "the advice changed; the new block:\n{advice}"
    );
    // The block, compiled: the same functions as compile-time calls.
    assert_eq!(advice::cbrt(8.0), 2.0);
    assert_eq!(advice::toupper(97), 65);
    // A pointer parameter: an `unsafe fn` taking the raw pointer.
    // SAFETY: a NUL-terminated string that outlives the call.
    assert_eq!(unsafe { advice::strlen(c"abc".as_ptr()) }, 3);
}
