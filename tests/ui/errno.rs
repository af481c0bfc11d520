use std::ffi::CStr;
use ffi_auto::defcfuns;

defcfuns! {
    // `size_t` has no -1 or null sentinel.
    fn strlen(s: &CStr) -> std::io::Result<usize>;
    // `errno` without an `io::Result` return.
    #[ffi_auto(errno = "set")]
    fn abs(x: i32) -> i32;
    // A Rust wrapper cannot be variadic.
    unsafe fn printf(fmt: *const std::ffi::c_char, _: ...) -> std::io::Result<i32>;
}

fn main() {}
