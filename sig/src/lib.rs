//! The C declaration model shared by ffi-auto's compile-time and run-time halves.
//!
//! C types stay C types here ([`CType`]): `long` is `long`, `size_t` is `size_t`, typedef names
//! are kept, and sizes come from a [`DataModel`] for a target, never from assumptions about the
//! machine. The macros map these types to Rust in one place ([`CType::rust_type`]); the runtime
//! maps them to libffi types.
//!
//! ```
//! use ffi_auto_sig::{CType, Signature};
//! let strlen: Signature = "size_t (const char *)".parse().unwrap();
//! assert_eq!(strlen.ret, CType::SIZE_T);
//! assert_eq!(strlen.declare("strlen"), "size_t strlen(const char *)");
//! ```

#[cfg(feature = "serde")]
pub mod encoding;
mod model;
mod parse;
mod record;
mod rust;
mod signature;
mod spell;
mod standard;
mod suggest;
mod types;

pub use model::{DataModel, Scalar};
pub use parse::{ParseTypeError, Resolve};
pub use record::{
    BitfieldRange, Field, LayoutError, Record, RecordKind, bits_get, bits_range, bits_set,
};
pub use rust::{FnPointer, RustType, SafeFnPointer};
pub use signature::{FnAttrs, FormatAttr, Param, Signature};
pub use spell::RustTy;
pub use standard::looks_like_length;
pub use suggest::{closest, did_you_mean};
pub use types::{CType, FloatKind, IntKind, Layout};
