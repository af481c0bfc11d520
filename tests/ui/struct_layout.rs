use ffi_auto::ffi_auto;

// The right field names and types, but not C's layout: `packed` drops the alignment. The
// size, alignment and offsets are asserted against the header while compiling.
#[ffi_auto]
#[repr(C, packed)]
#[derive(Clone, Copy)]
struct timeval {
    tv_sec: i64,
    tv_usec: i64,
}

fn main() {}
