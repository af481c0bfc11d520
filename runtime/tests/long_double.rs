//! `long double` on the dynamic path: `LongDouble` holds its bytes, libffi passes it.
#![cfg(all(feature = "discovery", target_arch = "x86_64"))]

use std::ffi::c_int;

use ffi_auto_runtime::{LongDouble, Value, ffi_call, ffi_call_raw, prepare};

#[test]
fn long_double_functions_are_called_with_their_exact_bytes() {
    let two = LongDouble::from_f64(2.0);
    let r: LongDouble = ffi_call("sqrtl", two).unwrap();
    assert_eq!(r.to_f64(), 2f64.sqrt());
    // The exact bytes, with the bits a double does not have (except under valgrind, whose
    // x87 emulation computes in double precision: `make test` runs this file under it).
    let valgrind = std::env::var("LD_PRELOAD").is_ok_and(|p| p.contains("vgpreload"));
    if !valgrind {
        assert_ne!(r.to_bytes(), LongDouble::from_f64(2f64.sqrt()).to_bytes());
    }
    // frexpl: 8 = 0.5 * 2^4, through an out-parameter.
    let mut exp: c_int = 0;
    // SAFETY: `exp` is an `int` frexpl writes.
    let m: LongDouble =
        unsafe { ffi_call_raw("frexpl", (LongDouble::from_f64(8.0), &mut exp)) }.unwrap();
    assert_eq!((m.to_f64(), exp), (0.5, 4));
    // A double passes to a `long double` parameter exactly; `Value`s too.
    let f = prepare("fabsl").unwrap();
    assert_eq!(f.call::<LongDouble>(-1.25f64).unwrap().to_f64(), 1.25);
    let v = f
        .call_values(&[Value::LongDouble(LongDouble::from_f64(-3.0))])
        .unwrap();
    assert!(
        matches!(v, Value::LongDouble(x) if x.to_f64() == 3.0),
        "{v:?}"
    );
    // Read as f64, the return is an error that says how to read it.
    let e = ffi_call::<f64>("sqrtl", two).unwrap_err();
    assert!(e.to_string().contains("LongDouble"), "{e}");
}
