//! `long double` from the macros: a name-only entry calls through the runtime with
//! `LongDouble` values (Rust has no type with its ABI).
#![cfg(target_arch = "x86_64")]

use ffi_auto::LongDouble;

ffi_auto::defcfuns! {
    #![ffi_auto(lib = "m")]
    fn sqrtl;
    fn cbrtl;
}

#[test]
fn a_name_only_long_double_function_is_called_through_the_runtime() {
    let r: LongDouble = sqrtl(LongDouble::from_f64(2.0)).unwrap();
    assert_eq!(r.to_f64(), 2f64.sqrt());
    assert_ne!(r.to_bytes(), LongDouble::from_f64(2f64.sqrt()).to_bytes());
    let c: LongDouble = cbrtl(27.0f64).unwrap();
    assert_eq!(c.to_f64(), 3.0);
}
