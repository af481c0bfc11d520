use ffi_auto::ffi_auto;

#[ffi_auto(header = "../fixture/c/fixture.h")]
fn add_i32(a: i64, b: i32) -> i16;

fn main() {}
