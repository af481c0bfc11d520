//! Call any C function from Rust without writing bindings by hand.
//!
//! This is the crate to depend on. Today it offers the run-time engine: call a C function whose
//! signature is known only at run time, through libffi, with every argument checked against the
//! C declaration before any C code runs.
//!
//! ```
//! use ffi_auto::{ffi_call, registry, Function, Library, Signature};
//!
//! // A by-name call (the original's `ffi-call`), with the signature registered once.
//! // SAFETY: `size_t strlen(const char *)` in <string.h>.
//! unsafe { registry().register("strlen", None, "size_t (const char *)".parse().unwrap()) };
//! let n: usize = ffi_call("strlen", "hello").unwrap();
//! assert_eq!(n, 5);
//!
//! // A prepared handle (the original's `ffi-call-cached`).
//! let libm = Library::open("m").unwrap();
//! let sig: Signature = "double (double, double)".parse().unwrap();
//! // SAFETY: `double pow(double, double)` in <math.h>.
//! let pow = unsafe { Function::new(libm.symbol("pow").unwrap(), "pow", sig) }.unwrap();
//! assert_eq!(pow.call::<f64>((2.0, 10.0)).unwrap(), 1024.0);
//! ```
//!
//! See the README for the safety model, the mapping from the original API, and measured costs.

pub use ffi_auto_runtime::*;

/// The C declaration model (types, signatures, layouts) shared with the compile-time half.
pub mod sig {
    pub use ffi_auto_sig::*;
}

/// The README's examples, compiled and run as doctests.
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
