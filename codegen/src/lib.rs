//! ffi-auto's compile-time engine: finds C declarations in headers with libclang, keeps them in
//! a persistent signature database, and (next) expands the macros.
//!
//! It is an ordinary library, so that all of it runs in plain tests; `ffi-auto-macros` only
//! forwards to it, and the runtime uses it (feature `discovery`) for by-name calls with no setup.
//!
//! ```no_run
//! use ffi_auto_codegen::{Discovery, HeaderSet};
//! let d = Discovery::new().lookup(&HeaderSet::system(), "sscanf").unwrap();
//! // glibc redirects sscanf to the C99 version with an asm label:
//! assert_eq!(d.symbol(), "__isoc99_sscanf");
//! ```

mod api;
mod build;
mod catalog;
mod clang;
pub mod db;
mod decl;
mod discover;
mod error;
pub mod expand;
mod headers;
mod rust;
pub mod trust;

pub use build::{Builder, Generated, Source, prepare};
pub use catalog::{Catalog, Stored};
pub use clang::{Libclang, libclang, offline};
pub use decl::{
    ConstValue, Constant, Decl, Declarations, Dep, NotCallable, OpaqueDecl, closest, tag_name,
};
pub use discover::{Discovery, Origin, host_target, include_paths};
pub use error::DiscoveryError;
pub use headers::{DEFAULT_HEADERS, HeaderSet};
pub use rust::{needs_unsafe, param_name, records_named, rust_declaration, rust_declaration_in};

/// The C declaration model this engine produces.
pub mod sig {
    pub use ffi_auto_sig::*;
}
