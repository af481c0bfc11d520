//! What discovery produces: the callable functions of a header set, and the names that look
//! callable but are not.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

use ffi_auto_sig::{CType, Record, RecordKind, Signature};
use serde::{Deserialize, Serialize};

/// A function declaration found in a header.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decl {
    /// The C name.
    pub name: String,
    /// The symbol the linker sees when it differs from the name (`__REDIRECT`, asm labels,
    /// `#define f f64`).
    pub link_name: Option<String>,
    /// The signature, typedef names kept.
    pub signature: Signature,
    /// The header that declares it.
    pub header: PathBuf,
    /// The line of the declaration.
    pub line: u32,
}

impl Decl {
    /// The symbol to look up.
    pub fn symbol(&self) -> &str {
        self.link_name.as_deref().unwrap_or(&self.name)
    }

    /// `header.h:123`.
    pub fn location(&self) -> String {
        format!("{}:{}", self.header.display(), self.line)
    }
}

/// A name a header defines that cannot be called: a function-like macro, a `static inline`
/// function, a function without a prototype, or one using a type ffi-auto cannot pass.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NotCallable {
    /// The name.
    pub name: String,
    /// Why it cannot be called, and what to do instead.
    pub reason: String,
    /// Where it is defined.
    pub header: PathBuf,
    /// The line.
    pub line: u32,
    /// For a `static` (inline) function of types ffi-auto can pass, its signature: a C shim
    /// (an exported function of the same signature that calls it, `shim`) makes it callable.
    pub shim: Option<ffi_auto_sig::Signature>,
}

/// A global variable a header declares (`extern long timezone;`, `extern char **environ;`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Global {
    /// The C name.
    pub name: String,
    /// Its type.
    pub ty: ffi_auto_sig::CType,
    /// Declared `const`: read only.
    pub is_const: bool,
    /// The name the linker sees, when the header renames it (`__asm__`).
    pub link_name: Option<String>,
    /// Where it is declared.
    pub header: PathBuf,
    /// The line.
    pub line: u32,
}

impl Global {
    /// The linker's name for it.
    pub fn symbol(&self) -> &str {
        self.link_name.as_deref().unwrap_or(&self.name)
    }
}

/// A constant a header defines: an object-like macro that evaluates to a number or a string
/// (`O_RDONLY`, `ZLIB_VERSION`), or an enumerator (`SEEK_SET` in some libcs, `Z_OK`-style
/// enums).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Constant {
    /// The name.
    pub name: String,
    /// Its C type as the compiler gives it (`int`, `unsigned long`, `double`, `const char *`
    /// for strings, `enum tag` for enumerators).
    pub ty: ffi_auto_sig::CType,
    /// The value.
    pub value: ConstValue,
    /// Where it is defined.
    pub header: PathBuf,
    /// The line.
    pub line: u32,
}

/// The value of a [`Constant`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum ConstValue {
    /// A signed integer.
    Int(i64),
    /// An unsigned integer too large for `i64`, or of an unsigned type.
    UInt(u64),
    /// A floating-point number.
    Float(f64),
    /// A string literal's bytes, without the terminating NUL.
    Str(Vec<u8>),
    /// A pointer's address: a cast of an integer to a pointer or function pointer type
    /// (`((sqlite3_destructor_type)-1)`, `((void *)0)`).
    Ptr(u64),
}

impl ConstValue {
    /// An integer value as `i64`, when it fits.
    pub fn as_i64(&self) -> Option<i64> {
        match *self {
            ConstValue::Int(v) => Some(v),
            ConstValue::UInt(v) => i64::try_from(v).ok(),
            _ => None,
        }
    }

    /// A floating-point value (or an integer exactly representable as one).
    pub fn as_f64(&self) -> Option<f64> {
        match *self {
            ConstValue::Float(v) => Some(v),
            _ => None,
        }
    }

    /// A string's bytes.
    pub fn as_bytes(&self) -> Option<&[u8]> {
        match self {
            ConstValue::Str(b) => Some(b),
            _ => None,
        }
    }
}

impl std::fmt::Display for ConstValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ConstValue::Int(v) => write!(f, "{v}"),
            ConstValue::UInt(v) => write!(f, "{v}"),
            ConstValue::Float(v) => write!(f, "{v:?}"),
            ConstValue::Str(b) => write!(f, "{:?}", String::from_utf8_lossy(b)),
            ConstValue::Ptr(a) => write!(f, "{a:#x}"),
        }
    }
}

/// A struct or union a header declares without defining it (`FILE` in some libcs, `sqlite3`):
/// usable only behind a pointer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpaqueDecl {
    /// The name (tag or typedef name).
    pub name: String,
    /// Where it is declared.
    pub header: PathBuf,
    /// The line.
    pub line: u32,
    /// `struct` or `union`: what a C compiler must be told where the tag is spelled (a shim's
    /// `union tag *` parameter).
    pub kind: RecordKind,
    /// The tag, where `name` is a typedef's (`typedef struct ssl_st SSL;`); `None` where
    /// `name` is the tag.
    pub tag: Option<String>,
}

/// A file read while parsing, with what identifies its contents.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Dep {
    /// The file.
    pub path: PathBuf,
    /// Its size.
    pub size: u64,
    /// Its modification time, in nanoseconds since the epoch.
    pub mtime_ns: u128,
    /// Its inode change time, in nanoseconds since the epoch (what `touch` cannot set).
    pub ctime_ns: u128,
    /// CRC-32 of its contents.
    pub crc: u32,
}

/// Everything discovery learned from one header set.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Declarations {
    /// Callable functions, by C name.
    pub functions: HashMap<String, Arc<Decl>>,
    /// Names that cannot be called, by name.
    pub not_callable: HashMap<String, NotCallable>,
    /// Layouts of the complete structs and unions the signatures refer to by name (behind a
    /// pointer a record is `CType::Opaque(name)`; its layout, when complete, is here).
    pub records: HashMap<String, Record>,
    /// Structs and unions declared but not defined, by name.
    pub opaque: HashMap<String, OpaqueDecl>,
    /// Constants: macros that evaluate to numbers or strings, and enumerators.
    pub constants: HashMap<String, Constant>,
    /// Global variables, by C name.
    pub globals: HashMap<String, Global>,
    /// Typedef names and the types they name (`pid_t` -> `int`, `fd_set` -> its struct by
    /// name): what a written signature may use (`int (int, const fd_set *)`).
    pub typedefs: HashMap<String, CType>,
    /// The top-level headers of the set, as found.
    pub headers: Vec<PathBuf>,
    /// The files that make up the API of the set's named headers: each named header and
    /// every file it brings in from outside the C library and POSIX (an umbrella header's
    /// library). Empty when the set names no headers of its own. See
    /// [`Declarations::in_api`].
    pub api: Vec<PathBuf>,
    /// Every file read, for staleness checks.
    pub deps: Vec<Dep>,
    /// The target clang parsed for (`x86_64-pc-linux-gnu`).
    pub target: String,
}

impl Declarations {
    /// [`Catalog::resolve_type`](crate::Catalog::resolve_type), on these declarations.
    pub fn resolve_type(&self, spelled: &str) -> Option<CType> {
        resolve_type(
            spelled,
            &|n| self.records.get(n).cloned(),
            &|n| self.opaque.get(n).cloned(),
            &|n| self.typedefs.get(n).cloned(),
        )
    }

    /// Whether `tag` names a union (complete or not) of the set: what a C compiler must be
    /// told where the tag is spelled.
    pub fn is_union(&self, tag: &str) -> bool {
        self.resolve_type(&format!("union {tag}")).is_some()
    }

    /// Whether a declaration made in `header` is part of the named headers' API: declared
    /// in one of them or in a file they bring in from outside the C library and POSIX
    /// (`openssl/ssl.h` brings in the whole `openssl/*.h` API). With no named headers,
    /// nothing is.
    ///
    /// ```
    /// # use ffi_auto_discovery::Declarations;
    /// let mut d = Declarations::default();
    /// d.api = vec!["/usr/include/zlib.h".into(), "/usr/include/zconf.h".into()];
    /// assert!(d.in_api(std::path::Path::new("/usr/include/zconf.h")));
    /// assert!(!d.in_api(std::path::Path::new("/usr/include/stdio.h")));
    /// ```
    pub fn in_api(&self, header: &std::path::Path) -> bool {
        self.api
            .binary_search_by(|p| p.as_path().cmp(header))
            .is_ok()
    }

    /// The functions of the named headers' API ([`Declarations::in_api`]), sorted by name.
    pub fn api_functions(&self) -> Vec<&Arc<Decl>> {
        let mut v: Vec<&Arc<Decl>> = self
            .functions
            .values()
            .filter(|d| self.in_api(&d.header))
            .collect();
        v.sort_by(|a, b| a.name.cmp(&b.name));
        v
    }
}

/// A struct's name as the declarations key it: `timeval` for `struct timeval`, and for
/// `timeval`.
///
/// ```
/// assert_eq!(ffi_auto_discovery::tag_name("union sigval"), "sigval");
/// assert_eq!(ffi_auto_discovery::tag_name("div_t"), "div_t");
/// ```
pub fn tag_name(c_name: &str) -> &str {
    c_name
        .strip_prefix("struct ")
        .or_else(|| c_name.strip_prefix("union "))
        .unwrap_or(c_name)
}

pub use ffi_auto_sig::closest;

/// A type a written signature names by its tag (`struct msghdr`, `union sigval`) or typedef
/// (`fd_set`, `pid_t`), from a set's records, opaque types and typedefs. A typedef of a
/// struct comes with its layout (a macro may take one by value); a tag of the wrong kind
/// (`union msghdr`) or a name the set does not declare is `None`.
pub(crate) fn resolve_type(
    spelled: &str,
    record: &dyn Fn(&str) -> Option<Record>,
    opaque: &dyn Fn(&str) -> Option<OpaqueDecl>,
    typedef: &dyn Fn(&str) -> Option<CType>,
) -> Option<CType> {
    let words: Vec<&str> = spelled.split_whitespace().collect();
    match words.as_slice() {
        [kw @ ("struct" | "union"), tag] => {
            if let Some(r) = record(tag) {
                return (r.kind.keyword() == *kw).then(|| CType::Record(Arc::new(r)));
            }
            let o = opaque(tag)?;
            (o.kind.keyword() == *kw && o.tag.as_deref().is_none_or(|t| t == *tag))
                .then(|| CType::Opaque((*tag).into()))
        }
        [name] => {
            let t = typedef(name)?;
            // A struct the typedef refers to by name: laid out, under the typedef's name.
            match t.canonical() {
                CType::Opaque(tag) => {
                    Some(record(tag).map_or(t.clone(), |r| CType::Record(Arc::new(r)).named(name)))
                }
                _ => Some(t),
            }
        }
        _ => None,
    }
}
