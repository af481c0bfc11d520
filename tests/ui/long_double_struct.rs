use std::ffi::c_int;

// `struct fx_ld_pair { int tag; long double value; }`: the field is `CLongDouble`, not a
// Rust float.
#[ffi_auto::ffi_auto(header = "../fixture/c/fixture.h")]
#[repr(C)]
#[derive(Clone, Copy)]
struct fx_ld_pair {
    tag: c_int,
    value: f64,
}

// Nor can the struct pass by value in a compile-time signature (C's ABI for it is not one
// Rust has); a name-only entry calls it through the runtime.
ffi_auto::defcfuns! {
    #![ffi_auto(header = "../fixture/c/fixture.h")]
    #[ffi_auto(name = "fx_ld_pair")]
    #[repr(C)]
    #[derive(Clone, Copy)]
    struct Pair {
        tag: c_int,
        value: ffi_auto::CLongDouble,
    }
    fn fx_ld_pair_scale(p: Pair, k: c_int) -> Pair;
}

fn main() {}
