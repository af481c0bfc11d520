//! Compile-time wrappers (`defcfuns!`) of a few common functions: the reference row of
//! `ffi-auto bench`, what the same call costs when it is resolved at compile time.

use std::ffi::{CStr, c_int};
use std::hint::black_box;

use ffi_auto::Value;

ffi_auto::defcfuns! {
    fn strlen(s: &CStr) -> usize;
    fn atoi(s: &CStr) -> c_int;
    fn abs;
    fn labs;
    fn toupper;
    fn tolower;
}

ffi_auto::defcfuns! {
    #![ffi_auto(lib = "m")]
    fn cbrt;
    fn sqrt;
    fn sin;
    fn cos;
    fn floor;
    fn pow;
    fn hypot;
}

/// The functions with a compile-time reference.
pub const FUNCTIONS: &[&str] = &[
    "strlen", "atoi", "abs", "labs", "toupper", "tolower", "cbrt", "sqrt", "sin", "cos", "floor",
    "pow", "hypot",
];

/// The median nanoseconds per call of `name`'s compile-time wrapper with `values` (7 rounds of
/// `iterations` calls), or `None` when this module has no wrapper of it or the values do not
/// fit its parameters.
///
/// ```
/// use ffi_auto::Value;
/// assert!(ffi_auto_cli::reference::time("strlen", &[Value::CStr(c"hi")], 10).is_some());
/// assert!(ffi_auto_cli::reference::time("strlen", &[Value::I32(1)], 10).is_none());
/// assert!(ffi_auto_cli::reference::time("getpid", &[], 10).is_none());
/// ```
pub fn time(name: &str, values: &[Value<'_>], iterations: u32) -> Option<f64> {
    let int = |v: &Value<'_>| v.as_i64().and_then(|x| i32::try_from(x).ok());
    let float = |v: &Value<'_>| v.as_f64();
    let median = |f: &dyn Fn()| ffi_auto::diagnostics::median_ns(iterations, f);
    Some(match (name, values) {
        ("strlen", [Value::CStr(s)]) => median(&|| {
            black_box(strlen(black_box(s)));
        }),
        ("atoi", [Value::CStr(s)]) => median(&|| {
            black_box(atoi(black_box(s)));
        }),
        ("abs", [v]) => {
            let x = int(v)?;
            median(&|| {
                black_box(abs(black_box(x)));
            })
        }
        ("labs", [v]) => {
            let x = v.as_i64()?;
            median(&|| {
                black_box(labs(black_box(x)));
            })
        }
        ("toupper", [v]) => {
            let x = int(v)?;
            median(&|| {
                black_box(toupper(black_box(x)));
            })
        }
        ("tolower", [v]) => {
            let x = int(v)?;
            median(&|| {
                black_box(tolower(black_box(x)));
            })
        }
        (f @ ("cbrt" | "sqrt" | "sin" | "cos" | "floor"), [v]) => {
            let x = float(v)?;
            let g: extern "C" fn(f64) -> f64 = match f {
                "cbrt" => cbrt,
                "sqrt" => sqrt,
                "sin" => sin,
                "cos" => cos,
                _ => floor,
            };
            median(&|| {
                black_box(g(black_box(x)));
            })
        }
        (f @ ("pow" | "hypot"), [a, b]) => {
            let (x, y) = (float(a)?, float(b)?);
            let g: extern "C" fn(f64, f64) -> f64 = if f == "pow" { pow } else { hypot };
            median(&|| {
                black_box(g(black_box(x), black_box(y)));
            })
        }
        _ => return None,
    })
}
