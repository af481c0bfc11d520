//! The register tier: calls with dynamic values (`Function::call_values`) through a thunk
//! compiled into the binary, for signatures whose arguments all travel in registers.
//!
//! At preparation, a plan maps each parameter to its register and load (`Op`): on x86-64 System V the
//! integer class (integers, `_Bool`, pointers) takes the next of 6 general registers and
//! `float`/`double` the next of 8 vector registers, in order and independently; on aarch64
//! AAPCS64, 8 and 8. A call then writes each value into its register slot and calls the
//! function through one of two fixed types, `fn(6 or 8 integers, 8 doubles) -> u64` or
//! `-> f64`: the C function reads the registers it declares and ignores the others, exactly as
//! when C calls it (a prototype fixes which registers, not how many the caller loads).
//!
//! Soundness. Calling a function through a pointer type with more parameters than it
//! declares is outside what Rust documents for function-pointer casts; it rests on the
//! platform C ABI, as libffi's own register-only paths do: on x86-64 System V and AAPCS64,
//! non-variadic arguments of these classes go in fixed registers, the caller owns and
//! cleans up the stack (no stack arguments are passed here), and a callee reads only the
//! registers its prototype names. The plan exists only where every parameter is a register argument of these
//! ABIs (no struct, `long double`, variadic tail, or stack argument: those stay on libffi), and
//! the signature was vouched for at preparation. Each value is taken only when it is exactly
//! its parameter's type (`Value::I32` for `int`, `Value::CStr` for `const char *`); anything
//! else, and any error, goes to the general path, which converts and reports as before. Integers
//! are sign- or zero-extended to 64 bits (callers extend narrow arguments; compilers rely on
//! it), a `float` sits in the low 32 bits of its register; returns are truncated to their C
//! width, then extended (callees leave garbage above narrow returns), and a `float` return is
//! read from the low 32 bits.

use std::ffi::c_void;
use std::mem::MaybeUninit;

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

/// How one argument is taken from its `Value` and where it goes: decided at preparation, so
/// a call dispatches once per argument, on this.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Op {
    pub load: Load,
    /// Its slot among the integer registers, or among the vector registers (`Load::F32`,
    /// `Load::F64`): below `SLOTS`.
    pub slot: u8,
}

/// The `Value` variant a parameter takes, and how it extends to 64 bits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Load {
    Bool,
    I8,
    U8,
    I16,
    U16,
    I32,
    U32,
    I64,
    U64,
    F32,
    F64,
    /// A `Value::CStr` for a `const char *`.
    CStr,
}

/// Register slots in each array: a power of two, so an index is masked rather than checked.
const SLOTS: usize = 8;
const _: () = assert!(INT_REGS <= SLOTS && SSE_REGS <= SLOTS);

/// The most parameters a register plan holds.
const MAX: usize = INT_REGS + SSE_REGS;

/// A signature's register plan, kept inline in its handle: a call reads it without following
/// another pointer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct RegPlan {
    ops: [Op; MAX],
    len: u8,
    ret: Class,
}

impl RegPlan {
    /// How many parameters it takes.
    pub(crate) fn len(&self) -> usize {
        usize::from(self.len)
    }

    /// Each parameter's load and register, when all of them travel in registers and the
    /// return is a register return; `None` otherwise (the call then stays on libffi).
    pub(crate) fn new(params: &[Class], ret: Class, fast: bool) -> Option<RegPlan> {
        let ops = plan(params, ret, fast)?;
        let mut plan = RegPlan {
            ops: [Op {
                load: Load::U64,
                slot: 0,
            }; MAX],
            len: u8::try_from(ops.len()).ok()?,
            ret,
        };
        plan.ops.get_mut(..ops.len())?.copy_from_slice(&ops);
        Some(plan)
    }
}

/// Each parameter's load and register, when all of them travel in registers and the return
/// is a register return; `None` otherwise.
fn plan(params: &[Class], ret: Class, fast: bool) -> Option<Box<[Op]>> {
    // The return is read as libffi leaves it, in the buffer's first bytes: little-endian.
    if !fast || INT_REGS == 0 || cfg!(target_endian = "big") {
        return None;
    }
    // A struct, `__int128` or `long double` return is not (only) in the first register.
    if matches!(
        ret,
        Class::Record(_) | Class::LongDouble | Class::I128 | Class::U128
    ) {
        return None;
    }
    let (mut ints, mut sses) = (0u8, 0u8);
    params
        .iter()
        .map(|&c| {
            let load = match c {
                Class::Bool => Load::Bool,
                Class::I8 => Load::I8,
                Class::U8 => Load::U8,
                Class::I16 => Load::I16,
                Class::U16 => Load::U16,
                Class::I32 => Load::I32,
                Class::U32 => Load::U32,
                Class::I64 => Load::I64,
                Class::U64 => Load::U64,
                Class::F32 => Load::F32,
                Class::F64 => Load::F64,
                // Only `const char *` takes a safe value exactly (a `&CStr`); other pointers
                // need the checked path's conversions.
                c if crate::direct::takes_cstr(c) => Load::CStr,
                Class::Ptr { .. }
                | Class::Record(_)
                | Class::Void
                | Class::LongDouble
                | Class::I128
                | Class::U128 => {
                    return None;
                }
            };
            let (count, max) = if matches!(load, Load::F32 | Load::F64) {
                (&mut sses, SSE_REGS)
            } else {
                (&mut ints, INT_REGS)
            };
            *count += 1;
            (usize::from(*count) <= max).then_some(Op {
                load,
                slot: *count - 1,
            })
        })
        .collect()
}

/// The register contents of `v` as `load` takes it, or `None` when `v` is another variant.
#[inline(always)]
fn bits(v: &Value<'_>, load: Load) -> Option<u64> {
    Some(match (load, v) {
        (Load::Bool, Value::Bool(b)) => u64::from(*b),
        (Load::I8, Value::I8(x)) => i64::from(*x) as u64,
        (Load::U8, Value::U8(x)) => u64::from(*x),
        (Load::I16, Value::I16(x)) => i64::from(*x) as u64,
        (Load::U16, Value::U16(x)) => u64::from(*x),
        (Load::I32, Value::I32(x)) => i64::from(*x) as u64,
        (Load::U32, Value::U32(x)) => u64::from(*x),
        (Load::I64, Value::I64(x)) => *x as u64,
        (Load::U64, Value::U64(x)) => *x,
        (Load::F32, Value::F32(x)) => u64::from(x.to_bits()),
        (Load::F64, Value::F64(x)) => x.to_bits(),
        (Load::CStr, Value::CStr(s)) => s.as_ptr() as usize as u64,
        _ => return None,
    })
}

/// One register array: slots a call does not fill stay uninitialized (their registers are
/// passed but never read: the callee reads only the registers its prototype names).
type Regs = [MaybeUninit<u64>; SLOTS];

/// The thunk types: every argument register, and the return in the first integer register
/// (`u64`) or the first vector register (`f64`). `MaybeUninit<T>` has `T`'s ABI (documented
/// by the standard library), so each slot travels as a `u64` does; a vector slot holds a
/// `double`'s bits or a `float`'s in its low 32.
#[cfg(target_arch = "x86_64")]
type Thunk<R> = unsafe extern "C" fn(
    MaybeUninit<u64>,
    MaybeUninit<u64>,
    MaybeUninit<u64>,
    MaybeUninit<u64>,
    MaybeUninit<u64>,
    MaybeUninit<u64>,
    MaybeUninit<f64>,
    MaybeUninit<f64>,
    MaybeUninit<f64>,
    MaybeUninit<f64>,
    MaybeUninit<f64>,
    MaybeUninit<f64>,
    MaybeUninit<f64>,
    MaybeUninit<f64>,
) -> R;
#[cfg(target_arch = "aarch64")]
type Thunk<R> = unsafe extern "C" fn(
    MaybeUninit<u64>,
    MaybeUninit<u64>,
    MaybeUninit<u64>,
    MaybeUninit<u64>,
    MaybeUninit<u64>,
    MaybeUninit<u64>,
    MaybeUninit<u64>,
    MaybeUninit<u64>,
    MaybeUninit<f64>,
    MaybeUninit<f64>,
    MaybeUninit<f64>,
    MaybeUninit<f64>,
    MaybeUninit<f64>,
    MaybeUninit<f64>,
    MaybeUninit<f64>,
    MaybeUninit<f64>,
) -> R;

/// Calls `code` as a `Thunk<R>` with the registers `int` and `sse`.
///
/// # Safety
/// `code` takes register arguments only, which these registers hold in the ABI's order (every
/// register it reads initialized), and returns an `R` in its first integer (`u64`) or vector
/// (`f64`) register.
#[cfg(any(target_arch = "x86_64", target_arch = "aarch64"))]
#[inline(always)]
unsafe fn through<R>(code: *const c_void, int: &Regs, sse: &Regs) -> R {
    // SAFETY: the caller's contract; a thunk type is a plain function pointer.
    let f: Thunk<R> = unsafe { std::mem::transmute_copy(&code) };
    // SAFETY: `MaybeUninit<u64>` and `MaybeUninit<f64>` have the same size and alignment, and
    // any bits are a valid `MaybeUninit`.
    let sse: &[MaybeUninit<f64>; SLOTS] = unsafe { &*std::ptr::from_ref(sse).cast() };
    let [s0, s1, s2, s3, s4, s5, s6, s7] = *sse;
    #[cfg(target_arch = "x86_64")]
    let r = {
        let [i0, i1, i2, i3, i4, i5, _, _] = *int;
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
/// `plan` is the plan of `code`'s signature (vouched for at preparation), and `values` has
/// one value per parameter.
#[inline]
pub(crate) unsafe fn call(
    code: *const c_void,
    plan: &RegPlan,
    values: &[Value<'_>],
) -> Option<Value<'static>> {
    // SAFETY: the caller's contract.
    let raw = unsafe { call_raw(code, plan, values) }?;
    Some(value(plan.ret, raw))
}

/// [`call`], returning the return register's raw contents (a float's bits).
///
/// # Safety
/// As [`call`].
#[inline(always)]
pub(crate) unsafe fn call_raw(
    code: *const c_void,
    plan: &RegPlan,
    values: &[Value<'_>],
) -> Option<u64> {
    #[cfg(any(target_arch = "x86_64", target_arch = "aarch64"))]
    {
        let mut int: Regs = [MaybeUninit::uninit(); SLOTS];
        let mut sse: Regs = [MaybeUninit::uninit(); SLOTS];
        for (v, &op) in values.iter().zip(&plan.ops) {
            let b = MaybeUninit::new(bits(v, op.load)?);
            let slot = usize::from(op.slot) % SLOTS;
            if matches!(op.load, Load::F32 | Load::F64) {
                sse[slot] = b;
            } else {
                int[slot] = b;
            }
        }
        Some(if matches!(plan.ret, Class::F32 | Class::F64) {
            // SAFETY: the module's argument: `code` takes register arguments only, which
            // these registers hold in the ABI's order (the plan gave each parameter its
            // slot, every one filled above); it returns a float in the first vector register.
            unsafe { through::<f64>(code, &int, &sse) }.to_bits()
        } else {
            // SAFETY: as above; it returns an integer, a pointer or nothing in the first
            // integer register.
            unsafe { through::<u64>(code, &int, &sse) }
        })
    }
    #[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
    {
        let _ = (code, plan, values);
        None
    }
}

impl RegPlan {
    /// The class of the plan's return.
    pub(crate) fn ret(&self) -> Class {
        self.ret
    }

    /// Whether `values` are exactly the parameters' types (the tier takes them).
    pub(crate) fn takes(&self, values: &[Value<'_>]) -> bool {
        values.len() == self.len()
            && values
                .iter()
                .zip(&self.ops)
                .all(|(v, op)| bits(v, op.load).is_some())
    }
}

/// A return register's contents as the return class's value, read as a libffi return is:
/// truncated to its C width, then extended (the variant reads only its width).
#[cfg(not(all(target_pointer_width = "64", target_endian = "little")))]
fn value(ret: Class, r: u64) -> Value<'static> {
    crate::ret::read_value(ret, &crate::call::RetBuf::from_register(r))
}

/// As above, written as whole words.
#[cfg(all(target_pointer_width = "64", target_endian = "little"))]
#[inline(always)]
fn value(ret: Class, r: u64) -> Value<'static> {
    use crate::value::tags;
    let (tag, payload) = match ret {
        // Never a register plan's return (`plan`).
        Class::Void | Class::Record(_) | Class::LongDouble | Class::I128 | Class::U128 => {
            (tags::VOID, 0)
        }
        Class::Bool => (tags::BOOL, u64::from(r as u8 != 0)),
        Class::I8 => (tags::I8, r),
        Class::U8 => (tags::U8, r),
        Class::I16 => (tags::I16, r),
        Class::U16 => (tags::U16, r),
        Class::I32 => (tags::I32, r),
        Class::U32 => (tags::U32, r),
        Class::I64 => (tags::I64, r),
        Class::U64 => (tags::U64, r),
        Class::F32 => (tags::F32, r),
        Class::F64 => (tags::F64, r),
        Class::Ptr { .. } if r == 0 => (tags::NULL, 0),
        Class::Ptr { .. } => (tags::PTR, r),
    };
    // SAFETY: each tag with a payload its field takes: a `bool` of 0 or 1, integers and
    // floats of any bits (their low bytes, little-endian, are the field), a pointer of any
    // address.
    unsafe { Value::from_words(tag, payload) }
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
        let op = |load, slot| Op { load, slot };
        let want = [
            op(Load::I32, 0),
            op(Load::F64, 0),
            op(Load::I64, 1),
            op(Load::F32, 1),
        ];
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
        assert_eq!(value(Class::I32, garbage | 0xffff_fffe), Value::I32(-2));
        assert_eq!(value(Class::U32, 0xdead_beef_0000_0007), Value::U32(7));
        assert_eq!(value(Class::I64, u64::MAX), Value::I64(-1));
        assert_eq!(value(Class::U64, u64::MAX), Value::U64(u64::MAX));
        assert_eq!(value(Class::F64, 2.5f64.to_bits()), Value::F64(2.5));
        assert_eq!(value(Class::Void, garbage), Value::Void);
        let ptr = Class::Ptr {
            target: crate::class::Target::Byte,
            is_const: false,
            null: crate::class::Null::Unknown,
        };
        assert_eq!(value(ptr, 0), Value::Null);
        assert_eq!(value(ptr, 0x1000), Value::Ptr(0x1000 as *mut c_void));
        // Only exact values take the tier.
        assert_eq!(bits(&Value::I64(1), Load::I32), None);
        assert_eq!(bits(&Value::I8(-1), Load::I8), Some(u64::MAX));
        assert_eq!(bits(&Value::U8(255), Load::U8), Some(255));
    }
}
