//! The expansion of `#[ffi_auto]` and `defcfuns!`: parse the user's item, look up the C
//! declaration, check, emit. An ordinary library, so that all of it runs in plain tests; the
//! proc-macro crate only forwards to [`ffi_auto`] and [`defcfuns`].

mod check;
mod emit;
mod item;
mod options;
mod types;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::{Arc, LazyLock, Mutex, PoisonError};

use ffi_auto_sig::DataModel;
use proc_macro2::{Span, TokenStream};
use quote::quote;
use syn::spanned::Spanned;
use syn::{Ident, ReturnType, Type};

pub use check::{Ty, classify};
pub use item::{Block, ConstItem, Entry, FnItem, StructItem, UserSig};
pub use options::Options;

use ffi_auto_discovery::Catalog;
use ffi_auto_discovery::Decl;
use ffi_auto_discovery::Discovery;
use ffi_auto_discovery::DiscoveryError;
use ffi_auto_discovery::HeaderSet;
use ffi_auto_sig::did_you_mean;

/// Where a macro is expanded: the file it is written in (relative headers resolve against its
/// directory, like C's `#include "..."`), the crate's manifest directory, and the target's data
/// model.
#[derive(Clone, Debug)]
pub struct Context {
    /// The source file of the invocation, when the compiler says.
    pub source_file: Option<PathBuf>,
    /// `CARGO_MANIFEST_DIR`.
    pub manifest_dir: Option<PathBuf>,
    /// Sizes of C types (the host's: a proc macro cannot see the target).
    pub data_model: DataModel,
    /// A database written by the build script (`FFI_AUTO_DB`), used when an invocation names
    /// no headers of its own.
    pub build_database: Option<PathBuf>,
}

impl Context {
    /// The context of the current compilation.
    pub fn new(source_file: Option<PathBuf>) -> Context {
        Context {
            source_file,
            manifest_dir: std::env::var_os("CARGO_MANIFEST_DIR").map(PathBuf::from),
            data_model: DataModel::native(),
            build_database: std::env::var_os("FFI_AUTO_DB").map(PathBuf::from),
        }
    }

    fn resolve(&self, p: &str, want_dir: bool) -> String {
        let path = Path::new(p);
        if path.is_absolute() {
            return p.to_owned();
        }
        let bases = self
            .source_file
            .as_ref()
            .and_then(|f| f.parent().map(Path::to_path_buf))
            .into_iter()
            .chain(self.manifest_dir.clone());
        for base in bases {
            let cand = base.join(path);
            if (want_dir && cand.is_dir()) || (!want_dir && cand.is_file()) {
                return std::fs::canonicalize(&cand)
                    .unwrap_or(cand)
                    .display()
                    .to_string();
            }
        }
        p.to_owned()
    }

    /// The header set an invocation's options describe.
    pub fn header_set(&self, opts: &Options) -> HeaderSet {
        let mut set = HeaderSet::system();
        for h in &opts.headers {
            set = set.header(self.resolve(&h.value(), false));
        }
        for d in &opts.includes {
            set = set.include(self.resolve(&d.value(), true));
        }
        for d in &opts.defines {
            let v = d.value();
            set = match v.split_once('=') {
                Some((n, val)) => set.define(n, Some(val)),
                None => set.define(v, None),
            };
        }
        for p in &opts.pkg_config {
            set = set.pkg_config(p.value());
        }
        set
    }
}

/// Databases written by build scripts, by path (one rustc process expands many macros).
type BuildDatabase = (PathBuf, Arc<Catalog>, HeaderSet);

static BUILD_DATABASES: LazyLock<Mutex<Vec<BuildDatabase>>> = LazyLock::new(Mutex::default);

/// The declarations an invocation sees, and the set they are for.
fn catalog(opts: &Options, ctx: &Context) -> Result<(Arc<Catalog>, HeaderSet), DiscoveryError> {
    if let (Some(db), false) = (&ctx.build_database, opts.names_headers()) {
        let mut cache = BUILD_DATABASES
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if let Some((_, c, set)) = cache.iter().find(|(p, _, _)| p == db) {
            return Ok((c.clone(), set.clone()));
        }
        // The build script wrote it (and reported any staleness); it may come from a
        // committed database made with another libclang, or none on this machine.
        match ffi_auto_discovery::db::load_built(db) {
            Ok((stored, key)) => {
                let c = Arc::new(Catalog::from(stored));
                cache.push((db.clone(), c.clone(), key.set.clone()));
                return Ok((c, key.set));
            }
            Err(why) => {
                return Err(DiscoveryError::Database {
                    path: db.clone(),
                    reason: why.to_string(),
                    hint: "the build script wrote it for these macros: run `cargo clean -p <this crate>` and build again".to_owned(),
                });
            }
        }
    }
    let set = ctx.header_set(opts);
    Ok((Discovery::new().catalog(&set)?, set))
}

/// `#[ffi_auto(args)] item`, errors included in the tokens: what the proc macro returns.
pub fn ffi_auto_tokens(args: TokenStream, item: TokenStream, ctx: &Context) -> TokenStream {
    ffi_auto(args, item, ctx).unwrap_or_else(syn::Error::into_compile_error)
}

/// `defcfuns! { ... }`, errors included in the tokens: what the proc macro returns.
pub fn defcfuns_tokens(input: TokenStream, ctx: &Context) -> TokenStream {
    defcfuns(input, ctx).unwrap_or_else(syn::Error::into_compile_error)
}

/// `#[ffi_auto(args)] item`.
///
/// # Errors
/// Only for items and options that cannot be read at all; every other problem is reported in
/// the returned tokens (with a stub), so that a build reports all of them at once.
pub fn ffi_auto(args: TokenStream, item: TokenStream, ctx: &Context) -> syn::Result<TokenStream> {
    let entry = item::parse_attribute_item(args.clone(), item.clone())?;
    if !entry.cfgs().is_empty() {
        // rustc evaluates `#[cfg]` before attribute macros whatever the order, so this is a
        // guard: put the cfg first and let the compiler decide.
        let (cfgs, rest) = item::split_cfg(item)?;
        let k = krate(entry.opts());
        return Ok(quote!(#(#cfgs)* #[#k::ffi_auto(#args)] #rest));
    }
    entry.opts().validate(entry.ident().span())?;
    let opts = entry.opts().clone();
    let mut headers = BTreeSet::new();
    let mut notes = BTreeSet::new();
    let mut types = declared_types([&entry]);
    same_type_names(&mut types, &entry, &opts, ctx);
    let mut out = expand_entry(&entry, &opts, ctx, &types, &mut headers, &mut notes);
    out.extend(emit::track_headers(&headers));
    out.extend(warnings(&notes));
    Ok(out)
}

/// The structs an invocation declares, by C name.
fn declared_types<'a>(entries: impl IntoIterator<Item = &'a Entry>) -> types::Types {
    entries
        .into_iter()
        .filter_map(|e| match e {
            Entry::Struct(s) => Some((
                ffi_auto_discovery::tag_name(&s.c_name.0).to_owned(),
                s.ident.clone(),
            )),
            _ => None,
        })
        .collect()
}

/// A struct and its typedef are one type: `struct node;` for `typedef struct _node {...}
/// node;` also names `struct _node` (its own `next` pointers, functions declared with the
/// tag), and `struct _node;` the typedef.
fn same_type_names(types: &mut types::Types, entry: &Entry, opts: &Options, ctx: &Context) {
    let Entry::Struct(s) = entry else { return };
    let key = ffi_auto_discovery::tag_name(&s.c_name.0);
    let Ok((catalog, _)) = catalog(opts, ctx) else {
        return;
    };
    if let Some(tag) = catalog.record(key).and_then(|r| r.name.clone())
        && tag != key
    {
        types.entry(tag).or_insert_with(|| s.ident.clone());
    }
}

fn expand_entry(
    entry: &Entry,
    opts: &Options,
    ctx: &Context,
    types: &types::Types,
    headers: &mut BTreeSet<PathBuf>,
    notes: &mut BTreeSet<String>,
) -> TokenStream {
    match entry {
        Entry::Fn(f) => expand_item(f, opts, ctx, types, headers, notes),
        Entry::Struct(s) => match catalog(opts, ctx) {
            Ok((c, set)) => {
                types::expand_struct(s, &c, &set, types, &ctx.data_model, &krate(opts), headers)
            }
            Err(e) => syn::Error::new(s.c_name.1, e.to_string()).into_compile_error(),
        },
        Entry::Const(k) => match catalog(opts, ctx) {
            Ok((c, set)) => types::expand_const(k, &c, &set, &ctx.data_model, headers),
            Err(e) => syn::Error::new(k.c_name.1, e.to_string()).into_compile_error(),
        },
        Entry::Static(g) => match (catalog(opts, ctx), pkg_config_links(opts, notes)) {
            (Ok((c, set)), Ok(links)) => {
                expand_static(g, opts, &c, &set, ctx, types, links, headers)
            }
            (Err(e), _) | (_, Err(e)) => {
                syn::Error::new(g.c_name.1, e.to_string()).into_compile_error()
            }
        },
    }
}

/// `static NAME: Type;` / `static mut NAME: Type;`: the header's global, its type checked,
/// declared in an `extern` block under its linker name.
#[allow(clippy::too_many_arguments)]
fn expand_static(
    g: &item::StaticItem,
    opts: &Options,
    catalog: &Catalog,
    set: &HeaderSet,
    ctx: &Context,
    types: &types::Types,
    links: Vec<String>,
    headers: &mut BTreeSet<PathBuf>,
) -> TokenStream {
    let (c_name, span) = &g.c_name;
    let Some(global) = catalog.global(c_name) else {
        return no_global(c_name, *span, catalog, set).into_compile_error();
    };
    headers.insert(global.header.clone());
    let at = format!("{}:{}", global.header.display(), global.line);
    if let Err(e) = check_static(g, &global, &at, ctx, types) {
        return e.into_compile_error();
    }
    let item::StaticItem {
        attrs,
        vis,
        ident,
        ty,
        ..
    } = g;
    let link_name = global.symbol();
    let mutability = g.mutable.then(|| quote::quote!(mut));
    let link = opts
        .lib
        .iter()
        .map(syn::LitStr::value)
        .filter(|_| !opts.lazy)
        .chain(links)
        .map(|l| quote::quote!(#[link(name = #l)]));
    let doc = format!("`{}` ({at}).", global.ty);
    quote::quote! {
        #(#link)*
        unsafe extern "C" {
            #[doc = #doc]
            #(#attrs)*
            #[link_name = #link_name]
            #vis static #mutability #ident: #ty;
        }
    }
}

/// The error for a `static` entry no header declares, with what the name is instead.
fn no_global(c_name: &str, span: Span, catalog: &Catalog, set: &HeaderSet) -> syn::Error {
    let maybe = did_you_mean(&ffi_auto_sig::closest(
        c_name,
        catalog.global_names().iter().map(String::as_str),
    ));
    let also = if catalog.function(c_name).is_some() {
        format!("\nhint: `{c_name}` is a function: declare it with `fn`")
    } else if catalog.constant(c_name).is_some() {
        format!("\nhint: `{c_name}` is a constant: declare it with `const`")
    } else {
        "\nhint: name the header that declares it (`extern T name;`) with `header = \"...\"`"
            .to_owned()
    };
    syn::Error::new(
        span,
        format!(
            "no global variable `{c_name}` in {}{maybe}{also}",
            set.describe()
        ),
    )
}

/// A `static` entry against the global's declaration (at `at`): its type, and `mut` exactly
/// when C may change it.
fn check_static(
    g: &item::StaticItem,
    global: &ffi_auto_discovery::Global,
    at: &str,
    ctx: &Context,
    types: &types::Types,
) -> Result<(), syn::Error> {
    let c_name = &g.c_name.0;
    if let Err(why) = check::global_type(&g.ty, &global.ty, &ctx.data_model, types) {
        return Err(syn::Error::new(
            g.ty.span(),
            format!("`{c_name}` ({at}): {why}"),
        ));
    }
    if !g.mutable && !global.is_const {
        // An immutable extern static must never change while Rust runs; C may change this one
        // at any time (`tzset` writes `timezone`), so Rust must not assume it constant.
        return Err(syn::Error::new(
            g.c_name.1,
            format!(
                "`{c_name}` is not `const` in C ({at}): C may change it, so declare it `static mut` (each access is then `unsafe`)"
            ),
        ));
    }
    if g.mutable && global.is_const {
        return Err(syn::Error::new(
            g.c_name.1,
            format!("`{c_name}` is `const` in C ({at}): declare it `static`, not `static mut`"),
        ));
    }
    Ok(())
}

/// `defcfuns! { #![ffi_auto(shared options)] entries... }`.
///
/// Entries under `#[cfg(...)]` are not checked here: each set of them with the same cfg
/// becomes a nested `defcfuns!` with the block's options, under that cfg, which the compiler
/// expands (and checks) only where the cfg holds. Those entries see the block's other structs;
/// the other entries do not see theirs.
///
/// # Errors
/// As [`ffi_auto`].
pub fn defcfuns(input: TokenStream, ctx: &Context) -> syn::Result<TokenStream> {
    let block: Block = syn::parse2(input)?;
    let mut out = TokenStream::new();
    let mut headers = BTreeSet::new();
    let mut notes = BTreeSet::new();
    let open = || block.entries.iter().filter(|e| e.cfgs().is_empty());
    let mut types = declared_types(open());
    types.extend(block.declared.iter().cloned());
    for e in open() {
        let opts = e.opts().clone().over(&block.shared);
        same_type_names(&mut types, e, &opts, ctx);
    }
    for e in open() {
        let opts = e.opts().clone().over(&block.shared);
        opts.validate(e.ident().span())?;
        out.extend(expand_entry(
            e,
            &opts,
            ctx,
            &types,
            &mut headers,
            &mut notes,
        ));
    }
    out.extend(gated(&block, &types)?);
    out.extend(emit::track_headers(&headers));
    out.extend(warnings(&notes));
    Ok(out)
}

/// The `#[cfg]`-gated entries of a block: one nested `defcfuns!` per cfg and crate path,
/// carrying the block's options and the structs `types` it declares.
fn gated(block: &Block, types: &types::Types) -> syn::Result<TokenStream> {
    // (cfg attributes and crate path as text, the cfgs, the crate path, the entries)
    let mut groups: Vec<(String, Vec<syn::Attribute>, syn::Path, Vec<TokenStream>)> = Vec::new();
    for (e, written) in block.entries.iter().zip(&block.written) {
        if e.cfgs().is_empty() {
            continue;
        }
        let (cfgs, entry) = item::split_cfg(written.clone())?;
        let k = krate(&e.opts().clone().over(&block.shared));
        let key = quote!(#(#cfgs)* #k).to_string();
        match groups.iter_mut().find(|g| g.0 == key) {
            Some(g) => g.3.push(entry),
            None => groups.push((key, cfgs, k, vec![entry])),
        }
    }
    let mut declared: Vec<(&String, &Ident)> = types.iter().collect();
    declared.sort();
    let types_attr = (!declared.is_empty()).then(|| {
        let name = Ident::new(item::TYPES_ATTR, Span::call_site());
        let (c, rust): (Vec<_>, Vec<_>) = declared.into_iter().unzip();
        quote!(#![#name(#(#c = #rust),*)])
    });
    let shared = &block.shared_attrs;
    Ok(groups
        .into_iter()
        .map(|(_, cfgs, k, entries)| {
            quote! {
                #(#cfgs)*
                #k::defcfuns! {
                    #(#shared)*
                    #types_attr
                    #(#entries)*
                }
            }
        })
        .collect())
}

/// Warnings (`notes`) the build shows, as the unchecked-signature one: a use of a deprecated
/// item.
fn warnings(notes: &BTreeSet<String>) -> TokenStream {
    quote! {
        #(const _: () = {
            #[deprecated(note = #notes)]
            struct FfiAutoLinkSearchPath;
            let _ = FfiAutoLinkSearchPath;
        };)*
    }
}

/// The libraries an invocation's `pkg_config` packages link, without `opts.lib` (linked
/// already) and nothing when `lazy`; directories that `#[link]` cannot name go to `notes`.
fn pkg_config_links(
    opts: &Options,
    notes: &mut BTreeSet<String>,
) -> Result<Vec<String>, DiscoveryError> {
    let mut links: Vec<String> = Vec::new();
    if opts.lazy {
        return Ok(links);
    }
    for pkg in &opts.pkg_config {
        let pkg = pkg.value();
        let p = ffi_auto_discovery::pkg_config(&pkg)?;
        for d in p.link_paths.iter().map(|d| d.display()) {
            notes.insert(format!(
                "ffi-auto: pkg-config links `{pkg}` from {d}, which `#[link]` cannot name, so the linker may not find it: link the package from a build script (`ffi_auto_discovery::Builder::pkg_config(\"{pkg}\")`, or `cargo:rustc-link-search=native={d}`), and leave `pkg_config` out of the macro's options"
            ));
        }
        for l in p.libs {
            if opts.lib.as_ref().is_none_or(|lib| lib.value() != l) && !links.contains(&l) {
                links.push(l);
            }
        }
    }
    Ok(links)
}

fn krate(opts: &Options) -> syn::Path {
    opts.krate
        .clone()
        .unwrap_or_else(|| syn::parse_quote!(::ffi_auto))
}

fn user_params(item: &FnItem) -> Vec<(Ident, Type)> {
    item.sig
        .as_ref()
        .map(|s| s.inputs.clone())
        .unwrap_or_default()
}

fn user_ret(item: &FnItem) -> Option<&Type> {
    match item.sig.as_ref().map(|s| &s.output) {
        Some(ReturnType::Type(_, t)) => Some(t),
        _ => None,
    }
}

/// Errors, and a stub with the user's signature (for name-only entries, nothing can be
/// stubbed: there is no signature).
fn fail(item: &FnItem, errors: Vec<syn::Error>) -> TokenStream {
    let mut all = errors.into_iter();
    let mut err = all
        .next()
        .unwrap_or_else(|| syn::Error::new(Span::call_site(), "ffi-auto failed"));
    for e in all {
        err.combine(e);
    }
    let mut out = err.into_compile_error();
    if item.sig.is_some() && item.sig.as_ref().is_some_and(|s| s.variadic.is_none()) {
        out.extend(emit::stub(
            &item.attrs,
            &item.vis,
            item.unsafety.is_some(),
            &item.ident,
            &user_params(item),
            user_ret(item),
        ));
    }
    out
}

/// One function; the headers its declaration came from are added to `headers`.
fn expand_item(
    item: &FnItem,
    opts: &Options,
    ctx: &Context,
    types: &types::Types,
    headers: &mut BTreeSet<PathBuf>,
    notes: &mut BTreeSet<String>,
) -> TokenStream {
    let krate = krate(opts);
    let (c_name, c_span) = &item.c_name;
    let (catalog, set) = match catalog(opts, ctx) {
        Ok(c) => c,
        Err(e) => return fail(item, vec![syn::Error::new(*c_span, e.to_string())]),
    };
    let links = match pkg_config_links(opts, notes) {
        Ok(l) => l,
        Err(e) => return fail(item, vec![syn::Error::new(*c_span, e.to_string())]),
    };
    match catalog.lookup(&set, c_name) {
        Ok(decl) => {
            headers.insert(decl.header.clone());
            // Rust has no type with `long double`'s ABI (nor a struct holding one): a
            // name-only entry of such a function calls it through the runtime, which passes
            // it as `LongDouble` (or as the struct, through libffi).
            let ld = check::holds_long_double;
            if item.sig.is_none()
                && (ld(&decl.signature.ret) || decl.signature.params.iter().any(|p| ld(&p.ty)))
            {
                return dynamic(item, opts, &krate);
            }
            found(item, opts, &decl, ctx, types, &krate, links)
        }
        Err(DiscoveryError::NotFound { closest, .. }) => {
            let maybe = did_you_mean(&closest);
            if item.sig.is_some() {
                unchecked(item, opts, &set, &maybe, ctx, &krate, links)
            } else if opts.dynamic {
                dynamic(item, opts, &krate)
            } else {
                fail(
                    item,
                    vec![syn::Error::new(
                        *c_span,
                        format!(
                            "no declaration of `{c_name}` in {}{maybe}\nhint: name the header that declares it, `#[ffi_auto(header = \"foo.h\")]` (with `include = \"dir\"` if it is not in a system directory); or write its signature to use it unchecked, or add `dynamic` to find it at run time",
                            set.describe()
                        ),
                    )],
                )
            }
        }
        Err(e) => fail(item, vec![syn::Error::new(*c_span, e.to_string())]),
    }
}

/// `std::io::Result<T>` / `io::Result<T>` / `Result<T, io::Error>`: its `T`.
fn io_result_inner(ty: &Type) -> Option<&Type> {
    let Type::Path(p) = ty else { return None };
    let last = p.path.segments.last()?;
    if last.ident != "Result" {
        return None;
    }
    let syn::PathArguments::AngleBracketed(a) = &last.arguments else {
        return None;
    };
    let tys: Vec<&Type> = a
        .args
        .iter()
        .filter_map(|g| match g {
            syn::GenericArgument::Type(t) => Some(t),
            _ => None,
        })
        .collect();
    let io = |path: &syn::Path| path.segments.iter().any(|s| s.ident == "io");
    match tys.as_slice() {
        [t] if io(&p.path) => Some(t),
        [t, Type::Path(e)] if io(&e.path) && e.path.segments.last()?.ident == "Error" => Some(t),
        _ => None,
    }
}

/// How a wrapper returning `io::Result` decides failure, from the option and the C return.
fn errno_convention(
    opts: &Options,
    decl: &Decl,
    span: Span,
) -> Result<emit::ErrnoConv, syn::Error> {
    let set = opts.errno.as_ref().is_some_and(|e| e.value() == "set");
    if set {
        return Ok(emit::ErrnoConv::Set);
    }
    let ret = &decl.signature.ret;
    if ret.is_pointer() {
        return Ok(emit::ErrnoConv::Null);
    }
    if let ffi_auto_sig::CType::Int(k) = ret.canonical()
        && k.is_signed(&DataModel::native())
    {
        return Ok(emit::ErrnoConv::MinusOne);
    }
    Err(syn::Error::new(
        span,
        format!(
            "`{}` returns `{ret}`, which has no -1 or null to mean failure\nhint: add `#[ffi_auto(errno = \"set\")]`: errno is cleared before the call and failure is errno set after it",
            decl.name
        ),
    ))
}

/// A declaration was found: check the user's signature, or write one.
fn found(
    item: &FnItem,
    opts: &Options,
    decl: &Decl,
    ctx: &Context,
    types: &types::Types,
    krate: &syn::Path,
    links: Vec<String>,
) -> TokenStream {
    let shape = match &item.sig {
        Some(user) => checked_shape(item, user, opts, decl, &ctx.data_model, types),
        None => generated_shape(item, opts, decl, &ctx.data_model, types),
    };
    let shape = match shape {
        Ok(s) => s,
        Err(errors) => return fail(item, errors),
    };
    let w = emit::Wrapper {
        attrs: item.attrs.clone(),
        vis: item.vis.clone(),
        is_unsafe: shape.is_unsafe,
        ident: item.ident.clone(),
        params: shape.params,
        variadic: emit::Variadic::of(shape.variadic, decl.signature.variadic),
        ret: shape.ret,
        link_name: decl.symbol().to_owned(),
        lib: opts.lib.as_ref().map(syn::LitStr::value),
        lazy: opts.lazy,
        links,
        c_sig: Some((decl.name.clone(), decl.signature.clone(), decl.location())),
        warning: None,
        errno: shape.errno,
    };
    emit::emit(&w, krate)
}

/// The Rust side of a wrapper of a declared function: its parameters, return, whether it is
/// variadic and `unsafe`, and how it reports errno.
struct Shape {
    params: Vec<(Ident, Type, Ty)>,
    ret: Option<Type>,
    variadic: bool,
    is_unsafe: bool,
    errno: Option<emit::ErrnoConv>,
}

/// The user's signature, checked against the declaration (an `io::Result<T>` return checked
/// as `T`, with the errno convention it asks for).
fn checked_shape(
    item: &FnItem,
    user: &UserSig,
    opts: &Options,
    decl: &Decl,
    dm: &DataModel,
    types: &types::Types,
) -> Result<Shape, Vec<syn::Error>> {
    let mut user = user.clone();
    let mut errno = None;
    if let ReturnType::Type(arrow, t) = &user.output
        && let Some(inner) = io_result_inner(t)
    {
        errno = Some(errno_convention(opts, decl, t.span()).map_err(|e| vec![e])?);
        user.output = if matches!(inner, Type::Tuple(t) if t.elems.is_empty()) {
            ReturnType::Default
        } else {
            ReturnType::Type(*arrow, Box::new(inner.clone()))
        };
    } else if let Some(e) = &opts.errno {
        return Err(vec![syn::Error::new(
            e.span(),
            "`errno` makes the wrapper return `std::io::Result<T>`: write that return type",
        )]);
    }
    let mismatches = check::check(&item.ident, &user, item.unsafety.is_some(), decl, dm, types);
    if !mismatches.is_empty() {
        return Err(mismatches
            .into_iter()
            .map(|m| syn::Error::new(m.span, m.message))
            .collect());
    }
    let params = user
        .inputs
        .iter()
        .map(|(n, t)| (n.clone(), t.clone(), classify(t, dm)))
        .collect();
    let ret = match &user.output {
        ReturnType::Type(_, t) => Some((**t).clone()),
        ReturnType::Default => None,
    };
    Ok(Shape {
        params,
        ret,
        variadic: user.variadic.is_some(),
        is_unsafe: item.unsafety.is_some(),
        errno,
    })
}

/// A name-only entry: the signature written from the declaration.
fn generated_shape(
    item: &FnItem,
    opts: &Options,
    decl: &Decl,
    dm: &DataModel,
    types: &types::Types,
) -> Result<Shape, Vec<syn::Error>> {
    let errno = if opts.errno.is_some() {
        Some(errno_convention(opts, decl, item.c_name.1).map_err(|e| vec![e])?)
    } else {
        None
    };
    let (params, ret) = generate(decl, types).map_err(|why| {
        vec![syn::Error::new(
            item.c_name.1,
            format!(
                "`{}` ({}) cannot have a typed wrapper: it uses {why}",
                decl.name,
                decl.location()
            ),
        )]
    })?;
    let params = params
        .into_iter()
        .map(|(n, t)| {
            let ty = classify(&t, dm);
            (n, t, ty)
        })
        .collect();
    Ok(Shape {
        params,
        ret,
        variadic: decl.signature.variadic,
        is_unsafe: ffi_auto_discovery::needs_unsafe(&decl.signature),
        errno,
    })
}

/// The Rust parameters and return type of a name-only entry, written from the C declaration.
type Generated = (Vec<(Ident, Type)>, Option<Type>);

fn generate(decl: &Decl, types: &types::Types) -> Result<Generated, String> {
    let mut params = Vec::new();
    for (i, p) in decl.signature.params.iter().enumerate() {
        let name = ffi_auto_discovery::param_name(p.name.as_deref(), i);
        let ident: Ident = syn::parse_str(&name).map_err(|e| e.to_string())?;
        let ty: Type =
            syn::parse2(emit::rust_type_with(&p.ty, false, types)?).map_err(|e| e.to_string())?;
        params.push((ident, ty));
    }
    let ret = if decl.signature.ret.is_void() {
        None
    } else {
        Some(
            syn::parse2(emit::rust_type_with(&decl.signature.ret, false, types)?)
                .map_err(|e| e.to_string())?,
        )
    };
    Ok((params, ret))
}

/// No header declares the name, but the user gave a signature: trust it, and say so.
fn unchecked(
    item: &FnItem,
    opts: &Options,
    set: &HeaderSet,
    maybe: &str,
    ctx: &Context,
    krate: &syn::Path,
    links: Vec<String>,
) -> TokenStream {
    let user = item
        .sig
        .as_ref()
        .expect("unchecked is only for written signatures");
    if let ReturnType::Type(_, t) = &user.output
        && io_result_inner(t).is_some()
    {
        return fail(
            item,
            vec![syn::Error::new(
                t.span(),
                format!(
                    "no header declares `{}` (searched {}){maybe}, and an `io::Result` wrapper needs the C declaration to know how the function reports failure\nhint: name the header with `header = \"...\"`",
                    item.c_name.0,
                    set.describe()
                ),
            )],
        );
    }
    let dm = &ctx.data_model;
    if item.unsafety.is_none() {
        return fail(
            item,
            vec![syn::Error::new(
                item.ident.span(),
                format!(
                    "no header declares `{}` (searched {}){maybe}, so nothing checks this signature: its wrapper must be `unsafe fn`, with you vouching for it\nhint: write `unsafe fn {}`; or name the header that declares it, `#[ffi_auto(header = \"foo.h\")]`, and a checked signature may be a safe `fn`",
                    item.c_name.0,
                    set.describe(),
                    item.ident
                ),
            )],
        );
    }
    let params = user
        .inputs
        .iter()
        .map(|(n, t)| (n.clone(), t.clone(), classify(t, dm)))
        .collect();
    let w = emit::Wrapper {
        attrs: item.attrs.clone(),
        vis: item.vis.clone(),
        is_unsafe: item.unsafety.is_some(),
        ident: item.ident.clone(),
        params,
        variadic: emit::Variadic::of(user.variadic.is_some(), user.variadic.is_some()),
        ret: user_ret(item).cloned(),
        link_name: item.c_name.0.clone(),
        lib: opts.lib.as_ref().map(syn::LitStr::value),
        lazy: opts.lazy,
        links,
        c_sig: None,
        warning: Some(format!(
            "ffi-auto: no header declares `{}` (searched {}){maybe}, so this signature is NOT checked; name the header with `header = \"...\"` to check it",
            item.c_name.0,
            set.describe()
        )),
        errno: None,
    };
    emit::emit(&w, krate)
}

/// No header declares the name and no signature was given, but `dynamic` asks for a wrapper
/// that finds it at run time.
fn dynamic(item: &FnItem, opts: &Options, krate: &syn::Path) -> TokenStream {
    let (vis, ident, attrs) = (&item.vis, &item.ident, &item.attrs);
    let name = &item.c_name.0;
    let target = match &opts.lib {
        Some(l) => quote!((#name, #l)),
        None => quote!(#name),
    };
    // Through `__dynamic_item!`: without the runtime's `dynamic` feature, a compile error that
    // names it, instead of errors about `ffi_call` not existing.
    quote! {
        #krate::__dynamic_item! {
            #(#attrs)*
            #vis fn #ident<R: #krate::FromRet>(args: impl #krate::SafeArgs) -> ::core::result::Result<R, #krate::Error> {
                #krate::ffi_call(#target, args)
            }
        }
    }
}
