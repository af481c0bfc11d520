//! The binary form of signatures compiled into programs reads back exactly what was written.
#![cfg(feature = "serde")]

use std::sync::Arc;

use ffi_auto_sig::encoding::{self, DecodeError};
use ffi_auto_sig::{CType, DataModel, FnAttrs, FormatAttr, Param, Record, RecordKind, Signature};

fn rich() -> Signature {
    let cmp: Signature = "int (const void *, const void *)".parse().unwrap();
    let dm = DataModel::native();
    let pair = Record::with_c_layout(
        RecordKind::Struct,
        Some("pair"),
        vec![
            ("a".into(), CType::Int(ffi_auto_sig::IntKind::Char)),
            ("b".into(), CType::DOUBLE),
        ],
        &dm,
    )
    .unwrap();
    Signature {
        ret: CType::Record(Arc::new(pair)),
        params: vec![
            Param {
                name: Some("fmt".into()),
                ty: "const char *".parse().unwrap(),
                nonnull: true,
                nullable: false,
            },
            Param::new(CType::FnPtr(Arc::new(cmp))),
            Param::new(CType::Named {
                name: "size_t".into(),
                ty: Box::new(CType::SIZE_T),
            }),
            Param::new(CType::Opaque("FILE".into())),
        ],
        variadic: true,
        attrs: FnAttrs {
            warn_unused_result: true,
            deprecated: Some("use other".into()),
            format: Some(FormatAttr {
                archetype: "printf".into(),
                string_index: 1,
                first_to_check: 5,
            }),
            noreturn: false,
            open_mode: Some(2),
            raw_only: Some("returns twice".into()),
            stops_at_nul: true,
        },
    }
}

#[test]
fn everything_round_trips() {
    let sig = rich();
    let bytes = encoding::encode(&sig);
    assert_eq!(bytes[0], encoding::FORMAT);
    assert_eq!(encoding::decode(&bytes).unwrap(), sig);
}

#[test]
fn other_formats_truncation_and_trailing_bytes_are_refused() {
    let bytes = encoding::encode(&rich());
    let mut other = bytes.clone();
    other[0] = encoding::FORMAT + 1;
    assert!(matches!(
        encoding::decode(&other),
        Err(DecodeError::Format { .. })
    ));
    for cut in 1..bytes.len() {
        assert!(
            encoding::decode(&bytes[..cut]).is_err(),
            "a prefix of {cut} bytes decoded"
        );
    }
    let mut longer = bytes.clone();
    longer.push(0);
    assert!(matches!(
        encoding::decode(&longer),
        Err(DecodeError::Corrupt(_))
    ));
    assert!(matches!(
        encoding::decode(&[]),
        Err(DecodeError::Corrupt(_))
    ));
}
