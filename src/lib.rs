//! Call any C function from Rust without writing bindings by hand.
//!
//! This is the crate to depend on. It has two halves:
//!
//! - at compile time, [`macro@ffi_auto`] and [`defcfuns!`] check the Rust signatures you write
//!   (or write them for you) against the C headers, and expand to plain `extern "C"`
//!   declarations;
//! - at run time, the runtime calls a C function whose signature is known only at run time,
//!   through libffi, with every argument checked against the C declaration before any C code
//!   runs.
//!
//! ```
//! use std::ffi::CStr;
//!
//! #[ffi_auto::ffi_auto]
//! fn strlen(s: &CStr) -> usize; // checked against <string.h> while compiling
//!
//! assert_eq!(strlen(c"hello"), 5);
//! ```
//!
//! ```
//! use ffi_auto::{ffi_call, Function, Library, sig::Signature, config::registry};
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

/// Declares a C function by its Rust signature, checked against the header at compile time.
///
/// The macro asks libclang (or the signature database) for the C declaration of the function,
/// compares every parameter and the return type with what you wrote (integer width and sign,
/// `float` vs `double`, pointer vs integer, `const`, `&CStr` for `const char *`, the variadic
/// tail), and expands to a plain `extern "C"` declaration, or a thin `#[inline]` wrapper where
/// a conversion is needed (`&CStr`): a call costs what a hand-written `extern` costs.
///
/// ```
/// use std::ffi::{CStr, c_int, c_void};
/// use ffi_auto::ffi_auto;
///
/// #[ffi_auto]
/// fn strlen(s: &CStr) -> usize;
///
/// #[ffi_auto]
/// fn abs(x: c_int) -> c_int;
///
/// #[ffi_auto(name = "malloc")]
/// unsafe fn my_malloc(n: usize) -> *mut c_void;
///
/// #[ffi_auto]
/// unsafe fn free(p: *mut c_void);
///
/// assert_eq!(strlen(c"hello"), 5);
/// assert_eq!(abs(-4), 4);
/// // SAFETY: malloc's result is freed once.
/// unsafe { free(my_malloc(16)) };
/// ```
///
/// A wrong signature does not compile, and the error says what to write:
///
/// ```compile_fail
/// use ffi_auto::ffi_auto;
/// #[ffi_auto]
/// fn abs(x: u64) -> i32; // error: parameter 1 (`__x`) of `abs` is `int` in C (32-bit signed), ...
/// ```
///
/// Options: `name = "c_name"`, `lib = "z"` (link it), `lazy` (load `lib` at run time on first
/// call; the wrapper then returns `Result<T, Error>`), `header = "zlib.h"` (a name, or a path
/// relative to the source file or the crate), `include = "dir"`, `define = "NAME=VALUE"`,
/// `pkg_config = "zlib"` (its include flags, and its `-l` libraries linked; a `-L` directory
/// needs a build script, and the build warns), `dynamic` (when no header declares a name-only
/// entry, call it through the runtime), `crate = path` (when `ffi_auto` is renamed).
///
/// Safety rule: a wrapper whose signature uses only numbers, `bool`, `&CStr`,
/// `Option<&CStr>` and references may be a safe `fn` (the header is trusted to mean what it
/// says); one with raw pointers, function pointers or `...` must be `unsafe fn`.
pub use ffi_auto_macros::ffi_auto;

/// Declares several C functions at once, with options shared by all.
///
/// An entry is a full signature (checked like [`macro@ffi_auto`]), a name alone (the signature
/// is written from the header: `c_int`, `usize` for `size_t`, `*const c_char`...; `unsafe` if it
/// takes raw pointers), or `fn rust_name = c_name;`. An entry under `#[cfg(...)]` is checked
/// only where the cfg holds (it is expanded into a nested `defcfuns!` under that cfg).
///
/// ```
/// use std::ffi::CStr;
/// ffi_auto::defcfuns! {
///     #![ffi_auto(lib = "m")]
///     pub fn cbrt;                       // double cbrt(double), from <math.h>
///     pub fn hypotenuse = hypot;          // a Rust name for a C name
///     pub fn strlen(s: &CStr) -> usize;   // a full signature, checked
///     pub fn getpid;                      // __pid_t getpid(void): returns c_int
/// }
/// assert_eq!(hypotenuse(3.0, 4.0), 5.0);
/// assert_eq!(cbrt(64.0), 4.0);
/// assert_eq!(strlen(c"four"), 4);
/// assert_eq!(getpid() as u32, std::process::id());
/// ```
pub use ffi_auto_macros::defcfuns;

/// The C declaration model (types, signatures, layouts) shared with the compile-time half.

/// The README's examples, compiled and run as doctests.
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
