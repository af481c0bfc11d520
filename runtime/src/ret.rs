//! C return values as Rust values: read at their C width, then converted with a range check.

use std::ffi::c_void;

use crate::arg::{Fault, Num};
use crate::call::{RawInt, RetBuf};
use crate::class::Class;

pub(crate) mod sealed {
    /// Seals [`FromRet`](super::FromRet): implemented by ffi-auto (and the code its macros generate).
    pub trait Sealed {}
}

/// A Rust type a C return value can be read as.
///
/// Integers convert when the value fits (`size_t` 5 reads as `i32` 5; `int` -1 as `usize` is an
/// error, never a wrap); `f64` reads `float` and `double`; `bool` reads `_Bool` and any integer
/// (non-zero is true, as in C); raw pointers read pointers; `()` discards any return;
/// [`Value`](crate::Value) reads anything.
pub trait FromRet: Sized + sealed::Sealed {
    #[doc(hidden)]
    /// The direct tier (`crate::direct`): the return kind this type reads exactly
    /// (`direct::NONE`: never directly).
    const DIRECT: u8 = crate::direct::NONE;
    #[doc(hidden)]
    /// What a direct call's function pointer returns: the type itself, or the whole return
    /// register for a type narrower than 32 bits.
    type Wide: Copy;
    #[doc(hidden)]
    /// The value from a direct call's return.
    fn from_wide(w: Self::Wide) -> Self;
    #[doc(hidden)]
    /// The Rust type's name, for errors.
    const NAME: &'static str;
    #[doc(hidden)]
    /// Reads a return of `class` from `ret`.
    fn from_ret(class: Class, ret: &RetBuf) -> Result<Self, Fault>;
    #[doc(hidden)]
    /// How a trace shows the value (`FFI_AUTO_TRACE`).
    fn describe_ret(&self) -> String {
        format!("({})", Self::NAME)
    }
}

const HINT_STRUCT: &str = "read a struct return as `ffi_auto::Struct` or as the struct type `#[ffi_auto] struct name;` generates";
const HINT_INT: &str = "read it as an integer type";
const HINT_FLOAT: &str = "read it as `f64`";
const HINT_PTR: &str = "read it as a raw pointer (`*mut c_void`, `*const c_char`)";

macro_rules! int_ret {
    ($($t:ty => $wide:ty),*) => {$(
        impl sealed::Sealed for $t {}
        impl FromRet for $t {
            const DIRECT: u8 = crate::direct::kind(Class::int(size_of::<$t>() as u8, <$t>::MIN != 0));
            // Below 32 bits, the whole register: a callee may leave garbage above the value,
            // which the cast below drops before Rust extends it.
            type Wide = $wide;
            #[inline(always)]
            #[allow(clippy::cast_possible_truncation, clippy::unnecessary_cast)]
            fn from_wide(w: Self::Wide) -> Self {
                w as $t
            }
            const NAME: &'static str = stringify!($t);
            #[inline]
            fn describe_ret(&self) -> String {
                self.to_string()
            }
            fn from_ret(class: Class, ret: &RetBuf) -> Result<Self, Fault> {
                if let Some(v) = ret.exact::<$t>(class) {
                    return Ok(v);
                }
                match class {
                    Class::Bool => Ok(<$t>::from(int_truth(ret.int(class)))),
                    Class::F32 | Class::F64 => Err(Fault::Type { hint: HINT_FLOAT }),
                    Class::Ptr { .. } => Err(Fault::Type { hint: HINT_PTR }),
                    Class::Record(_) => Err(Fault::Type { hint: HINT_STRUCT }),
                    Class::Void => Err(Fault::Type { hint: "it returns nothing; read it as `()`" }),
                    Class::I128 | Class::U128 => read_wide(class, ret),
                    _ => match ret.int(class) {
                        Some(RawInt::S(v)) => <$t>::try_from(v).map_err(|_| Fault::Range(Num::I(v))),
                        Some(RawInt::U(v)) => <$t>::try_from(v).map_err(|_| Fault::Range(Num::U(v))),
                        None => Err(Fault::Type { hint: HINT_INT }),
                    },
                }
            }
        }
    )*};
}

/// A 128-bit integer return's bits.
fn wide_ret(ret: &RetBuf) -> crate::Bits128 {
    // SAFETY: an integer is valid for any bits; libffi wrote the 16-byte return there.
    crate::Bits128::from_u128(unsafe { ret.read::<u128>() })
}

/// A 128-bit return of `class` (`I128` or `U128`) as a `T`, if it fits: read with its own
/// signedness (`u128::MAX` is not -1).
fn read_wide<T: TryFrom<i128> + TryFrom<u128>>(class: Class, ret: &RetBuf) -> Result<T, Fault> {
    let v = wide_ret(ret);
    if class == Class::U128 {
        T::try_from(v.to_u128()).map_err(|_| Fault::Range(Num::U128(v)))
    } else {
        T::try_from(v.to_i128()).map_err(|_| Fault::Range(Num::I128(v)))
    }
}

macro_rules! wide_ret {
    ($($t:ty),*) => {$(
        impl sealed::Sealed for $t {}
        impl FromRet for $t {
            type Wide = crate::direct::NotDirect;
            fn from_wide(w: crate::direct::NotDirect) -> Self {
                let _ = w;
                unreachable!("ffi-auto: a return without a direct kind took the direct tier")
            }
            const NAME: &'static str = stringify!($t);
            fn describe_ret(&self) -> String {
                self.to_string()
            }
            fn from_ret(class: Class, ret: &RetBuf) -> Result<Self, Fault> {
                match class {
                    Class::I128 | Class::U128 => read_wide(class, ret),
                    Class::Bool => Ok(<$t>::from(int_truth(ret.int(class)))),
                    Class::F32 | Class::F64 | Class::LongDouble => Err(Fault::Type { hint: HINT_FLOAT }),
                    Class::Ptr { .. } => Err(Fault::Type { hint: HINT_PTR }),
                    Class::Record(_) => Err(Fault::Type { hint: HINT_STRUCT }),
                    Class::Void => Err(Fault::Type { hint: "it returns nothing; read it as `()`" }),
                    _ => match ret.int(class) {
                        Some(RawInt::S(v)) => <$t>::try_from(v).map_err(|_| Fault::Range(Num::I(v))),
                        Some(RawInt::U(v)) => <$t>::try_from(v).map_err(|_| Fault::Range(Num::U(v))),
                        None => Err(Fault::Type { hint: HINT_INT }),
                    },
                }
            }
        }
    )*};
}

wide_ret!(i128, u128);

fn int_truth(raw: Option<RawInt>) -> bool {
    match raw {
        Some(RawInt::S(v)) => v != 0,
        Some(RawInt::U(v)) => v != 0,
        None => false,
    }
}

// Below 32 bits, read as the 64-bit return register of x86-64 and aarch64 (the targets of
// the direct tier).
int_ret!(i8 => u64, i16 => u64, i32 => i32, i64 => i64, isize => isize, u8 => u64, u16 => u64,
    u32 => u32, u64 => u64, usize => usize);

impl sealed::Sealed for f64 {}
impl FromRet for f64 {
    const DIRECT: u8 = crate::direct::F64;
    type Wide = f64;
    #[inline(always)]
    fn from_wide(w: f64) -> f64 {
        w
    }
    const NAME: &'static str = "f64";
    #[inline]
    fn describe_ret(&self) -> String {
        format!("{self:?}")
    }
    fn from_ret(class: Class, ret: &RetBuf) -> Result<Self, Fault> {
        match class {
            Class::F64 => Ok(ret.f64()),
            Class::F32 => Ok(f64::from(ret.f32())),
            Class::LongDouble => Err(Fault::Type {
                hint: "read a `long double` as `LongDouble` (then `to_f64()`)",
            }),
            Class::Ptr { .. } => Err(Fault::Type { hint: HINT_PTR }),
            Class::Record(_) => Err(Fault::Type { hint: HINT_STRUCT }),
            _ => Err(Fault::Type { hint: HINT_INT }),
        }
    }
}

impl sealed::Sealed for f32 {}
impl FromRet for f32 {
    const DIRECT: u8 = crate::direct::F32;
    type Wide = f32;
    #[inline(always)]
    fn from_wide(w: f32) -> f32 {
        w
    }
    const NAME: &'static str = "f32";
    #[inline]
    fn describe_ret(&self) -> String {
        format!("{self:?}")
    }
    fn from_ret(class: Class, ret: &RetBuf) -> Result<Self, Fault> {
        match class {
            Class::F32 => Ok(ret.f32()),
            Class::F64 => Err(Fault::Type {
                hint: "`double` would lose precision as `f32`; read it as `f64`",
            }),
            Class::Ptr { .. } => Err(Fault::Type { hint: HINT_PTR }),
            Class::Record(_) => Err(Fault::Type { hint: HINT_STRUCT }),
            _ => Err(Fault::Type { hint: HINT_INT }),
        }
    }
}

impl sealed::Sealed for bool {}
impl FromRet for bool {
    const DIRECT: u8 = crate::direct::BOOL;
    // `_Bool` defines bit 0 only (bits 1-7 zero); the rest of the register is garbage.
    type Wide = u64;
    #[inline(always)]
    fn from_wide(w: u64) -> bool {
        w as u8 != 0
    }
    const NAME: &'static str = "bool";
    #[inline]
    fn describe_ret(&self) -> String {
        format!("{self:?}")
    }
    fn from_ret(class: Class, ret: &RetBuf) -> Result<Self, Fault> {
        match class {
            Class::Ptr { .. } => Err(Fault::Type { hint: HINT_PTR }),
            Class::F32 | Class::F64 | Class::Void => Err(Fault::Type { hint: HINT_FLOAT }),
            Class::Record(_) => Err(Fault::Type { hint: HINT_STRUCT }),
            Class::I128 | Class::U128 => Ok(wide_ret(ret).to_u128() != 0),
            _ => Ok(int_truth(ret.int(class))),
        }
    }
}

impl sealed::Sealed for () {}
impl FromRet for () {
    const DIRECT: u8 = crate::direct::VOID;
    type Wide = ();
    #[inline(always)]
    fn from_wide((): ()) {}
    const NAME: &'static str = "()";
    #[inline]
    fn describe_ret(&self) -> String {
        "()".to_owned()
    }
    fn from_ret(_class: Class, _ret: &RetBuf) -> Result<Self, Fault> {
        Ok(())
    }
}

impl<T> sealed::Sealed for *mut T {}
impl<T> FromRet for *mut T {
    const DIRECT: u8 = crate::direct::PTR;
    type Wide = *mut T;
    #[inline(always)]
    fn from_wide(w: *mut T) -> *mut T {
        w
    }
    const NAME: &'static str = "*mut T";
    #[inline]
    fn describe_ret(&self) -> String {
        format!("{self:?}")
    }
    fn from_ret(class: Class, ret: &RetBuf) -> Result<Self, Fault> {
        match class {
            Class::Ptr { .. } => Ok(ret.ptr().cast()),
            _ => Err(Fault::Type { hint: HINT_INT }),
        }
    }
}

impl<T> sealed::Sealed for *const T {}
impl<T> FromRet for *const T {
    const DIRECT: u8 = crate::direct::PTR;
    type Wide = *const T;
    #[inline(always)]
    fn from_wide(w: *const T) -> *const T {
        w
    }
    const NAME: &'static str = "*const T";
    #[inline]
    fn describe_ret(&self) -> String {
        format!("{self:?}")
    }
    fn from_ret(class: Class, ret: &RetBuf) -> Result<Self, Fault> {
        <*mut T>::from_ret(class, ret).map(<*mut T>::cast_const)
    }
}

pub(crate) fn read_value(class: Class, ret: &RetBuf) -> crate::Value<'static> {
    use crate::Value;
    match class {
        Class::Void => Value::Void,
        Class::Bool => Value::Bool(int_truth(ret.int(class))),
        Class::I8
        | Class::U8
        | Class::I16
        | Class::U16
        | Class::I32
        | Class::U32
        | Class::I64
        | Class::U64 => match (ret.int(class), class) {
            (Some(RawInt::S(v)), Class::I8) => Value::I8(v as i8),
            (Some(RawInt::S(v)), Class::I16) => Value::I16(v as i16),
            (Some(RawInt::S(v)), Class::I32) => Value::I32(v as i32),
            (Some(RawInt::S(v)), _) => Value::I64(v),
            (Some(RawInt::U(v)), Class::U8) => Value::U8(v as u8),
            (Some(RawInt::U(v)), Class::U16) => Value::U16(v as u16),
            (Some(RawInt::U(v)), Class::U32) => Value::U32(v as u32),
            (Some(RawInt::U(v)), _) => Value::U64(v),
            (None, _) => Value::Void,
        },
        // SAFETY: an integer is valid for any bits; libffi wrote the return there.
        Class::I128 => Value::I128(crate::Bits128::from_u128(unsafe { ret.read() })),
        // SAFETY: as above.
        Class::U128 => Value::U128(crate::Bits128::from_u128(unsafe { ret.read() })),
        Class::F32 => Value::F32(ret.f32()),
        Class::F64 => Value::F64(ret.f64()),
        // SAFETY: libffi wrote the `long double` return there; any bytes are a value.
        Class::LongDouble => Value::LongDouble(crate::LongDouble::from_bytes(unsafe {
            ret.read::<[u8; 16]>()
        })),
        Class::Record(_) => Value::Void,
        Class::Ptr { .. } => {
            let p: *mut c_void = ret.ptr();
            if p.is_null() {
                Value::Null
            } else {
                Value::Ptr(p)
            }
        }
    }
}
