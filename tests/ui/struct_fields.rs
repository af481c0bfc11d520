use ffi_auto::ffi_auto;

// The field types and names are checked against <sys/time.h>.
#[ffi_auto]
#[repr(C)]
#[derive(Clone, Copy)]
struct timeval {
    tv_sec: i32,
    tv_nsec: i64,
}

#[ffi_auto]
#[derive(Clone, Copy)]
struct timespec {
    tv_sec: i64,
    tv_nsec: i64,
}

fn main() {}
