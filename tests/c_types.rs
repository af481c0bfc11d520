//! Structs, opaque types, constants, errno and callbacks through the compile-time macros,
//! against libc, the fixture library, zlib and sqlite3.

use std::ffi::{CStr, c_char, c_int, c_void};
use std::sync::atomic::{AtomicUsize, Ordering};

use ffi_auto::{Callback, defcfuns, ffi_call};

// Structs generated from the headers, and functions that take and return them by value or
// by pointer: the name-only entries use the generated types.
defcfuns! {
    struct div_t;
    struct ldiv_t;
    struct timeval;
    struct tm;
    fn div;
    fn ldiv;
    unsafe fn gettimeofday;
    unsafe fn gmtime_r;
}

// A struct written by hand, under a Rust name of its own, checked field by field against
// <time.h>; the function in the same block takes it.
defcfuns! {
    #[ffi_auto(name = "timespec")]
    #[repr(C)]
    #[derive(Clone, Copy, Debug, Default)]
    struct TimeSpec {
        tv_sec: i64,
        tv_nsec: i64,
    }
    unsafe fn clock_gettime(clock: c_int, ts: *mut TimeSpec) -> c_int;
}

// The attribute form: one item each.
#[ffi_auto::ffi_auto]
struct lldiv_t;

#[ffi_auto::ffi_auto]
fn lldiv(n: i64, d: i64) -> lldiv_t;

#[ffi_auto::ffi_auto]
const SEEK_SET: c_int;

// Constants, typed from the header or checked against the type written.
defcfuns! {
    const O_RDONLY;
    const O_CREAT: c_int;
    const SEEK_END;
    const EINVAL: i32;
    const ERANGE;
    const ENOENT;
    const ULONG_MAX;
    const CLOCK_REALTIME;
}

// errno: `io::Result` wrappers, with -1 / null meaning failure, or errno set meaning failure.
defcfuns! {
    unsafe fn open(path: &CStr, flags: c_int) -> std::io::Result<c_int>;
    unsafe fn close(fd: c_int) -> std::io::Result<c_int>;
    #[ffi_auto(errno = "set")]
    unsafe fn strtol(s: *const c_char, end: *mut *mut c_char, base: c_int) -> std::io::Result<i64>;
    #[ffi_auto(errno)]
    unsafe fn fopen;
}

// The fixture: structs by value in registers and in memory, an opaque handle, enums,
// a callback typedef.
defcfuns! {
    #![ffi_auto(lib = "ffiauto_fixture", header = "fixture/c/fixture.h")]
    struct fx_point;
    struct fx_mixed;
    struct fx_num;
    struct fx_handle;
    struct fx_packed;
    const FX_LIMIT;
    const FX_NAME;
    const FX_MASK;
    const FX_RATIO;
    const FX_NEGATIVE;
    const FX_GREEN;
    const FX_BLUE;
    fn add_i32;
    fn fx_point_add;
    fn fx_mixed_make;
    fn fx_mixed_sum;
    unsafe fn fx_handle_new;
    unsafe fn fx_handle_get;
    unsafe fn fx_handle_free;
    unsafe fn fx_each;
    unsafe fn fx_apply;
    unsafe fn fx_packed_get;
}

#[test]
fn structs_by_value_through_generated_types() {
    let d = div(17, 5);
    assert_eq!((d.quot, d.rem), (3, 2));
    let l = ldiv(-17, 5);
    assert_eq!((l.quot, l.rem), (-3, -2));
    let ll = lldiv(i64::MAX, 10);
    assert_eq!((ll.quot, ll.rem), (i64::MAX / 10, 7));
    let p = fx_point_add(fx_point { x: 2, y: 0.5 }, fx_point { x: 40, y: 0.25 });
    assert_eq!((p.x, p.y), (42, 0.75));
    let m = fx_mixed_make(7, 1 << 40);
    assert_eq!((m.a, m.c, m.d), (7, 1 << 40, 0.5));
    assert_eq!(m.tag, [b'o' as i8, b'k' as i8, 0]);
    assert_eq!(fx_mixed_sum(m), 7 + (1 << 40) + i64::from(b'o'));
    // The generated types carry the header's layout at run time too.
    assert_eq!(size_of::<fx_mixed>(), 24);
    let r: fx_point = ffi_call(("fx_point_add", ffi_auto_fixture::LIB), (p, p)).unwrap();
    assert_eq!((r.x, r.y), (84, 1.5));
    // `__attribute__((packed))` becomes `#[repr(C, packed)]`: 5 bytes, `i` at offset 1.
    assert_eq!((size_of::<fx_packed>(), align_of::<fx_packed>()), (5, 1));
    assert_eq!(std::mem::offset_of!(fx_packed, i), 1);
    let packed = fx_packed {
        c: 1,
        i: 0x0102_0304,
    };
    // SAFETY: a valid `struct fx_packed` for the call.
    assert_eq!(unsafe { fx_packed_get(&raw const packed) }, 0x0102_0304);
    // A union is generated as a union.
    let n = fx_num { d: 2.5 };
    // SAFETY: `d` was just written.
    assert_eq!(unsafe { n.d }, 2.5);
}

#[test]
fn struct_out_parameters_through_pointers_to_generated_types() {
    let mut tv = timeval::default();
    // SAFETY: `tv` is a `struct timeval` to fill; the time zone is null.
    let rc = unsafe { gettimeofday(&raw mut tv, std::ptr::null_mut()) };
    assert_eq!(rc, 0);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap();
    assert!((now.as_secs() as i64 - tv.tv_sec).abs() <= 2);
    assert!((0..1_000_000).contains(&tv.tv_usec));
    // 2000-01-01T00:00:00Z
    let t: i64 = 946_684_800;
    let mut out = tm::default();
    // SAFETY: `t` and `out` are valid for the call.
    let r = unsafe { gmtime_r(&raw const t, &raw mut out) };
    assert_eq!(r, &raw mut out);
    assert_eq!(
        (out.tm_year, out.tm_mon, out.tm_mday, out.tm_wday),
        (100, 0, 1, 6)
    );
    let mut ts = TimeSpec::default();
    // SAFETY: `ts` is a `struct timespec` to fill.
    assert_eq!(unsafe { clock_gettime(CLOCK_REALTIME, &raw mut ts) }, 0);
    assert!((now.as_secs() as i64 - ts.tv_sec).abs() <= 2);
}

#[test]
fn opaque_handles_are_types_of_their_own() {
    // SAFETY: the handle is created, read and freed once.
    unsafe {
        let h: *mut fx_handle = fx_handle_new(7);
        assert!(!h.is_null());
        assert_eq!(fx_handle_get(h), 7);
        fx_handle_free(h);
    }
    assert_eq!(size_of::<fx_handle>(), 0);
}

#[test]
fn constants_have_the_headers_values_and_types() {
    let o: c_int = O_RDONLY;
    assert_eq!(o, libc::O_RDONLY);
    assert_eq!(O_CREAT, libc::O_CREAT);
    assert_eq!(SEEK_END, libc::SEEK_END);
    assert_eq!(SEEK_SET, libc::SEEK_SET);
    assert_eq!(
        (EINVAL, ERANGE, ENOENT),
        (libc::EINVAL, libc::ERANGE, libc::ENOENT)
    );
    let max: std::ffi::c_ulong = ULONG_MAX;
    assert_eq!(max, std::ffi::c_ulong::MAX);
    assert_eq!(FX_LIMIT, 1000);
    let name: &CStr = FX_NAME;
    assert_eq!(name, c"fixture");
    let mask: std::ffi::c_ulong = FX_MASK;
    assert_eq!(mask, 0x1_0000 | 0x3e8);
    assert_eq!(FX_RATIO, 0.25);
    assert_eq!(FX_NEGATIVE, -1000);
    // Enumerators are `int` in C (not the enum's `unsigned int`): they pass to an `int`
    // parameter without a cast.
    let green: std::ffi::c_int = FX_GREEN;
    assert_eq!(green, 5);
    assert_eq!(add_i32(FX_GREEN, FX_BLUE), 11);
}

#[test]
fn io_result_wrappers_capture_errno() {
    // SAFETY: without O_CREAT, open reads nothing after its flags.
    let e = unsafe { open(c"/definitely/not/here", O_RDONLY) }.unwrap_err();
    assert_eq!(e.raw_os_error(), Some(libc::ENOENT));
    assert_eq!(e.kind(), std::io::ErrorKind::NotFound);
    // SAFETY: as above.
    let fd = unsafe { open(c"/dev/null", O_RDONLY) }.unwrap();
    assert!(fd >= 0);
    // SAFETY: `fd` was opened above and nothing else owns it.
    assert_eq!(unsafe { close(fd) }.unwrap(), 0);
    // SAFETY: closing it again fails with EBADF; no descriptor was opened since.
    let e = unsafe { close(fd) }.unwrap_err();
    assert_eq!(e.raw_os_error(), Some(libc::EBADF));
    // strtol reports overflow only through errno: the "set" convention.
    // SAFETY: NUL-terminated inputs; the end pointer is not asked for.
    unsafe {
        let e = strtol(c"99999999999999999999".as_ptr(), std::ptr::null_mut(), 10).unwrap_err();
        assert_eq!(e.raw_os_error(), Some(ERANGE));
        assert_eq!(
            strtol(c"-42".as_ptr(), std::ptr::null_mut(), 10).unwrap(),
            -42
        );
        // A name-only entry with `errno`: fopen's null return means failure.
        let e = fopen(c"/definitely/not/here".as_ptr(), c"r".as_ptr()).unwrap_err();
        assert_eq!(e.raw_os_error(), Some(ENOENT));
    }
}

#[test]
fn closures_as_callbacks_through_typed_wrappers() {
    let calls = AtomicUsize::new(0);
    let visit = Callback::new(|v: c_int, ctx: *mut c_void| -> c_int {
        calls.fetch_add(1, Ordering::Relaxed);
        // SAFETY: the test passes a pointer to a live `i32` as the context.
        v * unsafe { *ctx.cast::<i32>() }
    })
    .unwrap();
    let values = [1, 2, 3];
    let mut factor = 10;
    // SAFETY: `values` holds 3 ints; the callback matches `fx_visit`.
    let sum = unsafe {
        fx_each(
            values.as_ptr(),
            3,
            Some(visit.code()),
            (&raw mut factor).cast(),
        )
    };
    assert_eq!(sum, 60);
    assert_eq!(calls.load(Ordering::Relaxed), 3);
    // A plain `extern "C" fn` needs no closure machinery.
    unsafe extern "C" fn square(x: f64) -> f64 {
        x * x
    }
    // SAFETY: `fx_apply` calls its argument once.
    assert_eq!(unsafe { fx_apply(Some(square), 3.0) }, 9.0);
}
