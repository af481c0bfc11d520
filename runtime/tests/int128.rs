//! `__int128` and `unsigned __int128` on the dynamic path (x86-64): libffi is given a 16-byte,
//! 16-aligned struct of two words, which is how the ABI classifies them. Tested where the ABI
//! has corners: in registers, on the stack after the registers ran out, at a 16-byte stack
//! boundary, inside a struct by value, as a return, and as a callback's argument and return.
#![cfg(all(feature = "discovery", target_arch = "x86_64"))]

mod common;

use common::{discover_fixture, fx};
use ffi_auto_runtime::{
    Callback, Error, Struct, Value, ffi_call, ffi_call_raw, ffi_call_values, prepare,
};

const BIG: i128 = (1i128 << 100) + 12345;

#[test]
fn wide_integers_cross_both_ways_beyond_64_bits() {
    let lib = discover_fixture();
    assert_eq!(
        ffi_call::<i128>(("fx_mul128", lib), (BIG, -3i64)).unwrap(),
        BIG * -3
    );
    assert_eq!(
        ffi_call::<i128>(("fx_mul128", lib), (i128::MIN / 2, 2i64)).unwrap(),
        i128::MIN
    );
    assert_eq!(
        ffi_call::<u128>(("fx_shl128", lib), (1u128, 127)).unwrap(),
        1u128 << 127
    );
    // A 64-bit argument widens exactly; a return that fits reads as a narrower type.
    assert_eq!(
        ffi_call::<i64>(("fx_mul128", lib), (-7i64, 6i64)).unwrap(),
        -42
    );
    assert_eq!(
        ffi_call::<u64>(("fx_shl128", lib), (u64::MAX, 0)).unwrap(),
        u64::MAX
    );
}

#[test]
fn the_stack_and_its_16_byte_alignment_are_honoured() {
    let lib = discover_fixture();
    let y: i128 = -(1i128 << 90) - 99;
    let expect = BIG + 3 * y + (1 + 2 * 2 + 3 * 3 + 4 * 4 + 5 * 5 + 6 * 6 + 7 * 7 + 8 * 8);
    let f = prepare(("fx_stack128", lib)).unwrap();
    let r: i128 = f
        .call((1i64, 2i64, 3i64, 4i64, 5i64, BIG, 6i64, 7i64, y, 8i64))
        .unwrap();
    assert_eq!(r, expect);
    // The same through `Value`s, whose return is `Value::I128`.
    let args = [1i64, 2, 3, 4, 5]
        .map(Value::I64)
        .into_iter()
        .chain([Value::from(BIG), Value::I64(6), Value::I64(7)])
        .chain([Value::from(y), Value::I64(8)])
        .collect::<Vec<_>>();
    let v = f.call_values(&args).unwrap();
    assert_eq!(v, Value::from(expect));
    assert_eq!(v.as_i128(), Some(expect));
    assert_eq!(v.to_string(), expect.to_string());
    // The hand-written declaration, without discovery, agrees.
    let g = fx(
        "fx_stack128",
        "__int128 (long, long, long, long, long, __int128, long, long, __int128, long)",
    );
    assert_eq!(g.call_values(&args).unwrap(), Value::from(expect));
}

#[test]
fn a_struct_holding_one_passes_and_returns_by_value() {
    let lib = discover_fixture();
    let w: Struct = ffi_call(("fx_wide_make", lib), (BIG, 7i8)).unwrap();
    assert_eq!(w.record().size, 32);
    assert_eq!(w.get("v").unwrap(), Value::from(BIG));
    assert_eq!(w.get("tag").unwrap(), Value::I8(7));
    let mut w = w;
    w.set("v", -BIG).unwrap();
    let sum: i128 = ffi_call(("fx_wide_sum", lib), &w).unwrap();
    assert_eq!(sum, -BIG + 7);
    // A field keeps its range: an `__int128` does not take 2^127.
    let e = w.set("v", 1u128 << 127).unwrap_err();
    assert!(e.to_string().contains("out of the field's range"), "{e}");
}

#[test]
fn a_callback_takes_and_returns_one() {
    let lib = discover_fixture();
    let sig = "__int128 (__int128, long)".parse().unwrap();
    let cb = Callback::dynamic(&sig, |args| {
        let x = args[0].as_i128().unwrap();
        let n = args[1].as_i64().unwrap();
        Value::from(x * i128::from(n))
    })
    .unwrap();
    // SAFETY: `fx_apply128` calls `f(x, 3)` once, with the callback's signature.
    let r: i128 = unsafe { ffi_call_raw(("fx_apply128", lib), (&cb, BIG)) }.unwrap();
    assert_eq!(r, BIG * 3);
}

#[test]
fn values_out_of_range_are_refused_with_the_range() {
    let lib = discover_fixture();
    // Negative to `unsigned __int128`.
    let e = ffi_call::<u128>(("fx_shl128", lib), (-1i64, 0)).unwrap_err();
    assert!(matches!(e, Error::OutOfRange { .. }), "{e}");
    assert!(e.to_string().contains(&u128::MAX.to_string()), "{e}");
    // Beyond `__int128`.
    let e = ffi_call::<i128>(("fx_mul128", lib), (u128::MAX, 1i64)).unwrap_err();
    assert!(e.to_string().contains(&u128::MAX.to_string()), "{e}");
    // A 128-bit value to a 64-bit parameter, only when it fits.
    assert_eq!(ffi_call::<i64>("labs", -5i128).unwrap(), 5);
    let e = ffi_call::<i64>("labs", BIG).unwrap_err();
    assert!(e.to_string().contains(&BIG.to_string()), "{e}");
    // Exactly representable as a double: passes; one more: refused.
    assert_eq!(
        ffi_call::<f64>("fabs", -(1i128 << 100)).unwrap(),
        2f64.powi(100)
    );
    assert!(ffi_call::<f64>("fabs", (1i128 << 100) + 1).is_err());
    // A return too wide for the type asked for is an error, not a truncation; an unsigned
    // one is read as unsigned (`u128::MAX` is not -1).
    let e = ffi_call::<i64>(("fx_mul128", lib), (BIG, 1i64)).unwrap_err();
    assert!(e.to_string().contains(&BIG.to_string()), "{e}");
    let e = ffi_call::<i64>(("fx_shl128", lib), (u128::MAX, 0)).unwrap_err();
    assert!(e.to_string().contains(&u128::MAX.to_string()), "{e}");
    assert!(ffi_call::<i128>(("fx_shl128", lib), (u128::MAX, 0)).is_err());
    // As a bool, C's truth: any bit set.
    assert!(ffi_call::<bool>(("fx_shl128", lib), (1u128, 100)).unwrap());
    assert!(!ffi_call::<bool>(("fx_shl128", lib), (0u128, 100)).unwrap());
    // `Value`s by name.
    let v = ffi_call_values(("fx_shl128", lib), &[Value::from(3u128), Value::I32(100)]).unwrap();
    assert_eq!(v.as_u128(), Some(3u128 << 100));
}
