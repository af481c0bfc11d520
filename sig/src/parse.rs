//! Type names from strings: C spellings (`unsigned long`, `const char *`) and the original's
//! keywords (`:unsigned-long`, `:size-t`, `:pointer`, `:string`).
//!
//! This reads type *names* only, the way a user writes them in an explicit signature; whole
//! declarations come from headers through libclang.

use std::str::FromStr;

use crate::signature::Signature;
use crate::types::{CType, FloatKind, IntKind};

/// A type name that could not be read.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error(
    "cannot read `{input}` as a C type: {reason}\nhint: write a C type name such as `int`, `unsigned long`, `size_t`, `const char *`, `void *`, or a keyword such as `pointer` or `string`"
)]
pub struct ParseTypeError {
    /// What was given.
    pub input: String,
    /// What is wrong with it.
    pub reason: String,
}

fn err(input: &str, reason: impl Into<String>) -> ParseTypeError {
    ParseTypeError {
        input: input.to_owned(),
        reason: reason.into(),
    }
}

fn named_base(word: &str) -> Option<CType> {
    Some(match word {
        "void" => CType::Void,
        "bool" | "_Bool" => CType::Bool,
        "float" => CType::FLOAT,
        "double" => CType::DOUBLE,
        "int8_t" => CType::Int(IntKind::I8),
        "int16_t" => CType::Int(IntKind::I16),
        "int32_t" => CType::Int(IntKind::I32),
        "int64_t" => CType::Int(IntKind::I64),
        "uint8_t" => CType::Int(IntKind::U8),
        "uint16_t" => CType::Int(IntKind::U16),
        "uint32_t" => CType::Int(IntKind::U32),
        "uint64_t" => CType::Int(IntKind::U64),
        "size_t" => CType::SIZE_T,
        "ssize_t" => CType::SSIZE_T,
        "ptrdiff_t" => CType::Int(IntKind::PtrDiff),
        "intptr_t" => CType::Int(IntKind::IntPtr),
        "uintptr_t" => CType::Int(IntKind::UIntPtr),
        "__int128" | "__int128_t" => CType::Int(IntKind::I128),
        "__uint128_t" => CType::Int(IntKind::U128),
        "pointer" => CType::void_ptr(),
        "string" => CType::string(),
        "uchar" => CType::Int(IntKind::UChar),
        "schar" => CType::Int(IntKind::SChar),
        "ushort" => CType::Int(IntKind::UShort),
        "uint" => CType::UINT,
        "ulong" => CType::ULONG,
        _ => return None,
    })
}

/// Reads the specifier words of an arithmetic type (`unsigned long long int`).
fn arithmetic(words: &[&str], input: &str) -> Result<CType, ParseTypeError> {
    let (mut signed, mut unsigned, mut short, mut long, mut int, mut char_, mut double) =
        (0, 0, 0, 0, 0, 0, 0);
    for w in words {
        match *w {
            "signed" => signed += 1,
            "unsigned" => unsigned += 1,
            "short" => short += 1,
            "long" => long += 1,
            "int" => int += 1,
            "char" => char_ += 1,
            "double" => double += 1,
            other => {
                return Err(err(
                    input,
                    format!("`{other}` is not a type name ffi-auto knows"),
                ));
            }
        }
    }
    let conflict = || err(input, "conflicting type specifiers");
    if signed + unsigned > 1 || int > 1 || char_ > 1 || short > 1 || long > 2 || double > 1 {
        return Err(conflict());
    }
    if double == 1 {
        return if long == 1 && signed + unsigned + short + int + char_ == 0 {
            Ok(CType::Float(FloatKind::LongDouble))
        } else if long == 0 && signed + unsigned + short + int + char_ == 0 {
            Ok(CType::DOUBLE)
        } else {
            Err(conflict())
        };
    }
    let u = unsigned == 1;
    let kind = if char_ == 1 {
        if short + long + int > 0 {
            return Err(conflict());
        }
        match (signed, unsigned) {
            (1, _) => IntKind::SChar,
            (_, 1) => IntKind::UChar,
            _ => IntKind::Char,
        }
    } else if short == 1 {
        if long > 0 {
            return Err(conflict());
        }
        if u { IntKind::UShort } else { IntKind::Short }
    } else if long == 2 {
        if u {
            IntKind::ULongLong
        } else {
            IntKind::LongLong
        }
    } else if long == 1 {
        if u { IntKind::ULong } else { IntKind::Long }
    } else if u {
        IntKind::UInt
    } else {
        IntKind::Int
    };
    Ok(CType::Int(kind))
}

impl FromStr for CType {
    type Err = ParseTypeError;

    /// ```
    /// use ffi_auto_sig::{CType, IntKind};
    /// assert_eq!("unsigned-long".parse::<CType>().unwrap(), CType::ULONG);
    /// assert_eq!(":size-t".parse::<CType>().unwrap(), CType::SIZE_T);
    /// assert_eq!("const char *".parse::<CType>().unwrap(), CType::string());
    /// assert_eq!("char**".parse::<CType>().unwrap().to_string(), "char **");
    /// assert!("unsigned float".parse::<CType>().is_err());
    /// ```
    fn from_str(input: &str) -> Result<CType, ParseTypeError> {
        CType::parse_with(input, None)
    }
}

impl CType {
    /// Reads a type name as [`FromStr`] does, asking `resolve` for the names that are not
    /// C's own: a tag (`struct msghdr`, `union sigval`) or a typedef (`fd_set`, `pid_t`).
    /// A header set answers them (`Catalog::resolve_type` in ffi-auto's discovery).
    ///
    /// ```
    /// use ffi_auto_sig::CType;
    /// let fd_set = |n: &str| (n == "fd_set").then(|| CType::Opaque("fd_set".into()));
    /// let t = CType::parse_with("const fd_set *", Some(&fd_set)).unwrap();
    /// assert_eq!(t.to_string(), "const fd_set *");
    /// assert!(CType::parse_with("fd_set *", None).is_err());
    /// let e = CType::parse_with("struct nosuch *", Some(&fd_set)).unwrap_err();
    /// assert!(e.reason.contains("`struct nosuch`"), "{}", e.reason);
    /// ```
    ///
    /// # Errors
    /// [`ParseTypeError`] saying what is wrong with `input`.
    pub fn parse_with(input: &str, resolve: Option<Resolve<'_>>) -> Result<CType, ParseTypeError> {
        let s = input.trim().trim_start_matches(':');
        if s.is_empty() {
            return Err(err(input, "it is empty"));
        }
        if let Some(t) = fn_pointer(s, input, resolve)? {
            return Ok(t);
        }
        // The original's keywords join words with '-': `unsigned-long`, `size-t`.
        let s = s
            .replace("size-t", "size_t")
            .replace("ptrdiff-t", "ptrdiff_t")
            .replace("intptr-t", "intptr_t")
            .replace('-', " ");
        let stars = s.matches('*').count();
        if stars > MAX_POINTERS {
            return Err(err(
                input,
                format!("more than {MAX_POINTERS} levels of pointer"),
            ));
        }
        let (head, tail) = s.split_once('*').unwrap_or((&s, ""));
        let mut words: Vec<&str> = head.split_whitespace().collect();
        let pointee_const = words.contains(&"const");
        words.retain(|w| *w != "const" && *w != "volatile" && *w != "restrict");
        let base = match words.as_slice() {
            [] => return Err(err(input, "it names no type")),
            ["signed", "__int128"] => CType::Int(IntKind::I128),
            ["unsigned", "__int128"] => CType::Int(IntKind::U128),
            [kw @ ("struct" | "union"), tag] => named(&format!("{kw} {tag}"), resolve, input)?,
            [one] => match named_base(one) {
                Some(t) => t,
                None if ARITHMETIC.contains(one) => arithmetic(&words, input)?,
                None => named(one, resolve, input)?,
            },
            _ => arithmetic(&words, input)?,
        };
        if stars == 0 {
            // `const int` as a value type is just `int`.
            return Ok(base);
        }
        let tail = tail.replace('*', " * ");
        pointers(
            base,
            pointee_const,
            ["*"].into_iter().chain(tail.split_whitespace()),
        )
        .ok_or_else(|| err(input, "only `const` may follow `*`"))
    }
}

/// Answers the type names a parse does not know itself: `struct msghdr`, `fd_set`.
pub type Resolve<'a> = &'a dyn Fn(&str) -> Option<CType>;

/// The words of C's arithmetic type names.
const ARITHMETIC: &[&str] = &[
    "signed", "unsigned", "short", "long", "int", "char", "double",
];

/// A type `resolve` knows by `name` (a tag with its keyword, or a typedef).
fn named(name: &str, resolve: Option<Resolve<'_>>, input: &str) -> Result<CType, ParseTypeError> {
    let ident = |w: &str| {
        !w.is_empty()
            && !w.starts_with(|c: char| c.is_ascii_digit())
            && w.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
    };
    let why = match resolve {
        _ if !name.split(' ').all(ident) => format!("`{name}` is not a type name"),
        Some(r) => match r(name) {
            Some(t) => return Ok(t),
            None => format!(
                "`{name}` is not a type name ffi-auto knows, nor one the headers declare (a typedef, or a struct or union by its tag)"
            ),
        },
        None => format!("`{name}` is not a type name ffi-auto knows"),
    };
    Err(err(input, why))
}

/// `base` behind the pointers `tokens` spell (`*`, `const`, `restrict`, `volatile`), `base`
/// itself `const` where `base_const`: each `*` points at what is built so far, and a `const`
/// after a star makes that pointer `const`, which the next one points at (`char *const *`).
/// A `const` after the last star qualifies the value itself, which a type name does not
/// keep. `None` for another word.
fn pointers<'a>(
    base: CType,
    base_const: bool,
    tokens: impl Iterator<Item = &'a str>,
) -> Option<CType> {
    let (mut t, mut pointee_const) = (base, base_const);
    for w in tokens {
        match w {
            "*" => {
                t = CType::Pointer {
                    pointee: Box::new(t),
                    is_const: pointee_const,
                };
                pointee_const = false;
            }
            "const" => pointee_const = true,
            "restrict" | "volatile" => {}
            _ => return None,
        }
    }
    Some(t)
}

impl FromStr for Signature {
    type Err = ParseTypeError;

    /// Reads `RET (T1, T2, ...)`, the form [`Signature`]'s `Display` prints. A parameter or
    /// the return may be a function pointer, `RET (*)(T1, ...)`, except one that itself
    /// returns a function pointer.
    ///
    /// ```
    /// use ffi_auto_sig::{CType, Signature};
    /// let s: Signature = "int (const char *, ...)".parse().unwrap();
    /// assert_eq!(s, Signature::new(CType::INT).param(CType::string()).variadic());
    /// let v: Signature = "void(void)".parse().unwrap();
    /// assert!(v.params.is_empty());
    /// // Clang's nullability qualifiers mark what a pointer parameter takes.
    /// let s: Signature = "long (const char * _Nonnull, char ** _Nullable, int)".parse().unwrap();
    /// assert!(s.params[0].nonnull && s.params[1].nullable);
    /// // An inner pointer's nullability is not the parameter's.
    /// assert!("long (char * _Nullable *)".parse::<Signature>().is_err());
    /// // Function pointers, as `Display` prints them: qsort's comparator, signal's handler.
    /// let qsort = "void (void *, size_t, size_t, int (*)(const void *, const void *))";
    /// assert_eq!(qsort.parse::<Signature>().unwrap().to_string(), qsort);
    /// let signal = "void (*)(int) (int, void (*)(int))";
    /// assert_eq!(signal.parse::<Signature>().unwrap().to_string(), signal);
    /// ```
    fn from_str(input: &str) -> Result<Signature, ParseTypeError> {
        Signature::parse_with(input, None)
    }
}

impl Signature {
    /// Reads a signature as [`FromStr`] does, asking `resolve` for the type names that are
    /// not C's own (see [`CType::parse_with`]): `int (int, const fd_set *)` for `FD_ISSET`.
    ///
    /// ```
    /// use ffi_auto_sig::{CType, Signature};
    /// let msghdr = |n: &str| (n == "struct msghdr").then(|| CType::Opaque("msghdr".into()));
    /// let s = Signature::parse_with("void *(struct msghdr *)", Some(&msghdr)).unwrap();
    /// assert_eq!(s.params[0].ty, CType::mut_ptr(CType::Opaque("msghdr".into())));
    /// ```
    ///
    /// # Errors
    /// [`ParseTypeError`] saying what is wrong with `input`.
    pub fn parse_with(
        input: &str,
        resolve: Option<Resolve<'_>>,
    ) -> Result<Signature, ParseTypeError> {
        let s = input.trim();
        // The parameter list is the last parenthesized group: the return type may hold its
        // own (`void (*)(int) (int, void (*)(int))`, signal's).
        let Some(open) = matching_open(s).filter(|o| !s[..*o].trim().is_empty()) else {
            return Err(err(input, "a signature is written `RET (T1, T2, ...)`"));
        };
        let mut sig = Signature::new(CType::parse_with(&s[..open], resolve)?);
        let inner = s[open + 1..s.len() - 1].trim();
        if inner.is_empty() || inner == "void" {
            return Ok(sig);
        }
        let parts = split_top(inner);
        for (i, p) in parts.iter().enumerate() {
            if *p == "..." {
                if i + 1 != parts.len() {
                    return Err(err(input, "`...` must come last"));
                }
                sig = sig.variadic();
            } else {
                let (ty, nullability) = split_nullability(p);
                if nullability.is_some() && !p.trim_end().ends_with(nullability.unwrap_or_default())
                {
                    return Err(err(
                        input,
                        "`_Nullable` and `_Nonnull` qualify the parameter itself: write them last (`char ** _Nullable`)",
                    ));
                }
                let index = sig.params.len();
                sig = sig.param(CType::parse_with(&ty, resolve)?);
                match nullability {
                    Some("_Nonnull") => sig = sig.nonnull(index),
                    Some(_) => sig = sig.nullable(index),
                    None => {}
                }
            }
        }
        Ok(sig)
    }
}

/// The index of the `(` that the `)` ending `s` closes, if `s` ends with one and its
/// parentheses balance.
fn matching_open(s: &str) -> Option<usize> {
    if !s.ends_with(')') {
        return None;
    }
    let mut depth = 0usize;
    for (i, c) in s.char_indices().rev() {
        match c {
            ')' => depth += 1,
            '(' => {
                depth = depth.checked_sub(1)?;
                if depth == 0 {
                    return Some(i);
                }
            }
            _ => {}
        }
    }
    None
}

/// `s` split at the commas outside parentheses, each part trimmed.
fn split_top(s: &str) -> Vec<&str> {
    let (mut parts, mut depth, mut start) = (Vec::new(), 0i32, 0);
    for (i, c) in s.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(s[start..i].trim());
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(s[start..].trim());
    parts
}

/// How many levels of pointer a type name may have (each is a level of nesting in the model,
/// which is dropped and printed recursively).
const MAX_POINTERS: usize = 32;

/// How deep parentheses may nest in a type name (C's own limit is 63 declarator levels; real
/// signatures use 2 or 3).
const MAX_NESTING: i32 = 32;

/// A pointer to a function, `RET (*)(T1, T2, ...)` (`(**)` for a pointer to one, `(* const)`
/// for a constant one), or `None` for a type of another shape.
fn fn_pointer(
    s: &str,
    input: &str,
    resolve: Option<Resolve<'_>>,
) -> Result<Option<CType>, ParseTypeError> {
    let Some(open) = s.find('(') else {
        return Ok(None);
    };
    // Each level is a recursion: a bound keeps a hostile string from exhausting the stack.
    let deepest = s
        .chars()
        .scan(0i32, |d, c| {
            *d += i32::from(c == '(') - i32::from(c == ')');
            Some(*d)
        })
        .max()
        .unwrap_or(0);
    if deepest > MAX_NESTING {
        return Err(err(
            input,
            format!("function pointer types nest more than {MAX_NESTING} deep"),
        ));
    }
    let rest = &s[open + 1..];
    let Some(close) = rest.find(')') else {
        return Err(err(input, "a `(` is not closed"));
    };
    let stars = &rest[..close];
    if !stars.trim_start().starts_with('*') {
        return Err(err(
            input,
            "a parenthesized type is a function pointer, written `RET (*)(T1, T2, ...)`",
        ));
    }
    if stars.matches('*').count() > MAX_POINTERS {
        return Err(err(
            input,
            format!("more than {MAX_POINTERS} levels of pointer"),
        ));
    }
    let params = rest[close + 1..].trim();
    if !params.starts_with('(') || matching_open(params) != Some(0) {
        return Err(err(
            input,
            "a function pointer is written `RET (*)(T1, T2, ...)` (one returning a function pointer cannot be written here)",
        ));
    }
    let sig = Signature::parse_with(&format!("{} {params}", &s[..open]), resolve)?;
    // The first star is the function pointer's own; a `const` after it makes the pointer
    // the next star makes point at `const` (`int (*const *)(int)`). Nullability qualifiers
    // (clang's `int (* _Nonnull)(int)`) are not kept here.
    let stars = stars.replace('*', " * ");
    let tokens = stars
        .split_whitespace()
        .skip(1)
        .filter(|w| !matches!(*w, "_Nonnull" | "_Nullable" | "_Null_unspecified"));
    let t = pointers(CType::FnPtr(std::sync::Arc::new(sig)), false, tokens)
        .ok_or_else(|| err(input, "only `*` and `const` go in `(*)`"))?;
    Ok(Some(t))
}

/// A parameter type and its nullability qualifier (`char ** _Nullable`), if it has one (a
/// function pointer's own parameters keep theirs).
fn split_nullability(p: &str) -> (String, Option<&'static str>) {
    let (head, tail) = p.split_at(p.rfind(')').unwrap_or(0));
    for q in ["_Nullable", "_Nonnull"] {
        if tail.split_whitespace().any(|w| w == q) {
            let ty: Vec<&str> = tail.split_whitespace().filter(|w| *w != q).collect();
            return (format!("{head}{}", ty.join(" ")), Some(q));
        }
    }
    (p.to_owned(), None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn function_pointers_parse_in_every_position() {
        let t: CType = "int (**)(int)".parse().unwrap();
        assert!(
            matches!(&t, CType::Pointer { pointee, .. } if matches!(**pointee, CType::FnPtr(_)))
        );
        assert_eq!(t.to_string(), "int (**)(int)");
        let t: CType = "int(*const)(void)".parse().unwrap();
        assert!(matches!(&t, CType::FnPtr(s) if s.params.is_empty()));
        // Nullability inside a function pointer's parameters is theirs, not the parameter's.
        let s: Signature = "int (int (*)(const char * _Nonnull) _Nullable, int)"
            .parse()
            .unwrap();
        assert!(s.params[0].nullable && !s.params[0].nonnull);
        let CType::FnPtr(inner) = &s.params[0].ty else {
            panic!("{s}")
        };
        assert!(inner.params[0].nonnull);
        // Qualifiers where C puts them, read back as printed.
        for spelling in [
            "char *const *",
            "const char *const *",
            "int (*const *)(int)",
            "int (***)(int)",
        ] {
            assert_eq!(spelling.parse::<CType>().unwrap().to_string(), spelling);
        }
        let row = CType::Pointer {
            pointee: Box::new(CType::Array {
                elem: Box::new(CType::INT),
                len: 4,
            }),
            is_const: true,
        };
        assert_eq!(row.declare("p"), "const int (*p)[4]");
        let t: CType = "int (* _Nonnull)(int)".parse().unwrap();
        assert!(matches!(t, CType::FnPtr(_)));
        // A callback taking a callback.
        let s: Signature = "void (void (*)(int (*)(long), long), long)"
            .parse()
            .unwrap();
        assert_eq!(s.to_string(), "void (void (*)(int (*)(long), long), long)");
    }

    #[test]
    fn malformed_function_pointers_say_what_is_wrong() {
        for (bad, reason) in [
            ("int (int", "RET (T1"),
            ("(int)", "RET (T1"),
            ("int (int))", "RET (T1"),
        ] {
            let e = bad.parse::<Signature>().unwrap_err();
            assert!(e.reason.contains(reason), "{bad}: {}", e.reason);
        }
        for (bad, reason) in [
            ("int (x)(int)", "function pointer"),
            ("int (*)(int", "RET (*)("),
            ("int (*)", "RET (*)("),
            ("int (*)(int) x", "RET (*)("),
            ("int (* x)(int)", "only `*` and `const`"),
            ("int (*", "not closed"),
        ] {
            let e = bad.parse::<CType>().unwrap_err();
            assert!(e.reason.contains(reason), "{bad}: {}", e.reason);
        }
        for many in [
            format!("char {}", "*".repeat(100_000)),
            format!("int ({})(int)", "*".repeat(100_000)),
        ] {
            let e = many.parse::<CType>().unwrap_err();
            assert!(e.reason.contains("levels of pointer"), "{}", e.reason);
        }
        let deep = format!("{}int{}", "int (*)(".repeat(10_000), ")".repeat(10_000));
        let e = deep.parse::<CType>().unwrap_err();
        assert!(e.reason.contains("nest"), "{}", e.reason);
        assert!(deep.parse::<Signature>().is_err());
    }
}
