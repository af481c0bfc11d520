//! The variadic contract of `printf`- and `scanf`-like functions: a format string read into
//! the C type of every argument it consumes, so that a call can check its variadic arguments
//! (their count, and each one's type) before C reads them.
//!
//! ```
//! use ffi_auto_runtime::format::{Family, parse};
//! use ffi_auto_runtime::sig::CType;
//! let args = parse(Family::Printf, b"%s has %*d items (%.1f%%)\n").unwrap();
//! let types: Vec<String> = args.iter().map(|c| c.ty.to_string()).collect();
//! assert_eq!(types, ["const char *", "int", "int", "double"]);
//! assert_eq!(args[2].spec, "%*d");
//! assert!(parse(Family::Printf, b"%Q").is_err());
//! ```
//!
//! The grammar is C's (C17 7.21.6) with the POSIX and glibc extensions real code uses:
//! positional arguments (`%2$s`, `%*1$d`), the `'` and `I` flags, the `q`, `Z` and `L` (for
//! integers) length modifiers, `%m`, `%C`, `%S`, `%b`, and scanf's `m` allocation flag.

use std::collections::BTreeMap;
use std::fmt;

use ffi_auto_sig::{CType, FloatKind, IntKind};

/// The two format archetypes C compilers know.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Family {
    /// `printf`: arguments are values.
    Printf,
    /// `scanf`: arguments are pointers the function writes through.
    Scanf,
}

impl Family {
    /// The family of a `format(archetype, ...)` attribute's archetype (`printf`, `__printf__`,
    /// `gnu_printf`, `scanf`, ...); `None` for others (`strftime`, `strfmon`).
    pub fn of_archetype(archetype: &str) -> Option<Family> {
        match archetype.trim_matches('_') {
            "printf" | "gnu_printf" => Some(Family::Printf),
            "scanf" | "gnu_scanf" => Some(Family::Scanf),
            _ => None,
        }
    }
}

/// One argument a format string consumes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Conversion {
    /// The conversion specification that consumes it, as written (`%ld`, `%*d`, `%2$s`).
    pub spec: String,
    /// What it is for: `"value"`, `"width"` or `"precision"`.
    pub role: &'static str,
    /// The C type the argument must have.
    pub ty: CType,
    /// Whether the function writes through it (`%n`, and every assigning scanf conversion).
    pub writes: bool,
}

/// Why a format string cannot be checked.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FormatError {
    /// The string ends inside a conversion specification.
    #[error("the format ends inside the conversion `{spec}` (write `%%` for a literal `%`)")]
    Incomplete {
        /// What was read of it.
        spec: String,
    },
    /// A conversion character C does not define, or a length modifier it does not combine with.
    #[error("`{spec}` at byte {at} is not a conversion this function understands")]
    Unknown {
        /// The specification.
        spec: String,
        /// Its byte offset in the format.
        at: usize,
    },
    /// A `long double` argument (`%Lf`) on a target whose `long double` format ffi-auto does
    /// not know (see [`LongDouble`](crate::LongDouble)).
    #[error(
        "`{spec}` takes a `long double`, whose format on this target ffi-auto does not know; format a `double` with `%f`"
    )]
    LongDouble {
        /// The specification.
        spec: String,
    },
    /// `%[` without its closing `]`.
    #[error("the scan set `{spec}` has no closing `]`")]
    UnterminatedSet {
        /// The specification.
        spec: String,
    },
    /// Positional (`%1$d`) and sequential (`%d`) arguments mixed in one format.
    #[error(
        "`{spec}` mixes positional (`%1$d`) and sequential (`%d`) arguments, which C leaves undefined"
    )]
    MixedPositional {
        /// The specification that broke the pattern.
        spec: String,
    },
    /// A positional format that skips an argument (its type is then unknown).
    #[error(
        "the format uses argument {max} but never argument {missing}, whose type is then unknown"
    )]
    PositionGap {
        /// The argument never referenced.
        missing: usize,
        /// The highest argument referenced.
        max: usize,
    },
    /// A position beyond what C guarantees (`NL_ARGMAX`, 4096 in glibc).
    #[error("`{spec}` names an argument beyond the {MAX_POSITION} a format may number")]
    PositionTooLarge {
        /// The specification.
        spec: String,
    },
    /// One positional argument used with two different types.
    #[error("argument {position} is used as `{first}` and as `{second}`")]
    PositionConflict {
        /// The argument.
        position: usize,
        /// Its first use.
        first: String,
        /// The conflicting use.
        second: String,
    },
}

/// What the C library this process runs with understands beyond C and POSIX. A conversion
/// one library reads an argument for and another does not (`%b` before glibc 2.35, `%Z`
/// outside glibc) would throw the count off, so each is accepted only where it is known.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Dialect {
    /// glibc: `%Z`, the `I` flag, `L` on integers.
    pub glibc: bool,
    /// `%m` (glibc and musl).
    pub percent_m: bool,
    /// `%b` and `%B` (glibc 2.35 and later).
    pub binary: bool,
}

impl Dialect {
    /// Only C and POSIX.
    pub const POSIX: Dialect = Dialect {
        glibc: false,
        percent_m: false,
        binary: false,
    };

    /// The C library this process runs with (its version read at run time on glibc).
    pub fn host() -> Dialect {
        static HOST: std::sync::OnceLock<Dialect> = std::sync::OnceLock::new();
        *HOST.get_or_init(|| {
            #[cfg(all(target_os = "linux", target_env = "gnu"))]
            {
                // SAFETY: returns a static NUL-terminated version string, e.g. "2.36".
                let v = unsafe { std::ffi::CStr::from_ptr(libc::gnu_get_libc_version()) };
                let mut parts = v.to_str().unwrap_or("").split('.');
                let major: u32 = parts.next().and_then(|p| p.parse().ok()).unwrap_or(0);
                let minor: u32 = parts.next().and_then(|p| p.parse().ok()).unwrap_or(0);
                Dialect {
                    glibc: true,
                    percent_m: true,
                    binary: (major, minor) >= (2, 35),
                }
            }
            #[cfg(all(target_os = "linux", target_env = "musl"))]
            {
                Dialect {
                    percent_m: true,
                    ..Dialect::POSIX
                }
            }
            #[cfg(not(all(target_os = "linux", any(target_env = "gnu", target_env = "musl"))))]
            {
                Dialect::POSIX
            }
        })
    }
}

/// The highest argument position a format may name (glibc's `NL_ARGMAX`).
pub const MAX_POSITION: usize = 4096;

/// Reads `format` as this process's C library would ([`Dialect::host`]) and returns the
/// arguments it consumes, in order.
///
/// # Errors
/// [`FormatError`] for a format C would not accept, or whose arguments ffi-auto cannot type.
pub fn parse(family: Family, format: &[u8]) -> Result<Vec<Conversion>, FormatError> {
    parse_for(Dialect::host(), family, format)
}

/// [`parse`] for a given C library.
///
/// ```
/// use ffi_auto_runtime::format::{Dialect, Family, parse_for};
/// // `%b` takes an argument in glibc 2.35 and later, and is refused elsewhere.
/// assert!(parse_for(Dialect::POSIX, Family::Printf, b"%b %s").is_err());
/// let glibc = Dialect { glibc: true, percent_m: true, binary: true };
/// assert_eq!(parse_for(glibc, Family::Printf, b"%b %s").unwrap().len(), 2);
/// ```
///
/// # Errors
/// As [`parse`].
pub fn parse_for(
    dialect: Dialect,
    family: Family,
    format: &[u8],
) -> Result<Vec<Conversion>, FormatError> {
    let mut p = Parser {
        dialect,
        s: format,
        i: 0,
        positional: None,
        seq: Vec::new(),
        pos: BTreeMap::new(),
    };
    while let Some(rel) = memchr::memchr(b'%', &format[p.i..]) {
        p.i += rel;
        match family {
            Family::Printf => p.printf_spec()?,
            Family::Scanf => p.scanf_spec()?,
        }
    }
    p.finish()
}

struct Parser<'a> {
    dialect: Dialect,
    s: &'a [u8],
    i: usize,
    /// Whether the format is positional (known from its first argument-taking conversion).
    positional: Option<bool>,
    seq: Vec<Conversion>,
    pos: BTreeMap<usize, Conversion>,
}

/// A length modifier.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Len {
    None,
    Hh,
    H,
    L,
    Ll,
    BigL,
    J,
    Z,
    T,
}

impl Parser<'_> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }

    fn spec_from(&self, start: usize) -> String {
        let end = (self.i + 1).min(self.s.len());
        String::from_utf8_lossy(&self.s[start..end]).into_owned()
    }

    fn incomplete(&self, start: usize) -> FormatError {
        FormatError::Incomplete {
            spec: String::from_utf8_lossy(&self.s[start..]).into_owned(),
        }
    }

    /// Digits at the cursor followed by `$`: a 1-based argument position. The cursor moves
    /// past the `$` only when there is one.
    fn position(&mut self) -> Option<usize> {
        let start = self.i;
        let mut n: usize = 0;
        while let Some(d @ b'0'..=b'9') = self.peek() {
            n = n.saturating_mul(10).saturating_add(usize::from(d - b'0'));
            self.i += 1;
        }
        if self.i > start && self.peek() == Some(b'$') && n > 0 {
            self.i += 1;
            Some(n)
        } else {
            self.i = start;
            None
        }
    }

    fn skip_digits(&mut self) {
        while let Some(b'0'..=b'9') = self.peek() {
            self.i += 1;
        }
    }

    fn length(&mut self) -> Len {
        let (len, n) = match (self.peek(), self.s.get(self.i + 1).copied()) {
            (Some(b'h'), Some(b'h')) => (Len::Hh, 2),
            (Some(b'h'), _) => (Len::H, 1),
            (Some(b'l'), Some(b'l')) => (Len::Ll, 2),
            (Some(b'l'), _) => (Len::L, 1),
            (Some(b'q'), _) => (Len::Ll, 1),
            (Some(b'L'), _) => (Len::BigL, 1),
            (Some(b'Z'), _) if !self.dialect.glibc => (Len::None, 0),
            (Some(b'j'), _) => (Len::J, 1),
            (Some(b'z' | b'Z'), _) => (Len::Z, 1),
            (Some(b't'), _) => (Len::T, 1),
            _ => (Len::None, 0),
        };
        self.i += n;
        len
    }

    /// Notes whether a conversion is positional: one format may not mix the two kinds.
    fn mark(&mut self, is_pos: bool, spec: &str) -> Result<(), FormatError> {
        if *self.positional.get_or_insert(is_pos) == is_pos {
            Ok(())
        } else {
            Err(FormatError::MixedPositional {
                spec: spec.to_owned(),
            })
        }
    }

    /// Records one consumed argument, sequential or at `position`.
    fn push(&mut self, position: Option<usize>, c: Conversion) -> Result<(), FormatError> {
        self.mark(position.is_some(), &c.spec)?;
        if position.is_some_and(|n| n > MAX_POSITION) {
            return Err(FormatError::PositionTooLarge { spec: c.spec });
        }
        match position {
            None => self.seq.push(c),
            Some(n) => match self.pos.get(&n) {
                Some(prev) if !same_passing(&prev.ty, &c.ty) || prev.writes != c.writes => {
                    return Err(FormatError::PositionConflict {
                        position: n,
                        first: prev.spec.clone(),
                        second: c.spec,
                    });
                }
                Some(_) => {}
                None => {
                    self.pos.insert(n, c);
                }
            },
        }
        Ok(())
    }

    fn finish(self) -> Result<Vec<Conversion>, FormatError> {
        if self.positional != Some(true) {
            return Ok(self.seq);
        }
        let max = self.pos.keys().next_back().copied().unwrap_or(0);
        if let Some(missing) = (1..=max).find(|n| !self.pos.contains_key(n)) {
            return Err(FormatError::PositionGap { missing, max });
        }
        Ok(self.pos.into_values().collect())
    }

    /// One printf conversion specification, the cursor at its `%`.
    fn printf_spec(&mut self) -> Result<(), FormatError> {
        let start = self.i;
        self.i += 1;
        let value_pos = self.position();
        let stars = self.printf_flags_width_precision();
        let len = self.length();
        let Some(conv) = self.peek() else {
            return Err(self.incomplete(start));
        };
        let spec = self.spec_from(start);
        self.i += 1;
        let bare = self.i == start + 2;
        let value = match printf_value(self.dialect, conv, len, bare) {
            Ok(v) => v,
            Err(Refused::Unknown) => return Err(FormatError::Unknown { spec, at: start }),
            Err(Refused::LongDouble) => return Err(FormatError::LongDouble { spec }),
        };
        if conv == b'm' {
            // `%m` prints `strerror(errno)` and takes no value, but it is a conversion: in a
            // positional format glibc counts its position, so a positional `%m` is refused,
            // and a sequential one may not sit among positional ones.
            if value_pos.is_some() {
                return Err(FormatError::Unknown { spec, at: start });
            }
            self.mark(false, &spec)?;
        }
        // glibc takes a `*` width or precision from the arguments even for `%m`.
        for (p, role) in stars {
            let ty = CType::INT;
            let spec = spec.clone();
            self.push(
                p,
                Conversion {
                    spec,
                    role,
                    ty,
                    writes: false,
                },
            )?;
        }
        let Some((ty, writes)) = value else {
            return Ok(());
        };
        self.push(
            value_pos,
            Conversion {
                spec,
                role: "value",
                ty,
                writes,
            },
        )
    }

    /// A printf specification's flags, width and precision, the cursor after its position:
    /// the `*`s among them, which take `int`s from the arguments before the value does.
    fn printf_flags_width_precision(&mut self) -> Vec<(Option<usize>, &'static str)> {
        while let Some(b'-' | b'+' | b' ' | b'#' | b'0' | b'\'') = self.peek() {
            self.i += 1;
        }
        while self.dialect.glibc && self.peek() == Some(b'I') {
            self.i += 1;
        }
        let mut stars = Vec::new();
        if self.peek() == Some(b'*') {
            self.i += 1;
            stars.push((self.position(), "width"));
        } else {
            self.skip_digits();
        }
        if self.peek() == Some(b'.') {
            self.i += 1;
            if self.peek() == Some(b'*') {
                self.i += 1;
                stars.push((self.position(), "precision"));
            } else {
                self.skip_digits();
            }
        }
        stars
    }

    /// One scanf conversion specification, the cursor at its `%`.
    fn scanf_spec(&mut self) -> Result<(), FormatError> {
        let start = self.i;
        self.i += 1;
        let mut position = self.position();
        let suppress = self.peek() == Some(b'*');
        if suppress {
            self.i += 1;
            position = position.or_else(|| self.position());
        }
        self.skip_digits();
        let allocate = self.peek() == Some(b'm');
        if allocate {
            self.i += 1;
        }
        let len = self.length();
        let Some(conv) = self.peek() else {
            return Err(self.incomplete(start));
        };
        if conv == b'[' {
            self.scan_set(start)?;
        }
        let spec = self.spec_from(start);
        self.i += 1;
        // `%as`, `%aS`, `%a[`: a float then a literal in ISO C, an allocating string in
        // glibc's pre-C99 `scanf` symbols. Which one runs depends on the symbol: refused.
        let ambiguous = conv == b'a' && matches!(self.peek(), Some(b's' | b'S' | b'['));
        let known = !ambiguous && (conv != b'b' || self.dialect.binary);
        let target = match scanf_target(conv, len) {
            Ok(t) if known => t,
            _ => return Err(FormatError::Unknown { spec, at: start }),
        };
        let Some(target) = target.filter(|_| !suppress) else {
            return Ok(());
        };
        // `%ms`: the function allocates the buffer and stores its address.
        let target = if allocate && matches!(conv, b's' | b'c' | b'[' | b'S' | b'C') {
            CType::mut_ptr(target)
        } else {
            target
        };
        let ty = CType::mut_ptr(target);
        self.push(
            position,
            Conversion {
                spec,
                role: "value",
                ty,
                writes: true,
            },
        )
    }

    /// A scan set, the cursor at its `[`: moves to its closing `]` (one right after `[` or
    /// `[^` belongs to the set).
    fn scan_set(&mut self, start: usize) -> Result<(), FormatError> {
        self.i += 1;
        if self.peek() == Some(b'^') {
            self.i += 1;
        }
        if self.peek() == Some(b']') {
            self.i += 1;
        }
        match memchr::memchr(b']', &self.s[self.i.min(self.s.len())..]) {
            Some(rel) => {
                self.i += rel;
                Ok(())
            }
            None => Err(FormatError::UnterminatedSet {
                spec: String::from_utf8_lossy(&self.s[start..]).into_owned(),
            }),
        }
    }
}

/// Why a conversion's value cannot be typed.
enum Refused {
    /// Not a conversion (or not in this dialect, or with this length modifier).
    Unknown,
    /// A `long double`.
    LongDouble,
}

/// The C type of the value printf conversion `conv` with length `len` reads, and whether it
/// writes through it (`%n`); `None` for one that takes no value (`%%`, only when `bare`:
/// nothing between the two `%`s; `%m`).
fn printf_value(
    d: Dialect,
    conv: u8,
    len: Len,
    bare: bool,
) -> Result<Option<(CType, bool)>, Refused> {
    let known = match (conv, len) {
        (b'b' | b'B', _) => d.binary,
        (b'm', _) => d.percent_m,
        (b'd' | b'i' | b'o' | b'u' | b'x' | b'X' | b'n', Len::BigL) => d.glibc,
        _ => true,
    };
    if !known {
        return Err(Refused::Unknown);
    }
    Ok(Some(match (conv, len) {
        // Only a bare `%%` is a literal: glibc would take a `%*%` width from an argument.
        (b'%', Len::None) if bare => return Ok(None),
        (b'm', _) => return Ok(None),
        // `char` and `short` values arrive promoted to `int`; printf narrows them.
        (b'd' | b'i' | b'o' | b'u' | b'x' | b'X' | b'b' | b'B', Len::Hh | Len::H) => {
            (CType::INT, false)
        }
        (b'd' | b'i', l) => (signed(l), false),
        (b'o' | b'u' | b'x' | b'X' | b'b' | b'B', l) => (unsigned(l), false),
        (b'c', Len::None) => (CType::INT, false),
        (b'c', Len::L) | (b'C', Len::None) => (wint_t(), false),
        (b's', Len::None) => (CType::string(), false),
        (b's', Len::L) | (b'S', Len::None) => (CType::const_ptr(wchar_t()), false),
        (b'p', Len::None) => (CType::const_ptr(CType::Void), false),
        (b'n', l) => (CType::mut_ptr(signed(l)), true),
        (b'e' | b'E' | b'f' | b'F' | b'g' | b'G' | b'a' | b'A', Len::None | Len::L) => {
            (CType::DOUBLE, false)
        }
        (b'e' | b'E' | b'f' | b'F' | b'g' | b'G' | b'a' | b'A', Len::BigL) => {
            if crate::longdouble::FORMAT.is_none() {
                return Err(Refused::LongDouble);
            }
            (CType::Float(FloatKind::LongDouble), false)
        }
        _ => return Err(Refused::Unknown),
    }))
}

/// What scanf conversion `conv` with length `len` stores (the pointee of its argument);
/// `None` for `%%`, which stores nothing.
fn scanf_target(conv: u8, len: Len) -> Result<Option<CType>, Refused> {
    Ok(Some(match (conv, len) {
        (b'%', _) => return Ok(None),
        (b'd' | b'i' | b'n', l) => signed(l),
        (b'o' | b'u' | b'x' | b'X' | b'b', l) => unsigned(l),
        (b'e' | b'E' | b'f' | b'F' | b'g' | b'G' | b'a' | b'A', Len::None) => CType::FLOAT,
        (b'e' | b'E' | b'f' | b'F' | b'g' | b'G' | b'a' | b'A', Len::L) => CType::DOUBLE,
        (b'e' | b'E' | b'f' | b'F' | b'g' | b'G' | b'a' | b'A', Len::BigL) => {
            CType::Float(FloatKind::LongDouble)
        }
        (b's' | b'c' | b'[', Len::None) => CType::CHAR,
        (b's' | b'c' | b'[', Len::L) | (b'S' | b'C', Len::None) => wchar_t(),
        (b'p', Len::None) => CType::void_ptr(),
        _ => return Err(Refused::Unknown),
    }))
}

/// Whether two uses of one positional argument read it the same way: integers of one size
/// (`%1$d` and `%1$x`), or the same type.
fn same_passing(a: &CType, b: &CType) -> bool {
    let dm = ffi_auto_sig::DataModel::native();
    match (a.canonical(), b.canonical()) {
        (CType::Int(x), CType::Int(y)) => x.size(&dm) == y.size(&dm),
        (x, y) => x == y,
    }
}

/// The signed type of an integer conversion with this length modifier.
fn signed(l: Len) -> CType {
    match l {
        Len::None => CType::INT,
        Len::Hh => CType::Int(IntKind::SChar),
        Len::H => CType::Int(IntKind::Short),
        Len::L => CType::LONG,
        // glibc reads `%Ld` as `long long`.
        Len::Ll | Len::BigL => CType::LONG_LONG,
        Len::J => CType::Int(IntKind::I64).named("intmax_t"),
        Len::Z => CType::SSIZE_T,
        Len::T => CType::Int(IntKind::PtrDiff),
    }
}

/// The unsigned type of an integer conversion with this length modifier.
fn unsigned(l: Len) -> CType {
    match l {
        Len::None => CType::UINT,
        Len::Hh => CType::Int(IntKind::UChar),
        Len::H => CType::Int(IntKind::UShort),
        Len::L => CType::ULONG,
        Len::Ll | Len::BigL => CType::Int(IntKind::ULongLong),
        Len::J => CType::Int(IntKind::U64).named("uintmax_t"),
        Len::Z => CType::SIZE_T,
        // The unsigned type of `ptrdiff_t`'s size.
        Len::T => CType::SIZE_T,
    }
}

/// `wchar_t` on this target.
fn wchar_t() -> CType {
    let signed = libc::wchar_t::MIN != 0;
    CType::Int(match (size_of::<libc::wchar_t>(), signed) {
        (2, _) => IntKind::U16,
        (_, true) => IntKind::I32,
        (_, false) => IntKind::U32,
    })
    .named("wchar_t")
}

/// `wint_t` on this target: `unsigned short` on Windows, a 32-bit integer elsewhere (what it
/// is passed as; its sign does not change how it is passed).
fn wint_t() -> CType {
    CType::Int(if cfg!(windows) {
        IntKind::U16
    } else {
        IntKind::U32
    })
    .named("wint_t")
}

impl fmt::Display for Conversion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.role == "value" {
            write!(f, "`{}` (for `{}` in the format)", self.ty, self.spec)
        } else {
            write!(
                f,
                "`{}` (the {} of `{}` in the format)",
                self.ty, self.role, self.spec
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn types(family: Family, f: &str) -> Vec<String> {
        parse(family, f.as_bytes())
            .unwrap()
            .iter()
            .map(|c| c.ty.to_string())
            .collect()
    }

    #[test]
    fn printf_length_modifiers_choose_the_argument_type() {
        assert_eq!(
            types(Family::Printf, "%hhd %hd %d %ld %lld %qd %jd %zd %td %Ld"),
            [
                "int",
                "int",
                "int",
                "long",
                "long long",
                "long long",
                "intmax_t",
                "ssize_t",
                "ptrdiff_t",
                "long long"
            ]
        );
        assert_eq!(
            types(Family::Printf, "%u %lx %llX %zu %jo %hhu"),
            [
                "unsigned int",
                "unsigned long",
                "unsigned long long",
                "size_t",
                "uintmax_t",
                "int"
            ]
        );
        assert_eq!(
            types(Family::Printf, "%f %lf %e %G %a %c %s %p %ls %lc"),
            [
                "double",
                "double",
                "double",
                "double",
                "double",
                "int",
                "const char *",
                "const void *",
                "const wchar_t *",
                "wint_t"
            ]
        );
    }

    #[test]
    fn printf_flags_widths_and_stars_are_counted() {
        let c = parse(Family::Printf, b"[%-+ #0'8.3f] [%*.*s] [%%] [%m]").unwrap();
        let roles: Vec<_> = c.iter().map(|c| (c.role, c.ty.to_string())).collect();
        assert_eq!(
            roles,
            [
                ("value", "double".to_owned()),
                ("width", "int".to_owned()),
                ("precision", "int".to_owned()),
                ("value", "const char *".to_owned())
            ]
        );
        assert_eq!(c[1].spec, "%*.*s");
    }

    #[test]
    fn percent_m_takes_its_star_width_and_precision() {
        // Found by the fuzzer: glibc reads both `int`s for `%-*.*m`.
        assert_eq!(
            types(Family::Printf, "%m|%-*.*m|%*m"),
            ["int", "int", "int"]
        );
        // Found by the fuzzer: `%22212$m` after `%s` switches glibc to positional arguments
        // (and a stack array of 22212 of them).
        assert!(parse(Family::Printf, b"%s %22212$m").is_err());
        assert!(parse(Family::Printf, b"%1$s %m").is_err());
        assert!(parse(Family::Printf, b"%4097$d").is_err());
    }

    #[test]
    fn percent_n_is_a_write() {
        let c = parse(Family::Printf, b"abc%n%hhn").unwrap();
        assert!(c.iter().all(|c| c.writes));
        assert_eq!(c[0].ty.to_string(), "int *");
        assert_eq!(c[1].ty.to_string(), "signed char *");
    }

    #[test]
    fn positional_arguments_are_ordered_and_checked() {
        assert_eq!(
            types(Family::Printf, "%2$s %1$d %3$*4$d"),
            ["int", "const char *", "int", "int"]
        );
        // A sequential value with a positional width mixes the two.
        assert!(parse(Family::Printf, b"%2$s %1$d %*3$d").is_err());
        assert!(matches!(
            parse(Family::Printf, b"%1$d %d"),
            Err(FormatError::MixedPositional { .. })
        ));
        assert!(matches!(
            parse(Family::Printf, b"%1$d %3$d"),
            Err(FormatError::PositionGap { missing: 2, max: 3 })
        ));
        assert!(matches!(
            parse(Family::Printf, b"%1$d %1$s"),
            Err(FormatError::PositionConflict { position: 1, .. })
        ));
        // The same argument twice with one type is fine.
        assert_eq!(types(Family::Printf, "%1$d %1$x"), ["int"]);
    }

    #[test]
    fn bad_formats_are_errors() {
        for bad in [
            "%", "abc %l", "%y", "%hf", "%Ls", "%lp", "%.*", "%5%", "%*%",
        ] {
            assert!(parse(Family::Printf, bad.as_bytes()).is_err(), "{bad}");
        }
        // `%Lf` takes a `long double` where ffi-auto knows its format.
        match crate::longdouble::FORMAT {
            Some(_) => assert!(parse(Family::Printf, b"%Lf").is_ok()),
            None => assert!(matches!(
                parse(Family::Printf, b"%Lf"),
                Err(FormatError::LongDouble { .. })
            )),
        }
        // A huge position saturates and is refused, with no allocation of its size.
        assert!(matches!(
            parse(Family::Printf, b"%99999999999999999999999$d"),
            Err(FormatError::PositionTooLarge { .. })
        ));
    }

    #[test]
    fn scanf_conversions_take_pointers_and_suppressed_ones_none() {
        assert_eq!(
            types(Family::Scanf, "%d %*d %hhu %lf %Lf %f %5s %[^]x] %ms %p %%"),
            [
                "int *",
                "unsigned char *",
                "double *",
                "long double *",
                "float *",
                "char *",
                "char *",
                "char **",
                "void **"
            ]
        );
        assert!(
            parse(Family::Scanf, b"%d")
                .unwrap()
                .iter()
                .all(|c| c.writes)
        );
        assert!(matches!(
            parse(Family::Scanf, b"%[abc"),
            Err(FormatError::UnterminatedSet { .. })
        ));
        assert_eq!(types(Family::Scanf, "%*d %*s"), Vec::<String>::new());
    }

    #[test]
    fn library_extensions_only_where_the_library_has_them() {
        let glibc = Dialect {
            glibc: true,
            percent_m: true,
            binary: true,
        };
        for f in ["%Zd", "%Id", "%m", "%b", "%B", "%Ld"] {
            assert!(
                parse_for(Dialect::POSIX, Family::Printf, f.as_bytes()).is_err(),
                "{f}"
            );
            assert!(
                parse_for(glibc, Family::Printf, f.as_bytes()).is_ok(),
                "{f}"
            );
        }
        // Before glibc 2.35, `%b` took no argument.
        let old = Dialect {
            binary: false,
            ..glibc
        };
        assert!(parse_for(old, Family::Printf, b"%b %s").is_err());
    }

    #[test]
    fn scanf_percent_a_before_s_is_ambiguous_and_refused() {
        for f in ["%as", "%aS", "%a[x]"] {
            assert!(parse(Family::Scanf, f.as_bytes()).is_err(), "{f}");
        }
        assert_eq!(types(Family::Scanf, "%a %f"), ["float *", "float *"]);
    }

    #[test]
    fn archetypes_are_recognised() {
        assert_eq!(Family::of_archetype("__printf__"), Some(Family::Printf));
        assert_eq!(Family::of_archetype("gnu_scanf"), Some(Family::Scanf));
        assert_eq!(Family::of_archetype("strftime"), None);
    }
}
