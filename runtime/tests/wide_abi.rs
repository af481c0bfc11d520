//! `long double` and `__int128` through libffi with written signatures (no discovery), on every
//! target the runtime passes them on. `make test` also runs this file on aarch64 under qemu,
//! where `long double` is IEEE binary128 in vector registers and `__int128` is refused.
#![cfg(feature = "dynamic")]

mod common;

/// The targets whose `long double` format the runtime knows.
#[cfg(any(
    target_arch = "x86_64",
    target_arch = "aarch64",
    target_arch = "riscv64",
    target_arch = "s390x"
))]
mod long_double {
    use super::common::{self, fx, sys};
    use ffi_auto_runtime::{LongDouble, Value};

    /// Whether valgrind runs this process (its x87 emulation computes in double precision).
    fn under_valgrind() -> bool {
        std::env::var("LD_PRELOAD").is_ok_and(|p| p.contains("vgpreload"))
    }

    #[test]
    fn long_double_functions_of_the_c_library_run_at_full_precision() {
        let sqrtl = sys("sqrtl", Some("m"), "long double (long double)");
        let r: LongDouble = sqrtl.call(LongDouble::from_f64(2.0)).unwrap();
        assert_eq!(r.to_f64(), 2f64.sqrt());
        // More bits than a double's: the result is not the widened double.
        let wide = !cfg!(any(
            all(target_vendor = "apple", target_arch = "aarch64"),
            target_env = "msvc"
        ));
        if wide && !under_valgrind() {
            assert_ne!(r, LongDouble::from_f64(2f64.sqrt()));
        }
        // Its square, in `long double`, is 2 to within the format's precision: `fmal(r, r, -2)`
        // is far below a double's ulp of 2.
        let fmal = sys(
            "fmal",
            Some("m"),
            "long double (long double, long double, long double)",
        );
        let err: LongDouble = fmal.call((r, r, -2.0)).unwrap();
        // (Under valgrind, whose x87 computes in double precision, a double's error.)
        let bound = if wide && !under_valgrind() {
            1e-17
        } else {
            1e-15
        };
        assert!(err.to_f64().abs() < bound, "{err:?}");
        // An out-parameter, and a `double` widened exactly.
        let frexpl = sys("frexpl", Some("m"), "long double (long double, int *)");
        let mut exp = 0i32;
        // SAFETY: `exp` is the `int` frexpl writes.
        let m: LongDouble = unsafe { frexpl.call_raw((8.0, &mut exp)) }.unwrap();
        assert_eq!((m.to_f64(), exp), (0.5, 4));
    }

    #[test]
    fn long_doubles_past_the_registers_keep_their_order() {
        let poly = fx(
            "fx_ld_poly",
            "long double (long double, long double, long double, long double, long double, \
             long double, long double, long double, long double, int)",
        );
        let args: Vec<Value<'_>> = (1..=9)
            .map(|k| Value::LongDouble(LongDouble::from_f64(f64::from(k) * 0.5)))
            .chain([Value::I32(1000)])
            .collect();
        // Σ k * (k / 2) for k = 1..9 = 142.5, plus 1000.
        let v = poly.call_values(&args).unwrap();
        assert!(
            matches!(v, Value::LongDouble(x) if x.to_f64() == 1142.5),
            "{v:?}"
        );
    }

    #[test]
    fn a_callback_takes_and_returns_long_double() {
        use ffi_auto_runtime::Callback;
        let sig = "long double (long double, int)".parse().unwrap();
        let seen = std::sync::Arc::new(std::sync::Mutex::new(None));
        let record = seen.clone();
        let cb = Callback::dynamic(&sig, move |args| {
            let Value::LongDouble(x) = args[0] else {
                return Value::Void;
            };
            *record.lock().unwrap() = Some(x);
            let n = args[1].as_i64().unwrap();
            // x * n + 0.25, computed in double (exact for these values).
            Value::LongDouble(LongDouble::from_f64(x.to_f64() * n as f64 + 0.25))
        })
        .unwrap();
        let apply = fx(
            "fx_apply_ld",
            "long double (long double (*)(long double, int), long double)",
        );
        // SAFETY: `fx_apply_ld` calls `f(x, 3)` once, with the callback's signature.
        let r: LongDouble = unsafe { apply.call_raw((&cb, LongDouble::from_f64(1.5))) }.unwrap();
        assert_eq!(r.to_f64(), 4.75);
        // The callback saw the argument's exact value (x87's padding, which C leaves as it finds
        // it, zeroed).
        let x = seen.lock().unwrap().expect("the callback ran");
        assert_eq!(x, LongDouble::from_f64(1.5));
    }

    #[test]
    fn long_double_passes_in_the_variadic_part() {
        use std::ffi::{CStr, c_char};
        let snprintf = sys("snprintf", None, "int (char *, size_t, const char *, ...)");
        let mut buf = [0u8; 32];
        let at = buf.as_mut_ptr().cast::<c_char>();
        // SAFETY: at most 32 bytes into `buf`; `%.4Lf %d` reads the long double and int given.
        let n: i32 = unsafe {
            snprintf.call_raw((at, buf.len(), c"%.4Lf %d", LongDouble::from_f64(0.125), 7))
        }
        .unwrap();
        assert_eq!(n, 8);
        assert_eq!(CStr::from_bytes_until_nul(&buf).unwrap(), c"0.1250 7");
    }

    #[test]
    fn a_struct_with_a_long_double_field_passes_by_value() {
        use std::sync::Arc;

        use ffi_auto_runtime::Struct;
        use ffi_auto_runtime::sig::{CType, DataModel, FloatKind, Record, RecordKind, Signature};
        // `struct fx_ld_pair { int tag; long double value; }`, laid out as C does.
        let fields = vec![
            ("tag".to_owned(), CType::INT),
            ("value".to_owned(), CType::Float(FloatKind::LongDouble)),
        ];
        let record = Arc::new(
            Record::with_c_layout(
                RecordKind::Struct,
                Some("fx_ld_pair"),
                fields,
                &DataModel::native(),
            )
            .unwrap(),
        );
        assert_eq!((record.size, record.align), (32, 16));
        let mut p = Struct::zeroed(record.clone()).unwrap();
        p.set("tag", 4).unwrap();
        // A double widens exactly.
        p.set("value", 0.5f64).unwrap();
        assert_eq!(
            p.get("value").unwrap(),
            Value::LongDouble(LongDouble::from_f64(0.5))
        );
        p.set("value", LongDouble::from_f64(1.25)).unwrap();
        assert!(format!("{p:?}").contains("value"), "{p:?}");
        assert_eq!(
            p.get("value").unwrap(),
            Value::LongDouble(LongDouble::from_f64(1.25))
        );
        let sig = Signature::new(CType::Record(record.clone()))
            .param(CType::Record(record))
            .param(CType::INT);
        let symbol = common::fixture().symbol("fx_ld_pair_scale").unwrap();
        // SAFETY: the declaration in tests/fixture/c/fixture.h.
        let scale =
            unsafe { ffi_auto_runtime::Function::new(symbol, "fx_ld_pair_scale", sig) }.unwrap();
        let r: Struct = scale.call((&p, 3)).unwrap();
        assert_eq!(r.get("tag").unwrap(), Value::I32(5));
        assert_eq!(
            r.get("value").unwrap(),
            Value::LongDouble(LongDouble::from_f64(3.75))
        );
    }
}

#[cfg(target_arch = "x86_64")]
#[test]
fn int128_passes_with_a_written_signature() {
    let mul = common::fx("fx_mul128", "__int128 (__int128, long long)");
    let big = (1i128 << 100) + 1;
    assert_eq!(mul.call::<i128>((big, -2i64)).unwrap(), -2 * big);
}

#[cfg(not(target_arch = "x86_64"))]
#[test]
fn int128_is_refused_off_x86_64_saying_where_it_works() {
    use ffi_auto_runtime::{Function, find_symbol, sig::Signature};
    let sig: Signature = "__int128 (__int128, long long)".parse().unwrap();
    let symbol = find_symbol("fx_mul128", Some(ffi_auto_fixture::LIB)).unwrap();
    // SAFETY: the declaration is the fixture's; it is refused before any call.
    let e = unsafe { Function::new(symbol, "fx_mul128", sig) }.unwrap_err();
    let msg = e.to_string();
    assert!(msg.contains("x86-64") && msg.contains("defcfuns!"), "{msg}");
    // Nor in the unchecked variadic part of a raw call.
    let printf = common::sys("printf", None, "int (const char *, ...)");
    // SAFETY: refused before C is called.
    let e = unsafe { printf.call_raw::<i32>((c"%d\n", 5i128)) }.unwrap_err();
    assert!(e.to_string().contains("x86-64"), "{e}");
}
