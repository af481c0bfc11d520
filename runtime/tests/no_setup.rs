//! A fresh program, no registration: signatures come from the system headers.
#![cfg(feature = "discovery")]

use std::hint::black_box;

use ffi_auto_runtime::{Error, Value, ffi_call, ffi_call_values, prepare};

#[test]
fn strlen_by_name_with_no_setup() {
    assert_eq!(ffi_call::<usize>("strlen", "hello").unwrap(), 5);
    let s: f64 = ffi_call(("sin", "m"), 1.0).unwrap();
    assert_eq!(s, black_box(1.0f64).sin());
    // Found in string.h, at the line the header declares it.
    let f = prepare("strlen").unwrap();
    assert!(f.origin().contains("string.h:"), "{}", f.origin());
    assert!(f.signature().params[0].nonnull);
    // The header says nonnull, so null is refused before the call.
    let err = ffi_call_values("strlen", &[Value::Null]).unwrap_err();
    assert!(matches!(err, Error::NullPointer { .. }), "{err}");
    // Typedefs and variadics come through: snprintf's size_t, printf's `...`.
    assert_eq!(ffi_call::<i32>("abs", -3).unwrap(), 3);
    assert_eq!(ffi_call::<u32>("getpid", ()).unwrap(), std::process::id());
}

#[test]
fn redirected_functions_call_the_symbol_the_linker_sees() {
    // glibc declares sscanf with `__asm__("__isoc99_sscanf")`.
    let f = prepare("sscanf").unwrap();
    let mut n = 0i32;
    // SAFETY: "%d" writes one int into `n`.
    let matched: i32 = unsafe { f.call_raw((c"42", c"%d", &mut n)) }.unwrap();
    assert_eq!((matched, n), (1, 42));
}

#[test]
fn a_name_no_header_declares_lists_the_headers_and_the_closest_names() {
    let err = ffi_call::<usize>("strlenn", "x").unwrap_err();
    let Error::NoSignature {
        consulted, closest, ..
    } = &err
    else {
        panic!("expected NoSignature, got {err}");
    };
    assert!(
        consulted
            .iter()
            .any(|c| c.contains("the C standard library and POSIX headers")),
        "{consulted:?}"
    );
    assert!(closest.iter().any(|c| c == "strlen"), "{closest:?}");
    let msg = err.to_string();
    assert!(msg.contains("hint: name the header"), "{msg}");
}

#[test]
fn macros_are_reported_as_not_callable() {
    let err = ffi_call::<i32>("WEXITSTATUS", 0).unwrap_err();
    assert!(matches!(err, Error::NotCallable { .. }), "{err}");
    assert!(err.to_string().contains("macro"), "{err}");
}
