use ffi_auto::ffi_auto;

#[ffi_auto(errno = "sometimes")]
fn labs(x: i64) -> std::io::Result<i64>;

fn main() {}
