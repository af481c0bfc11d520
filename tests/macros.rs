//! Macro-generated wrappers calling libc, libm and the fixture library, every result checked
//! against a value computed in Rust.

use std::ffi::{CStr, c_char, c_int, c_long, c_void};
use std::hint::black_box;

use ffi_auto::{defcfuns, ffi_auto, prepare};

// libc, checked against <string.h>, <stdlib.h>, <stdio.h>.
#[ffi_auto]
fn strlen(s: &CStr) -> usize;

#[ffi_auto]
fn abs(x: c_int) -> c_int;

#[ffi_auto]
fn labs(x: c_long) -> c_long;

#[ffi_auto(name = "malloc")]
unsafe fn my_malloc(n: usize) -> *mut c_void;

#[ffi_auto]
unsafe fn free(p: *mut c_void);

#[ffi_auto]
unsafe fn snprintf(buf: *mut c_char, n: usize, fmt: *const c_char, _: ...) -> c_int;

#[ffi_auto]
unsafe fn strtol(s: *const c_char, end: *mut *mut c_char, base: c_int) -> c_long;

// `None` would pass null, which glibc's atoi does not take: the wrapper must be `unsafe fn`.
#[ffi_auto]
unsafe fn atoi(s: Option<&CStr>) -> c_int;

// A function pointer parameter: `qsort(void *, size_t, size_t, __compar_fn_t)`, written from
// <stdlib.h> as `Option<unsafe extern "C" fn(*const c_void, *const c_void) -> c_int>`.
defcfuns! {
    unsafe fn qsort;
}

unsafe extern "C" fn by_value(a: *const c_void, b: *const c_void) -> c_int {
    // SAFETY: qsort passes pointers to two elements of the `i32` array being sorted.
    let (a, b) = unsafe { (*a.cast::<i32>(), *b.cast::<i32>()) };
    a.cmp(&b) as c_int
}

// libm, name-only entries: signatures written from <math.h>.
defcfuns! {
    #![ffi_auto(lib = "m")]
    /// `double sin(double)`.
    fn sin;
    fn cosine = cos;
    fn hypot(x: f64, y: f64) -> f64;
}

// The fixture library, linked by name, declared in its header (relative to this file).
defcfuns! {
    #![ffi_auto(lib = "ffiauto_fixture", header = "fixture/c/fixture.h")]
    fn add_i32;
    fn fx_many;
    fn fx_id_uchar;
    fn fx_id_i64;
    fn fx_not_u16;
    fn fx_half_float;
    fn fx_not_bool;
    fn fx_count_char;
    fn fx_sum_ints;
    fn fx_greeting;
    fn fx_fill;
    fn fx_alias;
    fn my_strlen(s: &CStr) -> usize;
}

// Loaded at run time on first call: the wrapper returns a Result.
#[ffi_auto(lazy, lib = "ffiauto_fixture", header = "fixture/c/fixture.h")]
fn mix(a: c_int, b: f64, c: c_long, d: f32) -> f64;

// Entries under `#[cfg]` are checked (and exist) only where their cfg holds: none of the
// Windows, macOS or not-unix names below is declared on Linux, and an error for any of them
// would fail this file. The active ones are checked against fixture.h (a path relative to
// this file, carried into the nested invocation) and see the block's `fx_point`.
defcfuns! {
    #![ffi_auto(lib = "ffiauto_fixture", header = "fixture/c/fixture.h")]
    struct fx_point;
    #[cfg(windows)]
    fn GetTickCount() -> u32;
    #[cfg(windows)]
    fn QueryPerformanceFrequency;
    #[cfg(not(unix))]
    fn fx_only_elsewhere;
    #[cfg(target_os = "macos")]
    struct mach_timebase_info;
    #[cfg(target_os = "macos")]
    const KERN_SUCCESS;
    #[cfg(unix)]
    fn fx_point_add;
    /// `double fx_half_double(double)`, under a Rust name.
    #[cfg(unix)]
    #[ffi_auto(name = "fx_half_double")]
    fn halve(x: f64) -> f64;
    #[cfg(all(unix, not(target_os = "macos")))]
    const FX_LIMIT;
}

// `#[cfg]` before or after `#[ffi_auto]`: rustc evaluates it first either way.
#[cfg(windows)]
#[ffi_auto]
fn GetCurrentProcessId() -> u32;

#[ffi_auto]
#[cfg(windows)]
fn GetCurrentThreadId() -> u32;

#[ffi_auto]
#[cfg(unix)]
fn getppid() -> c_int;

#[cfg(not(unix))]
#[ffi_auto]
fn getppid() -> c_int;

// pkg-config's `-l` flags are linked: nothing else in this test binary links zlib (no build
// script, no `lib = "z"`), so without them `zlibVersion` is an undefined symbol.
defcfuns! {
    #![ffi_auto(header = "zlib.h", pkg_config = "zlib")]
    unsafe fn zlibVersion;
}

#[test]
fn cfg_gated_entries_exist_where_their_cfg_holds() {
    let p = fx_point_add(fx_point { x: 1, y: 2.5 }, fx_point { x: 10, y: 20.0 });
    assert_eq!((p.x, p.y), (11, 22.5));
    assert_eq!(halve(3.0), 1.5);
    assert_eq!(FX_LIMIT, 1000);
    assert_eq!(getppid() as u32, std::os::unix::process::parent_id());
}

#[test]
fn pkg_config_packages_are_linked() {
    // SAFETY: returns a static NUL-terminated string.
    let v = unsafe { CStr::from_ptr(zlibVersion()) };
    assert!(v.to_str().unwrap().starts_with("1."), "{v:?}");
}

#[test]
fn libc_wrappers_call_libc() {
    assert_eq!(strlen(c"hello"), 5);
    assert_eq!(abs(-7), 7);
    assert_eq!(labs(-(1 << 40)), 1 << 40);
    // SAFETY: a string, not null.
    assert_eq!(unsafe { atoi(Some(c"1234")) }, 1234);
    // SAFETY: 32 bytes from malloc, freed once.
    unsafe {
        let p = my_malloc(32);
        assert!(!p.is_null());
        free(p);
    }
    let mut buf = [0 as c_char; 32];
    // SAFETY: snprintf writes at most 32 bytes into `buf`.
    let n = unsafe {
        snprintf(
            buf.as_mut_ptr(),
            buf.len(),
            c"%d-%s".as_ptr(),
            42,
            c"x".as_ptr(),
        )
    };
    assert_eq!(n, 4);
    // SAFETY: snprintf NUL-terminated it.
    assert_eq!(unsafe { CStr::from_ptr(buf.as_ptr()) }, c"42-x");
    let mut end: *mut c_char = std::ptr::null_mut();
    let input = c"77 rest";
    // SAFETY: strtol writes one pointer into `end`, inside `input`.
    let v = unsafe { strtol(input.as_ptr(), &raw mut end, 10) };
    assert_eq!(v, 77);
    // SAFETY: `end` points into `input`.
    assert_eq!(unsafe { CStr::from_ptr(end) }, c" rest");
}

#[test]
fn name_only_entries_get_the_header_signature() {
    let x = black_box(0.75f64);
    assert_eq!(sin(x), x.sin());
    assert_eq!(cosine(x), x.cos());
    assert_eq!(hypot(5.0, 12.0), 13.0);
    assert_eq!(add_i32(40, 2), 42);
    assert_eq!(fx_id_uchar(255), 255);
    assert_eq!(fx_id_i64(i64::MIN), i64::MIN);
    assert_eq!(fx_not_u16(0x00ff), 0xff00);
    assert_eq!(fx_half_float(3.0), 1.5);
    assert!(fx_not_bool(false));
    // `#define fx_alias add_i32`: the alias links to add_i32.
    assert_eq!(fx_alias(1, 2), 3);
    // Raw pointers make the generated wrappers `unsafe`.
    // SAFETY: "banana" is NUL-terminated.
    let n = unsafe { fx_count_char(c"banana".as_ptr(), b'a' as c_char) };
    assert_eq!(n, 3);
    // SAFETY: variadic: three ints follow the count.
    assert_eq!(unsafe { fx_sum_ints(3, 1, 2, 3) }, 6);
    // SAFETY: the greeting is a static string.
    let greeting = unsafe { CStr::from_ptr(fx_greeting()) };
    assert_eq!(greeting, c"hello from fixture");
    let mut out = [0 as c_int; 4];
    // SAFETY: fx_fill writes 4 ints.
    unsafe { fx_fill(out.as_mut_ptr(), 4, 10) };
    assert_eq!(out, [10, 11, 12, 13]);
    assert_eq!(my_strlen(c"four"), 4);
}

#[test]
fn fourteen_arguments_through_a_generated_wrapper() {
    let r = fx_many(1, 2.0, 3, 4.0, 5, 6.0, 7, 8.0, 9, 10.0, 11, 12.0, 13, 14);
    let expected: f64 = (1..=14).map(|i| f64::from(i) * f64::from(i)).sum();
    assert_eq!(r, expected);
}

#[test]
fn lazy_wrappers_load_the_library_on_first_call() {
    let r = mix(1, 2.5, 3, 4.5).unwrap();
    assert_eq!(r, 1.0 + 2.5 + 3.0 + 4.5);
    // Second call: one atomic load.
    assert_eq!(mix(0, 0.0, 0, 0.5).unwrap(), 0.5);
}

#[test]
fn wrapped_functions_are_registered_for_by_name_calls() {
    // `add_i32` was compiled in: a by-name call finds it without libclang or a library name.
    let f = prepare("add_i32").unwrap();
    assert!(f.origin().starts_with("compiled in"), "{}", f.origin());
    assert_eq!(f.call::<i32>((20, 22)).unwrap(), 42);
    let f = prepare("hypot").unwrap();
    assert!(f.origin().starts_with("compiled in"), "{}", f.origin());
    assert!(ffi_auto::introspect::compiled_source().len() >= 20);
}

#[test]
fn function_pointer_parameters_work_and_register_their_whole_signature() {
    let mut v = [5i32, -1, 3, 9, 0];
    // SAFETY: `v` holds 5 `i32`s of 4 bytes, which `by_value` compares.
    unsafe { qsort(v.as_mut_ptr().cast(), v.len(), 4, Some(by_value)) };
    assert_eq!(v, [-1, 0, 3, 5, 9]);
    // The registry's copy of the declaration keeps the function pointer's own signature.
    let f = prepare("qsort").unwrap();
    assert!(f.origin().starts_with("compiled in"), "{}", f.origin());
    assert_eq!(
        f.declaration(),
        "void qsort(void *__base, size_t __nmemb, size_t __size, __compar_fn_t __compar)"
    );
    let sig = f.signature();
    let ffi_auto::sig::CType::FnPtr(cmp) = sig.params[3].ty.canonical() else {
        panic!("{:?}", sig.params[3].ty);
    };
    assert_eq!(cmp.to_string(), "int (const void *, const void *)");
}
