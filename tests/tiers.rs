//! Proof of sameness: a call through the direct tier (a prepared handle called with the
//! signature's exact Rust types), through the register tier (the same handle called with
//! `Value`s of exactly its types), through libffi (the same `Value`s with `force_libffi`), by
//! name, and through a compile-time wrapper (`defcfuns!`) of the same C function agree bit for
//! bit, on random and boundary values of every integer width and sign, `float`,
//! `double`, strings, up to six register arguments, and narrow returns whose callee leaves
//! garbage above them.

use std::ffi::{CStr, c_char, c_int, c_long, c_short, c_uchar, c_ushort};

use std::sync::{Mutex, MutexGuard, PoisonError};

use ffi_auto::config::force_libffi;
use ffi_auto::{Function, Value, defcfuns, prepare};

/// The tests switch the process's tier policy: one at a time.
static POLICY: Mutex<()> = Mutex::new(());

fn serial() -> MutexGuard<'static, ()> {
    POLICY.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The same values through libffi.
fn through_libffi(f: &Function, values: &[Value<'_>]) -> Value<'static> {
    force_libffi(true);
    let r = f.call_values(values);
    force_libffi(false);
    r.unwrap()
}

defcfuns! {
    #![ffi_auto(lib = "ffiauto_fixture", header = "fixture/c/fixture.h")]
    fn fx_id_schar; fn fx_not_schar;
    fn fx_id_uchar; fn fx_not_uchar;
    fn fx_id_short; fn fx_not_short;
    fn fx_id_ushort; fn fx_not_ushort;
    fn fx_id_int; fn fx_not_int;
    fn fx_id_uint; fn fx_not_uint;
    fn fx_id_long; fn fx_not_long;
    fn fx_id_ulong; fn fx_not_ulong;
    fn fx_id_size; fn fx_id_ssize;
    fn fx_not_bool;
    fn fx_half_float; fn fx_half_double;
    fn sum6; fn mix; fn add_i32; fn my_strlen; fn fx_sum10; fn fx_sum10d;
    fn fx_garbage_schar; fn fx_garbage_uchar; fn fx_garbage_short; fn fx_garbage_ushort;
    fn fx_garbage_bool;
}

fn handle(name: &str) -> Function {
    prepare((name, ffi_auto_fixture::LIB)).unwrap()
}

/// xorshift64*: reproducible values without a dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
}

/// Boundary values and 200 random ones, as `u64` bit patterns.
fn samples(seed: u64) -> Vec<u64> {
    let mut v = vec![0, 1, u64::MAX, 0x7f, 0x80, 0xff, 0x7fff, 0x8000, 0xffff];
    v.extend([
        0x7fff_ffff,
        0x8000_0000,
        0xffff_ffff,
        i64::MAX as u64,
        i64::MIN as u64,
    ]);
    let mut r = Rng(seed);
    v.extend((0..200).map(|_| r.next()));
    v
}

/// One integer type: the handle's direct call, its `Value` call (libffi) and the
/// compile-time wrapper agree, for identity and complement, on every sample.
macro_rules! agree_int {
    ($t:ty, $value:ident, $id:ident, $not:ident) => {{
        let (id, not) = (handle(stringify!($id)), handle(stringify!($not)));
        assert!(
            id.is_direct::<$t, $t>(),
            "{} is not direct",
            stringify!($id)
        );
        for bits in samples(size_of::<$t>() as u64) {
            let x = bits as $t;
            let direct: $t = id.call(x).unwrap();
            let registers = id.call_values(&[Value::$value(x)]).unwrap();
            assert_eq!(direct, x);
            assert_eq!(registers, Value::$value(x));
            assert_eq!(through_libffi(&id, &[Value::$value(x)]), registers);
            assert_eq!($id(x), x);
            let direct: $t = not.call(x).unwrap();
            assert_eq!(direct, !x);
            assert_eq!(
                not.call_values(&[Value::$value(x)]).unwrap(),
                Value::$value(!x)
            );
            assert_eq!($not(x), !x);
        }
    }};
}

#[test]
fn every_integer_width_and_sign_agrees_through_every_tier() {
    let _serial = serial();
    agree_int!(i8, I8, fx_id_schar, fx_not_schar);
    agree_int!(u8, U8, fx_id_uchar, fx_not_uchar);
    agree_int!(i16, I16, fx_id_short, fx_not_short);
    agree_int!(u16, U16, fx_id_ushort, fx_not_ushort);
    agree_int!(i32, I32, fx_id_int, fx_not_int);
    agree_int!(u32, U32, fx_id_uint, fx_not_uint);
    agree_int!(i64, I64, fx_id_long, fx_not_long);
    agree_int!(u64, U64, fx_id_ulong, fx_not_ulong);
    // `size_t` and `ssize_t` as `usize` and `isize`.
    let (size, ssize) = (handle("fx_id_size"), handle("fx_id_ssize"));
    assert!(size.is_direct::<usize, usize>() && ssize.is_direct::<isize, isize>());
    for bits in samples(99) {
        assert_eq!(size.call::<usize>(bits as usize).unwrap(), bits as usize);
        assert_eq!(fx_id_size(bits as usize), bits as usize);
        assert_eq!(ssize.call::<isize>(bits as isize).unwrap(), bits as isize);
        assert_eq!(fx_id_ssize(bits as isize), bits as isize);
    }
    let not_bool = handle("fx_not_bool");
    for b in [false, true] {
        assert_eq!(not_bool.call::<bool>(b).unwrap(), !b);
        assert_eq!(
            not_bool.call_values(&[Value::Bool(b)]).unwrap(),
            Value::Bool(!b)
        );
        assert_eq!(fx_not_bool(b), !b);
    }
}

#[test]
fn floats_strings_and_six_arguments_agree_through_every_tier() {
    let _serial = serial();
    let (half_f, half_d) = (handle("fx_half_float"), handle("fx_half_double"));
    let (sum, mixed, strlen) = (handle("sum6"), handle("mix"), handle("my_strlen"));
    assert!(sum.is_direct::<(c_long, c_long, c_long, c_long, c_long, c_long), c_long>());
    assert!(mixed.is_direct::<(c_int, f64, c_long, f32), f64>());
    assert!(strlen.is_direct::<&CStr, usize>());
    let mut r = Rng(7);
    for _ in 0..300 {
        let f = f32::from_bits(r.next() as u32);
        let d = f64::from_bits(r.next());
        let direct: f32 = half_f.call(f).unwrap();
        let Value::F32(general) = half_f.call_values(&[Value::F32(f)]).unwrap() else {
            panic!("not a float")
        };
        assert_eq!(direct.to_bits(), general.to_bits());
        assert_eq!(direct.to_bits(), fx_half_float(f).to_bits());
        let Value::F32(lf) = through_libffi(&half_f, &[Value::F32(f)]) else {
            panic!("not a float")
        };
        assert_eq!(direct.to_bits(), lf.to_bits());
        let direct: f64 = half_d.call(d).unwrap();
        assert_eq!(direct.to_bits(), fx_half_double(d).to_bits());
        let a: [c_long; 6] = std::array::from_fn(|_| r.next() as c_long);
        let direct: c_long = sum.call((a[0], a[1], a[2], a[3], a[4], a[5])).unwrap();
        let values: Vec<Value<'_>> = a.iter().map(|&x| Value::I64(x)).collect();
        assert_eq!(sum.call_values(&values).unwrap(), Value::I64(direct));
        assert_eq!(through_libffi(&sum, &values), Value::I64(direct));
        assert_eq!(direct, sum6(a[0], a[1], a[2], a[3], a[4], a[5]));
        let (i, l) = (r.next() as c_int, (r.next() >> 12) as c_long);
        let (d, f) = ((r.next() >> 11) as f64, (r.next() >> 40) as f32);
        let direct: f64 = mixed.call((i, d, l, f)).unwrap();
        let general = mixed
            .call_values(&[Value::I32(i), Value::F64(d), Value::I64(l), Value::F32(f)])
            .unwrap();
        assert_eq!(general, Value::F64(direct));
        let args = [Value::I32(i), Value::F64(d), Value::I64(l), Value::F32(f)];
        assert_eq!(through_libffi(&mixed, &args), Value::F64(direct));
        assert_eq!(direct.to_bits(), mix(i, d, l, f).to_bits());
    }
    assert!(strlen.takes_registers());
    for s in [c"", c"x", c"hello, world", c"\xff\x01 bytes"] {
        let direct: usize = strlen.call(s).unwrap();
        assert_eq!(
            through_libffi(&strlen, &[Value::CStr(s)]),
            Value::U64(direct as u64)
        );
        assert_eq!(direct, s.to_bytes().len());
        assert_eq!(
            strlen.call_values(&[Value::from(s)]).unwrap(),
            Value::U64(direct as u64)
        );
        // SAFETY: `s` is NUL-terminated.
        assert_eq!(unsafe { my_strlen(s.as_ptr()) }, direct);
    }
    // A `&CStr` goes directly only to a `const char *`.
    let p: *const c_char = c"abc".as_ptr();
    assert!(!strlen.is_direct::<*const c_char, usize>());
    // SAFETY: `p` is a NUL-terminated string.
    assert_eq!(unsafe { strlen.call_raw::<usize>(p) }.unwrap(), 3);
}

#[test]
fn narrow_returns_with_garbage_above_them_are_truncated_then_extended() {
    let _serial = serial();
    let cases: [(&str, Value<'_>); 5] = [
        ("fx_garbage_schar", Value::I8(-128)),
        ("fx_garbage_uchar", Value::U8(255)),
        ("fx_garbage_short", Value::I16(-32767)),
        ("fx_garbage_ushort", Value::U16(65534)),
        ("fx_garbage_bool", Value::Bool(true)),
    ];
    for (name, want) in cases {
        let f = handle(name);
        assert_eq!(
            f.call_values(&[]).unwrap(),
            want,
            "{name} through registers"
        );
        assert_eq!(through_libffi(&f, &[]), want, "{name} through libffi");
    }
    let f = handle("fx_garbage_schar");
    assert!(f.is_direct::<(), i8>());
    assert_eq!(f.call::<i8>(()).unwrap(), -128);
    assert_eq!(fx_garbage_schar(), -128);
    assert_eq!(handle("fx_garbage_uchar").call::<c_uchar>(()).unwrap(), 255);
    assert_eq!(fx_garbage_uchar(), 255);
    assert_eq!(
        handle("fx_garbage_short").call::<c_short>(()).unwrap(),
        -32767
    );
    assert_eq!(fx_garbage_short(), -32767);
    assert_eq!(
        handle("fx_garbage_ushort").call::<c_ushort>(()).unwrap(),
        65534
    );
    assert_eq!(fx_garbage_ushort(), 65534);
    assert!(handle("fx_garbage_bool").call::<bool>(()).unwrap());
    assert!(fx_garbage_bool());
    // Read as a wider type, the general path converts (with its range check).
    assert_eq!(f.call::<i64>(()).unwrap(), -128);
}

#[test]
fn what_the_direct_tier_does_not_cover_stays_on_the_general_path() {
    let _serial = serial();
    let add = handle("add_i32");
    // A different Rust type is converted, with its check: out of range is an error.
    assert!(!add.is_direct::<(i64, i64), i32>());
    assert_eq!(add.call::<i32>((20i64, 22i64)).unwrap(), 42);
    assert!(add.call::<i32>((1i64 << 40, 0i64)).is_err());
    // A wrong argument count is the same error on every path.
    assert!(add.call::<i32>((1, 2, 3)).is_err());
    assert_eq!(add_i32(20, 22), 42);
    // Variadic functions are never direct.
    let printf = prepare("snprintf").unwrap();
    assert!(!printf.is_direct::<(*mut c_char, usize, &CStr), c_int>());
}

#[test]
fn errno_is_captured_on_the_direct_tier() {
    let _serial = serial();
    // glibc's `sqrt` sets EDOM for a negative argument (its wrapper, whatever the compiler's
    // math-errno setting in the caller).
    let sqrt = prepare(("sqrt", "m")).unwrap();
    assert!(sqrt.is_direct::<f64, f64>());
    let (r, e) = sqrt.call_errno::<f64>(-1.0).unwrap();
    assert!(r.is_nan());
    assert_eq!(e.code(), libc::EDOM);
    // Cleared right before the call: a call that does not set it reads 0.
    let (r, e) = sqrt.call_errno::<f64>(4.0).unwrap();
    assert_eq!((r, e.code()), (2.0, 0));
    // The general path says the same.
    assert!(!sqrt.is_direct::<i32, f64>());
    let (r, e) = sqrt.call_errno::<f64>(-1i32).unwrap();
    assert!(r.is_nan());
    assert_eq!(e.code(), libc::EDOM);
}

#[test]
fn by_name_calls_take_the_direct_tier_and_agree() {
    let _serial = serial();
    let lib = ffi_auto_fixture::LIB;
    for bits in samples(3) {
        let (a, b) = (bits as i32, (bits >> 32) as i32);
        // The first call prepares and caches; later ones are direct hits.
        let by_name: i32 = ffi_auto::ffi_call(("add_i32", lib), (a, b)).unwrap();
        assert_eq!(by_name, add_i32(a, b));
        let x = bits as i8;
        let by_name: i8 = ffi_auto::ffi_call(("fx_not_schar", lib), x).unwrap();
        assert_eq!(by_name, fx_not_schar(x));
    }
    // A type that needs converting takes the checked path by name too, with its errors.
    assert!(ffi_auto::ffi_call::<i32>(("add_i32", lib), (1i64 << 40, 0i64)).is_err());
    let narrow: i8 = ffi_auto::ffi_call(("fx_garbage_schar", lib), ()).unwrap();
    assert_eq!(narrow, -128);
}

#[test]
fn what_the_register_tier_does_not_cover_stays_on_libffi() {
    let _serial = serial();
    // Ten integer arguments: four go on the stack on x86-64 (six integer registers), two on
    // aarch64 (eight); ten doubles, two (eight vector registers).
    let ten = handle("fx_sum10");
    assert!(!ten.takes_registers());
    let v: Vec<Value<'_>> = (1..=10).map(Value::I64).collect();
    // The fixture weighs argument k by k: 1 + 4 + ... + 100.
    assert_eq!(ten.call_values(&v).unwrap(), Value::I64(385));
    assert_eq!(
        ten.call_values(&v).unwrap(),
        Value::I64(fx_sum10(1, 2, 3, 4, 5, 6, 7, 8, 9, 10))
    );
    let tend = handle("fx_sum10d");
    assert!(!tend.takes_registers());
    let v: Vec<Value<'_>> = (1..=10).map(|i| Value::F64(f64::from(i))).collect();
    assert_eq!(tend.call_values(&v).unwrap(), Value::F64(385.0));
    // Values of another type than the parameter's are converted on the general path.
    let add = handle("add_i32");
    assert_eq!(
        add.call_values(&[Value::I64(20), Value::U8(22)]).unwrap(),
        Value::I32(42)
    );
    assert!(
        add.call_values(&[Value::I64(1 << 40), Value::I32(0)])
            .is_err()
    );
    // With the policy switch, no tier but libffi.
    force_libffi(true);
    assert!(!add.takes_registers() && !add.is_direct::<(i32, i32), i32>());
    assert_eq!(add.call::<i32>((20, 22)).unwrap(), 42);
    force_libffi(false);
}
