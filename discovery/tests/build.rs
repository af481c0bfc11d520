//! The build-script builder: a database for the macros, and offline builds from a committed
//! database, stale ones reported.

use std::fs;

use ffi_auto_discovery::{Builder, HeaderSet, Source, prepare};

fn scratch() -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    let h = dir.path().join("fx.h");
    fs::copy(ffi_auto_fixture::header(), &h).unwrap();
    let h = h.display().to_string();
    (dir, h)
}

#[test]
fn generate_writes_a_database_the_macros_can_read() {
    let (dir, header) = scratch();
    let out = dir.path().join("out");
    fs::create_dir_all(&out).unwrap();
    let g = Builder::new()
        .header(&header)
        .out_dir(&out)
        .generate()
        .unwrap();
    assert!(g.path.exists());
    assert!(matches!(g.source, Source::Discovery(_)));
    assert!(g.declarations.functions.contains_key("add_i32"));
    assert!(g.warnings.is_empty(), "{:?}", g.warnings);
    let (stored, key, stale) = ffi_auto_discovery::db::load_committed(&g.path).unwrap();
    assert!(stale.is_empty());
    assert_eq!(key.set, HeaderSet::system().header(&header));
    let c = ffi_auto_discovery::Catalog::from(stored);
    assert_eq!(
        c.function("add_i32").unwrap().signature.to_string(),
        "int (int, int)"
    );
}

#[test]
fn a_committed_database_serves_offline_builds_and_staleness_is_reported() {
    let (dir, header) = scratch();
    let committed = dir.path().join("ffi-auto.db");
    let set = HeaderSet::system().header(&header);
    prepare(&set, &committed).unwrap();
    let out = dir.path().join("out");
    fs::create_dir_all(&out).unwrap();

    let build = |offline: bool| {
        let b = Builder::new()
            .header(&header)
            .database(&committed)
            .out_dir(&out);
        if offline { b.offline() } else { b }.generate().unwrap()
    };
    // Offline, headers unchanged: the committed database, no warning.
    let g = build(true);
    assert_eq!(g.source, Source::Committed);
    assert!(g.warnings.is_empty(), "{:?}", g.warnings);
    assert!(g.declarations.functions.contains_key("fx_many"));

    // The header changes: offline builds still work, and say the database is stale.
    let mut text = fs::read_to_string(&header).unwrap();
    text.push_str("\nint fx_added(int);\n");
    fs::write(&header, text).unwrap();
    let g = build(true);
    assert_eq!(g.source, Source::Committed);
    assert!(
        g.warnings
            .iter()
            .any(|w| w.contains("stale") && w.contains("fx.h")),
        "{:?}",
        g.warnings
    );
    // With libclang, the fresh declarations are used and the stale database reported.
    let g = build(false);
    assert!(matches!(g.source, Source::Discovery(_)));
    assert!(g.declarations.functions.contains_key("fx_added"));
    assert!(
        g.warnings.iter().any(|w| w.contains("stale")),
        "{:?}",
        g.warnings
    );
}

#[test]
fn offline_without_a_committed_database_says_what_to_do() {
    let (dir, header) = scratch();
    let err = Builder::new()
        .header(&header)
        .out_dir(dir.path())
        .offline()
        .generate()
        .unwrap_err();
    assert!(err.to_string().contains("ffi-auto prepare"), "{err}");
}

#[test]
fn a_database_for_another_header_set_is_refused_offline() {
    let (dir, header) = scratch();
    let committed = dir.path().join("ffi-auto.db");
    prepare(&HeaderSet::system(), &committed).unwrap();
    let err = Builder::new()
        .header(&header)
        .database(&committed)
        .out_dir(dir.path())
        .offline()
        .generate()
        .unwrap_err();
    assert!(err.to_string().contains("was prepared for"), "{err}");
}
