//! One call: the plan prepared per function, the frame built per call, and the `ffi_call`.

use std::ffi::{CStr, c_void};
use std::mem::MaybeUninit;
use std::sync::Arc;

use ffi_auto_sig::Signature;

use crate::arg::{Arg, Ctx, Fault, SCRATCH, Slot, Spill};
use crate::cif::{self, CifKey, PreparedCif};
use crate::class::{Abi, Class, NotSupported, Null, Target};
use crate::format::{self, Conversion, Dialect, Family, FormatError};

/// How many arguments fit in a frame without allocating.
pub(crate) const INLINE: usize = 16;

/// What is prepared once per function: every parameter's class and the CIF.
#[derive(Debug)]
pub(crate) struct Plan {
    pub params: Box<[Class]>,
    /// Whether a parameter is a struct by value (its slot holds a pointer to the struct).
    pub record_params: bool,
    /// For a struct return larger than the inline return buffer, its size.
    pub big_ret: Option<usize>,
    /// Whether the exact fast path may take calls: not variadic, no struct argument, no large
    /// struct return.
    pub fast: bool,
    /// The direct tier's code of this signature (`direct::plan_code`; 0: never direct).
    pub direct: u64,
    /// The parameters that take a `&CStr` in the direct tier (`const char *`).
    pub cstr_params: u64,
    /// The register tier's plan (`crate::thunk`): each parameter's register, when all have one.
    pub regs: Option<crate::thunk::RegPlan>,
    pub ret: Class,
    pub variadic: bool,
    /// For a `printf`- or `scanf`-like function, where its format string is: what a call's
    /// variadic arguments are checked against.
    pub format: Option<FormatContract>,
    /// For an `open`-like function, its flags parameter (0-based).
    pub open_mode: Option<usize>,
    /// Why a safe call may not call it at all (`FnAttrs::raw_only`).
    pub raw_only: Option<Box<str>>,
    /// String parameters a length follows (`Signature::string_lengths`), checked in safe calls.
    pub string_lengths: Box<[(usize, usize)]>,
    pub cif: Arc<PreparedCif>,
}

/// A variadic function's contract: its format string says what follows the fixed arguments.
#[derive(Clone, Copy, Debug)]
pub(crate) struct FormatContract {
    pub family: Family,
    /// The format string's parameter (0-based).
    pub string: usize,
    /// How the function reads formats: the C library's own functions as it does
    /// (`Dialect::host`), any other (`curl_mprintf`, a vendor's logger) as C and POSIX say,
    /// since its extensions are unknown. Set by `Function::build`, which knows the address.
    pub dialect: Dialect,
}

impl FormatContract {
    /// The contract a signature's `format` attribute states, when ffi-auto can check it: a
    /// printf or scanf archetype whose string is a `char` pointer among the fixed parameters
    /// and whose checked arguments are the variadic ones.
    fn of(sig: &Signature, params: &[Class]) -> Option<FormatContract> {
        let attr = sig.attrs.format.as_ref().filter(|_| sig.variadic)?;
        let family = Family::of_archetype(&attr.archetype)?;
        let string = (attr.string_index as usize).checked_sub(1)?;
        let is_string = matches!(
            params.get(string)?,
            Class::Ptr {
                target: Target::Byte,
                ..
            }
        );
        (is_string && attr.first_to_check as usize == params.len() + 1).then_some(FormatContract {
            family,
            string,
            dialect: Dialect::POSIX,
        })
    }
}

/// Why the variadic arguments of a call were refused; kept by the frame (cold path) for the
/// error message.
#[derive(Debug)]
pub(crate) enum VariadicFault {
    /// A safe call passed variadic arguments to a function without a checkable contract.
    Unchecked,
    /// The format string cannot be read or checked.
    Format(FormatError),
    /// The format consumes another number of arguments than were given.
    Count(Vec<Conversion>),
    /// A safe call's format writes through a pointer argument (`%n`, scanf conversions).
    Writes(Conversion, Family),
    /// `open`'s mode missing (with `O_CREAT`), or more than one argument after the flags.
    OpenMode { needs_mode: bool, given: usize },
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
            .map(|p| Class::of(&p.ty, Null::of(p)))
            .collect::<Result<Box<[Class]>, _>>()
            .map_err(PlanError::Unsupported)?;
        let ret = Class::of(&sig.ret, Null::Unknown).map_err(PlanError::Unsupported)?;
        let key = CifKey {
            ret: ret.abi(),
            args: params.iter().map(|c| c.abi()).collect(),
            fixed: sig.variadic.then_some(params.len()),
        };
        let cif = cif::get(key).map_err(PlanError::Prepare)?;
        let record_params = params.iter().any(|c| matches!(c, Class::Record(_)));
        let big_ret = match ret {
            Class::Record(id) => {
                let size = crate::layout::record(id).size as usize;
                (size > RET_INLINE).then_some(size)
            }
            _ => None,
        };
        let string_lengths: Box<[(usize, usize)]> = sig.string_lengths().into();
        // Functions a safe call may not make, and strings a length follows, are checked on
        // the general path only.
        let fast = !sig.variadic
            && big_ret.is_none()
            && !record_params
            && sig.attrs.raw_only.is_none()
            && string_lengths.is_empty();
        let (direct, cstr_params) = crate::direct::plan_code(&params, ret, fast);
        let regs = crate::thunk::RegPlan::new(&params, ret, fast);
        Ok(Plan {
            regs,
            direct,
            cstr_params,
            raw_only: sig.attrs.raw_only.as_deref().map(Box::from),
            format: FormatContract::of(sig, &params),
            open_mode: sig
                .attrs
                .open_mode
                .and_then(|i| (i as usize).checked_sub(1))
                .filter(|&i| {
                    sig.variadic && i + 1 == params.len() && params[i].int_parts().is_some()
                }),
            fast,
            string_lengths,
            params,
            record_params,
            big_ret,
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

/// Uninitialized storage for one call's arguments and string copies, on the caller's stack.
pub(crate) type InlineSlots = MaybeUninit<[Slot; INLINE]>;
pub(crate) type Scratch = MaybeUninit<[u8; SCRATCH]>;

/// The arguments of one call, converted and stored into storage borrowed from the caller's
/// stack for the duration of the call.
#[doc(hidden)]
pub struct Frame<'p, 'f> {
    plan: &'p Plan,
    /// How many arguments the call has.
    n: usize,
    /// Up to `INLINE` arguments live here, uninitialized until stored.
    slots: &'f mut InlineSlots,
    /// What only unusual calls need: more than `INLINE` arguments, or variadic ones.
    rare: &'f mut Option<Box<Rare>>,
    ctx: Ctx<'f>,
}

/// Storage for one call, in separate locals of the caller (one struct would invite the
/// compiler to zero the uninitialized buffers along with its other fields): the frame only
/// borrows it, so the frame has no drop glue and a plain call frees nothing.
macro_rules! frame_storage {
    ($slots:ident, $scratch:ident, $rare:ident, $spill:ident) => {
        let mut $slots: $crate::call::InlineSlots = ::std::mem::MaybeUninit::uninit();
        let mut $scratch: $crate::call::Scratch = ::std::mem::MaybeUninit::uninit();
        let mut $rare: Option<Box<$crate::call::Rare>> = None;
        let mut $spill: $crate::arg::Spill = None;
    };
}
pub(crate) use frame_storage;

/// What a frame borrows from its caller's locals.
pub(crate) struct Storage<'f> {
    pub slots: &'f mut InlineSlots,
    pub scratch: &'f mut Scratch,
    pub rare: &'f mut Option<Box<Rare>>,
    pub spill: &'f mut Spill,
}

#[derive(Default)]
pub(crate) struct Rare {
    /// All the slots, when there are more than `INLINE`.
    heap: Vec<Slot>,
    /// Classes of the variadic arguments, in order.
    extra: Vec<Class>,
    /// What the format string says each variadic argument is, when the function has one.
    conversions: Vec<Conversion>,
    /// The classes of those arguments.
    expect: Vec<Class>,
    /// Why the variadic arguments were refused.
    fault: Option<VariadicFault>,
}

impl<'p, 'f> Frame<'p, 'f> {
    #[inline]
    pub(crate) fn new(plan: &'p Plan, n: usize, safe: bool, storage: Storage<'f>) -> Frame<'p, 'f> {
        if n > INLINE || n > plan.params.len() {
            *storage.rare = Some(Box::new(Rare {
                heap: if n > INLINE {
                    vec![Slot::UNINIT; n]
                } else {
                    Vec::new()
                },
                extra: Vec::with_capacity(n - plan.params.len().min(n)),
                ..Rare::default()
            }));
        }
        Frame {
            plan,
            n,
            slots: storage.slots,
            rare: storage.rare,
            ctx: Ctx::new(storage.scratch, storage.spill, safe),
        }
    }

    /// Converts and stores argument `i`. Arguments are pushed in order, `0..n`.
    #[inline(always)]
    pub(crate) fn push<T: Arg + ?Sized>(&mut self, i: usize, v: &T) -> Result<(), (usize, Fault)> {
        let nfixed = self.plan.params.len();
        if i == nfixed && self.plan.variadic {
            self.check_variadic()?;
        }
        let r = match (&mut *self.rare, self.plan.params.get(i)) {
            (None, Some(&class)) => {
                assert!(
                    i < INLINE,
                    "a frame without heap slots holds at most {INLINE} arguments"
                );
                // SAFETY: `i < INLINE`; a `Slot` is `MaybeUninit` bytes, valid uninitialized.
                let slot = unsafe { &mut *self.slots.as_mut_ptr().cast::<Slot>().add(i) };
                if v.store_exact(class, slot) {
                    return Ok(());
                }
                v.store(class, slot, &mut self.ctx)
            }
            (rare, fixed) => {
                let rare = rare.get_or_insert_with(Box::default);
                let class = if let Some(&c) = fixed {
                    c
                } else {
                    // A format-checked call passes each argument as its conversion says; an
                    // unchecked (raw) one as its Rust type promotes.
                    let c = match rare.expect.get(i - nfixed) {
                        Some(&c) => c,
                        None => v.variadic_class(),
                    };
                    // A class the target cannot pass (`Class::of` refuses it in a
                    // declaration): refused here too.
                    if let Some(hint) = unpassable(c) {
                        return Err((i, Fault::Type { hint }));
                    }
                    rare.extra.push(c);
                    c
                };
                let slot = if rare.heap.is_empty() {
                    assert!(
                        i < INLINE,
                        "a frame without heap slots holds at most {INLINE} arguments"
                    );
                    // SAFETY: as above.
                    unsafe { &mut *self.slots.as_mut_ptr().cast::<Slot>().add(i) }
                } else {
                    &mut rare.heap[i]
                };
                v.store(class, slot, &mut self.ctx)
            }
        };
        match r {
            Ok(()) => Ok(()),
            Err(f) => Err((i, f)),
        }
    }

    /// Checks the variadic part of the call before its first variadic argument is stored (or,
    /// with none, once every fixed one is): a function with a format contract gets its format
    /// string read, and the arguments it consumes must be exactly those given; a safe call
    /// passes no variadic argument to a function without one.
    #[cold]
    fn check_variadic(&mut self) -> Result<(), (usize, Fault)> {
        let nfixed = self.plan.params.len();
        let given = self.n.saturating_sub(nfixed);
        let fail = |frame: &mut Self, fault: VariadicFault| {
            frame.rare.get_or_insert_with(Box::default).fault = Some(fault);
            Err((nfixed, Fault::Variadic))
        };
        let Some(contract) = self.plan.format else {
            if let Some(flags) = self.plan.open_mode {
                return match self.check_open_mode(flags, given) {
                    Ok(()) => Ok(()),
                    Err(f) => fail(self, f),
                };
            }
            // Nothing says what the function reads after its fixed arguments: not even none
            // is safe (`fcntl(fd, F_GETLK)` writes through a pointer it was not given).
            return if self.ctx.safe {
                fail(self, VariadicFault::Unchecked)
            } else {
                Ok(())
            };
        };
        let p = self.stored_ptr(contract.string);
        if p.is_null() {
            return Err((contract.string, Fault::Null));
        }
        // SAFETY: the format parameter is a `char` pointer (`FormatContract::of`) and was
        // stored before this point (parameters are pushed in order and it is a fixed one). In
        // a safe frame only a NUL-terminated string (a copy in this frame's scratch buffer, or
        // a borrowed `CStr`) or null is stored for such a parameter; in a raw frame the caller
        // vouched that the pointer is valid for the C function, which reads it as this very
        // NUL-terminated format string.
        let format = unsafe { CStr::from_ptr(p.cast()) }.to_bytes();
        let conversions = match format::parse_for(contract.dialect, contract.family, format) {
            Ok(c) => c,
            Err(e) => return fail(self, VariadicFault::Format(e)),
        };
        if conversions.len() != given {
            return fail(self, VariadicFault::Count(conversions));
        }
        if self.ctx.safe
            && let Some(c) = conversions.iter().find(|c| c.writes)
        {
            let c = c.clone();
            return fail(self, VariadicFault::Writes(c, contract.family));
        }
        let mut expect = Vec::with_capacity(conversions.len());
        for c in &conversions {
            // Pointers C dereferences must not be null: `%s`, `%n`, every scanf target;
            // `%p` prints null.
            let deref = c.writes || c.ty.pointee().is_some_and(|(t, _)| !t.is_void());
            let null = if deref { Null::Refused } else { Null::Accepted };
            // Passed after the default argument promotions: `%hhd` reads an `int` and
            // narrows it itself.
            match Class::of(&c.ty, null) {
                Ok(class) => expect.push(class.promote()),
                Err(_) => {
                    return fail(
                        self,
                        VariadicFault::Format(FormatError::LongDouble {
                            spec: c.spec.clone(),
                        }),
                    );
                }
            }
        }
        if given > 0 {
            let rare = self.rare.get_or_insert_with(Box::default);
            rare.conversions = conversions;
            rare.expect = expect;
        }
        Ok(())
    }

    /// After every argument was stored: the variadic check for a call that passed none.
    #[inline]
    pub(crate) fn finish(&mut self) -> Result<(), (usize, Fault)> {
        if self.plan.variadic && self.n == self.plan.params.len() {
            self.check_variadic()
        } else {
            Ok(())
        }
    }

    /// `open`'s contract: with `O_CREAT` (or `O_TMPFILE`) in the flags, exactly one `mode_t`
    /// follows; without, at most one (which `open` ignores).
    fn check_open_mode(&mut self, flags_at: usize, given: usize) -> Result<(), VariadicFault> {
        let flags = self.stored_int(flags_at);
        let needs_mode = flags & i128::from(libc::O_CREAT) != 0 || {
            // glibc's `__OPEN_NEEDS_MODE`: `__O_TMPFILE` alone (O_TMPFILE is it with
            // O_DIRECTORY) makes open read a mode.
            #[cfg(any(target_os = "linux", target_os = "android"))]
            {
                let tmpfile = i128::from(libc::O_TMPFILE & !libc::O_DIRECTORY);
                flags & tmpfile == tmpfile
            }
            #[cfg(not(any(target_os = "linux", target_os = "android")))]
            {
                false
            }
        };
        if given > 1 || (needs_mode && given == 0) {
            return Err(VariadicFault::OpenMode { needs_mode, given });
        }
        if given == 1 {
            let mode = Class::int(size_of::<libc::mode_t>() as u8, false).promote();
            self.rare.get_or_insert_with(Box::default).expect = vec![mode];
        }
        Ok(())
    }

    /// The integer stored for argument `i` (an integer parameter already pushed), extended.
    fn stored_int(&mut self, i: usize) -> i128 {
        let slot = self.slot_ptr(i);
        // SAFETY: argument `i` was stored for its (integer) class, which writes a value of
        // that size at the start of its slot.
        unsafe {
            match self.plan.params.get(i) {
                Some(Class::I128) => return slot.cast::<i128>().read_unaligned(),
                Some(Class::U128) => {
                    let v = slot.cast::<u128>().read_unaligned();
                    return i128::try_from(v).unwrap_or(i128::MAX);
                }
                _ => {}
            }
            match self.plan.params.get(i).and_then(|c| c.int_parts()) {
                Some((1, true)) => i128::from(slot.cast::<i8>().read()),
                Some((1, false)) => i128::from(slot.cast::<u8>().read()),
                Some((2, true)) => i128::from(slot.cast::<i16>().read()),
                Some((2, false)) => i128::from(slot.cast::<u16>().read()),
                Some((4, true)) => i128::from(slot.cast::<i32>().read()),
                Some((4, false)) => i128::from(slot.cast::<u32>().read()),
                Some((_, true)) => i128::from(slot.cast::<i64>().read()),
                Some((_, false)) => i128::from(slot.cast::<u64>().read()),
                None => 0,
            }
        }
    }

    /// In a safe call, that no length a string is followed by lets C read past the string's
    /// NUL: the first `(string, length, its bytes)` that would, if any. A negative length
    /// passes (C APIs read it as "up to the NUL").
    #[cold]
    pub(crate) fn check_string_lengths(&mut self) -> Option<(usize, usize, i128, usize)> {
        if !self.ctx.safe {
            return None;
        }
        for &(s, l) in &*self.plan.string_lengths {
            let p = self.stored_ptr(s);
            if p.is_null() {
                continue;
            }
            // SAFETY: in a safe frame a `const` byte pointer holds a NUL-terminated string
            // (a copy in this frame, or a borrowed `CStr`), or null (skipped).
            let have = unsafe { CStr::from_ptr(p.cast()) }.count_bytes();
            let n = self.stored_int(l);
            if n > 0 && n > have as i128 + 1 {
                return Some((s, l, n, have));
            }
        }
        None
    }

    fn slot_ptr(&self, i: usize) -> *const Slot {
        match &*self.rare {
            Some(r) if !r.heap.is_empty() => &raw const r.heap[i],
            _ => {
                assert!(i < INLINE, "argument {i} is beyond the inline slots");
                // SAFETY: `i < INLINE`: inside the inline slots.
                unsafe { self.slots.as_ptr().cast::<Slot>().add(i) }
            }
        }
    }

    /// The pointer stored for argument `i` (a pointer parameter already pushed).
    fn stored_ptr(&mut self, i: usize) -> *const c_void {
        let slot = self.slot_ptr(i);
        // SAFETY: argument `i` was stored (by `push`, in order) for a pointer class, which
        // writes a pointer at the start of its slot.
        unsafe { slot.cast::<*const c_void>().read() }
    }

    /// The format string argument and its text (shortened), for an error message.
    #[cold]
    pub(crate) fn format_text(&mut self) -> Option<(usize, String)> {
        let contract = self.plan.format?;
        let p = self.stored_ptr(contract.string);
        if p.is_null() {
            return None;
        }
        // SAFETY: as in `check_variadic`, which read this same pointer first.
        let bytes = unsafe { CStr::from_ptr(p.cast()) }.to_bytes();
        let text = String::from_utf8_lossy(&bytes[..bytes.len().min(80)]);
        let more = if bytes.len() > 80 { "..." } else { "" };
        Some((contract.string, format!("{text}{more}")))
    }

    /// How many arguments the call has.
    pub(crate) fn count(&self) -> usize {
        self.n
    }

    /// Why the variadic arguments were refused, after [`Fault::Variadic`].
    pub(crate) fn take_variadic_fault(&mut self) -> Option<VariadicFault> {
        self.rare.as_mut().and_then(|r| r.fault.take())
    }

    /// What the format says variadic argument `i` (0-based over all arguments) must be.
    pub(crate) fn conversion_of(&self, i: usize) -> Option<&Conversion> {
        let nfixed = self.plan.params.len();
        self.rare
            .as_ref()
            .and_then(|r| r.conversions.get(i.checked_sub(nfixed)?))
    }

    /// The class argument `i` was stored as.
    pub(crate) fn class_of(&self, i: usize) -> Option<Class> {
        let fixed = self.plan.params.len();
        self.plan.params.get(i).copied().or_else(|| {
            self.rare
                .as_ref()
                .and_then(|r| r.extra.get(i - fixed).copied())
        })
    }

    /// Calls `code` with the `n` stored arguments.
    ///
    /// # Safety
    /// `code` must be a function whose C signature is the plan's, and every argument `0..n`
    /// must have been stored by [`Frame::push`].
    #[inline]
    pub(crate) unsafe fn invoke(
        &mut self,
        code: unsafe extern "C" fn(),
        n: usize,
        errno: Option<&mut i32>,
        big: Option<&mut [u128]>,
    ) -> Result<RetBuf, String> {
        let mut ret = RetBuf::new();
        // A large struct return is written to the caller's buffer, whose address the return
        // buffer then holds (`RetBuf::bytes`).
        let rvalue: *mut c_void = match big {
            Some(b) => {
                let p = b.as_mut_ptr().cast::<c_void>();
                ret.put_ptr(p);
                p
            }
            None => ret.as_mut_ptr(),
        };
        let records = self.plan.record_params;
        let Some(rare) = &mut *self.rare else {
            let mut ptrs = [MaybeUninit::<*mut c_void>::uninit(); INLINE];
            let base = self.slots.as_mut_ptr().cast::<Slot>();
            for (i, p) in ptrs.iter_mut().enumerate().take(n) {
                // SAFETY: `n <= INLINE` without heap slots, so `base + i` is in bounds.
                let slot = unsafe { base.add(i) };
                p.write(if records {
                    // SAFETY: argument `i` was stored by `push`, so the slot is initialized.
                    unsafe { arg_ptr(self.plan.params.get(i).copied(), slot) }
                } else {
                    slot.cast()
                });
            }
            // SAFETY: see `call`; `ptrs[..n]` is initialized, and libffi reads only the
            // first `n` (the CIF's argument count).
            unsafe {
                call_errno(
                    self.plan.cif.raw(),
                    code,
                    rvalue,
                    ptrs.as_mut_ptr().cast(),
                    errno,
                );
            };
            return Ok(ret);
        };
        let variadic_cif;
        let cif = if rare.extra.is_empty() {
            self.plan.cif.raw()
        } else {
            variadic_cif = self.plan.variadic_cif(&rare.extra)?;
            variadic_cif.raw()
        };
        let mut ptrs: Vec<*mut c_void> = if rare.heap.is_empty() {
            let base = self.slots.as_mut_ptr().cast::<Slot>();
            // SAFETY: `n <= INLINE` without heap slots.
            (0..n).map(|i| unsafe { base.add(i) }.cast()).collect()
        } else {
            rare.heap.iter_mut().map(Slot::as_mut_ptr).collect()
        };
        if records {
            for (i, p) in ptrs.iter_mut().enumerate() {
                // SAFETY: every argument `0..n` was stored by `push`.
                *p = unsafe { arg_ptr(self.plan.params.get(i).copied(), p.cast()) };
            }
        }
        // SAFETY: see `call`.
        unsafe { call_errno(cif, code, rvalue, ptrs.as_mut_ptr(), errno) };
        Ok(ret)
    }
}

/// Where libffi reads argument `slot` from: the slot itself, or for a struct by value the
/// struct the slot points to.
///
/// # Safety
/// `slot` holds an argument stored for `class`.
#[inline]
unsafe fn arg_ptr(class: Option<Class>, slot: *mut Slot) -> *mut c_void {
    match class {
        // SAFETY: a struct argument's slot holds a pointer to the struct (`store_record`).
        Some(Class::Record(_)) => unsafe { slot.cast::<*mut c_void>().read() },
        _ => slot.cast(),
    }
}

/// Calls `code` with `n` arguments stored in `slots` by the fast path.
///
/// # Safety
/// `code` must be a function whose C signature is the plan's, the plan must not be variadic,
/// and `slots[..n]` must hold the `n == plan.params.len()` arguments, each in its parameter's
/// exact representation.
#[inline(always)]
pub(crate) unsafe fn invoke_exact(
    plan: &Plan,
    code: unsafe extern "C" fn(),
    slots: &mut InlineSlots,
    n: usize,
) -> RetBuf {
    let mut ret = RetBuf::new();
    let mut ptrs = [MaybeUninit::<*mut c_void>::uninit(); INLINE];
    let base = slots.as_mut_ptr().cast::<Slot>();
    for (i, p) in ptrs.iter_mut().enumerate().take(n) {
        // SAFETY: `n <= INLINE` (the fast path holds at most `INLINE` arguments).
        p.write(unsafe { base.add(i) }.cast());
    }
    let rvalue = ret.as_mut_ptr();
    // SAFETY: the caller upholds `call`'s contract; no argument is a string copy, and the
    // plan has no large struct return (`Plan::fast`), so the inline buffer holds the return.
    unsafe { call(plan.cif.raw(), code, rvalue, ptrs.as_mut_ptr().cast()) };
    ret
}

/// # Safety
/// The CIF describes the plan's classes (and, for a variadic call, the classes of the extra
/// arguments just stored), which the caller of [`Frame::invoke`] guarantees match the
/// function's C signature; every pointer in `args` points at a slot holding a value of its
/// class, and string pointers in those slots point into the frame's context, which outlives
/// the call; `ret` is 16-byte aligned and large enough for any scalar return, including
/// libffi's widening of small integers to `ffi_arg`.
#[inline(always)]
unsafe fn call(
    cif: *mut libffi::low::ffi_cif,
    code: unsafe extern "C" fn(),
    ret: *mut c_void,
    args: *mut *mut c_void,
) {
    // SAFETY: the caller upholds the contract above.
    unsafe { libffi::raw::ffi_call(cif, Some(code), ret, args) }
}

/// Bytes of return value held inline; larger struct returns get a heap buffer.
pub(crate) const RET_INLINE: usize = 16;

/// [`call`], clearing `errno` right before and reading it right after when asked.
///
/// # Safety
/// As [`call`].
#[inline(always)]
unsafe fn call_errno(
    cif: *mut libffi::low::ffi_cif,
    code: unsafe extern "C" fn(),
    ret: *mut c_void,
    args: *mut *mut c_void,
    errno: Option<&mut i32>,
) {
    match errno {
        None => {
            // SAFETY: the caller upholds `call`'s contract.
            unsafe { call(cif, code, ret, args) };
        }
        Some(e) => {
            crate::errno::set_errno(0);
            // SAFETY: as above.
            unsafe { call(cif, code, ret, args) };
            *e = crate::errno::errno();
        }
    }
}

/// Where `ffi_call` writes a return value.
#[doc(hidden)]
#[repr(C, align(16))]
pub struct RetBuf(MaybeUninit<[u8; RET_INLINE]>);

/// Integer types whose C representation is one class exactly.
pub(crate) trait ExactRet: Copy {
    const CLASS: Class;
    fn from_low_bits(w: libffi::raw::ffi_arg) -> Self;
}

macro_rules! exact_ret {
    ($($t:ty: $signed:expr),*) => {$(
        impl ExactRet for $t {
            const CLASS: Class = Class::int(size_of::<$t>() as u8, $signed);
            #[inline(always)]
            #[allow(clippy::cast_lossless, clippy::unnecessary_cast)]
            fn from_low_bits(w: libffi::raw::ffi_arg) -> Self {
                w as $t
            }
        }
    )*};
}

exact_ret!(i8: true, i16: true, i32: true, i64: true, isize: true, u8: false, u16: false, u32: false, u64: false, usize: false);

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

    /// A return register's contents, as libffi would have stored them: the register's bytes
    /// at the start of the buffer (little-endian: a narrow value, or a `float`, is in the
    /// first bytes, as libffi leaves it).
    pub(crate) fn from_register(raw: u64) -> RetBuf {
        let mut b = RetBuf::new();
        // SAFETY: the buffer is 16 bytes; written unaligned, so that nothing depends on the
        // struct's alignment.
        unsafe { b.0.as_mut_ptr().cast::<u64>().write_unaligned(raw) };
        b
    }

    fn as_mut_ptr(&mut self) -> *mut c_void {
        self.0.as_mut_ptr().cast()
    }

    fn put_ptr(&mut self, p: *mut c_void) {
        // SAFETY: the buffer is 16 bytes (room for a pointer); written unaligned, so that
        // nothing depends on the struct's alignment.
        unsafe { self.0.as_mut_ptr().cast::<*mut c_void>().write_unaligned(p) }
    }

    /// The `size` bytes of a struct return. Up to `RET_INLINE` bytes they are the buffer's
    /// own; a larger struct was written to a buffer of its size (allocated by the checked
    /// call path, which alone takes plans with `big_ret`, and alive until it has read the
    /// return), whose address this buffer holds.
    ///
    /// # Safety
    /// The buffer holds the return of a call whose return type is a record of exactly `size`
    /// bytes, read before that call's frame is gone: beyond `RET_INLINE`, what the buffer
    /// holds is taken as the address of `size` live bytes.
    pub(crate) unsafe fn bytes(&self, size: usize) -> &[u8] {
        let p = if size <= RET_INLINE {
            self.0.as_ptr().cast::<u8>()
        } else {
            // SAFETY: a pointer is valid for any bits.
            unsafe { self.read::<*const u8>() }
        };
        // SAFETY: the inline bytes are initialized (zeroed, then written by `ffi_call`); a
        // larger return's buffer holds at least `size` bytes written by `ffi_call` and alive
        // (the caller's contract).
        unsafe { std::slice::from_raw_parts(p, size) }
    }

    /// The buffer's first bytes as a `T`.
    ///
    /// # Safety
    /// Every bit pattern of `T`'s size is a valid `T` (an integer, a float, a raw pointer):
    /// the bytes are whatever the C function returned.
    pub(crate) unsafe fn read<T: Copy>(&self) -> T {
        const { assert!(size_of::<T>() <= 16) };
        // SAFETY: the buffer is 16 bytes, aligned to 16, and initialized (zeroed, then written
        // by `ffi_call`); `T` is valid for any bits (the caller's contract).
        unsafe { self.0.as_ptr().cast::<T>().read() }
    }

    /// An integer return of `class` (`Bool` reads as `U8`). libffi widens integer returns
    /// narrower than `ffi_arg` to a full `ffi_arg`; whatever its upper bits hold, the value is
    /// truncated to its C width and then sign- or zero-extended.
    #[inline]
    pub(crate) fn int(&self, class: Class) -> Option<RawInt> {
        // `ffi_arg` is `unsigned long`: 32 or 64 bits depending on the target.
        #[allow(clippy::unnecessary_cast)]
        // SAFETY: an integer is valid for any bits.
        let w = unsafe { self.read::<libffi::raw::ffi_arg>() } as u64;
        Some(match class {
            Class::I8 => RawInt::S(i64::from(w as i8)),
            Class::U8 | Class::Bool => RawInt::U(u64::from(w as u8)),
            Class::I16 => RawInt::S(i64::from(w as i16)),
            Class::U16 => RawInt::U(u64::from(w as u16)),
            Class::I32 => RawInt::S(i64::from(w as i32)),
            Class::U32 => RawInt::U(u64::from(w as u32)),
            // SAFETY: integers are valid for any bits.
            Class::I64 => RawInt::S(unsafe { self.read::<i64>() }),
            // SAFETY: as above.
            Class::U64 => RawInt::U(unsafe { self.read::<u64>() }),
            _ => return None,
        })
    }

    /// The fast path: the return read as `T` when `class` is exactly `T`'s C representation.
    #[inline(always)]
    pub(crate) fn exact<T: ExactRet>(&self, class: Class) -> Option<T> {
        (class == T::CLASS).then(|| {
            if size_of::<T>() < size_of::<libffi::raw::ffi_arg>() {
                // Widened by libffi to `ffi_arg`: the value is in its low bits (on both
                // endiannesses, since it was widened as an integer).
                // SAFETY: an integer is valid for any bits.
                T::from_low_bits(unsafe { self.read::<libffi::raw::ffi_arg>() })
            } else {
                // SAFETY: `ExactRet` is implemented for integer types only, valid for any bits.
                unsafe { self.read::<T>() }
            }
        })
    }

    pub(crate) fn f32(&self) -> f32 {
        // SAFETY: a float is valid for any bits.
        unsafe { self.read() }
    }

    pub(crate) fn f64(&self) -> f64 {
        // SAFETY: as above.
        unsafe { self.read() }
    }

    pub(crate) fn ptr(&self) -> *mut c_void {
        // SAFETY: a raw pointer is valid for any bits.
        unsafe { self.read() }
    }
}

/// Why a variadic argument of `class` cannot be passed on this target, if it cannot.
fn unpassable(class: Class) -> Option<&'static str> {
    match class {
        Class::I128 | Class::U128 if !crate::int128::SUPPORTED => Some(crate::int128::REFUSED),
        Class::LongDouble if !crate::longdouble::SUPPORTED => {
            Some("this target's `long double` format is not one ffi-auto knows")
        }
        _ => None,
    }
}
