use std::ffi::{c_int, c_long};

ffi_auto::defcfuns! {
    #![ffi_auto(header = "../fixture/c/fixture.h")]
    static mut fx_counter: c_long;
    #[ffi_auto(name = "fx_counter")]
    static counter_read_only: c_int;
    static mut fx_limit: c_int;
    static fx_countr: c_int;
    static add_i32: c_int;
}

fn main() {}
