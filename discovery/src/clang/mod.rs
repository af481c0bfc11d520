//! Every libclang call ffi-auto makes: one parse of a header set's translation unit, turned
//! into [`Declarations`].
//!
//! libclang is loaded at run time (clang-sys's `runtime` feature) and owned by one thread
//! ([`worker`]); every parse runs there. A parse reads the translation unit's diagnostics
//! (any error is fatal), then walks its top-level entities ([`walk`]: functions, records,
//! typedefs, enums, macros, includes), reading their C types ([`types`]), their attributes
//! ([`attributes`]) and their enumerators ([`constants`]); then has clang evaluate the macros
//! that look like constants ([`constants`], a second parse), and collects the result. The file
//! identities that make a database stale ([`dep`]) live here too: they are what a parse read.

mod attributes;
mod constants;
mod types;
mod walk;
mod worker;

use std::path::{Path, PathBuf};

use clang::diagnostic::Severity;
use clang::{Clang, Index, Unsaved};

use crate::decl::{Declarations, Dep};
use crate::error::DiscoveryError;
use walk::Walker;
use worker::run;

/// Whether `FFI_AUTO_OFFLINE` forbids loading libclang (builds must use committed databases).
pub fn offline() -> bool {
    std::env::var_os("FFI_AUTO_OFFLINE").is_some_and(|v| !v.is_empty() && v != "0")
}

/// The libclang in use, if this process has loaded it already (never loads it).
pub(crate) fn libclang_if_loaded() -> Option<Libclang> {
    if worker::loaded() {
        libclang().ok()
    } else {
        None
    }
}

/// Identifies the libclang in use: where it was loaded from, and its version.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Libclang {
    /// The shared library file.
    pub path: PathBuf,
    /// `clang version 14.0.6`.
    pub version: String,
}

/// Loads libclang (once per process) and says which one.
///
/// # Errors
/// [`DiscoveryError::LibclangMissing`] with the paths clang-sys searched and how to install it.
pub fn libclang() -> Result<Libclang, DiscoveryError> {
    run(|_| Libclang {
        path: clang_sys::get_library()
            .map(|l| l.path().to_owned())
            .unwrap_or_default(),
        version: clang::get_version(),
    })
}

/// One parse: a translation unit given as source text, and its arguments.
pub(crate) struct ParseInput {
    pub file: PathBuf,
    pub source: String,
    pub args: Vec<String>,
    pub describe: String,
}

/// Parses `input` on the libclang thread.
pub(crate) fn parse(input: ParseInput) -> Result<Declarations, DiscoveryError> {
    run(move |clang| parse_on_worker(clang, &input))?
}

fn parse_on_worker(clang: &Clang, input: &ParseInput) -> Result<Declarations, DiscoveryError> {
    let index = Index::new(clang, false, false);
    let mut parser = index.parser(&input.file);
    parser
        .arguments(&input.args)
        .skip_function_bodies(true)
        .detailed_preprocessing_record(true)
        // Keeps `_Nullable` / `_Nonnull` on parameter types (libclang desugars them away
        // otherwise).
        .include_attributed_types(true)
        .unsaved(&[Unsaved::new(&input.file, &input.source)]);
    let tu = parser.parse().map_err(|e| DiscoveryError::Parse {
        set: input.describe.clone(),
        errors: vec![e.to_string()],
        args: input.args.clone(),
    })?;
    // Every error is fatal: a header clang cannot find or parse would otherwise leave its
    // declarations out, or type them `int`, without a word.
    let errors: Vec<String> = tu
        .get_diagnostics()
        .iter()
        .filter(|d| d.get_severity() >= Severity::Error)
        .map(|d| {
            let loc = d.get_location().get_file_location();
            let file = loc.file.map_or_else(
                || "<command line>".to_owned(),
                |f| f.get_path().display().to_string(),
            );
            format!("{file}:{}:{}: {}", loc.line, loc.column, d.get_text())
        })
        .collect();
    if !errors.is_empty() {
        return Err(DiscoveryError::Parse {
            set: input.describe.clone(),
            errors,
            args: input.args.clone(),
        });
    }
    let mut walker = Walker::default();
    for e in tu.get_entity().get_children() {
        walker.visit(e);
    }
    let target = tu.get_target().triple;
    drop(tu);
    walker.evaluate_macros(&index, input);
    Ok(walker.finish(target))
}

/// A file's identity for staleness checks.
pub(crate) fn dep(path: &Path) -> Option<Dep> {
    let meta = std::fs::metadata(path).ok()?;
    let contents = std::fs::read(path).ok()?;
    Some(Dep {
        path: path.to_owned(),
        size: meta.len(),
        mtime_ns: mtime_ns(&meta),
        ctime_ns: ctime_ns(&meta),
        crc: crc32fast::hash(&contents),
    })
}

/// The inode change time, in nanoseconds since the epoch (0 where the platform has none):
/// set by the kernel on every write, rename or permission change, and by no `utime` call.
pub(crate) fn ctime_ns(meta: &std::fs::Metadata) -> u128 {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let s = u128::try_from(meta.ctime()).unwrap_or(0);
        let ns = u128::try_from(meta.ctime_nsec()).unwrap_or(0);
        s * 1_000_000_000 + ns
    }
    #[cfg(not(unix))]
    {
        let _ = meta;
        0
    }
}

pub(crate) fn mtime_ns(meta: &std::fs::Metadata) -> u128 {
    meta.modified()
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_nanos())
}
