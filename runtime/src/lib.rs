//! ffi-auto's run-time engine: call a C function whose signature is known only at run time.
//!
//! - [`Library`] and [`find_symbol`] load libraries (`"c"`, `"m"`, a path, the running program)
//!   and keep them loaded as long as anything from them lives.
//! - [`Function`] is a prepared handle (symbol, signature and libffi call interface resolved
//!   once), called with Rust tuples or [`Value`]s; every argument is checked against the C
//!   declaration before any C code runs.
//! - [`ffi_call`] calls by name, finding the signature through a chain of
//!   [`SignatureSource`](config::SignatureSource)s; the second call with a name costs one hash
//!   lookup. Where it looks is [`config`]; what it holds, [`introspect`].
//!
//! ```
//! use ffi_auto_runtime::{ffi_call, config::registry};
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

// Always: what compiled-in wrappers need (the registry, `lazy` symbols, errno, errors,
// libraries, generated structs' traits).
mod compiled;
mod cstruct;
mod errno;
mod error;
mod generation;
mod library;

// The dynamic engine (feature `dynamic`): libffi, marshalling, by-name calls.
#[cfg(feature = "dynamic")]
mod arg;
#[cfg(feature = "dynamic")]
pub mod audit;
#[cfg(feature = "dynamic")]
mod call;
#[cfg(feature = "dynamic")]
mod callback;
#[cfg(feature = "dynamic")]
mod cif;
#[cfg(feature = "dynamic")]
mod class;
#[cfg(feature = "dynamic")]
pub mod diagnostics;
#[cfg(feature = "dynamic")]
mod direct;
#[cfg(feature = "discovery")]
mod discovery;
#[cfg(feature = "dynamic")]
mod dynamic;
#[cfg(feature = "dynamic")]
pub mod format;
#[cfg(feature = "dynamic")]
mod function;
#[cfg(feature = "discovery")]
mod global;
#[cfg(feature = "dynamic")]
mod int128;
#[cfg(feature = "dynamic")]
mod layout;
mod longdouble;
#[cfg(feature = "dynamic")]
pub mod policy;
#[cfg(feature = "dynamic")]
mod resolve;
#[cfg(feature = "dynamic")]
mod ret;
#[cfg(feature = "dynamic")]
mod structs;
#[cfg(feature = "dynamic")]
mod thunk;
#[cfg(feature = "dynamic")]
mod tiers;
#[cfg(feature = "dynamic")]
pub mod track;
#[cfg(feature = "dynamic")]
mod value;

#[cfg(feature = "dynamic")]
pub use arg::{Arg, Args, SafeArg, SafeArgs};
#[cfg(feature = "dynamic")]
pub use callback::{Callback, CallbackArg, CallbackRet, IntoCallback, IntoSharedCallback};
pub use cstruct::CStruct;
#[cfg(feature = "discovery")]
pub use discovery::{constant, shim_function, signature};
#[cfg(feature = "dynamic")]
pub use dynamic::{
    Target, ffi_call, ffi_call_errno, ffi_call_raw, ffi_call_raw_errno, ffi_call_values, prepare,
};
pub use errno::Errno;
pub use error::{ArgPos, Attempt, Error, Result};
#[cfg(feature = "discovery")]
pub use ffi_auto_discovery::{ConstValue, Constant};
/// The C declaration model: types, signatures, layouts, and the traits that tie Rust types to
/// C ones ([`sig::RustType`], [`sig::FnPointer`]).
pub use ffi_auto_sig as sig;
#[cfg(feature = "dynamic")]
pub use function::Function;
#[cfg(feature = "discovery")]
pub use global::{Global, global};
pub use library::{Library, Symbol, find_symbol};

/// Where by-name calls look: the libraries searched, the signature sources consulted (the
/// registry of explicit signatures among them) and, with the `discovery` feature, the headers.
/// Changing any of it makes every handle cached by name stale.
pub mod config {
    #[cfg(feature = "discovery")]
    pub use crate::discovery::{
        HeaderSource, add_header, add_include_dir, add_pkg_config, header_set, header_source,
    };
    pub use crate::library::{add_search_library, search_libraries};
    #[cfg(feature = "dynamic")]
    pub use crate::resolve::{
        Found, Registry, SignatureSource, add_signature_source, registry, signature_sources,
    };
    #[cfg(feature = "dynamic")]
    pub use crate::tiers::force_libffi;
    #[cfg(feature = "discovery")]
    pub use ffi_auto_discovery::HeaderSet;
}

/// What the engine knows and holds, for diagnostics: where a name's signature comes from, the
/// functions the macros compiled in, the call interfaces cached.
pub mod introspect {
    #[cfg(feature = "dynamic")]
    pub use crate::cif::cif_cache_len;
    pub use crate::compiled::{CompiledSource, compiled_source};
    #[cfg(feature = "dynamic")]
    pub use crate::resolve::find_signature;
}
#[cfg(feature = "dynamic")]
pub use int128::Bits128;
pub use longdouble::{CLongDouble, LongDouble};
#[cfg(feature = "dynamic")]
pub use ret::FromRet;
#[cfg(feature = "dynamic")]
pub use structs::Struct;
#[cfg(feature = "dynamic")]
pub use value::Value;

#[doc(hidden)]
pub mod __private {
    pub use crate::compiled::{COMPILED, Compiled, LazySymbol};
    pub use crate::errno::{errno, set_errno};
    pub use ffi_auto_sig as sig;
    pub use linkme;

    #[cfg(feature = "dynamic")]
    pub use crate::arg::sealed::Sealed as ArgSealed;
    #[cfg(feature = "dynamic")]
    pub use crate::arg::{Ctx, Fault, Num, Pointee, Slot};
    #[cfg(feature = "dynamic")]
    pub use crate::call::{Frame, RetBuf};
    #[cfg(feature = "dynamic")]
    pub use crate::class::{Class, Target};
    #[cfg(feature = "dynamic")]
    pub use crate::direct::NotDirect;
    #[cfg(feature = "dynamic")]
    pub use crate::layout::RecordRef;
    #[cfg(feature = "dynamic")]
    pub use crate::ret::sealed::Sealed as RetSealed;
    #[cfg(feature = "dynamic")]
    pub use crate::structs::{read_record, record_ref_of, store_record};
    #[cfg(feature = "dynamic")]
    pub use crate::track::track_wrapper;
}
