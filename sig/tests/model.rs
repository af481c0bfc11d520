//! The C declaration model: names, layouts, parsing, and Rust spellings.

use std::sync::Arc;

use ffi_auto_sig::{CType, DataModel, FloatKind, IntKind, Record, RecordKind, RustType, Signature};

#[test]
fn native_data_model_matches_rusts_c_types() {
    use core::ffi::{c_char, c_int, c_long, c_longlong, c_short};
    let dm = DataModel::native();
    assert_eq!(usize::from(dm.short.size), size_of::<c_short>());
    assert_eq!(usize::from(dm.int.size), size_of::<c_int>());
    assert_eq!(usize::from(dm.long.size), size_of::<c_long>());
    assert_eq!(usize::from(dm.long_long.size), size_of::<c_longlong>());
    assert_eq!(usize::from(dm.pointer.size), size_of::<*const u8>());
    assert_eq!(dm.char_signed, c_char::MIN < 0);
    assert!(IntKind::Long.is_signed(&dm));
    assert_eq!(IntKind::Char.is_signed(&dm), c_char::MIN < 0);
}

#[test]
fn a_32_bit_long_model_changes_sizes_not_names() {
    // Windows x64 (LLP64): long is 32 bits. Nothing in the model assumes LP64.
    let mut llp64 = DataModel::native();
    llp64.long = ffi_auto_sig::Scalar::new(4, 4);
    assert_eq!(IntKind::Long.size(&llp64), 4);
    assert_eq!(
        IntKind::Long.range(&llp64),
        (i128::from(i32::MIN), i128::from(i32::MAX))
    );
    assert_eq!(CType::LONG.to_string(), "long");
    assert_eq!(CType::LONG.rust_type().unwrap(), "c_long");
    // And an unsigned-char target (aarch64 Linux) flips plain char only.
    let mut arm = DataModel::native();
    arm.char_signed = false;
    assert_eq!(IntKind::Char.range(&arm), (0, 255));
    assert_eq!(IntKind::SChar.range(&arm), (-128, 127));
}

#[test]
fn every_integer_kind_parses_from_its_c_name() {
    for k in IntKind::ALL {
        let parsed: CType = k.c_name().parse().unwrap();
        assert_eq!(parsed, CType::Int(k), "{}", k.c_name());
    }
    for (s, t) in [
        ("unsigned", CType::UINT),
        ("long int", CType::LONG),
        ("long unsigned int", CType::ULONG),
        ("signed", CType::INT),
        ("short int", CType::Int(IntKind::Short)),
        ("unsigned long long int", CType::Int(IntKind::ULongLong)),
        ("long double", CType::Float(FloatKind::LongDouble)),
        (":unsigned-short", CType::Int(IntKind::UShort)),
        (":ssize-t", CType::SSIZE_T),
        (":pointer", CType::void_ptr()),
        (":string", CType::string()),
        ("_Bool", CType::Bool),
    ] {
        assert_eq!(s.parse::<CType>().unwrap(), t, "{s}");
    }
}

#[test]
fn pointers_keep_const_on_the_right_level() {
    let t: CType = "const char **".parse().unwrap();
    assert_eq!(t, CType::mut_ptr(CType::const_ptr(CType::CHAR)));
    assert_eq!(t.to_string(), "const char **");
    assert_eq!(t.rust_type().unwrap(), "*mut *const c_char");
    let t: CType = "char * const".parse().unwrap();
    assert_eq!(t, CType::mut_ptr(CType::CHAR));
    assert_eq!(
        "void*".parse::<CType>().unwrap().rust_type().unwrap(),
        "*mut c_void"
    );
}

#[test]
fn declarations_are_spelled_as_c_writes_them() {
    let cmp = Signature::new(CType::INT)
        .param(CType::const_ptr(CType::Void))
        .param(CType::const_ptr(CType::Void));
    let qsort = Signature::new(CType::Void)
        .param_named("base", CType::void_ptr())
        .param_named("nmemb", CType::SIZE_T)
        .param_named("size", CType::SIZE_T)
        .param_named("compar", CType::FnPtr(Arc::new(cmp)));
    assert_eq!(
        qsort.declare("qsort"),
        "void qsort(void *base, size_t nmemb, size_t size, int (*compar)(const void *, const void *))"
    );
    let arr = CType::Array {
        elem: Box::new(CType::CHAR),
        len: 16,
    };
    assert_eq!(arr.declare("name"), "char name[16]");
    let getpid = Signature::new(CType::INT.named("pid_t"));
    assert_eq!(getpid.declare("getpid"), "pid_t getpid(void)");
    let fnptr = CType::FnPtr(Arc::new(Signature::new(CType::INT).param(CType::INT)));
    assert_eq!(
        fnptr.rust_type().unwrap(),
        "Option<unsafe extern \"C\" fn(c_int) -> c_int>"
    );
}

#[test]
fn signatures_round_trip_through_their_display_form() {
    for s in [
        "int (void)",
        "size_t (const char *)",
        "int (const char *, ...)",
        "double (int, double, long, float)",
        "void * (void *, const void *, size_t)",
        "unsigned long long (unsigned short)",
    ] {
        let sig: Signature = s.parse().unwrap();
        assert_eq!(sig.to_string(), s);
        assert_eq!(sig.to_string().parse::<Signature>().unwrap(), sig);
    }
}

#[test]
fn struct_and_union_layouts_follow_the_c_rules() {
    let dm = DataModel::native();
    let s = Record::with_c_layout(
        RecordKind::Struct,
        Some("mixed"),
        vec![
            ("c".into(), CType::CHAR),
            ("d".into(), CType::DOUBLE),
            ("s".into(), CType::Int(IntKind::Short)),
        ],
        &dm,
    )
    .unwrap();
    #[repr(C)]
    struct Mixed {
        c: u8,
        d: f64,
        s: i16,
    }
    assert_eq!(s.size, size_of::<Mixed>() as u64);
    assert_eq!(s.align, align_of::<Mixed>() as u64);
    assert_eq!(s.fields[1].offset, std::mem::offset_of!(Mixed, d) as u64);
    assert_eq!(s.fields[2].offset, std::mem::offset_of!(Mixed, s) as u64);

    let u = Record::with_c_layout(
        RecordKind::Union,
        Some("u"),
        vec![("i".into(), CType::INT), ("d".into(), CType::DOUBLE)],
        &dm,
    )
    .unwrap();
    assert_eq!(u.size, 8);
    assert!(u.fields.iter().all(|f| f.offset == 0));
    assert_eq!(CType::Record(Arc::new(u)).to_string(), "union u");

    let err = Record::with_c_layout(
        RecordKind::Struct,
        None,
        vec![("f".into(), CType::Opaque("FILE".into()))],
        &dm,
    )
    .unwrap_err();
    assert!(err.to_string().contains("FILE"), "{err}");
}

#[test]
fn rust_fn_pointer_types_give_signatures() {
    use core::ffi::c_char;
    let s = Signature::of::<unsafe extern "C" fn(*const c_char, usize) -> isize>();
    assert_eq!(s.params.len(), 2);
    assert_eq!(s.ret, CType::SSIZE_T);
    assert_eq!(s.params[1].ty, CType::SIZE_T);
    assert!(!s.variadic);
    assert_eq!(
        <*mut *const u8 as RustType>::c_type().to_string(),
        "const uint8_t **"
    );
}
