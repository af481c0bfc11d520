//! With the feature `track-wrappers`, compile-time wrappers are counted by `track` too (run
//! by `make test` with the feature on).

use std::ffi::{CStr, c_int};

use ffi_auto::track::{self, Via};

ffi_auto::defcfuns! {
    fn abs(x: c_int) -> c_int;
    fn strlen(s: &CStr) -> usize;
}

#[test]
fn a_tracked_scope_counts_compile_time_wrappers() {
    // Outside a scope: not counted.
    assert_eq!(abs(-1), 1);
    let ((), report) = track::scope(|| {
        for i in 0..7 {
            assert_eq!(abs(-i), i);
        }
        assert_eq!(strlen(c"four"), 4);
    });
    let row = |f: &str| {
        report
            .rows
            .iter()
            .find(|r| r.function == f && r.via == Via::Wrapper)
    };
    assert_eq!(row("abs").map(|r| r.calls), Some(7), "{report}");
    assert_eq!(row("strlen").map(|r| r.calls), Some(1), "{report}");
    assert!(report.to_string().contains("abs       wrapper"), "{report}");
    // Already compile-time calls: no advice for them.
    assert!(report.advice_for(&["abs"]).is_none());
}
