//! Structs by value and by pointer through dynamic calls, with layouts from the headers.
#![cfg(feature = "discovery")]

mod common;

use std::ffi::c_void;

use common::discover_fixture;
use ffi_auto_runtime::{
    Error, Function, Struct, Value, ffi_call, ffi_call_raw, find_symbol,
    sig::{CType, Signature},
};

#[test]
fn div_and_ldiv_return_structs() {
    let r: Struct = ffi_call("div", (17, 5)).unwrap();
    assert_eq!(r.get("quot").unwrap(), Value::I32(3));
    assert_eq!(r.get("rem").unwrap(), Value::I32(2));
    let r: Struct = ffi_call("ldiv", (-17i64, 5i64)).unwrap();
    assert_eq!(r.get("quot").unwrap().as_i64(), Some(-3));
    assert_eq!(r.get("rem").unwrap().as_i64(), Some(-2));
    assert_eq!(
        r.record().c_name(),
        "struct <anonymous>".replace("<anonymous>", "ldiv_t")
    );
    // Reading a struct return as a number says what to read it as.
    let e = ffi_call::<i32>("div", (17, 5)).unwrap_err();
    assert!(e.to_string().contains("ffi_auto::Struct"), "{e}");
}

#[test]
fn structs_pass_and_return_by_value_in_registers_and_in_memory() {
    let lib = discover_fixture();
    let mut a = Struct::new("fx_point").unwrap();
    a.set("x", 2).unwrap();
    a.set("y", 0.5).unwrap();
    let mut b = Struct::new("fx_point").unwrap();
    b.set("x", 40).unwrap();
    b.set("y", 0.25).unwrap();
    let sum: Struct = ffi_call(("fx_point_add", lib), (&a, &b)).unwrap();
    assert_eq!(sum.get("x").unwrap(), Value::I32(42));
    assert_eq!(sum.get("y").unwrap(), Value::F64(0.75));
    assert_eq!(format!("{sum:?}"), "struct fx_point { x: 42, y: 0.75 }");
    // 24 bytes: returned through a hidden pointer, passed on the stack.
    let m: Struct = ffi_call(("fx_mixed_make", lib), (7, 1i64 << 40)).unwrap();
    assert_eq!(m.record().size, 24);
    assert_eq!(m.get("a").unwrap(), Value::I32(7));
    assert_eq!(m.get("c").unwrap().as_i64(), Some(1 << 40));
    assert_eq!(m.get("d").unwrap(), Value::F64(0.5));
    assert_eq!(&m.as_bytes()[4..7], b"ok\0");
    let s: i64 = ffi_call(("fx_mixed_sum", lib), &m).unwrap();
    assert_eq!(s, 7 + (1 << 40) + i64::from(b'o'));
    // As a dynamic value too.
    let v = ffi_auto_runtime::ffi_call_values(("fx_mixed_sum", lib), &[Value::Struct(&m)]).unwrap();
    assert_eq!(v.as_i64(), Some(7 + (1 << 40) + i64::from(b'o')));
    // A struct of another layout is refused before the call.
    let e = ffi_call::<i64>(("fx_mixed_sum", lib), &a).unwrap_err();
    assert!(matches!(e, Error::ArgType { .. }), "{e}");
}

#[test]
fn gettimeofday_fills_a_struct_out_parameter() {
    let mut tv = Struct::new("timeval").unwrap();
    // SAFETY: `tv` is a `struct timeval` the call writes; the time zone is null.
    let rc: i32 = unsafe { ffi_call_raw("gettimeofday", (&mut tv, Value::Null)) }.unwrap();
    assert_eq!(rc, 0);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let sec = tv.get("tv_sec").unwrap().as_i64().unwrap();
    assert!((now - sec).abs() <= 2, "{sec} vs {now}");
    let usec = tv.get("tv_usec").unwrap().as_i64().unwrap();
    assert!((0..1_000_000).contains(&usec));
}

#[test]
fn members_of_anonymous_members_are_reached_by_their_names() {
    // glibc's `struct rusage` holds each field in an anonymous union with a padding word.
    let mut ru = Struct::new("rusage").unwrap();
    let names = ru.record().field_names();
    assert!(names.iter().any(|n| n == "ru_maxrss"), "{names:?}");
    assert!(!names.iter().any(String::is_empty), "{names:?}");
    // SAFETY: `ru` is a `struct rusage` getrusage writes; RUSAGE_SELF is 0.
    let rc: i32 = unsafe { ffi_call_raw("getrusage", (0, &mut ru)) }.unwrap();
    assert_eq!(rc, 0);
    let maxrss = ru.get("ru_maxrss").unwrap().as_i64().unwrap();
    assert!(maxrss > 1000, "max resident set {maxrss} KiB");
    // The fixture: a member of an anonymous union of an anonymous struct, by dotted path.
    let _lib = discover_fixture();
    let mut e = Struct::new("fx_event").unwrap();
    e.set("key", 9).unwrap();
    e.set("stats.count", 100).unwrap();
    assert_eq!(e.get("key").unwrap().as_i64(), Some(9));
    assert_eq!(e.get("move.x").unwrap().as_i64(), Some(9));
    assert_eq!(e.get("stats.count").unwrap().as_i64(), Some(100));
    let err = e.get("count").unwrap_err().to_string();
    assert!(err.contains("stats"), "{err}");
}

#[test]
fn opaque_handles_travel_behind_pointers() {
    let lib = discover_fixture();
    let h: *mut c_void = ffi_call(("fx_handle_new", lib), 7).unwrap();
    assert!(!h.is_null());
    // SAFETY: `h` came from `fx_handle_new` and is freed once, below.
    let v: i32 = unsafe { ffi_call_raw(("fx_handle_get", lib), h) }.unwrap();
    assert_eq!(v, 7);
    // SAFETY: as above.
    unsafe { ffi_call_raw::<()>(("fx_handle_free", lib), h) }.unwrap();
    // An opaque type has no layout to build a value of.
    let e = Struct::new("fx_handle").unwrap_err();
    assert!(matches!(e, Error::UnknownStruct { .. }), "{e}");
}

#[test]
fn layouts_libffi_cannot_describe_are_refused_with_the_reason() {
    let lib = discover_fixture();
    let e = ffi_call::<f64>(("fx_num_double", lib), 1.0).unwrap_err();
    assert!(
        e.to_string().contains("libffi cannot pass unions by value"),
        "{e}"
    );
    let code = find_symbol("fx_packed_get", Some(lib)).unwrap();
    // `fx_bits` is aligned to 8 by an `unsigned long long` bitfield: its bytes alone do not
    // say so to libffi (`fx_flags`, whose bytes do, passes; see below).
    for (name, why) in [("fx_packed", "packed"), ("fx_bits", "bitfields")] {
        let r = Struct::new(name).unwrap().record().clone();
        let sig = Signature::new(CType::INT).param(CType::Record(r));
        // SAFETY: refused while preparing; never called.
        let e = unsafe { Function::new(code.clone(), "by_value", sig) }.unwrap_err();
        assert!(matches!(e, Error::Unsupported { .. }), "{e}");
        assert!(e.to_string().contains(why), "{e}");
    }
}

#[test]
fn struct_fields_are_checked_by_name_and_range() {
    let mut p = Struct::new("fx_point").unwrap();
    let e = p.set("z", 1).unwrap_err();
    assert_eq!(
        e.to_string(),
        "`struct fx_point` has no field `z`; it has `x`, `y`"
    );
    let e = p.set("x", 1u64 << 40).unwrap_err();
    assert!(matches!(e, Error::FieldValue { .. }), "{e}");
    assert!(e.to_string().contains("out of the field's range"), "{e}");
    let e = Struct::new("timevall").unwrap_err();
    assert!(e.to_string().contains("did you mean `timeval`"), "{e}");
}

#[test]
fn a_struct_holding_pointers_passes_by_value_only_through_unsafe_calls() {
    let lib = discover_fixture();
    let text = c"four";
    let mut s = Struct::new("fx_str").unwrap();
    s.set("text", Value::Ptr(text.as_ptr().cast_mut().cast()))
        .unwrap();
    s.set("len", 10).unwrap();
    // A safe call would hand C a pointer nothing checked.
    let e = ffi_call::<i32>(("fx_str_len", lib), &s).unwrap_err();
    assert!(matches!(e, Error::RawPointer { .. }), "{e}");
    // SAFETY: `text` is a live NUL-terminated string.
    let n: i32 = unsafe { ffi_call_raw(("fx_str_len", lib), &s) }.unwrap();
    assert_eq!(n, 14);
    // Structs are not passed in a variadic tail.
    let mut p = Struct::new("fx_point").unwrap();
    p.set("x", 1).unwrap();
    // SAFETY: refused before the call.
    let e = unsafe { ffi_call_raw::<i32>("printf", ("%d\n", &p)) }.unwrap_err();
    assert!(matches!(e, Error::ArgType { .. }), "{e}");
}

#[test]
fn bitfields_read_and_write_at_run_time_as_c_does() {
    use ffi_auto_runtime::{Struct, config, ffi_call_raw};
    config::add_header(&ffi_auto_fixture::header().display().to_string());
    let lib = ffi_auto_fixture::LIB;
    let mut s = Struct::new("fx_bits").unwrap();
    // SAFETY: `fx_bits_fill` writes a `struct fx_bits`, which `s` holds.
    let () = unsafe { ffi_call_raw(("fx_bits_fill", lib), (s.as_mut_ptr(),)) }.unwrap();
    assert_eq!(s.get("a").unwrap(), Value::U32(5));
    assert_eq!(s.get("b").unwrap(), Value::I32(-7));
    assert_eq!(s.get("c").unwrap(), Value::Bool(true));
    assert_eq!(s.get("d").unwrap(), Value::U64(0x12_3456_789a));
    s.set("b", -16).unwrap();
    s.set("a", 7u32).unwrap();
    let read = |s: &mut Struct, which: i32| -> i64 {
        // SAFETY: `s` holds a `struct fx_bits`.
        unsafe { ffi_call_raw(("fx_bits_read", lib), (s.as_mut_ptr(), which)) }.unwrap()
    };
    assert_eq!((read(&mut s, 0), read(&mut s, 1)), (7, -16));
    let e = s.set("a", 8).unwrap_err();
    assert!(e.to_string().contains("3 bits: 0..=7"), "{e}");
    assert!(s.set("b", 1.5).is_err());
}

#[test]
fn a_struct_with_bitfields_passes_by_value_where_its_bytes_describe_it() {
    use ffi_auto_runtime::{Struct, config, ffi_call};
    config::add_header(&ffi_auto_fixture::header().display().to_string());
    let lib = ffi_auto_fixture::LIB;
    let mut p = Struct::new("fx_pair").unwrap();
    p.set("lo", 3u32).unwrap();
    p.set("hi", 2u32).unwrap();
    p.set("tag", 7u8).unwrap();
    p.set("count", 100u16).unwrap();
    p.set("total", 1000u32).unwrap();
    let sum: u32 = ffi_call(("fx_pair_sum", lib), &p).unwrap();
    assert_eq!(sum, 3 + 16 * 2 + 7 + 100 + 1000);
}
