//! The direct tier: a typed call whose Rust argument and return types are exactly the
//! signature's C representations goes through a plain `extern "C" fn(A, B, ...) -> R` pointer,
//! as a hand-written `extern` block would call it: no slots, no frame, no libffi.
//!
//! Soundness. The tier is taken only when the handle's signature (vouched for when it was
//! prepared: a header, or `unsafe` registration) and the Rust types agree exactly, parameter by
//! parameter, in the one encoding below: each parameter and the return as a [`Kind`] (an
//! integer of one width and sign, `float`, `double`, `_Bool`, a pointer, `void`). The plan
//! computes its code once at preparation (`Plan::direct`), and each tuple type its own at
//! compile time (`Args::DIRECT_CODE`), so a call compares two constants. Rust's `extern "C"`
//! calling convention then passes each argument as C passes a parameter of that type, which is
//! the same guarantee every Rust `extern` block relies on. Two details:
//!
//! - a string argument (`&CStr`) is a pointer only where the parameter is `const char *` (a
//!   `const` one-byte pointee), the only pointer the safe exact path stores: the mask
//!   `Args::CSTR_MASK` must be within the plan's `cstr_params`. `&CStr` is never null, so a
//!   `nonnull` parameter is satisfied; functions with string-length or raw-only contracts have
//!   no fast plan (`Plan::fast`), so never a direct code. No other pointer (raw pointers,
//!   out-parameters) takes this tier: their null and target checks stay on the other paths;
//! - a return narrower than 32 bits is read as the whole return register (`Wide`) and
//!   truncated, then extended, by Rust (`FromRet::from_wide`): a C callee may leave garbage
//!   above a `char` or `short` it returns. The tier exists only on x86-64 and aarch64, whose C
//!   ABIs return every integer class in the first integer register.

use std::ffi::c_void;

use crate::arg::Args;
use crate::class::{Class, Target};
use crate::ret::FromRet;

/// How a parameter or return is passed, for the direct tier (4 bits; 0: not direct).
pub(crate) type Kind = u8;

pub(crate) const NONE: Kind = 0;
pub(crate) const I8: Kind = 1;
pub(crate) const U8: Kind = 2;
pub(crate) const I16: Kind = 3;
pub(crate) const U16: Kind = 4;
pub(crate) const I32: Kind = 5;
pub(crate) const U32: Kind = 6;
pub(crate) const I64: Kind = 7;
pub(crate) const U64: Kind = 8;
pub(crate) const F32: Kind = 9;
pub(crate) const F64: Kind = 10;
pub(crate) const BOOL: Kind = 11;
pub(crate) const PTR: Kind = 12;
/// An argument only: a `&CStr`, a pointer where the parameter is `const char *`.
pub(crate) const CSTR: Kind = 13;
pub(crate) const VOID: Kind = 14;

/// The most parameters a code holds (4 bits each, after the count and before the return).
pub(crate) const MAX_PARAMS: usize = 14;

/// Whether the tier exists on this target.
pub(crate) const ENABLED: bool = cfg!(any(target_arch = "x86_64", target_arch = "aarch64"));

/// The kind of a class, as a parameter or return of a plan.
pub(crate) const fn kind(class: Class) -> Kind {
    match class {
        Class::Void => VOID,
        Class::Bool => BOOL,
        Class::I8 => I8,
        Class::U8 => U8,
        Class::I16 => I16,
        Class::U16 => U16,
        Class::I32 => I32,
        Class::U32 => U32,
        Class::I64 => I64,
        Class::U64 => U64,
        Class::F32 => F32,
        Class::F64 => F64,
        Class::Ptr { .. } => PTR,
        Class::Record(_) | Class::LongDouble | Class::I128 | Class::U128 => NONE,
    }
}

/// Whether a pointer class takes a `&CStr`: a `const` one-byte pointee.
pub(crate) const fn takes_cstr(class: Class) -> bool {
    matches!(
        class,
        Class::Ptr {
            target: Target::Byte,
            is_const: true,
            ..
        }
    )
}

/// The code of the parameter kinds `params` (0 when one is not direct, or too many): the
/// count plus one in the low 4 bits, then 4 bits per parameter (`CSTR` counts as `PTR`).
pub(crate) const fn pack(params: &[Kind]) -> u64 {
    if !ENABLED || params.len() > MAX_PARAMS {
        return 0;
    }
    let mut code = params.len() as u64 + 1;
    let mut i = 0;
    while i < params.len() {
        let k = match params[i] {
            CSTR => PTR,
            VOID => NONE,
            k => k,
        };
        if k == NONE {
            return 0;
        }
        code |= (k as u64) << (4 + 4 * i);
        i += 1;
    }
    code
}

/// The parameters among `params` that are `&CStr`s, as a bit mask.
pub(crate) const fn cstr_mask(params: &[Kind]) -> u64 {
    let mut mask = 0;
    let mut i = 0;
    while i < params.len() && i < 64 {
        if params[i] == CSTR {
            mask |= 1 << i;
        }
        i += 1;
    }
    mask
}

/// A parameter code with its return: the full code a plan and a call compare.
pub(crate) const fn with_ret(params: u64, ret: Kind) -> u64 {
    if params == 0 || ret == NONE || ret == CSTR {
        0
    } else {
        params | ((ret as u64) << 60)
    }
}

/// What a plan offers the tier: its code (0: never direct) and which parameters take a
/// `&CStr`.
pub(crate) fn plan_code(params: &[Class], ret: Class, fast: bool) -> (u64, u64) {
    if !fast {
        return (0, 0);
    }
    let kinds: Vec<Kind> = params.iter().map(|c| kind(*c)).collect();
    let mut cstr = 0;
    for (i, c) in params.iter().enumerate().take(64) {
        if takes_cstr(*c) {
            cstr |= 1 << i;
        }
    }
    (with_ret(pack(&kinds), kind(ret)), cstr)
}

/// What the direct tier needs of a prepared function: its plan's code (`plan_code`), the
/// parameters that take a `&CStr`, and its address. A by-name cache entry keeps a copy, so that
/// a hit reads nothing but the entry.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Direct {
    pub code: u64,
    pub cstr_params: u64,
    pub addr: Code,
    /// The switch word the function was approved under (`crate::tiers`): the tier is taken
    /// only while the word is exactly this (no flag set, no policy change since).
    pub approved: u64,
}

impl Direct {
    /// Whether a call with `A` and `R` takes the tier: two constants compared (the tuple's
    /// code is computed at compile time, the plan's at preparation), and the switch word
    /// still the one the function was approved under.
    #[inline(always)]
    pub(crate) fn takes<A: Args + ?Sized, R: FromRet>(&self) -> bool {
        self.fits::<A, R>() && crate::tiers::word() == self.approved
    }

    /// Whether `A` and `R` are exactly the signature's kinds, whatever the switches say (the
    /// general path's test, once it has dealt with them).
    #[inline(always)]
    pub(crate) fn fits<A: Args + ?Sized, R: FromRet>(&self) -> bool {
        self.code == with_ret(A::DIRECT_CODE, R::DIRECT) && accepts::<A, R>(self.cstr_params)
    }

    /// [`Direct::takes`] for the type of `args` (an `impl Args` has no name to write).
    #[inline(always)]
    pub(crate) fn takes_for<A: Args + ?Sized, R: FromRet>(&self, _args: &A) -> bool {
        self.takes::<A, R>()
    }

    /// Calls the function with `args`.
    ///
    /// # Safety
    /// `self.takes::<A, R>()`: the function's signature (vouched for when it was prepared) has
    /// exactly these argument and return kinds, and every `&CStr` goes to a `const char *`; the
    /// function's library is alive.
    #[inline(always)]
    pub(crate) unsafe fn call<A: Args + ?Sized, R: FromRet>(&self, args: &A) -> R {
        // SAFETY: the caller's contract is `call_direct`'s.
        unsafe { args.call_direct::<R>(self.addr) }
    }
}

/// Whether a call with `A` and `R` takes the tier of a plan whose code is `code` and whose
/// `&CStr` parameters are `cstr_params`, approved under the switch word `approved` (for a
/// caller that has the plan at hand).
#[inline(always)]
pub(crate) fn takes<A: Args + ?Sized, R: FromRet>(
    code: u64,
    cstr_params: u64,
    approved: u64,
    _args: &A,
) -> bool {
    code == with_ret(A::DIRECT_CODE, R::DIRECT)
        && accepts::<A, R>(cstr_params)
        && crate::tiers::word() == approved
}

/// The rest of the test once the codes are equal: a nonzero code (both 0 is no tier) and every
/// `&CStr` to a `const char *`.
#[inline(always)]
pub(crate) fn accepts<A: Args + ?Sized, R: FromRet>(cstr_params: u64) -> bool {
    with_ret(A::DIRECT_CODE, R::DIRECT) != 0 && A::CSTR_MASK & !cstr_params == 0
}

/// The value a type passes as when it is not direct (never called: its code is 0).
#[doc(hidden)]
#[derive(Clone, Copy, Debug)]
#[repr(C)]
pub struct NotDirect(u8);

impl NotDirect {
    /// A placeholder.
    pub const VALUE: NotDirect = NotDirect(0);
}

/// A function address, for the tier's casts.
pub(crate) type Code = *const c_void;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::class::Null;

    #[test]
    fn a_plan_and_a_tuple_of_the_same_types_have_one_code() {
        let string = Class::Ptr {
            target: Target::Byte,
            is_const: true,
            null: Null::Refused,
        };
        let (code, cstr) = plan_code(&[Class::I32, string, Class::F64], Class::U64, true);
        let tuple = with_ret(pack(&[I32, CSTR, F64]), U64);
        assert_eq!(code, tuple);
        assert_eq!(cstr_mask(&[I32, CSTR, F64]) & !cstr, 0);
        // Any difference in kind, count or return is another code.
        assert_ne!(code, with_ret(pack(&[U32, CSTR, F64]), U64));
        assert_ne!(code, with_ret(pack(&[I32, CSTR]), U64));
        assert_ne!(code, with_ret(pack(&[I32, CSTR, F64]), I64));
        // No arguments is a code too; a struct, a slow plan or too many are none.
        assert_ne!(with_ret(pack(&[]), VOID), 0);
        assert_eq!(plan_code(&[Class::Record(0)], Class::Void, true).0, 0);
        assert_eq!(plan_code(&[Class::I32], Class::Void, false).0, 0);
        assert_eq!(pack(&[I32; MAX_PARAMS + 1]), 0);
        // A `char *` (not const) does not take a `&CStr`.
        let mutable = Class::Ptr {
            target: Target::Byte,
            is_const: false,
            null: Null::Unknown,
        };
        let (_, cstr) = plan_code(&[mutable], Class::Void, true);
        assert_ne!(cstr_mask(&[CSTR]) & !cstr, 0);
    }
}
