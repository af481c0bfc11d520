//! Discovery against the real system headers and the fixture header.

use std::path::Path;

use ffi_auto_discovery::sig::{CType, IntKind};
use ffi_auto_discovery::{Discovery, DiscoveryError, HeaderSet, Origin};

fn fixture_set() -> HeaderSet {
    HeaderSet::new()
        .header(ffi_auto_fixture::header().display().to_string())
        .include(ffi_auto_fixture::INCLUDE_DIR)
}

#[test]
fn finds_strlen_with_its_typedefs_header_and_attributes() {
    let d = Discovery::without_database()
        .lookup(&HeaderSet::system(), "strlen")
        .unwrap();
    assert_eq!(
        d.signature.declare("strlen"),
        "size_t strlen(const char *__s)"
    );
    assert_eq!(d.signature.ret, CType::SIZE_T);
    assert!(d.header.ends_with("string.h"), "{}", d.header.display());
    assert!(d.line > 0);
    assert!(
        d.signature.params[0].nonnull,
        "glibc marks strlen's argument nonnull"
    );
    assert_eq!(d.symbol(), "strlen");
}

#[test]
fn keeps_typedef_names_and_maps_fixed_width_integers() {
    let disc = Discovery::without_database();
    let set = HeaderSet::system();
    let getpid = disc.lookup(&set, "getpid").unwrap();
    // glibc declares `__pid_t getpid(void)`: the name the header uses is the one kept.
    assert_eq!(getpid.signature.ret.to_string(), "__pid_t");
    assert_eq!(getpid.signature.ret.canonical(), &CType::INT);
    let read = disc.lookup(&set, "read").unwrap();
    assert_eq!(read.signature.to_string(), "ssize_t (int, void *, size_t)");
    let fopen = disc.lookup(&set, "fopen").unwrap();
    assert_eq!(fopen.signature.ret.to_string(), "FILE *");
    // Beside `struct FILE;` (the typedef name the header uses), a `*mut FILE`.
    assert_eq!(fopen.signature.ret.rust_type().unwrap(), "*mut FILE");
    let qsort = disc.lookup(&set, "qsort").unwrap();
    assert!(
        matches!(qsort.signature.params[3].ty.canonical(), CType::FnPtr(_)),
        "{:?}",
        qsort.signature
    );
    let printf = disc.lookup(&set, "printf").unwrap();
    assert!(printf.signature.variadic);
}

#[test]
fn resolves_asm_label_redirects_to_the_linker_symbol() {
    let d = Discovery::without_database()
        .lookup(&HeaderSet::system(), "sscanf")
        .unwrap();
    assert_eq!(d.symbol(), "__isoc99_sscanf");
}

#[test]
fn reports_macros_and_static_inline_functions_as_not_callable() {
    let disc = Discovery::without_database();
    let set = fixture_set();
    let err = disc.lookup(&set, "fx_inline_twice").unwrap_err();
    assert!(matches!(&err, DiscoveryError::NotCallable { .. }), "{err}");
    assert!(err.to_string().contains("static"), "{err}");
    // Its signature is kept, for a C shim.
    let catalog = disc.catalog(&set).unwrap();
    let n = catalog.not_callable("fx_inline_twice").unwrap();
    assert_eq!(n.shim.unwrap().to_string(), "int (int)");
    assert!(catalog.not_callable("FX_SQUARE").unwrap().shim.is_none());
    // A union's tag is known as one, complete or met only behind a pointer, for the shims.
    assert!(catalog.is_union("fx_num"));
    assert!(catalog.is_union("fx_token"));
    assert!(!catalog.is_union("fx_point"));
    let n = catalog.not_callable("fx_inline_token_is_null").unwrap();
    assert_eq!(n.shim.unwrap().to_string(), "int (const fx_token *)");
    let err = disc.lookup(&set, "FX_SQUARE").unwrap_err();
    assert!(err.to_string().contains("function-like macro"), "{err}");
    let alias = disc.lookup(&set, "fx_alias").unwrap();
    assert_eq!(alias.symbol(), "add_i32");
    assert_eq!(alias.signature.to_string(), "int (int, int)");
    let err = disc
        .lookup(&HeaderSet::system(), "WEXITSTATUS")
        .unwrap_err();
    assert!(matches!(err, DiscoveryError::NotCallable { .. }), "{err}");
}

#[test]
fn unknown_names_get_the_closest_declared_ones() {
    let err = Discovery::without_database()
        .lookup(&HeaderSet::system(), "strnlne")
        .unwrap_err();
    let DiscoveryError::NotFound { closest, .. } = &err else {
        panic!("expected NotFound, got {err}");
    };
    assert!(closest.iter().any(|c| c == "strnlen"), "{closest:?}");
    assert!(err.to_string().contains("hint: name the header"), "{err}");
}

#[test]
fn a_missing_header_is_a_hard_error_quoting_clang() {
    let err = Discovery::without_database()
        .declarations(&HeaderSet::new().header("no_such_header_ffi_auto.h"))
        .unwrap_err();
    let msg = err.to_string();
    assert!(matches!(err, DiscoveryError::Parse { .. }), "{msg}");
    assert!(
        msg.contains("'no_such_header_ffi_auto.h' file not found"),
        "{msg}"
    );
}

#[test]
fn fixture_declarations_match_the_header() {
    let decls = Discovery::without_database()
        .declarations(&fixture_set())
        .unwrap();
    let many = &decls.functions["fx_many"];
    assert_eq!(many.signature.params.len(), 14);
    assert_eq!(many.signature.params[0].name.as_deref(), Some("a"));
    assert_eq!(
        decls.functions["fx_id_size"].signature.ret,
        CType::Int(IntKind::Size)
    );
    assert!(decls.functions["fx_count_char"].signature.params[0].nonnull);
    assert!(!decls.functions["fx_count_char"].signature.params[1].nonnull);
    assert!(decls.functions["fx_sum_ints"].signature.variadic);
    assert!(decls.headers.iter().any(|h| h.ends_with("fixture.h")));
    assert!(decls.deps.iter().any(|d| d.path.ends_with("stdint.h")));
    assert!(Path::new(&decls.headers[0]).is_absolute());
}

#[test]
fn the_second_lookup_in_a_process_comes_from_memory() {
    let disc = Discovery::without_database();
    let set = fixture_set().define("FFI_AUTO_MEMORY_TEST", None);
    let (_, first) = disc.declarations_with_origin(&set).unwrap();
    let (_, second) = disc.declarations_with_origin(&set).unwrap();
    assert_eq!(first, Origin::Libclang);
    assert_eq!(second, Origin::Memory);
}
