//! Layouts built by hand: `Record`'s fields are public, so safe code can describe any layout;
//! every safe API that reads bytes at its offsets checks it first, and none panics.
#![cfg(feature = "dynamic")]

use std::sync::Arc;

use ffi_auto_runtime::{
    Error, Struct, Value,
    sig::{CType, DataModel, Field, Record, RecordKind, Signature},
};

fn point() -> Record {
    Record::with_c_layout(
        RecordKind::Struct,
        Some("point"),
        vec![
            ("x".into(), CType::INT),
            ("y".into(), CType::DOUBLE),
            ("tag".into(), "unsigned char".parse().unwrap()),
        ],
        &DataModel::native(),
    )
    .unwrap()
}

/// Every way of breaking `point`'s layout, one change at a time.
fn broken() -> Vec<(String, Record)> {
    let mut out = Vec::new();
    let mut add = |what: &str, f: &dyn Fn(&mut Record)| {
        let mut r = point();
        f(&mut r);
        out.push((what.to_owned(), r));
    };
    add("offset past the end", &|r| r.fields[1].offset = 1000);
    add("offset at the very end", &|r| r.fields[1].offset = r.size);
    add("offset overflowing", &|r| r.fields[0].offset = u64::MAX - 2);
    add("size smaller than the fields", &|r| r.size = 8);
    add("size zero", &|r| r.size = 0);
    add("alignment zero", &|r| r.align = 0);
    add("alignment three", &|r| r.align = 3);
    add("alignment huge", &|r| r.align = 1 << 40);
    add("size huge", &|r| r.size = !7);
    add("size not a multiple of the alignment", &|r| r.size = 17);
    add("bitfield beyond its type", &|r| {
        r.fields[0].bit_width = Some(33);
    });
    add("bitfield beyond the record", &|r| {
        r.fields[2].bit_width = Some(8);
        r.fields[2].bit_offset = r.size * 8;
    });
    add("field of no size", &|r| r.fields[0].ty = CType::Void);
    add("array overflowing", &|r| {
        r.fields[0].ty = CType::Array {
            elem: Box::new(CType::DOUBLE),
            len: u64::MAX / 2,
        };
    });
    add("nested record with alignment zero", &|r| {
        let mut inner = point();
        inner.align = 0;
        r.fields[1].ty = CType::Record(Arc::new(inner));
    });
    add("nested record bigger than its slot", &|r| {
        let mut inner = point();
        inner.size = 4096;
        r.fields[1].ty = CType::Record(Arc::new(inner));
    });
    out
}

#[test]
fn an_impossible_layout_is_an_error_never_a_panic() {
    for (what, r) in broken() {
        let err = Struct::zeroed(Arc::new(r.clone())).map(|_| ()).unwrap_err();
        assert!(matches!(err, Error::InvalidLayout { .. }), "{what}: {err}");
        assert!(r.validate(&DataModel::native()).is_err(), "{what}");
        // Laying the same fields out again is an error or a valid layout, not a panic.
        let again = Record::with_c_layout(
            r.kind,
            r.name.as_deref(),
            r.fields
                .iter()
                .map(|f| (f.name.clone(), f.ty.clone()))
                .collect(),
            &DataModel::native(),
        );
        if let Ok(a) = again {
            assert!(a.validate(&DataModel::native()).is_ok(), "{what}");
        }
        // A function signature holding it cannot be prepared (the by-value check runs first).
        let sig = Signature::new(CType::INT).param(CType::Record(Arc::new(r)));
        let symbol = ffi_auto_runtime::find_symbol("abs", None).unwrap();
        // SAFETY: refused at preparation, never called.
        let prepared = unsafe { ffi_auto_runtime::Function::new(symbol, "abs", sig) };
        assert!(prepared.is_err(), "{what}");
    }
}

#[test]
fn a_valid_hand_built_layout_reads_and_writes_every_field() {
    let mut s = Struct::zeroed(Arc::new(point())).unwrap();
    s.set("x", -3).unwrap();
    s.set("y", 2.5).unwrap();
    s.set("tag", 200u8).unwrap();
    assert_eq!(s.get("x").unwrap(), Value::I32(-3));
    assert_eq!(s.get("y").unwrap(), Value::F64(2.5));
    assert_eq!(s.get("tag").unwrap(), Value::U8(200));
    assert!(matches!(s.set("tag", 300), Err(Error::FieldValue { .. })));
    assert!(matches!(s.get("z"), Err(Error::UnknownField { .. })));
    // A packed layout is valid (fields need not be aligned), and readable.
    let mut packed = point();
    packed.fields[1].offset = 4;
    packed.fields[2].offset = 12;
    packed.size = 13;
    packed.align = 1;
    let mut p = Struct::zeroed(Arc::new(packed)).unwrap();
    p.set("y", 1.25).unwrap();
    assert_eq!(p.get("y").unwrap(), Value::F64(1.25));
    // Bitfields are read and written by name, their bits only.
    let mut bits = point();
    bits.fields.push(Field {
        name: "flag".into(),
        ty: CType::UINT,
        offset: 0,
        bit_width: Some(1),
        bit_offset: 8 * 17,
    });
    let mut b = Struct::zeroed(Arc::new(bits)).unwrap();
    assert_eq!(b.get("flag").unwrap(), Value::U32(0));
    b.set("flag", 1u32).unwrap();
    assert_eq!(b.get("flag").unwrap(), Value::U32(1));
    assert_eq!(b.as_bytes()[17], 1);
    assert!(matches!(b.set("flag", 2u32), Err(Error::FieldValue { .. })));
}

#[test]
fn nesting_is_bounded() {
    let dm = DataModel::native();
    let mut r = point();
    for _ in 0..100 {
        let mut outer = point();
        outer.fields[0].ty = CType::Record(Arc::new(r));
        outer.size = outer.size.max(64);
        r = outer;
    }
    assert!(r.validate(&dm).is_err());
    assert!(matches!(
        Struct::zeroed(Arc::new(r)),
        Err(Error::InvalidLayout { .. })
    ));
}
