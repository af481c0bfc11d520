//! The user's Rust signature against the C declaration: every mismatch, each spanned at the
//! user's token, with the Rust type to write instead.

use ffi_auto_sig::{CType, DataModel, FloatKind, IntKind, Signature};
use proc_macro2::Span;
use quote::ToTokens;
use syn::spanned::Spanned;
use syn::{GenericArgument, PathArguments, ReturnType, Type};

use super::item::UserSig;
use super::types::Types;
use ffi_auto_discovery::Decl;

/// A Rust type, classified for comparison with a C type.
#[derive(Clone, Debug, PartialEq)]
pub enum Ty {
    /// `()` or no return type.
    Unit,
    /// A Rust integer with a known size.
    Int {
        /// Size in bytes.
        size: u8,
        /// Signedness.
        signed: bool,
    },
    /// `c_char`: C's plain `char`, whatever its sign.
    Char,
    /// `f32`.
    F32,
    /// `f64`.
    F64,
    /// `bool`.
    Bool,
    /// `c_void`.
    Void,
    /// `*const T` / `*mut T`.
    Ptr {
        /// `*const`.
        is_const: bool,
        /// Pointee.
        pointee: Box<Ty>,
    },
    /// `&T` / `&mut T`.
    Ref {
        /// `&mut`.
        mutable: bool,
        /// Referent.
        inner: Box<Ty>,
    },
    /// `&CStr`, or `Option<&CStr>` (null for `None`).
    CStr {
        /// `Option<&CStr>`.
        optional: bool,
    },
    /// `extern "C" fn` pointer, possibly in `Option`.
    FnPtr {
        /// Parameters.
        params: Vec<Ty>,
        /// Variadic.
        variadic: bool,
        /// Return.
        ret: Box<Ty>,
    },
    /// Any other named type: a struct or opaque type, or an alias ffi-auto cannot see through.
    Named(String),
    /// A type that has no C counterpart.
    Unsupported(String),
}

impl Ty {
    /// Whether a safe wrapper may have this type: no raw pointers, function pointers or
    /// references (C may read or write more than the one value a `&T` or `&mut T` holds: an
    /// array, a buffer); `&CStr` is the one pointer a safe wrapper takes, for a `const char *`
    /// C reads to its NUL.
    pub fn is_safe(&self) -> bool {
        !matches!(self, Ty::Ptr { .. } | Ty::FnPtr { .. } | Ty::Ref { .. })
    }
}

/// Classifies a Rust type. Integer aliases from `core::ffi`/`std::os::raw` and `libc`'s
/// `size_t` family are recognised by name; `dm` gives their sizes.
pub fn classify(ty: &Type, dm: &DataModel) -> Ty {
    match ty {
        Type::Paren(p) => classify(&p.elem, dm),
        Type::Group(g) => classify(&g.elem, dm),
        Type::Tuple(t) if t.elems.is_empty() => Ty::Unit,
        Type::Never(_) => Ty::Unit,
        Type::Ptr(p) => Ty::Ptr {
            is_const: matches!(p.mutability, syn::PointerMutability::Const(_)),
            pointee: Box::new(classify(&p.elem, dm)),
        },
        Type::Reference(r) => {
            if path_last(&r.elem).as_deref() == Some("CStr") && r.mutability.is_none() {
                Ty::CStr { optional: false }
            } else {
                Ty::Ref {
                    mutable: r.mutability.is_some(),
                    inner: Box::new(classify(&r.elem, dm)),
                }
            }
        }
        Type::FnPtr(f) => {
            if f.abi
                .as_ref()
                .and_then(|a| a.name.as_ref())
                .is_none_or(|n| n.value() != "C")
            {
                return Ty::Unsupported(format!(
                    "`{}` (a C function pointer is `extern \"C\" fn`)",
                    ty.to_token_stream()
                ));
            }
            Ty::FnPtr {
                params: f.inputs.iter().map(|a| classify(&a.ty, dm)).collect(),
                variadic: f.variadic.is_some(),
                ret: Box::new(match &f.output {
                    ReturnType::Default => Ty::Unit,
                    ReturnType::Type(_, t) => classify(t, dm),
                }),
            }
        }
        Type::Path(p) => {
            let Some(seg) = p.path.segments.last() else {
                return Ty::Unsupported(ty.to_token_stream().to_string());
            };
            let name = seg.ident.to_string();
            if name == "Option"
                && let Some(inner) = generic_arg(&seg.arguments)
            {
                return match classify(inner, dm) {
                    Ty::CStr { .. } => Ty::CStr { optional: true },
                    f @ Ty::FnPtr { .. } => f,
                    _ => Ty::Unsupported(format!(
                        "`Option<{}>` (only `Option<&CStr>` and `Option<extern \"C\" fn>` have a C form)",
                        inner.to_token_stream()
                    )),
                };
            }
            named(&name, dm)
        }
        other => Ty::Unsupported(format!("`{}`", other.to_token_stream())),
    }
}

fn path_last(ty: &Type) -> Option<String> {
    match ty {
        Type::Path(p) => p.path.segments.last().map(|s| s.ident.to_string()),
        _ => None,
    }
}

fn generic_arg(args: &PathArguments) -> Option<&Type> {
    match args {
        PathArguments::AngleBracketed(a) => a.args.iter().find_map(|g| match g {
            GenericArgument::Type(t) => Some(t),
            _ => None,
        }),
        _ => None,
    }
}

fn named(name: &str, dm: &DataModel) -> Ty {
    let int = |size: u8, signed: bool| Ty::Int { size, signed };
    let ptr = dm.pointer.size;
    match name {
        "i8" | "c_schar" | "int8_t" => int(1, true),
        "u8" | "c_uchar" | "uint8_t" => int(1, false),
        "i16" | "int16_t" => int(2, true),
        "u16" | "uint16_t" => int(2, false),
        "i32" | "int32_t" => int(4, true),
        "u32" | "uint32_t" => int(4, false),
        "i64" | "int64_t" => int(8, true),
        "u64" | "uint64_t" => int(8, false),
        "isize" | "ssize_t" | "intptr_t" | "ptrdiff_t" => int(ptr, true),
        "usize" | "size_t" | "uintptr_t" => int(ptr, false),
        "c_short" => int(dm.short.size, true),
        "c_ushort" => int(dm.short.size, false),
        "c_int" => int(dm.int.size, true),
        "c_uint" => int(dm.int.size, false),
        "c_long" => int(dm.long.size, true),
        "c_ulong" => int(dm.long.size, false),
        "c_longlong" => int(dm.long_long.size, true),
        "c_ulonglong" => int(dm.long_long.size, false),
        "c_char" => Ty::Char,
        "f32" | "c_float" => Ty::F32,
        "f64" | "c_double" => Ty::F64,
        "bool" => Ty::Bool,
        "c_void" => Ty::Void,
        // `__int128`: Rust's `i128` has its ABI (x86-64 and aarch64).
        "i128" => int(16, true),
        "u128" => int(16, false),
        "String" | "Vec" | "str" | "CString" | "Box" | "Result" => {
            Ty::Unsupported(format!("`{name}` (not a C type)"))
        }
        other => Ty::Named(other.to_owned()),
    }
}

/// A Rust type as a person writes it (`&mut c_long`, `*const c_int`), not as tokens print.
pub(super) fn spell(ty: &Type) -> String {
    ty.to_token_stream()
        .to_string()
        .replace(" :: ", "::")
        .replace(":: ", "::")
        .replace("& mut ", "&mut ")
        .replace("& ", "&")
        .replace("* const ", "*const ")
        .replace("* mut ", "*mut ")
        .replace(" ,", ",")
        .replace("< ", "<")
        .replace(" >", ">")
        .replace(" (", "(")
}

/// Where in the signature a mismatch is.
#[derive(Clone, Copy)]
enum Place {
    Param(usize),
    Return,
}

/// One mismatch, already phrased.
pub struct Mismatch {
    /// Where to point.
    pub span: Span,
    /// What is wrong, and what to write.
    pub message: String,
}

/// How errors spell a C type's size and sign.
fn describe_c(c: &CType, dm: &DataModel) -> String {
    match c.canonical() {
        CType::Int(k) => format!(
            "{}-bit {}",
            u32::from(k.size(dm)) * 8,
            if k.is_signed(dm) {
                "signed"
            } else {
                "unsigned"
            }
        ),
        _ => String::new(),
    }
}

fn describe_rust(t: &Ty) -> String {
    match t {
        Ty::Int { size, signed } => format!(
            "{}-bit {}",
            u32::from(*size) * 8,
            if *signed { "signed" } else { "unsigned" }
        ),
        _ => String::new(),
    }
}

/// The Rust type to suggest for a C type.
pub fn suggest(c: &CType) -> String {
    c.rust_type().map_or_else(
        || format!("nothing: Rust has no type for `{c}`"),
        |r| {
            if let CType::Pointer { pointee, .. } = c.canonical()
                && matches!(pointee.canonical(), CType::Record(_) | CType::Opaque(_))
            {
                // Until struct support generates the type, the pointer's address.
                let q = if r.starts_with("*const") {
                    "*const"
                } else {
                    "*mut"
                };
                let name = c
                    .rust_type()
                    .unwrap_or_default()
                    .trim_start_matches(q)
                    .trim()
                    .to_owned();
                return format!(
                    "{q} {name}` (the type `#[ffi_auto] struct {name};` generates, or your own `#[repr(C)]` struct declared in the same `defcfuns!` block with `name = \"{name}\"`), or `{q} c_void"
                );
            }
            r
        },
    )
}

/// Whether the Rust type of a `static` may stand for the C global's type `c`: `Err` with
/// what to write instead.
///
/// # Errors
/// When they differ.
pub fn global_type(ty: &Type, c: &CType, dm: &DataModel, aliases: &Types) -> Result<(), String> {
    let t = classify(ty, dm);
    compatible(&t, c, dm, false, aliases).map_err(|why| {
        let why = if why.is_empty() {
            format!(", but `{}` is {}", quote::quote!(#ty), describe_rust(&t))
        } else {
            format!(": {why}")
        };
        format!(
            "it is `{c}` in C ({}){why}\nhint: write `{}`",
            describe_c(c, dm),
            suggest(c)
        )
    })
}

/// Whether Rust type `t` may stand for C type `c`. `Err` explains why not.
fn compatible(
    t: &Ty,
    c: &CType,
    dm: &DataModel,
    pointee: bool,
    aliases: &Types,
) -> Result<(), String> {
    let c_canon = c.canonical();
    let bad = || Err(String::new());
    match (t, c_canon) {
        (Ty::Unsupported(why), _) => Err(format!("{why} cannot be passed to C")),
        (Ty::Unit | Ty::Void, CType::Void)
        | (Ty::Bool, CType::Bool)
        | (Ty::F32, CType::Float(FloatKind::Float))
        | (Ty::F64, CType::Float(FloatKind::Double)) => Ok(()),
        (_, CType::Float(FloatKind::LongDouble)) => Err(
            "Rust has no type with `long double`'s ABI; write the entry name-only (`fn sqrtl;`): it then calls the function through the runtime, with `ffi_auto::LongDouble` values".to_owned(),
        ),
        // Plain `char`, alone or pointed to: any one-byte integer, or `c_char`.
        (Ty::Char | Ty::Int { size: 1, .. }, CType::Int(IntKind::Char)) => Ok(()),
        (Ty::Char, CType::Int(k)) if pointee && k.size(dm) == 1 => Ok(()),
        (Ty::Char, CType::Int(k)) if k.size(dm) == 1 && k.is_signed(dm) == dm.char_signed => Ok(()),
        (Ty::Int { size, signed }, CType::Int(k)) => {
            if *size == k.size(dm) && *signed == k.is_signed(dm) {
                Ok(())
            } else {
                bad()
            }
        }
        // Pointers: the pointee must match, and a pointer C writes through is not `*const`.
        (Ty::Ptr { is_const, pointee: tp }, CType::Pointer { pointee: cp, is_const: cc }) => {
            if *is_const && !*cc {
                return Err("the function may write through it, so it cannot be `*const`".to_owned());
            }
            pointee_compatible(tp, cp, dm, aliases)
        }
        (Ty::Ref { mutable, inner }, CType::Pointer { pointee: cp, is_const: cc }) => {
            if !*mutable && !*cc {
                return Err("the function may write through it, so it cannot be a shared reference `&`".to_owned());
            }
            if matches!(**inner, Ty::Void) {
                return Err("a reference to `c_void` cannot be made; use a raw pointer".to_owned());
            }
            pointee_compatible(inner, cp, dm, aliases)
        }
        (Ty::CStr { .. }, CType::Pointer { pointee, is_const }) if pointee.is_byte() => {
            if *is_const {
                Ok(())
            } else {
                Err("the function may write through `char *`, which a `&CStr` does not allow".to_owned())
            }
        }
        (Ty::FnPtr { params, variadic, ret }, CType::FnPtr(sig)) => {
            if params.len() != sig.params.len() || *variadic != sig.variadic {
                return bad();
            }
            for (p, cp) in params.iter().zip(&sig.params) {
                compatible(p, &cp.ty, dm, false, aliases)?;
            }
            compatible(ret, &sig.ret, dm, false, aliases)
        }
        (Ty::Ptr { pointee, .. }, CType::FnPtr(_)) if matches!(**pointee, Ty::Void) => Ok(()),
        (Ty::Named(n), _) if names_match(n, c, aliases) => Ok(()),
        (Ty::Named(n), CType::Int(_) | CType::Float(_) | CType::Bool) => Err(format!(
            "ffi-auto sees types by name and cannot tell what `{n}` is"
        )),
        _ => bad(),
    }
}

/// Why a struct field's Rust type does not fit its C type (`", not `x`: reason"`), if not.
pub(super) fn field_mismatch(
    ty: &Type,
    c: &CType,
    dm: &DataModel,
    aliases: &Types,
) -> Option<String> {
    let t = classify(ty, dm);
    let why = compatible(&t, c, dm, false, aliases).err()?;
    let rust = spell(ty);
    let sizes = match (describe_c(c, dm), describe_rust(&t)) {
        (cd, rd) if !cd.is_empty() && !rd.is_empty() => format!(" ({cd}), but `{rust}` is {rd}"),
        _ => format!(", not `{rust}`"),
    };
    let reason = if why.is_empty() {
        String::new()
    } else {
        format!(": {why}")
    };
    Some(format!("{sizes}{reason}; write `{}`", suggest(c)))
}

fn pointee_compatible(t: &Ty, c: &CType, dm: &DataModel, aliases: &Types) -> Result<(), String> {
    match (t, c.canonical()) {
        // `*mut c_void` stands for any pointer, and any pointer for `void *`.
        (Ty::Void, _) | (_, CType::Void) => Ok(()),
        (Ty::Named(n), CType::Record(_) | CType::Opaque(_)) => {
            if names_match(n, c, aliases) {
                Ok(())
            } else {
                Err(String::new())
            }
        }
        _ => compatible(t, c, dm, true, aliases),
    }
}

/// Whether Rust type name `n` names C type `c`: one of its names, or the Rust name a struct of
/// the same macro call was given for one of them (`#[ffi_auto(name = "timespec")] struct
/// TimeSpec`).
fn names_match(n: &str, c: &CType, aliases: &Types) -> bool {
    names_of(c).iter().any(|cn| {
        cn == n || cn.trim_start_matches('_') == n || aliases.get(cn).is_some_and(|i| i == n)
    })
}

/// The names a C type goes by: its typedef names, struct tag, and `enum` tag.
pub(super) fn names_of(c: &CType) -> Vec<String> {
    let mut out = Vec::new();
    let mut t = c;
    loop {
        match t {
            CType::Named { name, ty } => {
                out.push(name.to_string());
                t = ty;
            }
            CType::Record(r) => {
                out.extend(r.name.clone());
                break;
            }
            CType::Opaque(n) => {
                out.push(n.to_string());
                break;
            }
            _ => break,
        }
    }
    out
}

/// Checks the user's signature against `decl`; every mismatch is returned.
pub fn check(
    ident: &syn::Ident,
    user: &UserSig,
    user_unsafe: bool,
    decl: &Decl,
    dm: &DataModel,
    aliases: &Types,
) -> Vec<Mismatch> {
    let sig: &Signature = &decl.signature;
    let declared = format!(
        "the C declaration is `{}` at {}",
        sig.declare(&decl.name),
        decl.location()
    );
    let against = Against {
        decl,
        dm,
        declared: &declared,
        aliases,
    };
    let mut out = Vec::new();
    if user.inputs.len() != sig.params.len() {
        out.push(Mismatch {
            span: user.paren_span,
            message: format!(
                "`{}` takes {} parameter{} in C, {} here\nhint: {declared}",
                decl.name,
                sig.params.len(),
                if sig.params.len() == 1 { "" } else { "s" },
                user.inputs.len()
            ),
        });
    }
    for (i, ((_, ty), p)) in user.inputs.iter().zip(&sig.params).enumerate() {
        if let Some(m) = mismatch(ty, &p.ty, Place::Param(i), p.name.as_deref(), &against) {
            out.push(m);
        }
    }
    // Without `...`, a wrapper of a variadic function takes only the fixed parameters
    // (`open(path, flags)`): the C function is still declared variadic, and called with no
    // variadic arguments.
    if let (Some(span), false) = (&user.variadic, sig.variadic) {
        out.push(Mismatch {
            span: *span,
            message: format!(
                "`{}` is not variadic in C\nhint: remove the `...`; {declared}",
                decl.name
            ),
        });
    }
    out.extend(check_return(user, &against));
    if !user_unsafe {
        out.extend(safe_wrapper(ident, user, decl, dm, &declared));
    }
    out
}

/// The user's return type against the declaration's: the same C type, and never a reference.
fn check_return(user: &UserSig, against: &Against<'_>) -> Vec<Mismatch> {
    let (decl, sig) = (against.decl, &against.decl.signature);
    let declared = against.declared;
    let mut out = Vec::new();
    match &user.output {
        ReturnType::Default => {
            if !sig.ret.is_void() {
                out.push(Mismatch {
                    span: user.paren_span,
                    message: format!(
                        "`{}` returns `{}` in C\nhint: add `-> {}`; {declared}",
                        decl.name,
                        sig.ret,
                        suggest(&sig.ret)
                    ),
                });
            }
        }
        ReturnType::Type(_, ty) => {
            if let Some(m) = mismatch(ty, &sig.ret, Place::Return, None, against) {
                out.push(m);
            }
            // Never a reference: C may return null, and `&CStr` is not a C pointer.
            if matches!(classify(ty, against.dm), Ty::Ref { .. } | Ty::CStr { .. }) {
                out.push(Mismatch {
                    span: ty.span(),
                    message: format!(
                        "`{}` returns a C pointer, which may be null and says nothing about how long what it points to lives: it cannot be a Rust reference\nhint: return `{}` and read it in `unsafe` code (`CStr::from_ptr` for a string); {declared}",
                        decl.name,
                        suggest(&sig.ret)
                    ),
                });
            }
        }
    }
    out
}

/// What keeps a checked signature from being a safe `fn`: the rule for its Rust types
/// ([`safe_fn_rule`]), then what the C declaration says (a function no safe call may make, a
/// string a length follows, a variadic function), and `Option<&CStr>` where C may not take
/// null.
fn safe_wrapper(
    ident: &syn::Ident,
    user: &UserSig,
    decl: &Decl,
    dm: &DataModel,
    declared: &str,
) -> Vec<Mismatch> {
    let sig = &decl.signature;
    let must_be_unsafe = |what: String| Mismatch {
        span: ident.span(),
        message: format!(
            "`{}` {what} its wrapper must be `unsafe fn`\nhint: write `unsafe fn {ident}`; {declared}",
            decl.name
        ),
    };
    let string_with_length = sig.string_lengths().into_iter().find(|&(s, _)| {
        user.inputs
            .get(s)
            .is_some_and(|(_, t)| matches!(classify(t, dm), Ty::CStr { .. }))
    });
    let mut out: Vec<Mismatch> = if let Some(m) = safe_fn_rule(ident, user, dm) {
        vec![m]
    } else if let Some(why) = &sig.attrs.raw_only {
        vec![must_be_unsafe(format!("cannot be called safely: {why};"))]
    } else if let Some((_, l)) = string_with_length {
        vec![must_be_unsafe(format!(
            "reads as many bytes of its string as `{}` says, which a `&CStr` does not check, so",
            sig.params[l].name.as_deref().unwrap_or("the length")
        ))]
    } else if sig.variadic {
        vec![must_be_unsafe(
            "is variadic in C, and nothing checks what it reads after its fixed arguments (`fcntl(fd, F_GETLK)` writes through a pointer it was not given), so".to_owned(),
        )]
    } else {
        Vec::new()
    };
    // `None` passes null: only where the function is known to accept it.
    for ((_, ty), p) in user.inputs.iter().zip(&sig.params) {
        if matches!(classify(ty, dm), Ty::CStr { optional: true }) && !p.nullable {
            out.push(Mismatch {
                span: ty.span(),
                message: format!(
                    "`Option<&CStr>` passes null for `None`, and nothing says `{}` accepts null for {}\nhint: take `&CStr`; or, if its documentation says null is allowed, write `unsafe fn {ident}`; {declared}",
                    decl.name,
                    p.name.as_deref().map_or_else(|| "this parameter".to_owned(), |n| format!("`{n}`")),
                ),
            });
        }
    }
    out
}

/// A wrapper written as a safe `fn` must be one that safe code cannot misuse: not variadic
/// (C reads arguments no declaration describes), and no raw pointer in or out (ffi-auto cannot
/// check what C does through them). The same rule holds whether a header checked the
/// signature or not.
pub(crate) fn safe_fn_rule(ident: &syn::Ident, user: &UserSig, dm: &DataModel) -> Option<Mismatch> {
    let mut raw = user
        .inputs
        .iter()
        .map(|(_, t)| t)
        .chain(match &user.output {
            ReturnType::Type(_, t) => Some(&**t),
            ReturnType::Default => None,
        });
    let what = if user.variadic.is_some() {
        "is variadic (C reads arguments no declaration describes)"
    } else if raw.any(|t| !classify(t, dm).is_safe()) {
        "takes or returns pointers or references (ffi-auto cannot check how much C reads or writes through them)"
    } else {
        return None;
    };
    Some(Mismatch {
        span: ident.span(),
        message: format!(
            "`{ident}` {what}, so its wrapper must be `unsafe fn`\nhint: write `unsafe fn {ident}`; a safe wrapper takes numbers, `bool`, structs by value and `&CStr` (a string C reads to its NUL)"
        ),
    })
}

/// What a user's signature is checked against.
struct Against<'a> {
    decl: &'a Decl,
    dm: &'a DataModel,
    /// "the C declaration is ... at header:line".
    declared: &'a str,
    aliases: &'a Types,
}

fn mismatch(
    ty: &Type,
    c: &CType,
    place: Place,
    pname: Option<&str>,
    against: &Against<'_>,
) -> Option<Mismatch> {
    let Against {
        decl,
        dm,
        declared,
        aliases,
    } = *against;
    let t = classify(ty, dm);
    let what = match place {
        Place::Param(i) => match pname {
            Some(n) => format!("parameter {} (`{n}`) of `{}`", i + 1, decl.name),
            None => format!("parameter {} of `{}`", i + 1, decl.name),
        },
        Place::Return => format!("the return type of `{}`", decl.name),
    };
    let why = match compatible(&t, c, dm, false, aliases) {
        Err(why) => why,
        Ok(()) if matches!(c.canonical(), CType::Record(_)) && holds_long_double(c) => {
            return Some(Mismatch {
                span: ty.span(),
                message: format!(
                    "{what} is `{c}` in C, which holds a `long double`: Rust cannot pass it by value with C's ABI (no Rust type is classified as x86-64 classifies a `long double`, nor as aarch64 passes one, in a vector register)\nhint: take it by pointer, or write the entry name-only (`fn {};`), which calls the function through the runtime; {declared}",
                    decl.name
                ),
            });
        }
        Ok(()) => return None,
    };
    let rust = spell(ty);
    let sizes = match (describe_c(c, dm), describe_rust(&t)) {
        (cd, rd) if !cd.is_empty() && !rd.is_empty() => format!(" ({cd}), but `{rust}` is {rd}"),
        (cd, _) if !cd.is_empty() => format!(" ({cd}), not `{rust}`"),
        _ => format!(", not `{rust}`"),
    };
    let reason = if why.is_empty() {
        String::new()
    } else {
        format!(": {why}")
    };
    // A reference stays a reference in the suggestion.
    let suggestion = match (&t, c.canonical()) {
        (Ty::Ref { .. }, CType::Pointer { pointee, .. }) if !pointee.is_void() => pointee
            .rust_type()
            .map_or_else(|| suggest(c), |p| format!("&mut {p}")),
        _ => suggest(c),
    };
    Some(Mismatch {
        span: ty.span(),
        message: format!(
            "{what} is `{c}` in C{sizes}{reason}\nhint: write `{suggestion}`; {declared}"
        ),
    })
}

/// Whether `t` is or holds (in a field, an array, a nested struct) a `long double` by value.
pub(crate) fn holds_long_double(t: &CType) -> bool {
    match t.canonical() {
        CType::Float(FloatKind::LongDouble) => true,
        CType::Array { elem, .. } => holds_long_double(elem),
        CType::Record(r) => r.fields.iter().any(|f| holds_long_double(&f.ty)),
        _ => false,
    }
}
