use std::ffi::c_int;
use ffi_auto::ffi_auto;

#[ffi_auto(header = "../fixture/c/fixture.h")]
unsafe fn fx_fill(out: usize, n: usize, start: c_int);

#[ffi_auto(header = "../fixture/c/fixture.h")]
fn fx_half_double(x: f32) -> f64;

fn main() {}
