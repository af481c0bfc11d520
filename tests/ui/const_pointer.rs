use std::ffi::{CStr, c_int, c_long};
use ffi_auto::ffi_auto;

// fx_fill writes through `int *out`: `*const` would let it write to memory Rust thinks is
// immutable, and so would a shared reference.
#[ffi_auto(header = "../fixture/c/fixture.h")]
unsafe fn fx_fill(out: *const c_int, n: usize, start: c_int);

#[ffi_auto(header = "../fixture/c/fixture.h")]
fn fx_swap_long(a: &c_long, b: &mut c_long);

// `void fx_upper(char *s)` writes into the string: not a `&CStr`.
#[ffi_auto(header = "../fixture/c/fixture.h")]
fn fx_upper(s: &CStr);

fn main() {}
