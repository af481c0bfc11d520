#![allow(missing_docs)]
//! Instructions per call through each path, counted by callgrind: repeatable where wall-clock
//! time is not (shared cloud machines drift by 10-35 % between runs).
//!
//! `make bench` runs this binary under `valgrind --tool=callgrind` and
//! `scripts/instructions_table.py` divides each `bench_*` function's inclusive instruction count
//! by the number of calls it made. Run on its own, it just makes the calls.

mod common;

use std::ffi::{CStr, c_char, c_long, c_void};
use std::hint::black_box;

use common::{Callbacks, LIB, add_i32, code, extern_add_i32, extern_strlen, prepared, strlen};
use ffi_auto::{Function, Library, Value, ffi_call};
use libffi::middle::{Cif, Type, arg};

const N: usize = 100_000;

macro_rules! bench {
    ($name:ident, |$fx:ident, $i:ident| $body:expr) => {
        #[inline(never)]
        #[allow(unused_variables)]
        fn $name($fx: &Fns) {
            for $i in 0..N {
                black_box($body);
            }
        }
    };
}

macro_rules! bench_callback {
    ($name:ident, $which:literal) => {
        #[inline(never)]
        fn $name(cb: &Callbacks) {
            let visit = cb
                .visits()
                .into_iter()
                .find(|(n, _)| *n == $which)
                .unwrap()
                .1;
            for _ in 0..N {
                black_box(cb.run(black_box(cb.values.as_ptr()), visit));
            }
        }
    };
}

bench_callback!(bench_callback_plain_fn, "plain_fn");
bench_callback!(bench_callback_closure_typed, "closure_typed");
bench_callback!(bench_callback_closure_shared, "closure_shared");
bench_callback!(bench_callback_closure_forever, "closure_forever");
bench_callback!(bench_callback_closure_dynamic, "closure_dynamic");
bench_callback!(bench_callback_libffi_closure, "libffi_closure");

struct Fns {
    add_i32: Function,
    add_f64: Function,
    sum6: Function,
    mix: Function,
    strlen: Function,
    cif_add_i32: Cif,
    cif_add_f64: Cif,
    cif_sum6: Cif,
    cif_mix: Cif,
    cif_strlen: Cif,
}

const S: &CStr = c"hello, world";

bench!(bench_add_i32_direct, |fx, i| {
    // SAFETY: `int add_i32(int, int)`.
    let f: extern "C" fn(i32, i32) -> i32 = unsafe { std::mem::transmute(fx.add_i32.addr()) };
    f(black_box(i as i32), 1)
});
bench!(bench_add_i32_handle_tuple, |fx, i| fx
    .add_i32
    .call::<i32>((black_box(i as i32), 1))
    .unwrap());
bench!(bench_add_i32_handle_values, |fx, i| fx
    .add_i32
    .call_values(&[Value::I32(black_box(i as i32)), Value::I32(1)])
    .unwrap());
bench!(bench_add_i32_by_name, |fx, i| ffi_call::<i32>(
    "add_i32",
    (black_box(i as i32), 1)
)
.unwrap());
bench!(bench_add_i32_libffi_cif, |fx, i| {
    let (a, b) = (black_box(i as i32), 1i32);
    // SAFETY: the CIF is add_i32's signature.
    unsafe {
        fx.cif_add_i32
            .call::<i32>(code(&fx.add_i32), &[arg(&a), arg(&b)])
    }
});

bench!(bench_add_f64_direct, |fx, i| {
    // SAFETY: `double add_f64(double, double)`.
    let f: extern "C" fn(f64, f64) -> f64 = unsafe { std::mem::transmute(fx.add_f64.addr()) };
    f(black_box(i as f64), 0.5)
});
bench!(bench_add_f64_handle_tuple, |fx, i| fx
    .add_f64
    .call::<f64>((black_box(i as f64), 0.5))
    .unwrap());
bench!(bench_add_f64_handle_values, |fx, i| fx
    .add_f64
    .call_values(&[Value::F64(black_box(i as f64)), Value::F64(0.5)])
    .unwrap());
bench!(bench_add_f64_by_name, |fx, i| ffi_call::<f64>(
    "add_f64",
    (black_box(i as f64), 0.5)
)
.unwrap());
bench!(bench_add_f64_libffi_cif, |fx, i| {
    let (a, b) = (black_box(i as f64), 0.5f64);
    // SAFETY: the CIF is add_f64's signature.
    unsafe {
        fx.cif_add_f64
            .call::<f64>(code(&fx.add_f64), &[arg(&a), arg(&b)])
    }
});

bench!(bench_sum6_direct, |fx, i| {
    // SAFETY: `long sum6(long x6)`.
    let f: extern "C" fn(c_long, c_long, c_long, c_long, c_long, c_long) -> c_long =
        unsafe { std::mem::transmute(fx.sum6.addr()) };
    f(black_box(i as c_long), 2, 3, 4, 5, 6)
});
bench!(bench_sum6_handle_tuple, |fx, i| fx
    .sum6
    .call::<c_long>((
        black_box(i as c_long),
        2 as c_long,
        3 as c_long,
        4 as c_long,
        5 as c_long,
        6 as c_long
    ))
    .unwrap());
bench!(bench_sum6_handle_values, |fx, i| fx
    .sum6
    .call_values(&[
        Value::I64(black_box(i as i64)),
        Value::I64(2),
        Value::I64(3),
        Value::I64(4),
        Value::I64(5),
        Value::I64(6)
    ])
    .unwrap());
bench!(bench_sum6_by_name, |fx, i| ffi_call::<c_long>(
    "sum6",
    (
        black_box(i as c_long),
        2 as c_long,
        3 as c_long,
        4 as c_long,
        5 as c_long,
        6 as c_long
    )
)
.unwrap());
bench!(bench_sum6_libffi_cif, |fx, i| {
    let a: [c_long; 6] = [black_box(i as c_long), 2, 3, 4, 5, 6];
    let args = [
        arg(&a[0]),
        arg(&a[1]),
        arg(&a[2]),
        arg(&a[3]),
        arg(&a[4]),
        arg(&a[5]),
    ];
    // SAFETY: the CIF is sum6's signature.
    unsafe { fx.cif_sum6.call::<c_long>(code(&fx.sum6), &args) }
});

bench!(bench_mix_direct, |fx, i| {
    // SAFETY: `double mix(int, double, long, float)`.
    let f: extern "C" fn(i32, f64, c_long, f32) -> f64 =
        unsafe { std::mem::transmute(fx.mix.addr()) };
    f(black_box(i as i32), 2.5, 3, 4.5)
});
bench!(bench_mix_handle_tuple, |fx, i| fx
    .mix
    .call::<f64>((black_box(i as i32), 2.5f64, 3 as c_long, 4.5f32))
    .unwrap());
bench!(bench_mix_handle_values, |fx, i| fx
    .mix
    .call_values(&[
        Value::I32(black_box(i as i32)),
        Value::F64(2.5),
        Value::I64(3),
        Value::F32(4.5)
    ])
    .unwrap());
bench!(bench_mix_by_name, |fx, i| ffi_call::<f64>(
    "mix",
    (black_box(i as i32), 2.5f64, 3 as c_long, 4.5f32)
)
.unwrap());
bench!(bench_mix_libffi_cif, |fx, i| {
    let (w, x, y, z) = (black_box(i as i32), 2.5f64, 3 as c_long, 4.5f32);
    // SAFETY: the CIF is mix's signature.
    unsafe {
        fx.cif_mix
            .call::<f64>(code(&fx.mix), &[arg(&w), arg(&x), arg(&y), arg(&z)])
    }
});

bench!(bench_strlen_direct, |fx, _i| {
    // SAFETY: `size_t strlen(const char *)`, and `S` is NUL-terminated.
    let f: unsafe extern "C" fn(*const c_char) -> usize =
        unsafe { std::mem::transmute(fx.strlen.addr()) };
    // SAFETY: as above.
    unsafe { f(black_box(S).as_ptr()) }
});
bench!(bench_strlen_handle_tuple, |fx, _i| fx
    .strlen
    .call::<usize>(black_box(S))
    .unwrap());
bench!(bench_strlen_handle_values, |fx, _i| fx
    .strlen
    .call_values(&[Value::CStr(black_box(S))])
    .unwrap());
bench!(bench_strlen_by_name, |fx, _i| ffi_call::<usize>(
    "strlen",
    black_box(S)
)
.unwrap());
bench!(bench_strlen_libffi_cif, |fx, _i| {
    let p: *const c_void = black_box(S).as_ptr().cast();
    // SAFETY: the CIF is strlen's signature.
    unsafe { fx.cif_strlen.call::<usize>(code(&fx.strlen), &[arg(&p)]) }
});

bench!(bench_wrapper_add_i32_extern, |fx, i| extern_add_i32(
    black_box(i as i32),
    1
));
bench!(bench_wrapper_add_i32_ffi_auto, |fx, i| add_i32(
    black_box(i as i32),
    1
));
bench!(bench_wrapper_strlen_extern, |fx, _i| {
    // SAFETY: `S` is NUL-terminated.
    unsafe { extern_strlen(black_box(S).as_ptr()) }
});
bench!(bench_wrapper_strlen_ffi_auto, |fx, _i| strlen(black_box(S)));

fn main() {
    let lib = Library::open(LIB).unwrap();
    let libc = Library::open("c").unwrap();
    let fx = Fns {
        add_i32: prepared(&lib, "add_i32", "int (int, int)"),
        add_f64: prepared(&lib, "add_f64", "double (double, double)"),
        sum6: prepared(&lib, "sum6", "long (long, long, long, long, long, long)"),
        mix: prepared(&lib, "mix", "double (int, double, long, float)"),
        strlen: prepared(&libc, "strlen", "size_t (const char *)"),
        cif_add_i32: Cif::new([Type::i32(), Type::i32()], Type::i32()),
        cif_add_f64: Cif::new([Type::f64(), Type::f64()], Type::f64()),
        cif_sum6: Cif::new(
            std::array::from_fn::<_, 6, _>(|_| Type::c_long()),
            Type::c_long(),
        ),
        cif_mix: Cif::new(
            [Type::i32(), Type::f64(), Type::c_long(), Type::f32()],
            Type::f64(),
        ),
        cif_strlen: Cif::new([Type::pointer()], Type::usize()),
    };
    // Warm the by-name caches outside the measured functions.
    let _ = ffi_call::<i32>("add_i32", (1, 2));
    let _ = ffi_call::<f64>("add_f64", (1.0, 2.0));
    let _ = ffi_call::<c_long>(
        "sum6",
        (
            1 as c_long,
            2 as c_long,
            3 as c_long,
            4 as c_long,
            5 as c_long,
            6 as c_long,
        ),
    );
    let _ = ffi_call::<f64>("mix", (1i32, 2.5f64, 3 as c_long, 4.5f32));
    let _ = ffi_call::<usize>("strlen", S);
    // `cargo bench` passes `--bench`; the benchmarks run either way.
    let runs: [fn(&Fns); 25] = [
        bench_add_i32_direct,
        bench_add_i32_handle_tuple,
        bench_add_i32_handle_values,
        bench_add_i32_by_name,
        bench_add_i32_libffi_cif,
        bench_add_f64_direct,
        bench_add_f64_handle_tuple,
        bench_add_f64_handle_values,
        bench_add_f64_by_name,
        bench_add_f64_libffi_cif,
        bench_sum6_direct,
        bench_sum6_handle_tuple,
        bench_sum6_handle_values,
        bench_sum6_by_name,
        bench_sum6_libffi_cif,
        bench_mix_direct,
        bench_mix_handle_tuple,
        bench_mix_handle_values,
        bench_mix_by_name,
        bench_mix_libffi_cif,
        bench_strlen_direct,
        bench_strlen_handle_tuple,
        bench_strlen_handle_values,
        bench_strlen_by_name,
        bench_strlen_libffi_cif,
    ];
    for r in runs {
        r(&fx);
    }
    let cb = Callbacks::new(&lib);
    for r in [
        bench_callback_plain_fn,
        bench_callback_closure_typed,
        bench_callback_closure_shared,
        bench_callback_closure_forever,
        bench_callback_closure_dynamic,
        bench_callback_libffi_closure,
    ] {
        r(&cb);
    }
    for r in [
        bench_wrapper_add_i32_extern,
        bench_wrapper_add_i32_ffi_auto,
        bench_wrapper_strlen_extern,
        bench_wrapper_strlen_ffi_auto,
    ] {
        r(&fx);
    }
    println!("calls per function: {N}");
}
