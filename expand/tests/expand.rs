//! The expansion, without a compiler: tokens in, tokens out. Each expansion is parsed back
//! as Rust items and checked by its structure (the `ast` helpers below), never by substrings
//! of its text; only messages (`compile_error!`, warnings, errors) are searched as text.

use std::path::PathBuf;

use ffi_auto_expand::{self as expand, Context};
use quote::quote;

fn ctx() -> Context {
    let mut c = Context::new(Some(PathBuf::from(file!())));
    c.manifest_dir = Some(PathBuf::from(env!("CARGO_MANIFEST_DIR")));
    c.build_database = None;
    c
}

fn fixture_header() -> String {
    ffi_auto_fixture::header().display().to_string()
}

/// Reading an expansion as Rust syntax: the items it declares, not the text they print as.
mod ast {
    use proc_macro2::{TokenStream, TokenTree};
    use quote::ToTokens;
    use syn::punctuated::Punctuated;
    use syn::visit::{self, Visit};
    use syn::{
        Attribute, Expr, ForeignItem, ForeignItemFn, Item, ItemFn, ItemForeignMod, ItemStatic, Lit,
        LitStr, Macro, MetaNameValue, Token,
    };

    /// The expansion as a file of items: it must be one.
    #[track_caller]
    pub fn parse(ts: &TokenStream) -> syn::File {
        syn::parse2(ts.clone())
            .unwrap_or_else(|e| panic!("the expansion is not a list of Rust items: {e}\n{ts}"))
    }

    /// An expected node, written with `quote!`.
    #[track_caller]
    pub fn expected<T: syn::parse::Parse>(ts: TokenStream) -> T {
        syn::parse2(ts.clone()).unwrap_or_else(|e| panic!("bad expectation: {e}\n{ts}"))
    }

    /// The two syntax trees are equal (syn's `PartialEq`: spans aside); both are printed if not.
    #[track_caller]
    pub fn assert_same<T: PartialEq + ToTokens>(found: &T, expected: &T) {
        assert!(
            found == expected,
            "expected:\n  {}\nfound:\n  {}",
            expected.to_token_stream(),
            found.to_token_stream()
        );
    }

    /// The file as tokens, for failure messages.
    pub fn show(file: &syn::File) -> String {
        file.to_token_stream().to_string()
    }

    /// Whether the last segment of `path` is `name` (`::core::compile_error` is `compile_error`).
    pub fn ends_with(path: &syn::Path, name: &str) -> bool {
        path.segments.last().is_some_and(|s| s.ident == name)
    }

    fn str_lit(e: &Expr) -> Option<String> {
        match e {
            Expr::Lit(l) => match &l.lit {
                Lit::Str(s) => Some(s.value()),
                _ => None,
            },
            _ => None,
        }
    }

    /// The nodes the tests look at, at any depth (an `extern` block in a wrapper's body
    /// too), but not inside a macro's input, which syn leaves as tokens.
    #[derive(Default)]
    struct Nodes<'a> {
        externs: Vec<&'a ItemForeignMod>,
        attrs: Vec<&'a Attribute>,
        macros: Vec<&'a Macro>,
        statics: Vec<&'a ItemStatic>,
    }

    impl<'a> Visit<'a> for Nodes<'a> {
        fn visit_item_foreign_mod(&mut self, i: &'a ItemForeignMod) {
            self.externs.push(i);
            visit::visit_item_foreign_mod(self, i);
        }
        fn visit_attribute(&mut self, i: &'a Attribute) {
            self.attrs.push(i);
            visit::visit_attribute(self, i);
        }
        fn visit_macro(&mut self, i: &'a Macro) {
            self.macros.push(i);
            visit::visit_macro(self, i);
        }
        fn visit_item_static(&mut self, i: &'a ItemStatic) {
            self.statics.push(i);
            visit::visit_item_static(self, i);
        }
    }

    fn nodes(file: &syn::File) -> Nodes<'_> {
        let mut n = Nodes::default();
        n.visit_file(file);
        n
    }

    /// Every `extern` declaration of a function named `name`, with its block.
    pub fn extern_fns<'a>(
        file: &'a syn::File,
        name: &str,
    ) -> Vec<(&'a ItemForeignMod, &'a ForeignItemFn)> {
        let mut found = Vec::new();
        for block in nodes(file).externs {
            for item in &block.items {
                if let ForeignItem::Fn(f) = item
                    && f.sig.ident == name
                {
                    found.push((block, f));
                }
            }
        }
        found
    }

    /// The one `extern` declaration of `name`, with its block.
    #[track_caller]
    pub fn extern_fn<'a>(
        file: &'a syn::File,
        name: &str,
    ) -> (&'a ItemForeignMod, &'a ForeignItemFn) {
        match extern_fns(file, name)[..] {
            [one] => one,
            ref found => panic!(
                "{} extern declarations of `{name}` in\n{}",
                found.len(),
                show(file)
            ),
        }
    }

    /// The one top-level `fn name`: a wrapper, or the stub that replaces a wrong item.
    #[track_caller]
    pub fn item_fn<'a>(file: &'a syn::File, name: &str) -> &'a ItemFn {
        let found: Vec<&ItemFn> = file
            .items
            .iter()
            .filter_map(|i| match i {
                Item::Fn(f) if f.sig.ident == name => Some(f),
                _ => None,
            })
            .collect();
        match found[..] {
            [one] => one,
            _ => panic!("{} functions `{name}` in\n{}", found.len(), show(file)),
        }
    }

    /// The names of the top-level structs.
    pub fn struct_names(file: &syn::File) -> Vec<String> {
        file.items
            .iter()
            .filter_map(|i| match i {
                Item::Struct(s) => Some(s.ident.to_string()),
                _ => None,
            })
            .collect()
    }

    /// The string value of `key` in `#[path(key = "...", ...)]`.
    fn arg(a: &Attribute, key: &str) -> String {
        a.parse_args_with(Punctuated::<MetaNameValue, Token![,]>::parse_terminated)
            .ok()
            .and_then(|args| {
                args.iter()
                    .find(|nv| nv.path.is_ident(key))
                    .and_then(|nv| str_lit(&nv.value))
            })
            .unwrap_or_else(|| panic!("no `{key} = \"...\"` in {}", a.to_token_stream()))
    }

    /// The `name`s of the `#[link(name = "...")]` among `attrs`, in order.
    pub fn links<'a>(attrs: impl IntoIterator<Item = &'a Attribute>) -> Vec<String> {
        attrs
            .into_iter()
            .filter(|a| a.path().is_ident("link"))
            .map(|a| arg(a, "name"))
            .collect()
    }

    /// Every `#[link(name = ...)]` of the expansion, wherever it is.
    pub fn all_links(file: &syn::File) -> Vec<String> {
        links(nodes(file).attrs)
    }

    /// The notes of every `#[deprecated(note = "...")]`: how the expansion warns.
    pub fn warnings(file: &syn::File) -> Vec<String> {
        nodes(file)
            .attrs
            .into_iter()
            .filter(|a| a.path().is_ident("deprecated"))
            .map(|a| arg(a, "note"))
            .collect()
    }

    /// The messages of every `compile_error!`. Read from the token tree, so one inside
    /// another macro's input (a nested `defcfuns!`) counts too.
    pub fn compile_errors(file: &syn::File) -> Vec<String> {
        fn walk(ts: TokenStream, out: &mut Vec<String>) {
            let tts: Vec<TokenTree> = ts.into_iter().collect();
            for (i, tt) in tts.iter().enumerate() {
                match tt {
                    TokenTree::Ident(id) if id == "compile_error" => {
                        let message = match (tts.get(i + 1), tts.get(i + 2)) {
                            (Some(TokenTree::Punct(bang)), Some(TokenTree::Group(g)))
                                if bang.as_char() == '!' =>
                            {
                                syn::parse2::<LitStr>(g.stream()).map(|s| s.value()).ok()
                            }
                            _ => None,
                        };
                        out.push(message.unwrap_or_else(|| {
                            "<`compile_error` not called with a message>".to_owned()
                        }));
                    }
                    TokenTree::Group(g) => walk(g.stream(), out),
                    _ => {}
                }
            }
        }
        let mut out = Vec::new();
        walk(file.to_token_stream(), &mut out);
        out
    }

    /// Every call of a macro whose path ends in `name`.
    pub fn macro_calls<'a>(file: &'a syn::File, name: &str) -> Vec<&'a Macro> {
        nodes(file)
            .macros
            .into_iter()
            .filter(|m| ends_with(&m.path, name))
            .collect()
    }

    /// The `Macro` that is the whole of `block`: `{ m!(..) }`.
    pub fn only_macro(block: &syn::Block) -> Option<&Macro> {
        match &block.stmts[..] {
            [syn::Stmt::Macro(m)] => Some(&m.mac),
            [syn::Stmt::Expr(Expr::Macro(m), None)] => Some(&m.mac),
            _ => None,
        }
    }

    /// The files `include_bytes!`-ed: how rustc learns to rebuild when a header changes.
    pub fn included(file: &syn::File) -> Vec<String> {
        macro_calls(file, "include_bytes")
            .into_iter()
            .map(|m| m.parse_body::<LitStr>().unwrap().value())
            .collect()
    }

    /// The registry entries, `(name, link_name)`: the `Compiled { .. }` statics put in the
    /// linkme slice for by-name calls.
    pub fn registered(file: &syn::File) -> Vec<(String, String)> {
        nodes(file)
            .statics
            .into_iter()
            .filter(|s| {
                s.attrs
                    .iter()
                    .any(|a| ends_with(a.path(), "distributed_slice"))
            })
            .map(|s| {
                let Expr::Struct(e) = &*s.expr else {
                    panic!(
                        "a registry entry that is not a struct: {}",
                        s.to_token_stream()
                    )
                };
                assert!(ends_with(&e.path, "Compiled"), "{}", e.to_token_stream());
                let field = |name: &str| {
                    e.fields
                        .iter()
                        .find(|f| matches!(&f.member, syn::Member::Named(id) if id == name))
                        .and_then(|f| str_lit(&f.expr))
                        .unwrap_or_else(|| panic!("no `{name}` in {}", e.to_token_stream()))
                };
                (field("name"), field("link_name"))
            })
            .collect()
    }

    /// The `(library, symbol)` of every `LazySymbol::new(library, symbol)` static: what a
    /// `lazy` wrapper loads at run time.
    pub fn lazy_symbols(file: &syn::File) -> Vec<(String, String)> {
        nodes(file)
            .statics
            .into_iter()
            .filter_map(|s| match (&*s.ty, &*s.expr) {
                (syn::Type::Path(t), Expr::Call(call)) if ends_with(&t.path, "LazySymbol") => {
                    match call.args.iter().map(str_lit).collect::<Option<Vec<_>>>()?[..] {
                        [ref lib, ref symbol] => Some((lib.clone(), symbol.clone())),
                        _ => None,
                    }
                }
                _ => None,
            })
            .collect()
    }
}

#[test]
fn a_matching_signature_becomes_a_plain_extern_declaration() {
    let out = expand::ffi_auto(
        quote!(),
        quote!(
            fn abs(x: ::core::ffi::c_int) -> ::core::ffi::c_int;
        ),
        &ctx(),
    )
    .unwrap();
    let file = ast::parse(&out);
    let errors = ast::compile_errors(&file);
    assert!(errors.is_empty(), "{errors:#?}");
    let (block, _) = ast::extern_fn(&file, "abs");
    ast::assert_same(
        block,
        &ast::expected(quote!(
            unsafe extern "C" {
                #[link_name = "abs"]
                safe fn abs(x: ::core::ffi::c_int) -> ::core::ffi::c_int;
            }
        )),
    );
    // Registered for by-name calls, and the header tracked for rebuilds.
    assert_eq!(
        ast::registered(&file),
        [("abs".to_owned(), "abs".to_owned())],
        "{}",
        ast::show(&file)
    );
    let included = ast::included(&file);
    assert!(
        included.iter().any(|h| h.ends_with("/stdlib.h")),
        "{included:?}"
    );
}

#[test]
fn a_cstr_parameter_gets_a_thin_wrapper() {
    let out = expand::ffi_auto(
        quote!(),
        quote!(
            pub fn strlen(s: &::core::ffi::CStr) -> usize;
        ),
        &ctx(),
    )
    .unwrap();
    let file = ast::parse(&out);
    ast::assert_same(
        ast::item_fn(&file, "strlen"),
        &ast::expected(quote!(
            #[allow(non_snake_case, clippy::too_many_arguments)]
            #[inline]
            pub fn strlen(s: &::core::ffi::CStr) -> usize {
                unsafe extern "C" {
                    #[link_name = "strlen"]
                    fn __ffi_auto_strlen(s: *const ::core::ffi::c_char) -> usize;
                }
                unsafe { __ffi_auto_strlen(::core::ffi::CStr::as_ptr(s)) }
            }
        )),
    );
}

#[test]
fn renamed_and_linked() {
    let out = expand::ffi_auto(
        quote!(name = "malloc", lib = "c"),
        quote!(
            unsafe fn my_malloc(n: usize) -> *mut ::core::ffi::c_void;
        ),
        &ctx(),
    )
    .unwrap();
    let file = ast::parse(&out);
    let (block, _) = ast::extern_fn(&file, "my_malloc");
    ast::assert_same(
        block,
        &ast::expected(quote!(
            #[link(name = "c")]
            unsafe extern "C" {
                #[link_name = "malloc"]
                unsafe fn my_malloc(n: usize) -> *mut ::core::ffi::c_void;
            }
        )),
    );
}

#[test]
fn mismatches_are_all_reported_with_a_stub() {
    let header = fixture_header();
    let out = expand::ffi_auto(
        quote!(header = #header),
        quote!(
            fn add_i32(a: u8, b: f64) -> i16;
        ),
        &ctx(),
    );
    let file = ast::parse(&out.unwrap());
    let errors = ast::compile_errors(&file);
    assert_eq!(errors.len(), 3, "{errors:#?}");
    for what in [
        "parameter 1 (`a`) of `add_i32`",
        "parameter 2 (`b`) of `add_i32`",
        "the return type of `add_i32`",
    ] {
        assert_eq!(
            errors.iter().filter(|e| e.contains(what)).count(),
            1,
            "{what}: {errors:#?}"
        );
    }
    // A stub with the user's signature keeps callers compiling; nothing is declared.
    let stub = ast::item_fn(&file, "add_i32");
    ast::assert_same(
        &stub.sig,
        &ast::expected(quote!(fn add_i32(a: u8, b: f64) -> i16)),
    );
    assert!(
        ast::only_macro(&stub.block).is_some_and(|m| ast::ends_with(&m.path, "unreachable")),
        "a stub keeps callers compiling: {}",
        ast::show(&file)
    );
    assert!(
        ast::extern_fns(&file, "add_i32").is_empty(),
        "{}",
        ast::show(&file)
    );
}

#[test]
fn name_only_entries_write_rust_types_from_c() {
    let header = fixture_header();
    let out = expand::defcfuns(
        quote! {
            #![ffi_auto(header = #header, lib = "ffiauto_fixture")]
            fn fx_id_size;
            fn fx_count_char;
            fn fx_sum_ints;
            pub fn total = fx_sum_array;
        },
        &ctx(),
    )
    .unwrap();
    let file = ast::parse(&out);
    for expected in [
        quote!(#[link_name = "fx_id_size"] safe fn fx_id_size(x: usize) -> usize;),
        // Raw pointers and variadics make name-only entries unsafe.
        quote!(
            #[link_name = "fx_count_char"]
            unsafe fn fx_count_char(s: *const ::core::ffi::c_char, c: ::core::ffi::c_char)
            -> usize;
        ),
        quote!(
            #[link_name = "fx_sum_ints"]
            unsafe fn fx_sum_ints(count: ::core::ffi::c_int, ...) -> ::core::ffi::c_long;
        ),
        quote!(
            #[link_name = "fx_sum_array"]
            pub unsafe fn total(values: *const ::core::ffi::c_int, n: usize)
            -> ::core::ffi::c_long;
        ),
    ] {
        let expected: syn::ForeignItemFn = ast::expected(expected);
        let (block, found) = ast::extern_fn(&file, &expected.sig.ident.to_string());
        ast::assert_same(found, &expected);
        assert_eq!(ast::links(&block.attrs), ["ffiauto_fixture"]);
    }
}

#[test]
fn unknown_names_fail_with_suggestions_or_go_unchecked_as_unsafe_with_a_warning() {
    let out = expand::defcfuns(quote!(fn strlne;), &ctx()).unwrap();
    let file = ast::parse(&out);
    let errors = ast::compile_errors(&file);
    assert!(
        errors.iter().any(|e| e.contains("did you mean `strlen`")),
        "{errors:#?}"
    );
    assert!(
        ast::extern_fns(&file, "strlne").is_empty(),
        "{}",
        ast::show(&file)
    );
    // Unchecked, a signature is the user's word: only as `unsafe fn`, with a warning.
    let out = expand::ffi_auto(
        quote!(),
        quote!(
            fn strlne(s: &::core::ffi::CStr) -> usize;
        ),
        &ctx(),
    )
    .unwrap();
    let errors = ast::compile_errors(&ast::parse(&out));
    assert!(
        errors.iter().any(|e| e.contains("must be `unsafe fn`")),
        "{errors:#?}"
    );
    let out = expand::ffi_auto(
        quote!(),
        quote!(
            unsafe fn strlne(s: &::core::ffi::CStr) -> usize;
        ),
        &ctx(),
    )
    .unwrap();
    let file = ast::parse(&out);
    let errors = ast::compile_errors(&file);
    assert!(errors.is_empty(), "{errors:#?}");
    let warnings = ast::warnings(&file);
    assert!(
        warnings.iter().any(|w| w.contains("NOT checked")),
        "{warnings:#?}"
    );
    let wrapper = ast::item_fn(&file, "strlne");
    assert!(
        matches!(wrapper.sig.safety, syn::Safety::Unsafe(_)),
        "{}",
        ast::show(&file)
    );
    let out = expand::defcfuns(quote!(#![ffi_auto(dynamic)] fn frobnicate;), &ctx()).unwrap();
    let file = ast::parse(&out);
    let [dynamic] = ast::macro_calls(&file, "__dynamic_item")[..] else {
        panic!("one `__dynamic_item!` expected: {}", ast::show(&file));
    };
    let f: syn::ItemFn = dynamic.parse_body().unwrap();
    assert_eq!(f.sig.ident, "frobnicate");
    ast::assert_same(
        &*f.block,
        &ast::expected(quote!({ ::ffi_auto::ffi_call("frobnicate", args) })),
    );
}

#[test]
fn long_double_functions_go_through_the_runtime() {
    // Name only: a wrapper calling through the runtime (Rust has no `long double` type).
    let out = expand::defcfuns(quote!(#![ffi_auto(lib = "m")] fn sinl;), &ctx()).unwrap();
    let file = ast::parse(&out);
    let [dynamic] = ast::macro_calls(&file, "__dynamic_item")[..] else {
        panic!("one `__dynamic_item!` expected: {}", ast::show(&file));
    };
    let f: syn::ItemFn = dynamic.parse_body().unwrap();
    ast::assert_same(
        &*f.block,
        &ast::expected(quote!({ ::ffi_auto::ffi_call(("sinl", "m"), args) })),
    );
    assert!(
        ast::extern_fns(&file, "sinl").is_empty(),
        "{}",
        ast::show(&file)
    );
    // A written signature cannot spell `long double`: refused, saying what to write.
    let out = expand::defcfuns(
        quote!(#![ffi_auto(lib = "m")] fn sinl(x: f64) -> f64;),
        &ctx(),
    )
    .unwrap();
    let errors = ast::compile_errors(&ast::parse(&out));
    assert!(
        errors
            .iter()
            .any(|e| e.contains("long double") && e.contains("name-only")),
        "{errors:#?}"
    );
}

#[test]
fn items_that_are_not_body_less_functions_are_errors() {
    let err = expand::ffi_auto(
        quote!(),
        quote!(
            fn f() {}
        ),
        &ctx(),
    )
    .unwrap_err();
    assert!(err.to_string().contains("without a body"), "{err}");
    let err = expand::ffi_auto(
        quote!(nme = "x"),
        quote!(
            fn f();
        ),
        &ctx(),
    )
    .unwrap_err();
    assert!(
        err.to_string().contains("unknown ffi_auto option `nme`"),
        "{err}"
    );
}

#[test]
fn cfg_gated_entries_become_gated_nested_invocations() {
    let header = fixture_header();
    let out = expand::defcfuns(
        quote! {
            #![ffi_auto(lib = "ffiauto_fixture", header = #header)]
            #![ffi_auto(crate = ::my_ffi)]
            struct fx_point;
            fn add_i32;
            #[cfg(windows)]
            fn GetTickCount() -> u32;
            /// Docs stay.
            #[cfg(windows)]
            #[ffi_auto(name = "QueryPerformanceCounter")]
            fn qpc;
            #[cfg(target_os = "macos")]
            struct mach_timebase_info;
            #[cfg(not(unix))]
            const KERN_SUCCESS;
            #[cfg(unix)]
            fn fx_point_add;
        },
        &ctx(),
    )
    .unwrap();
    let file = ast::parse(&out);
    // Nothing gated is looked up here: the Windows and macOS names would be errors.
    let errors = ast::compile_errors(&file);
    assert!(errors.is_empty(), "{errors:#?}");
    // The open entries are expanded in place.
    let (_, add) = ast::extern_fn(&file, "add_i32");
    assert!(
        matches!(add.sig.safety, syn::Safety::Safe(_)),
        "{}",
        ast::show(&file)
    );
    // One nested invocation per cfg, with the block's options as written and its structs.
    let defcfuns: syn::Path = ast::expected(quote!(::my_ffi::defcfuns));
    let nested: Vec<&syn::ItemMacro> = file
        .items
        .iter()
        .filter_map(|i| match i {
            syn::Item::Macro(m) if m.mac.path == defcfuns => Some(m),
            _ => None,
        })
        .collect();
    assert_eq!(nested.len(), 4, "{}", ast::show(&file));
    assert_eq!(
        ast::macro_calls(&file, "defcfuns").len(),
        4,
        "{}",
        ast::show(&file)
    );
    let shared = quote! {
        #![ffi_auto(lib = "ffiauto_fixture", header = #header)]
        #![ffi_auto(crate = ::my_ffi)]
        #![__ffi_auto_types("fx_point" = fx_point)]
    };
    for (cfg, entries) in [
        (
            quote!(windows),
            quote! {
                fn GetTickCount() -> u32;
                /// Docs stay.
                #[ffi_auto(name = "QueryPerformanceCounter")]
                fn qpc;
            },
        ),
        (
            quote!(target_os = "macos"),
            quote!(
                struct mach_timebase_info;
            ),
        ),
        (quote!(not(unix)), quote!(const KERN_SUCCESS;)),
        (quote!(unix), quote!(fn fx_point_add;)),
    ] {
        let expected: syn::ItemMacro = ast::expected(quote! {
            #[cfg(#cfg)]
            ::my_ffi::defcfuns! { #shared #entries }
        });
        assert_eq!(
            nested.iter().filter(|m| ***m == expected).count(),
            1,
            "{}\n{}",
            quote!(#expected),
            ast::show(&file)
        );
    }
    // The nested invocation sees the enclosing block's struct.
    let out = expand::defcfuns(
        quote! {
            #![ffi_auto(lib = "ffiauto_fixture", header = #header)]
            #![__ffi_auto_types("fx_point" = fx_point)]
            fn fx_point_add;
        },
        &ctx(),
    )
    .unwrap();
    let file = ast::parse(&out);
    let (_, found) = ast::extern_fn(&file, "fx_point_add");
    ast::assert_same(
        found,
        &ast::expected(quote!(
            #[link_name = "fx_point_add"]
            safe fn fx_point_add(a: fx_point, b: fx_point) -> fx_point;
        )),
    );
}

#[test]
fn a_cfg_after_the_attribute_goes_before_it() {
    let out = expand::ffi_auto(
        quote!(lib = "kernel32"),
        quote!(
            /// Docs.
            #[cfg(windows)]
            fn GetTickCount() -> u32;
        ),
        &ctx(),
    )
    .unwrap();
    ast::assert_same(
        &ast::parse(&out),
        &ast::expected(quote!(
            #[cfg(windows)]
            #[::ffi_auto::ffi_auto(lib = "kernel32")]
            /// Docs.
            fn GetTickCount() -> u32;
        )),
    );
}

#[test]
fn pkg_config_packages_are_linked_once() {
    let out = expand::defcfuns(
        quote!(#![ffi_auto(header = "zlib.h", pkg_config = "zlib")] fn zlibVersion;),
        &ctx(),
    )
    .unwrap();
    let file = ast::parse(&out);
    let errors = ast::compile_errors(&file);
    assert!(errors.is_empty(), "{errors:#?}");
    let (block, _) = ast::extern_fn(&file, "zlibVersion");
    ast::assert_same(
        block,
        &ast::expected(quote!(
            #[link(name = "z")]
            unsafe extern "C" {
                #[link_name = "zlibVersion"]
                unsafe fn zlibVersion() -> *const ::core::ffi::c_char;
            }
        )),
    );
    // `lib` names it too: linked once.
    let out = expand::defcfuns(
        quote!(#![ffi_auto(header = "zlib.h", pkg_config = "zlib", lib = "z")] fn zlibVersion; fn crc32;),
        &ctx(),
    )
    .unwrap();
    let file = ast::parse(&out);
    assert_eq!(ast::all_links(&file), ["z", "z"], "{}", ast::show(&file));
    for name in ["zlibVersion", "crc32"] {
        let (block, _) = ast::extern_fn(&file, name);
        assert_eq!(ast::links(&block.attrs), ["z"], "{name}");
    }
    // `lazy` loads it at run time instead.
    let out = expand::defcfuns(
        quote!(#![ffi_auto(header = "zlib.h", pkg_config = "zlib", lib = "z", lazy)] fn zlibVersion;),
        &ctx(),
    )
    .unwrap();
    let file = ast::parse(&out);
    assert!(ast::all_links(&file).is_empty(), "{}", ast::show(&file));
    ast::item_fn(&file, "zlibVersion");
    assert_eq!(
        ast::lazy_symbols(&file),
        [("z".to_owned(), "zlibVersion".to_owned())],
        "{}",
        ast::show(&file)
    );
    // A library directory `#[link]` cannot name: a warning says what to do.
    let out = expand::defcfuns(
        quote!(#![ffi_auto(pkg_config = "valgrind")] fn abs;),
        &ctx(),
    )
    .unwrap();
    let file = ast::parse(&out);
    let (block, _) = ast::extern_fn(&file, "abs");
    let links = ast::links(&block.attrs);
    assert!(
        links.iter().any(|l| l.starts_with("coregrind-")),
        "{links:?}"
    );
    let warnings = ast::warnings(&file);
    assert!(
        warnings
            .iter()
            .any(|w| w.contains("Builder::pkg_config") && w.contains("/valgrind")),
        "{warnings:#?}"
    );
}

#[test]
fn a_missing_by_value_struct_is_suggested_by_the_name_the_header_uses() {
    // `yaml_event_t` holds a `yaml_mark_t` (`typedef struct yaml_mark_s {...} yaml_mark_t;`)
    // by value: the hint names the typedef, as the header writes the field.
    let out = expand::defcfuns(
        quote!(
            #![ffi_auto(header = "yaml.h")]
            struct yaml_event_t;
        ),
        &ctx(),
    )
    .unwrap();
    let errors = ast::compile_errors(&ast::parse(&out));
    assert!(
        errors
            .iter()
            .any(|e| e.contains("declare `struct yaml_mark_t;`")),
        "{errors:#?}"
    );
    // With it declared, both are generated.
    let out = expand::defcfuns(
        quote!(
            #![ffi_auto(header = "yaml.h")]
            struct yaml_mark_t;
            struct yaml_event_t;
        ),
        &ctx(),
    )
    .unwrap();
    let file = ast::parse(&out);
    let errors = ast::compile_errors(&file);
    assert!(errors.is_empty(), "{errors:#?}");
    let structs = ast::struct_names(&file);
    for name in ["yaml_mark_t", "yaml_event_t"] {
        assert!(structs.iter().any(|s| s == name), "{name}: {structs:?}");
    }
}
