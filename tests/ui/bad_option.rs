use std::ffi::c_int;
use ffi_auto::ffi_auto;

#[ffi_auto(header = "../fixture/c/fixture.h", linkage = "static")]
fn add_i32(a: c_int, b: c_int) -> c_int;

#[ffi_auto(lazy)]
fn abs(x: c_int) -> c_int;

fn main() {}
