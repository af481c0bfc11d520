//! ffi-auto's procedural macros (skeleton).
//!
//! `#[ffi_auto]` and `defcfuns!` will live here as one-line entry points into
//! `ffi-auto-codegen`, which does the work and is tested without a compiler. Depend on the
//! `ffi-auto` crate rather than on this one.
