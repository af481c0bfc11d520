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
        let s = input.trim().trim_start_matches(':');
        if s.is_empty() {
            return Err(err(input, "it is empty"));
        }
        // The original's keywords join words with '-': `unsigned-long`, `size-t`.
        let s = s
            .replace("size-t", "size_t")
            .replace("ptrdiff-t", "ptrdiff_t")
            .replace("intptr-t", "intptr_t")
            .replace('-', " ");
        let stars = s.matches('*').count();
        let (head, tail) = s.split_once('*').unwrap_or((&s, ""));
        let mut words: Vec<&str> = head.split_whitespace().collect();
        let pointee_const = words.contains(&"const");
        words.retain(|w| *w != "const" && *w != "volatile" && *w != "restrict");
        if tail
            .split(|c: char| c == '*' || c.is_whitespace())
            .any(|w| !w.is_empty() && w != "const" && w != "restrict" && w != "volatile")
        {
            return Err(err(input, "only `const` may follow `*`"));
        }
        let base = match words.as_slice() {
            [] => return Err(err(input, "it names no type")),
            ["signed", "__int128"] => CType::Int(IntKind::I128),
            ["unsigned", "__int128"] => CType::Int(IntKind::U128),
            [one] => match named_base(one) {
                Some(t) => t,
                None => arithmetic(&words, input)?,
            },
            _ => arithmetic(&words, input)?,
        };
        if stars == 0 {
            // `const int` as a value type is just `int`.
            return Ok(base);
        }
        let mut t = base;
        for i in 0..stars {
            t = CType::Pointer {
                pointee: Box::new(t),
                is_const: i == 0 && pointee_const,
            };
        }
        Ok(t)
    }
}

impl FromStr for Signature {
    type Err = ParseTypeError;

    /// Reads `RET (T1, T2, ...)`, the form [`Signature`]'s `Display` prints.
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
    /// ```
    fn from_str(input: &str) -> Result<Signature, ParseTypeError> {
        let s = input.trim();
        let (Some(open), true) = (s.find('('), s.ends_with(')')) else {
            return Err(err(input, "a signature is written `RET (T1, T2, ...)`"));
        };
        let mut sig = Signature::new(s[..open].parse()?);
        let inner = s[open + 1..s.len() - 1].trim();
        if inner.is_empty() || inner == "void" {
            return Ok(sig);
        }
        let parts: Vec<&str> = inner.split(',').map(str::trim).collect();
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
                sig = sig.param(ty.parse()?);
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

/// A parameter type and its nullability qualifier (`char ** _Nullable`), if it has one.
fn split_nullability(p: &str) -> (String, Option<&'static str>) {
    for q in ["_Nullable", "_Nonnull"] {
        if p.split_whitespace().any(|w| w == q) {
            let ty: Vec<&str> = p.split_whitespace().filter(|w| *w != q).collect();
            return (ty.join(" "), Some(q));
        }
    }
    (p.to_owned(), None)
}
