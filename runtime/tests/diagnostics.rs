//! Diagnoses: every step of a call but the call, on the inputs that used to be dangerous.
#![cfg(feature = "discovery")]

use ffi_auto_runtime::{Value, diagnostics};

#[test]
fn a_diagnosis_stops_at_the_first_argument_that_fails() {
    // The format string fails to convert: the variadic arguments after it are not checked
    // (checking them reads the format string's slot, which was never written).
    let d = diagnostics::diagnose("printf", &[Value::Void, Value::I32(1)]);
    assert!(!d.would_call(), "{d}");
    let text = d.to_string();
    assert!(text.contains("FAIL argument 1 (const char *)"), "{text}");
    assert!(
        text.contains("1 more not checked past the first that fails"),
        "{text}"
    );
    // A good format, and an argument it does not describe.
    let d = diagnostics::diagnose("printf", &[Value::Str("%d\n"), Value::F64(1.5)]);
    assert!(!d.would_call(), "{d}");
    assert!(
        d.to_string()
            .contains("FAIL argument 2 (variadic)      argument 2 of `printf` must be `int`"),
        "{d}"
    );
    let d = diagnostics::diagnose("printf", &[Value::Str("%d\n"), Value::I32(7)]);
    assert!(d.would_call(), "{d}");
}

#[test]
fn status_names_the_tiers_and_the_policy() {
    let s = diagnostics::status().to_string();
    assert!(s.contains("call tiers   direct:"), "{s}");
    assert!(s.contains("policy       environment: preset"), "{s}");
    assert!(diagnostics::help().contains("ffi-system-status"));
}

#[test]
fn bench_measures_each_dynamic_path() {
    let rows = diagnostics::bench("abs", &[Value::I32(-3)], 100).unwrap();
    let paths: Vec<&str> = rows.iter().map(|r| r.path).collect();
    assert_eq!(
        paths,
        [
            "handle, Values (registers)",
            "by name, Values",
            "handle, libffi only"
        ]
    );
    assert!(rows.iter().all(|r| r.ns > 0.0));
    assert!(diagnostics::bench("no_such_function_here", &[], 1).is_err());
}
