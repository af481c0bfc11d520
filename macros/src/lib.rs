//! ffi-auto's procedural macros: entry points only, each one line into `ffi-auto-expand`,
//! which does the work and is tested without a compiler. Depend on the `ffi-auto` crate, which
//! re-exports these and documents them.

use proc_macro::{Span, TokenStream};

use ffi_auto_expand::{self as expand, Context};

fn context() -> Context {
    Context::new(Span::call_site().local_file())
}

/// Checks a body-less function against its C declaration and expands to a direct call.
/// Documented in the `ffi-auto` crate.
#[proc_macro_attribute]
pub fn ffi_auto(args: TokenStream, item: TokenStream) -> TokenStream {
    expand::ffi_auto_tokens(args.into(), item.into(), &context()).into()
}

/// Declares several C functions at once; name-only entries get their signature from the
/// header. Documented in the `ffi-auto` crate.
#[proc_macro]
pub fn defcfuns(input: TokenStream) -> TokenStream {
    expand::defcfuns_tokens(input.into(), &context()).into()
}
