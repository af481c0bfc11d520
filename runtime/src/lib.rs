//! ffi-auto's run-time engine: call a C function whose signature is known only at run time.
//!
//! - [`Library`] and [`find_symbol`] load libraries (`"c"`, `"m"`, a path, the running program)
//!   and keep them loaded as long as anything from them lives.
//! - [`Function`] is a prepared handle (symbol, signature and libffi call interface resolved
//!   once), called with Rust tuples or [`Value`]s; every argument is checked against the C
//!   declaration before any C code runs.
//! - [`ffi_call`] calls by name, finding the signature through a chain of
//!   [`SignatureSource`]s; the second call with a name costs one hash lookup.
//!
//! ```
//! use ffi_auto_runtime::{ffi_call, registry};
//! // SAFETY: `int abs(int)` in <stdlib.h>.
//! unsafe { registry().register("abs", None, "int (int)".parse().unwrap()) };
//! assert_eq!(ffi_call::<i32>("abs", -42).unwrap(), 42);
//! ```
//!
//! # Safety model
//! ffi-auto trusts the C declarations it is given (a header, or a signature whose registration
//! was `unsafe`) the way a Rust `extern` block is trusted, and checks every argument against
//! them. A call is then safe when its arguments are: numbers, `bool`, strings (passed
//! NUL-terminated, refused if they hold a NUL, and never read past by a length that follows
//! them), and null only where the function is known to take it. Raw pointers, references used
//! as out-parameters and slices need the `unsafe` `call_raw`, because only the caller knows how
//! much the C function reads or writes through them. Variadic arguments pass in a safe call
//! only where a format string (or `open`'s flags) says what they are, and some functions
//! (`vfork`, `close`, `setenv`, those taking a `pthread_t`) no safe call makes at all; see
//! [`format`](mod@format) and the README's safety model.

mod arg;
mod call;
mod callback;
mod cif;
mod class;
mod compiled;
#[cfg(feature = "discovery")]
mod discovery;
mod dynamic;
mod errno;
mod error;
pub mod format;
mod function;
mod layout;
mod library;
mod resolve;
mod ret;
mod structs;
mod value;

pub use arg::{Arg, Args, SafeArg, SafeArgs};
pub use callback::{Callback, CallbackArg, CallbackRet, IntoCallback};
pub use cif::cif_cache_len;
pub use compiled::{CompiledSource, compiled_source};
#[cfg(feature = "discovery")]
pub use discovery::{
    HeaderSource, add_header, add_include_dir, add_pkg_config, constant, header_set, header_source,
};
pub use dynamic::{
    Target, ffi_call, ffi_call_errno, ffi_call_raw, ffi_call_raw_errno, ffi_call_values, prepare,
};
pub use errno::Errno;
pub use error::{ArgPos, Attempt, Error, Result};
#[cfg(feature = "discovery")]
pub use ffi_auto_discovery::{ConstValue, Constant};
pub use ffi_auto_sig::{
    CType, DataModel, Field, FloatKind, FnAttrs, FnPointer, IntKind, Param, ParseTypeError, Record,
    RecordKind, RustType, SafeFnPointer, Signature,
};
pub use function::Function;
pub use library::{Library, Symbol, add_search_library, find_symbol, search_libraries};
pub use resolve::{
    Found, Registry, SignatureSource, add_signature_source, find_signature, registry,
    signature_sources,
};
pub use ret::FromRet;
pub use structs::{CStruct, Struct};
pub use value::Value;

#[doc(hidden)]
pub mod __private {
    pub use crate::compiled::{COMPILED, Compiled, LazySymbol};
    pub use crate::errno::{errno, set_errno};
    pub use ffi_auto_sig as sig;
    pub use linkme;

    pub use crate::arg::sealed::Sealed as ArgSealed;
    pub use crate::arg::{Ctx, Fault, Num, Pointee, Slot};
    pub use crate::call::{Frame, RetBuf};
    pub use crate::class::{Class, Target};
    pub use crate::layout::RecordRef;
    pub use crate::ret::sealed::Sealed as RetSealed;
    pub use crate::structs::{read_record, record_ref_of, store_record};
}
