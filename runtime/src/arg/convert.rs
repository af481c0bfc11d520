//! The conversions every [`Arg`](super::Arg) shares, taken on the checked path: range-checked
//! integers (one store for every Rust integer type), integer-to-float conversion that must be
//! exact, float narrowing with an overflow check, strings copied with a NUL, null and raw
//! pointers checked against what the parameter accepts.

use std::ffi::{CStr, c_char, c_void};

use super::{Ctx, Fault, Num, SCRATCH, Slot, Stored};
use crate::class::{Class, Null, Target};

const HINT_INT_TO_PTR: &str =
    "pass a pointer (a string for `const char *`, or a raw pointer through `call_raw`)";
const HINT_FLOAT_TO_INT: &str =
    "C would truncate it silently; convert it explicitly (`x as i64`) if that is what you mean";
const HINT_STRUCT: &str = "pass a struct value: an `ffi_auto::Struct`, or the `#[repr(C)]` type `#[ffi_auto] struct name;` generates";
const HINT_TO_BOOL: &str = "pass `true` or `false`";
const HINT_STR_TO_MUT: &str = "the function may write through this pointer; pass a mutable buffer (`&mut [u8]`) through `call_raw`";
const HINT_STR_TO_OTHER: &str = "strings are passed only as `const char *`";
const HINT_NOT_NUMBER: &str = "pass a number";
const HINT_CONST_TO_MUT: &str = "the function may write through this pointer; pass a `*mut` pointer (`.cast_mut()` if you know it does not write)";
const HINT_POINTEE: &str = "pass a reference to a value of the pointed-to type, or a raw pointer";

/// A Rust integer at full width, with its signedness: every Rust integer type converts to one
/// of the two without loss (`isize` and `usize` are at most 64 bits wide).
///
/// An enum rather than an `i128`: range checks stay 64-bit compares (a 128-bit value passed to
/// the out-of-line `store_int` costs more on every checked call), and an out-of-range value is
/// reported as the signed or unsigned number it was.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Int {
    /// From `i8`, `i16`, `i32`, `i64` or `isize`.
    Signed(i64),
    /// From `u8`, `u16`, `u32`, `u64` or `usize`.
    Unsigned(u64),
}

impl Int {
    /// The value, for an out-of-range error.
    fn num(self) -> Num {
        match self {
            Int::Signed(v) => Num::I(v),
            Int::Unsigned(v) => Num::U(v),
        }
    }

    /// Whether a float type with `mantissa` significant bits holds the value exactly, that is
    /// whether the bits from its highest to its lowest set one fit in the mantissa (every
    /// 64-bit integer is far inside even `float`'s exponent range). The same answer as
    /// converting and converting back, without the 128-bit float conversions that needs
    /// (`as i64` would saturate 2^63 to `i64::MAX`).
    #[inline(always)]
    fn fits_mantissa(self, mantissa: u32) -> bool {
        let m = match self {
            Int::Signed(v) => v.unsigned_abs(),
            Int::Unsigned(v) => v,
        };
        // Zero has 64 + 64 zeros: exact.
        m.leading_zeros() + m.trailing_zeros() >= u64::BITS - mantissa
    }

    /// The nearest `double` (exact where `fits_mantissa(f64::MANTISSA_DIGITS)`).
    #[inline(always)]
    fn to_f64(self) -> f64 {
        match self {
            Int::Signed(v) => v as f64,
            Int::Unsigned(v) => v as f64,
        }
    }

    /// The nearest `float` (exact where `fits_mantissa(f32::MANTISSA_DIGITS)`).
    #[inline(always)]
    fn to_f32(self) -> f32 {
        match self {
            Int::Signed(v) => v as f32,
            Int::Unsigned(v) => v as f32,
        }
    }
}

/// Stores `v` as a `T` if it is in `T`'s range.
#[inline(always)]
fn narrow<T: TryFrom<i64> + TryFrom<u64> + Copy>(v: Int, slot: &mut Slot) -> Stored {
    let x = match v {
        Int::Signed(v) => T::try_from(v).ok(),
        Int::Unsigned(v) => T::try_from(v).ok(),
    };
    match x {
        Some(x) => {
            slot.put(x);
            Ok(())
        }
        None => Err(Fault::Range(v.num())),
    }
}

/// Any Rust integer, converted to `class`: it must fit the C integer type (300 is not an
/// `unsigned char`), or be exactly representable as the C float type (2^53 + 1 is not a
/// `double`).
#[inline]
pub(crate) fn store_int(v: Int, class: Class, slot: &mut Slot) -> Stored {
    match class {
        Class::I8 => narrow::<i8>(v, slot),
        Class::U8 => narrow::<u8>(v, slot),
        Class::I16 => narrow::<i16>(v, slot),
        Class::U16 => narrow::<u16>(v, slot),
        Class::I32 => narrow::<i32>(v, slot),
        Class::U32 => narrow::<u32>(v, slot),
        Class::I64 => narrow::<i64>(v, slot),
        Class::U64 => narrow::<u64>(v, slot),
        Class::I128 => {
            slot.put(match v {
                Int::Signed(v) => i128::from(v),
                Int::Unsigned(v) => i128::from(v),
            });
            Ok(())
        }
        Class::U128 => match v {
            Int::Unsigned(v) => {
                slot.put(u128::from(v));
                Ok(())
            }
            Int::Signed(s) => match u64::try_from(s) {
                Ok(u) => {
                    slot.put(u128::from(u));
                    Ok(())
                }
                Err(_) => Err(Fault::Range(v.num())),
            },
        },
        Class::F64 if v.fits_mantissa(f64::MANTISSA_DIGITS) => {
            slot.put(v.to_f64());
            Ok(())
        }
        Class::F32 if v.fits_mantissa(f32::MANTISSA_DIGITS) => {
            slot.put(v.to_f32());
            Ok(())
        }
        Class::LongDouble if v.fits_mantissa(f64::MANTISSA_DIGITS) => {
            slot.put(crate::LongDouble::from_f64(v.to_f64()));
            Ok(())
        }
        Class::F64 | Class::F32 | Class::LongDouble => Err(Fault::Range(v.num())),
        Class::Bool => Err(Fault::Type { hint: HINT_TO_BOOL }),
        Class::Ptr { .. } | Class::Void => Err(Fault::Type {
            hint: HINT_INT_TO_PTR,
        }),
        Class::Record(_) => Err(Fault::Type { hint: HINT_STRUCT }),
    }
}

/// A float: stored as a `double`, or narrowed to a `float` unless a finite value overflows.
#[inline]
pub(super) fn store_f64(v: f64, class: Class, slot: &mut Slot) -> Stored {
    match class {
        Class::F64 => {
            slot.put(v);
            Ok(())
        }
        // Every `double` is a `long double`, exactly.
        Class::LongDouble => {
            slot.put(crate::LongDouble::from_f64(v));
            Ok(())
        }
        Class::F32 => {
            let narrow = v as f32;
            if v.is_finite() && narrow.is_infinite() {
                Err(Fault::Range(Num::F(v)))
            } else {
                slot.put(narrow);
                Ok(())
            }
        }
        Class::I8
        | Class::U8
        | Class::I16
        | Class::U16
        | Class::I32
        | Class::U32
        | Class::I64
        | Class::U64
        | Class::I128
        | Class::U128 => Err(Fault::Type {
            hint: HINT_FLOAT_TO_INT,
        }),
        Class::Bool => Err(Fault::Type { hint: HINT_TO_BOOL }),
        Class::Ptr { .. } | Class::Void => Err(Fault::Type {
            hint: HINT_NOT_NUMBER,
        }),
        Class::Record(_) => Err(Fault::Type { hint: HINT_STRUCT }),
    }
}

/// A `bool`: 0 or 1, for a `bool` or any integer parameter.
#[inline]
pub(super) fn store_bool(b: bool, class: Class, slot: &mut Slot) -> Stored {
    match class {
        Class::Bool | Class::I8 | Class::U8 => {
            slot.put(u8::from(b));
            Ok(())
        }
        Class::I16 | Class::U16 => {
            slot.put(u16::from(b));
            Ok(())
        }
        Class::I32 | Class::U32 => {
            slot.put(u32::from(b));
            Ok(())
        }
        Class::I64 | Class::U64 => {
            slot.put(u64::from(b));
            Ok(())
        }
        Class::I128 | Class::U128 => {
            slot.put(u128::from(b));
            Ok(())
        }
        _ => Err(Fault::Type {
            hint: HINT_NOT_NUMBER,
        }),
    }
}

/// A string argument: only `const` pointers to one-byte integers take it.
#[inline]
fn string_target(class: Class) -> Stored {
    match class {
        Class::Ptr {
            target: Target::Byte,
            is_const: true,
            ..
        } => Ok(()),
        Class::Ptr {
            target: Target::Byte,
            is_const: false,
            ..
        } => Err(Fault::Type {
            hint: HINT_STR_TO_MUT,
        }),
        _ => Err(Fault::Type {
            hint: HINT_STR_TO_OTHER,
        }),
    }
}

/// Rust string bytes (no NUL terminator): refused if they hold a NUL, else copied with one.
#[inline]
pub(super) fn store_str(bytes: &[u8], class: Class, slot: &mut Slot, ctx: &mut Ctx<'_>) -> Stored {
    string_target(class)?;
    if let Some(i) = memchr::memchr(0, bytes) {
        return Err(Fault::Nul(i));
    }
    slot.put(ctx.c_string(bytes));
    Ok(())
}

impl Ctx<'_> {
    /// A NUL-terminated copy of `bytes` (which hold no NUL), valid as long as the buffer
    /// borrowed for `'f` (the caller's stack, for the whole call) and this context live.
    fn c_string(&mut self, bytes: &[u8]) -> *const c_char {
        let need = bytes.len() + 1;
        if self.used + need <= SCRATCH {
            // SAFETY: `used + need <= SCRATCH`, so the `need` bytes from `dst` are inside the
            // buffer and not handed out before (`used` only grows).
            let dst = unsafe { self.buf.as_mut_ptr().cast::<u8>().add(self.used) };
            // SAFETY: `dst` has room for `bytes` and the NUL; the source is a live slice.
            unsafe {
                std::ptr::copy_nonoverlapping(bytes.as_ptr(), dst, bytes.len());
                dst.add(bytes.len()).write(0);
            }
            self.used += need;
            dst.cast_const().cast()
        } else {
            let mut v = Vec::with_capacity(need);
            v.extend_from_slice(bytes);
            v.push(0);
            let b = v.into_boxed_slice();
            let p = b.as_ptr().cast();
            self.spill.get_or_insert_with(Box::default).push(b);
            p
        }
    }
}

/// A C string that is already NUL-terminated: passed as is.
#[inline]
pub(super) fn store_cstr(s: &CStr, class: Class, slot: &mut Slot) -> Stored {
    string_target(class)?;
    slot.put(s.as_ptr());
    Ok(())
}

/// A null pointer: refused where the declaration says nonnull, and in a safe call wherever
/// nothing says the function accepts null (glibc's `fclose` and `puts` crash on it, and
/// their headers do not say so).
#[inline]
pub(crate) fn store_null(class: Class, slot: &mut Slot, ctx: &Ctx<'_>) -> Stored {
    match class {
        Class::Ptr {
            null: Null::Refused,
            ..
        } => Err(Fault::Null),
        Class::Ptr {
            null: Null::Unknown,
            ..
        } if ctx.safe => Err(Fault::NullUnknown),
        Class::Ptr { .. } => {
            slot.put(std::ptr::null::<c_void>());
            Ok(())
        }
        _ => Err(Fault::Type {
            hint: "null is passed only for pointer parameters",
        }),
    }
}

/// A raw pointer. `pointee` is the target it points to when known (`None` for `void`).
#[inline]
pub(crate) fn store_ptr(
    p: *const c_void,
    is_const: bool,
    pointee: Option<Target>,
    class: Class,
    slot: &mut Slot,
    ctx: &Ctx<'_>,
) -> Stored {
    if ctx.safe {
        return Err(Fault::Raw);
    }
    match class {
        Class::Ptr {
            null: Null::Refused,
            ..
        } if p.is_null() => Err(Fault::Null),
        Class::Ptr {
            is_const: false,
            target,
            ..
        } if is_const && target != Target::Other => Err(Fault::Type {
            hint: HINT_CONST_TO_MUT,
        }),
        Class::Ptr { target, .. } => {
            if let Some(have) = pointee
                && !pointee_fits(target, have)
            {
                return Err(Fault::Type { hint: HINT_POINTEE });
            }
            slot.put(p);
            Ok(())
        }
        _ => Err(Fault::Type {
            hint: "a pointer is passed only for pointer parameters",
        }),
    }
}

fn pointee_fits(want: Target, have: Target) -> bool {
    want == have || want == Target::Void
}

#[cfg(test)]
mod tests {
    use ffi_auto_sig::{CType, IntKind};

    use super::*;
    use crate::class::DM;

    /// The integer `store_int` wrote for an integer class, sign- or zero-extended.
    fn stored_int(slot: &Slot, class: Class) -> i128 {
        // SAFETY: called after `store_int` returned `Ok` for `class`, so the slot holds an
        // integer of `class`'s size and signedness.
        unsafe {
            match class {
                Class::I8 => i128::from(slot.get::<i8>()),
                Class::U8 => i128::from(slot.get::<u8>()),
                Class::I16 => i128::from(slot.get::<i16>()),
                Class::U16 => i128::from(slot.get::<u16>()),
                Class::I32 => i128::from(slot.get::<i32>()),
                Class::U32 => i128::from(slot.get::<u32>()),
                Class::I64 => i128::from(slot.get::<i64>()),
                Class::U64 => i128::from(slot.get::<u64>()),
                other => panic!("{other:?} is not an integer class"),
            }
        }
    }

    /// `store_int` into a fresh slot, when only the result matters.
    fn store(v: Int, class: Class) -> Stored {
        let mut slot = Slot::UNINIT;
        store_int(v, class, &mut slot)
    }

    /// `v` as each Rust source it can come from: a signed and an unsigned 64-bit integer.
    fn sources(v: i128) -> Vec<Int> {
        let mut out = Vec::new();
        if let Ok(s) = i64::try_from(v) {
            out.push(Int::Signed(s));
        }
        if let Ok(u) = u64::try_from(v) {
            out.push(Int::Unsigned(u));
        }
        out
    }

    #[test]
    fn every_int_kind_takes_its_range_and_refuses_one_past_it() {
        let mut checked = 0;
        for kind in IntKind::ALL {
            if kind.size(&DM) > 8 {
                // `__int128`: on x86-64 its own classes (`int128`'s tests check its range);
                // elsewhere refused (the macros take it).
                let class = Class::of(&CType::Int(kind), Null::Unknown).ok();
                let want = crate::int128::SUPPORTED.then(|| {
                    if kind.is_signed(&DM) {
                        Class::I128
                    } else {
                        Class::U128
                    }
                });
                assert_eq!(class, want, "{kind:?}");
                continue;
            }
            let Ok(class) = Class::of(&CType::Int(kind), Null::Unknown) else {
                panic!("{kind:?} has no class");
            };
            let (size, signed) = (kind.size(&DM), kind.is_signed(&DM));
            assert_eq!(class.int_parts(), Some((size, signed)), "{kind:?}");
            let bits = u32::from(size) * 8;
            let (min, max) = if signed {
                (-(1i128 << (bits - 1)), (1i128 << (bits - 1)) - 1)
            } else {
                (0, (1i128 << bits) - 1)
            };
            for (v, fits) in [(min, true), (max, true), (min - 1, false), (max + 1, false)] {
                let from = sources(v);
                // Only -2^63 - 1 and 2^64 come from no Rust integer.
                assert!(!from.is_empty() || bits == 64, "{kind:?} {v}");
                for int in from {
                    let mut slot = Slot::UNINIT;
                    let r = store_int(int, class, &mut slot);
                    if fits {
                        assert_eq!(r, Ok(()), "{kind:?} {int:?}");
                        assert_eq!(stored_int(&slot, class), v, "{kind:?} {int:?}");
                    } else {
                        let num = match int {
                            Int::Signed(s) => Num::I(s),
                            Int::Unsigned(u) => Num::U(u),
                        };
                        assert_eq!(r, Err(Fault::Range(num)), "{kind:?} {int:?}");
                    }
                    checked += 1;
                }
            }
        }
        // Every kind had its min and max stored and both neighbours refused, from each source
        // that can hold them (at least one each).
        assert!(checked >= IntKind::ALL.len() * 4, "{checked}");
    }

    #[test]
    fn each_rust_integer_type_keeps_its_signedness() {
        use crate::arg::{Arg, Ctx, SCRATCH, Spill};
        let mut buf = std::mem::MaybeUninit::<[u8; SCRATCH]>::uninit();
        let mut spill: Spill = None;
        let mut ctx = Ctx::new(&mut buf, &mut spill, true);
        let mut slot = Slot::UNINIT;
        // A macro rather than `&dyn Arg`: `Arg` has associated constants and types.
        macro_rules! store {
            ($v:expr, $class:expr) => {
                Arg::store($v, $class, &mut slot, &mut ctx)
            };
        }
        assert_eq!(store!(&-1i8, Class::U8), Err(Fault::Range(Num::I(-1))));
        assert_eq!(store!(&-1isize, Class::U64), Err(Fault::Range(Num::I(-1))));
        assert_eq!(store!(&128i16, Class::I8), Err(Fault::Range(Num::I(128))));
        assert_eq!(store!(&255u8, Class::I8), Err(Fault::Range(Num::U(255))));
        assert_eq!(
            store!(&u64::MAX, Class::I64),
            Err(Fault::Range(Num::U(u64::MAX)))
        );
        assert_eq!(
            store!(&usize::MAX, Class::F64),
            Err(Fault::Range(Num::U(usize::MAX as u64)))
        );
        assert_eq!(store!(&i32::MAX, Class::U32), Ok(()));
        assert_eq!(store!(&-1i64, Class::I8), Ok(()));
        assert_eq!(store!(&u32::MAX, Class::I64), Ok(()));
    }

    /// What `fits_mantissa` replaces: convert, convert back, compare at a width where nothing
    /// saturates.
    fn round_trips(v: Int, mantissa: u32) -> bool {
        let (back, exact) = match (v, mantissa) {
            (Int::Signed(s), 24) => ((s as f32) as i128, i128::from(s)),
            (Int::Signed(s), _) => ((s as f64) as i128, i128::from(s)),
            (Int::Unsigned(u), 24) => ((u as f32) as i128, i128::from(u)),
            (Int::Unsigned(u), _) => ((u as f64) as i128, i128::from(u)),
        };
        back == exact
    }

    #[test]
    fn an_integer_becomes_a_float_only_when_exact() {
        let mut values: Vec<i128> = vec![0, 1, -1, i128::from(i64::MIN), i128::from(i64::MAX)];
        values.push(i128::from(u64::MAX));
        for p in [23, 24, 25, 52, 53, 54, 62, 63, 64] {
            let b = 1i128 << p;
            values.extend([b - 2, b - 1, b, b + 1, b + 2, -b - 1, -b, -b + 1]);
        }
        // 2^64 - 2^11: 53 significant bits, the largest `u64` a double holds exactly.
        values.push(i128::from(u64::MAX - 2047));
        values.push(i128::from(u64::MAX - 2048));
        // Pseudo-random values of every bit length (xorshift; fixed seed).
        let mut x = 0x9e37_79b9_7f4a_7c15u64;
        for _ in 0..20_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let v = x >> (x % 64);
            values.extend([i128::from(v), -i128::from(v)]);
        }
        let mut exact = [0; 2];
        for v in values {
            for int in sources(v) {
                for (i, (class, mantissa)) in
                    [(Class::F64, 53), (Class::F32, 24)].into_iter().enumerate()
                {
                    let want = round_trips(int, mantissa);
                    assert_eq!(
                        int.fits_mantissa(mantissa),
                        want,
                        "{int:?} in {mantissa} bits"
                    );
                    let mut slot = Slot::UNINIT;
                    let r = store_int(int, class, &mut slot);
                    if want {
                        assert_eq!(r, Ok(()), "{int:?} as {class:?}");
                        // SAFETY: `store_int` stored a float of `class`.
                        let back = unsafe {
                            if class == Class::F64 {
                                slot.get::<f64>() as i128
                            } else {
                                slot.get::<f32>() as i128
                            }
                        };
                        assert_eq!(back, v, "{int:?} as {class:?}");
                        exact[i] += 1;
                    } else {
                        let num = match int {
                            Int::Signed(s) => Num::I(s),
                            Int::Unsigned(u) => Num::U(u),
                        };
                        assert_eq!(r, Err(Fault::Range(num)), "{int:?} as {class:?}");
                    }
                }
            }
        }
        // Both outcomes were seen for both types.
        assert!(exact.iter().all(|&n| n > 100), "{exact:?}");
        assert_eq!(store(Int::Signed(1 << 24), Class::F32), Ok(()));
        assert_eq!(
            store(Int::Signed((1 << 24) + 1), Class::F32),
            Err(Fault::Range(Num::I((1 << 24) + 1)))
        );
        assert_eq!(
            store(Int::Unsigned((1 << 53) + 1), Class::F64),
            Err(Fault::Range(Num::U((1 << 53) + 1)))
        );
    }

    #[test]
    fn an_integer_is_not_a_bool_a_pointer_or_a_struct() {
        let ptr = Class::Ptr {
            target: Target::Byte,
            is_const: true,
            null: Null::Unknown,
        };
        for (class, hint) in [
            (Class::Bool, HINT_TO_BOOL),
            (ptr, HINT_INT_TO_PTR),
            (Class::Record(0), HINT_STRUCT),
        ] {
            for int in [Int::Signed(0), Int::Unsigned(1)] {
                assert_eq!(store(int, class), Err(Fault::Type { hint }));
            }
        }
    }
}
