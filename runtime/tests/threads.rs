//! Handles are `Send + Sync`, and the caches are safe under concurrent first use.
#![cfg(feature = "dynamic")]

mod common;

use std::sync::{Arc, Barrier};
use std::thread;

use common::fx;
use ffi_auto_runtime::{Function, Value, config::registry, ffi_call, prepare};

const THREADS: usize = 8;
const CALLS: i32 = 100_000;

fn assert_send_sync<T: Send + Sync>() {}

#[test]
fn handles_are_send_and_sync() {
    assert_send_sync::<Function>();
    assert_send_sync::<ffi_auto_runtime::Library>();
    assert_send_sync::<ffi_auto_runtime::Symbol>();
}

#[test]
fn eight_threads_share_a_handle_and_call_by_name() {
    let lib = ffi_auto_fixture::LIB;
    // SAFETY: the declarations in fixture.h.
    unsafe {
        registry().register("add_i32", Some(lib), "int (int, int)".parse().unwrap());
        registry().register(
            "add_f64",
            Some(lib),
            "double (double, double)".parse().unwrap(),
        );
        registry().register(
            "my_strlen",
            Some(lib),
            "size_t (const char *)".parse().unwrap(),
        );
    }
    let shared = fx("add_i32", "int (int, int)");
    // Every thread starts at once, so the by-name caches see concurrent first use.
    let barrier = Arc::new(Barrier::new(THREADS));
    let workers: Vec<_> = (0..THREADS as i32)
        .map(|t| {
            let shared = shared.clone();
            let barrier = barrier.clone();
            thread::spawn(move || {
                barrier.wait();
                let mut checked = 0u64;
                for i in 0..CALLS {
                    let a = t * 1_000_000 + i;
                    assert_eq!(shared.call::<i32>((a, -i)).unwrap(), t * 1_000_000);
                    assert_eq!(ffi_call::<i32>(("add_i32", lib), (a, 7)).unwrap(), a + 7);
                    let x = f64::from(i) * 0.5;
                    assert_eq!(
                        ffi_call::<f64>(("add_f64", lib), (x, 0.25)).unwrap(),
                        x + 0.25
                    );
                    if i % 1000 == 0 {
                        let s = "x".repeat((i as usize / 1000) % 300);
                        assert_eq!(
                            ffi_call::<usize>(("my_strlen", lib), s.as_str()).unwrap(),
                            s.len()
                        );
                        let v = ffi_call::<Value<'static>>(
                            ("add_i32", lib),
                            &[Value::I32(t), Value::I32(i)][..],
                        );
                        assert_eq!(v.unwrap(), Value::I32(t + i));
                    }
                    checked += 3;
                }
                checked
            })
        })
        .collect();
    let total: u64 = workers.into_iter().map(|w| w.join().unwrap()).sum();
    assert_eq!(total, THREADS as u64 * CALLS as u64 * 3);
    // Everybody shares one prepared handle per name.
    let a = prepare(("add_i32", lib)).unwrap();
    let b = prepare(("add_i32", lib)).unwrap();
    assert_eq!(a.addr(), b.addr());
    assert!(a.shares_cif_with(&shared));
}
