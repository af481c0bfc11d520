//! The discovery engine: a header set's declarations from this process's memory, from the
//! on-disk database, or from libclang, in that order.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, LazyLock, Mutex, PoisonError};
use std::time::{Duration, Instant};

use crate::catalog::Catalog;
use crate::clang::{self, ParseInput};
use crate::db::{self, DbKey, LibclangFile, Rejected};
use crate::decl::{Decl, Declarations};
use crate::error::DiscoveryError;
use crate::headers::{DEFAULT_HEADERS, HeaderSet};

/// Where a set's declarations came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Origin {
    /// Already in this process.
    Memory,
    /// Read from the on-disk database, without loading libclang.
    Database,
    /// Parsed by libclang now (and written to the database, if one is used).
    Libclang,
}

type MemoryKey = (DbKey, Option<PathBuf>);

/// Declarations already found in this process, by key and database directory, with when
/// their headers were last checked.
static MEMORY: LazyLock<Mutex<HashMap<MemoryKey, (Arc<Catalog>, Instant)>>> =
    LazyLock::new(Mutex::default);

/// How long a process trusts what it found before checking the headers again. A long-lived
/// process (rust-analyzer expanding macros as the user edits) sees header changes after this;
/// one build expanding a hundred macros checks once.
const RECHECK: Duration = Duration::from_millis(500);

/// Finds C declarations.
///
/// ```no_run
/// use ffi_auto_discovery::{Discovery, HeaderSet};
/// let strlen = Discovery::new().lookup(&HeaderSet::system(), "strlen").unwrap();
/// assert_eq!(strlen.signature.to_string(), "size_t (const char *)");
/// assert!(strlen.header.ends_with("string.h"));
/// ```
#[derive(Clone, Debug)]
pub struct Discovery {
    dir: Option<PathBuf>,
}

impl Default for Discovery {
    fn default() -> Self {
        Discovery::new()
    }
}

impl Discovery {
    /// Discovery with the database in the default directory ([`db::default_dir`]), or
    /// without one (and a warning) when that directory is not private to this user.
    pub fn new() -> Discovery {
        Discovery {
            dir: db::default_dir(),
        }
    }

    /// Discovery with the database in `dir`.
    pub fn in_dir(dir: impl Into<PathBuf>) -> Discovery {
        Discovery {
            dir: Some(dir.into()),
        }
    }

    /// Discovery without an on-disk database: libclang every time a process first needs a set.
    pub fn without_database() -> Discovery {
        Discovery { dir: None }
    }

    /// The database directory, if one is used.
    pub fn dir(&self) -> Option<&Path> {
        self.dir.as_deref()
    }

    /// The key of `set`'s database file.
    ///
    /// # Errors
    /// When pkg-config fails for one of the set's packages.
    pub fn key(&self, set: &HeaderSet) -> Result<DbKey, DiscoveryError> {
        Ok(DbKey {
            set: set.clone(),
            args: set.arguments()?,
            target: host_target(),
            libclang_path_env: std::env::var("LIBCLANG_PATH").ok(),
            reader: env!("CARGO_PKG_VERSION").to_owned(),
        })
    }

    /// The path of `set`'s database file, if a database is used.
    ///
    /// # Errors
    /// As [`Discovery::key`].
    pub fn database_path(&self, set: &HeaderSet) -> Result<Option<PathBuf>, DiscoveryError> {
        let key = self.key(set)?;
        Ok(self.dir.as_ref().map(|d| d.join(key.file_name())))
    }

    /// The declarations of `set`, for lookups, and where they came from. From the database,
    /// only its index is decoded; each declaration is decoded when first looked up.
    ///
    /// # Errors
    /// [`DiscoveryError::LibclangMissing`], [`DiscoveryError::Parse`] (clang's own words), or
    /// [`DiscoveryError::PkgConfig`].
    pub fn catalog_with_origin(
        &self,
        set: &HeaderSet,
    ) -> Result<(Arc<Catalog>, Origin), DiscoveryError> {
        let key = self.key(set)?;
        let mem_key = (key.clone(), self.dir.clone());
        {
            let mut memory = MEMORY.lock().unwrap_or_else(PoisonError::into_inner);
            if let Some((c, checked)) = memory.get_mut(&mem_key) {
                if checked.elapsed() < RECHECK || c.deps().iter().all(db::fresh) {
                    *checked = Instant::now();
                    return Ok((c.clone(), Origin::Memory));
                }
                memory.remove(&mem_key);
            }
        }
        // A directory named with `in_dir` is held to the same rule as the default one: private
        // to this user, or not used at all.
        let dir = self
            .dir
            .as_ref()
            .filter(|d| match crate::trust::private_dir(d) {
                Ok(()) => true,
                Err(u) => {
                    crate::trust::warn(&u);
                    false
                }
            });
        let path = dir.map(|d| d.join(key.file_name()));
        if let Some(path) = &path {
            match db::load(path, &key) {
                Ok(stored) => {
                    // An entry that does not decode (the checksum matched, but the bytes are
                    // not what this version wrote) makes the file damaged: parse again.
                    let (set, key, path) = (set.clone(), key.clone(), path.clone());
                    let rebuild = Box::new(move || {
                        tracing::warn!("rebuilding damaged signature database {}", path.display());
                        parse_and_store(&set, &key, Some(&path)).map(Arc::new)
                    });
                    let catalog = Arc::new(Catalog::stored_with_rebuild(stored, rebuild));
                    remember(mem_key, &catalog);
                    return Ok((catalog, Origin::Database));
                }
                Err(Rejected::Missing) => {}
                Err(Rejected::Untrusted(u)) => crate::trust::warn(&u),
                Err(why) => tracing::info!(
                    "ignoring signature database {}: {why}; rebuilding it",
                    path.display()
                ),
            }
        }
        let decls = parse_and_store(set, &key, path.as_deref())?;
        let catalog = Arc::new(Catalog::parsed(Arc::new(decls)));
        remember(mem_key, &catalog);
        Ok((catalog, Origin::Libclang))
    }

    /// The declarations of `set`, for lookups.
    ///
    /// # Errors
    /// As [`Discovery::catalog_with_origin`].
    pub fn catalog(&self, set: &HeaderSet) -> Result<Arc<Catalog>, DiscoveryError> {
        self.catalog_with_origin(set).map(|(c, _)| c)
    }

    /// Every declaration of `set`, decoded, and where they came from.
    ///
    /// # Errors
    /// As [`Discovery::catalog_with_origin`].
    pub fn declarations_with_origin(
        &self,
        set: &HeaderSet,
    ) -> Result<(Arc<Declarations>, Origin), DiscoveryError> {
        self.catalog_with_origin(set).map(|(c, o)| (c.all(), o))
    }

    /// Forgets what this process remembers of `set`, so that the next lookup reads the
    /// database again (and re-checks every header it depends on).
    ///
    /// # Errors
    /// As [`Discovery::key`].
    pub fn refresh(&self, set: &HeaderSet) -> Result<(), DiscoveryError> {
        let key = (self.key(set)?, self.dir.clone());
        MEMORY
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&key);
        Ok(())
    }

    /// Every declaration of `set`.
    ///
    /// # Errors
    /// As [`Discovery::declarations_with_origin`].
    pub fn declarations(&self, set: &HeaderSet) -> Result<Arc<Declarations>, DiscoveryError> {
        self.declarations_with_origin(set).map(|(d, _)| d)
    }

    /// The declaration of `name` in `set`.
    ///
    /// # Errors
    /// [`DiscoveryError::NotFound`] with the closest names, [`DiscoveryError::NotCallable`]
    /// for macros and `static inline` functions, or a discovery error.
    pub fn lookup(&self, set: &HeaderSet, name: &str) -> Result<Arc<Decl>, DiscoveryError> {
        self.catalog(set)?.lookup(set, name)
    }
}

/// Parses `set` with libclang and, given a path, writes its database there.
fn parse_and_store(
    set: &HeaderSet,
    key: &DbKey,
    path: Option<&Path>,
) -> Result<Declarations, DiscoveryError> {
    set.check_headers(&key.args)?;
    let decls = clang::parse(ParseInput {
        file: std::env::current_dir()
            .unwrap_or_default()
            .join("ffi-auto-header-set.c"),
        source: set.source(),
        args: key.args.clone(),
        describe: set.describe(),
    })?;
    if let Some(path) = path {
        let lib = LibclangFile::of(clang::libclang()?);
        if let Err(e) = db::store(path, key, &lib, &decls) {
            tracing::warn!("could not write signature database {}: {e}", path.display());
        }
    }
    Ok(decls)
}

fn remember(key: MemoryKey, catalog: &Arc<Catalog>) {
    MEMORY
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .insert(key, (catalog.clone(), Instant::now()));
}

/// The target discovery parses for when no other is given: the one this code runs on.
pub fn host_target() -> String {
    format!(
        "{}-{}-{}",
        std::env::consts::ARCH,
        std::env::consts::OS,
        if cfg!(target_env = "gnu") {
            "gnu"
        } else if cfg!(target_env = "musl") {
            "musl"
        } else {
            "other"
        }
    )
}

/// The system include directories: from a `clang` binary when there is one (as bindgen finds
/// them), else the directories the default headers were found in.
pub fn include_paths(headers: &[PathBuf]) -> Vec<PathBuf> {
    if let Some(paths) = clang_sys::support::Clang::find(None, &[]).and_then(|c| c.c_search_paths) {
        return paths;
    }
    let mut out: Vec<PathBuf> = Vec::new();
    for found in headers {
        // The include name it was found for: the longest one it ends with (`sys/time.h`
        // rather than `time.h`).
        let Some(name) = DEFAULT_HEADERS
            .iter()
            .filter(|n| found.ends_with(n))
            .max_by_key(|n| Path::new(n).components().count())
        else {
            continue;
        };
        let mut dir = found.clone();
        for _ in Path::new(name).components() {
            dir.pop();
        }
        if !out.contains(&dir) {
            out.push(dir);
        }
    }
    out
}
