//! C global variables: `static` entries checked against the header (compile time), and
//! typed handles by name (run time).

use std::ffi::{c_char, c_int, c_long};

ffi_auto::defcfuns! {
    fn tzset();
    static mut timezone: c_long;
    static mut daylight: c_int;
    static mut optind: c_int;
}

ffi_auto::defcfuns! {
    // `environ` is declared under _GNU_SOURCE.
    #![ffi_auto(define = "_GNU_SOURCE")]
    static mut environ: *mut *mut c_char;
}

#[test]
fn globals_declared_at_compile_time_read_the_c_library_s_variables() {
    // SAFETY: no other thread of this test binary changes the time zone or the environment
    // while these are read (tests touching them run here only).
    unsafe {
        std::env::set_var("TZ", "UTC+3");
        tzset();
        let (tz, dst) = (timezone, daylight);
        assert_eq!(tz, 3 * 3600);
        assert_eq!(dst, 0);
        // getopt's index starts at 1; a `static mut` can be written.
        let first = optind;
        assert_eq!(first, 1);
        optind = 1;
        let env = environ;
        assert!(!env.is_null() && !(*env).is_null());
    }
}
