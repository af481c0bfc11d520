//! Rust closures as C function pointers: typed and run-time signatures, captured state,
//! lifetimes, panics, threads C creates, and plain `extern "C" fn`s.
#![cfg(feature = "discovery")]

mod common;

use std::ffi::{c_int, c_void};
use std::sync::atomic::{AtomicUsize, Ordering};

use common::discover_fixture;
use ffi_auto_runtime::{Callback, Error, Value, ffi_call, ffi_call_raw, sig::Signature};

fn compare_i32(a: *const c_void, b: *const c_void) -> c_int {
    // SAFETY: the sorts below pass pointers to elements of `i32` arrays.
    let (a, b) = unsafe { (*a.cast::<i32>(), *b.cast::<i32>()) };
    a.cmp(&b) as c_int
}

#[test]
fn qsort_with_a_capturing_closure_counts_its_calls() {
    let mut v: Vec<i32> = (0..100).map(|i| (i * 37) % 101 - 50).collect();
    let mut expected = v.clone();
    expected.sort_unstable();
    let mut calls = 0usize;
    let cmp = Callback::new(|a: *const c_void, b: *const c_void| -> c_int {
        calls += 1;
        compare_i32(a, b)
    })
    .unwrap();
    // qsort's declaration comes from <stdlib.h>; its comparator parameter is checked against
    // the closure's signature.
    // SAFETY: `v` holds `v.len()` elements of 4 bytes; the comparator reads two of them.
    unsafe { ffi_call_raw::<()>("qsort", (v.as_mut_ptr(), v.len(), 4usize, &cmp)) }.unwrap();
    let counted = cmp.calls();
    drop(cmp);
    assert_eq!(v, expected);
    assert_eq!(calls, counted);
    assert!(calls >= v.len() - 1, "{calls} comparisons");
}

#[test]
fn bsearch_finds_with_a_closure_and_reports_misses_as_null() {
    let v: Vec<i32> = (0..64).map(|i| i * 3).collect();
    let probes = AtomicUsize::new(0);
    let cmp = Callback::new(|key: *const c_void, elem: *const c_void| -> c_int {
        probes.fetch_add(1, Ordering::Relaxed);
        compare_i32(key, elem)
    })
    .unwrap();
    let find = |k: i32| -> *mut c_void {
        // SAFETY: `k` and `v` outlive the call; the comparator matches the element type.
        unsafe { ffi_call_raw("bsearch", (&raw const k, v.as_ptr(), v.len(), 4usize, &cmp)) }
            .unwrap()
    };
    let hit = find(42);
    // SAFETY: bsearch returned a pointer into `v`.
    assert_eq!(unsafe { hit.cast::<i32>().offset_from(v.as_ptr()) }, 14);
    assert!(find(43).is_null());
    assert!(
        probes.load(Ordering::Relaxed) <= 2 * 7,
        "binary search probes"
    );
}

#[test]
fn a_run_time_signature_callback_receives_values() {
    let lib = discover_fixture();
    let seen = std::sync::Mutex::new(Vec::new());
    let sig: Signature = "int (int, void *)".parse().unwrap();
    let visit = Callback::dynamic(&sig, |args| {
        seen.lock().unwrap().push(args[0].as_i64().unwrap());
        assert_eq!(args[1], Value::Null);
        Value::I64(args[0].as_i64().unwrap() * 10)
    })
    .unwrap();
    let values = [1, 2, 3, 4];
    // SAFETY: `values` holds 4 ints; the callback matches `fx_visit`.
    let sum: i32 = unsafe {
        ffi_call_raw(
            ("fx_each", lib),
            (&values[..], 4, &visit, std::ptr::null_mut::<c_void>()),
        )
    }
    .unwrap();
    assert_eq!(sum, 100);
    drop(visit);
    assert_eq!(seen.into_inner().unwrap(), [1, 2, 3, 4]);
}

#[test]
fn a_callback_of_the_wrong_type_is_refused_before_the_call() {
    let lib = discover_fixture();
    let halve = Callback::new(|x: f64| -> f64 { x / 2.0 }).unwrap();
    let mut v = [2, 1];
    // SAFETY: refused before any C code runs.
    let e = unsafe { ffi_call_raw::<()>("qsort", (v.as_mut_ptr(), 2usize, 4usize, &halve)) }
        .unwrap_err();
    assert!(matches!(e, Error::ArgType { .. }), "{e}");
    assert!(
        e.to_string()
            .contains("does not match the function pointer type"),
        "{e}"
    );
    // The right shape passes: `double (*)(double)`.
    // SAFETY: `fx_apply` calls `f(x)` once.
    let r: f64 = unsafe { ffi_call_raw(("fx_apply", lib), (&halve, 5.0)) }.unwrap();
    assert_eq!(r, 2.5);
    // A run-time value return that does not fit its C type is reported, not truncated.
    let bad = Callback::dynamic(&"int (int, void *)".parse().unwrap(), |_| {
        Value::I64(1 << 40)
    })
    .unwrap();
    // SAFETY: as in `a_run_time_signature_callback_receives_values`.
    let sum: i32 = unsafe {
        ffi_call_raw(
            ("fx_each", lib),
            (&[7][..], 1, &bad, std::ptr::null_mut::<c_void>()),
        )
    }
    .unwrap();
    assert_eq!(sum, 0, "C sees zero");
    let why = bad.take_panic().unwrap();
    let why = why.downcast_ref::<String>().unwrap();
    assert!(why.contains("returned `1099511627776`"), "{why}");
}

extern "C" fn triple(x: f64) -> f64 {
    x * 3.0
}

#[test]
fn a_plain_extern_c_fn_passes_directly_even_in_safe_calls() {
    let lib = discover_fixture();
    let f: extern "C" fn(f64) -> f64 = triple;
    assert_eq!(ffi_call::<f64>(("fx_apply", lib), (f, 2.0)).unwrap(), 6.0);
    let wrong: extern "C" fn(i32) -> i32 = {
        extern "C" fn neg(x: i32) -> i32 {
            -x
        }
        neg
    };
    let e = ffi_call::<f64>(("fx_apply", lib), (wrong, 2.0)).unwrap_err();
    assert!(matches!(e, Error::ArgType { .. }), "{e}");
}

#[test]
fn a_panic_in_a_callback_stops_at_the_c_boundary_and_resumes_in_rust() {
    let lib = discover_fixture();
    let outcome = std::panic::catch_unwind(|| {
        let calls = AtomicUsize::new(0);
        let visit = Callback::new(|v: c_int, _ctx: *mut c_void| -> c_int {
            calls.fetch_add(1, Ordering::Relaxed);
            assert!(v < 3, "value {v} is too big");
            v
        })
        .unwrap();
        let values = [1, 2, 3, 4, 5];
        // SAFETY: as above.
        let sum: i32 = unsafe {
            ffi_call_raw(
                ("fx_each", lib),
                (&values[..], 5, &visit, std::ptr::null_mut::<c_void>()),
            )
        }
        .unwrap();
        // C finished its loop: 1 + 2, then zeros; the closure ran 3 times, not 5.
        assert_eq!(sum, 3);
        assert_eq!(calls.load(Ordering::Relaxed), 3);
        assert_eq!(visit.calls(), 5);
        drop(visit); // re-raises the panic here, in Rust
        unreachable!("dropping the guard re-raises the callback's panic");
    });
    let payload = outcome.unwrap_err();
    let msg = payload.downcast_ref::<String>().unwrap();
    assert_eq!(msg, "value 3 is too big");
}

#[test]
fn a_callback_runs_on_a_thread_c_created() {
    let main = std::thread::current().id();
    let ran_on = std::sync::Mutex::new(None);
    let start = Callback::new(|arg: *mut c_void| -> *mut c_void {
        *ran_on.lock().unwrap() = Some(std::thread::current().id());
        // SAFETY: the test passes a pointer to a live `u64`.
        unsafe { *arg.cast::<u64>() += 1 };
        arg
    })
    .unwrap();
    let mut counter = 41u64;
    let mut thread: libc::pthread_t = 0;
    // SAFETY: `start` and `counter` outlive the thread, which is joined before either drops.
    let rc: i32 = unsafe {
        ffi_call_raw(
            "pthread_create",
            (
                &mut thread,
                std::ptr::null::<c_void>(),
                &start,
                (&raw mut counter).cast::<c_void>(),
            ),
        )
    }
    .unwrap();
    assert_eq!(rc, 0);
    let mut ret: *mut c_void = std::ptr::null_mut();
    // SAFETY: `thread` was created above; `ret` receives the start routine's return.
    let rc: i32 = unsafe { ffi_call_raw("pthread_join", (thread, &mut ret)) }.unwrap();
    assert_eq!(rc, 0);
    assert_eq!(counter, 42);
    assert_eq!(ret, (&raw mut counter).cast::<c_void>());
    let ran_on = ran_on.lock().unwrap().unwrap();
    assert_ne!(ran_on, main);
    assert_eq!(start.calls(), 1);
}

#[test]
fn callbacks_with_structs_or_variadics_are_refused_with_a_reason() {
    let e = Callback::dynamic(&"int (int, ...)".parse().unwrap(), |_| Value::I32(0)).unwrap_err();
    assert!(e.to_string().contains("variadic"), "{e}");
}

#[test]
fn a_callback_re_entered_from_inside_itself_is_reported_not_deadlocked() {
    let lib = discover_fixture();
    type Visit = unsafe extern "C" fn(c_int, *mut c_void) -> c_int;
    type Each = unsafe extern "C" fn(*const c_int, c_int, Option<Visit>, *mut c_void) -> c_int;
    let sym = ffi_auto_runtime::find_symbol("fx_each", Some(lib)).unwrap();
    // SAFETY: `fx_each`'s declaration in fixture.h.
    let each: Each = unsafe { std::mem::transmute(sym.addr()) };
    // The closure calls C with its own code pointer, published once the guard exists.
    let me = std::sync::atomic::AtomicPtr::<c_void>::new(std::ptr::null_mut());
    let visit = Callback::new(|v: c_int, _ctx: *mut c_void| -> c_int {
        let code = me.load(Ordering::Acquire);
        if v == 1 && !code.is_null() {
            // SAFETY: `code` is this callback's own pointer, `fx_visit`'s type.
            let inner: Visit = unsafe { std::mem::transmute(code) };
            // SAFETY: one value; the re-entered call returns 0 without running Rust code.
            return unsafe { each(&raw const v, 1, Some(inner), std::ptr::null_mut()) } + 100;
        }
        v
    })
    .unwrap();
    me.store(visit.as_ptr().cast_mut(), Ordering::Release);
    let values = [1, 2];
    // SAFETY: two values; the callback matches `fx_visit`.
    let sum = unsafe { each(values.as_ptr(), 2, Some(visit.code()), std::ptr::null_mut()) };
    // The first call re-entered (the inner call got 0, so 100), then the callback is poisoned
    // and the second value gets 0.
    assert_eq!(sum, 100);
    let why = visit.take_panic().unwrap();
    let why = why.downcast_ref::<&str>().unwrap();
    assert!(why.contains("re-entered"), "{why}");
    assert_eq!(visit.calls(), 3);
}

#[test]
fn threads_c_creates_share_one_callback_one_call_at_a_time() {
    let mut counter = 0u64; // not atomic: the callback's lock serializes the calls
    let start = Callback::new(|_arg: *mut c_void| -> *mut c_void {
        for _ in 0..1000 {
            counter += 1;
        }
        std::ptr::null_mut()
    })
    .unwrap();
    let mut threads = [0 as libc::pthread_t; 4];
    for t in &mut threads {
        // SAFETY: `start` outlives the threads, joined below.
        let rc: i32 = unsafe {
            ffi_call_raw(
                "pthread_create",
                (
                    t,
                    std::ptr::null::<c_void>(),
                    &start,
                    std::ptr::null_mut::<c_void>(),
                ),
            )
        }
        .unwrap();
        assert_eq!(rc, 0);
    }
    for t in threads {
        // SAFETY: each thread was created above and is joined once.
        let rc: i32 =
            unsafe { ffi_call_raw("pthread_join", (t, std::ptr::null_mut::<*mut c_void>())) }
                .unwrap();
        assert_eq!(rc, 0);
    }
    assert_eq!(start.calls(), 4);
    drop(start);
    assert_eq!(counter, 4000);
}

#[test]
fn a_shared_callback_runs_on_several_threads_at_once() {
    use std::sync::Barrier;
    let inside = AtomicUsize::new(0);
    let most = AtomicUsize::new(0);
    let barrier = Barrier::new(2);
    let cb = Callback::shared(|x: c_int| -> c_int {
        let now = inside.fetch_add(1, Ordering::SeqCst) + 1;
        most.fetch_max(now, Ordering::SeqCst);
        if x == 0 {
            // Both threads inside at once: a locked callback would never get here.
            barrier.wait();
        }
        inside.fetch_sub(1, Ordering::SeqCst);
        x + 1
    })
    .unwrap();
    let code = cb.code();
    std::thread::scope(|s| {
        for _ in 0..2 {
            // SAFETY: the code pointer has the closure's signature; the guard outlives the
            // scope.
            s.spawn(move || assert_eq!(unsafe { code(0) }, 1));
        }
    });
    assert_eq!(most.load(Ordering::SeqCst), 2);
    assert_eq!(cb.calls(), 2);
}

#[test]
fn a_panic_in_a_shared_callback_stops_at_the_c_boundary() {
    let cb = Callback::shared(|x: c_int| -> c_int {
        assert!(x < 10, "too big");
        x
    })
    .unwrap();
    let code = cb.code();
    // SAFETY: as above.
    assert_eq!(unsafe { code(3) }, 3);
    // SAFETY: as above. The panic does not unwind into the caller: C sees zero.
    assert_eq!(unsafe { code(11) }, 0);
    // Poisoned: not run again.
    // SAFETY: as above.
    assert_eq!(unsafe { code(4) }, 0);
    let p = cb.take_panic().expect("the panic is kept");
    let msg = p
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| p.downcast_ref::<String>().map(String::as_str));
    assert_eq!(msg, Some("too big"));
}
