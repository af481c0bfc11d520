//! Nothing another user could have written is used: cache directories and databases must be
//! the current user's own and writable by no one else; damaged entries and replaced headers
//! are noticed; named headers must be regular files.

use std::fs;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

use ffi_auto_discovery::db::{self, Rejected};
use ffi_auto_discovery::{Discovery, DiscoveryError, HeaderSet, Origin, trust};

mod common;
use common::Scratch;

/// `s`'s database, written by discovery: the discovery, set, file and key.
fn built(s: &Scratch) -> (Discovery, HeaderSet, PathBuf, db::DbKey) {
    let disc = Discovery::in_dir(s.db_dir());
    let set = s.set();
    disc.declarations(&set).unwrap();
    let path = disc.database_path(&set).unwrap().unwrap();
    let key = disc.key(&set).unwrap();
    (disc, set, path, key)
}

fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions.
    unsafe { libc::geteuid() == 0 }
}

/// Gives `path` to the `nobody` user (only root can).
fn give_away(path: &Path) {
    let c = std::ffi::CString::new(path.to_str().unwrap()).unwrap();
    // SAFETY: `c` is a NUL-terminated path.
    assert_eq!(unsafe { libc::chown(c.as_ptr(), 65534, 65534) }, 0);
}

/// The database for `s`, written by discovery, then forged: `add_i32` declared to link
/// `fx_forged_target` instead, still a valid file with a valid checksum.
fn forged_database(s: &Scratch) -> (Discovery, HeaderSet, PathBuf) {
    let disc = Discovery::in_dir(s.db_dir());
    let set = s.set();
    let (decls, origin) = disc.declarations_with_origin(&set).unwrap();
    assert_eq!(origin, Origin::Libclang);
    let path = disc.database_path(&set).unwrap().unwrap();
    let key = disc.key(&set).unwrap();
    let lib = db::load(&path, &key).unwrap().libclang().clone();
    let mut forged = (*decls).clone();
    let mut add = (*forged.functions["add_i32"]).clone();
    add.link_name = Some("fx_forged_target".to_owned());
    forged.functions.insert("add_i32".to_owned(), add.into());
    db::store(&path, &key, &lib, &forged).unwrap();
    // Written by this user, as it is, the forgery would be read.
    let stored = db::load(&path, &key).unwrap();
    let read = ffi_auto_discovery::Catalog::from(stored)
        .function("add_i32")
        .unwrap();
    assert_eq!(read.symbol(), "fx_forged_target");
    disc.refresh(&set).unwrap();
    (disc, set, path)
}

/// After ignoring a forged database, discovery parses the header again and its
/// declaration links the real symbol.
fn assert_ignored(disc: &Discovery, set: &HeaderSet, path: &Path) {
    let key = disc.key(set).unwrap();
    assert!(
        matches!(db::load(path, &key), Err(Rejected::Untrusted(_))),
        "{:?}",
        db::load(path, &key).err()
    );
    let (decls, origin) = disc.declarations_with_origin(set).unwrap();
    assert_eq!(origin, Origin::Libclang, "not read from the planted file");
    assert_eq!(decls.functions["add_i32"].symbol(), "add_i32");
}

#[test]
fn a_database_writable_by_others_is_ignored() {
    let s = Scratch::new();
    let (disc, set, path) = forged_database(&s);
    fs::set_permissions(&path, fs::Permissions::from_mode(0o666)).unwrap();
    assert_ignored(&disc, &set, &path);
    // Rebuilt in place, private.
    let mode = fs::metadata(&path).unwrap().mode() & 0o777;
    assert_eq!(mode, 0o600);
}

#[test]
fn a_database_owned_by_another_user_is_ignored() {
    if !is_root() {
        eprintln!("skipped: only root can give a file to another user");
        return;
    }
    let s = Scratch::new();
    let (disc, set, path) = forged_database(&s);
    give_away(&path);
    assert_ignored(&disc, &set, &path);
    assert_eq!(fs::metadata(&path).unwrap().uid(), 0, "replaced by ours");
}

#[test]
fn a_cache_directory_others_can_write_is_not_used_at_all() {
    let s = Scratch::new();
    let (disc, set, path) = forged_database(&s);
    fs::set_permissions(s.db_dir(), fs::Permissions::from_mode(0o777)).unwrap();
    let err = trust::check_dir(&s.db_dir()).unwrap_err();
    assert!(err.why.contains("chmod go-w"), "{err}");
    let (decls, origin) = disc.declarations_with_origin(&set).unwrap();
    assert_eq!(origin, Origin::Libclang);
    assert_eq!(decls.functions["add_i32"].symbol(), "add_i32");
    // Nothing was written there either: the forged file is untouched.
    let key = disc.key(&set).unwrap();
    fs::set_permissions(s.db_dir(), fs::Permissions::from_mode(0o700)).unwrap();
    let stored = db::load(&path, &key).unwrap();
    let still = ffi_auto_discovery::Catalog::from(stored)
        .function("add_i32")
        .unwrap();
    assert_eq!(still.symbol(), "fx_forged_target");
}

#[test]
fn a_planted_cache_directory_is_refused_and_a_new_one_is_private() {
    let s = Scratch::new();
    // Created by ffi-auto: mode 0700.
    let fresh = s.dir.path().join("new").join("cache");
    trust::private_dir(&fresh).unwrap();
    assert_eq!(fs::metadata(&fresh).unwrap().mode() & 0o777, 0o700);
    // Another user's directory where the per-user fallback would go.
    if is_root() {
        let planted = s.dir.path().join("planted");
        fs::create_dir(&planted).unwrap();
        give_away(&planted);
        let err = trust::private_dir(&planted).unwrap_err();
        assert!(err.why.contains("owned by uid 65534"), "{err}");
    }
    // A directory above that anyone may write (and is not sticky) is refused too.
    let open = s.dir.path().join("open");
    fs::create_dir(&open).unwrap();
    fs::set_permissions(&open, fs::Permissions::from_mode(0o777)).unwrap();
    let err = trust::private_dir(&open.join("cache")).unwrap_err();
    assert!(err.why.contains("writable by anyone"), "{err}");
    // Sticky, like /tmp, is fine.
    fs::set_permissions(&open, fs::Permissions::from_mode(0o1777)).unwrap();
    trust::private_dir(&open.join("cache2")).unwrap();
}

#[test]
fn a_symlink_or_fifo_in_place_of_a_database_is_not_followed() {
    let s = Scratch::new();
    let (_, _, path, key) = built(&s);
    let elsewhere = s.dir.path().join("elsewhere.db");
    fs::rename(&path, &elsewhere).unwrap();
    std::os::unix::fs::symlink(&elsewhere, &path).unwrap();
    assert!(matches!(db::load(&path, &key), Err(Rejected::Untrusted(_))));
    fs::remove_file(&path).unwrap();
    common::mkfifo(&path);
    // Opening a FIFO would block for ever; it is refused at once.
    assert!(matches!(db::load(&path, &key), Err(Rejected::Untrusted(_))));
}

/// The payload offset and length of `name`'s function entry in a database file.
fn entry_span(bytes: &[u8], name: &str) -> (usize, usize) {
    // Postcard: kind (0 = function), the name with its length, the entry with its length.
    let mut needle = vec![0u8, name.len() as u8];
    needle.extend_from_slice(name.as_bytes());
    let at = bytes
        .windows(needle.len())
        .position(|w| w == needle.as_slice())
        .unwrap()
        + needle.len();
    // A varint length (entries are shorter than 2^14 bytes).
    let (len, skip) = if bytes[at] & 0x80 == 0 {
        (usize::from(bytes[at]), 1)
    } else {
        (
            usize::from(bytes[at] & 0x7f) | (usize::from(bytes[at + 1]) << 7),
            2,
        )
    };
    (at + skip, len)
}

#[test]
fn an_entry_that_no_longer_decodes_makes_the_file_damaged_and_rebuilt() {
    let s = Scratch::new();
    let (disc, set, path, _) = built(&s);
    let mut bytes = fs::read(&path).unwrap();
    let (at, len) = entry_span(&bytes, "add_i32");
    bytes[at..at + len].fill(0xff);
    // The checksum is recomputed: the file is intact as far as the frame can tell.
    let crc = crc32fast::hash(&bytes[24..]);
    bytes[12..16].copy_from_slice(&crc.to_le_bytes());
    fs::write(&path, &bytes).unwrap();
    let key = disc.key(&set).unwrap();
    let plain = ffi_auto_discovery::Catalog::from(db::load(&path, &key).unwrap());
    assert!(
        plain.function("add_i32").is_none(),
        "the entry no longer decodes"
    );
    assert!(plain.function("add_f64").is_some(), "its neighbours do");
    disc.refresh(&set).unwrap();
    // Not "not found": the file is damaged, so the headers are parsed again.
    let d = disc.lookup(&set, "add_i32").unwrap();
    assert_eq!(d.signature.to_string(), "int (int, int)");
    // And the file was rewritten whole.
    let stored = db::load(&path, &key).unwrap();
    let c = ffi_auto_discovery::Catalog::from(stored);
    assert!(c.function("add_i32").is_some());
    // A damaged committed database, with nothing to rebuild from, says so.
    let committed = s.dir.path().join("committed.db");
    fs::write(&committed, &bytes).unwrap();
    let (stored, key, _) = db::load_committed(&committed).unwrap();
    let c = ffi_auto_discovery::Catalog::from(stored);
    let err = c.lookup(&key.set, "add_i32").unwrap_err();
    assert!(err.to_string().contains("damaged"), "{err}");
}

#[test]
fn a_header_replaced_with_the_same_size_and_time_is_noticed() {
    let s = Scratch::new();
    let (disc, set, path, key) = built(&s);
    let before = fs::metadata(s.header()).unwrap();
    let text = fs::read_to_string(s.header()).unwrap();
    // Same length: `add_i32` becomes `add_i33`.
    let changed = text.replacen("add_i32", "add_i33", 1);
    assert_eq!(changed.len(), text.len());
    std::thread::sleep(std::time::Duration::from_millis(20));
    fs::write(s.header(), &changed).unwrap();
    // What `touch -r` or `cp -p` do: the old modification time back.
    fs::File::options()
        .write(true)
        .open(s.header())
        .unwrap()
        .set_modified(before.modified().unwrap())
        .unwrap();
    let after = fs::metadata(s.header()).unwrap();
    assert_eq!(
        (after.len(), after.modified().unwrap()),
        (before.len(), before.modified().unwrap())
    );
    assert!(
        matches!(db::load(&path, &key), Err(Rejected::Stale(_))),
        "the change time gives it away"
    );
    disc.refresh(&set).unwrap();
    assert!(disc.lookup(&set, "add_i33").is_ok());
}

#[test]
fn headers_that_never_end_are_refused_before_clang_reads_them() {
    let s = Scratch::new();
    let disc = Discovery::in_dir(s.db_dir());
    let started = std::time::Instant::now();
    let err = disc
        .declarations(&HeaderSet::new().header("/dev/zero"))
        .unwrap_err();
    assert!(
        matches!(&err, DiscoveryError::BadHeader { .. }) && err.to_string().contains("regular"),
        "{err}"
    );
    let fifo = s.dir.path().join("fifo.h");
    common::mkfifo(&fifo);
    let err = disc
        .declarations(&HeaderSet::new().header(fifo.display().to_string()))
        .unwrap_err();
    assert!(matches!(err, DiscoveryError::BadHeader { .. }), "{err}");
    // Found through an include directory, too.
    let err = disc
        .declarations(&HeaderSet::new().include(s.dir.path()).header("fifo.h"))
        .unwrap_err();
    assert!(matches!(err, DiscoveryError::BadHeader { .. }), "{err}");
    // A directory.
    let err = disc
        .declarations(&HeaderSet::new().header(s.dir.path().display().to_string()))
        .unwrap_err();
    assert!(matches!(err, DiscoveryError::BadHeader { .. }), "{err}");
    // A name that would add lines to the generated source.
    let err = disc
        .declarations(&HeaderSet::new().header("fx.h>\n#include <stdio.h"))
        .unwrap_err();
    assert!(matches!(err, DiscoveryError::BadHeader { .. }), "{err}");
    assert!(started.elapsed().as_secs() < 5, "refused without reading");
}
