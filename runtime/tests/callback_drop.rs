//! A callback guard dropped on one thread while a thread C created is inside the closure:
//! the drop waits for the call to leave, frees nothing it still touches, and re-raises the
//! closure's panic every time. Run natively here and under valgrind by `make memcheck`, where
//! a state freed too early shows as an invalid read or write.
#![cfg(feature = "dynamic")]

use std::ffi::c_void;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use ffi_auto_runtime::Callback;

/// Rounds: `FFI_AUTO_STRESS_ROUNDS`, else 2000.
fn rounds() -> u32 {
    std::env::var("FFI_AUTO_STRESS_ROUNDS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(2000)
}

type Start = extern "C" fn(*mut c_void) -> *mut c_void;

#[test]
fn a_guard_dropped_while_c_is_inside_waits_and_keeps_every_panic() {
    // Thousands of expected panics: keep their messages off the test output. This binary
    // holds this one test, so the hook affects nothing else.
    std::panic::set_hook(Box::new(|_| {}));
    let rounds = rounds();
    let mut caught = 0;
    for round in 0..rounds {
        let entered = Arc::new(AtomicBool::new(false));
        let inside = entered.clone();
        let panics = round % 2 == 0;
        let cb = Callback::new(move |_arg: *mut c_void| -> *mut c_void {
            inside.store(true, Ordering::Release);
            // Vary how long the call stays inside after the guard may have started dropping.
            for _ in 0..(round % 7) * 50 {
                std::hint::spin_loop();
            }
            if round % 3 == 0 {
                std::thread::yield_now();
            }
            assert!(!panics, "round {round}");
            std::ptr::null_mut()
        })
        .unwrap();
        // SAFETY: the guard's code pointer has exactly `void *(*)(void *)`'s signature.
        let start: Start = unsafe { std::mem::transmute(cb.code()) };
        let mut thread: libc::pthread_t = 0;
        // SAFETY: `thread` receives the id; the start routine is the callback, whose guard is
        // dropped only once the routine has entered it (below), and the thread is joined.
        let rc = unsafe {
            libc::pthread_create(
                &raw mut thread,
                std::ptr::null(),
                start,
                std::ptr::null_mut(),
            )
        };
        assert_eq!(rc, 0);
        while !entered.load(Ordering::Acquire) {
            std::hint::spin_loop();
        }
        // C is inside the closure now: the drop must wait for it, then re-raise its panic.
        let dropped = catch_unwind(AssertUnwindSafe(move || drop(cb)));
        match (dropped, panics) {
            (Err(p), true) => {
                let msg = p.downcast_ref::<String>().expect("the closure's message");
                assert_eq!(*msg, format!("round {round}"));
                caught += 1;
            }
            (Ok(()), false) => {}
            (Err(_), false) => panic!("round {round}: a panic nobody raised"),
            (Ok(()), true) => panic!("round {round}: the closure's panic was lost"),
        }
        // SAFETY: the thread was created above and is joined once.
        let joined = unsafe { libc::pthread_join(thread, std::ptr::null_mut()) };
        assert_eq!(joined, 0);
    }
    let _ = std::panic::take_hook();
    assert_eq!(caught, rounds.div_ceil(2));
}
