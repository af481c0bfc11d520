use std::ffi::{c_char, c_int};
use ffi_auto::ffi_auto;

// No header declares these: the signatures are the user's word, and a safe `fn` may still
// not take raw pointers or be variadic.
#[ffi_auto]
fn no_such_fn(p: *mut u8) -> i32;

#[ffi_auto]
fn no_such_returner(n: c_int) -> *const c_char;

#[ffi_auto]
fn no_such_variadic(n: c_int, _: ...) -> c_int;

// Numbers only: allowed, with the unchecked-signature warning.
#[ffi_auto]
fn no_such_number(n: c_int) -> c_int;

fn main() {}
