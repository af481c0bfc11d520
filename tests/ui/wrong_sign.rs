use ffi_auto::ffi_auto;

#[ffi_auto(header = "../fixture/c/fixture.h")]
fn fx_id_uchar(x: i8) -> u8;

fn main() {}
