use std::ffi::c_int;
use ffi_auto::Callback;

fn main() {
    let cmp;
    {
        let mut calls = 0;
        // The guard borrows what the closure captures: it cannot outlive `calls`.
        cmp = Callback::new(|a: c_int, b: c_int| -> c_int {
            calls += 1;
            a - b
        })
        .unwrap();
    }
    let _code = cmp.code();
}
