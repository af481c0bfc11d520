//! Structs, unions, opaque types and constants found by discovery, in the fixture header and
//! the system headers.

use ffi_auto_discovery::sig::{CType, IntKind, RecordKind};
use ffi_auto_discovery::{ConstValue, Discovery, HeaderSet};

fn fixture_set() -> HeaderSet {
    HeaderSet::new()
        .header(ffi_auto_fixture::header().display().to_string())
        .include(ffi_auto_fixture::INCLUDE_DIR)
}

fn offsets(r: &ffi_auto_discovery::sig::Record) -> Vec<(&str, u64)> {
    r.fields
        .iter()
        .map(|f| (f.name.as_str(), f.offset))
        .collect()
}

#[test]
fn lays_out_structs_unions_bitfields_and_packed_structs_as_the_compiler_does() {
    let c = Discovery::without_database()
        .catalog(&fixture_set())
        .unwrap();
    let p = c.record("fx_point").unwrap();
    assert_eq!((p.size, p.align), (16, 8));
    assert_eq!(offsets(&p), [("x", 0), ("y", 8)]);
    assert_eq!(p.name.as_deref(), Some("fx_point"));
    // An anonymous struct is named after its typedef.
    let m = c.record("fx_mixed").unwrap();
    assert_eq!((m.size, m.align), (24, 8));
    assert_eq!(offsets(&m), [("a", 0), ("tag", 4), ("c", 8), ("d", 16)]);
    assert_eq!(m.fields[1].ty.to_string(), "int8_t [3]");
    let u = c.record("fx_num").unwrap();
    assert_eq!(u.kind, RecordKind::Union);
    assert_eq!(offsets(&u), [("i", 0), ("d", 0)]);
    assert_eq!(u.size, 8);
    let f = c.record("fx_flags").unwrap();
    assert!(f.has_bitfields());
    assert_eq!(f.fields[1].bit_width, Some(3));
    assert_eq!(f.fields[1].bit_offset, 1);
    assert_eq!(f.fields[2].offset, 4);
    let k = c.record("fx_packed").unwrap();
    assert_eq!((k.size, k.align), (5, 1));
    assert_eq!(offsets(&k), [("c", 0), ("i", 1)]);
    // Declared, never defined in the header: opaque, and not a record.
    assert!(c.record("fx_handle").is_none());
    let h = c.opaque("fx_handle").unwrap();
    assert!(h.header.ends_with("fixture.h") && h.line > 0);
}

#[test]
fn evaluates_macros_and_enumerators_with_their_c_types() {
    let c = Discovery::without_database()
        .catalog(&fixture_set())
        .unwrap();
    let get = |n: &str| c.constant(n).unwrap_or_else(|| panic!("{n} not found"));
    let limit = get("FX_LIMIT");
    assert_eq!(
        (limit.value, limit.ty.to_string()),
        (ConstValue::Int(1000), "int".to_owned())
    );
    assert_eq!(get("FX_NEGATIVE").value, ConstValue::Int(-1000));
    let mask = get("FX_MASK");
    assert_eq!(mask.value, ConstValue::UInt(0x1_0000 | 0x3e8));
    assert_eq!(mask.ty, CType::Int(IntKind::ULong));
    assert_eq!(get("FX_RATIO").value, ConstValue::Float(0.25));
    assert_eq!(get("FX_NAME").value, ConstValue::Str(b"fixture".to_vec()));
    let green = get("FX_GREEN");
    // An enumerator is an `int` in C, whatever the enum's own type (clang's `unsigned int`
    // here, no enumerator being negative).
    assert_eq!(green.value, ConstValue::Int(5));
    assert_eq!(green.ty, CType::INT);
    assert_eq!(get("FX_BLUE").value, ConstValue::Int(6));
    // Pointer constants: casts of integers to pointer and function pointer types.
    assert_eq!(get("FX_TRANSIENT").value, ConstValue::Ptr(u64::MAX));
    assert!(matches!(
        get("FX_TRANSIENT").ty.canonical(),
        CType::FnPtr(_)
    ));
    assert_eq!(get("FX_STATIC").value, ConstValue::Ptr(0));
    assert_eq!(get("FX_NO_BUFFER").ty.to_string(), "char *");
    assert!(get("FX_LIMIT").header.ends_with("fixture.h"));
    // Function-like macros and function aliases are not constants.
    assert!(c.constant("FX_SQUARE").is_none());
    // Nor what the compiler reading the header says about itself, through however many
    // macros (libclang would answer `__GNUC__` as 4, GCC as its own version).
    for fact in ["FX_CC_VERSION", "FX_CC_NEXT", "FX_HAVE_FEATURE"] {
        assert!(c.constant(fact).is_none(), "{fact}");
    }
    assert_eq!(get("FX_AFTER_FACTS").value, ConstValue::Int(1001));
    assert!(c.constant("fx_alias").is_none());
}

#[test]
fn finds_libc_constants_and_struct_layouts() {
    let c = Discovery::without_database()
        .catalog(&HeaderSet::system())
        .unwrap();
    let int = |n: &str| match c.constant(n).unwrap_or_else(|| panic!("{n}")).value {
        ConstValue::Int(v) => v,
        other => panic!("{n}: {other:?}"),
    };
    // Typedefs, for written signatures: scalars, and structs laid out under their name.
    let pid = c.typedef("pid_t").unwrap();
    assert_eq!(pid.canonical(), &CType::INT);
    assert_eq!(pid.to_string(), "pid_t");
    let fd_set = c.resolve_type("fd_set").unwrap();
    assert!(
        matches!(fd_set.canonical(), CType::Record(r) if r.size == 128),
        "{fd_set:?}"
    );
    assert_eq!(fd_set.to_string(), "fd_set");
    assert!(matches!(
        c.resolve_type("struct timeval"),
        Some(CType::Record(r)) if r.kind == RecordKind::Struct
    ));
    assert!(c.resolve_type("union timeval").is_none());
    assert!(c.resolve_type("no_such_t").is_none());
    assert_eq!(int("O_RDONLY"), i64::from(libc::O_RDONLY));
    assert_eq!(int("O_CREAT"), i64::from(libc::O_CREAT));
    assert_eq!(int("SEEK_END"), i64::from(libc::SEEK_END));
    assert_eq!(int("EINVAL"), i64::from(libc::EINVAL));
    assert_eq!(int("ERANGE"), i64::from(libc::ERANGE));
    assert_eq!(int("INT_MIN"), i64::from(i32::MIN));
    assert_eq!(
        c.constant("ULONG_MAX").unwrap().value,
        ConstValue::UInt(libc::c_ulong::MAX)
    );
    // `errno` is a macro that calls a function: not a constant.
    assert!(c.constant("errno").is_none());
    let tv = c.record("timeval").unwrap();
    assert_eq!(tv.size as usize, size_of::<libc::timeval>());
    assert_eq!(
        offsets(&tv),
        [
            ("tv_sec", 0),
            (
                "tv_usec",
                std::mem::offset_of!(libc::timeval, tv_usec) as u64
            )
        ]
    );
    let div = c.record("div_t").unwrap();
    assert_eq!(offsets(&div), [("quot", 0), ("rem", 4)]);
    let tm = c.record("tm").unwrap();
    assert_eq!(tm.size as usize, size_of::<libc::tm>());
}
