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

/// The Rust declaration of `name` with `sig`, as a name-only `defcfuns!` entry generates it
/// alone (no struct declared beside it: pointers to structs are `*mut c_void`):
/// `pub unsafe fn strlen(__s: *const c_char) -> usize;`.
///
/// ```
/// use ffi_auto_discovery::{rust_declaration, sig::Signature};
/// let sig: Signature = "int (int)".parse().unwrap();
/// assert_eq!(rust_declaration("abs", &sig).unwrap(), "pub fn abs(arg0: c_int) -> c_int;");
/// ```
///
/// # Errors
/// The C type Rust cannot spell there (`long double`, a struct by value).
pub fn rust_declaration(name: &str, sig: &Signature) -> Result<String, String> {
    rust_declaration_in(name, sig, &|_| None)
}

/// [`rust_declaration`] with the structs and opaque types `scope` names declared beside it
/// (see [`CType::to_rust`]).
///
/// ```
/// use ffi_auto_discovery::{rust_declaration_in, sig::{CType, Signature}};
/// let timeval = CType::mut_ptr(CType::Opaque("timeval".into()));
/// let sig = Signature::new(CType::INT).param(timeval).param(CType::void_ptr());
/// let scope = |n: &str| (n == "timeval").then(|| n.to_owned());
/// assert_eq!(
///     rust_declaration_in("gettimeofday", &sig, &scope).unwrap(),
///     "pub unsafe fn gettimeofday(arg0: *mut timeval, arg1: *mut c_void) -> c_int;"
/// );
/// ```
///
/// # Errors
/// As [`rust_declaration`].
pub fn rust_declaration_in(
    name: &str,
    sig: &Signature,
    scope: &dyn Fn(&str) -> Option<String>,
) -> Result<String, String> {
    let mut params = Vec::new();
    for (i, p) in sig.params.iter().enumerate() {
        let ty =
            p.ty.to_rust(scope)
                .map_err(|why| format!("parameter {} is {why}", i + 1))?;
        params.push(format!("{}: {ty}", param_name(p.name.as_deref(), i)));
    }
    if sig.variadic {
        params.push("...".to_owned());
    }
    let ret = if sig.ret.is_void() {
        String::new()
    } else {
        let t = sig
            .ret
            .to_rust(scope)
            .map_err(|why| format!("the return type is {why}"))?;
        format!(" -> {t}")
    };
    let unsafety = if needs_unsafe(sig) { "unsafe " } else { "" };
    Ok(format!(
        "pub {unsafety}fn {name}({}){ret};",
        params.join(", ")
    ))
}

/// The structs, unions and opaque types a signature names (their C names, as a block
/// declares them: `struct timeval;`), sorted: what must be declared beside a name-only entry
/// for its pointers to be typed and its by-value structs to exist.
///
/// ```
/// use ffi_auto_discovery::{records_named, sig::{CType, Signature}};
/// let timeval = CType::mut_ptr(CType::Opaque("timeval".into()));
/// let sig = Signature::new(CType::INT).param(timeval).param(CType::void_ptr());
/// assert_eq!(records_named(&sig), ["timeval"]);
/// ```
pub fn records_named(sig: &Signature) -> Vec<String> {
    fn walk(t: &CType, out: &mut Vec<String>) {
        let mut c = t;
        // The outermost typedef naming a struct is what a block declares (`div_t`).
        while let CType::Named { name, ty } = c {
            if matches!(c.canonical(), CType::Record(_) | CType::Opaque(_)) {
                out.push(name.to_string());
                return;
            }
            c = ty;
        }
        match c {
            CType::Pointer { pointee, .. } => walk(pointee, out),
            CType::Array { elem, .. } => walk(elem, out),
            CType::FnPtr(s) => {
                walk(&s.ret, out);
                s.params.iter().for_each(|p| walk(&p.ty, out));
            }
            CType::Record(r) => out.extend(r.name.clone()),
            CType::Opaque(n) => out.push(n.to_string()),
            _ => {}
        }
    }
    let mut out = Vec::new();
    walk(&sig.ret, &mut out);
    sig.params.iter().for_each(|p| walk(&p.ty, &mut out));
    out.sort();
    out.dedup();
    out
}
