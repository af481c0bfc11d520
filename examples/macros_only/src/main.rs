//! ffi-auto with `default-features = false`: the macros check declarations against the headers
//! and expand to direct `extern` calls (and `lazy` ones), with no dynamic engine and no libffi
//! in the build (`make test` checks both: this runs, and its dependency tree has no libffi).

use std::ffi::{CStr, c_int, c_long};

use ffi_auto::{defcfuns, ffi_auto};

#[ffi_auto]
fn strlen(s: &CStr) -> usize;

defcfuns! {
    #![ffi_auto(lib = "m")]
    fn cbrt;
    struct ldiv_t;
    fn ldiv;
    const SEEK_END;
    unsafe fn gettimeofday;
}

// Resolved on the first call (`dlopen`), no link-time dependency: a `Result`.
#[ffi_auto(lib = "m", lazy)]
fn hypot(x: f64, y: f64) -> f64;

fn main() {
    assert_eq!(strlen(c"hello"), 5);
    assert_eq!(cbrt(8.0), 2.0);
    let d = ldiv(-17, 5);
    assert_eq!((d.quot, d.rem), (-3 as c_long, -2 as c_long));
    assert_eq!(SEEK_END, 2 as c_int);
    assert_eq!(hypot(3.0, 4.0).expect("libm loads"), 5.0);
    // A generated struct is a C type for checked signatures.
    let _: fn() -> ffi_auto::sig::CType = <ldiv_t as ffi_auto::sig::RustType>::c_type;
    println!("macros only: strlen, cbrt, ldiv, SEEK_END and a lazy hypot, without libffi");
}
