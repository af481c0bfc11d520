use std::ffi::{c_int, CStr};
use ffi_auto::ffi_auto;

// `None` passes null: a safe wrapper may take `Option<&CStr>` only where the header says
// the function accepts null (`_Nullable` here, or the C standard or POSIX).
#[ffi_auto(header = "../fixture/c/fixture.h")]
fn my_strlen(s: Option<&CStr>) -> usize;

#[ffi_auto(header = "../fixture/c/fixture.h")]
fn fx_len_or_zero(s: Option<&CStr>) -> usize;

// Variadic in C: even without `...`, what it reads after its fixed arguments is unchecked.
#[ffi_auto(header = "../fixture/c/fixture.h")]
fn fx_sum_ints(count: c_int) -> std::ffi::c_long;

fn main() {
    let _ = fx_len_or_zero(None);
}
