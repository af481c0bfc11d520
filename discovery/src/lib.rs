//! ffi-auto's discovery: finds C declarations in headers with libclang and keeps them in a
//! persistent signature database; the build-script [`Builder`].
//!
//! No syn, quote or proc-macro2 in its graph: the runtime uses it (feature `discovery`) for
//! by-name calls with no setup, build scripts for the Builder, and `ffi-auto-expand` (the
//! macros' expansion) for lookups.
//!
//! ```no_run
//! use ffi_auto_discovery::{Discovery, HeaderSet};
//! let d = Discovery::new().lookup(&HeaderSet::system(), "sscanf").unwrap();
//! // glibc redirects sscanf to the C99 version with an asm label:
//! assert_eq!(d.symbol(), "__isoc99_sscanf");
//! ```

mod api;
mod build;
mod catalog;
pub mod check;
mod clang;
pub mod db;
mod decl;
mod discover;
mod error;
mod headers;
mod rust;
pub mod shim;
pub mod trust;

pub use build::{Builder, Generated, Source, prepare};
pub use catalog::{Catalog, Stored};
pub use clang::{Libclang, libclang, offline};
pub use decl::{
    ConstValue, Constant, Decl, Declarations, Dep, Global, NotCallable, OpaqueDecl, closest,
    tag_name,
};
pub use discover::{Discovery, Origin, host_target, include_paths};
pub use error::DiscoveryError;
pub use headers::{DEFAULT_HEADERS, HeaderSet, PkgConfig, pkg_config};
pub use rust::{needs_unsafe, param_name, records_named, rust_declaration, rust_declaration_in};

/// The C declaration model this engine produces.
pub mod sig {
    pub use ffi_auto_sig::*;
}
