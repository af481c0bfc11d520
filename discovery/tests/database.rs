//! The on-disk signature database: used when valid, ignored and rebuilt when corrupt,
//! truncated, of an old format or stale, and never torn by parallel writers.

use std::fs;
use std::path::{Path, PathBuf};

use ffi_auto_discovery::db::{self, FORMAT, Rejected};
use ffi_auto_discovery::{Discovery, HeaderSet, Origin};

mod common;
use common::Scratch;

fn build(s: &Scratch) -> (Discovery, HeaderSet, PathBuf) {
    let disc = Discovery::in_dir(s.db_dir());
    let set = s.set();
    let (decls, origin) = disc.declarations_with_origin(&set).unwrap();
    assert_eq!(origin, Origin::Libclang);
    assert!(decls.functions.contains_key("add_i32"));
    let path = disc.database_path(&set).unwrap().unwrap();
    assert!(path.exists(), "the database was written");
    (disc, set, path)
}

fn load(disc: &Discovery, set: &HeaderSet, path: &Path) -> Result<usize, Rejected> {
    db::load(path, &disc.key(set).unwrap())
        .map(|s| ffi_auto_discovery::Catalog::from(s).all().functions.len())
}

#[test]
fn a_valid_database_is_read_back_whole() {
    let s = Scratch::new();
    let (disc, set, path) = build(&s);
    let n = load(&disc, &set, &path).unwrap();
    assert!(n > 50, "{n} functions");
    // A fresh lookup (memory forgotten) comes from the database, not libclang.
    disc.refresh(&set).unwrap();
    let (decls, origin) = disc.declarations_with_origin(&set).unwrap();
    assert_eq!(origin, Origin::Database);
    assert_eq!(decls.functions.len(), n);
}

#[test]
fn a_corrupt_database_is_ignored_and_rebuilt() {
    let s = Scratch::new();
    let (disc, set, path) = build(&s);
    // One flipped byte in the payload.
    let mut bytes = fs::read(&path).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 0x5a;
    fs::write(&path, &bytes).unwrap();
    assert!(
        matches!(load(&disc, &set, &path), Err(Rejected::Corrupt(m)) if m.contains("checksum"))
    );
    // Not a database at all.
    fs::write(&path, b"this is not a database").unwrap();
    assert!(matches!(
        load(&disc, &set, &path),
        Err(Rejected::Corrupt(_))
    ));
    // Empty.
    fs::write(&path, b"").unwrap();
    assert!(matches!(
        load(&disc, &set, &path),
        Err(Rejected::Corrupt(_))
    ));
    disc.refresh(&set).unwrap();
    let (_, origin) = disc.declarations_with_origin(&set).unwrap();
    assert_eq!(origin, Origin::Libclang, "rebuilt");
    assert!(load(&disc, &set, &path).is_ok(), "and written again");
}

#[test]
fn a_truncated_database_is_ignored() {
    let s = Scratch::new();
    let (disc, set, path) = build(&s);
    let bytes = fs::read(&path).unwrap();
    for keep in [bytes.len() / 2, 30, 10] {
        fs::write(&path, &bytes[..keep]).unwrap();
        let r = load(&disc, &set, &path);
        assert!(matches!(r, Err(Rejected::Corrupt(_))), "{keep}: {r:?}");
    }
}

#[test]
fn an_old_format_database_is_ignored() {
    let s = Scratch::new();
    let (disc, set, path) = build(&s);
    let mut bytes = fs::read(&path).unwrap();
    bytes[8..12].copy_from_slice(&(FORMAT - 1).to_le_bytes());
    fs::write(&path, &bytes).unwrap();
    assert_eq!(
        load(&disc, &set, &path),
        Err(Rejected::OldFormat(FORMAT - 1))
    );
}

#[test]
fn a_changed_header_makes_the_database_stale() {
    let s = Scratch::new();
    let (disc, set, path) = build(&s);
    // Touching the header without changing it keeps the database valid.
    let contents = fs::read(s.header()).unwrap();
    std::thread::sleep(std::time::Duration::from_millis(20));
    fs::write(s.header(), &contents).unwrap();
    assert!(load(&disc, &set, &path).is_ok());
    // Changing it does not.
    let mut changed = contents.clone();
    changed.extend_from_slice(b"\nint fx_added_later(int);\n");
    fs::write(s.header(), &changed).unwrap();
    assert!(matches!(load(&disc, &set, &path), Err(Rejected::Stale(m)) if m.contains("fx.h")));
    disc.refresh(&set).unwrap();
    let (decls, origin) = disc.declarations_with_origin(&set).unwrap();
    assert_eq!(origin, Origin::Libclang);
    assert!(decls.functions.contains_key("fx_added_later"));
}

#[test]
fn parallel_writers_never_leave_a_torn_file() {
    let s = Scratch::new();
    let (disc, set, path) = build(&s);
    let key = disc.key(&set).unwrap();
    let stored = db::load(&path, &key).unwrap();
    let lib = stored.libclang().clone();
    let decls = ffi_auto_discovery::Catalog::from(stored).all();
    std::thread::scope(|scope| {
        for _ in 0..4 {
            scope.spawn(|| {
                for _ in 0..20 {
                    db::store(&path, &key, &lib, &decls).unwrap();
                }
            });
        }
        for _ in 0..2 {
            scope.spawn(|| {
                for _ in 0..50 {
                    // Readers see the old file or the new one, never half of one.
                    let r = db::load(&path, &key);
                    assert!(r.is_ok(), "{:?}", r.err());
                }
            });
        }
    });
}

#[test]
fn a_long_lived_process_sees_header_edits() {
    // rust-analyzer keeps one process across edits: what it remembers is re-checked.
    let s = Scratch::new();
    let disc = Discovery::in_dir(s.db_dir());
    let set = s.set();
    assert!(disc.lookup(&set, "fx_edited_in").is_err());
    let mut text = fs::read_to_string(s.header()).unwrap();
    text.push_str("\nint fx_edited_in(int);\n");
    fs::write(s.header(), text).unwrap();
    std::thread::sleep(std::time::Duration::from_millis(600));
    let d = disc.lookup(&set, "fx_edited_in").unwrap();
    assert_eq!(d.signature.to_string(), "int (int)");
}
