//! Rust values as C arguments: checked against the parameter's C type, then written into an
//! argument slot without allocating (short strings are copied into a stack buffer).
//!
//! - this module: the traits ([`Arg`], [`SafeArg`], [`Args`], [`SafeArgs`], [`Pointee`]), an
//!   argument's storage ([`Slot`]), the per-call context ([`Ctx`]) and what a refused
//!   conversion reports ([`Fault`]);
//! - `convert`: the conversions themselves, shared by every `Arg` (range-checked integers,
//!   floats, strings, null and raw pointers);
//! - `impls`: [`Arg`] for Rust's numbers, strings, pointers, references and slices;
//! - `tuple`: [`Args`] for one argument, `()` and tuples.

use std::ffi::c_void;
use std::fmt;
use std::mem::MaybeUninit;

use crate::class::{Class, Target};

mod convert;
mod impls;
mod tuple;

pub(crate) use convert::{Int, store_int, store_null, store_ptr};

/// One argument's storage: big and aligned enough for any scalar C type.
#[doc(hidden)]
#[repr(C, align(16))]
#[derive(Clone, Copy)]
pub struct Slot(MaybeUninit<[u8; 16]>);

impl Slot {
    pub(crate) const UNINIT: Slot = Slot(MaybeUninit::uninit());

    #[inline]
    pub(crate) fn put<T: Copy>(&mut self, v: T) {
        const { assert!(size_of::<T>() <= 16 && align_of::<T>() <= 16) };
        // SAFETY: the slot is 16 bytes aligned to 16, and `T` fits (checked at compile time).
        // The value is written at the start of the slot in native byte order, which is where
        // libffi reads an argument of `T`'s size.
        unsafe { self.0.as_mut_ptr().cast::<T>().write(v) }
    }

    pub(crate) fn as_mut_ptr(&mut self) -> *mut c_void {
        self.0.as_mut_ptr().cast()
    }

    /// The value [`Slot::put`] wrote.
    ///
    /// # Safety
    /// A `T` was put in the slot.
    #[cfg(test)]
    pub(crate) unsafe fn get<T: Copy>(&self) -> T {
        const { assert!(size_of::<T>() <= 16 && align_of::<T>() <= 16) };
        // SAFETY: the slot is aligned to 16 and `T` fits; the caller says a `T` is there.
        unsafe { self.0.as_ptr().cast::<T>().read() }
    }
}

/// Bytes of Rust strings copied (with their NUL) per call before spilling to the heap.
pub(crate) const SCRATCH: usize = 256;

/// Per-call context: a buffer on the caller's stack for NUL-terminated copies of Rust
/// strings, and whether the call is a safe one (raw pointers refused).
#[doc(hidden)]
pub struct Ctx<'f> {
    buf: &'f mut MaybeUninit<[u8; SCRATCH]>,
    /// Bytes of `buf` handed out (`convert` copies strings there).
    used: usize,
    /// Copies that did not fit in `buf`, owned by the caller's frame.
    spill: &'f mut Spill,
    pub(crate) safe: bool,
}

/// String copies that did not fit in the stack buffer (boxed, so that a call without any costs
/// one word and one test).
pub(crate) type Spill = Option<Box<Vec<Box<[u8]>>>>;

impl<'f> Ctx<'f> {
    #[inline]
    pub(crate) fn new(
        buf: &'f mut MaybeUninit<[u8; SCRATCH]>,
        spill: &'f mut Spill,
        safe: bool,
    ) -> Ctx<'f> {
        Ctx {
            buf,
            used: 0,
            spill,
            safe,
        }
    }
}

/// A number that did not fit, for error messages.
#[doc(hidden)]
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Num {
    /// A signed integer.
    I(i64),
    /// An unsigned integer.
    U(u64),
    /// A float.
    F(f64),
    /// A signed integer wider than 64 bits.
    I128(crate::Bits128),
    /// An unsigned integer wider than 64 bits.
    U128(crate::Bits128),
}

impl fmt::Display for Num {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Num::I(v) => write!(f, "{v}"),
            Num::U(v) => write!(f, "{v}"),
            Num::F(v) => write!(f, "{v:?}"),
            Num::I128(v) => write!(f, "{}", v.to_i128()),
            Num::U128(v) => write!(f, "{}", v.to_u128()),
        }
    }
}

/// Why one argument (or a return value) could not be converted. Cheap to create; the caller
/// turns it into an [`Error`](crate::Error) with the function's name and declaration.
#[doc(hidden)]
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Fault {
    /// The Rust type cannot become the C type.
    Type {
        /// What to do instead.
        hint: &'static str,
    },
    /// A number outside the C type's range.
    Range(Num),
    /// A NUL byte inside a string, at this offset.
    Nul(usize),
    /// A null pointer for a `nonnull` parameter.
    Null,
    /// A null pointer, in a safe call, where nothing says the function accepts one.
    NullUnknown,
    /// A raw pointer in a safe call.
    Raw,
    /// The variadic arguments as a whole were refused (the frame keeps why).
    Variadic,
}

/// What storing one argument returns.
type Stored = Result<(), Fault>;

pub(crate) mod sealed {
    /// Seals [`Arg`](super::Arg): implemented by ffi-auto (and the code its macros generate).
    pub trait Sealed {}
}

/// A Rust value that can be passed to a C function: numbers, `bool`, strings (`&str`,
/// `String`, `&CStr`, `CString`, `&[u8]`), `Option` of a string (null for `None`), raw
/// pointers, references to numbers (out-parameters), slices, and [`Value`](crate::Value).
///
/// Every conversion is checked against the parameter's C type before any C code runs: an
/// integer must fit (300 is not an `unsigned char`), a float is not silently truncated to an
/// integer, a string goes only to a `const char *` and must not hold a NUL.
pub trait Arg: sealed::Sealed {
    #[doc(hidden)]
    /// The direct tier (`crate::direct`): how this type passes when it is a parameter's
    /// exact C representation (`direct::NONE`: never directly).
    const DIRECT: u8 = crate::direct::NONE;
    #[doc(hidden)]
    /// What it passes as in the direct tier (`NotDirect` when it does not).
    type Direct: Copy;
    #[doc(hidden)]
    /// The value to pass in the direct tier.
    fn direct(&self) -> Self::Direct;
    #[doc(hidden)]
    /// The fast path: when the value already has the C representation of `class` (an `i32`
    /// for an `int`), stores it unconverted and returns true. Inlined, this is one compare
    /// against a constant and one store.
    #[inline(always)]
    fn store_exact(&self, class: Class, slot: &mut Slot) -> bool {
        let _ = (class, slot);
        false
    }
    #[doc(hidden)]
    /// Writes the value, converted to `class`, into `slot`.
    fn store(&self, class: Class, slot: &mut Slot, ctx: &mut Ctx<'_>) -> Result<(), Fault>;
    #[doc(hidden)]
    /// The class this value is passed as in the variadic part of a call.
    fn variadic_class(&self) -> Class;
    #[doc(hidden)]
    /// How errors show this value.
    fn describe(&self) -> String;
}

/// An argument that is safe to pass to a C function whose declaration is trusted: it carries
/// no raw pointer whose validity ffi-auto cannot check.
///
/// # Safety
/// Implemented only by types whose [`Arg::store`] writes either a plain number or a pointer to
/// memory that stays valid, readable and (for strings) NUL-terminated for the whole call.
pub unsafe trait SafeArg: Arg {}

/// Rust types a pointer parameter can point to: numbers, `bool` and raw pointers.
#[doc(hidden)]
pub trait Pointee: Copy + sealed::Sealed {
    /// What a C pointer to it points to.
    const TARGET: Target;
}

/// The items of an [`Arg`] impl for a type that never takes the direct tier.
macro_rules! not_direct {
    () => {
        type Direct = crate::direct::NotDirect;
        #[inline(always)]
        fn direct(&self) -> crate::direct::NotDirect {
            crate::direct::NotDirect::VALUE
        }
    };
}
pub(crate) use not_direct;

/// The arguments of one call: a tuple of [`Arg`]s, a single [`Arg`], or a slice, array or `Vec`
/// of [`Value`](crate::Value)s.
pub trait Args {
    #[doc(hidden)]
    /// How many arguments.
    fn count(&self) -> usize;
    #[doc(hidden)]
    /// The fast path: stores every argument with [`Arg::store_exact`] into `slots`, and
    /// returns false as soon as one needs converting (the caller then takes the checked path,
    /// which overwrites the slots). `classes` are the fixed parameters' classes.
    #[inline(always)]
    fn store_exact_all(&self, classes: &[Class], slots: &mut crate::call::InlineSlots) -> bool {
        let _ = (classes, slots);
        false
    }
    #[doc(hidden)]
    /// The direct tier's code of these arguments' types (`direct::pack`; 0: never direct).
    const DIRECT_CODE: u64 = 0;
    #[doc(hidden)]
    /// Which arguments are `&CStr`s (`direct::cstr_mask`).
    const CSTR_MASK: u64 = 0;
    #[doc(hidden)]
    /// Calls `code` directly with these arguments.
    ///
    /// # Safety
    /// `code` is a function whose C signature has exactly these arguments' direct kinds and
    /// `R`'s return kind (the plan's code equals `DIRECT_CODE` with `R::DIRECT`), taking
    /// `&CStr`s only for `const char *` parameters.
    #[inline(always)]
    unsafe fn call_direct<R: crate::ret::FromRet>(&self, code: crate::direct::Code) -> R {
        let _ = code;
        unreachable!("ffi-auto: a call without a direct code took the direct tier")
    }
    #[doc(hidden)]
    /// Stores every argument into `frame`; on failure, the index and the fault.
    fn store_all(&self, frame: &mut crate::call::Frame<'_, '_>) -> Result<(), (usize, Fault)>;
    #[doc(hidden)]
    /// How errors show argument `index`.
    fn describe(&self, index: usize) -> String;
    #[doc(hidden)]
    /// The arguments as `Value`s, when they are (the register tier takes only those).
    fn as_values(&self) -> Option<&[crate::Value<'_>]> {
        None
    }
    #[doc(hidden)]
    /// How a trace shows all the arguments.
    fn describe_all(&self) -> String {
        (0..self.count())
            .map(|i| self.describe(i))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// Arguments every one of which is a [`SafeArg`] (or a [`Value`](crate::Value), checked when
/// the call is made).
///
/// # Safety
/// Implemented only where every argument stored is safe in the sense of [`SafeArg`], or is
/// refused at run time when the call is safe.
pub unsafe trait SafeArgs: Args {}
