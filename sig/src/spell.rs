//! The one mapping from C types to the Rust types generated code uses.
//!
//! [`CType::to_rust`] decides; [`RustTy`]'s `Display` spells the result as a user writes it
//! (`*mut c_char`), and the macros render the same tree with full paths
//! (`*mut ::core::ffi::c_char`). `ffi-auto sig`, `ffi-auto dump --json` and a name-only
//! `defcfuns!` entry therefore cannot disagree.

use std::fmt;

use crate::types::{CType, FloatKind};

/// A Rust type, as generated code spells it.
///
/// ```
/// use ffi_auto_sig::{CType, RustTy};
/// let t: CType = "const char *".parse().unwrap();
/// assert_eq!(t.to_rust(&|_| None).unwrap().to_string(), "*const c_char");
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum RustTy {
    /// `()`: a `void` return.
    Unit,
    /// `c_void`: what `void *` points to, and any struct not in scope behind a pointer.
    CVoid,
    /// `bool`.
    Bool,
    /// A `core::ffi` alias (`c_int`, `c_long`, `c_char`).
    Ffi(&'static str),
    /// A primitive (`i32`, `usize`, `f64`).
    Prim(&'static str),
    /// `*const T` / `*mut T`.
    Ptr {
        /// `*const`.
        is_const: bool,
        /// What it points to.
        pointee: Box<RustTy>,
    },
    /// `Option<unsafe extern "C" fn(...) -> R>`: C's nullable function pointer.
    FnPtr {
        /// Parameter types.
        params: Vec<RustTy>,
        /// Whether it is variadic.
        variadic: bool,
        /// The return type (`None` for `void`).
        ret: Option<Box<RustTy>>,
    },
    /// A struct, union or opaque type in scope, by its Rust name.
    Named(String),
}

impl fmt::Display for RustTy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RustTy::Unit => f.write_str("()"),
            RustTy::CVoid => f.write_str("c_void"),
            RustTy::Bool => f.write_str("bool"),
            RustTy::Ffi(n) | RustTy::Prim(n) => f.write_str(n),
            RustTy::Ptr { is_const, pointee } => {
                write!(f, "*{} {pointee}", if *is_const { "const" } else { "mut" })
            }
            RustTy::FnPtr {
                params,
                variadic,
                ret,
            } => {
                f.write_str("Option<unsafe extern \"C\" fn(")?;
                for (i, p) in params.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{p}")?;
                }
                if *variadic {
                    f.write_str(if params.is_empty() { "..." } else { ", ..." })?;
                }
                f.write_str(")")?;
                if let Some(r) = ret {
                    write!(f, " -> {r}")?;
                }
                f.write_str(">")
            }
            RustTy::Named(n) => f.write_str(n),
        }
    }
}

/// Where a type appears: what `void`, structs and arrays may be there.
#[derive(Clone, Copy, PartialEq, Eq)]
enum At {
    /// A parameter, field or constant.
    Value,
    /// A return type (`void` is `()`).
    Return,
    /// Behind a pointer (`void` is `c_void`; a struct not in scope too).
    Pointee,
}

impl CType {
    /// The Rust type generated code uses for this C type. `scope` gives the Rust name of a
    /// struct, union or opaque type declared beside it (by C tag or typedef name, as the
    /// header writes it); behind a pointer, one not in scope is `c_void`. Typedefs of
    /// scalars map to what they name (`size_t` is `usize`, `pid_t` is `c_int`).
    ///
    /// ```
    /// use ffi_auto_sig::CType;
    /// let tv = CType::mut_ptr(CType::Opaque("timeval".into()));
    /// assert_eq!(tv.to_rust(&|_| None).unwrap().to_string(), "*mut c_void");
    /// let scope = |n: &str| (n == "timeval").then(|| "timeval".to_owned());
    /// assert_eq!(tv.to_rust(&scope).unwrap().to_string(), "*mut timeval");
    /// ```
    ///
    /// # Errors
    /// Why Rust cannot spell it here: `long double`, an array or `void` by value, a struct by
    /// value that is not in scope (the message says to declare it).
    pub fn to_rust(&self, scope: &dyn Fn(&str) -> Option<String>) -> Result<RustTy, String> {
        rust(self, scope, At::Return)
    }

    /// As [`CType::to_rust`], for a type behind a pointer (`void` is `c_void`).
    ///
    /// # Errors
    /// As [`CType::to_rust`].
    pub fn to_rust_pointee(
        &self,
        scope: &dyn Fn(&str) -> Option<String>,
    ) -> Result<RustTy, String> {
        rust(self, scope, At::Pointee)
    }
}

fn rust(c: &CType, scope: &dyn Fn(&str) -> Option<String>, at: At) -> Result<RustTy, String> {
    // A typedef name in scope (`struct node;` for `typedef struct _node node;`).
    let mut t = c;
    while let CType::Named { name, ty } = t {
        if matches!(t.canonical(), CType::Record(_) | CType::Opaque(_))
            && let Some(n) = scope(name)
        {
            return Ok(RustTy::Named(n));
        }
        t = ty;
    }
    Ok(match t {
        CType::Void if at == At::Pointee => RustTy::CVoid,
        CType::Void if at == At::Return => RustTy::Unit,
        CType::Void => return Err("`void` as a value".to_owned()),
        CType::Bool => RustTy::Bool,
        CType::Int(k) => {
            let n = k.rust_name();
            if n.starts_with("c_") {
                RustTy::Ffi(n)
            } else {
                RustTy::Prim(n)
            }
        }
        CType::Float(FloatKind::Float) => RustTy::Prim("f32"),
        CType::Float(FloatKind::Double) => RustTy::Prim("f64"),
        CType::Float(FloatKind::LongDouble) => {
            return Err("`long double`, which Rust has no type for".to_owned());
        }
        // A pointer to an array points to its first element (the `Array` arm below).
        CType::Pointer { pointee, is_const } => RustTy::Ptr {
            is_const: *is_const,
            pointee: Box::new(rust(pointee, scope, At::Pointee)?),
        },
        CType::FnPtr(sig) => RustTy::FnPtr {
            params: sig
                .params
                .iter()
                .map(|p| rust(&p.ty, scope, At::Value))
                .collect::<Result<_, _>>()?,
            variadic: sig.variadic,
            ret: if sig.ret.is_void() {
                None
            } else {
                Some(Box::new(rust(&sig.ret, scope, At::Return)?))
            },
        },
        CType::Record(r) => match r.name.as_deref().and_then(scope) {
            Some(n) => RustTy::Named(n),
            None if at == At::Pointee => RustTy::CVoid,
            None => {
                let name = r.name.clone().unwrap_or_else(|| "name".to_owned());
                return Err(format!(
                    "`{}` by value, which needs the struct's Rust definition: declare `struct {name};` in the same `defcfuns!` block, or write the signature with the type `#[ffi_auto] struct {name};` generates",
                    r.c_name()
                ));
            }
        },
        CType::Opaque(n) => match scope(n) {
            Some(n) => RustTy::Named(n),
            None if at == At::Pointee => RustTy::CVoid,
            None => return Err(format!("`{n}` by value (its definition is not visible)")),
        },
        CType::Array { elem, .. } if at == At::Pointee => rust(elem, scope, At::Pointee)?,
        CType::Array { .. } => return Err(format!("an array `{c}` by value")),
        CType::Named { .. } => unreachable!("typedefs were looked through above"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn function_pointers_keep_their_typedefs_and_scope() {
        let sig: crate::Signature = "void *(size_t)".parse().unwrap();
        let f = CType::FnPtr(sig.into());
        assert_eq!(
            f.to_rust(&|_| None).unwrap().to_string(),
            "Option<unsafe extern \"C\" fn(usize) -> *mut c_void>"
        );
        let rec = CType::Opaque("node".into()).named("node_t");
        let scope = |n: &str| (n == "node_t").then(|| "Node".to_owned());
        assert_eq!(
            CType::mut_ptr(rec.clone())
                .to_rust(&scope)
                .unwrap()
                .to_string(),
            "*mut Node"
        );
        assert!(rec.to_rust(&|_| None).unwrap_err().contains("by value"));
        assert!(
            CType::Float(FloatKind::LongDouble)
                .to_rust(&|_| None)
                .is_err()
        );
    }
}
