//! build.rs integration: discovery once per build, its result handed to the macros.
//!
//! ```no_run
//! // in build.rs's main:
//! ffi_auto_discovery::Builder::new()
//!     .header("zlib.h")
//!     .pkg_config("zlib")          // include flags, and `-lz`
//!     .database("ffi-auto.db")     // committed: lets the crate build without libclang
//!     .generate()
//!     .expect("zlib.h's declarations");
//! ```
//!
//! `generate` finds the declarations (libclang, or the user's signature database), writes them
//! into `OUT_DIR`, points the macros at that file (`FFI_AUTO_DB`), prints `rerun-if-changed` for
//! every header read, and the link flags. Macros in the crate that name no headers of their own
//! then use this set. Without libclang (or with `FFI_AUTO_OFFLINE=1`), the committed database is
//! used instead; a committed database that no longer matches the headers is reported.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::catalog::Catalog;
use crate::clang;
use crate::db::{self, LibclangFile, Rejected};
use crate::decl::Declarations;
use crate::discover::{Discovery, Origin};
use crate::error::DiscoveryError;
use crate::headers::HeaderSet;
use ffi_auto_sig::Signature;

/// Configures discovery for a build script.
#[derive(Clone, Debug)]
pub struct Builder {
    set: HeaderSet,
    links: Vec<String>,
    /// Function-like macros to call through C shims, with the signatures given.
    macro_shims: Vec<(String, String)>,
    database: Option<PathBuf>,
    out_dir: Option<PathBuf>,
    emit: bool,
    offline: bool,
}

impl Default for Builder {
    fn default() -> Self {
        Builder::new()
    }
}

/// What [`Builder::generate`] did.
#[derive(Debug)]
pub struct Generated {
    /// The database the macros will read.
    pub path: PathBuf,
    /// Every declaration of the set; [`Declarations::api_functions`] lists those of the named
    /// headers' API (an umbrella header's whole library, without the C library's).
    pub declarations: Arc<Declarations>,
    /// Where they came from: libclang, the user's database, or the committed one.
    pub source: Source,
    /// Problems worth a `cargo:warning`: a stale committed database.
    pub warnings: Vec<String>,
}

/// Where a build's declarations came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    /// libclang, or the user's cache of a libclang parse.
    Discovery(Origin),
    /// The database committed in the repository (no libclang on this machine).
    Committed,
}

impl Builder {
    /// The C standard library and POSIX headers, plus what is added.
    pub fn new() -> Builder {
        Builder {
            set: HeaderSet::system(),
            links: Vec::new(),
            macro_shims: Vec::new(),
            database: None,
            out_dir: None,
            emit: true,
            offline: false,
        }
    }

    /// Uses the committed database even where libclang is installed (what `FFI_AUTO_OFFLINE=1`
    /// does for every build).
    pub fn offline(mut self) -> Builder {
        self.offline = true;
        self
    }

    /// Adds a header (a name searched in the include paths, or a path).
    pub fn header(mut self, header: impl Into<String>) -> Builder {
        self.set = self.set.header(header);
        self
    }

    /// Adds an include directory.
    pub fn include(mut self, dir: impl Into<PathBuf>) -> Builder {
        self.set = self.set.include(dir);
        self
    }

    /// Defines a macro.
    pub fn define(mut self, name: &str, value: Option<&str>) -> Builder {
        self.set = self.set.define(name, value);
        self
    }

    /// Adds a clang argument.
    pub fn clang_arg(mut self, arg: impl Into<String>) -> Builder {
        self.set = self.set.clang_arg(arg);
        self
    }

    /// Adds a pkg-config package: its include flags, and its libraries to link.
    pub fn pkg_config(mut self, package: impl Into<String>) -> Builder {
        self.set = self.set.pkg_config(package);
        self
    }

    /// Makes a function-like macro callable from the macros with the signature given
    /// (`"int (z_streamp, int)"`): a C shim calling it is compiled with the others (the C
    /// compiler checks that the macro takes these types) and its declaration is added, so a
    /// name-only entry (`unsafe fn deflateInit;`) finds it. `static inline` functions of the
    /// header set get shims without asking.
    pub fn shim(mut self, name: impl Into<String>, signature: impl Into<String>) -> Builder {
        self.macro_shims.push((name.into(), signature.into()));
        self
    }

    /// Links a library (`cargo:rustc-link-lib`).
    pub fn link(mut self, lib: impl Into<String>) -> Builder {
        self.links.push(lib.into());
        self
    }

    /// A database committed in the repository (written by `ffi-auto prepare`), used where
    /// libclang is not installed. Relative to the package directory.
    pub fn database(mut self, path: impl Into<PathBuf>) -> Builder {
        self.database = Some(path.into());
        self
    }

    /// Writes into `dir` instead of `OUT_DIR`, and prints no cargo directives (for tests and
    /// tools).
    pub fn out_dir(mut self, dir: impl Into<PathBuf>) -> Builder {
        self.out_dir = Some(dir.into());
        self.emit = false;
        self
    }

    /// The header set.
    pub fn header_set(&self) -> &HeaderSet {
        &self.set
    }

    fn directive(&self, line: &str) {
        if self.emit {
            println!("cargo:{line}");
        }
    }

    /// Runs discovery (or reads the committed database), writes the result for the macros,
    /// and prints the cargo directives.
    ///
    /// # Errors
    /// A discovery error (a header that does not parse, no libclang and no committed
    /// database), or an I/O error writing `OUT_DIR`.
    pub fn generate(self) -> Result<Generated, DiscoveryError> {
        let out_dir = self.output_dir()?;
        self.link_directives()?;
        let path = out_dir.join("ffi-auto.ffidb");
        let disc = Discovery::new();
        // A build script is one run, but tools may run several in one process: check the
        // headers now rather than trust what this process saw before.
        disc.refresh(&self.set)?;
        let found = self.find(&disc)?;
        self.write(&disc, path, found)
    }

    /// `OUT_DIR`, or the directory given instead.
    fn output_dir(&self) -> Result<PathBuf, DiscoveryError> {
        match &self.out_dir {
            Some(d) => Ok(d.clone()),
            None => std::env::var_os("OUT_DIR").map(PathBuf::from).ok_or_else(|| {
                DiscoveryError::Internal(
                    "Builder::generate runs in a build script (OUT_DIR is not set); use Builder::out_dir elsewhere".to_owned(),
                )
            }),
        }
    }

    /// The libraries to link (named, and the pkg-config packages'), and what else decides
    /// whether the build script reruns before any header is read.
    fn link_directives(&self) -> Result<(), DiscoveryError> {
        for lib in &self.links {
            self.directive(&format!("rustc-link-lib={lib}"));
        }
        for pkg in &self.set.pkg_config {
            let p = crate::headers::pkg_config(pkg)?;
            for d in &p.link_paths {
                self.directive(&format!("rustc-link-search=native={}", d.display()));
            }
            for l in &p.libs {
                self.directive(&format!("rustc-link-lib={l}"));
            }
        }
        // What pkg-config reads (as the `pkg-config` crate's own metadata would say).
        self.directive("rerun-if-env-changed=PKG_CONFIG_PATH");
        self.directive("rerun-if-env-changed=LIBCLANG_PATH");
        self.directive("rerun-if-env-changed=FFI_AUTO_OFFLINE");
        if let Some(db) = &self.database {
            self.directive(&format!("rerun-if-changed={}", db.display()));
        }
        Ok(())
    }

    /// The declarations: from discovery (libclang, or the user's database) unless offline,
    /// else from the committed database; with the libclang that wrote them and the warnings
    /// (a stale committed database).
    fn find(&self, disc: &Discovery) -> Result<Found, DiscoveryError> {
        let mut warnings = Vec::new();
        let found = if self.offline {
            Err(DiscoveryError::LibclangMissing {
                reason: "Builder::offline asks for the committed database".to_owned(),
            })
        } else {
            disc.declarations_with_origin(&self.set)
        };
        let (decls, source, libclang) = match found {
            Ok((decls, origin)) => {
                if let Some(committed) = &self.database
                    && let Some(w) = committed_differs(committed, &self.set, &decls)
                {
                    warnings.push(w);
                }
                let lib = match clang::libclang_if_loaded() {
                    Some(l) => LibclangFile::of(l),
                    None => committed_or_cached_libclang(disc, &self.set),
                };
                (decls, Source::Discovery(origin), lib)
            }
            Err(DiscoveryError::LibclangMissing { reason }) => {
                let Some(committed) = &self.database else {
                    return Err(DiscoveryError::LibclangMissing {
                        reason: format!(
                            "{reason}\n(or commit a signature database with `ffi-auto prepare` and name it with Builder::database)"
                        ),
                    });
                };
                let (catalog, lib, stale) = offline(committed, &self.set)?;
                if !stale.is_empty() {
                    warnings.push(format!(
                        "the committed signature database {} is stale: {} changed since it was prepared; regenerate it with `ffi-auto prepare` on a machine with libclang",
                        committed.display(),
                        stale.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", ")
                    ));
                }
                (catalog.all(), Source::Committed, lib)
            }
            Err(e) => return Err(e),
        };
        Ok(Found {
            decls,
            source,
            libclang,
            warnings,
        })
    }

    /// Writes the declarations to `path` for the macros, and prints the headers to watch,
    /// the warnings and where the macros find the file (`FFI_AUTO_DB`).
    fn write(
        &self,
        disc: &Discovery,
        path: PathBuf,
        found: Found,
    ) -> Result<Generated, DiscoveryError> {
        let Found {
            decls,
            source,
            libclang,
            warnings,
        } = found;
        let decls = self.add_shims(decls, path.parent().unwrap_or(Path::new(".")))?;
        let key = disc.key(&self.set)?;
        db::store(&path, &key, &libclang, &decls).map_err(|e| {
            DiscoveryError::Internal(format!("could not write {}: {e}", path.display()))
        })?;
        for dep in &decls.deps {
            self.directive(&format!("rerun-if-changed={}", dep.path.display()));
        }
        for w in &warnings {
            self.directive(&format!("warning=ffi-auto: {w}"));
        }
        self.directive(&format!("rustc-env=FFI_AUTO_DB={}", path.display()));
        Ok(Generated {
            path,
            declarations: decls,
            source,
            warnings,
        })
    }
}

impl Builder {
    /// Compiles C shims for the header set's `static inline` functions and the macros named
    /// with [`Builder::shim`], into a static library the crate links, and adds their
    /// declarations (linked under the shims' names) for the macros. A `static inline`
    /// function the compiler refuses a shim for is left out, with a warning; a macro asked
    /// for is an error.
    fn add_shims(
        &self,
        decls: Arc<Declarations>,
        out_dir: &Path,
    ) -> Result<Arc<Declarations>, DiscoveryError> {
        let mut wanted = self.wanted_shims(&decls)?;
        if wanted.is_empty() || !self.keep_compilable(&mut wanted)? {
            return Ok(decls);
        }
        // Named for this crate: two crates' shims in one program never clash.
        let scope = std::env::var("CARGO_PKG_NAME").unwrap_or_default();
        if self.emit {
            self.compile_shims(&wanted, out_dir, &scope)?;
        }
        let mut d = (*decls).clone();
        for w in wanted {
            d.not_callable.remove(&w.shim.name);
            d.functions.insert(
                w.shim.name.clone(),
                Arc::new(crate::decl::Decl {
                    link_name: Some(crate::shim::symbol_in(&scope, &w.shim.name)),
                    name: w.shim.name,
                    signature: w.shim.signature,
                    header: w.header,
                    line: w.line,
                }),
            );
        }
        Ok(Arc::new(d))
    }

    /// The set's static inline functions with a shim signature, and the macros asked for
    /// with [`Builder::shim`], sorted by name.
    fn wanted_shims(&self, decls: &Declarations) -> Result<Vec<WantedShim>, DiscoveryError> {
        use crate::shim::Shim;
        let mut wanted: Vec<WantedShim> = decls
            .not_callable
            .values()
            .filter_map(|n| {
                n.shim.clone().map(|sig| WantedShim {
                    shim: Shim::new(&n.name, sig).with_unions(|t| decls.is_union(t)),
                    header: n.header.clone(),
                    line: n.line,
                    asked: false,
                })
            })
            .collect();
        for (name, sig) in &self.macro_shims {
            let resolve = |n: &str| decls.resolve_type(n);
            let sig = Signature::parse_with(sig, Some(&resolve)).map_err(|e| {
                DiscoveryError::Shim(format!("Builder::shim(\"{name}\", ...): {e}"))
            })?;
            let (header, line) = decls
                .not_callable
                .get(name)
                .map(|n| (n.header.clone(), n.line))
                .unwrap_or_default();
            wanted.retain(|w| w.shim.name != *name);
            wanted.push(WantedShim {
                shim: Shim::new(name, sig).with_unions(|t| decls.is_union(t)),
                header,
                line,
                asked: true,
            });
        }
        wanted.sort_by(|a, b| a.shim.name.cmp(&b.shim.name));
        Ok(wanted)
    }

    /// Leaves out the shims the C compiler refuses (with a warning; a macro asked for is an
    /// error); `false` when none can be compiled.
    fn keep_compilable(&self, wanted: &mut Vec<WantedShim>) -> Result<bool, DiscoveryError> {
        for _ in 0..4 {
            let shims: Vec<_> = wanted.iter().map(|w| w.shim.clone()).collect();
            let (names, message) = match crate::shim::check(&self.set, &shims) {
                Ok(()) => return Ok(true),
                Err(Ok(refused)) => refused,
                Err(Err(e)) => {
                    if wanted.iter().any(|w| w.asked) {
                        return Err(e);
                    }
                    self.directive(&format!(
                        "warning=ffi-auto: no C shims (static inline functions stay uncallable): {e}"
                    ));
                    return Ok(false);
                }
            };
            if let Some(asked) = wanted
                .iter()
                .find(|w| w.asked && names.contains(&w.shim.name))
            {
                return Err(DiscoveryError::Shim(format!(
                    "the C compiler refused the shim of `{}` (Builder::shim):\n{}",
                    asked.shim.name,
                    message.trim_end()
                )));
            }
            if names.is_empty() {
                self.directive(&format!(
                    "warning=ffi-auto: no C shims (static inline functions stay uncallable): the C compiler refused them: {}",
                    message.lines().next().unwrap_or("")
                ));
                return Ok(false);
            }
            self.directive(&format!(
                "warning=ffi-auto: no C shim for {} (the C compiler refused it)",
                names.join(", ")
            ));
            wanted.retain(|w| !names.contains(&w.shim.name));
        }
        Ok(true)
    }

    /// In a build script: the shims as a static library the crate links (`cc` prints the
    /// directives).
    fn compile_shims(
        &self,
        wanted: &[WantedShim],
        out_dir: &Path,
        scope: &str,
    ) -> Result<(), DiscoveryError> {
        let shims: Vec<_> = wanted.iter().map(|w| w.shim.clone()).collect();
        let src = crate::shim::source_in(&self.set, &shims, scope)?;
        let file = out_dir.join("ffi_auto_shims.c");
        std::fs::write(&file, src).map_err(|e| {
            DiscoveryError::Internal(format!("could not write {}: {e}", file.display()))
        })?;
        let mut build = cc::Build::new();
        build.file(&file).warnings(false);
        for a in self.set.arguments()? {
            if a != "-x" && a != "c" {
                build.flag(&a);
            }
        }
        let lib = format!("ffi_auto_shims_{}", crate::shim::c_ident(scope));
        build
            .try_compile(&lib)
            .map_err(|e| DiscoveryError::Shim(format!("compiling the C shims: {e}")))
    }
}

/// A shim the build script compiles: where its function is declared, and whether the user
/// asked for it (a macro) rather than the header set offering it (a static inline function).
struct WantedShim {
    shim: crate::shim::Shim,
    header: PathBuf,
    line: u32,
    asked: bool,
}

/// What [`Builder::generate`] found, before writing it.
struct Found {
    decls: Arc<Declarations>,
    source: Source,
    libclang: LibclangFile,
    warnings: Vec<String>,
}

/// Writes the database of `set` to `path`, for committing (what `ffi-auto prepare` does).
///
/// # Errors
/// A discovery error, or an I/O error.
pub fn prepare(set: &HeaderSet, path: &Path) -> Result<Arc<Declarations>, DiscoveryError> {
    let disc = Discovery::new();
    disc.refresh(set)?;
    let decls = disc.declarations(set)?;
    let lib = LibclangFile::of(clang::libclang()?);
    db::store(path, &disc.key(set)?, &lib, &decls).map_err(|e| {
        DiscoveryError::Internal(format!("could not write {}: {e}", path.display()))
    })?;
    Ok(decls)
}

/// Reads a committed database without libclang: the set must match, and headers that
/// changed since are returned (headers missing on this machine cannot be checked).
fn offline(
    path: &Path,
    set: &HeaderSet,
) -> Result<(Catalog, LibclangFile, Vec<PathBuf>), DiscoveryError> {
    let unusable = |reason: String| DiscoveryError::Database {
        path: path.to_owned(),
        reason,
        hint: "regenerate it with `ffi-auto prepare` on a machine with libclang".to_owned(),
    };
    let (stored, key, stale) = db::load_committed(path).map_err(|r| unusable(r.to_string()))?;
    if key.set != *set {
        return Err(unusable(format!(
            "it was prepared for {}, and the build asks for {}",
            key.set.describe(),
            set.describe()
        )));
    }
    let lib = stored.libclang().clone();
    Ok((Catalog::from(stored), lib, stale))
}

/// With libclang at hand: whether the committed database still says what the headers say.
fn committed_differs(path: &Path, set: &HeaderSet, fresh: &Declarations) -> Option<String> {
    let stale = |why: String| {
        Some(format!(
            "the committed signature database {} is stale ({why}); regenerate it with `ffi-auto prepare`",
            path.display()
        ))
    };
    match db::load_committed(path) {
        Err(Rejected::Missing) => stale("it does not exist yet".to_owned()),
        Err(Rejected::Stale(why)) => stale(why),
        Err(r) => stale(r.to_string()),
        Ok((_, key, _)) if key.set != *set => {
            stale(format!("it was prepared for {}", key.set.describe()))
        }
        Ok((stored, _, changed)) => {
            if !changed.is_empty() {
                return stale(format!(
                    "{} changed",
                    changed
                        .iter()
                        .map(|p| p.display().to_string())
                        .collect::<Vec<_>>()
                        .join(", ")
                ));
            }
            let committed = Catalog::from(stored).all();
            (committed.functions != fresh.functions).then(|| {
                format!(
                    "the committed signature database {} differs from the headers' declarations; regenerate it with `ffi-auto prepare`",
                    path.display()
                )
            })
        }
    }
}

fn committed_or_cached_libclang(disc: &Discovery, set: &HeaderSet) -> LibclangFile {
    // The declarations came from the user's database, so libclang was never loaded: the
    // database knows which libclang wrote it.
    disc.database_path(set)
        .ok()
        .flatten()
        .and_then(|p| db::load_any(&p).ok())
        .map_or_else(
            || {
                LibclangFile::of(clang::Libclang {
                    path: PathBuf::new(),
                    version: String::new(),
                })
            },
            |(s, _)| s.libclang().clone(),
        )
}
