//! Dynamic values, for calls whose argument types are known only at run time.

use std::ffi::{CStr, c_void};
use std::fmt;

use crate::arg::{self, Arg, Ctx, Fault, Slot};
use crate::call::RetBuf;
use crate::class::{Class, Null, Target};
use crate::ret::FromRet;

/// A C argument or return value whose type is known only at run time.
///
/// Each variant keeps its Rust width, which decides the C type it is passed as in the variadic
/// part of a call (`I32` as `int`, `I64` as `long long`, `F32` promoted to `double`); for a
/// fixed parameter the value is converted to the parameter's type with a range check.
///
/// ```
/// use ffi_auto_runtime::{Value, ffi_call_values, sig::Signature, config::registry};
/// # // SAFETY: labs is `long labs(long)` in <stdlib.h>.
/// # unsafe { registry().register("labs", None, "long (long)".parse().unwrap()) };
/// let v = ffi_call_values("labs", &[Value::I64(-7)]).unwrap();
/// assert_eq!(v.to_string(), "7");
/// assert_eq!(v.as_i64(), Some(7));
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
#[non_exhaustive]
// A tag byte, then every payload at one offset (a `repr(C)` union): the register tier writes a
// returned value as whole words (`Value::from_words`).
#[repr(C, u8)]
pub enum Value<'a> {
    /// No value (`void` returns).
    Void,
    /// `bool`.
    Bool(bool),
    /// `int8_t` / `signed char`.
    I8(i8),
    /// `int16_t` / `short`.
    I16(i16),
    /// `int32_t` / `int`.
    I32(i32),
    /// `int64_t` / `long long`.
    I64(i64),
    /// `uint8_t` / `unsigned char`.
    U8(u8),
    /// `uint16_t` / `unsigned short`.
    U16(u16),
    /// `uint32_t` / `unsigned int`.
    U32(u32),
    /// `uint64_t` / `unsigned long long`.
    U64(u64),
    /// `float`.
    F32(f32),
    /// `double`.
    F64(f64),
    /// A null pointer.
    Null,
    /// A non-null raw pointer. Safe calls refuse it; use the `_raw` calls.
    Ptr(*mut c_void),
    /// A Rust string, passed as a NUL-terminated `const char *`.
    Str(&'a str),
    /// A C string, passed as is.
    CStr(&'a CStr),
    /// A byte string, passed as a NUL-terminated `const char *`.
    Bytes(&'a [u8]),
    /// A struct, passed by value (to a parameter of the same layout).
    Struct(&'a crate::Struct),
    /// `long double` (its exact bytes).
    LongDouble(crate::LongDouble),
    /// `__int128` (`Value::from(x_i128)`; read it back with [`Value::as_i128`]).
    I128(crate::Bits128),
    /// `unsigned __int128` (`Value::from(x_u128)`; read it back with [`Value::as_u128`]).
    U128(crate::Bits128),
}

/// A variant's tag: the first byte of a `#[repr(C, u8)]` enum.
const fn tag(v: &Value<'_>) -> u8 {
    // SAFETY: `#[repr(C, u8)]` lays `Value` out as a `repr(C)` struct whose first field is the
    // `u8` tag; every value has it initialized.
    unsafe { *std::ptr::from_ref(v).cast::<u8>() }
}

/// Tags of the variants the register tier returns.
pub(crate) mod tags {
    use super::{Value, tag};
    pub const VOID: u8 = tag(&Value::Void);
    pub const BOOL: u8 = tag(&Value::Bool(false));
    pub const I8: u8 = tag(&Value::I8(0));
    pub const I16: u8 = tag(&Value::I16(0));
    pub const I32: u8 = tag(&Value::I32(0));
    pub const I64: u8 = tag(&Value::I64(0));
    pub const U8: u8 = tag(&Value::U8(0));
    pub const U16: u8 = tag(&Value::U16(0));
    pub const U32: u8 = tag(&Value::U32(0));
    pub const U64: u8 = tag(&Value::U64(0));
    pub const F32: u8 = tag(&Value::F32(0.0));
    pub const F64: u8 = tag(&Value::F64(0.0));
    pub const NULL: u8 = tag(&Value::Null);
    pub const PTR: u8 = tag(&Value::Ptr(std::ptr::NonNull::dangling().as_ptr()));
}

impl Value<'static> {
    /// The value of tag `tag` whose payload's bytes are `payload`'s, written as three whole
    /// words: a caller that copies the value reads it back from stores of its own width (a
    /// value built variant by variant is stored as 1-, 2-, 4- and 8-byte pieces, which a
    /// copy's wider loads cannot forward from: a stall measured at 2 ns per call).
    ///
    /// # Safety
    /// `tag` is one of `tags`, and `payload`'s low bytes are a valid value of its variant's
    /// field (for `BOOL`, 0 or 1; for `VOID` and `NULL`, anything).
    #[cfg(all(target_pointer_width = "64", target_endian = "little"))]
    #[inline(always)]
    pub(crate) unsafe fn from_words(tag: u8, payload: u64) -> Value<'static> {
        const { assert!(size_of::<Value<'_>>() == 24 && align_of::<Value<'_>>() == 8) };
        // SAFETY: `#[repr(C, u8)]` lays `Value` out as a `repr(C)` struct of the `u8` tag and
        // a `repr(C)` union of the variants' fields: the tag in byte 0 (the low byte of the
        // first word, little-endian), the union at offset 8 (its alignment, 8: it holds
        // `u64`s and pointers), each field at the union's start. The other bytes are padding,
        // for which any initialized bits do. The caller vouches for the tag and the field.
        unsafe { std::mem::transmute::<[u64; 3], Value<'static>>([u64::from(tag), payload, 0]) }
    }
}

impl Value<'_> {
    /// The value as an `i64`, if it is an integer or bool that fits.
    pub fn as_i64(&self) -> Option<i64> {
        match *self {
            Value::Bool(b) => Some(i64::from(b)),
            Value::I8(v) => Some(v.into()),
            Value::I16(v) => Some(v.into()),
            Value::I32(v) => Some(v.into()),
            Value::I64(v) => Some(v),
            Value::U8(v) => Some(v.into()),
            Value::U16(v) => Some(v.into()),
            Value::U32(v) => Some(v.into()),
            Value::U64(v) => i64::try_from(v).ok(),
            Value::I128(v) => i64::try_from(v.to_i128()).ok(),
            Value::U128(v) => i64::try_from(v.to_u128()).ok(),
            _ => None,
        }
    }

    /// The value as an `i128`, if it is an integer or bool that fits.
    ///
    /// ```
    /// use ffi_auto_runtime::Value;
    /// assert_eq!(Value::from(u128::MAX >> 1).as_i128(), Some(i128::MAX));
    /// assert_eq!(Value::from(u128::MAX).as_i128(), None);
    /// assert_eq!(Value::I32(-4).as_i128(), Some(-4));
    /// ```
    pub fn as_i128(&self) -> Option<i128> {
        match *self {
            Value::I128(v) => Some(v.to_i128()),
            Value::U128(v) => i128::try_from(v.to_u128()).ok(),
            Value::U64(v) => Some(v.into()),
            _ => self.as_i64().map(i128::from),
        }
    }

    /// The value as a `u128`, if it is a non-negative integer or a bool.
    ///
    /// ```
    /// use ffi_auto_runtime::Value;
    /// assert_eq!(Value::from(u128::MAX).as_u128(), Some(u128::MAX));
    /// assert_eq!(Value::I8(-1).as_u128(), None);
    /// ```
    pub fn as_u128(&self) -> Option<u128> {
        match *self {
            Value::U128(v) => Some(v.to_u128()),
            _ => self.as_i128().and_then(|v| u128::try_from(v).ok()),
        }
    }

    /// The value as an `f64`, if it is a float.
    pub fn as_f64(&self) -> Option<f64> {
        match *self {
            Value::F32(v) => Some(v.into()),
            Value::F64(v) => Some(v),
            _ => None,
        }
    }

    /// The value as a raw pointer, if it is a pointer (null included).
    pub fn as_ptr(&self) -> Option<*mut c_void> {
        match *self {
            Value::Null => Some(std::ptr::null_mut()),
            Value::Ptr(p) => Some(p),
            _ => None,
        }
    }

    fn kind(&self) -> &'static str {
        match self {
            Value::Void => "Value::Void",
            Value::Bool(_) => "Value::Bool",
            Value::I8(_) => "Value::I8",
            Value::I16(_) => "Value::I16",
            Value::I32(_) => "Value::I32",
            Value::I64(_) => "Value::I64",
            Value::U8(_) => "Value::U8",
            Value::U16(_) => "Value::U16",
            Value::U32(_) => "Value::U32",
            Value::U64(_) => "Value::U64",
            Value::F32(_) => "Value::F32",
            Value::LongDouble(_) => "Value::LongDouble",
            Value::I128(_) => "Value::I128",
            Value::U128(_) => "Value::U128",
            Value::F64(_) => "Value::F64",
            Value::Null => "Value::Null",
            Value::Ptr(_) => "Value::Ptr",
            Value::Str(_) => "Value::Str",
            Value::CStr(_) => "Value::CStr",
            Value::Bytes(_) => "Value::Bytes",
            Value::Struct(_) => "Value::Struct",
        }
    }
}

/// Integers print in decimal, floats in the shortest form that reads back to the same value,
/// pointers in hex, strings as they are, `Void` as nothing.
impl fmt::Display for Value<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Void => Ok(()),
            Value::Bool(v) => write!(f, "{v}"),
            Value::I8(v) => write!(f, "{v}"),
            Value::I16(v) => write!(f, "{v}"),
            Value::I32(v) => write!(f, "{v}"),
            Value::I64(v) => write!(f, "{v}"),
            Value::U8(v) => write!(f, "{v}"),
            Value::U16(v) => write!(f, "{v}"),
            Value::U32(v) => write!(f, "{v}"),
            Value::U64(v) => write!(f, "{v}"),
            Value::F32(v) => write!(f, "{v:?}"),
            Value::F64(v) => write!(f, "{v:?}"),
            Value::LongDouble(v) => write!(f, "{:?}", v.to_f64()),
            Value::I128(v) => write!(f, "{}", v.to_i128()),
            Value::U128(v) => write!(f, "{}", v.to_u128()),
            Value::Null => f.write_str("NULL"),
            Value::Ptr(p) => write!(f, "{:p}", *p),
            Value::Str(s) => f.write_str(s),
            Value::CStr(s) => f.write_str(&s.to_string_lossy()),
            Value::Bytes(b) => f.write_str(&String::from_utf8_lossy(b)),
            Value::Struct(s) => write!(f, "{s:?}"),
        }
    }
}

macro_rules! from_value {
    ($($t:ty => $v:ident),*) => {$(
        impl From<$t> for Value<'_> {
            fn from(x: $t) -> Self {
                Value::$v(x)
            }
        }
    )*};
}

from_value!(bool => Bool, i8 => I8, i16 => I16, i32 => I32, i64 => I64, u8 => U8, u16 => U16,
    u32 => U32, u64 => U64, f32 => F32, f64 => F64, crate::LongDouble => LongDouble);

impl From<i128> for Value<'_> {
    fn from(x: i128) -> Self {
        Value::I128(x.into())
    }
}

impl From<u128> for Value<'_> {
    fn from(x: u128) -> Self {
        Value::U128(x.into())
    }
}

impl<'a> From<&'a str> for Value<'a> {
    fn from(s: &'a str) -> Self {
        Value::Str(s)
    }
}

impl<'a> From<&'a crate::Struct> for Value<'a> {
    fn from(s: &'a crate::Struct) -> Self {
        Value::Struct(s)
    }
}

impl<'a> From<&'a CStr> for Value<'a> {
    fn from(s: &'a CStr) -> Self {
        Value::CStr(s)
    }
}

impl arg::sealed::Sealed for Value<'_> {}

impl Arg for Value<'_> {
    crate::arg::not_direct!();
    #[inline(always)]
    fn store_exact(&self, class: Class, slot: &mut Slot) -> bool {
        match *self {
            Value::I8(v) => v.store_exact(class, slot),
            Value::I16(v) => v.store_exact(class, slot),
            Value::I32(v) => v.store_exact(class, slot),
            Value::I64(v) => v.store_exact(class, slot),
            Value::U8(v) => v.store_exact(class, slot),
            Value::U16(v) => v.store_exact(class, slot),
            Value::U32(v) => v.store_exact(class, slot),
            Value::U64(v) => v.store_exact(class, slot),
            Value::F32(v) => v.store_exact(class, slot),
            Value::F64(v) => v.store_exact(class, slot),
            Value::LongDouble(v) => v.store_exact(class, slot),
            Value::I128(v) => v.to_i128().store_exact(class, slot),
            Value::U128(v) => v.to_u128().store_exact(class, slot),
            Value::Bool(v) => v.store_exact(class, slot),
            Value::CStr(v) => v.store_exact(class, slot),
            _ => false,
        }
    }
    #[inline]
    fn store(&self, class: Class, slot: &mut Slot, ctx: &mut Ctx<'_>) -> Result<(), Fault> {
        match *self {
            Value::Void => Err(Fault::Type {
                hint: "`Value::Void` cannot be passed; remove the argument",
            }),
            Value::Bool(b) => b.store(class, slot, ctx),
            Value::I8(v) => v.store(class, slot, ctx),
            Value::I16(v) => v.store(class, slot, ctx),
            Value::I32(v) => v.store(class, slot, ctx),
            Value::I64(v) => v.store(class, slot, ctx),
            Value::U8(v) => v.store(class, slot, ctx),
            Value::U16(v) => v.store(class, slot, ctx),
            Value::U32(v) => v.store(class, slot, ctx),
            Value::U64(v) => v.store(class, slot, ctx),
            Value::F32(v) => v.store(class, slot, ctx),
            Value::F64(v) => v.store(class, slot, ctx),
            Value::LongDouble(v) => v.store(class, slot, ctx),
            Value::I128(v) => v.to_i128().store(class, slot, ctx),
            Value::U128(v) => v.to_u128().store(class, slot, ctx),
            Value::Null => arg::store_null(class, slot, ctx),
            Value::Ptr(p) => arg::store_ptr(p, false, None, class, slot, ctx),
            Value::Str(s) => s.store(class, slot, ctx),
            Value::CStr(s) => s.store(class, slot, ctx),
            Value::Bytes(b) => b.store(class, slot, ctx),
            Value::Struct(s) => s.store(class, slot, ctx),
        }
    }

    fn variadic_class(&self) -> Class {
        match self {
            Value::Void | Value::Null | Value::Ptr(_) => Class::Ptr {
                target: Target::Void,
                is_const: false,
                null: Null::Unknown,
            },
            Value::Bool(b) => b.variadic_class(),
            Value::I8(v) => v.variadic_class(),
            Value::I16(v) => v.variadic_class(),
            Value::I32(v) => v.variadic_class(),
            Value::I64(v) => v.variadic_class(),
            Value::U8(v) => v.variadic_class(),
            Value::U16(v) => v.variadic_class(),
            Value::U32(v) => v.variadic_class(),
            Value::U64(v) => v.variadic_class(),
            Value::F32(v) => v.variadic_class(),
            Value::F64(v) => v.variadic_class(),
            Value::LongDouble(v) => v.variadic_class(),
            Value::I128(v) => v.to_i128().variadic_class(),
            Value::U128(v) => v.to_u128().variadic_class(),
            Value::Str(s) => s.variadic_class(),
            Value::CStr(s) => s.variadic_class(),
            Value::Bytes(b) => b.variadic_class(),
            Value::Struct(s) => s.variadic_class(),
        }
    }

    fn describe(&self) -> String {
        match self {
            Value::Str(s) => s.describe(),
            Value::CStr(s) => s.describe(),
            Value::Bytes(b) => b.describe(),
            Value::Struct(s) => s.describe(),
            Value::Null => "null (`Value::Null`)".to_owned(),
            v => format!("`{v}` ({})", v.kind()),
        }
    }
}
// SAFETY: every variant stores a number or a string safely; `Value::Ptr`, and a struct holding
// pointers, are refused at run time in a safe call (`store_ptr` and `store_record` check
// `ctx.safe`).
unsafe impl arg::SafeArg for Value<'_> {}

impl crate::ret::sealed::Sealed for Value<'static> {}
impl FromRet for Value<'static> {
    type Wide = crate::direct::NotDirect;
    fn from_wide(w: crate::direct::NotDirect) -> Self {
        let _ = w;
        unreachable!("ffi-auto: a return without a direct kind took the direct tier")
    }
    const NAME: &'static str = "Value";
    #[inline]
    fn describe_ret(&self) -> String {
        self.to_string()
    }
    fn from_ret(class: Class, ret: &RetBuf) -> Result<Self, Fault> {
        if let Class::Record(_) = class {
            return Err(Fault::Type {
                hint: "read a struct return as `ffi_auto::Struct` or as the struct type `#[ffi_auto] struct name;` generates",
            });
        }
        Ok(crate::ret::read_value(class, ret))
    }
}

/// The fast path for a list of values: each stored as is, or `false`.
#[inline]
fn exact_values(
    values: &[Value<'_>],
    classes: &[Class],
    slots: &mut crate::call::InlineSlots,
) -> bool {
    let base = slots.as_mut_ptr().cast::<Slot>();
    values.len() == classes.len()
        && values.len() <= crate::call::INLINE
        && values.iter().zip(classes).enumerate().all(|(i, (v, c))| {
            // SAFETY: `i < values.len() <= INLINE`; a `Slot` is valid uninitialized.
            v.store_exact(*c, unsafe { &mut *base.add(i) })
        })
}

macro_rules! value_args {
    ($($t:ty),*) => {$(
        impl crate::arg::Args for $t {
            fn count(&self) -> usize {
                <[Value<'_>]>::len(self)
            }
            #[inline]
            fn store_exact_all(&self, classes: &[Class], slots: &mut crate::call::InlineSlots) -> bool {
                exact_values(self, classes, slots)
            }
            fn store_all(&self, frame: &mut crate::call::Frame<'_, '_>) -> Result<(), (usize, Fault)> {
                for (i, v) in self.iter().enumerate() {
                    frame.push(i, v)?;
                }
                Ok(())
            }
            fn describe(&self, index: usize) -> String {
                self.get(index).map(Arg::describe).unwrap_or_default()
            }
            fn as_values(&self) -> Option<&[Value<'_>]> {
                Some(self)
            }
        }
        // SAFETY: `Value` arguments are safe or refused at run time in a safe call.
        unsafe impl crate::arg::SafeArgs for $t {}
    )*};
}

value_args!(&[Value<'_>], Vec<Value<'_>>);

impl<const N: usize> crate::arg::Args for [Value<'_>; N] {
    fn count(&self) -> usize {
        N
    }
    #[inline]
    fn store_exact_all(&self, classes: &[Class], slots: &mut crate::call::InlineSlots) -> bool {
        exact_values(self, classes, slots)
    }
    fn store_all(&self, frame: &mut crate::call::Frame<'_, '_>) -> Result<(), (usize, Fault)> {
        for (i, v) in self.iter().enumerate() {
            frame.push(i, v)?;
        }
        Ok(())
    }
    fn describe(&self, index: usize) -> String {
        self.get(index).map(Arg::describe).unwrap_or_default()
    }
    fn as_values(&self) -> Option<&[Value<'_>]> {
        Some(self)
    }
}
// SAFETY: as for slices of `Value`.
unsafe impl<const N: usize> crate::arg::SafeArgs for [Value<'_>; N] {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pointer_displays_as_its_address_not_the_values() {
        let x = 5u64;
        let p = (&raw const x).cast_mut().cast::<c_void>();
        let v = Value::Ptr(p);
        assert_eq!(v.to_string(), format!("{:#x}", p as usize));
        assert_eq!(Value::Null.to_string(), "NULL");
    }
}
