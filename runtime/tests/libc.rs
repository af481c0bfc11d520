//! Calls into libc and libm, each checked against a value computed independently in Rust.
#![cfg(feature = "dynamic")]

mod common;

use std::ffi::{CStr, c_char, c_void};
use std::hint::black_box;

use common::sys;
use ffi_auto_runtime::{Error, Function, Library, Value, config::registry, ffi_call, find_symbol};

#[test]
fn strlen_counts_bytes() {
    let strlen = sys("strlen", None, "size_t (const char *)");
    for s in ["", "hello", "héllo wörld", &"z".repeat(1000)] {
        assert_eq!(strlen.call::<usize>(s).unwrap(), s.len());
    }
    assert_eq!(strlen.call::<usize>(c"hello").unwrap(), 5);
}

#[test]
fn sin_and_cos_match_rust() {
    let sin = sys("sin", Some("m"), "double (double)");
    let cos = sys("cos", Some("libm"), "double (double)");
    for x in [0.0f64, 1.0, -2.5, 1e-9, 100.0] {
        let x = black_box(x);
        assert_eq!(sin.call::<f64>(x).unwrap(), x.sin());
        assert_eq!(cos.call::<f64>(x).unwrap(), x.cos());
    }
}

#[test]
fn abs_and_labs_at_the_edges() {
    let abs = sys("abs", None, "int (int)");
    assert_eq!(abs.call::<i32>(-5).unwrap(), 5);
    assert_eq!(abs.call::<i32>(i32::MAX).unwrap(), i32::MAX);
    assert_eq!(abs.call::<i32>(i32::MIN + 1).unwrap(), i32::MAX);
    let labs = sys("labs", Some("c"), "long (long)");
    assert_eq!(labs.call::<i64>(-(1i64 << 40)).unwrap(), 1i64 << 40);
}

#[test]
fn getpid_is_this_process() {
    let getpid = sys("getpid", None, "int (void)");
    assert_eq!(getpid.call::<u32>(()).unwrap(), std::process::id());
}

#[test]
fn malloc_memcpy_free() {
    let malloc = sys("malloc", None, "void * (size_t)");
    let memcpy = sys("memcpy", None, "void * (void *, const void *, size_t)");
    let free = sys("free", None, "void (void *)");
    let p: *mut u8 = malloc.call(64usize).unwrap();
    assert!(!p.is_null());
    let src: Vec<u8> = (0..64).collect();
    // SAFETY: `p` points at 64 fresh bytes and `src` holds 64.
    let ret: *mut c_void = unsafe { memcpy.call_raw((p, src.as_ptr(), 64usize)) }.unwrap();
    assert_eq!(ret.cast::<u8>(), p);
    // SAFETY: memcpy initialized all 64 bytes at `p`.
    let copied = unsafe { std::slice::from_raw_parts(p, 64) };
    assert_eq!(copied, &src[..]);
    // A raw pointer cannot go through a safe call.
    assert!(matches!(
        free.call_values(&[Value::Ptr(p.cast())]),
        Err(Error::RawPointer { .. })
    ));
    // SAFETY: `p` came from malloc and is freed once.
    unsafe { free.call_raw::<()>(p) }.unwrap();
}

#[test]
fn snprintf_formats_mixed_variadic_types() {
    let snprintf = sys("snprintf", None, "int (char *, size_t, const char *, ...)");
    let mut buf = [0u8; 64];
    let n = buf.len();
    // SAFETY: snprintf writes at most `n` bytes into `buf`.
    let written: i32 = unsafe {
        snprintf.call_raw((
            &mut buf[..],
            n,
            "%d|%s|%.3f|%c|%ld|%u|%hhd",
            -42,
            "str",
            1.618_03f32,
            i32::from(b'Q'),
            -(1i64 << 33),
            4_000_000_000u32,
            -3i8,
        ))
    }
    .unwrap();
    let expected = format!(
        "{}|{}|{:.3}|{}|{}|{}|{}",
        -42,
        "str",
        f64::from(1.618_03f32),
        'Q',
        -(1i64 << 33),
        4_000_000_000u32,
        -3
    );
    assert_eq!(written as usize, expected.len());
    assert_eq!(
        CStr::from_bytes_until_nul(&buf).unwrap().to_str().unwrap(),
        expected
    );
}

#[test]
fn strtol_reports_where_it_stopped() {
    let strtol = sys("strtol", None, "long (const char *, char **, int)");
    let input = c"  -0x1fz tail";
    let mut end: *mut c_char = std::ptr::null_mut();
    // SAFETY: strtol writes one pointer into `end`, pointing inside `input`.
    let v: i64 = unsafe { strtol.call_raw((input, &mut end, 16)) }.unwrap();
    assert_eq!(v, -0x1f);
    // SAFETY: `end` points inside `input`, which is alive.
    let rest = unsafe { CStr::from_ptr(end) };
    assert_eq!(rest, c"z tail");
    // SAFETY: both point into `input`.
    let consumed = unsafe { end.offset_from(input.as_ptr()) };
    assert_eq!(consumed, 7);
    // Null for the end pointer: only where the signature says strtol takes it (C does).
    let err = strtol.call::<i64>(("123", None::<&CStr>, 10)).unwrap_err();
    assert!(matches!(err, Error::NullUnchecked { .. }), "{err}");
    let strtol = sys(
        "strtol",
        None,
        "long (const char *, char ** _Nullable, int)",
    );
    assert_eq!(strtol.call::<i64>(("123", None::<&CStr>, 10)).unwrap(), 123);
}

#[test]
fn libraries_resolve_by_every_kind_of_name() {
    for name in ["c", "libc", "m", "libm", "libm.so.6"] {
        let lib = Library::open(name).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(
            lib.path().is_some_and(std::path::Path::is_absolute),
            "{name}: {lib:?}"
        );
    }
    let m1 = Library::open("m").unwrap();
    let m2 = Library::open("libm").unwrap();
    assert_eq!(m1.path(), m2.path());
    assert!(Library::open("m").unwrap().symbol("cbrt").is_ok());
    let fixture = Library::open(ffi_auto_fixture::LIB).unwrap();
    assert!(fixture.symbol("add_i32").is_ok());
    assert!(Library::program().symbol("strlen").is_ok());
    // The default search order finds libc and libm functions without naming a library.
    assert!(find_symbol("strlen", None).is_ok());
    assert!(find_symbol("cbrt", None).is_ok());
}

#[test]
fn a_function_keeps_its_library_loaded() {
    use libc::RTLD_NOLOAD;
    use libloading::os::unix::{Library as Dl, RTLD_LAZY};
    // A private copy of the fixture, so that no other test has it loaded.
    let dir = std::env::temp_dir().join(format!("ffi-auto-keepalive-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let copy = dir.join("libkeepalive.so");
    std::fs::copy(ffi_auto_fixture::LIB, &copy).unwrap();
    let path = copy.to_str().unwrap().to_owned();
    let is_loaded = || {
        // SAFETY: RTLD_NOLOAD only queries; it never runs initializers.
        unsafe { Dl::open(Some(&path), RTLD_LAZY | RTLD_NOLOAD) }.is_ok()
    };

    assert!(!is_loaded());
    let lib = Library::open(&path).unwrap();
    let symbol = lib.symbol("add_i32").unwrap();
    drop(lib);
    // SAFETY: `int add_i32(int, int)` in fixture.h.
    let add =
        unsafe { Function::new(symbol, "add_i32", "int (int, int)".parse().unwrap()) }.unwrap();
    assert!(is_loaded(), "the Function must keep the library loaded");
    assert_eq!(add.call::<i32>((40, 2)).unwrap(), 42);
    let clone = add.clone();
    drop(add);
    assert_eq!(clone.call::<i32>((1, 2)).unwrap(), 3);
    assert!(is_loaded());
    drop(clone);
    assert!(
        !is_loaded(),
        "the last handle gone, the library is unloaded"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn by_name_calls_use_the_registry_and_the_default_search() {
    // SAFETY: the declarations in <string.h> and <math.h>.
    unsafe {
        registry().register("strlen", None, "size_t (const char *)".parse().unwrap());
        registry().register("sin", Some("m"), "double (double)".parse().unwrap());
        registry().register("atan2", None, "double (double, double)".parse().unwrap());
    }
    assert_eq!(ffi_call::<usize>("strlen", "hello").unwrap(), 5);
    assert_eq!(ffi_call::<usize>("strlen", "hello world").unwrap(), 11);
    assert_eq!(
        ffi_call::<f64>(("sin", "m"), 1.0).unwrap(),
        black_box(1.0f64).sin()
    );
    // The registry says sin is in libm, so no library needs naming.
    assert_eq!(
        ffi_call::<f64>("sin", 0.5).unwrap(),
        black_box(0.5f64).sin()
    );
    // atan2 is found by the default search (libm is in it).
    let (y, x) = (black_box(1.0f64), black_box(-1.0f64));
    assert_eq!(ffi_call::<f64>("atan2", (y, x)).unwrap(), y.atan2(x));
}

#[test]
fn open_with_a_variadic_mode_creates_the_file_with_it() {
    use std::os::unix::fs::PermissionsExt;
    let open = sys("open", None, "int (const char *, int, ...)");
    let close = sys("close", None, "int (int)");
    let dir = std::env::temp_dir().join(format!("ffi-auto-open-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("created");
    let c_path = std::ffi::CString::new(path.to_str().unwrap()).unwrap();
    // The mode is the variadic argument; mode_t is promoted to (unsigned) int. Nothing in
    // open's declaration says so, so a safe call refuses it and `call_raw` takes it.
    let flags = libc::O_CREAT | libc::O_WRONLY | libc::O_EXCL;
    let refused = open.call::<i32>((c_path.as_c_str(), flags, 0o640u32));
    assert!(matches!(refused, Err(Error::VariadicUnchecked { .. })));
    // SAFETY: with O_CREAT, open reads one `mode_t` variadic argument, which is given.
    let fd: i32 = unsafe { open.call_raw((c_path.as_c_str(), flags, 0o640u32)) }.unwrap();
    assert!(fd >= 0, "open failed");
    assert_eq!(close.call::<i32>(fd).unwrap(), 0);
    // The process's file creation mask, read without changing it.
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let mask = status
        .lines()
        .find_map(|l| l.strip_prefix("Umask:"))
        .map_or(0o022, |m| u32::from_str_radix(m.trim(), 8).unwrap());
    let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o640 & !mask);
    std::fs::remove_dir_all(&dir).unwrap();
}
