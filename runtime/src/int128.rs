//! C's `__int128` and `unsigned __int128`, which libffi has no type for.
//!
//! The x86-64 System V ABI classifies an `__int128` as a struct of two 8-byte INTEGER words,
//! except that one passed in memory is aligned to 16. libffi is therefore given that struct with
//! its size and alignment set to 16 (`ffi_prep_cif` lays out only a struct whose size is 0);
//! its x86-64 port puts a struct argument in two registers when two are free, and otherwise on
//! the stack at the type's alignment, and returns it in `rax:rdx`, which is what C does.
//!
//! Elsewhere the runtime refuses them: aarch64 passes a 16-byte-aligned argument in an
//! even-numbered register pair, which libffi's struct code does not do.

use crate::arg::{Arg, Ctx, Fault, SafeArg, Slot, sealed};
use crate::class::Class;

/// Whether the runtime passes `__int128` on this target.
pub(crate) const SUPPORTED: bool = cfg!(target_arch = "x86_64");

/// Why `__int128` is refused where it is.
pub(crate) const REFUSED: &str = "the runtime passes `__int128` on x86-64 only; declare the function in the macros (`defcfuns!`), where it is `i128` / `u128`";

/// The bits of a 128-bit integer, held at 8-byte alignment so that a [`Value`](crate::Value)
/// stays three words: [`Value::I128`](crate::Value::I128) and
/// [`Value::U128`](crate::Value::U128) carry one, and say how to read it.
///
/// ```
/// use ffi_auto_runtime::{Bits128, Value};
/// let big = (1i128 << 100) + 7;
/// assert_eq!(Bits128::from(big).to_i128(), big);
/// let v = Value::from(big);
/// assert_eq!(v.as_i128(), Some(big));
/// assert_eq!(v.to_string(), big.to_string());
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
#[repr(C)]
pub struct Bits128 {
    lo: u64,
    hi: u64,
}

impl Bits128 {
    /// The bits of `v`.
    pub const fn from_i128(v: i128) -> Bits128 {
        Bits128::from_u128(v as u128)
    }

    /// The bits of `v`.
    pub const fn from_u128(v: u128) -> Bits128 {
        Bits128 {
            lo: v as u64,
            hi: (v >> 64) as u64,
        }
    }

    /// The bits read as a signed integer.
    pub const fn to_i128(self) -> i128 {
        self.to_u128() as i128
    }

    /// The bits read as an unsigned integer.
    pub const fn to_u128(self) -> u128 {
        ((self.hi as u128) << 64) | self.lo as u128
    }
}

impl From<i128> for Bits128 {
    fn from(v: i128) -> Bits128 {
        Bits128::from_i128(v)
    }
}

impl From<u128> for Bits128 {
    fn from(v: u128) -> Bits128 {
        Bits128::from_u128(v)
    }
}

/// The libffi type of `__int128`: two 8-byte words, size and alignment 16 (see the module).
pub(crate) fn ffi_type() -> libffi::middle::Type {
    let t =
        libffi::middle::Type::structure([libffi::middle::Type::u64(), libffi::middle::Type::u64()]);
    // SAFETY: `t` owns the `ffi_type` its pointer names (allocated by `Type::structure`, not
    // yet shared: no CIF points into it), so writing two of its fields races with nothing.
    // With a non-zero size, `ffi_prep_cif` keeps the size and alignment set here instead of
    // laying the struct out; 16 and 16 are `__int128`'s, and its two `u64` elements at offsets
    // 0 and 8 are the two INTEGER words the ABI classifies it as.
    unsafe {
        let raw = t.as_raw_ptr();
        (*raw).size = 16;
        (*raw).alignment = 16;
    }
    t
}

/// A Rust integer of any width, for storing into a parameter.
#[derive(Clone, Copy)]
pub(crate) enum Wide {
    Signed(i128),
    Unsigned(u128),
}

impl Wide {
    /// The value as a 64-bit `Int` when it is one (then every class takes it as usual).
    fn narrow(self) -> Option<crate::arg::Int> {
        use crate::arg::Int;
        match self {
            Wide::Signed(v) => i64::try_from(v)
                .map(Int::Signed)
                .ok()
                .or_else(|| u64::try_from(v).map(Int::Unsigned).ok()),
            Wide::Unsigned(v) => u64::try_from(v).map(Int::Unsigned).ok(),
        }
    }

    fn num(self) -> crate::arg::Num {
        match self {
            Wide::Signed(v) => crate::arg::Num::I128(Bits128::from_i128(v)),
            Wide::Unsigned(v) => crate::arg::Num::U128(Bits128::from_u128(v)),
        }
    }
}

/// A 128-bit value converted to `class`: one that fits 64 bits converts as any integer does;
/// a wider one goes only to a 128-bit parameter that holds it.
pub(crate) fn store_wide(v: Wide, class: Class, slot: &mut Slot) -> Result<(), Fault> {
    if let Some(n) = v.narrow() {
        return crate::arg::store_int(n, class, slot);
    }
    match (class, v) {
        (Class::I128, Wide::Signed(x)) => slot.put(x),
        (Class::I128, Wide::Unsigned(x)) => {
            slot.put(i128::try_from(x).map_err(|_| Fault::Range(v.num()))?);
        }
        (Class::U128, Wide::Signed(x)) => {
            slot.put(u128::try_from(x).map_err(|_| Fault::Range(v.num()))?);
        }
        (Class::U128, Wide::Unsigned(x)) => slot.put(x),
        (Class::F32 | Class::F64 | Class::LongDouble, _) => store_float(v, class, slot)?,
        (Class::Bool | Class::Ptr { .. } | Class::Void | Class::Record(_), _) => {
            // The same refusal a 64-bit integer gets.
            return crate::arg::store_int(crate::arg::Int::Signed(0), class, slot);
        }
        _ => return Err(Fault::Range(v.num())),
    }
    Ok(())
}

/// A value wider than 64 bits to a float parameter: only when the float holds it exactly, as
/// for any integer (2^100 is a `double`; 2^100 + 1 is not).
fn store_float(v: Wide, class: Class, slot: &mut Slot) -> Result<(), Fault> {
    let mantissa = if class == Class::F32 {
        f32::MANTISSA_DIGITS
    } else {
        // A `long double` is reached through `double` (`LongDouble::from_f64`).
        f64::MANTISSA_DIGITS
    };
    let m = match v {
        Wide::Signed(x) => x.unsigned_abs(),
        Wide::Unsigned(x) => x,
    };
    if m.leading_zeros() + m.trailing_zeros() < u128::BITS - mantissa {
        return Err(Fault::Range(v.num()));
    }
    // Exact: the significant bits fit the mantissa, and 2^128 is below even `float`'s limit
    // once they do ((2^24 - 1) * 2^104 < f32::MAX).
    let f = match v {
        Wide::Signed(x) => x as f64,
        Wide::Unsigned(x) => x as f64,
    };
    match class {
        Class::F32 => slot.put(f as f32),
        Class::F64 => slot.put(f),
        _ => slot.put(crate::LongDouble::from_f64(f)),
    }
    Ok(())
}

macro_rules! wide_arg {
    ($($t:ty => $class:ident, $wide:ident);*) => {$(
        impl sealed::Sealed for $t {}
        impl Arg for $t {
            crate::arg::not_direct!();
            #[inline(always)]
            fn store_exact(&self, class: Class, slot: &mut Slot) -> bool {
                let exact = class == Class::$class;
                if exact {
                    slot.put(*self);
                }
                exact
            }
            fn store(&self, class: Class, slot: &mut Slot, _ctx: &mut Ctx<'_>) -> Result<(), Fault> {
                store_wide(Wide::$wide(*self), class, slot)
            }
            fn variadic_class(&self) -> Class {
                Class::$class
            }
            fn describe(&self) -> String {
                format!("`{}` ({})", self, stringify!($t))
            }
        }
        // SAFETY: an integer is stored by value.
        unsafe impl SafeArg for $t {}
    )*};
}

wide_arg!(i128 => I128, Signed; u128 => U128, Unsigned);

#[cfg(test)]
mod tests {
    use super::*;

    /// `store_wide` into a fresh slot; the 16 bytes written, or the fault.
    fn store(v: Wide, class: Class) -> Result<u128, Fault> {
        let mut slot = Slot::UNINIT;
        store_wide(v, class, &mut slot)?;
        // SAFETY: `store_wide` wrote a 128-bit integer for these classes.
        Ok(unsafe { slot.get::<u128>() })
    }

    #[test]
    fn each_class_takes_its_range_and_refuses_one_past_it() {
        use Wide::{Signed, Unsigned};
        let max = i128::MAX;
        assert_eq!(store(Signed(i128::MIN), Class::I128), Ok(i128::MIN as u128));
        assert_eq!(store(Signed(max), Class::I128), Ok(max as u128));
        assert_eq!(store(Unsigned(max as u128), Class::I128), Ok(max as u128));
        assert!(store(Unsigned(max as u128 + 1), Class::I128).is_err());
        assert_eq!(store(Unsigned(u128::MAX), Class::U128), Ok(u128::MAX));
        assert_eq!(store(Signed(max), Class::U128), Ok(max as u128));
        assert!(store(Signed(-1), Class::U128).is_err());
        assert!(store(Signed(i128::MIN), Class::U128).is_err());
        // Through the 64-bit path: a small value to a 128-bit class, sign-extended.
        assert_eq!(store(Signed(-2), Class::I128), Ok(-2i128 as u128));
        // A wide value to a narrow class only when it fits.
        let mut slot = Slot::UNINIT;
        assert!(store_wide(Signed(-5), Class::I32, &mut slot).is_ok());
        // SAFETY: an `int` was written.
        assert_eq!(unsafe { slot.get::<i32>() }, -5);
        assert!(store_wide(Signed(1 << 64), Class::U64, &mut slot).is_err());
        assert!(store_wide(Unsigned(1 << 64), Class::I64, &mut slot).is_err());
        // Floats: exact only.
        assert!(store_wide(Signed(1 << 100), Class::F64, &mut slot).is_ok());
        // SAFETY: a `double` was written.
        assert_eq!(unsafe { slot.get::<f64>() }, 2f64.powi(100));
        assert!(store_wide(Signed((1 << 100) + 1), Class::F64, &mut slot).is_err());
        assert!(store_wide(Unsigned(u128::MAX), Class::F32, &mut slot).is_err());
        // Never a pointer or a bool.
        assert!(matches!(
            store_wide(Signed(1 << 70), Class::Bool, &mut slot),
            Err(Fault::Type { .. })
        ));
    }

    #[test]
    fn bits_round_trip() {
        for v in [0, 1, -1, i128::MIN, i128::MAX, (1 << 64) + 3, -(1 << 90)] {
            assert_eq!(Bits128::from_i128(v).to_i128(), v);
        }
        assert_eq!(Bits128::from_u128(u128::MAX).to_u128(), u128::MAX);
        assert_eq!(Bits128::from_i128(-1).to_u128(), u128::MAX);
    }
}
