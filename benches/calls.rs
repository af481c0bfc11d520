#![allow(missing_docs)] // criterion_group! generates undocumented items
//! Cost of one call through each path, on the functions PEERS.md measures: a direct function
//! pointer call (the floor), a prepared handle called with a tuple and with `Value`s, a by-name
//! call, and the `libffi` crate's `middle::Cif::call` (what a hand-written libloading + libffi
//! binding costs).
//!
//! A `Value` return is read as a caller reads it (`as_i64`, `as_f64`); `handle_values_copied`
//! shows what copying the whole `Value` right after the call adds.
//!
//! `make bench` runs this and prints the table the README quotes.

mod common;

use std::ffi::{CStr, c_char, c_int, c_long, c_void};
use std::hint::black_box;

use common::{
    Callbacks, LIB, add_i32, code, extern_add_i32, extern_mix, extern_strlen, mix, prepared, strlen,
};
use criterion::{Criterion, criterion_group, criterion_main};
use ffi_auto::{Library, Value, ffi_call};
use libffi::middle::{Cif, Type, arg};

/// `#[ffi_auto]` wrappers against hand-written `extern` declarations: the macro's promise is
/// that they cost the same.
fn bench_wrappers(c: &mut Criterion) {
    let s: &CStr = c"hello, world";
    let mut g = c.benchmark_group("wrapper");
    g.bench_function("add_i32/extern", |b| {
        b.iter(|| extern_add_i32(black_box(20), black_box(22)));
    });
    g.bench_function("add_i32/ffi_auto", |b| {
        b.iter(|| add_i32(black_box(20), black_box(22)));
    });
    g.bench_function("mix/extern", |b| {
        b.iter(|| extern_mix(black_box(1), black_box(2.5), black_box(3), black_box(4.5)));
    });
    g.bench_function("mix/ffi_auto", |b| {
        b.iter(|| mix(black_box(1), black_box(2.5), black_box(3), black_box(4.5)));
    });
    g.bench_function("strlen/extern", |b| {
        // SAFETY: `s` is NUL-terminated.
        b.iter(|| unsafe { extern_strlen(black_box(s).as_ptr()) });
    });
    g.bench_function("strlen/ffi_auto", |b| {
        b.iter(|| strlen(black_box(s)));
    });
    g.finish();
}
fn bench_add_i32(c: &mut Criterion, lib: &Library) {
    let f = prepared(lib, "add_i32", "int (int, int)");
    // SAFETY: `int add_i32(int, int)`.
    let direct: extern "C" fn(i32, i32) -> i32 = unsafe { std::mem::transmute(f.addr()) };
    let cif = Cif::new([Type::i32(), Type::i32()], Type::i32());
    let mut g = c.benchmark_group("add_i32");
    g.bench_function("direct", |b| {
        b.iter(|| direct(black_box(20), black_box(22)));
    });
    g.bench_function("handle_tuple", |b| {
        b.iter(|| f.call::<i32>((black_box(20), black_box(22))).unwrap());
    });
    g.bench_function("handle_values", |b| {
        b.iter(|| {
            f.call_values(&[Value::I32(black_box(20)), Value::I32(black_box(22))])
                .unwrap()
                .as_i64()
        });
    });
    // The whole returned `Value` copied right after the call (the loop's `black_box`): its
    // wide loads wait for the call's narrower stores (store forwarding fails).
    g.bench_function("handle_values_copied", |b| {
        b.iter(|| {
            f.call_values(&[Value::I32(black_box(20)), Value::I32(black_box(22))])
                .unwrap()
        });
    });
    g.bench_function("by_name", |b| {
        b.iter(|| ffi_call::<i32>("add_i32", (black_box(20), black_box(22))).unwrap());
    });
    g.bench_function("libffi_cif", |b| {
        b.iter(|| {
            let (x, y) = (black_box(20i32), black_box(22i32));
            // SAFETY: the CIF is `int (int, int)`, add_i32's signature.
            unsafe { cif.call::<i32>(code(&f), &[arg(&x), arg(&y)]) }
        });
    });
    g.finish();
}

fn bench_add_f64(c: &mut Criterion, lib: &Library) {
    let f = prepared(lib, "add_f64", "double (double, double)");
    // SAFETY: `double add_f64(double, double)`.
    let direct: extern "C" fn(f64, f64) -> f64 = unsafe { std::mem::transmute(f.addr()) };
    let cif = Cif::new([Type::f64(), Type::f64()], Type::f64());
    let mut g = c.benchmark_group("add_f64");
    g.bench_function("direct", |b| {
        b.iter(|| direct(black_box(1.5), black_box(2.25)));
    });
    g.bench_function("handle_tuple", |b| {
        b.iter(|| f.call::<f64>((black_box(1.5), black_box(2.25))).unwrap());
    });
    g.bench_function("handle_values", |b| {
        b.iter(|| {
            f.call_values(&[Value::F64(black_box(1.5)), Value::F64(black_box(2.25))])
                .unwrap()
                .as_f64()
        });
    });
    g.bench_function("by_name", |b| {
        b.iter(|| ffi_call::<f64>("add_f64", (black_box(1.5), black_box(2.25))).unwrap());
    });
    g.bench_function("libffi_cif", |b| {
        b.iter(|| {
            let (x, y) = (black_box(1.5f64), black_box(2.25f64));
            // SAFETY: the CIF is add_f64's signature.
            unsafe { cif.call::<f64>(code(&f), &[arg(&x), arg(&y)]) }
        });
    });
    g.finish();
}

fn bench_sum6(c: &mut Criterion, lib: &Library) {
    let f = prepared(lib, "sum6", "long (long, long, long, long, long, long)");
    // SAFETY: `long sum6(long, long, long, long, long, long)`.
    let direct: extern "C" fn(c_long, c_long, c_long, c_long, c_long, c_long) -> c_long =
        unsafe { std::mem::transmute(f.addr()) };
    let cif = Cif::new(
        std::array::from_fn::<_, 6, _>(|_| Type::c_long()),
        Type::c_long(),
    );
    let mut g = c.benchmark_group("sum6");
    let a: [c_long; 6] = [1, 2, 3, 4, 5, 6];
    g.bench_function("direct", |b| {
        b.iter(|| {
            let a = black_box(a);
            direct(a[0], a[1], a[2], a[3], a[4], a[5])
        });
    });
    g.bench_function("handle_tuple", |b| {
        b.iter(|| {
            let a = black_box(a);
            f.call::<c_long>((a[0], a[1], a[2], a[3], a[4], a[5]))
                .unwrap()
        });
    });
    g.bench_function("handle_values", |b| {
        b.iter(|| {
            let a = black_box(a);
            f.call_values(&a.map(Value::I64)).unwrap().as_i64()
        });
    });
    g.bench_function("by_name", |b| {
        b.iter(|| {
            let a = black_box(a);
            ffi_call::<c_long>("sum6", (a[0], a[1], a[2], a[3], a[4], a[5])).unwrap()
        });
    });
    g.bench_function("libffi_cif", |b| {
        b.iter(|| {
            let a = black_box(a);
            let args = [
                arg(&a[0]),
                arg(&a[1]),
                arg(&a[2]),
                arg(&a[3]),
                arg(&a[4]),
                arg(&a[5]),
            ];
            // SAFETY: the CIF is sum6's signature.
            unsafe { cif.call::<c_long>(code(&f), &args) }
        });
    });
    g.finish();
}

fn bench_mix(c: &mut Criterion, lib: &Library) {
    let f = prepared(lib, "mix", "double (int, double, long, float)");
    // SAFETY: `double mix(int, double, long, float)`.
    let direct: extern "C" fn(i32, f64, c_long, f32) -> f64 =
        unsafe { std::mem::transmute(f.addr()) };
    let cif = Cif::new(
        [Type::i32(), Type::f64(), Type::c_long(), Type::f32()],
        Type::f64(),
    );
    let mut g = c.benchmark_group("mix");
    g.bench_function("direct", |b| {
        b.iter(|| direct(black_box(1), black_box(2.5), black_box(3), black_box(4.5)));
    });
    g.bench_function("handle_tuple", |b| {
        b.iter(|| {
            f.call::<f64>((
                black_box(1i32),
                black_box(2.5f64),
                black_box(3i64),
                black_box(4.5f32),
            ))
            .unwrap()
        });
    });
    g.bench_function("handle_values", |b| {
        b.iter(|| {
            f.call_values(&[
                Value::I32(black_box(1)),
                Value::F64(black_box(2.5)),
                Value::I64(black_box(3)),
                Value::F32(black_box(4.5)),
            ])
            .unwrap()
            .as_f64()
        });
    });
    g.bench_function("by_name", |b| {
        b.iter(|| {
            ffi_call::<f64>(
                "mix",
                (
                    black_box(1i32),
                    black_box(2.5f64),
                    black_box(3i64),
                    black_box(4.5f32),
                ),
            )
            .unwrap()
        });
    });
    g.bench_function("libffi_cif", |b| {
        b.iter(|| {
            let (w, x, y, z) = (
                black_box(1i32),
                black_box(2.5f64),
                black_box(3 as c_long),
                black_box(4.5f32),
            );
            // SAFETY: the CIF is mix's signature.
            unsafe { cif.call::<f64>(code(&f), &[arg(&w), arg(&x), arg(&y), arg(&z)]) }
        });
    });
    g.finish();
}

fn bench_strlen(c: &mut Criterion) {
    let libc = Library::open("c").unwrap();
    let f = prepared(&libc, "strlen", "size_t (const char *)");
    // SAFETY: `size_t strlen(const char *)`.
    let direct: unsafe extern "C" fn(*const c_char) -> usize =
        unsafe { std::mem::transmute(f.addr()) };
    let cif = Cif::new([Type::pointer()], Type::usize());
    // 12 bytes, as in PEERS.md.
    let s: &CStr = c"hello, world";
    let rust_str = "hello, world";
    let mut g = c.benchmark_group("strlen");
    g.bench_function("direct", |b| {
        // SAFETY: `s` is NUL-terminated.
        b.iter(|| unsafe { direct(black_box(s).as_ptr()) });
    });
    g.bench_function("handle_tuple", |b| {
        b.iter(|| f.call::<usize>(black_box(s)).unwrap());
    });
    // A Rust `&str` must be copied to add the NUL: this is that cost.
    g.bench_function("handle_tuple_str", |b| {
        b.iter(|| f.call::<usize>(black_box(rust_str)).unwrap());
    });
    g.bench_function("handle_values", |b| {
        b.iter(|| {
            f.call_values(&[Value::CStr(black_box(s))])
                .unwrap()
                .as_i64()
        });
    });
    g.bench_function("by_name", |b| {
        b.iter(|| ffi_call::<usize>("strlen", black_box(s)).unwrap());
    });
    g.bench_function("libffi_cif", |b| {
        b.iter(|| {
            let p: *const c_void = black_box(s).as_ptr().cast();
            // SAFETY: the CIF is strlen's signature and `p` is a C string.
            unsafe { cif.call::<usize>(code(&f), &[arg(&p)]) }
        });
    });
    g.finish();
}

/// What a callback costs C to call: `fx_each` over 64 ints calls its `int (*)(int, void *)`
/// once per element. The plain `extern "C" fn` is the floor; the rest go through a libffi
/// closure trampoline (ours typed and dynamic, and the `libffi` crate's `middle::Closure`
/// with a hand-written callback, what a user of libffi directly writes). Times are for the
/// whole loop; the README divides by 64.
fn bench_callbacks(c: &mut Criterion, lib: &Library) {
    let cb = Callbacks::new(lib);
    let mut g = c.benchmark_group("callback");
    for (name, visit) in cb.visits() {
        assert_eq!(cb.run(cb.values.as_ptr(), visit), (1..=64).sum::<c_int>());
        g.bench_function(name, |b| {
            b.iter(|| cb.run(black_box(cb.values.as_ptr()), visit));
        });
    }
    g.finish();
}

/// The smart layer's cost: a policy in force and tracking, off and on. Last, since a policy
/// only tightens: the deny rule stays for the rest of the process. `add_i32` by handle and by
/// name; `off` is the state every other group ran in.
fn bench_smart(c: &mut Criterion, lib: &Library) {
    let f = prepared(lib, "add_i32", "int (int, int)");
    // SAFETY: `int add_i32(int, int)`, in the fixture library the benchmarks load.
    unsafe {
        ffi_auto::config::registry().register(
            "add_i32",
            Some(LIB),
            "int (int, int)".parse().unwrap(),
        );
    }
    let target = ("add_i32", LIB);
    let mut g = c.benchmark_group("smart");
    let run = |g: &mut criterion::BenchmarkGroup<'_, _>, state: &str| {
        g.bench_function(format!("handle/{state}"), |b| {
            b.iter(|| f.call::<i32>((black_box(20), black_box(22))).unwrap());
        });
        g.bench_function(format!("by_name/{state}"), |b| {
            b.iter(|| ffi_call::<i32>(target, (black_box(20), black_box(22))).unwrap());
        });
    };
    run(&mut g, "off");
    // A policy with rules in force: calls are checked when first resolved (and again after
    // each change), not on every call.
    ffi_auto::policy::deny("system,exec*,m:").unwrap();
    ffi_auto::policy::set_preset(ffi_auto::policy::Preset::Conservative).unwrap();
    run(&mut g, "policy");
    ffi_auto::track::start();
    run(&mut g, "tracked");
    ffi_auto::track::stop();
    g.finish();
}

fn benches(c: &mut Criterion) {
    let lib = Library::open(LIB).unwrap();
    bench_add_i32(c, &lib);
    bench_add_f64(c, &lib);
    bench_sum6(c, &lib);
    bench_mix(c, &lib);
    bench_strlen(c);
    bench_wrappers(c);
    bench_callbacks(c, &lib);
    bench_smart(c, &lib);
}

criterion_group!(calls, benches);
criterion_main!(calls);
