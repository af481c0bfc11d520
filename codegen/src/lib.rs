//! ffi-auto's compile-time engine (skeleton).
//!
//! This crate will hold everything the macros and the build.rs integration share: libclang
//! discovery (loaded at run time, one serialized owner per process), header sets, the on-disk
//! signature database, and the expansion pipeline of `#[ffi_auto]` and `defcfuns!`
//! (parse the user's item -> look up the C declaration -> check -> emit). It is an ordinary
//! library, so that all of it runs in plain unit tests; `ffi-auto-macros` only forwards to it.
//!
//! It builds on the C declaration model of [`ffi_auto_sig`]:
//!
//! ```
//! let sig: ffi_auto_codegen::sig::Signature = "size_t (const char *)".parse().unwrap();
//! assert_eq!(sig.params[0].ty.rust_type().unwrap(), "*const c_char");
//! ```

/// The C declaration model this engine produces and checks against.
pub mod sig {
    pub use ffi_auto_sig::*;
}
