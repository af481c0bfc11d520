//! Typed handles to C global variables by name.
#![cfg(feature = "discovery")]

use std::ffi::{c_char, c_long};

use ffi_auto_runtime::{Error, config, ffi_call, global};

#[test]
fn a_global_is_read_and_written_through_its_typed_handle() {
    config::add_header(&ffi_auto_fixture::header().display().to_string());
    let lib = ffi_auto_fixture::LIB;
    let counter = global::<i32>(("fx_counter", lib)).unwrap();
    assert_eq!(counter.c_type().to_string(), "int");
    assert!(!counter.is_const());
    // SAFETY: this test is the only code touching the fixture's counter.
    unsafe {
        let start = counter.read();
        assert_eq!(ffi_call::<i32>(("fx_bump", lib), ()).unwrap(), start + 1);
        assert_eq!(counter.read(), start + 1);
        counter.write(10).unwrap();
        assert_eq!(ffi_call::<i32>(("fx_bump", lib), ()).unwrap(), 11);
    }
    // A `const` global reads, and refuses writes.
    let limit = global::<i32>(("fx_limit", lib)).unwrap();
    assert!(limit.is_const());
    // SAFETY: a const global is never written.
    unsafe {
        assert_eq!(limit.read(), 42);
        let e = limit.write(1).unwrap_err();
        assert!(e.to_string().contains("declared `const`"), "{e}");
    }
}

#[test]
fn the_c_library_s_globals_and_the_errors() {
    let tz = global::<c_long>("timezone").unwrap();
    // SAFETY: nothing else in this test binary changes the time zone.
    unsafe {
        std::env::set_var("TZ", "UTC-2");
        let _: () = ffi_call("tzset", ()).unwrap();
        assert_eq!(tz.read(), -2 * 3600);
    }
    let optarg = global::<*mut c_char>("optarg").unwrap();
    assert_eq!(optarg.c_type().to_string(), "char *");
    // The wrong type, an unknown name, a function.
    let e = global::<i32>("timezone").unwrap_err();
    assert!(matches!(e, Error::Global { .. }), "{e}");
    assert!(e.to_string().contains("it is `long` in C"), "{e}");
    assert!(e.to_string().contains("hint: ask for `c_long`"), "{e}");
    let e = global::<c_long>("timezon").unwrap_err();
    assert!(e.to_string().contains("did you mean `timezone`"), "{e}");
    assert!(global::<c_long>("strlen").is_err());
}
