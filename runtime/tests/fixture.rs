//! Calls into the C fixture library: every scalar type as argument and as return, many mixed
//! arguments (some on the stack), pointers in and out, and variadics. Every expected value is
//! computed in Rust.
#![cfg(feature = "dynamic")]

mod common;

use std::ffi::{CStr, c_char, c_long};

use common::fx;
use ffi_auto_runtime::{
    Error, Value,
    sig::{DataModel, IntKind},
};

/// (suffix in fixture.h, C type, kind) for every integer pair `fx_id_*` / `fx_not_*`.
const INTS: &[(&str, &str, IntKind)] = &[
    ("char", "char", IntKind::Char),
    ("schar", "signed char", IntKind::SChar),
    ("uchar", "unsigned char", IntKind::UChar),
    ("short", "short", IntKind::Short),
    ("ushort", "unsigned short", IntKind::UShort),
    ("int", "int", IntKind::Int),
    ("uint", "unsigned int", IntKind::UInt),
    ("long", "long", IntKind::Long),
    ("ulong", "unsigned long", IntKind::ULong),
    ("llong", "long long", IntKind::LongLong),
    ("ullong", "unsigned long long", IntKind::ULongLong),
    ("i8", "int8_t", IntKind::I8),
    ("i16", "int16_t", IntKind::I16),
    ("i32", "int32_t", IntKind::I32),
    ("i64", "int64_t", IntKind::I64),
    ("u8", "uint8_t", IntKind::U8),
    ("u16", "uint16_t", IntKind::U16),
    ("u32", "uint32_t", IntKind::U32),
    ("u64", "uint64_t", IntKind::U64),
    ("size", "size_t", IntKind::Size),
    ("ssize", "ssize_t", IntKind::SSize),
    ("intptr", "intptr_t", IntKind::IntPtr),
    ("uintptr", "uintptr_t", IntKind::UIntPtr),
];

fn value_of(v: i128) -> Value<'static> {
    match i64::try_from(v) {
        Ok(s) => Value::I64(s),
        Err(_) => Value::U64(u64::try_from(v).expect("test values fit 64 bits")),
    }
}

fn int_of(v: Value<'_>) -> i128 {
    match v {
        Value::I8(x) => x.into(),
        Value::I16(x) => x.into(),
        Value::I32(x) => x.into(),
        Value::I64(x) => x.into(),
        Value::U8(x) => x.into(),
        Value::U16(x) => x.into(),
        Value::U32(x) => x.into(),
        Value::U64(x) => x.into(),
        other => panic!("expected an integer, got {other:?}"),
    }
}

#[test]
fn every_integer_type_round_trips_at_its_extremes() {
    let dm = DataModel::native();
    for &(suffix, c, kind) in INTS {
        let (min, max) = kind.range(&dm);
        let id = fx(&format!("fx_id_{suffix}"), &format!("{c} ({c})"));
        let not = fx(&format!("fx_not_{suffix}"), &format!("{c} ({c})"));
        for v in [min, min + 1, -1, 0, 1, 0x5a, max / 3, max - 1, max] {
            if v < min {
                continue;
            }
            let got = int_of(id.call_values(&[value_of(v)]).unwrap());
            assert_eq!(got, v, "fx_id_{suffix}({v})");
            // Bitwise complement within the type's width, computed in Rust.
            let expected = if kind.is_signed(&dm) { -v - 1 } else { max - v };
            let got = int_of(not.call_values(&[value_of(v)]).unwrap());
            assert_eq!(got, expected, "fx_not_{suffix}({v})");
        }
    }
}

#[test]
fn every_integer_type_refuses_values_just_outside_its_range() {
    let dm = DataModel::native();
    for &(suffix, c, kind) in INTS {
        let (min, max) = kind.range(&dm);
        let id = fx(&format!("fx_id_{suffix}"), &format!("{c} ({c})"));
        for v in [min - 1, max + 1] {
            if i64::try_from(v).is_err() && u64::try_from(v).is_err() {
                continue; // not representable as a Rust argument at all
            }
            let err = id.call_values(&[value_of(v)]).unwrap_err();
            match err {
                Error::OutOfRange {
                    c_type,
                    value,
                    min: lo,
                    max: hi,
                    ..
                } => {
                    assert_eq!(c_type, c);
                    assert_eq!(value, v.to_string());
                    assert_eq!(lo, min.to_string());
                    assert_eq!(hi, max.to_string());
                }
                other => panic!("fx_id_{suffix}({v}): expected OutOfRange, got {other}"),
            }
        }
    }
}

#[test]
fn typed_integer_returns_convert_only_when_they_fit() {
    let id_int = fx("fx_id_int", "int (int)");
    assert_eq!(id_int.call::<i64>(-5).unwrap(), -5);
    assert_eq!(id_int.call::<u8>(200).unwrap(), 200);
    let err = id_int.call::<usize>(-1).unwrap_err();
    assert!(
        matches!(&err, Error::ReturnType { value: Some(v), requested: "usize", .. } if v == "-1"),
        "{err}"
    );
    let id_uchar = fx("fx_id_uchar", "unsigned char (unsigned char)");
    assert_eq!(id_uchar.call::<u8>(255u8).unwrap(), 255);
    assert_eq!(id_uchar.call::<i32>(255).unwrap(), 255);
    let id_schar = fx("fx_id_schar", "signed char (signed char)");
    assert_eq!(id_schar.call::<i8>(-128).unwrap(), -128);
    assert_eq!(id_schar.call::<i64>(-1i8).unwrap(), -1);
}

#[test]
fn narrow_arguments_reach_c_extended_by_their_sign() {
    let widen_s = fx("fx_widen_schar", "long long (signed char)");
    assert_eq!(widen_s.call::<i64>(-5i8).unwrap(), -5);
    assert_eq!(widen_s.call::<i64>(-128).unwrap(), -128);
    let widen_u = fx("fx_widen_ushort", "unsigned long long (unsigned short)");
    assert_eq!(widen_u.call::<u64>(65535u16).unwrap(), 65535);
    assert_eq!(widen_u.call::<u64>(0x8000).unwrap(), 0x8000);
}

#[test]
fn bool_float_and_double_round_trip() {
    let not = fx("fx_not_bool", "bool (bool)");
    assert!(!not.call::<bool>(true).unwrap());
    assert!(not.call::<bool>(false).unwrap());
    assert_eq!(
        not.call_values(&[Value::Bool(false)]).unwrap(),
        Value::Bool(true)
    );

    let half_f = fx("fx_half_float", "float (float)");
    for x in [3.0f32, -1.5, 1e30, f32::MIN_POSITIVE] {
        assert_eq!(half_f.call::<f32>(x).unwrap(), x / 2.0);
    }
    // A double argument is narrowed to float when it fits, refused when it overflows.
    assert_eq!(half_f.call::<f32>(0.5f64).unwrap(), 0.25);
    assert!(matches!(
        half_f.call::<f32>(1e300),
        Err(Error::OutOfRange { .. })
    ));
    // An integer is converted when float represents it exactly.
    assert_eq!(half_f.call::<f64>(7).unwrap(), 3.5);
    assert!(matches!(
        half_f.call::<f32>(16_777_217),
        Err(Error::OutOfRange { .. })
    ));

    let half_d = fx("fx_half_double", "double (double)");
    for x in [3.0f64, -1.5, 1e300, f64::MIN_POSITIVE, f64::INFINITY] {
        assert_eq!(half_d.call::<f64>(x).unwrap(), x / 2.0);
    }
    assert!(half_d.call::<f64>(f64::NAN).unwrap().is_nan());
    assert_eq!(half_d.call::<f64>(3.0f32).unwrap(), 1.5);
    // A double is not read as f32 (it would lose precision).
    assert!(matches!(
        half_d.call::<f32>(1.0),
        Err(Error::ReturnType { .. })
    ));
}

#[test]
fn fourteen_mixed_arguments_some_on_the_stack() {
    let many = fx(
        "fx_many",
        "double (int, double, long, float, short, double, unsigned char, double, int, double, long long, float, unsigned int, long)",
    );
    let (a, b, c, d, e, f, g) = (
        -7i32,
        1.25f64,
        1_000_000_007i64,
        0.5f32,
        -300i16,
        2.5f64,
        250u8,
    );
    let (h, i, j, k, l, m, n) = (
        -8.75f64,
        123_456i32,
        1e-3f64,
        -(1i64 << 40),
        3.75f32,
        4_000_000_000u32,
        -99i64,
    );
    let got: f64 = many
        .call((a, b, c, d, e, f, g, h, i, j, k, l, m, n))
        .unwrap();
    // The same sum, evaluated in the same order and precision as the C code.
    let mut acc = 0.0f64;
    acc += 1.0 * f64::from(a);
    acc += 2.0 * b;
    acc += 3.0 * c as f64;
    acc += 4.0 * f64::from(d);
    acc += 5.0 * f64::from(e);
    acc += 6.0 * f;
    acc += 7.0 * f64::from(g);
    acc += 8.0 * h;
    acc += 9.0 * f64::from(i);
    acc += 10.0 * j;
    acc += 11.0 * k as f64;
    acc += 12.0 * f64::from(l);
    acc += 13.0 * f64::from(m);
    acc += 14.0 * n as f64;
    assert_eq!(got, acc);

    // The same call through dynamic values.
    let values = [
        Value::I32(a),
        Value::F64(b),
        Value::I64(c),
        Value::F32(d),
        Value::I16(e),
        Value::F64(f),
        Value::U8(g),
        Value::F64(h),
        Value::I32(i),
        Value::F64(j),
        Value::I64(k),
        Value::F32(l),
        Value::U32(m),
        Value::I64(n),
    ];
    assert_eq!(many.call_values(&values).unwrap(), Value::F64(acc));
}

#[test]
fn ten_integer_and_ten_double_arguments() {
    let sum10 = fx(
        "fx_sum10",
        "long (long, long, long, long, long, long, long, long, long, long)",
    );
    let xs: [i64; 10] = [3, -1, 4, -1, 5, -9, 2, -6, 5, -3];
    let expected: i64 = xs.iter().zip(1..).map(|(x, w)| x * w).sum();
    let got: i64 = sum10
        .call((
            xs[0], xs[1], xs[2], xs[3], xs[4], xs[5], xs[6], xs[7], xs[8], xs[9],
        ))
        .unwrap();
    assert_eq!(got, expected);

    let sum10d = fx(
        "fx_sum10d",
        "double (double, double, double, double, double, double, double, double, double, double)",
    );
    let ds: [f64; 10] = [0.5, -1.25, 3.0, 1e10, -2.5, 0.125, 7.0, -8.0, 9.5, 1e-5];
    let mut acc = ds[0];
    for (x, w) in ds.iter().zip(1..).skip(1) {
        acc += f64::from(w) * x;
    }
    let values: Vec<Value<'_>> = ds.iter().map(|d| Value::F64(*d)).collect();
    assert_eq!(sum10d.call_values(&values).unwrap(), Value::F64(acc));
}

#[test]
fn pointers_in_and_out() {
    let fill = fx("fx_fill", "void (int *, size_t, int)");
    let mut buf = [0i32; 8];
    let n = buf.len();
    // SAFETY: fx_fill writes exactly `n` ints, and `buf` holds `n`.
    unsafe { fill.call_raw::<()>((&mut buf[..], n, 100)) }.unwrap();
    assert_eq!(buf, [100, 101, 102, 103, 104, 105, 106, 107]);

    let sum = fx("fx_sum_array", "long (const int *, size_t)");
    let values = [1i32, -2, 30, 400, -5000];
    // SAFETY: fx_sum_array reads exactly `n` ints.
    let got: i64 = unsafe { sum.call_raw((&values[..], values.len())) }.unwrap();
    assert_eq!(got, values.iter().map(|v| i64::from(*v)).sum::<i64>());

    let swap = fx("fx_swap_long", "void (long *, long *)");
    let (mut a, mut b): (c_long, c_long) = (-11, 22);
    // SAFETY: fx_swap_long reads and writes one long through each pointer.
    unsafe { swap.call_raw::<()>((&mut a, &mut b)) }.unwrap();
    assert_eq!((a, b), (22, -11));

    let greeting = fx("fx_greeting", "const char * (void)");
    let p: *const c_char = greeting.call(()).unwrap();
    // SAFETY: fx_greeting returns a pointer to a static NUL-terminated string.
    assert_eq!(unsafe { CStr::from_ptr(p) }, c"hello from fixture");

    let set = fx("fx_set_greeting", "void (const char **)");
    let mut out: *const c_char = std::ptr::null();
    // SAFETY: fx_set_greeting writes one pointer.
    unsafe { set.call_raw::<()>(&mut out) }.unwrap();
    assert_eq!(out, p);

    // Null only where the declaration says the function takes it (`_Nullable` in fixture.h).
    let unmarked = fx("fx_is_null", "int (const void *)");
    let err = unmarked.call::<i32>(None::<&CStr>).unwrap_err();
    assert!(matches!(err, Error::NullUnchecked { .. }), "{err}");
    // SAFETY: fx_is_null only compares the pointer.
    let r = unsafe { unmarked.call_raw::<i32>(None::<&CStr>) };
    assert_eq!(r.unwrap(), 1);
    let is_null = fx("fx_is_null", "int (const void * _Nullable)");
    assert_eq!(is_null.call::<i32>(None::<&CStr>).unwrap(), 1);
    assert_eq!(is_null.call_values(&[Value::Null]).unwrap(), Value::I32(1));
    // SAFETY: fx_is_null only compares the pointer.
    assert_eq!(unsafe { is_null.call_raw::<i32>(out) }.unwrap(), 0);

    let upper = fx("fx_upper", "void (char *)");
    let mut text = *b"Hello, world\0";
    // SAFETY: fx_upper writes within the NUL-terminated buffer.
    unsafe { upper.call_raw::<()>(&mut text[..]) }.unwrap();
    assert_eq!(&text, b"HELLO, WORLD\0");
}

#[test]
fn strings_reach_c_nul_terminated_without_allocating_when_short() {
    let strlen = fx("my_strlen", "size_t (const char *)");
    for s in ["", "a", "hello", &"x".repeat(255), &"y".repeat(5000)] {
        assert_eq!(strlen.call::<usize>(s).unwrap(), s.len(), "{}", s.len());
        assert_eq!(strlen.call::<usize>(s.to_owned()).unwrap(), s.len());
        assert_eq!(strlen.call::<usize>(s.as_bytes()).unwrap(), s.len());
        assert_eq!(
            strlen.call_values(&[Value::Str(s)]).unwrap().as_i64(),
            Some(s.len() as i64)
        );
    }
    // Several strings in one call share the stack buffer, then spill to the heap.
    let count = fx("fx_count_char", "size_t (const char *, char)");
    assert_eq!(count.call::<usize>(("banana", 97)).unwrap(), 3);
    assert_eq!(
        count.call::<usize>((c"banana", i32::from(b'n'))).unwrap(),
        2
    );
}

#[test]
fn variadic_arguments_get_the_default_promotions() {
    let ints = fx("fx_sum_ints", "long (int, ...)");
    // SAFETY: the summing function reads `count` arguments of its type, as given.
    assert_eq!(unsafe { ints.call_raw::<i64>((3, 1, 2, 3)) }.unwrap(), 6);
    // char, short and bool are promoted to int.
    assert_eq!(
        // SAFETY: the summing function reads `count` arguments of its type, as given.
        unsafe { ints.call_raw::<i64>((4, -5i8, 300i16, true, 7u8)) }.unwrap(),
        -5 + 300 + 1 + 7
    );
    // SAFETY: a count of 0: no variadic argument is read.
    assert_eq!(unsafe { ints.call_raw::<i64>(0) }.unwrap(), 0);

    let doubles = fx("fx_sum_doubles", "double (int, ...)");
    // float is promoted to double.
    assert_eq!(
        // SAFETY: the summing function reads `count` arguments of its type, as given.
        unsafe { doubles.call_raw::<f64>((3, 1.5f32, 2.25f64, -0.5f32)) }.unwrap(),
        3.25
    );
    let values = [Value::I32(2), Value::F32(0.75), Value::F64(0.5)];
    assert_eq!(
        // SAFETY: the summing function reads `count` arguments of its type, as given.
        unsafe { doubles.call_values_raw(&values) }.unwrap(),
        Value::F64(1.25)
    );

    let llongs = fx("fx_sum_llongs", "long long (int, ...)");
    let (x, y) = (1i64 << 40, -(1i64 << 35));
    // SAFETY: the summing function reads `count` arguments of its type, as given.
    assert_eq!(unsafe { llongs.call_raw::<i64>((2, x, y)) }.unwrap(), x + y);
}

#[test]
fn a_safe_call_cannot_call_a_variadic_function_nothing_describes() {
    // `fx_sum_ints` reads as many `int`s as its first argument says: no declaration can say
    // so, and a safe call cannot know that 3 here is a lie.
    let ints = fx("fx_sum_ints", "long (int, ...)");
    let err = ints.call::<i64>((3, 1)).unwrap_err();
    assert!(
        matches!(
            &err,
            Error::VariadicUnchecked {
                fixed: 1,
                given: 2,
                ..
            }
        ),
        "{err}"
    );
    assert!(err.to_string().contains("call_raw"), "{err}");
    let err = ints
        .call_values(&[Value::I32(9), Value::I32(1)])
        .unwrap_err();
    assert!(matches!(err, Error::VariadicUnchecked { .. }), "{err}");
    // Nor with its fixed arguments alone: a count of 2 with nothing after it would read two
    // `int`s that are not there.
    let err = ints.call::<i64>(2).unwrap_err();
    assert!(
        matches!(err, Error::VariadicUnchecked { given: 1, .. }),
        "{err}"
    );
}

#[test]
fn functions_sharing_an_abi_shape_share_one_cif() {
    let a = fx("add_f64", "double (double, double)");
    let b = fx("fx_sum_doubles", "double (int, ...)");
    let c = common::sys("hypot", Some("m"), "double (double, double)");
    assert!(a.shares_cif_with(&c));
    assert!(!a.shares_cif_with(&b));
}
