//! Command-line words as C arguments: each converted by the C type it is passed as (a fixed
//! parameter's, or what a format string says a variadic one is), with the value as given in
//! every error.

use std::ffi::CString;

use ffi_auto::Value;
use ffi_auto::sig::{CType, DataModel, FloatKind, IntKind};

/// One converted argument. Strings are owned C strings, so that a pointer the function returns
/// into one (`strchr`, `strstr`) stays valid while the result is printed.
#[derive(Debug, PartialEq)]
pub enum CliArg {
    /// A number or `bool`.
    Value(Value<'static>),
    /// A string, passed as `const char *`.
    Str(CString),
}

impl CliArg {
    /// The value to pass.
    pub fn value(&self) -> Value<'_> {
        match self {
            CliArg::Value(v) => *v,
            CliArg::Str(s) => Value::CStr(s),
        }
    }
}

/// Why a word cannot be the argument.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("argument {pos} (`{word}`) {why}")]
pub struct ArgError {
    /// 1-based position.
    pub pos: usize,
    /// The word as given.
    pub word: String,
    /// What is wrong, and what would do.
    pub why: String,
}

/// Converts `word`, argument `pos` (1-based), to the C type `ty`; with no type (a variadic
/// argument nothing describes), to an `int`, `long long` or `unsigned long long` if it is an
/// integer, a `double` if it is a number, else a string.
///
/// ```
/// use ffi_auto_cli::args::{convert, CliArg};
/// use ffi_auto::{Value, sig::CType};
/// assert_eq!(convert("42", Some(&CType::SIZE_T), 1).unwrap(), CliArg::Value(Value::I64(42)));
/// let e = convert("18446744073709551616", Some(&CType::SIZE_T), 2).unwrap_err();
/// assert!(e.to_string().contains("18446744073709551616"), "{e}");
/// assert!(convert("1e400", Some(&CType::DOUBLE), 1).is_err());
/// ```
///
/// # Errors
/// A word that is not a value of the type, or is out of its range.
pub fn convert(word: &str, ty: Option<&CType>, pos: usize) -> Result<CliArg, ArgError> {
    let err = |why: String| ArgError {
        pos,
        word: word.to_owned(),
        why,
    };
    let Some(ty) = ty else {
        return match parse_int(word) {
            Ok(v) => Ok(CliArg::Value(if let Ok(i) = i32::try_from(v) {
                Value::I32(i)
            } else {
                int_value(v).ok_or_else(|| {
                    err("is out of range: no 64-bit C integer holds it".to_owned())
                })?
            })),
            Err(IntError::TooLong) => Err(err(
                "is out of range: no 64-bit C integer holds it".to_owned()
            )),
            Err(IntError::NotAnInteger) => match parse_float(word) {
                Ok(f) => Ok(CliArg::Value(Value::F64(f))),
                Err(FloatError::Overflow) => {
                    Err(err("is out of range: it overflows a `double`".to_owned()))
                }
                Err(FloatError::NotANumber) => string(word).map_err(err),
            },
        };
    };
    match ty.canonical() {
        CType::Int(k) => int_arg(word, ty, *k).map_err(err),
        CType::Float(FloatKind::LongDouble) => long_double(word).map_err(&err),
        CType::Float(_) => match parse_float(word) {
            Ok(f) => Ok(CliArg::Value(Value::F64(f))),
            Err(FloatError::Overflow) => Err(err(format!(
                "is out of range: it overflows a `double`, for `{ty}`"
            ))),
            Err(FloatError::NotANumber) => Err(err(format!("is not a number, for `{ty}`"))),
        },
        CType::Bool => match word {
            "true" | "1" => Ok(CliArg::Value(Value::Bool(true))),
            "false" | "0" => Ok(CliArg::Value(Value::Bool(false))),
            _ => Err(err("is not `true` or `false`".to_owned())),
        },
        CType::Pointer { .. } if ty.pointee().is_some_and(|(p, c)| c && p.is_byte()) => {
            string(word).map_err(err)
        }
        _ => Err(err(format!(
            "is for `{ty}`, which cannot be given on the command line (numbers, and strings for `const char *`, can)"
        ))),
    }
}

/// A word for a parameter of integer type `ty` (of kind `k`), range-checked.
fn int_arg(word: &str, ty: &CType, k: IntKind) -> Result<CliArg, String> {
    let dm = DataModel::native();
    let wide = k.size(&dm) > 8;
    if wide && !k.is_signed(&dm) {
        // Beyond `i128`, which `parse_int` and `range` stop at.
        // `-0` is 0 too.
        let v = parse_u128(word).or_else(|e| match parse_int(word) {
            Ok(0) => Ok(0),
            _ => Err(e),
        });
        return v.map(|v| CliArg::Value(Value::from(v))).map_err(|e| {
            // A negative number is an integer, out of this type's range.
            if e == IntError::TooLong || parse_int(word).is_ok() {
                format!("is out of range: `{ty}` holds 0..={}", u128::MAX)
            } else {
                format!("is not an integer (decimal, or hex with 0x), for `{ty}`")
            }
        });
    }
    let (min, max) = k.range(&dm);
    let range = || format!("is out of range: `{ty}` holds {min}..={max}");
    let v = match parse_int(word) {
        Ok(v) => v,
        Err(IntError::TooLong) => return Err(range()),
        Err(IntError::NotAnInteger) => {
            return Err(format!(
                "is not an integer (decimal, or hex with 0x), for `{ty}`"
            ));
        }
    };
    if v < min || v > max {
        return Err(range());
    }
    if wide {
        return Ok(CliArg::Value(Value::from(v)));
    }
    // In range of a C integer of at most 64 bits: one of the two holds it.
    int_value(v).map(CliArg::Value).ok_or_else(range)
}

fn string(word: &str) -> Result<CliArg, String> {
    CString::new(word)
        .map(CliArg::Str)
        .map_err(|e| format!("holds a NUL byte at offset {}", e.nul_position()))
}

/// An integer that fits in 64 bits, signed or not.
fn int_value(v: i128) -> Option<Value<'static>> {
    match i64::try_from(v) {
        Ok(s) => Some(Value::I64(s)),
        Err(_) => u64::try_from(v).ok().map(Value::U64),
    }
}

/// Why a word is not an integer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IntError {
    /// It is not written as one.
    NotAnInteger,
    /// It is, but has more digits than any C integer could hold.
    TooLong,
}

/// An integer written in decimal or `0x` hex, optionally signed; exact up to `i128`.
///
/// ```
/// use ffi_auto_cli::args::{parse_int, IntError};
/// assert_eq!(parse_int("-0x10"), Ok(-16));
/// assert_eq!(parse_int("+7"), Ok(7));
/// assert_eq!(parse_int("1".repeat(60).as_str()), Err(IntError::TooLong));
/// assert_eq!(parse_int("12ab"), Err(IntError::NotAnInteger));
/// assert_eq!(parse_int("-"), Err(IntError::NotAnInteger));
/// assert_eq!(parse_int(&i128::MIN.to_string()), Ok(i128::MIN));
/// ```
///
/// # Errors
/// [`IntError`].
pub fn parse_int(s: &str) -> Result<i128, IntError> {
    let (neg, rest) = match s.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, s.strip_prefix('+').unwrap_or(s)),
    };
    let (radix, digits) = match rest.strip_prefix("0x").or_else(|| rest.strip_prefix("0X")) {
        Some(h) => (16, h),
        None => (10, rest),
    };
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
        return Err(IntError::NotAnInteger);
    }
    // Every character is a digit: the only failure left is overflow (of the magnitude, so
    // that `i128::MIN` reads).
    let m = u128::from_str_radix(digits, radix).map_err(|_| IntError::TooLong)?;
    if neg {
        0i128.checked_sub_unsigned(m).ok_or(IntError::TooLong)
    } else {
        i128::try_from(m).map_err(|_| IntError::TooLong)
    }
}

/// A non-negative integer in decimal or `0x` hex, exact up to `u128`.
///
/// ```
/// use ffi_auto_cli::args::{parse_u128, IntError};
/// assert_eq!(parse_u128("340282366920938463463374607431768211455"), Ok(u128::MAX));
/// assert_eq!(parse_u128("0x1_0"), Err(IntError::NotAnInteger));
/// assert_eq!(parse_u128("-1"), Err(IntError::NotAnInteger));
/// assert_eq!(parse_u128("340282366920938463463374607431768211456"), Err(IntError::TooLong));
/// ```
///
/// # Errors
/// [`IntError`].
pub fn parse_u128(s: &str) -> Result<u128, IntError> {
    let rest = s.strip_prefix('+').unwrap_or(s);
    let (radix, digits) = match rest.strip_prefix("0x").or_else(|| rest.strip_prefix("0X")) {
        Some(h) => (16, h),
        None => (10, rest),
    };
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
        return Err(IntError::NotAnInteger);
    }
    u128::from_str_radix(digits, radix).map_err(|_| IntError::TooLong)
}

/// Why a word is not a `double`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FloatError {
    /// It is not written as a number.
    NotANumber,
    /// It is a finite number too large for a `double` (`1e400`).
    Overflow,
}

/// A floating-point number, as Rust reads one; `inf`, `infinity` and `nan` are allowed when
/// spelled, but a finite literal that overflows is an error, not infinity.
///
/// ```
/// use ffi_auto_cli::args::{parse_float, FloatError};
/// assert_eq!(parse_float("1.5"), Ok(1.5));
/// assert_eq!(parse_float("-inf"), Ok(f64::NEG_INFINITY));
/// assert_eq!(parse_float("1e400"), Err(FloatError::Overflow));
/// assert_eq!(parse_float("-1e400"), Err(FloatError::Overflow));
/// assert_eq!(parse_float("x"), Err(FloatError::NotANumber));
/// ```
///
/// # Errors
/// [`FloatError`].
pub fn parse_float(s: &str) -> Result<f64, FloatError> {
    let f: f64 = s.parse().map_err(|_| FloatError::NotANumber)?;
    let spelled = s.trim_start_matches(['+', '-']).to_ascii_lowercase();
    if f.is_infinite() && spelled != "inf" && spelled != "infinity" {
        return Err(FloatError::Overflow);
    }
    Ok(f)
}

/// `word` as a `long double`, read by the C library's `strtold` so that every digit counts
/// (`0.1` is not the `double` nearest 0.1 widened). `Err` says why not.
fn long_double(word: &str) -> Result<CliArg, String> {
    use ffi_auto::{Errno, LongDouble};
    use std::ffi::c_char;
    // The same grammar as for a `double`; only a `double`'s overflow is no error here.
    if let Err(FloatError::NotANumber) = parse_float(word) {
        return Err("is not a number, for `long double`".to_owned());
    }
    let c = CString::new(word).map_err(|_| "holds a NUL byte".to_owned())?;
    let mut end: *mut c_char = std::ptr::null_mut();
    // SAFETY: `strtold(const char *, char **)` reads the NUL-terminated `c` and writes one
    // pointer into it to `end`, which outlives the call.
    let (v, e): (LongDouble, Errno) =
        unsafe { ffi_auto::ffi_call_raw_errno("strtold", (c.as_c_str(), &raw mut end)) }
            .map_err(|e| e.to_string())?;
    let used = (end as usize).wrapping_sub(c.as_ptr() as usize);
    if used != word.len() {
        return Err("is not a number, for `long double`".to_owned());
    }
    if e.code() == libc::ERANGE && v.to_f64().is_infinite() {
        return Err("is out of range: it overflows a `long double`".to_owned());
    }
    Ok(CliArg::Value(Value::LongDouble(v)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_beyond_64_bits_name_the_value_given() {
        for (word, ty) in [
            ("18446744073709551616", CType::SIZE_T),
            ("-99999999999999999999", CType::LONG),
            ("-9223372036854775809", CType::LONG),
            (
                "99999999999999999999999999999999999999999999",
                CType::SIZE_T,
            ),
        ] {
            let e = convert(word, Some(&ty), 2).unwrap_err();
            assert!(e.to_string().contains(word), "{e}");
            assert!(e.to_string().contains("out of range"), "{e}");
        }
        let e = convert("18446744073709551616", None, 3).unwrap_err();
        assert!(e.to_string().contains("out of range"), "{e}");
    }

    #[test]
    fn every_width_has_its_range() {
        assert!(convert("255", Some(&"unsigned char".parse().unwrap()), 1).is_ok());
        assert!(convert("256", Some(&"unsigned char".parse().unwrap()), 1).is_err());
        assert!(convert("-1", Some(&CType::SIZE_T), 1).is_err());
        assert_eq!(
            convert("18446744073709551615", Some(&CType::SIZE_T), 1).unwrap(),
            CliArg::Value(Value::U64(u64::MAX))
        );
    }

    #[test]
    fn untyped_words_become_the_narrowest_value() {
        assert_eq!(convert("5", None, 1).unwrap(), CliArg::Value(Value::I32(5)));
        assert_eq!(
            convert("5000000000", None, 1).unwrap(),
            CliArg::Value(Value::I64(5_000_000_000))
        );
        assert_eq!(
            convert("2.5", None, 1).unwrap(),
            CliArg::Value(Value::F64(2.5))
        );
        assert!(matches!(convert("hi", None, 1).unwrap(), CliArg::Str(_)));
        assert!(convert("1e400", None, 1).is_err());
    }
}
