use std::ffi::{c_char, c_int};
use ffi_auto::ffi_auto;

#[ffi_auto(header = "../fixture/c/fixture.h")]
fn fx_count_char(s: *const c_char, c: c_char) -> usize;

#[ffi_auto(header = "../fixture/c/fixture.h")]
fn fx_sum_ints(count: c_int, _: ...) -> std::ffi::c_long;

fn main() {}
