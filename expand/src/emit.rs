//! Tokens: the wrapper (or a plain `extern` declaration), its registry entry, and the
//! rebuild-tracking of the headers it came from.

use std::path::PathBuf;

use ffi_auto_sig::{CType, RustTy, Signature};
use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, quote_spanned};
use syn::{Attribute, Ident, Path, Type, Visibility};

use super::check::Ty;

/// Everything needed to emit one function.
pub struct Wrapper {
    pub attrs: Vec<Attribute>,
    pub vis: Visibility,
    pub is_unsafe: bool,
    pub ident: Ident,
    /// Parameters as the wrapper takes them: name, Rust type, classification.
    pub params: Vec<(Ident, Type, Ty)>,
    pub variadic: Variadic,
    /// The Rust return type (`None` for `()`).
    pub ret: Option<Type>,
    pub link_name: String,
    pub lib: Option<String>,
    pub lazy: bool,
    /// More libraries to link (a `pkg_config` package's `-l` flags), besides `lib`.
    pub links: Vec<String>,
    /// The C declaration, when a header gave one: registered for by-name calls.
    pub c_sig: Option<(String, Signature, String)>,
    /// A warning to emit (unchecked signatures).
    pub warning: Option<String>,
    /// The wrapper returns `std::io::Result<ret>`, failure decided so.
    pub errno: Option<ErrnoConv>,
}

/// Whether the function takes variadic arguments, and whether the Rust side does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Variadic {
    /// A fixed signature.
    No,
    /// Variadic in C, called with its fixed parameters only (a wrapper without `...`).
    FixedOnly,
    /// Variadic in C and in Rust (`_: ...`).
    Yes,
}

impl Variadic {
    /// From what the user wrote and what C declares.
    pub fn of(user: bool, c: bool) -> Variadic {
        match (user, c) {
            (true, _) => Variadic::Yes,
            (false, true) => Variadic::FixedOnly,
            (false, false) => Variadic::No,
        }
    }
}

/// How a wrapper returning `std::io::Result` tells failure.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrnoConv {
    /// The call returned -1.
    MinusOne,
    /// The call returned null.
    Null,
    /// errno, cleared before the call, is set after it.
    Set,
}

/// The statements that call `call` (an expression), capture errno and return an
/// `io::Result`.
fn errno_call(conv: ErrnoConv, call: &TokenStream, krate: &Path) -> TokenStream {
    match conv {
        ErrnoConv::MinusOne => quote! {
            let r = #call;
            // errno is read right after the call, before anything else can change it.
            if r == -1 {
                ::core::result::Result::Err(::std::io::Error::last_os_error())
            } else {
                ::core::result::Result::Ok(r)
            }
        },
        ErrnoConv::Null => quote! {
            let r = #call;
            if r.is_null() {
                ::core::result::Result::Err(::std::io::Error::last_os_error())
            } else {
                ::core::result::Result::Ok(r)
            }
        },
        ErrnoConv::Set => quote! {
            #krate::__private::set_errno(0);
            let r = #call;
            let e = #krate::__private::errno();
            if e != 0 {
                ::core::result::Result::Err(::std::io::Error::from_raw_os_error(e))
            } else {
                ::core::result::Result::Ok(r)
            }
        },
    }
}

/// The type the `extern` declaration uses for a wrapper parameter.
fn ffi_type(t: &Type, ty: &Ty) -> TokenStream {
    match ty {
        Ty::CStr { .. } => quote!(*const ::core::ffi::c_char),
        _ => quote!(#t),
    }
}

/// How the wrapper passes a parameter on.
fn convert(name: &Ident, ty: &Ty) -> TokenStream {
    match ty {
        Ty::CStr { optional: false } => quote!(::core::ffi::CStr::as_ptr(#name)),
        Ty::CStr { optional: true } => {
            quote!(#name.map_or(::core::ptr::null(), ::core::ffi::CStr::as_ptr))
        }
        _ => quote!(#name),
    }
}

/// Emits the function and its registry entry: a plain `extern` declaration when the Rust
/// signature is the C one, else a wrapper around one (or around a symbol loaded at the first
/// call, `lazy`).
pub fn emit(w: &Wrapper, krate: &Path) -> TokenStream {
    // Tracked wrappers (feature `track-wrappers`) need a body to time the call in; a
    // variadic one cannot have one and stays untracked.
    let tracked = cfg!(feature = "track-wrappers") && w.variadic != Variadic::Yes;
    let needs_wrapper = tracked
        || w.lazy
        || w.errno.is_some()
        || w.variadic == Variadic::FixedOnly
        || w.params
            .iter()
            .any(|(_, _, t)| matches!(t, Ty::CStr { .. }));
    if needs_wrapper && w.variadic == Variadic::Yes {
        return variadic_wrapper_error(w);
    }
    let (item, addr) = if needs_wrapper {
        (
            wrapper(w, krate),
            // The wrapper's own address is not the C function's; by-name calls resolve it.
            quote!(::core::option::Option::None),
        )
    } else {
        (extern_declaration(w), extern_address(&w.ident))
    };
    let registry = registration(w, &addr, krate);
    let named_checks = named_type_checks(w, krate);
    let warning = unchecked_warning(w);
    quote! {
        #item
        #registry
        #named_checks
        #warning
    }
}

/// Why a variadic Rust function cannot be the wrapper the options ask for.
fn variadic_wrapper_error(w: &Wrapper) -> TokenStream {
    let ident = &w.ident;
    let why = if w.errno.is_some() {
        "return `io::Result`"
    } else if w.lazy {
        "be `lazy`"
    } else {
        "convert `&CStr` arguments"
    };
    syn::Error::new(
        ident.span(),
        format!("a Rust wrapper cannot be variadic, so a variadic `{ident}` cannot {why}\nhint: take `*const c_char` for strings, or leave out the `...` to call it with its fixed parameters only"),
    )
    .into_compile_error()
}

impl Wrapper {
    /// `#[link(name = ...)]` for each library linked at build time (not a `lazy` one).
    fn link_attrs(&self) -> Vec<TokenStream> {
        self.lib
            .iter()
            .filter(|_| !self.lazy)
            .chain(&self.links)
            .map(|l| quote!(#[link(name = #l)]))
            .collect()
    }

    /// The parameters as the Rust function declares them.
    fn rust_params(&self) -> Vec<TokenStream> {
        self.params.iter().map(|(n, t, _)| quote!(#n: #t)).collect()
    }

    /// `, ...` for a function variadic in C.
    fn dots(&self) -> Option<TokenStream> {
        (self.variadic != Variadic::No).then(|| quote!(, ...))
    }

    /// `-> T` of the C function (`None` for `void`).
    fn c_ret(&self) -> Option<TokenStream> {
        self.ret.as_ref().map(|r| quote!(-> #r))
    }
}

/// The user's function as an `extern` declaration of the C function itself.
fn extern_declaration(w: &Wrapper) -> TokenStream {
    let Wrapper {
        attrs,
        vis,
        ident,
        link_name,
        ..
    } = w;
    let link = w.link_attrs();
    let params = w.rust_params();
    let (dots, ret) = (w.dots(), w.c_ret());
    let safety = if w.is_unsafe {
        quote!(unsafe)
    } else {
        quote!(safe)
    };
    quote! {
        #(#link)*
        unsafe extern "C" {
            #(#attrs)*
            #[link_name = #link_name]
            #vis #safety fn #ident(#(#params),* #dots) #ret;
        }
    }
}

/// The registry's address of a function declared with [`extern_declaration`].
fn extern_address(ident: &Ident) -> TokenStream {
    quote! {
        ::core::option::Option::Some({
            fn addr() -> *const ::core::ffi::c_void {
                #ident as *const ::core::ffi::c_void
            }
            addr
        })
    }
}

/// The user's function as a Rust wrapper that converts its arguments and return and calls
/// the C function (`shim`).
fn wrapper(w: &Wrapper, krate: &Path) -> TokenStream {
    let Wrapper {
        attrs, vis, ident, ..
    } = w;
    let shim = format_ident!("__ffi_auto_{}", ident);
    let call = if w.lazy {
        lazy_call(w, &shim, krate)
    } else {
        linked_call(w, &shim, krate)
    };
    let call = if cfg!(feature = "track-wrappers") {
        let name = w.link_name.clone();
        quote!(#krate::__private::track_wrapper(#name, || { #call }))
    } else {
        call
    };
    let params = w.rust_params();
    let unsafety = w.is_unsafe.then(|| quote!(unsafe));
    let r = w.ret.as_ref().map_or_else(|| quote!(()), |r| quote!(#r));
    let wret = if w.errno.is_some() {
        quote!(-> ::std::io::Result<#r>)
    } else if w.lazy {
        quote!(-> ::core::result::Result<#r, #krate::Error>)
    } else {
        w.c_ret().unwrap_or_default()
    };
    quote! {
        #(#attrs)*
        // Named and shaped as C has it, as the `extern` declaration it stands for would be.
        #[allow(non_snake_case, clippy::too_many_arguments)]
        #[inline]
        #vis #unsafety fn #ident(#(#params),*) #wret {
            #call
        }
    }
}

/// A wrapper's body calling the C function linked at build time, declared inside it as
/// `shim`.
fn linked_call(w: &Wrapper, shim: &Ident, krate: &Path) -> TokenStream {
    let link_name = &w.link_name;
    let link = w.link_attrs();
    let ffi_params = w.params.iter().map(|(n, t, ty)| {
        let ft = ffi_type(t, ty);
        quote!(#n: #ft)
    });
    let args = w.params.iter().map(|(n, _, ty)| convert(n, ty));
    let (dots, ret) = (w.dots(), w.c_ret());
    // SAFETY: the signature was checked against the C declaration; `&CStr`
    // arguments are passed as NUL-terminated pointers that outlive the call.
    let invoke = quote!(unsafe { #shim(#(#args),*) });
    let body = match w.errno {
        Some(conv) => errno_call(conv, &invoke, krate),
        None => invoke,
    };
    quote! {
        #(#link)*
        unsafe extern "C" {
            #[link_name = #link_name]
            fn #shim(#(#ffi_params),* #dots) #ret;
        }
        #body
    }
}

/// A `lazy` wrapper's body: the symbol is looked up at the first call (an `Err` if it is
/// missing), then called through a function pointer `shim`.
fn lazy_call(w: &Wrapper, shim: &Ident, krate: &Path) -> TokenStream {
    let link_name = &w.link_name;
    let lib = w.lib.clone().unwrap_or_default();
    let ffi_types = w.params.iter().map(|(_, t, ty)| ffi_type(t, ty));
    let args = w.params.iter().map(|(n, _, ty)| convert(n, ty));
    let (dots, ret) = (w.dots(), w.c_ret());
    let get = if w.errno.is_some() {
        quote!(SYMBOL.get().map_err(::std::io::Error::other)?)
    } else {
        quote!(SYMBOL.get()?)
    };
    // SAFETY: the signature was checked against the C declaration; the caller
    // upholds the function's contract for pointer arguments (`unsafe fn`).
    let invoke = quote!(unsafe { #shim(#(#args),*) });
    let tail = match w.errno {
        Some(conv) => errno_call(conv, &invoke, krate),
        None => quote!(::core::result::Result::Ok(#invoke)),
    };
    quote! {
        static SYMBOL: #krate::__private::LazySymbol =
            #krate::__private::LazySymbol::new(#lib, #link_name);
        let addr = #get;
        // SAFETY: `addr` is the symbol `#link_name` of the library loaded (and kept
        // loaded) by `SYMBOL`, declared in the header with this signature.
        let #shim: unsafe extern "C" fn(#(#ffi_types),* #dots) #ret =
            unsafe { ::core::mem::transmute::<*const ::core::ffi::c_void, _>(addr) };
        #tail
    }
}

/// The entry in the link-time registry of compiled-in functions (for by-name calls), when a
/// header declared the function; `addr` is the function's address, if it has one.
fn registration(w: &Wrapper, addr: &TokenStream, krate: &Path) -> Option<TokenStream> {
    let link_name = &w.link_name;
    w.c_sig.as_ref().map(|(c_name, sig, origin)| {
        let sig = syn::LitByteStr::new(&ffi_auto_sig::encoding::encode(sig), Span::call_site());
        let lib = match (&w.lib, w.lazy) {
            (Some(l), true) => quote!(::core::option::Option::Some(#l)),
            _ => quote!(::core::option::Option::None),
        };
        let linkme = quote!(#krate::__private::linkme);
        quote! {
            const _: () = {
                #[#linkme::distributed_slice(#krate::__private::COMPILED)]
                #[linkme(crate = #linkme)]
                static ENTRY: #krate::__private::Compiled = #krate::__private::Compiled {
                    name: #c_name,
                    link_name: #link_name,
                    library: #lib,
                    signature: #sig,
                    addr: #addr,
                    origin: #origin,
                };
            };
        }
    })
}

/// A type ffi-auto knows only by name (`pid_t`, `div_t`) must be one whose every value C
/// may pass is valid: an alias of a number, or a struct the macros generated. An enum
/// named like the C typedef is not, and fails here.
fn named_type_checks(w: &Wrapper, krate: &Path) -> TokenStream {
    let ret_named = w.ret.as_ref().filter(|t| {
        matches!(
            super::check::classify(t, &ffi_auto_sig::DataModel::native()),
            Ty::Named(_)
        )
    });
    let named = w
        .params
        .iter()
        .filter(|(_, _, ty)| matches!(ty, Ty::Named(_)))
        .map(|(_, t, _)| t)
        .chain(ret_named);
    quote! {
        #(const _: () = {
            fn has_c_type<T: #krate::sig::RustType>() {}
            let _ = has_c_type::<#named>;
        };)*
    }
}

/// A deprecation warning at the function, for a signature no header checked.
fn unchecked_warning(w: &Wrapper) -> Option<TokenStream> {
    w.warning.as_ref().map(|msg| {
        let span = w.ident.span();
        quote_spanned! {span=>
            const _: () = {
                #[deprecated(note = #msg)]
                struct FfiAutoUncheckedSignature;
                let _ = FfiAutoUncheckedSignature;
            };
        }
    })
}

/// Rebuild the crate when one of these headers changes: `include_bytes!` makes the compiler
/// track the file (once per header and macro invocation).
pub fn track_headers<'a>(headers: impl IntoIterator<Item = &'a PathBuf>) -> TokenStream {
    let headers = headers.into_iter().map(|h| h.display().to_string());
    quote!(#(const _: &[u8] = include_bytes!(#headers);)*)
}

/// A stub with the user's signature, emitted next to errors so callers see no follow-on
/// errors.
pub fn stub(
    attrs: &[Attribute],
    vis: &Visibility,
    is_unsafe: bool,
    ident: &Ident,
    params: &[(Ident, Type)],
    ret: Option<&Type>,
) -> TokenStream {
    let unsafety = is_unsafe.then(|| quote!(unsafe));
    let params = params.iter().map(|(n, t)| quote!(#n: #t));
    let ret = ret.map(|r| quote!(-> #r));
    quote! {
        #(#attrs)*
        #[allow(unused_variables)]
        #vis #unsafety fn #ident(#(#params),*) #ret {
            ::core::unreachable!("ffi-auto: this function did not compile")
        }
    }
}

/// The Rust type generated code uses for `c` ([`CType::to_rust`], the one mapping), with the
/// structs and opaque types of `types` (declared in the same macro call) in scope, rendered
/// with full paths (`::core::ffi::c_int`). `in_pointer`: `c` is behind a pointer.
///
/// # Errors
/// The C type Rust cannot spell here.
pub fn rust_type_with(
    c: &CType,
    in_pointer: bool,
    types: &super::types::Types,
) -> Result<TokenStream, String> {
    let scope = |n: &str| types.get(n).map(ToString::to_string);
    let t = if in_pointer {
        c.to_rust_pointee(&scope)?
    } else {
        c.to_rust(&scope)?
    };
    Ok(render(&t, types))
}

/// A [`RustTy`] with full paths; a declared type keeps the span of its declaration.
fn render(t: &RustTy, types: &super::types::Types) -> TokenStream {
    match t {
        RustTy::Unit => quote!(()),
        RustTy::CVoid => quote!(::core::ffi::c_void),
        RustTy::Bool => quote!(bool),
        RustTy::Ffi(n) => {
            let i = Ident::new(n, Span::call_site());
            quote!(::core::ffi::#i)
        }
        RustTy::Prim(n) => {
            let i = Ident::new(n, Span::call_site());
            quote!(#i)
        }
        RustTy::Ptr { is_const, pointee } => {
            let inner = render(pointee, types);
            if *is_const {
                quote!(*const #inner)
            } else {
                quote!(*mut #inner)
            }
        }
        RustTy::FnPtr {
            params,
            variadic,
            ret,
        } => {
            let params = params.iter().map(|p| render(p, types));
            let dots = variadic.then(|| quote!(, ...));
            let ret = ret.as_ref().map(|r| {
                let r = render(r, types);
                quote!(-> #r)
            });
            quote!(::core::option::Option<unsafe extern "C" fn(#(#params),* #dots) #ret>)
        }
        RustTy::Named(n) => {
            let i = types
                .values()
                .find(|i| *i == n)
                .cloned()
                .unwrap_or_else(|| Ident::new(n, Span::call_site()));
            quote!(#i)
        }
    }
}
