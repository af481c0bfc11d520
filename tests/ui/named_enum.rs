use ffi_auto::ffi_auto;

#[allow(non_camel_case_types, dead_code)]
enum pid_t {
    Init = 1,
}

// `pid_t` matches the C typedef's name, but an enum cannot hold every pid C returns.
#[ffi_auto]
fn getpid() -> pid_t;

fn main() {}
