//! One C-to-Rust mapping: for every function of the default header set, the Rust types a
//! name-only `defcfuns!` entry expands to are the ones `ffi-auto sig` and `ffi-auto dump
//! --json` print (`rust_declaration`, `CType::to_rust`). The expansion is parsed back from
//! its tokens, so a second mapping anywhere in the expansion would show here.

use std::path::PathBuf;

use ffi_auto_discovery::{Discovery, HeaderSet, needs_unsafe, rust_declaration};
use ffi_auto_expand::{self as expand, Context};
use quote::{ToTokens, format_ident, quote};

fn ctx() -> Context {
    let mut c = Context::new(Some(PathBuf::from(file!())));
    c.manifest_dir = Some(PathBuf::from(env!("CARGO_MANIFEST_DIR")));
    c.build_database = None;
    c
}

/// A type as written in generated code, with the paths a user leaves out.
fn plain(t: &syn::Type) -> String {
    t.to_token_stream()
        .to_string()
        .replace(":: core :: ffi :: ", "")
        .replace(":: core :: option :: ", "")
        .replace(' ', "")
}

/// A signature's parameter and return types, as written.
fn types_of(sig: &syn::Signature) -> (Vec<String>, String) {
    let params = sig
        .inputs
        .iter()
        .filter_map(|a| match a {
            syn::FnArg::Typed(p) => Some(plain(&p.ty)),
            syn::FnArg::Receiver(_) => None,
        })
        .collect();
    let ret = match &sig.output {
        syn::ReturnType::Default => String::new(),
        syn::ReturnType::Type(_, t) => plain(t),
    };
    (params, ret)
}

/// The parameter and return types of the extern declaration of `name` in an expansion.
fn expanded_types(out: &proc_macro2::TokenStream, name: &str) -> Option<(Vec<String>, String)> {
    let file: syn::File = syn::parse2(out.clone()).ok()?;
    let shim = format!("__ffi_auto_{name}");
    file.items
        .iter()
        .filter_map(|item| match item {
            syn::Item::ForeignMod(m) => Some(&m.items),
            _ => None,
        })
        .flatten()
        .find_map(|fi| match fi {
            syn::ForeignItem::Fn(f) if f.sig.ident == name || f.sig.ident == shim => {
                Some(types_of(&f.sig))
            }
            _ => None,
        })
}

/// `pub fn name(a: T, b: U) -> R;` as (param types, return type).
fn declared_types(decl: &str) -> (Vec<String>, String) {
    let item: syn::ForeignItemFn = syn::parse_str(&decl.replacen("pub unsafe fn", "pub fn", 1))
        .unwrap_or_else(|e| panic!("{decl}: {e}"));
    types_of(&item.sig)
}

#[test]
fn sig_dump_and_name_only_expansions_agree_on_every_default_function() {
    let decls = Discovery::new()
        .declarations(&HeaderSet::system())
        .expect("the default header set parses");
    let mut names: Vec<&String> = decls.functions.keys().collect();
    names.sort();
    let (mut compared, mut refused) = (0, 0);
    let mut mismatches = Vec::new();
    for name in names {
        let d = &decls.functions[name];
        let sig = &d.signature;
        if sig.variadic {
            // Variadic entries are declared, not generated (`...` has no Rust type to
            // compare); their fixed parameters are compared through `dump --json` below.
            continue;
        }
        let ident = format_ident!("{}", name.as_str());
        let entry = if needs_unsafe(sig) {
            quote!(unsafe fn #ident;)
        } else {
            quote!(fn #ident;)
        };
        let out = expand::defcfuns(entry, &ctx()).expect("the block parses");
        let printed = rust_declaration(name, sig);
        match (&printed, expanded_types(&out, name)) {
            (Ok(p), Some(expanded)) => {
                compared += 1;
                let want = declared_types(p);
                if want != expanded {
                    mismatches.push(format!(
                        "{name}: sig prints {want:?}, expands to {expanded:?}"
                    ));
                }
                // `dump --json` prints each type alone: the same mapping.
                for (param, printed) in sig.params.iter().zip(&want.0) {
                    let json = param.ty.to_rust(&|_| None).unwrap().to_string();
                    if json.replace(' ', "") != *printed {
                        mismatches.push(format!("{name}: json {json}, sig {printed}"));
                    }
                }
            }
            (Err(_), _) => {
                refused += 1;
                let s = out.to_string();
                // A `long double` function has no typed signature; its name-only entry calls
                // it through the runtime instead.
                let long_double = sig.to_string().contains("long double");
                assert!(
                    s.contains("compile_error") || (long_double && s.contains("__dynamic_item")),
                    "{name}: sig refuses it, the expansion does not: {s}"
                );
            }
            (Ok(p), None) => mismatches.push(format!("{name}: sig prints `{p}`, no expansion")),
        }
    }
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
    assert!(
        compared > 1000,
        "only {compared} compared ({refused} refused)"
    );
}
