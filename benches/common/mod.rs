//! What both call benchmarks share: the same fixture functions declared by hand and by the
//! macro, and prepared handles registered for by-name calls.
#![allow(dead_code)] // each benchmark uses a part

use std::ffi::{CStr, c_char, c_int, c_long};

use ffi_auto::{Function, Library, Signature, ffi_auto, registry};
use libffi::middle::CodePtr;

pub const LIB: &str = ffi_auto_fixture::LIB;

// The same functions, declared by hand and by the macro.
#[link(name = "ffiauto_fixture")]
unsafe extern "C" {
    #[link_name = "add_i32"]
    pub safe fn extern_add_i32(a: c_int, b: c_int) -> c_int;
    #[link_name = "mix"]
    pub safe fn extern_mix(a: c_int, b: f64, c: c_long, d: f32) -> f64;
}

unsafe extern "C" {
    #[link_name = "strlen"]
    pub fn extern_strlen(s: *const c_char) -> usize;
}

#[ffi_auto(lib = "ffiauto_fixture", header = "tests/fixture/c/fixture.h")]
pub fn add_i32(a: c_int, b: c_int) -> c_int;

#[ffi_auto(lib = "ffiauto_fixture", header = "tests/fixture/c/fixture.h")]
pub fn mix(a: c_int, b: f64, c: c_long, d: f32) -> f64;

#[ffi_auto]
pub fn strlen(s: &CStr) -> usize;

/// A handle on `name` with an explicit signature, also registered for by-name calls.
pub fn prepared(lib: &Library, name: &str, sig: &str) -> Function {
    let sig: Signature = sig.parse().unwrap();
    // SAFETY: each signature the benchmarks pass is the declaration in
    // tests/fixture/c/fixture.h or <string.h>.
    unsafe { registry().register(name, Some(lib.name()), sig.clone()) };
    // SAFETY: as above.
    unsafe { Function::new(lib.symbol(name).unwrap(), name, sig) }.unwrap()
}

/// The handle's function, for libffi's `Cif::call`.
pub fn code(f: &Function) -> CodePtr {
    CodePtr(f.addr().cast_mut())
}
