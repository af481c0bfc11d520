use ffi_auto::ffi_auto;

// One error for the wrong parameter type; the call below type-checks against the stub.
#[ffi_auto(header = "../fixture/c/fixture.h")]
fn add_i32(a: u8, b: i32) -> i32;

fn main() {
    let _sum: i32 = add_i32(1, 2);
}
