//! C declarations spelled as the Rust the macros generate.

use ffi_auto_sig::{CType, Signature};

/// Rust's reserved words, which a C parameter name may be.
const KEYWORDS: &[&str] = &[
    "as", "async", "await", "break", "const", "continue", "crate", "dyn", "else", "enum", "extern",
    "false", "fn", "for", "gen", "if", "impl", "in", "let", "loop", "match", "mod", "move", "mut",
    "pub", "ref", "return", "static", "struct", "super", "trait", "true", "type", "unsafe", "use",
    "where", "while", "abstract", "become", "box", "do", "final", "macro", "override", "priv",
    "typeof", "unsized", "virtual", "yield", "try",
];

/// A C parameter name as a Rust identifier: keywords raw (`r#type`), missing ones `argN`.
pub fn param_name(name: Option<&str>, index: usize) -> String {
    match name {
        Some("self" | "Self" | "super" | "crate") => format!("{}_", name.unwrap_or_default()),
        Some(n) if KEYWORDS.contains(&n) => format!("r#{n}"),
        Some(n) if !n.is_empty() => n.to_owned(),
        _ => format!("arg{index}"),
    }
}

/// Whether a Rust wrapper of this signature must be `unsafe fn`: raw pointers anywhere in
/// it, a variadic function, or one no safe call may make ([`FnAttrs::raw_only`]).
///
/// [`FnAttrs::raw_only`]: crate::sig::FnAttrs::raw_only
pub fn needs_unsafe(sig: &Signature) -> bool {
    sig.variadic
        || sig.attrs.raw_only.is_some()
        || sig.ret.is_pointer()
        || sig
            .params
            .iter()
            .any(|p| p.ty.is_pointer() || matches!(p.ty.canonical(), CType::Array { .. }))
}

/// The Rust declaration of `name` with `sig`, as a name-only `defcfuns!` entry generates it:
/// `pub unsafe fn strlen(__s: *const c_char) -> usize;`.
///
/// ```
/// use ffi_auto_codegen::{rust_declaration, sig::Signature};
/// let sig: Signature = "int (int)".parse().unwrap();
/// assert_eq!(rust_declaration("abs", &sig).unwrap(), "pub fn abs(arg0: c_int) -> c_int;");
/// ```
///
/// # Errors
/// The C type Rust cannot spell (`long double`).
pub fn rust_declaration(name: &str, sig: &Signature) -> Result<String, String> {
    let mut params = Vec::new();
    for (i, p) in sig.params.iter().enumerate() {
        let ty = p.ty.rust_type().ok_or_else(|| {
            format!(
                "parameter {} is `{}`, which Rust has no type for",
                i + 1,
                p.ty
            )
        })?;
        params.push(format!("{}: {ty}", param_name(p.name.as_deref(), i)));
    }
    if sig.variadic {
        params.push("...".to_owned());
    }
    let ret = if sig.ret.is_void() {
        String::new()
    } else {
        format!(
            " -> {}",
            sig.ret.rust_type().ok_or_else(|| format!(
                "the return type is `{}`, which Rust has no type for",
                sig.ret
            ))?
        )
    };
    let unsafety = if needs_unsafe(sig) { "unsafe " } else { "" };
    Ok(format!(
        "pub {unsafety}fn {name}({}){ret};",
        params.join(", ")
    ))
}
