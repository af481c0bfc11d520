//! What the user wrote: a body-less function, or a `defcfuns!` entry.

use proc_macro2::{Span, TokenStream};
use syn::parse::discouraged::Speculative;
use syn::parse::{Parse, ParseStream};
use syn::{Attribute, FnArg, ForeignItemFn, Ident, Pat, ReturnType, Token, Type, Visibility};

use super::options::{Options, parse_args};

/// One function to wrap.
pub struct FnItem {
    /// Attributes to keep (docs, `#[allow]`...), without `#[ffi_auto]`.
    pub attrs: Vec<Attribute>,
    /// Visibility.
    pub vis: Visibility,
    /// `unsafe`, when written.
    pub unsafety: Option<Token![unsafe]>,
    /// The Rust name.
    pub ident: Ident,
    /// The C name and where it was written.
    pub c_name: (String, Span),
    /// The signature, when written; `None` for a name-only `defcfuns!` entry.
    pub sig: Option<UserSig>,
    /// This item's own options.
    pub opts: Options,
}

/// A signature as the user wrote it.
pub struct UserSig {
    /// Parameters: name and type.
    pub inputs: Vec<(Ident, Type)>,
    /// `...`, with its span.
    pub variadic: Option<Span>,
    /// The return type.
    pub output: ReturnType,
    /// The span of the parameter list, for count errors.
    pub paren_span: Span,
}

impl FnItem {
    /// From `#[ffi_auto] fn f(...) -> T;`.
    ///
    /// # Errors
    /// An item that is not a body-less function.
    pub fn from_foreign(f: ForeignItemFn, opts: Options) -> syn::Result<FnItem> {
        let ForeignItemFn {
            attrs, vis, sig, ..
        } = f;
        if let Some(c) = &sig.constness {
            return Err(syn::Error::new_spanned(c, "a C function cannot be `const`"));
        }
        if let Some(a) = &sig.asyncness {
            return Err(syn::Error::new_spanned(a, "a C function cannot be `async`"));
        }
        if !sig.generics.params.is_empty() {
            return Err(syn::Error::new_spanned(
                &sig.generics,
                "a C function cannot be generic",
            ));
        }
        let mut inputs = Vec::new();
        for (i, arg) in sig.inputs.iter().enumerate() {
            match arg {
                FnArg::Typed(p) => {
                    let ident = match &*p.pat {
                        Pat::Ident(id) => id.ident.clone(),
                        _ => Ident::new(&format!("arg{i}"), Span::call_site()),
                    };
                    inputs.push((ident, (*p.ty).clone()));
                }
                FnArg::Receiver(r) => {
                    return Err(syn::Error::new_spanned(r, "a C function has no `self`"));
                }
            }
        }
        let c_name = opts.name.as_ref().map_or_else(
            || (sig.ident.to_string(), sig.ident.span()),
            |n| (n.value(), n.span()),
        );
        Ok(FnItem {
            attrs,
            vis,
            unsafety: match sig.safety {
                syn::Safety::Unsafe(u) => Some(u),
                _ => None,
            },
            c_name,
            sig: Some(UserSig {
                inputs,
                variadic: sig.variadic.as_ref().map(|v| v.dots.spans[0]),
                output: sig.output,
                paren_span: sig.paren_token.span.join(),
            }),
            ident: sig.ident,
            opts,
        })
    }
}

/// Splits `#[ffi_auto(...)]` attributes (options) from the others.
fn take_options(attrs: Vec<Attribute>) -> syn::Result<(Vec<Attribute>, Options)> {
    let mut keep = Vec::new();
    let mut opts = Options::default();
    for a in attrs {
        if a.path().is_ident("ffi_auto") {
            if !matches!(a.meta, syn::Meta::Path(_)) {
                a.parse_nested_meta(|meta| opts.parse_meta(&meta))?;
            }
        } else {
            keep.push(a);
        }
    }
    Ok((keep, opts))
}

/// A `defcfuns!` block: shared options, then entries.
pub struct Block {
    /// `#![ffi_auto(...)]` options for every entry.
    pub shared: Options,
    /// The entries.
    pub entries: Vec<FnItem>,
}

impl Parse for Block {
    fn parse(input: ParseStream<'_>) -> syn::Result<Block> {
        let mut shared = Options::default();
        for a in input.call(Attribute::parse_inner)? {
            if a.path().is_ident("ffi_auto") {
                a.parse_nested_meta(|meta| shared.parse_meta(&meta))?;
            } else {
                return Err(syn::Error::new_spanned(
                    a,
                    "only `#![ffi_auto(...)]` options may start a `defcfuns!` block",
                ));
            }
        }
        let mut entries = Vec::new();
        while !input.is_empty() {
            entries.push(parse_entry(input)?);
        }
        Ok(Block { shared, entries })
    }
}

/// `[attrs] [vis] [unsafe] fn name;`, `... fn rust_name = c_name;`, or a full signature.
fn parse_entry(input: ParseStream<'_>) -> syn::Result<FnItem> {
    let fork = input.fork();
    let attrs = fork.call(Attribute::parse_outer)?;
    let vis: Visibility = fork.parse()?;
    let unsafety: Option<Token![unsafe]> = fork.parse()?;
    fork.parse::<Token![fn]>()?;
    let ident: Ident = fork.parse()?;
    if fork.peek(Token![;]) || fork.peek(Token![=]) {
        // Name only: the signature comes from the header.
        let alias = if fork.peek(Token![=]) {
            fork.parse::<Token![=]>()?;
            Some(fork.parse::<Ident>()?)
        } else {
            None
        };
        fork.parse::<Token![;]>()?;
        input.advance_to(&fork);
        let (attrs, opts) = take_options(attrs)?;
        let c_name = match (&opts.name, &alias) {
            (Some(n), _) => (n.value(), n.span()),
            (None, Some(a)) => (a.to_string(), a.span()),
            (None, None) => (ident.to_string(), ident.span()),
        };
        return Ok(FnItem {
            attrs,
            vis,
            unsafety,
            ident,
            c_name,
            sig: None,
            opts,
        });
    }
    let f: ForeignItemFn = input.parse()?;
    let attrs = f.attrs.clone();
    let (keep, opts) = take_options(attrs)?;
    FnItem::from_foreign(ForeignItemFn { attrs: keep, ..f }, opts)
}

/// Parses the item under `#[ffi_auto(args)]`.
///
/// # Errors
/// When the item is not a body-less function, or an option is wrong.
pub fn parse_attribute_item(args: TokenStream, item: TokenStream) -> syn::Result<FnItem> {
    let opts = parse_args(args)?;
    let f: ForeignItemFn = syn::parse2(item).map_err(|e| {
        syn::Error::new(
            e.span(),
            "#[ffi_auto] goes on a function without a body: `fn strlen(s: &CStr) -> usize;`",
        )
    })?;
    FnItem::from_foreign(f, opts)
}
