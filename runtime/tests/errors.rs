//! Every kind of bad input gets a clear error before any C code runs: never a panic, never a
//! wrong result.
#![cfg(feature = "dynamic")]

mod common;

use std::ffi::{CStr, CString};

use common::{fx, sys};
use ffi_auto_runtime::{
    Error, Library, Value, config::registry, ffi_call, ffi_call_values, find_symbol, prepare,
    sig::Signature,
};

#[test]
fn unknown_symbol_lists_libraries_searched_and_closest_names() {
    let err = find_symbol("strlne", None).unwrap_err();
    let Error::SymbolNotFound {
        name,
        searched,
        closest,
    } = &err
    else {
        panic!("expected SymbolNotFound, got {err}");
    };
    assert_eq!(name, "strlne");
    assert!(
        searched.iter().any(|s| s == "the running program"),
        "{searched:?}"
    );
    assert!(
        searched.iter().any(|s| s.starts_with("m (")),
        "{searched:?}"
    );
    assert!(closest.iter().any(|c| c == "strlen"), "{closest:?}");
    let msg = err.to_string();
    assert!(
        msg.contains("did you mean") && msg.contains("`strlen`"),
        "{msg}"
    );
    assert!(msg.contains("hint:"), "{msg}");
}

#[test]
fn unknown_symbol_in_a_named_library_suggests_its_exports() {
    let err = Library::open(ffi_auto_fixture::LIB)
        .unwrap()
        .symbol("add_i33")
        .unwrap_err();
    let Error::SymbolNotFound {
        closest, searched, ..
    } = &err
    else {
        panic!("expected SymbolNotFound, got {err}");
    };
    assert_eq!(searched.len(), 1);
    assert!(searched[0].contains("libffiauto_fixture"), "{searched:?}");
    assert_eq!(
        closest.first().map(String::as_str),
        Some("add_i32"),
        "{closest:?}"
    );
    // A hidden function is declared in the header but not exported.
    let err = Library::open(ffi_auto_fixture::LIB)
        .unwrap()
        .symbol("fx_not_exported")
        .unwrap_err();
    assert!(matches!(err, Error::SymbolNotFound { .. }), "{err}");
}

#[test]
fn unknown_library_lists_every_candidate_tried() {
    let err = Library::open("ffiauto-nonexistent").unwrap_err();
    let Error::LibraryNotFound { name, tried } = &err else {
        panic!("expected LibraryNotFound, got {err}");
    };
    assert_eq!(name, "ffiauto-nonexistent");
    assert!(
        tried
            .iter()
            .any(|a| a.candidate == "libffiauto-nonexistent.so"),
        "{tried:?}"
    );
    assert!(tried.iter().all(|a| !a.error.is_empty()));
    let path_err = Library::open("/nonexistent/dir/libx.so").unwrap_err();
    let msg = path_err.to_string();
    assert!(msg.contains("/nonexistent/dir/libx.so"), "{msg}");
    assert!(msg.contains("No such file"), "{msg}");
    assert!(matches!(
        Library::open("a\0b"),
        Err(Error::InvalidName { .. })
    ));
    assert!(matches!(Library::open(""), Err(Error::InvalidName { .. })));
}

#[test]
fn wrong_argument_count_names_the_declaration() {
    let add = fx("add_i32", "int (int, int)");
    let err = add.call::<i32>(1).unwrap_err();
    assert!(
        matches!(
            &err,
            Error::ArgCount {
                expected: 2,
                given: 1,
                variadic: false,
                ..
            }
        ),
        "{err}"
    );
    assert_eq!(
        err.to_string(),
        "`add_i32` takes 2 arguments, 1 given; its C declaration is `int add_i32(int, int)`"
    );
    assert!(matches!(
        add.call::<i32>((1, 2, 3)),
        Err(Error::ArgCount { given: 3, .. })
    ));
    assert!(matches!(
        add.call_values(&[]),
        Err(Error::ArgCount { given: 0, .. })
    ));
    let printf_like = fx("fx_sum_ints", "long (int, ...)");
    let err = printf_like.call::<i64>(()).unwrap_err();
    assert!(err.to_string().contains("at least 1 argument"), "{err}");
}

#[test]
fn wrong_argument_type_says_position_expected_and_given() {
    let strlen = sys("strlen", None, "size_t (const char *)");
    let err = strlen.call::<usize>(42).unwrap_err();
    let Error::ArgType {
        pos,
        expected,
        given,
        ..
    } = &err
    else {
        panic!("expected ArgType, got {err}");
    };
    assert_eq!(pos.index, 1);
    assert_eq!(expected, "const char *");
    assert_eq!(given, "`42` (i32)");

    let abs = sys("abs", None, "int (int)");
    let err = abs.call::<i32>(1.5).unwrap_err();
    assert!(matches!(&err, Error::ArgType { .. }), "{err}");
    assert!(err.to_string().contains("truncate"), "{err}");
    assert!(matches!(abs.call::<i32>("12"), Err(Error::ArgType { .. })));
    assert!(matches!(abs.call::<i32>(true), Ok(1)));

    // A string for a pointer the function may write through is refused.
    let upper = fx("fx_upper", "void (char *)");
    let err = upper.call::<()>("abc").unwrap_err();
    assert!(err.to_string().contains("may write"), "{err}");

    // Variadic arguments say so.
    let ints = fx("fx_sum_ints", "long (int, ...)");
    // SAFETY: the one variadic argument is refused before the call.
    let err = unsafe { ints.call_raw::<i64>((1, Value::Void)) }.unwrap_err();
    assert!(err.to_string().contains("argument 2"), "{err}");
}

#[test]
fn out_of_range_integers_are_refused_not_wrapped() {
    let id = fx("fx_id_uchar", "unsigned char (unsigned char)");
    let err = id.call::<u8>(300).unwrap_err();
    assert_eq!(
        err.to_string(),
        "argument 1 of `fx_id_uchar` is out of range: 300 does not fit in `unsigned char` (0..=255)\nhint: pass a value in range, or check the signature"
    );
    assert!(matches!(id.call::<u8>(-1), Err(Error::OutOfRange { .. })));
    let id_u64 = fx("fx_id_u64", "uint64_t (uint64_t)");
    assert!(matches!(
        id_u64.call::<u64>(-1i64),
        Err(Error::OutOfRange { .. })
    ));
    assert_eq!(id_u64.call::<u64>(u64::MAX).unwrap(), u64::MAX);
    let id_i64 = fx("fx_id_i64", "int64_t (int64_t)");
    assert!(matches!(
        id_i64.call::<i64>(u64::MAX),
        Err(Error::OutOfRange { .. })
    ));
}

#[test]
fn nul_inside_a_string_is_refused() {
    let strlen = sys("strlen", None, "size_t (const char *)");
    let bad = "ab\0cd";
    let err = strlen.call::<usize>(bad).unwrap_err();
    assert!(matches!(err, Error::NulInString { offset: 2, .. }), "{err}");
    let err = strlen.call::<usize>(bad.as_bytes()).unwrap_err();
    assert!(matches!(err, Error::NulInString { offset: 2, .. }), "{err}");
    let err = strlen.call_values(&[Value::Str(bad)]).unwrap_err();
    assert!(matches!(err, Error::NulInString { offset: 2, .. }), "{err}");
    // A long string with the NUL far in.
    let long = format!("{}\0tail", "x".repeat(1000));
    assert!(matches!(
        strlen.call::<usize>(long.as_str()),
        Err(Error::NulInString { offset: 1000, .. })
    ));
    // CString and CStr cannot hold one, so they pass.
    assert_eq!(
        strlen.call::<usize>(CString::new("ok").unwrap()).unwrap(),
        2
    );
}

#[test]
fn null_for_a_nonnull_parameter_is_refused() {
    let sig: Signature = "size_t (const char *, char)".parse().unwrap();
    let sig = sig.nonnull(0);
    let symbol = common::fixture().symbol("fx_count_char").unwrap();
    // SAFETY: the declaration in fixture.h, which marks the string nonnull.
    let count = unsafe { ffi_auto_runtime::Function::new(symbol, "fx_count_char", sig) }.unwrap();
    let err = count.call::<usize>((None::<&CStr>, 97)).unwrap_err();
    assert!(matches!(err, Error::NullPointer { .. }), "{err}");
    assert!(err.to_string().contains("nonnull"), "{err}");
    let err = count
        .call_values(&[Value::Null, Value::I32(97)])
        .unwrap_err();
    assert!(matches!(err, Error::NullPointer { .. }), "{err}");
    // SAFETY: a null pointer, which must be refused before the call.
    let err = unsafe { count.call_raw::<usize>((std::ptr::null::<u8>(), 97)) }.unwrap_err();
    assert!(matches!(err, Error::NullPointer { .. }), "{err}");
}

#[test]
fn raw_pointers_need_the_unsafe_call() {
    let is_null = fx("fx_is_null", "int (const void *)");
    let x = 5i32;
    let err = is_null
        .call_values(&[Value::Ptr(std::ptr::from_ref(&x).cast_mut().cast())])
        .unwrap_err();
    assert!(matches!(err, Error::RawPointer { .. }), "{err}");
    assert!(err.to_string().contains("call_raw"), "{err}");
}

#[test]
fn const_pointer_for_a_writable_parameter_is_refused() {
    let fill = fx("fx_fill", "void (int *, size_t, int)");
    let values = [0i32; 4];
    // SAFETY: refused before the call.
    let err = unsafe { fill.call_raw::<()>((values.as_ptr(), 4usize, 0)) }.unwrap_err();
    assert!(err.to_string().contains("cast_mut"), "{err}");
    // A pointee of the wrong type.
    let mut wrong = [0i16; 4];
    // SAFETY: refused before the call.
    let err = unsafe { fill.call_raw::<()>((&mut wrong[..], 4usize, 0)) }.unwrap_err();
    assert!(matches!(err, Error::ArgType { .. }), "{err}");
}

#[test]
fn return_type_mismatches_are_errors() {
    let greeting = fx("fx_greeting", "const char * (void)");
    let err = greeting.call::<i64>(()).unwrap_err();
    assert!(
        matches!(
            err,
            Error::ReturnType {
                requested: "i64",
                ..
            }
        ),
        "{err}"
    );
    let half = fx("fx_half_double", "double (double)");
    assert!(matches!(
        half.call::<i32>(1.0),
        Err(Error::ReturnType { .. })
    ));
}

#[test]
fn unsupported_types_are_refused_at_preparation() {
    use ffi_auto_runtime::sig::{CType, DataModel, Record, RecordKind, Signature};
    // A union by value: libffi cannot pass one.
    let u = Record::with_c_layout(
        RecordKind::Union,
        Some("u"),
        vec![
            ("i".to_owned(), CType::INT),
            ("d".to_owned(), CType::DOUBLE),
        ],
        &DataModel::native(),
    )
    .unwrap();
    let symbol = find_symbol("abs", None).unwrap();
    // SAFETY: refused before anything is called.
    let err = unsafe {
        ffi_auto_runtime::Function::new(
            symbol,
            "abs",
            Signature::new(CType::INT).param(CType::Record(std::sync::Arc::new(u))),
        )
    }
    .unwrap_err();
    assert!(matches!(err, Error::Unsupported { .. }), "{err}");
    assert!(err.to_string().contains("union"), "{err}");
    // `long double` passes where `LongDouble` knows the format (x86-64), and is refused
    // with the reason elsewhere.
    let symbol = find_symbol("sinl", Some("m")).unwrap();
    // SAFETY: `long double sinl(long double)` in <math.h>.
    let sinl = unsafe {
        ffi_auto_runtime::Function::new(
            symbol,
            "sinl",
            "long double (long double)".parse().unwrap(),
        )
    };
    if cfg!(target_arch = "x86_64") {
        let r: ffi_auto_runtime::LongDouble = sinl.unwrap().call(0.0f64).unwrap();
        assert_eq!(r.to_f64(), 0.0);
    } else {
        let err = sinl.unwrap_err();
        assert!(err.to_string().contains("long double"), "{err}");
    }
}

#[test]
fn by_name_without_a_signature_is_a_clear_error() {
    let err = ffi_call::<i32>("ffiauto_no_such_function", 1).unwrap_err();
    let Error::NoSignature {
        name, consulted, ..
    } = &err
    else {
        panic!("expected NoSignature, got {err}");
    };
    assert_eq!(name, "ffiauto_no_such_function");
    assert!(
        consulted.iter().any(|c| c.starts_with("the registry")),
        "{consulted:?}"
    );
    assert!(err.to_string().contains("hint:"), "{err}");
    // A registered name with a typo gets a suggestion.
    // SAFETY: `int abs(int)` in <stdlib.h>.
    unsafe { registry().register("ffiauto_abs_alias", None, "int (int)".parse().unwrap()) };
    let err = prepare("ffiauto_abs_alia").unwrap_err();
    assert!(
        err.to_string().contains("did you mean `ffiauto_abs_alias`"),
        "{err}"
    );
    // Registered, but no library defines it.
    let err = ffi_call_values("ffiauto_abs_alias", &[Value::I32(1)]).unwrap_err();
    assert!(matches!(err, Error::SymbolNotFound { .. }), "{err}");
}

#[test]
fn bad_signature_strings_are_errors() {
    for bad in [
        "",
        "unsigned float",
        "int (",
        "int (..., int)",
        "struct",
        "int * x",
    ] {
        assert!(bad.parse::<Signature>().is_err(), "{bad:?}");
    }
    let err = "unsigned float"
        .parse::<ffi_auto_runtime::sig::CType>()
        .unwrap_err();
    assert!(err.to_string().contains("hint:"), "{err}");
}

// Registry entries as a macro from another ffi-auto version, or a damaged build, would leave
// them: by-name calls must refuse them with a message that says what to do.
#[linkme::distributed_slice(ffi_auto_runtime::__private::COMPILED)]
#[linkme(crate = linkme)]
static OTHER_FORMAT: ffi_auto_runtime::__private::Compiled =
    ffi_auto_runtime::__private::Compiled {
        name: "ffi_auto_test_other_format",
        link_name: "strlen",
        library: None,
        signature: b"\x63\x00",
        addr: None,
        origin: "errors.rs",
    };

#[linkme::distributed_slice(ffi_auto_runtime::__private::COMPILED)]
#[linkme(crate = linkme)]
static TRUNCATED: ffi_auto_runtime::__private::Compiled = ffi_auto_runtime::__private::Compiled {
    name: "ffi_auto_test_truncated",
    link_name: "strlen",
    library: None,
    signature: b"\x01\x04",
    addr: None,
    origin: "errors.rs",
};

#[test]
fn unreadable_compiled_signatures_are_errors_that_say_rebuild() {
    for (name, reason) in [
        ("ffi_auto_test_other_format", "format 99"),
        ("ffi_auto_test_truncated", "not an encoded signature"),
    ] {
        let err = ffi_call::<usize>(name, ("x",)).unwrap_err();
        let Error::CompiledSignature { function, .. } = &err else {
            panic!("expected CompiledSignature, got {err}");
        };
        assert_eq!(function, name);
        let msg = err.to_string();
        assert!(msg.contains(reason), "{msg}");
        assert!(msg.contains("cargo update -p ffi-auto"), "{msg}");
    }
}
