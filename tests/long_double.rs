//! `long double` from the macros: a name-only entry calls through the runtime with
//! `LongDouble` values (Rust has no type with its ABI); a generated struct holds one as a
//! `CLongDouble` field, and a function taking such a struct by value goes through the runtime
//! too.
#![cfg(target_arch = "x86_64")]

use ffi_auto::{CLongDouble, LongDouble};

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

ffi_auto::defcfuns! {
    #![ffi_auto(lib = "ffiauto_fixture", header = "fixture/c/fixture.h")]
    struct fx_ld_pair;
    fn fx_ld_pair_scale;
}

#[test]
fn a_generated_struct_holds_a_long_double_field_with_c_layout() {
    // `struct fx_ld_pair { int tag; long double value; }`: 32 bytes aligned to 16, the value
    // at 16 (the layout assertions of the generated type check the same).
    assert_eq!(std::mem::size_of::<fx_ld_pair>(), 32);
    assert_eq!(std::mem::align_of::<fx_ld_pair>(), 16);
    assert_eq!(std::mem::offset_of!(fx_ld_pair, value), 16);
    let p = fx_ld_pair {
        tag: 4,
        value: CLongDouble::from(LongDouble::from_f64(1.25)),
    };
    // By value, through the runtime (libffi knows the struct's ABI): {tag + 1, value * 3}.
    ffi_auto::config::add_header(&ffi_auto_fixture::header().display().to_string());
    let r: fx_ld_pair = fx_ld_pair_scale((p, 3)).unwrap();
    assert_eq!(r.tag, 5);
    assert_eq!(r.value.get(), LongDouble::from_f64(3.75));
}
