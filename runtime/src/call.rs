//! One call: the plan prepared per function, the frame built per call, and the `ffi_call`.

use std::ffi::c_void;
use std::mem::MaybeUninit;
use std::sync::Arc;

use ffi_auto_sig::Signature;

use crate::arg::{Arg, Ctx, Fault, Slot};
use crate::cif::{self, CifKey, PreparedCif};
use crate::class::{Abi, Class, NotSupported};

/// How many arguments fit in a frame without allocating.
const INLINE: usize = 16;

/// What is prepared once per function: every parameter's class and the CIF.
#[derive(Debug)]
pub(crate) struct Plan {
    pub params: Box<[Class]>,
    pub ret: Class,
    pub variadic: bool,
    pub cif: Arc<PreparedCif>,
}

pub(crate) enum PlanError {
    Unsupported(NotSupported),
    Prepare(String),
}

impl Plan {
    pub(crate) fn new(sig: &Signature) -> Result<Plan, PlanError> {
        let params = sig
            .params
            .iter()
            .map(|p| Class::of(&p.ty, p.nonnull))
            .collect::<Result<Box<[Class]>, _>>()
            .map_err(PlanError::Unsupported)?;
        let ret = Class::of(&sig.ret, false).map_err(PlanError::Unsupported)?;
        let key = CifKey {
            ret: ret.abi(),
            args: params.iter().map(|c| c.abi()).collect(),
            fixed: sig.variadic.then_some(params.len()),
        };
        let cif = cif::get(key).map_err(PlanError::Prepare)?;
        Ok(Plan {
            params,
            ret,
            variadic: sig.variadic,
            cif,
        })
    }

    /// The CIF for a variadic call with these extra arguments.
    fn variadic_cif(&self, extra: &[Class]) -> Result<Arc<PreparedCif>, String> {
        let args: Box<[Abi]> = self.params.iter().chain(extra).map(|c| c.abi()).collect();
        cif::get(CifKey {
            ret: self.ret.abi(),
            args,
            fixed: Some(self.params.len()),
        })
    }
}

// The inline variant is the point: up to 16 arguments without allocating.
#[allow(clippy::large_enum_variant)]
enum Slots {
    Inline([Slot; INLINE]),
    Heap(Vec<Slot>),
}

/// The arguments of one call, converted and stored; lives on the caller's stack for the call.
#[doc(hidden)]
pub struct Frame<'p> {
    plan: &'p Plan,
    slots: Slots,
    extra: Vec<Class>,
    ctx: Ctx,
}

impl<'p> Frame<'p> {
    pub(crate) fn new(plan: &'p Plan, n: usize, safe: bool) -> Frame<'p> {
        Frame {
            plan,
            slots: if n <= INLINE {
                Slots::Inline([Slot::UNINIT; INLINE])
            } else {
                Slots::Heap(vec![Slot::UNINIT; n])
            },
            extra: Vec::new(),
            ctx: Ctx::new(safe),
        }
    }

    /// Converts and stores argument `i`. Arguments are pushed in order.
    #[inline]
    pub(crate) fn push<T: Arg + ?Sized>(&mut self, i: usize, v: &T) -> Result<(), (usize, Fault)> {
        let slot = match &mut self.slots {
            Slots::Inline(s) => &mut s[i],
            Slots::Heap(s) => &mut s[i],
        };
        let r = if let Some(&class) = self.plan.params.get(i) {
            v.store(class, slot, &mut self.ctx)
        } else {
            let class = v.variadic_class();
            self.extra.push(class);
            v.store(class, slot, &mut self.ctx)
        };
        r.map_err(|f| (i, f))
    }

    /// The class argument `i` was stored as.
    pub(crate) fn class_of(&self, i: usize) -> Option<Class> {
        self.plan
            .params
            .get(i)
            .copied()
            .or_else(|| self.extra.get(i - self.plan.params.len()).copied())
    }

    /// Calls `code` with the `n` stored arguments.
    ///
    /// # Safety
    /// `code` must be a function whose C signature is the plan's, and every argument must have
    /// been stored (by [`Frame::push`], for indices `0..n`).
    pub(crate) unsafe fn invoke(
        &mut self,
        code: unsafe extern "C" fn(),
        n: usize,
    ) -> Result<RetBuf, String> {
        let variadic_cif;
        let cif = if self.extra.is_empty() {
            self.plan.cif.raw()
        } else {
            variadic_cif = self.plan.variadic_cif(&self.extra)?;
            variadic_cif.raw()
        };
        let mut inline = [std::ptr::null_mut::<c_void>(); INLINE];
        let mut heap = Vec::new();
        let ptrs: &mut [*mut c_void] = match &mut self.slots {
            Slots::Inline(s) => {
                for (p, slot) in inline.iter_mut().zip(s.iter_mut()).take(n) {
                    *p = slot.as_mut_ptr();
                }
                &mut inline
            }
            Slots::Heap(s) => {
                heap.extend(s.iter_mut().map(Slot::as_mut_ptr));
                &mut heap
            }
        };
        let mut ret = RetBuf::new();
        // SAFETY: the CIF describes the plan's classes (and, for a variadic call, the classes of
        // the extra arguments just stored), which the caller guarantees match the function's
        // C signature; every pointer in `ptrs[..n]` points at a slot holding a value of its
        // class, and string pointers in those slots point into `self.ctx`, which outlives the
        // call; `ret` is 16-byte aligned and large enough for any scalar return, including
        // libffi's widening of small integers to `ffi_arg`.
        unsafe {
            libffi::raw::ffi_call(cif, Some(code), ret.as_mut_ptr(), ptrs.as_mut_ptr());
        }
        Ok(ret)
    }
}

/// Where `ffi_call` writes a return value.
#[doc(hidden)]
#[repr(C, align(16))]
pub struct RetBuf(MaybeUninit<[u8; 16]>);

/// An integer return, extended from its C width.
#[derive(Clone, Copy, Debug)]
pub(crate) enum RawInt {
    S(i64),
    U(u64),
}

impl RetBuf {
    fn new() -> RetBuf {
        RetBuf(MaybeUninit::zeroed())
    }

    fn as_mut_ptr(&mut self) -> *mut c_void {
        self.0.as_mut_ptr().cast()
    }

    fn read<T: Copy>(&self) -> T {
        const { assert!(size_of::<T>() <= 16) };
        // SAFETY: the buffer is 16 bytes, aligned to 16, and initialized (zeroed, then written
        // by `ffi_call`); `T` is a plain number or pointer, valid for any bits.
        unsafe { self.0.as_ptr().cast::<T>().read() }
    }

    /// An integer of `size` bytes. libffi widens integer returns narrower than `ffi_arg` to a
    /// full `ffi_arg`; whatever the upper bits hold, the value is truncated to its width and
    /// then sign- or zero-extended.
    pub(crate) fn int(&self, size: u8, signed: bool) -> RawInt {
        let bits: u64 = if usize::from(size) < size_of::<libffi::raw::ffi_arg>() {
            // `ffi_arg` is `unsigned long`: 32 or 64 bits depending on the target.
            #[allow(clippy::unnecessary_cast)]
            let wide = self.read::<libffi::raw::ffi_arg>() as u64;
            wide
        } else {
            self.read::<u64>()
        };
        let shift = 64 - u32::from(size) * 8;
        if signed {
            RawInt::S(((bits << shift) as i64) >> shift)
        } else {
            RawInt::U((bits << shift) >> shift)
        }
    }

    pub(crate) fn f32(&self) -> f32 {
        self.read()
    }

    pub(crate) fn f64(&self) -> f64 {
        self.read()
    }

    pub(crate) fn ptr(&self) -> *mut c_void {
        self.read()
    }
}
