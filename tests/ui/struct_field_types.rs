use ffi_auto::ffi_auto;

enum Len {
    Short = 1,
}

// A reference or an enum cannot hold every value C stores in these fields.
#[ffi_auto]
#[repr(C)]
#[derive(Clone, Copy)]
struct iovec {
    iov_base: &'static u8,
    iov_len: Len,
}

fn main() {}
