//! Errors of discovery.

use std::path::PathBuf;

fn list(items: &[String]) -> String {
    items.join("\n  ")
}

pub(crate) use ffi_auto_sig::did_you_mean;

/// What can go wrong finding a C declaration.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DiscoveryError {
    /// A C shim (for a `static inline` function or a function-like macro) could not be made.
    #[error("{0}")]
    Shim(String),
    /// libclang could not be loaded.
    #[error(
        "libclang could not be loaded: {reason}\nhint: install it (Debian/Ubuntu: `sudo apt-get install libclang-dev`; Fedora: `sudo dnf install clang-devel`; macOS: `xcode-select --install` or `brew install llvm`), or set LIBCLANG_PATH to the directory that holds libclang.so"
    )]
    LibclangMissing {
        /// clang-sys's message: the paths searched.
        reason: String,
    },

    /// clang reported errors: a missing header, a syntax error, a mismatched resource dir.
    #[error(
        "clang could not parse {set}:\n  {}\nhint: check that the headers are installed and that the include directories and defines are right (clang arguments: {})",
        list(.errors),
        .args.join(" ")
    )]
    Parse {
        /// The header set, described.
        set: String,
        /// Every error-level diagnostic, as `file:line:col: text`.
        errors: Vec<String>,
        /// The arguments clang was given.
        args: Vec<String>,
    },

    /// pkg-config does not know a package.
    #[error(
        "pkg-config could not find `{package}`: {reason}\nhint: install the package's -dev package, or set PKG_CONFIG_PATH"
    )]
    PkgConfig {
        /// The package.
        package: String,
        /// pkg-config's message.
        reason: String,
    },

    /// A header that cannot be read as one: not a regular file (a device, a FIFO, a
    /// directory), too large, or a name that would change the generated include line.
    #[error("header `{header}` cannot be used: {reason}")]
    BadHeader {
        /// The header as given.
        header: String,
        /// Why, and what to do.
        reason: String,
    },

    /// No header of the set declares the name.
    #[error(
        "no declaration of `{name}` in {set}{}\nhint: name the header that declares it (`--header foo.h`, `HeaderSet::header`), and its include directory if it is not a system one",
        did_you_mean(.closest)
    )]
    NotFound {
        /// The name.
        name: String,
        /// The header set searched, described.
        set: String,
        /// Declared names close to it.
        closest: Vec<String>,
    },

    /// The name is declared but cannot be called.
    #[error("`{name}` ({}:{line}) cannot be called: {reason}", .header.display())]
    NotCallable {
        /// The name.
        name: String,
        /// Why.
        reason: String,
        /// Where.
        header: PathBuf,
        /// The line.
        line: u32,
    },

    /// A signature database that must be used cannot be: the one a build script wrote for
    /// the macros, or the committed one a build without libclang relies on.
    #[error("the signature database {} cannot be used: {reason}\nhint: {hint}", path.display())]
    Database {
        /// The file.
        path: PathBuf,
        /// Why ([`Rejected`](crate::db::Rejected), or the set it was prepared for).
        reason: String,
        /// What to do.
        hint: String,
    },

    /// The libclang worker thread stopped (a bug: please report it).
    #[error("internal error in ffi-auto's libclang worker: {0}")]
    Internal(String),
}
