//! The register tier: calls with dynamic values (`Function::call_values`) through a thunk
//! compiled into the binary, for signatures whose arguments all travel in registers.
//!
//! At preparation, a plan maps each parameter to its register (`Reg`): on x86-64 System V the
//! integer class (integers, `_Bool`, pointers) takes the next of 6 general registers and
//! `float`/`double` the next of 8 vector registers, in order and independently; on aarch64
//! AAPCS64, 8 and 8. A call then writes each value into its register slot and calls the
//! function through one of two fixed types, `fn(6 or 8 integers, 8 doubles) -> u64` or
//! `-> f64`: the C function reads the registers it declares and ignores the others, exactly as
//! when C calls it (a prototype fixes which registers, not how many the caller loads).
//!
//! Soundness. The plan exists only where every parameter is a register argument of these
//! ABIs (no struct, `long double`, variadic tail, or stack argument: those stay on libffi), and
//! the signature was vouched for at preparation. Each value is taken only when it is exactly
//! its parameter's type (`Value::I32` for `int`, `Value::CStr` for `const char *`); anything
//! else, and any error, goes to the general path, which converts and reports as before. Integers
//! are sign- or zero-extended to 64 bits (callers extend narrow arguments; compilers rely on
//! it), a `float` sits in the low 32 bits of its register; returns are truncated to their C
//! width, then extended (callees leave garbage above narrow returns), and a `float` return is
//! read from the low 32 bits.

use std::ffi::c_void;

use crate::class::Class;
use crate::value::Value;

/// How many general and vector registers carry arguments.
#[cfg(target_arch = "x86_64")]
const INT_REGS: usize = 6;
#[cfg(target_arch = "aarch64")]
const INT_REGS: usize = 8;
#[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
const INT_REGS: usize = 0;
const SSE_REGS: usize = 8;

/// Where one argument goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Reg {
    /// The n-th integer register.
    Int(u8),
    /// The n-th vector register.
    Sse(u8),
}

/// The register of each parameter, when all of them have one and the return is a register
/// return; `None` otherwise (the call then stays on libffi).
pub(crate) fn plan(params: &[Class], ret: Class, fast: bool) -> Option<Box<[Reg]>> {
    // The return is read as libffi leaves it, in the buffer's first bytes: little-endian.
    if !fast || INT_REGS == 0 || cfg!(target_endian = "big") {
        return None;
    }
    if matches!(ret, Class::Record(_)) {
        return None;
    }
    let (mut ints, mut sses) = (0u8, 0u8);
    params
        .iter()
        .map(|c| match c {
            Class::F32 | Class::F64 => {
                sses += 1;
                (usize::from(sses) <= SSE_REGS).then_some(Reg::Sse(sses - 1))
            }
            Class::Record(_) | Class::Void => None,
            _ => {
                ints += 1;
                (usize::from(ints) <= INT_REGS).then_some(Reg::Int(ints - 1))
            }
        })
        .collect()
}

/// A value's register contents, when it is exactly its parameter's type.
#[inline(always)]
fn bits(v: &Value<'_>, class: Class) -> Option<u64> {
    Some(match (v, class) {
        (Value::Bool(b), Class::Bool) => u64::from(*b),
        (Value::I8(x), Class::I8) => i64::from(*x) as u64,
        (Value::U8(x), Class::U8) => u64::from(*x),
        (Value::I16(x), Class::I16) => i64::from(*x) as u64,
        (Value::U16(x), Class::U16) => u64::from(*x),
        (Value::I32(x), Class::I32) => i64::from(*x) as u64,
        (Value::U32(x), Class::U32) => u64::from(*x),
        (Value::I64(x), Class::I64) => *x as u64,
        (Value::U64(x), Class::U64) => *x,
        (Value::F32(x), Class::F32) => u64::from(x.to_bits()),
        (Value::F64(x), Class::F64) => x.to_bits(),
        // A C string only where the parameter is `const char *`, as the exact path takes it.
        (Value::CStr(s), c) if crate::direct::takes_cstr(c) => s.as_ptr() as usize as u64,
        _ => return None,
    })
}

/// The thunk types: every argument register, and the return in the first integer register
/// (`u64`) or the first vector register (`f64`).
#[cfg(target_arch = "x86_64")]
type Thunk<R> =
    unsafe extern "C" fn(u64, u64, u64, u64, u64, u64, f64, f64, f64, f64, f64, f64, f64, f64) -> R;
#[cfg(target_arch = "aarch64")]
type Thunk<R> = unsafe extern "C" fn(
    u64,
    u64,
    u64,
    u64,
    u64,
    u64,
    u64,
    u64,
    f64,
    f64,
    f64,
    f64,
    f64,
    f64,
    f64,
    f64,
) -> R;

/// Calls `code` as a `Thunk<R>` with the registers `int` and `sse`.
///
/// # Safety
/// `code` takes register arguments only, which these registers hold in the ABI's order, and
/// returns an `R` in its first integer (`u64`) or vector (`f64`) register.
#[cfg(any(target_arch = "x86_64", target_arch = "aarch64"))]
#[inline(always)]
unsafe fn through<R>(code: *const c_void, int: &[u64; INT_REGS], sse: &[f64; SSE_REGS]) -> R {
    // SAFETY: the caller's contract; a thunk type is a plain function pointer.
    let f: Thunk<R> = unsafe { std::mem::transmute_copy(&code) };
    let [s0, s1, s2, s3, s4, s5, s6, s7] = *sse;
    #[cfg(target_arch = "x86_64")]
    let r = {
        let [i0, i1, i2, i3, i4, i5] = *int;
        // SAFETY: as above.
        unsafe { f(i0, i1, i2, i3, i4, i5, s0, s1, s2, s3, s4, s5, s6, s7) }
    };
    #[cfg(target_arch = "aarch64")]
    let r = {
        let [i0, i1, i2, i3, i4, i5, i6, i7] = *int;
        // SAFETY: as above.
        unsafe {
            f(
                i0, i1, i2, i3, i4, i5, i6, i7, s0, s1, s2, s3, s4, s5, s6, s7,
            )
        }
    };
    r
}

/// Calls `code` with `values` through its register plan, or `None` when a value is not
/// exactly its parameter's type (the caller then takes the general path).
///
/// # Safety
/// `regs` is the plan of `code`'s signature, whose parameters are `classes` and return `ret`
/// (vouched for at preparation), and `values` has one value per parameter.
#[inline]
pub(crate) unsafe fn call(
    code: *const c_void,
    regs: &[Reg],
    classes: &[Class],
    ret: Class,
    values: &[Value<'_>],
) -> Option<Value<'static>> {
    #[cfg(any(target_arch = "x86_64", target_arch = "aarch64"))]
    {
        let mut int = [0u64; INT_REGS];
        let mut sse = [0f64; SSE_REGS];
        for ((v, &class), &reg) in values.iter().zip(classes).zip(regs) {
            let b = bits(v, class)?;
            match reg {
                Reg::Int(i) => int[usize::from(i)] = b,
                // A `float` in the low 32 bits of its register (`b` holds only those).
                Reg::Sse(i) => sse[usize::from(i)] = f64::from_bits(b),
            }
        }
        let raw = if matches!(ret, Class::F32 | Class::F64) {
            // SAFETY: the module's argument: `code` takes register arguments only, which
            // these registers hold in the ABI's order; it returns a float in the first vector
            // register.
            unsafe { through::<f64>(code, &int, &sse) }.to_bits()
        } else {
            // SAFETY: as above; it returns an integer, a pointer or nothing in the first
            // integer register.
            unsafe { through::<u64>(code, &int, &sse) }
        };
        Some(value(ret, raw))
    }
    #[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
    {
        let _ = (code, regs, classes, ret, values);
        None
    }
}

/// A return register's contents as the return class's value, read as a libffi return is:
/// truncated to its C width, then extended.
#[inline(always)]
fn value(ret: Class, r: u64) -> Value<'static> {
    crate::ret::read_value(ret, &crate::call::RetBuf::from_register(r))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registers_are_assigned_per_class_in_order_up_to_the_abi_s_count() {
        let p = plan(
            &[Class::I32, Class::F64, Class::I64, Class::F32],
            Class::F64,
            true,
        );
        let want = [Reg::Int(0), Reg::Sse(0), Reg::Int(1), Reg::Sse(1)];
        if INT_REGS > 0 {
            assert_eq!(p.as_deref(), Some(&want[..]));
            // One integer too many goes to the stack: no register plan.
            assert!(plan(&[Class::I64; INT_REGS + 1], Class::Void, true).is_none());
            assert!(plan(&[Class::F64; SSE_REGS + 1], Class::Void, true).is_none());
            assert!(plan(&[Class::I64; INT_REGS], Class::Void, true).is_some());
            assert!(plan(&[Class::Record(0)], Class::Void, true).is_none());
            assert!(plan(&[Class::I32], Class::Record(0), true).is_none());
            assert!(plan(&[Class::I32], Class::I32, false).is_none());
        }
    }

    #[test]
    fn returns_are_truncated_then_extended() {
        let garbage = 0x5a5a_5a5a_5a5a_5a00;
        assert_eq!(value(Class::I8, garbage | 0x80), Value::I8(-128));
        assert_eq!(value(Class::U16, garbage | 0xfe), Value::U16(0x5afe));
        assert_eq!(value(Class::Bool, garbage | 1), Value::Bool(true));
        assert_eq!(value(Class::Bool, garbage), Value::Bool(false));
        assert_eq!(
            value(
                Class::F32,
                0xdead_beef_0000_0000 | u64::from(1.5f32.to_bits())
            ),
            Value::F32(1.5)
        );
        // Only exact values take the tier.
        assert_eq!(bits(&Value::I64(1), Class::I32), None);
        assert_eq!(bits(&Value::I8(-1), Class::I8), Some(u64::MAX));
        assert_eq!(bits(&Value::U8(255), Class::U8), Some(255));
    }
}
