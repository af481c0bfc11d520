//! Function signatures.

use std::fmt;

use crate::types::CType;

/// One parameter of a [`Signature`].
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Param {
    /// The name in the declaration, when it has one.
    pub name: Option<String>,
    /// The type.
    pub ty: CType,
    /// `__attribute__((nonnull))` or `_Nonnull` applies: passing a null pointer is an error.
    pub nonnull: bool,
    /// The function is known to accept a null pointer here (`_Nullable`, or the C standard
    /// or POSIX says so): only then may a safe call pass null.
    pub nullable: bool,
}

impl Param {
    /// An unnamed parameter.
    pub fn new(ty: CType) -> Param {
        Param {
            name: None,
            ty,
            nonnull: false,
            nullable: false,
        }
    }
}

/// `__attribute__((format(archetype, string_index, first_to_check)))`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct FormatAttr {
    /// `printf`, `scanf`, `strftime`, ...
    pub archetype: String,
    /// 1-based index of the format string parameter.
    pub string_index: u32,
    /// 1-based index of the first checked argument (0 for a `va_list` function).
    pub first_to_check: u32,
}

/// Function attributes the header states.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct FnAttrs {
    /// `__attribute__((warn_unused_result))`.
    pub warn_unused_result: bool,
    /// `__attribute__((deprecated("...")))`, with its message (possibly empty).
    pub deprecated: Option<String>,
    /// `__attribute__((format(...)))`.
    pub format: Option<FormatAttr>,
    /// `__attribute__((noreturn))` / `_Noreturn`.
    pub noreturn: bool,
    /// For an `open`-like function, the 1-based index of its flags parameter: its variadic
    /// part is one `mode_t`, which it reads when the flags hold `O_CREAT` or `O_TMPFILE`.
    pub open_mode: Option<u32>,
    /// Why no safe call may call this function whatever its arguments, when that is so: it
    /// returns twice (`vfork`, `returns_twice`), installs a handler that runs in signal
    /// context, keeps a string after the call, closes descriptors Rust objects own, changes
    /// process-wide state other threads read without a lock, or takes a handle disguised as
    /// an integer (`pthread_t`). Only `call_raw` calls it.
    pub raw_only: Option<String>,
    /// Its string parameters are read up to their NUL even when a length follows them
    /// (`strnlen`, `strncmp`): that length need not fit the string.
    pub stops_at_nul: bool,
}

/// A C function's type: return type, parameters, whether it is variadic, and its attributes.
///
/// Build one by hand (the original's explicit signatures), parse type names from strings, or get
/// one from a header through discovery.
///
/// ```
/// use ffi_auto_sig::{CType, Signature};
/// let strtol = Signature::new(CType::LONG)
///     .param_named("nptr", CType::string())
///     .param_named("endptr", CType::mut_ptr(CType::mut_ptr(CType::CHAR)))
///     .param_named("base", CType::INT);
/// assert_eq!(strtol.declare("strtol"), "long strtol(const char *nptr, char **endptr, int base)");
///
/// let printf = Signature::new(CType::INT).param(CType::string()).variadic();
/// assert_eq!(printf.to_string(), "int (const char *, ...)");
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Signature {
    /// The return type.
    pub ret: CType,
    /// The fixed parameters.
    pub params: Vec<Param>,
    /// Whether `...` follows the fixed parameters.
    pub variadic: bool,
    /// Attributes.
    pub attrs: FnAttrs,
}

impl Signature {
    /// A signature returning `ret`, with no parameters yet.
    pub fn new(ret: CType) -> Signature {
        Signature {
            ret,
            params: Vec::new(),
            variadic: false,
            attrs: FnAttrs::default(),
        }
    }

    /// Adds an unnamed parameter.
    pub fn param(mut self, ty: CType) -> Signature {
        self.params.push(Param::new(ty));
        self
    }

    /// Adds a named parameter.
    pub fn param_named(mut self, name: &str, ty: CType) -> Signature {
        self.params.push(Param {
            name: Some(name.to_owned()),
            ty,
            nonnull: false,
            nullable: false,
        });
        self
    }

    /// Marks the signature variadic (`...` after the fixed parameters).
    pub fn variadic(mut self) -> Signature {
        self.variadic = true;
        self
    }

    /// Marks parameter `index` (0-based) `nonnull`: a null pointer there is refused before the
    /// call.
    pub fn nonnull(mut self, index: usize) -> Signature {
        if let Some(p) = self.params.get_mut(index) {
            p.nonnull = true;
        }
        self
    }

    /// Marks parameter `index` (0-based) nullable: the function accepts a null pointer there,
    /// so a safe call may pass one (`None`, `Value::Null`).
    ///
    /// ```
    /// use ffi_auto_sig::Signature;
    /// let time: Signature = "long (long *)".parse().unwrap();
    /// let time = time.nullable(0);
    /// assert!(time.params[0].nullable);
    /// ```
    pub fn nullable(mut self, index: usize) -> Signature {
        if let Some(p) = self.params.get_mut(index) {
            p.nullable = true;
        }
        self
    }

    /// The parameter list as C writes it: `const char *s, int c`, `void`, `const char *, ...`.
    pub fn param_list(&self) -> String {
        self.param_list_with(&|n| n.to_owned())
    }

    /// [`Signature::param_list`], with `opaque` spelling structs referred to by name (see
    /// [`CType::declare_with`]).
    pub fn param_list_with(&self, opaque: &dyn Fn(&str) -> String) -> String {
        let mut parts: Vec<String> = self
            .params
            .iter()
            .map(|p| p.ty.declare_with(p.name.as_deref().unwrap_or(""), opaque))
            .collect();
        if self.variadic {
            parts.push("...".to_owned());
        }
        if parts.is_empty() {
            "void".to_owned()
        } else {
            parts.join(", ")
        }
    }

    /// The C declaration of a function called `name` with this signature.
    pub fn declare(&self, name: &str) -> String {
        self.declare_with(name, &|n| n.to_owned())
    }

    /// [`Signature::declare`], with `opaque` spelling structs referred to by name (see
    /// [`CType::declare_with`]): what a C compiler reads.
    ///
    /// ```
    /// use ffi_auto_sig::{CType, Signature};
    /// let tv = CType::mut_ptr(CType::Opaque("timeval".into()));
    /// let sig = Signature::new(CType::INT).param(tv).param(CType::void_ptr());
    /// assert_eq!(
    ///     sig.declare_with("gettimeofday", &|n| format!("struct {n}")),
    ///     "int gettimeofday(struct timeval *, void *)"
    /// );
    /// ```
    pub fn declare_with(&self, name: &str, opaque: &dyn Fn(&str) -> String) -> String {
        self.ret
            .declare_with(&format!("{name}({})", self.param_list_with(opaque)), opaque)
    }
}

impl fmt::Display for Signature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let types: Vec<String> = self.params.iter().map(|p| p.ty.to_string()).collect();
        let mut list = types.join(", ");
        if self.variadic {
            list.push_str(if list.is_empty() { "..." } else { ", ..." });
        }
        if list.is_empty() {
            list.push_str("void");
        }
        write!(f, "{} ({list})", self.ret)
    }
}
