use std::ffi::c_int;
use ffi_auto::ffi_auto;

#[ffi_auto(header = "../fixture/c/fixture.h")]
fn add_i32(a: c_int) -> c_int;

fn main() {}
