//! The signature database: what discovery found for one header set, on disk.
//!
//! One file per header set (plus target and clang arguments), named after a hash of them:
//!
//! ```text
//! magic "FFIAUTO\0" | format u32 | crc32 of payload u32 | payload length u64 | payload
//! ```
//!
//! The payload (postcard) holds the key, the libclang that parsed, every file read (size,
//! modification time, CRC-32), and the declarations as a sorted index of names, each with its
//! own encoded entry. Reading a database decodes only the index, borrowed from the file's
//! bytes; a declaration is decoded when it is looked up (see [`Catalog`](crate::Catalog)).
//! A file is used only if all of that checks out; a corrupt, truncated, old-format or stale
//! file is ignored (and rebuilt by the caller), never trusted and never a panic. Writes go to
//! a temporary file renamed into place, so a reader never sees half a file, even with parallel
//! builds.

use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::catalog::{Entry, Index, Kind, Stored};
use crate::clang::{Libclang, ctime_ns, mtime_ns};
use crate::decl::{Declarations, Dep};
use crate::headers::HeaderSet;

const MAGIC: &[u8; 8] = b"FFIAUTO\0";
/// Bumped whenever the payload's shape changes.
pub const FORMAT: u32 = 15;
const HEADER_LEN: usize = 8 + 4 + 4 + 8;

/// What a database file is for: equal keys, same file.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct DbKey {
    /// The header set.
    pub set: HeaderSet,
    /// Its resolved clang arguments (pkg-config flags included).
    pub args: Vec<String>,
    /// The target.
    pub target: String,
    /// `LIBCLANG_PATH` when the database was built: another libclang, another database.
    pub libclang_path_env: Option<String>,
    /// The version of ffi-auto that read the headers: another version may read more from
    /// them (nullability, contracts), so it does not reuse an older one's cache.
    pub reader: String,
}

impl DbKey {
    /// The file name for this key.
    pub fn file_name(&self) -> String {
        let bytes = postcard::to_allocvec(self).unwrap_or_default();
        // Two CRCs of differently salted input: 64 bits of name, collisions caught by the
        // key stored inside anyway.
        let a = crc32fast::hash(&bytes);
        let mut salted = bytes;
        salted.extend_from_slice(b"ffi-auto");
        let b = crc32fast::hash(&salted);
        format!("decls-{a:08x}{b:08x}.ffidb")
    }
}

#[derive(Serialize, Deserialize)]
struct Payload<'a> {
    key: DbKey,
    libclang: LibclangFile,
    deps: Vec<Dep>,
    headers: Vec<PathBuf>,
    api: Vec<PathBuf>,
    target: String,
    /// (kind, name, encoded entry), sorted by kind then name.
    #[serde(borrow)]
    entries: Vec<(u8, &'a str, &'a [u8])>,
}

/// The libclang that produced a database, identified without loading it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LibclangFile {
    /// Path and version.
    pub libclang: Libclang,
    /// The library file's size and modification time.
    pub size: u64,
    /// Modification time, nanoseconds.
    pub mtime_ns: u128,
}

impl LibclangFile {
    /// Describes the libclang at `lib`'s path as it is now.
    pub fn of(lib: Libclang) -> LibclangFile {
        let meta = std::fs::metadata(&lib.path).ok();
        LibclangFile {
            size: meta.as_ref().map_or(0, std::fs::Metadata::len),
            mtime_ns: meta.as_ref().map_or(0, mtime_ns),
            libclang: lib,
        }
    }

    fn unchanged(&self) -> bool {
        std::fs::metadata(&self.libclang.path)
            .is_ok_and(|m| m.len() == self.size && mtime_ns(&m) == self.mtime_ns)
    }
}

/// Why a database file was not used.
///
/// ```
/// use ffi_auto_discovery::db::Rejected;
/// assert_eq!(Rejected::Missing.to_string(), "it does not exist");
/// ```
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum Rejected {
    /// No such file.
    #[error("it does not exist")]
    Missing,
    /// Not a database, or damaged: bad magic, bad checksum, truncated, undecodable.
    #[error("it is damaged: {0}")]
    Corrupt(String),
    /// Written by another version of ffi-auto.
    #[error("it is in format {0}, of another ffi-auto version (this one reads format {FORMAT})")]
    OldFormat(u32),
    /// For another key (a hash collision in the file name).
    #[error("it holds another header set's declarations")]
    OtherKey,
    /// A header changed, or libclang did.
    #[error("it is stale: {0}")]
    Stale(String),
    /// Not the current user's own file, or writable by others: never read (see
    /// [`trust`](crate::trust)).
    #[error(transparent)]
    Untrusted(crate::trust::Untrusted),
}

/// The largest database file read (256 MiB; the C library's is about 300 KiB).
const MAX_DB: u64 = 256 << 20;

/// Whose file a database is expected to be.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Trust {
    /// In a cache directory: the directory and the file private to this user.
    Cache,
    /// Written by this build's build script into `OUT_DIR`: the file private to this user
    /// (ffi-auto writes databases with mode 0600), the directories above not replaceable by
    /// others.
    Build,
    /// Committed in a repository: part of the source being built, as trusted as its code;
    /// still only a regular file of bounded size.
    Committed,
}

/// Reads the database at `path` for `key`: the index only; entries are decoded on lookup.
///
/// # Errors
/// Why the file cannot be used; the caller rebuilds it.
pub fn load(path: &Path, key: &DbKey) -> Result<Stored, Rejected> {
    load_with(path, Some(key), true, Trust::Cache, &mut fresh).map(|(s, _)| s)
}

/// Reads a database whatever its key (one a build script wrote), returning the key too.
///
/// # Errors
/// As [`load`], except that any key is accepted.
pub fn load_any(path: &Path) -> Result<(Stored, DbKey), Rejected> {
    load_with(path, None, true, Trust::Cache, &mut fresh)
}

/// Reads the database a build script wrote into `OUT_DIR` (what `FFI_AUTO_DB` names): like
/// [`load_committed`], but the file must be this user's own.
///
/// # Errors
/// As [`load_committed`], and [`Rejected::Untrusted`].
pub fn load_built(path: &Path) -> Result<(Stored, DbKey), Rejected> {
    load_with(path, None, false, Trust::Build, &mut |_| true)
}

/// Reads a database committed in a repository: neither its libclang nor its headers have to
/// be this machine's. The headers that exist here but changed since are returned.
///
/// # Errors
/// A missing, corrupt or old-format file.
pub fn load_committed(path: &Path) -> Result<(Stored, DbKey, Vec<PathBuf>), Rejected> {
    let mut stale = Vec::new();
    let (s, k) = load_with(path, None, false, Trust::Committed, &mut |d| {
        if d.path.exists() && !fresh(d) {
            stale.push(d.path.clone());
        }
        true
    })?;
    Ok((s, k, stale))
}

fn load_with(
    path: &Path,
    key: Option<&DbKey>,
    check_libclang: bool,
    trust: Trust,
    fresh: &mut dyn FnMut(&Dep) -> bool,
) -> Result<(Stored, DbKey), Rejected> {
    let read = match trust {
        Trust::Cache => crate::trust::read_cached(path, MAX_DB),
        Trust::Build => crate::trust::read_built(path, MAX_DB),
        Trust::Committed => crate::trust::read_regular(path, MAX_DB, false),
    };
    let bytes = match read {
        Ok(Some(b)) => b,
        Ok(None) => return Err(Rejected::Missing),
        Err(u) => return Err(Rejected::Untrusted(u)),
    };
    decode_file(bytes, key, check_libclang, fresh)
}

/// Decodes a database file's bytes, whatever its key, without checking its headers or its
/// libclang against the file system (what [`load`] does once it has read and trusted the
/// file): for tools that inspect databases, and the fuzzer.
///
/// ```
/// use ffi_auto_discovery::db::{from_bytes, Rejected};
/// assert!(matches!(from_bytes(b"not a database".to_vec()), Err(Rejected::Corrupt(_))));
/// ```
///
/// # Errors
/// [`Rejected::Corrupt`] or [`Rejected::OldFormat`].
pub fn from_bytes(bytes: Vec<u8>) -> Result<(Stored, DbKey), Rejected> {
    decode_file(bytes, None, false, &mut |_| true)
}

fn decode_file(
    bytes: Vec<u8>,
    key: Option<&DbKey>,
    check_libclang: bool,
    fresh: &mut dyn FnMut(&Dep) -> bool,
) -> Result<(Stored, DbKey), Rejected> {
    let payload = decode(&bytes)?;
    let p: Payload<'_> = postcard::from_bytes(payload)
        .map_err(|e| Rejected::Corrupt(format!("undecodable payload: {e}")))?;
    if key.is_some_and(|k| p.key != *k) {
        return Err(Rejected::OtherKey);
    }
    if check_libclang && !p.libclang.unchanged() {
        return Err(Rejected::Stale(format!(
            "libclang changed ({})",
            p.libclang.libclang.path.display()
        )));
    }
    if let Some(d) = p.deps.iter().find(|d| !fresh(d)) {
        return Err(Rejected::Stale(format!("{} changed", d.path.display())));
    }
    // Positions of the borrowed names and entries inside `bytes`, so the index outlives the
    // borrow; sorted as written, checked here rather than trusted.
    let base = bytes.as_ptr() as usize;
    let span = |s: &[u8]| (s.as_ptr() as usize - base, s.len());
    let mut index = Vec::with_capacity(p.entries.len());
    for (kind, name, entry) in &p.entries {
        let kind = Kind::from_u8(*kind)
            .ok_or_else(|| Rejected::Corrupt(format!("unknown entry kind {kind}")))?;
        index.push(Index {
            kind,
            name: span(name.as_bytes()),
            entry: span(entry),
        });
    }
    let (deps, headers, target, libclang, key) = (p.deps, p.headers, p.target, p.libclang, p.key);
    let mut api = p.api;
    // Sorted for `Declarations::in_api`'s binary search, whatever the file says.
    api.sort();
    let stored = Stored::new(bytes, index, deps, (headers, api), target, libclang)
        .map_err(Rejected::Corrupt)?;
    Ok((stored, key))
}

/// Checks the frame and returns the payload bytes.
fn decode(bytes: &[u8]) -> Result<&[u8], Rejected> {
    if bytes.len() < HEADER_LEN || &bytes[..8] != MAGIC {
        return Err(Rejected::Corrupt("not an ffi-auto database".to_owned()));
    }
    let word =
        |at: usize| u32::from_le_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]]);
    let format = word(8);
    if format != FORMAT {
        return Err(Rejected::OldFormat(format));
    }
    let crc = word(12);
    let mut len = [0u8; 8];
    len.copy_from_slice(&bytes[16..24]);
    let len = u64::from_le_bytes(len);
    let payload = &bytes[HEADER_LEN..];
    if payload.len() as u64 != len {
        return Err(Rejected::Corrupt(format!(
            "truncated: {} of {len} payload bytes",
            payload.len()
        )));
    }
    if crc32fast::hash(payload) != crc {
        return Err(Rejected::Corrupt("checksum mismatch".to_owned()));
    }
    Ok(payload)
}

/// Whether a file still has the contents it had: same size, modification time and inode
/// change time, or, if only the times changed, the same bytes. The change time is what
/// `touch` and time-preserving copies cannot set: replacing a header with another of the
/// same size and modification time still changes it. One `stat` per file: about half of a
/// warm load's time for the C library's couple of hundred headers.
pub(crate) fn fresh(d: &Dep) -> bool {
    let Ok(meta) = std::fs::metadata(&d.path) else {
        return false;
    };
    if meta.len() != d.size {
        return false;
    }
    if mtime_ns(&meta) == d.mtime_ns && ctime_ns(&meta) == d.ctime_ns {
        return true;
    }
    std::fs::read(&d.path).is_ok_and(|b| crc32fast::hash(&b) == d.crc)
}

/// Writes the database for `key` at `path`, atomically.
///
/// # Errors
/// When the directory cannot be created or written.
pub fn store(
    path: &Path,
    key: &DbKey,
    libclang: &LibclangFile,
    decls: &Declarations,
) -> std::io::Result<()> {
    let enc = |e: &Entry| postcard::to_allocvec(e).map_err(std::io::Error::other);
    let mut owned: Vec<(u8, &str, Vec<u8>)> = Vec::new();
    for (name, d) in &decls.functions {
        owned.push((
            Kind::Function as u8,
            name,
            enc(&Entry::Function((**d).clone()))?,
        ));
    }
    for (name, n) in &decls.not_callable {
        owned.push((
            Kind::NotCallable as u8,
            name,
            enc(&Entry::NotCallable(n.clone()))?,
        ));
    }
    for (name, r) in &decls.records {
        owned.push((Kind::Record as u8, name, enc(&Entry::Record(r.clone()))?));
    }
    for (name, c) in &decls.constants {
        owned.push((
            Kind::Constant as u8,
            name,
            enc(&Entry::Constant(c.clone()))?,
        ));
    }
    for (name, o) in &decls.opaque {
        owned.push((Kind::Opaque as u8, name, enc(&Entry::Opaque(o.clone()))?));
    }
    for (name, g) in &decls.globals {
        owned.push((Kind::Global as u8, name, enc(&Entry::Global(g.clone()))?));
    }
    for (name, t) in &decls.typedefs {
        owned.push((Kind::Typedef as u8, name, enc(&Entry::Typedef(t.clone()))?));
    }
    owned.sort_by(|a, b| (a.0, a.1).cmp(&(b.0, b.1)));
    let payload = postcard::to_allocvec(&Payload {
        key: key.clone(),
        libclang: libclang.clone(),
        deps: decls.deps.clone(),
        headers: decls.headers.clone(),
        api: decls.api.clone(),
        target: decls.target.clone(),
        entries: owned
            .iter()
            .map(|(k, n, e)| (*k, *n, e.as_slice()))
            .collect(),
    })
    .map_err(std::io::Error::other)?;
    let mut bytes = Vec::with_capacity(HEADER_LEN + payload.len());
    bytes.extend_from_slice(MAGIC);
    bytes.extend_from_slice(&FORMAT.to_le_bytes());
    bytes.extend_from_slice(&crc32fast::hash(&payload).to_le_bytes());
    bytes.extend_from_slice(&(payload.len() as u64).to_le_bytes());
    bytes.extend_from_slice(&payload);
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    write_atomically(dir, path, &bytes)
}

/// Writes `bytes` to a new file in `dir`, then renames it over `path`: readers see the old
/// database or the new one, never half of one, and concurrent writers (two builds) each
/// rename a complete file. The temporary file is removed if anything fails.
fn write_atomically(dir: &Path, path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    static COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let stem = path.file_name().unwrap_or_default().to_string_lossy();
    let tmp = dir.join(format!(".{stem}.{}.{n}.tmp", std::process::id()));
    let result = (|| {
        let mut o = std::fs::OpenOptions::new();
        o.write(true).create_new(true);
        // Private to this user whatever the umask: readers trust only such files.
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut o, 0o600);
        let mut f = o.open(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// The directory databases go in: `FFI_AUTO_CACHE_DIR`, else the user's cache directory
/// (`~/.cache/ffi-auto` on Linux), else a per-user directory under the system temp dir
/// (`$TMPDIR/ffi-auto-<uid>`). Created private (mode 0700) if missing; `None`, with a
/// warning, when it is not private to this user (see [`trust`](crate::trust)).
pub fn default_dir() -> Option<PathBuf> {
    crate::trust::cache_dir()
        .map_err(|u| crate::trust::warn(&u))
        .ok()
}
