//! errno returned with the value: cleared right before the call, read right after it.
#![cfg(feature = "discovery")]

use std::ffi::{CStr, c_char};

use ffi_auto_runtime::{Errno, ffi_call_errno, ffi_call_raw_errno, prepare};

#[test]
fn open_on_a_missing_path_is_enoent() {
    // `int open(const char *, int, ...)`, by name, with its fixed arguments only.
    let (fd, e): (i32, Errno) =
        ffi_call_errno("open", ("/definitely/not/here", libc::O_RDONLY)).unwrap();
    assert_eq!(fd, -1);
    assert_eq!(e.code(), libc::ENOENT);
    assert_eq!(
        e.to_io_error().unwrap().kind(),
        std::io::ErrorKind::NotFound
    );
    let (fd, e): (i32, Errno) = ffi_call_errno("open", ("/dev/null", libc::O_RDONLY)).unwrap();
    assert!(fd >= 0);
    assert!(!e.is_set(), "{e}");
    // close may close a descriptor a Rust object owns: no safe call makes it.
    let err = ffi_call_errno::<i32>("close", fd).unwrap_err();
    assert!(
        matches!(err, ffi_auto_runtime::Error::RawOnly { .. }),
        "{err}"
    );
    // SAFETY: `fd` was opened above and nothing else owns it.
    let (rc, e): (i32, Errno) = unsafe { ffi_call_raw_errno("close", fd) }.unwrap();
    assert_eq!((rc, e.is_set()), (0, false));
    // SAFETY: closing it again fails with EBADF; no descriptor was opened since.
    let (rc, e): (i32, Errno) = unsafe { ffi_call_raw_errno("close", fd) }.unwrap();
    assert_eq!((rc, e.code()), (-1, libc::EBADF));
}

#[test]
fn strtol_overflow_is_erange_and_a_stale_errno_is_not_reported() {
    let strtol = prepare("strtol").unwrap();
    let mut end: *mut c_char = std::ptr::null_mut();
    let input = c"99999999999999999999 tail";
    // SAFETY: strtol writes one pointer into `end`, pointing inside `input`.
    let (v, e): (i64, Errno) = unsafe { strtol.call_raw_errno((input, &mut end, 10)) }.unwrap();
    assert_eq!((v, e.code()), (i64::MAX, libc::ERANGE));
    // SAFETY: `end` points inside `input`.
    assert_eq!(unsafe { CStr::from_ptr(end) }, c" tail");
    assert!(e.to_string().contains("out of range"), "{e}");
    // errno is still ERANGE from the call above; a successful call reports 0, because errno
    // is cleared right before each call.
    // SAFETY: as above.
    let (v, e): (i64, Errno) =
        unsafe { ffi_call_raw_errno("strtol", (c"-12", &mut end, 10)) }.unwrap();
    assert_eq!((v, e), (-12, Errno(0)));
}

#[test]
fn value_calls_capture_errno_in_the_register_tier_and_in_libffi() {
    use ffi_auto_runtime::Value;
    let sig: ffi_auto_runtime::sig::Signature = "double (double)".parse().unwrap();
    // SAFETY: `double log(double)` in <math.h>.
    let log = unsafe {
        ffi_auto_runtime::Function::new(
            ffi_auto_runtime::find_symbol("log", Some("m")).unwrap(),
            "log",
            sig,
        )
    }
    .unwrap();
    // Exactly a `double`: the register tier.
    let (v, e) = log.call_values_errno(&[Value::F64(-1.0)]).unwrap();
    assert!(v.as_f64().unwrap().is_nan());
    assert_eq!(e.code(), libc::EDOM);
    // An `int` converted to `double`: the checked path, through libffi.
    let (_, e) = log.call_values_errno(&[Value::I32(-1)]).unwrap();
    assert_eq!(e.code(), libc::EDOM);
    // No error: errno was cleared before the call.
    let (v, e) = log.call_values_errno(&[Value::F64(1.0)]).unwrap();
    assert_eq!((v, e.code()), (Value::F64(0.0), 0));
}
