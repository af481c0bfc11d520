//! Rust closures as C function pointers, through libffi closures.

use std::any::Any;
use std::cell::UnsafeCell;
use std::ffi::c_void;
use std::fmt;
use std::marker::PhantomData;
use std::mem::MaybeUninit;
use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use ffi_auto_sig::{RustType, Signature};
use libffi::low::ffi_closure;

use crate::arg::{self, Arg, Ctx, Fault, SCRATCH, Slot, Spill};
use crate::cif::{self, CifKey, PreparedCif};
use crate::class::{Class, Null, Target};
use crate::error::{Error, Result};
use crate::value::Value;

/// What a callback runs: reads the arguments from libffi's array and writes the return.
type Invoke<'a> = Box<dyn FnMut(*mut c_void, *const *const c_void) + Send + 'a>;
/// A closure any number of threads may run at once (`Callback::shared`).
type SharedInvoke<'a> = Box<dyn Fn(*mut c_void, *const *const c_void) + Send + Sync + 'a>;

/// A Rust closure made callable from C: the guard that owns the closure and the executable
/// trampoline libffi wrote for it.
///
/// [`Callback::code`] is a real C function pointer (`F` is its type for closures whose
/// signature is known from their Rust types); it stays valid exactly as long as this guard, and
/// the guard borrows whatever the closure captured, so neither can be freed while the guard
/// lives. Give C the pointer only for as long as C may call it (`qsort`, `bsearch`, a thread
/// you join): a library that keeps it (`atexit`, `signal`, an event loop) needs the guard kept
/// alive as long, for example in a `static` or with [`Box::leak`].
///
/// ```
/// use std::ffi::{c_int, c_void};
/// use ffi_auto_runtime::Callback;
///
/// let mut calls = 0;
/// let cmp = Callback::new(|a: *const c_void, b: *const c_void| -> c_int {
///     calls += 1;
///     // SAFETY: qsort passes pointers to two elements of the `i32` array below.
///     let (a, b) = unsafe { (*a.cast::<i32>(), *b.cast::<i32>()) };
///     a.cmp(&b) as c_int
/// })
/// .unwrap();
/// let mut v = [3, 1, 2];
/// // SAFETY: `v` holds 3 elements of 4 bytes; the comparator matches qsort's declaration.
/// unsafe { libc::qsort(v.as_mut_ptr().cast(), 3, 4, Some(cmp.code())) };
/// drop(cmp);
/// assert_eq!(v, [1, 2, 3]);
/// assert!(calls >= 2);
/// ```
///
/// # Panics and errors inside a callback
/// A panic never unwinds into C: the trampoline catches it, returns zero (or nothing) to C,
/// and stops calling the closure (C may call the pointer again; it gets zero). The panic is
/// re-raised in Rust when the guard is dropped (or taken with [`Callback::take_panic`]), after
/// the C function has returned. A dynamic callback's return value that does not fit its C
/// type is handled the same way, as an error the guard reports.
///
/// # Threads
/// C may call the pointer from any thread (a thread it created with `pthread_create`
/// included), so the closure must be `Send`. Calls are serialized: a closure is `FnMut` and
/// runs one call at a time. A call that re-enters the closure from inside itself (the closure
/// calls C, which calls the pointer again) cannot run it and is reported like a panic.
///
/// # Dropping
/// C may still be inside the closure when the guard drops (a thread C created finishing a
/// call): the drop waits for every call in progress to return, and keeps its panic. It
/// cannot wait for a call C has not made yet: drop the guard only once C will not call the
/// pointer again (the function that took it has returned, the threads that call it are told
/// to stop or joined). A guard dropped from inside its own closure is leaked, and the
/// callback returns zero to C from then on.
pub struct Callback<'a, F = unsafe extern "C" fn()> {
    closure: *mut ffi_closure,
    code: *const c_void,
    /// From `Box::into_raw`, freed in `Drop`: libffi holds this address as user data, so the
    /// box is never moved or reborrowed uniquely while the closure exists.
    state: std::ptr::NonNull<State<'a>>,
    _state: PhantomData<Box<State<'a>>>,
    signature: Signature,
    shape: u32,
    _cif: Arc<PreparedCif>,
    _fn: PhantomData<F>,
}

// SAFETY: the closure is `Send` (required by every constructor) and runs one call at a time under the state's lock bit; the
// libffi closure and CIF are only read after preparation. Moving or sharing the guard between
// threads is therefore sound.
unsafe impl<F: Send> Send for Callback<'_, F> {}
// SAFETY: as above; `&Callback` only exposes the code pointer, the call count (atomics) and
// the panic slot (a mutex); the closure itself is touched only under the state's lock bit.
unsafe impl<F: Sync> Sync for Callback<'_, F> {}

struct State<'a> {
    /// The lock and the count of calls inside the trampoline, in one word so that a call
    /// costs two atomic operations (one to enter, one to leave): bit 0 is set while a call
    /// runs the closure; every call inside (running, or waiting for its turn) adds `ONE`. A
    /// call leaves with one `fetch_sub`, its very last access to this state, so the guard
    /// frees the state only once it reads 0 in those bits (`INSIDE`). A shared callback also
    /// counts every call made in the upper half (`CALL`), in the same operation.
    word: AtomicUsize,
    /// The closure: only the call holding the lock bit touches it.
    invoke: UnsafeCell<Invoke<'a>>,
    /// A shared closure (`Callback::shared`), run without the lock by any number of calls.
    shared: Option<SharedInvoke<'a>>,
    /// Calls that ran (or found the closure poisoned), written only under the lock.
    calls: AtomicUsize,
    /// Calls that could not take the lock because they re-entered the closure.
    reentered: AtomicUsize,
    ret: Class,
    /// The thread now running the closure (`thread_tag`), 0 when idle.
    running_on: AtomicUsize,
    /// Set once the closure panicked: it is not called again.
    poisoned: AtomicBool,
    failure: Mutex<Option<Box<dyn Any + Send>>>,
}

/// The lock bit of `State::word`.
const LOCK: usize = 1;
/// One call inside, in `State::word`.
const ONE: usize = 2;
/// One call made, in the upper half of `State::word` of a shared callback (64-bit targets),
/// so that a shared call counts itself in and counts its call with one atomic operation. Zero
/// where `usize` is narrower: `State::calls` counts them then.
const CALL: usize = if usize::BITS >= 64 {
    1 << (usize::BITS / 2)
} else {
    0
};
/// The bits of `State::word` that count the calls inside (and the lock bit).
const INSIDE: usize = if CALL == 0 { usize::MAX } else { CALL - 1 };

/// Waits a little longer each round: spins, then yields, then sleeps 50 us at a time.
fn back_off(round: &mut u32) {
    *round += 1;
    if *round < 64 {
        std::hint::spin_loop();
    } else if *round < 1024 {
        std::thread::yield_now();
    } else {
        std::thread::sleep(std::time::Duration::from_micros(50));
    }
}

#[cfg(not(unix))]
thread_local! {
    static THREAD_TAG: u8 = const { 0 };
}

/// This thread's tag, never 0 (which means idle): `pthread_self()`, which works on every
/// thread C creates, even while its thread-locals are being destroyed (C calling from a TLS
/// destructor), where reading a Rust thread-local would panic.
#[cfg(unix)]
fn thread_tag() -> usize {
    // SAFETY: pthread_self has no preconditions and cannot fail.
    let t = unsafe { libc::pthread_self() } as usize;
    t.max(1)
}

/// This thread's tag (the address of a thread-local), never 0. A thread whose thread-locals
/// are already destroyed gets `usize::MAX`.
#[cfg(not(unix))]
fn thread_tag() -> usize {
    THREAD_TAG
        .try_with(|t| std::ptr::from_ref(t) as usize)
        .unwrap_or(usize::MAX)
}

/// A closure whose C signature comes from its Rust argument and return types: every
/// `FnMut(A1, ..) -> R + Send` with up to 6 arguments of [`RustType`]s (numbers, `bool`, raw
/// pointers) and a [`RustType`] return (or `()`).
pub trait IntoCallback<'a, Marker>: sealed::Sealed<Marker> {
    /// The C function pointer type (`unsafe extern "C" fn(A1, ..) -> R`).
    type Fn: Copy;
    #[doc(hidden)]
    fn signature() -> Signature;
    #[doc(hidden)]
    fn into_invoke(self) -> Box<dyn FnMut(*mut c_void, *const *const c_void) + Send + 'a>;
}

/// A typed closure that is `Fn + Sync`: C may run it on several threads at once, with no
/// lock ([`Callback::shared`]).
pub trait IntoSharedCallback<'a, Marker>: IntoCallback<'a, Marker> {
    #[doc(hidden)]
    fn into_shared(self) -> SharedInvoke<'a>;
}

mod sealed {
    /// Seals [`IntoCallback`](super::IntoCallback): its `Fn` type must be the function
    /// pointer type of its signature, which only ffi-auto's own implementations guarantee.
    pub trait Sealed<M> {}
}

/// A value C passes to a callback, read from libffi's argument array.
pub trait CallbackArg: RustType + Copy {
    #[doc(hidden)]
    /// # Safety
    /// `p` points at a value of this type's C representation.
    unsafe fn read(p: *const c_void) -> Self;
}

/// A value a callback returns to C.
pub trait CallbackRet: RustType {
    #[doc(hidden)]
    /// # Safety
    /// `ret` is libffi's return buffer for this type (at least an `ffi_arg`).
    unsafe fn write(self, ret: *mut c_void);
}

macro_rules! callback_arg {
    ($($t:ty),*) => {$(
        impl CallbackArg for $t {
            unsafe fn read(p: *const c_void) -> Self {
                // SAFETY: the caller guarantees `p` points at a `$t`.
                unsafe { p.cast::<$t>().read_unaligned() }
            }
        }
    )*};
}

callback_arg!(i8, i16, i32, i64, isize, u8, u16, u32, u64, usize, f32, f64);

macro_rules! callback_ret_int {
    ($($t:ty),*) => {$(
        impl CallbackRet for $t {
            #[allow(clippy::cast_lossless, clippy::unnecessary_cast)]
            unsafe fn write(self, ret: *mut c_void) {
                // libffi expects integer returns narrower than `ffi_arg` widened to one.
                if size_of::<$t>() < size_of::<libffi::raw::ffi_arg>() {
                    // SAFETY: the caller guarantees room for an `ffi_arg`; `as` sign- or
                    // zero-extends by the source's signedness.
                    unsafe { ret.cast::<libffi::raw::ffi_arg>().write_unaligned(self as i64 as libffi::raw::ffi_arg) }
                } else {
                    // SAFETY: as above.
                    unsafe { ret.cast::<$t>().write_unaligned(self) }
                }
            }
        }
    )*};
}

callback_ret_int!(i8, i16, i32, i64, isize, u8, u16, u32, u64, usize);

macro_rules! callback_ret_float {
    ($($t:ty),*) => {$(
        impl CallbackRet for $t {
            unsafe fn write(self, ret: *mut c_void) {
                // SAFETY: the caller guarantees room for the return.
                unsafe { ret.cast::<$t>().write_unaligned(self) }
            }
        }
    )*};
}

callback_ret_float!(f32, f64);

impl CallbackArg for bool {
    unsafe fn read(p: *const c_void) -> Self {
        // SAFETY: a C `_Bool` is one byte; read as a byte so that no bit pattern is UB.
        unsafe { p.cast::<u8>().read() != 0 }
    }
}
impl CallbackRet for bool {
    unsafe fn write(self, ret: *mut c_void) {
        // SAFETY: the caller guarantees room for an `ffi_arg`.
        unsafe { u8::from(self).write(ret) }
    }
}
impl CallbackRet for () {
    unsafe fn write(self, _ret: *mut c_void) {}
}
impl<T: RustType> CallbackArg for *const T {
    unsafe fn read(p: *const c_void) -> Self {
        // SAFETY: the caller guarantees `p` points at a pointer.
        unsafe { p.cast::<*const T>().read_unaligned() }
    }
}
impl<T: RustType> CallbackArg for *mut T {
    unsafe fn read(p: *const c_void) -> Self {
        // SAFETY: the caller guarantees `p` points at a pointer.
        unsafe { p.cast::<*mut T>().read_unaligned() }
    }
}
impl<T: RustType> CallbackRet for *const T {
    unsafe fn write(self, ret: *mut c_void) {
        // SAFETY: the caller guarantees room for a pointer.
        unsafe { ret.cast::<*const T>().write_unaligned(self) }
    }
}
impl<T: RustType> CallbackRet for *mut T {
    unsafe fn write(self, ret: *mut c_void) {
        // SAFETY: the caller guarantees room for a pointer.
        unsafe { ret.cast::<*mut T>().write_unaligned(self) }
    }
}

/// Reads libffi's arguments as `$a...`, calls `$f` with them and writes its return.
macro_rules! typed_call {
    ($f:ident, $ret:ident, $args:ident; $($a:ident),*) => {{
        let mut i = 0;
        $(
            // SAFETY: libffi passes one pointer per parameter of the CIF built from these very
            // types.
            let $a = unsafe { $a::read(*$args.add(i)) };
            i += 1;
        )*
        let r = $f($($a),*);
        // SAFETY: `ret` is libffi's return buffer for `R`'s C type.
        unsafe { r.write($ret) }
    }};
}

macro_rules! into_callback {
    ($($a:ident),*) => {
        impl<Func, R, $($a),*> sealed::Sealed<fn($($a),*) -> R> for Func
        where
            Func: FnMut($($a),*) -> R + Send,
            R: CallbackRet,
            $($a: CallbackArg),*
        {}
        impl<'a, Func, R, $($a),*> IntoCallback<'a, fn($($a),*) -> R> for Func
        where
            Func: FnMut($($a),*) -> R + Send + 'a,
            R: CallbackRet,
            $($a: CallbackArg),*
        {
            type Fn = unsafe extern "C" fn($($a),*) -> R;
            fn signature() -> Signature {
                Signature::new(R::c_type())$(.param($a::c_type()))*
            }
            #[allow(non_snake_case, unused_mut, unused_variables, unused_assignments)]
            fn into_invoke(mut self) -> Box<dyn FnMut(*mut c_void, *const *const c_void) + Send + 'a> {
                Box::new(move |ret, args| typed_call!(self, ret, args; $($a),*))
            }
        }
        impl<'a, Func, R, $($a),*> IntoSharedCallback<'a, fn($($a),*) -> R> for Func
        where
            Func: Fn($($a),*) -> R + Send + Sync + 'a,
            R: CallbackRet,
            $($a: CallbackArg),*
        {
            #[allow(non_snake_case, unused_mut, unused_variables, unused_assignments)]
            fn into_shared(self) -> SharedInvoke<'a> {
                Box::new(move |ret, args| typed_call!(self, ret, args; $($a),*))
            }
        }
    };
}

into_callback!();
into_callback!(A1);
into_callback!(A1, A2);
into_callback!(A1, A2, A3);
into_callback!(A1, A2, A3, A4);
into_callback!(A1, A2, A3, A4, A5);
into_callback!(A1, A2, A3, A4, A5, A6);

impl<'a, F: Copy> Callback<'a, F> {
    /// A callback from a closure whose argument and return types say the C signature.
    ///
    /// # Errors
    /// [`Error::Prepare`] when libffi cannot allocate the closure.
    pub fn new<M, C>(f: C) -> Result<Callback<'a, F>>
    where
        C: IntoCallback<'a, M, Fn = F>,
    {
        Self::typed(C::signature(), Run::Locked(f.into_invoke()))
    }

    /// A callback from a closure that is `Fn + Sync`: C may call it from several threads at
    /// once, and each call runs it without taking a lock (the closure shares its state only
    /// through `&`). A call costs what a plain libffi closure costs (README, callbacks).
    ///
    /// ```
    /// use std::ffi::c_int;
    /// use std::sync::atomic::{AtomicI32, Ordering};
    /// use ffi_auto_runtime::Callback;
    /// let total = AtomicI32::new(0);
    /// let add = Callback::shared(|x: c_int| -> c_int {
    ///     total.fetch_add(x, Ordering::Relaxed) + x
    /// })?;
    /// // SAFETY: the code pointer has the closure's own signature.
    /// assert_eq!(unsafe { (add.code())(5) }, 5);
    /// assert_eq!(unsafe { (add.code())(2) }, 7);
    /// assert_eq!(add.calls(), 2);
    /// # Ok::<(), ffi_auto_runtime::Error>(())
    /// ```
    ///
    /// # Errors
    /// As [`Callback::new`].
    pub fn shared<M, C>(f: C) -> Result<Callback<'a, F>>
    where
        C: IntoSharedCallback<'a, M, Fn = F>,
    {
        Self::typed(C::signature(), Run::Shared(f.into_shared()))
    }

    /// A callback from a `'static` closure that is `Fn + Sync`, for the rest of the program:
    /// its guard is never dropped, so a call neither counts itself in nor out (what lets the
    /// other callbacks free their closure safely while C may still call it). A call costs what
    /// the `libffi` crate's closure costs (README, callbacks); the closure and libffi's
    /// trampoline (some 100 bytes) are never freed. For the callbacks a program installs once
    /// (a log handler, an allocator hook). `calls` is not counted.
    ///
    /// ```
    /// use std::ffi::c_int;
    /// use ffi_auto_runtime::Callback;
    /// let twice: &'static Callback<'static, _> = Callback::forever(|x: c_int| -> c_int { 2 * x })?;
    /// // SAFETY: the code pointer has the closure's own signature.
    /// assert_eq!(unsafe { (twice.code())(21) }, 42);
    /// # Ok::<(), ffi_auto_runtime::Error>(())
    /// ```
    ///
    /// # Errors
    /// As [`Callback::new`].
    pub fn forever<M, C>(f: C) -> Result<&'static Callback<'static, F>>
    where
        C: IntoSharedCallback<'static, M, Fn = F>,
        F: 'static,
    {
        let guard = Callback::<'static, F>::typed(C::signature(), Run::Forever(f.into_shared()))?;
        Ok(Box::leak(Box::new(guard)))
    }

    /// A typed callback of `signature` (a closure type's own), run as `run` says.
    fn typed(signature: Signature, run: Run<'a>) -> Result<Callback<'a, F>> {
        const {
            assert!(size_of::<F>() == size_of::<*const c_void>());
        }
        let (classes, ret) = callback_classes(&signature)?;
        Self::build(signature, &classes, ret, run)
    }

    /// The C function pointer, valid while this guard lives.
    pub fn code(&self) -> F {
        // SAFETY: `F` is the function pointer type of the signature the closure was prepared
        // with (or `unsafe extern "C" fn()` for a dynamic callback), pointer-sized (checked at
        // compile time), and `code` is the libffi trampoline's executable address.
        unsafe { std::mem::transmute_copy::<*const c_void, F>(&self.code) }
    }
}

impl<'a> Callback<'a> {
    /// A callback whose C signature is known only at run time: the closure receives the
    /// arguments as [`Value`]s (pointers as `Value::Ptr` or `Value::Null`) and returns one,
    /// which is converted to the C return type with the same checks as an argument.
    ///
    /// ```
    /// use ffi_auto_runtime::{Callback, Value};
    /// let sig = "int (int, int)".parse().unwrap();
    /// let add = Callback::dynamic(&sig, |args| {
    ///     Value::I64(args[0].as_i64().unwrap() + args[1].as_i64().unwrap())
    /// })
    /// .unwrap();
    /// // SAFETY: the callback was prepared for `int (int, int)`.
    /// let f: unsafe extern "C" fn(i32, i32) -> i32 = unsafe { std::mem::transmute(add.code()) };
    /// // SAFETY: as above.
    /// assert_eq!(unsafe { f(40, 2) }, 42);
    /// ```
    ///
    /// # Errors
    /// [`Error::Unsupported`] for a signature with a type callbacks cannot take (a struct by
    /// value, a variadic signature); [`Error::Prepare`] when libffi fails.
    pub fn dynamic(
        signature: &Signature,
        mut f: impl FnMut(&[Value<'_>]) -> Value<'static> + Send + 'a,
    ) -> Result<Callback<'a>> {
        let (classes, ret) = callback_classes(signature)?;
        let (decl, read_classes) = (signature.to_string(), classes.clone());
        let invoke: Invoke<'a> = Box::new(move |out, args| {
            let classes = &read_classes;
            // SAFETY: libffi passes one pointer per parameter, each at a value of the
            // parameter's class.
            let read = |i: usize| unsafe { read_arg(classes[i], *args.add(i)) };
            // Up to 8 arguments on the stack: no allocation per call.
            let v = if classes.len() <= 8 {
                let mut values = [Value::Void; 8];
                for (i, v) in values.iter_mut().enumerate().take(classes.len()) {
                    *v = read(i);
                }
                f(&values[..classes.len()])
            } else {
                f(&(0..classes.len()).map(read).collect::<Vec<_>>())
            };
            if let Err(e) = store_ret(v, ret, out) {
                std::panic::panic_any(format!(
                    "a callback of type `{decl}` returned {}: {e}",
                    v.describe()
                ));
            }
        });
        Self::build(signature.clone(), &classes, ret, Run::Locked(invoke))
    }
}

/// The classes of a callback's parameters and return, or why C cannot call it through a
/// libffi closure.
fn callback_classes(signature: &Signature) -> Result<(Vec<Class>, Class)> {
    if signature.variadic {
        return Err(unsupported(
            signature,
            "a variadic callback".to_owned(),
            "C cannot call a variadic function through libffi closures; give the callback a fixed signature".to_owned(),
        ));
    }
    let classes = signature
        .params
        .iter()
        .map(|p| Class::of(&p.ty, Null::Unknown))
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(|e| unsupported(signature, e.what, e.hint))?;
    let ret = Class::of(&signature.ret, Null::Unknown)
        .map_err(|e| unsupported(signature, e.what, e.hint))?;
    if let Some(c) = classes
        .iter()
        .chain([&ret])
        .find(|c| matches!(c, Class::Record(_)))
    {
        return Err(unsupported(
            signature,
            format!("`{}` by value in a callback", c.c_spelling()),
            "take a pointer to it instead".to_owned(),
        ));
    }
    Ok((classes, ret))
}

impl<'a, F> Callback<'a, F> {
    fn state(&self) -> &State<'a> {
        // SAFETY: `state` is a live box until `Drop`, only ever shared.
        unsafe { self.state.as_ref() }
    }

    fn build(
        signature: Signature,
        classes: &[Class],
        ret: Class,
        run: Run<'a>,
    ) -> Result<Callback<'a, F>> {
        let key = CifKey {
            ret: ret.abi(),
            args: classes.iter().map(|c| c.abi()).collect(),
            fixed: None,
        };
        let cif = cif::get(key).map_err(|reason| Error::Prepare {
            function: "callback".to_owned(),
            declaration: signature.to_string(),
            reason,
        })?;
        let shape = crate::layout::shape_of(classes, ret, false);
        let (invoke, shared, entry) = run.parts();
        let state = Box::into_raw(Box::new(State {
            word: AtomicUsize::new(0),
            invoke: UnsafeCell::new(invoke),
            shared,
            calls: AtomicUsize::new(0),
            reentered: AtomicUsize::new(0),
            ret,
            running_on: AtomicUsize::new(0),
            poisoned: AtomicBool::new(false),
            failure: Mutex::new(None),
        }));
        // SAFETY: `Box::into_raw` never returns null.
        let state = unsafe { std::ptr::NonNull::new_unchecked(state) };
        let Some((closure, code)) = libffi::low::try_closure_alloc() else {
            // SAFETY: from `Box::into_raw` above, not shared.
            drop(unsafe { Box::from_raw(state.as_ptr()) });
            return Err(Error::Prepare {
                function: "callback".to_owned(),
                declaration: signature.to_string(),
                reason: "libffi could not allocate an executable closure".to_owned(),
            });
        };
        // SAFETY: `closure` was just allocated by libffi; the CIF is kept alive (an `Arc` in
        // the guard) for as long as the closure, and so is `state` (boxed: its address is
        // stable) which the trampoline receives as user data. The trampoline's signature is
        // libffi's closure callback type.
        let status = unsafe {
            libffi::raw::ffi_prep_closure_loc(
                closure,
                cif.raw(),
                Some(entry),
                state.as_ptr().cast(),
                code.as_mut_ptr(),
            )
        };
        if status != libffi::raw::ffi_status_FFI_OK {
            // SAFETY: allocated above with `ffi_closure_alloc`, not used since; `state` is from
            // `Box::into_raw` and no closure refers to it.
            unsafe {
                libffi::low::closure_free(closure);
                drop(Box::from_raw(state.as_ptr()));
            }
            return Err(Error::Prepare {
                function: "callback".to_owned(),
                declaration: signature.to_string(),
                reason: format!("ffi_prep_closure_loc failed (status {status})"),
            });
        }
        Ok(Callback {
            closure,
            code: code.as_ptr(),
            state,
            signature,
            shape,
            _state: PhantomData,
            _cif: cif,
            _fn: PhantomData,
        })
    }

    /// The code pointer as an untyped pointer.
    pub fn as_ptr(&self) -> *const c_void {
        self.code
    }

    /// The C signature C must call it with.
    pub fn signature(&self) -> &Signature {
        &self.signature
    }

    /// How many times C has called it.
    pub fn calls(&self) -> usize {
        let state = self.state();
        // The calls a shared callback counted in the word's upper half (none where `CALL` is 0).
        let shared = state
            .word
            .load(Ordering::Relaxed)
            .checked_div(CALL)
            .unwrap_or(0);
        state.calls.load(Ordering::Relaxed) + state.reentered.load(Ordering::Relaxed) + shared
    }

    /// The payload of a panic (or the error) the callback stopped with, if any, taking it so
    /// that dropping the guard does not re-raise it.
    pub fn take_panic(&self) -> Option<Box<dyn Any + Send>> {
        self.state()
            .failure
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take()
    }
}

impl<F> Drop for Callback<'_, F> {
    fn drop(&mut self) {
        let state = self.state();
        if state.running_on.load(Ordering::Relaxed) == thread_tag()
            || running_here(self.state.as_ptr().cast_const().cast())
        {
            // Dropped from inside its own closure (which reached its guard through shared
            // state): the call on this thread's stack still needs the closure and the state,
            // and nothing can wait for it here. Leaking them is the sound choice; poisoned,
            // so that a call waiting on another thread, or any later one, returns zero
            // instead of running a closure whose borrows (`'a`) may end with the guard.
            state.poisoned.store(true, Ordering::Release);
            return;
        }
        // Calls that entered the trampoline before the guard was dropped (on threads C
        // created) finish first, panics recorded: each call's last access to the state is the
        // `fetch_sub` this load observes (Release/Acquire), so nothing touches it after this.
        let mut round = 0u32;
        while state.word.load(Ordering::Acquire) & INSIDE != 0 {
            back_off(&mut round);
        }
        let panic = self.take_panic();
        // SAFETY: allocated by `ffi_closure_alloc` in `build` and freed only here; no call is
        // inside the trampoline (above), and the guard's owner promised C no longer calls the
        // pointer, so `state` (from `Box::into_raw`) has no other user.
        unsafe {
            libffi::low::closure_free(self.closure);
            drop(Box::from_raw(self.state.as_ptr()));
        }
        if let Some(p) = panic
            && !std::thread::panicking()
        {
            resume_unwind(p);
        }
    }
}

impl<F> fmt::Debug for Callback<'_, F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Callback")
            .field("signature", &self.signature.to_string())
            .field("code", &self.code)
            .field("calls", &self.calls())
            .finish_non_exhaustive()
    }
}

fn unsupported(sig: &Signature, what: String, hint: String) -> Error {
    Error::Unsupported {
        function: format!("callback `{sig}`"),
        what,
        hint,
    }
}

/// What libffi calls: counts itself in and takes the lock, runs the closure (catching any
/// panic, so that none unwinds into C), and leaves with one `fetch_sub`, its last access to
/// the state.
unsafe extern "C" fn trampoline(
    _cif: *mut libffi::low::ffi_cif,
    ret: *mut c_void,
    args: *mut *mut c_void,
    data: *mut c_void,
) {
    let state = data.cast::<State<'_>>().cast_const();
    // SAFETY: `data` is the `State` the closure was prepared with. The guard frees it only
    // once `word` is back to 0, and its owner drops it only once C makes no new call (the
    // guard's documented contract): this call was made before, so the state is alive here
    // and this call's entry (below) comes before the drop's wait reads the word.
    let st = unsafe { &*state };
    // Fast path: nobody inside, so count in and take the lock in one compare-and-swap.
    let entered = st
        .word
        .compare_exchange(0, ONE | LOCK, Ordering::Acquire, Ordering::Relaxed)
        .is_ok()
        || enter_slow(st);
    if entered {
        // SAFETY: this call holds the lock bit; `ret` and `args` are libffi's, for the CIF the
        // closure was prepared with.
        unsafe { run_locked(st, ret, args) };
    } else {
        // Re-entered from inside the closure on this thread: counted in, not run.
        st.reentered.fetch_add(1, Ordering::Relaxed);
        // SAFETY: `ret` is libffi's return buffer for the state's return class.
        unsafe { zero_ret(st.ret, ret) };
        fail(
            st,
            Box::new(
                "a callback was re-entered (C called it again from inside the closure); a closure runs one call at a time",
            ),
        );
    }
    let leave = if entered { ONE | LOCK } else { ONE };
    // SAFETY: as above. Everything this call did to the state happens before this release;
    // the guard may free the state as soon as it sees the word at 0, so nothing after it
    // touches the state.
    unsafe { (*state).word.fetch_sub(leave, Ordering::Release) };
}

/// How a callback's calls run its closure.
enum Run<'a> {
    /// One at a time (`FnMut`), under the lock bit.
    Locked(Invoke<'a>),
    /// Concurrently (`Fn + Sync`), without a lock.
    Shared(SharedInvoke<'a>),
    /// Concurrently, for the rest of the program (`Callback::forever`): nothing to count.
    Forever(SharedInvoke<'a>),
}

impl<'a> Run<'a> {
    /// The state's closures and the trampoline libffi enters for this way of running.
    fn parts(self) -> (Invoke<'a>, Option<SharedInvoke<'a>>, Trampoline) {
        match self {
            Run::Locked(i) => (i, None, trampoline),
            Run::Shared(s) => (Box::new(|_, _| {}), Some(s), trampoline_shared),
            Run::Forever(s) => (Box::new(|_, _| {}), Some(s), trampoline_forever),
        }
    }
}

/// libffi's closure entry point type.
type Trampoline =
    unsafe extern "C" fn(*mut libffi::low::ffi_cif, *mut c_void, *mut *mut c_void, *mut c_void);

/// A shared callback running on this thread: a list through the stack frames of the calls in
/// progress, so that a guard dropped from inside its own closure is recognised (and leaked,
/// as for a locked one) rather than waited for.
struct Running {
    state: *const (),
    outer: *const Running,
}

thread_local! {
    /// The innermost shared callback call on this thread (no destructor: a plain access).
    static RUNNING: std::cell::Cell<*const Running> = const { std::cell::Cell::new(std::ptr::null()) };
}

/// Whether a call of the shared callback with this state is running on this thread.
fn running_here(state: *const ()) -> bool {
    let mut r = RUNNING
        .try_with(std::cell::Cell::get)
        .unwrap_or(std::ptr::null());
    while !r.is_null() {
        // SAFETY: every node is a local of a trampoline frame still on this thread's stack
        // (it unlinks itself before returning).
        let node = unsafe { &*r };
        if node.state == state {
            return true;
        }
        r = node.outer;
    }
    false
}

/// What libffi calls for a callback that lives for the rest of the program: the guard is
/// never dropped, so there is nothing to count and nothing to wait for; the closure runs
/// (any panic caught: the callback returns zero from then on, as for the others).
unsafe extern "C" fn trampoline_forever(
    _cif: *mut libffi::low::ffi_cif,
    ret: *mut c_void,
    args: *mut *mut c_void,
    data: *mut c_void,
) {
    // SAFETY: the state of a leaked guard lives for the rest of the program.
    let st = unsafe { &*data.cast::<State<'static>>().cast_const() };
    match (&st.shared, st.poisoned.load(Ordering::Relaxed)) {
        (Some(f), false) => {
            if let Err(p) = catch_unwind(AssertUnwindSafe(|| f(ret, args.cast_const().cast()))) {
                // SAFETY: `ret` is libffi's return buffer for the state's return class.
                unsafe { zero_ret(st.ret, ret) };
                fail(st, p);
            }
        }
        // SAFETY: as above.
        _ => unsafe { zero_ret(st.ret, ret) },
    }
}

/// What libffi calls for a shared callback: counts itself in, runs the closure (catching any
/// panic), counts itself out. No lock: the closure is `Fn + Sync`.
unsafe extern "C" fn trampoline_shared(
    _cif: *mut libffi::low::ffi_cif,
    ret: *mut c_void,
    args: *mut *mut c_void,
    data: *mut c_void,
) {
    let state = data.cast::<State<'_>>().cast_const();
    // SAFETY: as in `trampoline`: the state outlives every call that entered before the
    // guard's drop read the word.
    let st = unsafe { &*state };
    st.word.fetch_add(ONE + CALL, Ordering::Acquire);
    if CALL == 0 {
        st.calls.fetch_add(1, Ordering::Relaxed);
    }
    match (&st.shared, st.poisoned.load(Ordering::Acquire)) {
        (Some(f), false) => {
            let node = Running {
                state: state.cast(),
                outer: RUNNING.with(std::cell::Cell::get),
            };
            RUNNING.with(|r| r.set(&raw const node));
            let outcome = catch_unwind(AssertUnwindSafe(|| f(ret, args.cast_const().cast())));
            RUNNING.with(|r| r.set(node.outer));
            if let Err(p) = outcome {
                // SAFETY: `ret` is libffi's return buffer for the state's return class.
                unsafe { zero_ret(st.ret, ret) };
                fail(st, p);
            }
        }
        // SAFETY: as above.
        _ => unsafe { zero_ret(st.ret, ret) },
    }
    // SAFETY: as in `trampoline`: this call's last access to the state.
    unsafe { (*state).word.fetch_sub(ONE, Ordering::Release) };
}

/// Counts a call in and waits for the lock; `false` (counted in, lock not taken) when the
/// closure is running on this very thread (C re-entered it from inside).
#[cold]
fn enter_slow(st: &State<'_>) -> bool {
    st.word.fetch_add(ONE, Ordering::Relaxed);
    let me = thread_tag();
    let mut round = 0u32;
    loop {
        let w = st.word.load(Ordering::Relaxed);
        if w & LOCK == 0 {
            if st
                .word
                .compare_exchange_weak(w, w | LOCK, Ordering::Acquire, Ordering::Relaxed)
                .is_ok()
            {
                return true;
            }
            continue;
        }
        // Only this thread ever stores its own tag, so seeing it means re-entry.
        if st.running_on.load(Ordering::Relaxed) == me {
            return false;
        }
        back_off(&mut round);
    }
}

/// Writes what C sees when the closure does not run or does not finish: zero.
///
/// # Safety
/// `ret` is libffi's return buffer for a return of `class`.
unsafe fn zero_ret(class: Class, ret: *mut c_void) {
    // SAFETY: libffi's return buffer holds the return type, widened to an `ffi_arg` for
    // integers (`ret_size`).
    unsafe { ret.cast::<u8>().write_bytes(0, ret_size(class)) };
}

/// One call of the closure, under the lock.
///
/// # Safety
/// The caller holds the lock bit of `st.word`; `ret` is libffi's return buffer for the
/// state's return class; `args` holds one pointer per parameter of the closure's CIF.
#[inline(always)]
unsafe fn run_locked(st: &State<'_>, ret: *mut c_void, args: *mut *mut c_void) {
    // Only the lock holder writes the count: a load and a store, no atomic read-modify-write.
    st.calls
        .store(st.calls.load(Ordering::Relaxed) + 1, Ordering::Relaxed);
    if st.poisoned.load(Ordering::Acquire) {
        // SAFETY: the caller's contract.
        unsafe { zero_ret(st.ret, ret) };
        return;
    }
    st.running_on.store(thread_tag(), Ordering::Relaxed);
    // SAFETY: the lock bit gives this call the only access to the closure.
    let invoke = unsafe { &mut *st.invoke.get() };
    let outcome = catch_unwind(AssertUnwindSafe(|| {
        invoke(ret, args.cast_const().cast());
    }));
    st.running_on.store(0, Ordering::Relaxed);
    if let Err(p) = outcome {
        // SAFETY: the caller's contract.
        unsafe { zero_ret(st.ret, ret) };
        fail(st, p);
    }
}

/// The bytes libffi's return buffer holds for a callback return of `class`.
fn ret_size(class: Class) -> usize {
    let arg = size_of::<libffi::raw::ffi_arg>();
    match class {
        Class::Void | Class::Record(_) => 0,
        Class::I128 | Class::U128 | Class::LongDouble => 16,
        Class::F32 => 4,
        Class::F64 => 8,
        Class::Ptr { .. } => size_of::<*const c_void>(),
        c => c.int_parts().map_or(arg, |(s, _)| usize::from(s).max(arg)),
    }
}

fn fail(state: &State<'_>, p: Box<dyn Any + Send>) {
    state.poisoned.store(true, Ordering::Release);
    let mut slot = state.failure.lock().unwrap_or_else(PoisonError::into_inner);
    if slot.is_none() {
        *slot = Some(p);
    } else {
        // Only the first failure is kept. A panic payload's own `Drop` may panic, and this
        // runs where C called: leak the later one rather than drop it here.
        std::mem::forget(p);
    }
}

/// Reads one argument of `class` for a dynamic callback.
///
/// # Safety
/// `p` points at a value of `class`'s C representation.
unsafe fn read_arg(class: Class, p: *const c_void) -> Value<'static> {
    // SAFETY: the caller guarantees `p` points at a value of `class`, which is what each arm
    // reads.
    unsafe {
        match class {
            Class::Bool => Value::Bool(p.cast::<u8>().read() != 0),
            Class::I8 => Value::I8(p.cast::<i8>().read_unaligned()),
            Class::U8 => Value::U8(p.cast::<u8>().read_unaligned()),
            Class::I16 => Value::I16(p.cast::<i16>().read_unaligned()),
            Class::U16 => Value::U16(p.cast::<u16>().read_unaligned()),
            Class::I32 => Value::I32(p.cast::<i32>().read_unaligned()),
            Class::U32 => Value::U32(p.cast::<u32>().read_unaligned()),
            Class::I64 => Value::I64(p.cast::<i64>().read_unaligned()),
            Class::U64 => Value::U64(p.cast::<u64>().read_unaligned()),
            Class::F32 => Value::F32(p.cast::<f32>().read_unaligned()),
            Class::F64 => Value::F64(p.cast::<f64>().read_unaligned()),
            Class::I128 => Value::I128(read_bits128(p)),
            Class::U128 => Value::U128(read_bits128(p)),
            Class::LongDouble => Value::LongDouble(crate::LongDouble::read(p.cast())),
            Class::Ptr { .. } => {
                let v = p.cast::<*mut c_void>().read_unaligned();
                if v.is_null() {
                    Value::Null
                } else {
                    Value::Ptr(v)
                }
            }
            Class::Void | Class::Record(_) => Value::Void,
        }
    }
}

/// The 16 bytes at `p` as a 128-bit integer's bits.
///
/// # Safety
/// `p` points at 16 readable bytes.
unsafe fn read_bits128(p: *const c_void) -> crate::Bits128 {
    // SAFETY: the caller's contract; an integer is valid for any bits.
    crate::Bits128::from_u128(unsafe { p.cast::<u128>().read_unaligned() })
}

/// A scalar of `class` from the start of `bytes`.
pub(crate) fn read_bytes(class: Class, bytes: &[u8; 16]) -> Value<'static> {
    // SAFETY: 16 bytes hold any scalar class; every bit pattern is a valid number or pointer
    // (bools are read as a byte).
    unsafe { read_arg(class, bytes.as_ptr().cast()) }
}

/// Converts a dynamic callback's return to `class` and writes it where libffi expects it.
fn store_ret(v: Value<'_>, class: Class, out: *mut c_void) -> std::result::Result<(), String> {
    if class == Class::Void {
        return Ok(());
    }
    let mut slot = Slot::UNINIT;
    let mut scratch = MaybeUninit::<[u8; SCRATCH]>::uninit();
    let mut spill: Spill = None;
    let mut ctx = Ctx::new(&mut scratch, &mut spill, false);
    v.store(class, &mut slot, &mut ctx).map_err(|f| match f {
        Fault::Type { hint } => hint.to_owned(),
        Fault::Range(n) => format!("{n} is out of range"),
        Fault::Nul(_) | Fault::Null | Fault::NullUnknown | Fault::Raw | Fault::Variadic => {
            "a string or pointer cannot be returned".to_owned()
        }
    })?;
    if let Class::Ptr { .. } = class
        && matches!(v, Value::Str(_) | Value::Bytes(_))
    {
        return Err("a Rust string copy does not outlive the callback; return a pointer to memory that does".to_owned());
    }
    let p = slot.as_mut_ptr();
    // SAFETY: `store` wrote a value of `class` at the start of the slot; `out` is libffi's
    // return buffer (at least an `ffi_arg`), and narrow integers are widened to one.
    unsafe {
        match class.int_parts() {
            Some((size, signed)) if usize::from(size) < size_of::<libffi::raw::ffi_arg>() => {
                let wide: i64 = match (size, signed) {
                    (1, true) => i64::from(p.cast::<i8>().read()),
                    (1, false) => i64::from(p.cast::<u8>().read()),
                    (2, true) => i64::from(p.cast::<i16>().read()),
                    (2, false) => i64::from(p.cast::<u16>().read()),
                    (_, true) => i64::from(p.cast::<i32>().read()),
                    (_, false) => i64::from(p.cast::<u32>().read()),
                };
                out.cast::<libffi::raw::ffi_arg>()
                    .write_unaligned(wide as libffi::raw::ffi_arg);
            }
            _ if class == Class::Bool => {
                out.cast::<libffi::raw::ffi_arg>()
                    .write_unaligned(libffi::raw::ffi_arg::from(p.cast::<u8>().read()));
            }
            _ => std::ptr::copy_nonoverlapping(p.cast::<u8>(), out.cast::<u8>(), ret_size(class)),
        }
    }
    Ok(())
}

const HINT_CALLBACK: &str = "this callback's signature does not match the function pointer type the parameter is declared with";

/// Stores a code pointer for a function-pointer parameter whose ABI shape is `shape`. A
/// `void *` parameter takes one only in an unsafe call: C would use it as data (`free`,
/// `memset` on code pages).
fn store_code(
    code: *const c_void,
    shape: u32,
    class: Class,
    slot: &mut Slot,
    safe: bool,
) -> std::result::Result<(), Fault> {
    match class {
        Class::Ptr {
            target: Target::Fn(want),
            ..
        } if want == shape && shape != 0 => {}
        Class::Ptr {
            target: Target::Void,
            ..
        } if !safe => {}
        Class::Ptr {
            target: Target::Void,
            ..
        } => return Err(Fault::Raw),
        Class::Ptr { .. } => {
            return Err(Fault::Type {
                hint: HINT_CALLBACK,
            });
        }
        _ => {
            return Err(Fault::Type {
                hint: "a callback is passed only for function pointer parameters",
            });
        }
    }
    slot.put(code);
    Ok(())
}

impl<F> arg::sealed::Sealed for Callback<'_, F> {}
/// A callback passes its code pointer, to a parameter whose function type has the same ABI
/// shape. Only through `call_raw`: C may keep the pointer beyond the guard.
impl<F> Arg for Callback<'_, F> {
    crate::arg::not_direct!();
    fn store(
        &self,
        class: Class,
        slot: &mut Slot,
        ctx: &mut Ctx<'_>,
    ) -> std::result::Result<(), Fault> {
        if ctx.safe {
            return Err(Fault::Raw);
        }
        store_code(self.code, self.shape, class, slot, false)
    }
    fn variadic_class(&self) -> Class {
        Class::Ptr {
            target: Target::Fn(self.shape),
            is_const: true,
            null: Null::Unknown,
        }
    }
    fn describe(&self) -> String {
        format!("a callback of type `{}`", self.signature)
    }
}

macro_rules! fn_arg {
    ($($a:ident),*) => {
        impl<R: RustType $(, $a: RustType)*> arg::sealed::Sealed for extern "C" fn($($a),*) -> R {}
        /// A plain `extern "C" fn` passes its address directly: no closure, no trampoline.
        impl<R: RustType $(, $a: RustType)*> Arg for extern "C" fn($($a),*) -> R {
    crate::arg::not_direct!();
            fn store(&self, class: Class, slot: &mut Slot, ctx: &mut Ctx<'_>) -> std::result::Result<(), Fault> {
                let sig = Signature::new(R::c_type())$(.param($a::c_type()))*;
                store_code(*self as *const c_void, crate::layout::fn_shape(&sig), class, slot, ctx.safe)
            }
            fn variadic_class(&self) -> Class {
                Class::Ptr { target: Target::Void, is_const: true, null: Null::Unknown }
            }
            fn describe(&self) -> String {
                format!("a function pointer ({})", std::any::type_name::<Self>())
            }
        }
        // SAFETY: a safe `extern "C" fn` may be called with any arguments, for ever (its code
        // is static), and C calls it with the ABI shape checked in `store`.
        unsafe impl<R: RustType $(, $a: RustType)*> arg::SafeArg for extern "C" fn($($a),*) -> R {}

        impl<R: RustType $(, $a: RustType)*> arg::sealed::Sealed for unsafe extern "C" fn($($a),*) -> R {}
        /// An `unsafe extern "C" fn` passes its address directly, through `call_raw` only.
        impl<R: RustType $(, $a: RustType)*> Arg for unsafe extern "C" fn($($a),*) -> R {
    crate::arg::not_direct!();
            fn store(&self, class: Class, slot: &mut Slot, ctx: &mut Ctx<'_>) -> std::result::Result<(), Fault> {
                if ctx.safe {
                    return Err(Fault::Raw);
                }
                let sig = Signature::new(R::c_type())$(.param($a::c_type()))*;
                store_code(*self as *const c_void, crate::layout::fn_shape(&sig), class, slot, false)
            }
            fn variadic_class(&self) -> Class {
                Class::Ptr { target: Target::Void, is_const: true, null: Null::Unknown }
            }
            fn describe(&self) -> String {
                format!("a function pointer ({})", std::any::type_name::<Self>())
            }
        }
    };
}

fn_arg!();
fn_arg!(A1);
fn_arg!(A1, A2);
fn_arg!(A1, A2, A3);
fn_arg!(A1, A2, A3, A4);
fn_arg!(A1, A2, A3, A4, A5);
fn_arg!(A1, A2, A3, A4, A5, A6);
