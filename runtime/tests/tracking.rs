//! Call tracking: a scope reports exactly the calls it ran, by path and tier, and writes the
//! `defcfuns!` block for the hot ones.
#![cfg(feature = "discovery")]

use ffi_auto_runtime::track::{self, Tier, Via};
use ffi_auto_runtime::{Value, ffi_call, prepare};

/// A scope counts the calls of every thread: the tests take turns.
static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());

#[test]
fn a_scope_reports_the_exact_calls_it_ran_by_path_and_tier() {
    let _turn = ONE_AT_A_TIME
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let abs = prepare("abs").unwrap();
    let pow = prepare(("pow", "m")).unwrap();
    // Before the scope: not counted.
    let _: usize = ffi_call("strlen", "before").unwrap();
    assert!(!track::is_on());

    let ((), report) = track::scope(|| {
        assert!(track::is_on());
        for _ in 0..5 {
            assert_eq!(ffi_call::<usize>("strlen", c"hello").unwrap(), 5);
        }
        for i in 0..3 {
            assert_eq!(abs.call::<i32>(-i).unwrap(), i);
        }
        // An `i64` for an `int`: converted with a range check, through libffi.
        assert_eq!(abs.call::<i32>(-7i64).unwrap(), 7);
        for _ in 0..2 {
            let v = pow
                .call_values(&[Value::F64(2.0), Value::F64(3.0)])
                .unwrap();
            assert_eq!(v, Value::F64(8.0));
        }
        // A refused argument is still a call that was attempted, and counted as one.
        assert!(abs.call::<i32>(u64::MAX).is_err());
    });
    assert!(!track::is_on());
    // After the scope: not counted either.
    let _: usize = ffi_call("strlen", "after").unwrap();

    let row = |f: &str, via: Via, tier: Tier| {
        report
            .rows
            .iter()
            .find(|r| r.function == f && r.via == via && r.tier == tier)
            .map(|r| r.calls)
    };
    assert_eq!(report.calls("strlen"), 5, "{report}");
    assert_eq!(row("strlen", Via::Name, Tier::Direct), Some(5), "{report}");
    assert_eq!(row("abs", Via::Handle, Tier::Direct), Some(3), "{report}");
    assert_eq!(row("abs", Via::Handle, Tier::Libffi), Some(2), "{report}");
    assert_eq!(
        row("pow", Via::Handle, Tier::Registers),
        Some(2),
        "{report}"
    );
    assert_eq!(report.rows.len(), 4, "{report}");
    let strlen = report.rows.iter().find(|r| r.function == "strlen").unwrap();
    assert!(strlen.total > std::time::Duration::ZERO);
    assert!(
        strlen.declaration.starts_with("size_t strlen(const char *"),
        "{}",
        strlen.declaration
    );
    // Nothing is hot at these counts.
    assert!(report.hot().is_empty());
    let text = report.to_string();
    assert!(text.starts_with("function"), "{text}");
    assert!(text.contains("strlen    by name   direct"), "{text}");
}

#[test]
fn hot_calls_get_a_ready_to_paste_block() {
    let _turn = ONE_AT_A_TIME
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let ((), report) = track::scope(|| {
        for i in 0..track::HOT_CALLS {
            let _: f64 = ffi_call("cbrt", i as f64).unwrap();
            let _: i32 = ffi_call("toupper", 97).unwrap();
        }
        let _: usize = ffi_call("strlen", "once").unwrap();
    });
    assert_eq!(report.hot(), ["cbrt", "toupper"], "{report}");
    let advice = report.advice().unwrap();
    assert!(
        advice.contains("#![ffi_auto(lib = \"m\")]\n    pub fn cbrt;"),
        "{advice}"
    );
    assert!(advice.contains("pub fn toupper;"), "{advice}");
    assert!(!advice.contains("strlen"), "{advice}");
    assert!(
        report.to_string().contains("as compile-time calls"),
        "{report}"
    );
}
