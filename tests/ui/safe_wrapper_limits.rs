use std::ffi::{c_int, c_uint, CStr};
use ffi_auto::ffi_auto;

// C reads as many bytes as `len` says: a `&CStr` does not check that.
#[ffi_auto(header = "../fixture/c/fixture.h")]
fn fx_sum_bytes(data: &CStr, len: usize) -> c_uint;

// The header says it returns twice: no safe wrapper.
#[ffi_auto(header = "../fixture/c/fixture.h")]
fn fx_twice() -> c_int;

// A C pointer return is never a Rust reference (it may be null).
#[ffi_auto(header = "../fixture/c/fixture.h")]
unsafe fn fx_greeting() -> &'static CStr;

fn main() {}
