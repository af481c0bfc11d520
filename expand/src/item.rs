//! What the user wrote: a body-less function, or a `defcfuns!` entry.

use proc_macro2::{Span, TokenStream};
use syn::parse::discouraged::Speculative;
use syn::parse::{Parse, ParseStream};
use syn::{
    Attribute, FnArg, ForeignItemFn, Ident, ItemStruct, Pat, ReturnType, Token, Type, Visibility,
};

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

/// A struct to generate from its header (`struct timeval;`), or a `#[repr(C)]` struct the
/// user wrote, to check against the header.
pub struct StructItem {
    /// The Rust name.
    pub ident: Ident,
    /// The C name (tag or typedef name) and where it was written.
    pub c_name: (String, Span),
    /// The struct as written, without `#[ffi_auto]` attributes; its fields are checked when it
    /// has any.
    pub item: ItemStruct,
    /// This item's own options.
    pub opts: Options,
}

impl StructItem {
    /// Whether the user wrote fields (to check) rather than a bare `struct name;`.
    pub fn has_fields(&self) -> bool {
        !matches!(self.item.fields, syn::Fields::Unit)
    }
}

/// A constant to define from the header: `const O_RDONLY;` (typed from the header) or
/// `const O_RDONLY: c_int;` (checked).
pub struct ConstItem {
    /// Attributes to keep.
    pub attrs: Vec<Attribute>,
    /// Visibility.
    pub vis: Visibility,
    /// The Rust name.
    pub ident: Ident,
    /// The C name and where it was written.
    pub c_name: (String, Span),
    /// The type, when written.
    pub ty: Option<Type>,
    /// This item's own options.
    pub opts: Options,
}

/// A global variable: `static timezone: c_long;` or `static mut environ: *mut *mut c_char;`,
/// checked against the header's declaration.
pub struct StaticItem {
    /// Attributes to keep.
    pub attrs: Vec<Attribute>,
    /// Visibility.
    pub vis: Visibility,
    /// `static mut`: C may change it and so may Rust.
    pub mutable: bool,
    /// The Rust name.
    pub ident: Ident,
    /// The C name and where it was written.
    pub c_name: (String, Span),
    /// The type.
    pub ty: Type,
    /// This item's own options.
    pub opts: Options,
}

/// One item of a `defcfuns!` block, or under `#[ffi_auto]`.
pub enum Entry {
    /// A function.
    Fn(FnItem),
    /// A struct or union.
    Struct(StructItem),
    /// A constant.
    Const(ConstItem),
    /// A global variable.
    Static(StaticItem),
}

impl Entry {
    /// The item's own options.
    pub fn opts(&self) -> &Options {
        match self {
            Entry::Fn(f) => &f.opts,
            Entry::Struct(s) => &s.opts,
            Entry::Const(c) => &c.opts,
            Entry::Static(g) => &g.opts,
        }
    }

    /// The item's `#[cfg(...)]` attributes: it is checked and emitted only where they hold.
    pub fn cfgs(&self) -> Vec<&Attribute> {
        let attrs = match self {
            Entry::Fn(f) => &f.attrs,
            Entry::Struct(s) => &s.item.attrs,
            Entry::Const(c) => &c.attrs,
            Entry::Static(g) => &g.attrs,
        };
        attrs.iter().filter(|a| is_cfg(a)).collect()
    }

    /// The Rust name.
    pub fn ident(&self) -> &Ident {
        match self {
            Entry::Fn(f) => &f.ident,
            Entry::Struct(s) => &s.ident,
            Entry::Const(c) => &c.ident,
            Entry::Static(g) => &g.ident,
        }
    }
}

/// `[attrs] [vis] static [mut] NAME: Type;`
fn static_entry(item: syn::ForeignItemStatic, extra: Options) -> syn::Result<Entry> {
    let (attrs, opts) = take_options(item.attrs)?;
    let opts = merge_own(opts, extra);
    Ok(Entry::Static(StaticItem {
        attrs,
        vis: item.vis,
        mutable: matches!(item.mutability, syn::StaticMutability::Mut(_)),
        c_name: c_name(&opts, &item.ident),
        ident: item.ident,
        ty: *item.ty,
        opts,
    }))
}

fn c_name(opts: &Options, ident: &Ident) -> (String, Span) {
    opts.name.as_ref().map_or_else(
        || (ident.to_string(), ident.span()),
        |n| (n.value(), n.span()),
    )
}

fn struct_entry(mut item: ItemStruct, extra: Options) -> syn::Result<Entry> {
    let (attrs, opts) = take_options(std::mem::take(&mut item.attrs))?;
    item.attrs = attrs;
    let opts = merge_own(opts, extra);
    Ok(Entry::Struct(StructItem {
        ident: item.ident.clone(),
        c_name: c_name(&opts, &item.ident),
        item,
        opts,
    }))
}

/// Options given in the attribute's arguments and in `#[ffi_auto(...)]` attributes of the
/// item itself.
fn merge_own(mut a: Options, b: Options) -> Options {
    if a.name.is_none() {
        a.name = b.name;
    }
    if a.lib.is_none() {
        a.lib = b.lib;
    }
    a.headers.extend(b.headers);
    a.includes.extend(b.includes);
    a.defines.extend(b.defines);
    a.pkg_config.extend(b.pkg_config);
    a.lazy |= b.lazy;
    a.dynamic |= b.dynamic;
    if a.errno.is_none() {
        a.errno = b.errno;
    }
    if a.krate.is_none() {
        a.krate = b.krate;
    }
    a
}

/// `[attrs] [vis] const NAME [: Type];`
fn parse_const(input: ParseStream<'_>, extra: Options) -> syn::Result<Entry> {
    let attrs = input.call(Attribute::parse_outer)?;
    let vis: Visibility = input.parse()?;
    input.parse::<Token![const]>()?;
    let ident: Ident = input.parse()?;
    let ty = if input.peek(Token![:]) {
        input.parse::<Token![:]>()?;
        Some(input.parse::<Type>()?)
    } else {
        None
    };
    if input.peek(Token![=]) {
        return Err(input.error(
            "ffi-auto takes the constant's value from the header: write `const NAME;` or `const NAME: Type;` without `= value`",
        ));
    }
    input.parse::<Token![;]>()?;
    let (attrs, opts) = take_options(attrs)?;
    let opts = merge_own(opts, extra);
    Ok(Entry::Const(ConstItem {
        attrs,
        vis,
        c_name: c_name(&opts, &ident),
        ident,
        ty,
        opts,
    }))
}

/// A signature as the user wrote it.
#[derive(Clone)]
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
    /// The `#![ffi_auto(...)]` attributes as written, repeated in the nested invocations of
    /// `#[cfg]`-gated entries.
    pub shared_attrs: Vec<Attribute>,
    /// Structs declared by the enclosing block, by C name: a nested invocation of gated
    /// entries (`#![__ffi_auto_types("timeval" = timeval)]`) refers to them as its own.
    pub declared: Vec<(String, Ident)>,
    /// The entries.
    pub entries: Vec<Entry>,
    /// Each entry's tokens as written, in the order of `entries`.
    pub written: Vec<TokenStream>,
}

/// The attribute that carries the enclosing block's structs into a nested invocation.
pub const TYPES_ATTR: &str = "__ffi_auto_types";

impl Parse for Block {
    fn parse(input: ParseStream<'_>) -> syn::Result<Block> {
        let mut shared = Options::default();
        let mut shared_attrs = Vec::new();
        let mut declared = Vec::new();
        for a in input.call(Attribute::parse_inner)? {
            if a.path().is_ident("ffi_auto") {
                a.parse_nested_meta(|meta| shared.parse_meta(&meta))?;
                shared_attrs.push(a);
            } else if a.path().is_ident(TYPES_ATTR) {
                let pair = |p: ParseStream<'_>| -> syn::Result<(syn::LitStr, Ident)> {
                    let c: syn::LitStr = p.parse()?;
                    p.parse::<Token![=]>()?;
                    Ok((c, p.parse()?))
                };
                let pairs = a.parse_args_with(|p: ParseStream<'_>| {
                    syn::punctuated::Punctuated::<_, Token![,]>::parse_terminated_with(p, pair)
                })?;
                declared.extend(pairs.into_iter().map(|(c, i)| (c.value(), i)));
            } else {
                return Err(syn::Error::new_spanned(
                    a,
                    "only `#![ffi_auto(...)]` options may start a `defcfuns!` block",
                ));
            }
        }
        let mut entries = Vec::new();
        let mut written = Vec::new();
        while !input.is_empty() {
            let start = input.cursor();
            entries.push(parse_entry(input)?);
            let end = input.cursor();
            let mut tokens = TokenStream::new();
            let mut c = start;
            while c < end {
                let Some((tt, next)) = c.token_tree() else {
                    break;
                };
                tokens.extend([tt]);
                c = next;
            }
            written.push(tokens);
        }
        Ok(Block {
            shared,
            shared_attrs,
            declared,
            entries,
            written,
        })
    }
}

/// Whether an attribute is `#[cfg(...)]`.
pub fn is_cfg(a: &Attribute) -> bool {
    a.path().is_ident("cfg")
}

/// An item's leading `#[cfg(...)]` attributes, and the item without them (its other
/// attributes kept in order).
///
/// # Errors
/// Tokens that do not start with outer attributes.
pub fn split_cfg(tokens: TokenStream) -> syn::Result<(Vec<Attribute>, TokenStream)> {
    syn::parse::Parser::parse2(
        |input: ParseStream<'_>| {
            let (cfgs, keep): (Vec<Attribute>, Vec<Attribute>) = input
                .call(Attribute::parse_outer)?
                .into_iter()
                .partition(is_cfg);
            let rest: TokenStream = input.parse()?;
            Ok((cfgs, quote::quote!(#(#keep)* #rest)))
        },
        tokens,
    )
}

/// `[attrs] [vis] [unsafe] fn name;`, `... fn rust_name = c_name;`, a full signature,
/// `struct name;` (or a struct with fields, to check), or `const NAME [: Type];`.
fn parse_entry(input: ParseStream<'_>) -> syn::Result<Entry> {
    let fork = input.fork();
    let attrs = fork.call(Attribute::parse_outer)?;
    let vis: Visibility = fork.parse()?;
    if fork.peek(Token![struct]) || fork.peek(Token![union]) {
        if fork.peek(Token![union]) {
            return Err(fork.error(
                "write a union as `struct name;`: ffi-auto generates a `union` when the header says so",
            ));
        }
        let item: ItemStruct = input.parse()?;
        return struct_entry(item, Options::default());
    }
    if fork.peek(Token![const]) {
        return parse_const(input, Options::default());
    }
    if fork.peek(Token![static]) {
        let item: syn::ForeignItemStatic = input.parse().map_err(|e| {
            syn::Error::new(
                e.span(),
                format!("{e}; a global is `static NAME: Type;` or `static mut NAME: Type;`, with no value"),
            )
        })?;
        return static_entry(item, Options::default());
    }
    parse_fn_entry(input, fork, attrs, vis).map(Entry::Fn)
}

fn parse_fn_entry(
    input: ParseStream<'_>,
    fork: syn::parse::ParseBuffer<'_>,
    attrs: Vec<Attribute>,
    vis: Visibility,
) -> syn::Result<FnItem> {
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
/// When the item is not a body-less function, a struct or a constant, or an option is wrong.
pub fn parse_attribute_item(args: TokenStream, item: TokenStream) -> syn::Result<Entry> {
    let opts = parse_args(args)?;
    if let Ok(f) = syn::parse2::<ForeignItemFn>(item.clone()) {
        return FnItem::from_foreign(f, opts).map(Entry::Fn);
    }
    if let Ok(s) = syn::parse2::<ItemStruct>(item.clone()) {
        return struct_entry(s, opts);
    }
    if let Ok(g) = syn::parse2::<syn::ForeignItemStatic>(item.clone()) {
        return static_entry(g, opts);
    }
    let as_const = syn::parse::Parser::parse2(
        |input: ParseStream<'_>| parse_const(input, opts.clone()),
        item.clone(),
    );
    match as_const {
        Ok(c) => Ok(c),
        Err(e) if item.to_string().contains("const") => Err(e),
        Err(e) => Err(syn::Error::new(
            e.span(),
            "#[ffi_auto] goes on a function without a body (`fn strlen(s: &CStr) -> usize;`), a struct (`struct timeval;`, or a `#[repr(C)]` struct to check), a constant (`const O_RDONLY: c_int;`) or a global (`static timezone: c_long;`)",
        )),
    }
}
