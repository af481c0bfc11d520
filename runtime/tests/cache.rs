//! The by-name cache: invalidated when signatures change, and safe when a by-name call is made
//! from inside another one (a C function calling back into Rust).
#![cfg(feature = "dynamic")]

use std::ffi::c_void;
use std::sync::atomic::{AtomicUsize, Ordering};

use ffi_auto_runtime::{Error, config::registry, ffi_call, ffi_call_raw, prepare, sig::Signature};

fn sig(s: &str) -> Signature {
    s.parse().unwrap()
}

#[test]
fn unregistering_a_signature_drops_the_cached_handle() {
    // SAFETY: `long labs(long)` in <stdlib.h>.
    unsafe { registry().register("labs", None, sig("long (long)")) };
    assert_eq!(ffi_call::<i64>("labs", -3i64).unwrap(), 3);
    assert_eq!(ffi_call::<i64>("labs", -4i64).unwrap(), 4);
    // A function no system header declares, registered, called, then removed: the cached
    // handle must not survive.
    let lib = ffi_auto_fixture::LIB;
    // SAFETY: `int fx_not_int(int)` in the fixture's header.
    unsafe { registry().register("fx_not_int", Some(lib), sig("int (int)")) };
    assert_eq!(ffi_call::<i32>("fx_not_int", 5).unwrap(), !5);
    assert!(registry().unregister("fx_not_int"));
    let err = ffi_call::<i32>("fx_not_int", 5).unwrap_err();
    assert!(matches!(err, Error::NoSignature { .. }), "{err}");
}

#[test]
fn the_second_call_reuses_the_prepared_handle() {
    // SAFETY: `double fabs(double)` in <math.h>.
    unsafe { registry().register("fabs", Some("m"), sig("double (double)")) };
    let a = prepare("fabs").unwrap();
    let b = prepare("fabs").unwrap();
    assert_eq!(a.addr(), b.addr());
    assert!(a.shares_cif_with(&b));
    assert_eq!(a.origin(), "registry");
    assert_eq!(a.library().map(ffi_auto_runtime::Library::name), Some("m"));
}

static COMPARISONS: AtomicUsize = AtomicUsize::new(0);

/// A qsort comparator that itself calls by name: on the first comparison it registers a new
/// signature (which invalidates every cache) and calls a name nobody has called before, while
/// the outer by-name `qsort` call is still running.
extern "C" fn compare(a: *const c_void, b: *const c_void) -> i32 {
    if COMPARISONS.fetch_add(1, Ordering::SeqCst) == 0 {
        // SAFETY: `intmax_t imaxabs(intmax_t)` in <inttypes.h>; glibc's intmax_t is 64-bit.
        unsafe { registry().register("imaxabs", None, sig("int64_t (int64_t)")) };
    }
    // SAFETY: qsort passes pointers to two elements of the i32 array being sorted.
    let (x, y) = unsafe { (*a.cast::<i32>(), *b.cast::<i32>()) };
    // Sort by absolute value, computed by C, by name, from inside qsort.
    let ax: i32 = ffi_call("abs", x).unwrap();
    let ay: i32 = ffi_call("imaxabs", y).unwrap();
    ax.cmp(&ay) as i32
}

#[test]
fn by_name_calls_nest_inside_a_by_name_call() {
    // SAFETY: the declarations in <stdlib.h>; `abs` is `int abs(int)`.
    unsafe {
        // The comparator is passed as an address here; typed function pointers are checked
        // against their declared signature by the callback support.
        registry().register(
            "qsort",
            None,
            sig("void (void *, size_t, size_t, const void *)"),
        );
        registry().register("abs", None, sig("int (int)"));
    }
    let mut values = [5i32, -1, 3, -8, 0, 7, -2, 6, -4, 9];
    let cmp = compare as extern "C" fn(*const c_void, *const c_void) -> i32;
    let n = values.len();
    // SAFETY: qsort sorts `n` elements of 4 bytes in `values` with a comparator that matches
    // `int (*)(const void *, const void *)`.
    unsafe {
        ffi_call_raw::<()>(
            "qsort",
            (&mut values[..], n, size_of::<i32>(), cmp as *const c_void),
        )
    }
    .unwrap();
    let mut expected = [5i32, -1, 3, -8, 0, 7, -2, 6, -4, 9];
    expected.sort_by_key(|v| v.abs());
    assert_eq!(
        values.map(i32::abs),
        expected.map(i32::abs),
        "sorted by absolute value"
    );
    assert!(COMPARISONS.load(Ordering::SeqCst) >= n - 1);
    // The caches are still coherent afterwards.
    assert_eq!(ffi_call::<i64>("imaxabs", -11).unwrap(), 11);
    assert_eq!(ffi_call::<i32>("abs", -12).unwrap(), 12);
}
