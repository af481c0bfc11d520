//! Rust values as C arguments: checked against the parameter's C type, then written into an
//! argument slot without allocating (short strings are copied into a stack buffer).

use std::ffi::{CStr, CString, c_char, c_void};
use std::fmt;
use std::mem::MaybeUninit;

use crate::class::{Class, Null, Target};

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
}

/// Bytes of Rust strings copied (with their NUL) per call before spilling to the heap.
pub(crate) const SCRATCH: usize = 256;

/// Per-call context: a buffer on the caller's stack for NUL-terminated copies of Rust
/// strings, and whether the call is a safe one (raw pointers refused).
#[doc(hidden)]
pub struct Ctx<'f> {
    buf: &'f mut MaybeUninit<[u8; SCRATCH]>,
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
}

impl fmt::Display for Num {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Num::I(v) => write!(f, "{v}"),
            Num::U(v) => write!(f, "{v}"),
            Num::F(v) => write!(f, "{v:?}"),
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

type Stored = Result<(), Fault>;

const HINT_INT_TO_PTR: &str =
    "pass a pointer (a string for `const char *`, or a raw pointer through `call_raw`)";
const HINT_FLOAT_TO_INT: &str =
    "C would truncate it silently; convert it explicitly (`x as i64`) if that is what you mean";
pub(crate) const HINT_STRUCT: &str = "pass a struct value: an `ffi_auto::Struct`, or the `#[repr(C)]` type `#[ffi_auto] struct name;` generates";
const HINT_TO_BOOL: &str = "pass `true` or `false`";
const HINT_STR_TO_MUT: &str = "the function may write through this pointer; pass a mutable buffer (`&mut [u8]`) through `call_raw`";
const HINT_STR_TO_OTHER: &str = "strings are passed only as `const char *`";
const HINT_NOT_NUMBER: &str = "pass a number";
const HINT_CONST_TO_MUT: &str = "the function may write through this pointer; pass a `*mut` pointer (`.cast_mut()` if you know it does not write)";
const HINT_POINTEE: &str = "pass a reference to a value of the pointed-to type, or a raw pointer";

/// Converts with a range check and stores an integer of type `$t`.
macro_rules! narrow {
    ($slot:ident, $v:expr, $num:expr, $t:ty) => {
        match <$t>::try_from($v) {
            Ok(x) => {
                $slot.put(x);
                Ok(())
            }
            Err(_) => Err(Fault::Range($num)),
        }
    };
}

#[inline]
pub(crate) fn store_i64(v: i64, class: Class, slot: &mut Slot) -> Stored {
    let num = Num::I(v);
    match class {
        Class::I8 => narrow!(slot, v, num, i8),
        Class::U8 => narrow!(slot, v, num, u8),
        Class::I16 => narrow!(slot, v, num, i16),
        Class::U16 => narrow!(slot, v, num, u16),
        Class::I32 => narrow!(slot, v, num, i32),
        Class::U32 => narrow!(slot, v, num, u32),
        Class::I64 => narrow!(slot, v, num, i64),
        Class::U64 => narrow!(slot, v, num, u64),
        Class::F64 if (v as f64) as i128 == i128::from(v) => {
            slot.put(v as f64);
            Ok(())
        }
        Class::F32 if (v as f32) as i128 == i128::from(v) => {
            slot.put(v as f32);
            Ok(())
        }
        Class::F64 | Class::F32 => Err(Fault::Range(num)),
        Class::Bool => Err(Fault::Type { hint: HINT_TO_BOOL }),
        Class::Ptr { .. } | Class::Void => Err(Fault::Type {
            hint: HINT_INT_TO_PTR,
        }),
        Class::Record(_) => Err(Fault::Type { hint: HINT_STRUCT }),
    }
}

#[inline]
pub(crate) fn store_u64(v: u64, class: Class, slot: &mut Slot) -> Stored {
    let num = Num::U(v);
    match class {
        Class::I8 => narrow!(slot, v, num, i8),
        Class::U8 => narrow!(slot, v, num, u8),
        Class::I16 => narrow!(slot, v, num, i16),
        Class::U16 => narrow!(slot, v, num, u16),
        Class::I32 => narrow!(slot, v, num, i32),
        Class::U32 => narrow!(slot, v, num, u32),
        Class::I64 => narrow!(slot, v, num, i64),
        Class::U64 => narrow!(slot, v, num, u64),
        Class::F64 if (v as f64) as u128 == u128::from(v) => {
            slot.put(v as f64);
            Ok(())
        }
        Class::F32 if (v as f32) as u128 == u128::from(v) => {
            slot.put(v as f32);
            Ok(())
        }
        Class::F64 | Class::F32 => Err(Fault::Range(num)),
        Class::Bool => Err(Fault::Type { hint: HINT_TO_BOOL }),
        Class::Ptr { .. } | Class::Void => Err(Fault::Type {
            hint: HINT_INT_TO_PTR,
        }),
        Class::Record(_) => Err(Fault::Type { hint: HINT_STRUCT }),
    }
}

#[inline]
pub(crate) fn store_f64(v: f64, class: Class, slot: &mut Slot) -> Stored {
    match class {
        Class::F64 => {
            slot.put(v);
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
        | Class::U64 => Err(Fault::Type {
            hint: HINT_FLOAT_TO_INT,
        }),
        Class::Bool => Err(Fault::Type { hint: HINT_TO_BOOL }),
        Class::Ptr { .. } | Class::Void => Err(Fault::Type {
            hint: HINT_NOT_NUMBER,
        }),
        Class::Record(_) => Err(Fault::Type { hint: HINT_STRUCT }),
    }
}

#[inline]
pub(crate) fn store_bool(b: bool, class: Class, slot: &mut Slot) -> Stored {
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
pub(crate) fn store_str(bytes: &[u8], class: Class, slot: &mut Slot, ctx: &mut Ctx<'_>) -> Stored {
    string_target(class)?;
    if let Some(i) = memchr::memchr(0, bytes) {
        return Err(Fault::Nul(i));
    }
    slot.put(ctx.c_string(bytes));
    Ok(())
}

/// A C string that is already NUL-terminated: passed as is.
#[inline]
pub(crate) fn store_cstr(s: &CStr, class: Class, slot: &mut Slot) -> Stored {
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

impl<T: Arg + ?Sized> sealed::Sealed for &T {}
impl<T: Arg + ?Sized> Arg for &T {
    #[inline(always)]
    fn store_exact(&self, class: Class, slot: &mut Slot) -> bool {
        (**self).store_exact(class, slot)
    }
    #[inline]
    fn store(&self, class: Class, slot: &mut Slot, ctx: &mut Ctx<'_>) -> Stored {
        (**self).store(class, slot, ctx)
    }
    fn variadic_class(&self) -> Class {
        (**self).variadic_class()
    }
    fn describe(&self) -> String {
        (**self).describe()
    }
}
// SAFETY: a shared reference stores exactly what its referent stores.
unsafe impl<T: SafeArg + ?Sized> SafeArg for &T {}

macro_rules! int_arg {
    ($store:ident, $wide:ty, $signed:expr; $($t:ty),*) => {$(
        impl sealed::Sealed for $t {}
        impl Arg for $t {
            #[inline(always)]
            fn store_exact(&self, class: Class, slot: &mut Slot) -> bool {
                let exact = class == const { Class::int(size_of::<$t>() as u8, $signed) };
                if exact {
                    slot.put(*self);
                }
                exact
            }
            #[inline]
            fn store(&self, class: Class, slot: &mut Slot, _ctx: &mut Ctx<'_>) -> Stored {
                $store(*self as $wide, class, slot)
            }
            fn variadic_class(&self) -> Class {
                Class::int(size_of::<$t>() as u8, $signed).promote()
            }
            fn describe(&self) -> String {
                format!("`{}` ({})", self, stringify!($t))
            }
        }
        // SAFETY: an integer is stored by value.
        unsafe impl SafeArg for $t {}
    )*};
}

int_arg!(store_i64, i64, true; i8, i16, i32, i64, isize);
int_arg!(store_u64, u64, false; u8, u16, u32, u64, usize);

impl sealed::Sealed for f64 {}
impl Arg for f64 {
    #[inline(always)]
    fn store_exact(&self, class: Class, slot: &mut Slot) -> bool {
        let exact = class == Class::F64;
        if exact {
            slot.put(*self);
        }
        exact
    }
    #[inline]
    fn store(&self, class: Class, slot: &mut Slot, _ctx: &mut Ctx<'_>) -> Stored {
        store_f64(*self, class, slot)
    }
    fn variadic_class(&self) -> Class {
        Class::F64
    }
    fn describe(&self) -> String {
        format!("`{self:?}` (f64)")
    }
}
// SAFETY: a float is stored by value.
unsafe impl SafeArg for f64 {}

impl sealed::Sealed for f32 {}
impl Arg for f32 {
    #[inline(always)]
    fn store_exact(&self, class: Class, slot: &mut Slot) -> bool {
        let exact = class == Class::F32;
        if exact {
            slot.put(*self);
        }
        exact
    }
    #[inline]
    fn store(&self, class: Class, slot: &mut Slot, _ctx: &mut Ctx<'_>) -> Stored {
        if class == Class::F32 {
            slot.put(*self);
            Ok(())
        } else {
            store_f64(f64::from(*self), class, slot)
        }
    }
    fn variadic_class(&self) -> Class {
        Class::F32.promote()
    }
    fn describe(&self) -> String {
        format!("`{self:?}` (f32)")
    }
}
// SAFETY: a float is stored by value.
unsafe impl SafeArg for f32 {}

impl sealed::Sealed for bool {}
impl Arg for bool {
    #[inline(always)]
    fn store_exact(&self, class: Class, slot: &mut Slot) -> bool {
        let exact = class == Class::Bool;
        if exact {
            slot.put(u8::from(*self));
        }
        exact
    }
    #[inline]
    fn store(&self, class: Class, slot: &mut Slot, _ctx: &mut Ctx<'_>) -> Stored {
        store_bool(*self, class, slot)
    }
    fn variadic_class(&self) -> Class {
        Class::Bool.promote()
    }
    fn describe(&self) -> String {
        format!("`{self}` (bool)")
    }
}
// SAFETY: a bool is stored by value.
unsafe impl SafeArg for bool {}

const STRING_CLASS: Class = Class::Ptr {
    target: Target::Byte,
    is_const: true,
    null: Null::Unknown,
};

fn describe_str(s: &[u8]) -> String {
    let text = String::from_utf8_lossy(s);
    if text.chars().count() > 40 {
        let short: String = text.chars().take(40).collect();
        format!("a string ({short:?}...)")
    } else {
        format!("a string ({text:?})")
    }
}

/// The bytes of a string argument, for error messages.
trait StrBytes {
    fn bytes(&self) -> &[u8];
    /// The pointer to pass when the string is already NUL-terminated.
    #[inline(always)]
    fn c_ptr(&self) -> Option<*const c_char> {
        None
    }
}

impl StrBytes for str {
    fn bytes(&self) -> &[u8] {
        self.as_bytes()
    }
}
impl StrBytes for String {
    fn bytes(&self) -> &[u8] {
        self.as_bytes()
    }
}
impl StrBytes for [u8] {
    fn bytes(&self) -> &[u8] {
        self
    }
}
impl StrBytes for Vec<u8> {
    fn bytes(&self) -> &[u8] {
        self
    }
}
impl StrBytes for CStr {
    fn bytes(&self) -> &[u8] {
        self.to_bytes()
    }
    #[inline(always)]
    fn c_ptr(&self) -> Option<*const c_char> {
        Some(self.as_ptr())
    }
}
impl StrBytes for CString {
    fn bytes(&self) -> &[u8] {
        self.as_bytes()
    }
    #[inline(always)]
    fn c_ptr(&self) -> Option<*const c_char> {
        Some(self.as_ptr())
    }
}

macro_rules! string_arg {
    ($($t:ty => |$s:ident, $class:ident, $slot:ident, $ctx:ident| $body:expr;)*) => {$(
        impl sealed::Sealed for $t {}
        impl Arg for $t {
            #[inline(always)]
            fn store_exact(&self, class: Class, slot: &mut Slot) -> bool {
                match (StrBytes::c_ptr(self), class) {
                    (Some(p), Class::Ptr { target: Target::Byte, is_const: true, .. }) => {
                        slot.put(p);
                        true
                    }
                    _ => false,
                }
            }
            #[inline]
            fn store(&self, $class: Class, $slot: &mut Slot, $ctx: &mut Ctx<'_>) -> Stored {
                let $s = self;
                $body
            }
            fn variadic_class(&self) -> Class {
                STRING_CLASS
            }
            fn describe(&self) -> String {
                describe_str(StrBytes::bytes(self))
            }
        }
        // SAFETY: a string is passed as a pointer to a NUL-terminated copy (or, for `CStr`,
        // the original), valid and unmodified for the whole call, and only to a `const`
        // one-byte pointee.
        unsafe impl SafeArg for $t {}
    )*};
}

string_arg! {
    str => |s, class, slot, ctx| store_str(s.as_bytes(), class, slot, ctx);
    String => |s, class, slot, ctx| store_str(s.as_bytes(), class, slot, ctx);
    [u8] => |s, class, slot, ctx| store_str(s, class, slot, ctx);
    Vec<u8> => |s, class, slot, ctx| store_str(s, class, slot, ctx);
    CStr => |s, class, slot, _ctx| store_cstr(s, class, slot);
    CString => |s, class, slot, _ctx| store_cstr(s, class, slot);
}

impl<T: Arg + ?Sized> sealed::Sealed for Option<&T> {}
impl<T: Arg + ?Sized> Arg for Option<&T> {
    #[inline]
    fn store(&self, class: Class, slot: &mut Slot, ctx: &mut Ctx<'_>) -> Stored {
        match self {
            Some(v) => v.store(class, slot, ctx),
            None => store_null(class, slot, ctx),
        }
    }
    fn variadic_class(&self) -> Class {
        match self {
            Some(v) => Arg::variadic_class(*v),
            None => Class::Ptr {
                target: Target::Void,
                is_const: true,
                null: Null::Unknown,
            },
        }
    }
    fn describe(&self) -> String {
        match self {
            Some(v) => Arg::describe(*v),
            None => "null (`None`)".to_owned(),
        }
    }
}
// SAFETY: `None` is a null pointer, which C receives only where the declaration does not mark
// the parameter nonnull; `Some` stores what its safe referent stores.
unsafe impl<T: SafeArg + ?Sized> SafeArg for Option<&T> {}

/// Rust types a pointer parameter can point to: numbers, `bool` and raw pointers.
#[doc(hidden)]
pub trait Pointee: Copy + sealed::Sealed {
    /// What a C pointer to it points to.
    const TARGET: Target;
}

macro_rules! pointee {
    ($($t:ty => $target:expr),*) => {$(
        impl Pointee for $t { const TARGET: Target = $target; }
    )*};
}

const fn int_target(size: usize, signed: bool) -> Target {
    if size == 1 {
        Target::Byte
    } else {
        Target::Int {
            size: size as u8,
            signed,
        }
    }
}

pointee! {
    i8 => int_target(1, true), i16 => int_target(2, true), i32 => int_target(4, true),
    i64 => int_target(8, true), isize => int_target(size_of::<isize>(), true),
    u8 => int_target(1, false), u16 => int_target(2, false), u32 => int_target(4, false),
    u64 => int_target(8, false), usize => int_target(size_of::<usize>(), false),
    f32 => Target::F32, f64 => Target::F64, bool => Target::Bool
}

impl<T> sealed::Sealed for *const T {}
impl<T> sealed::Sealed for *mut T {}
impl<T> Pointee for *const T {
    const TARGET: Target = Target::Ptr;
}
impl<T> Pointee for *mut T {
    const TARGET: Target = Target::Ptr;
}

const PTR_VARIADIC: Class = Class::Ptr {
    target: Target::Void,
    is_const: false,
    null: Null::Unknown,
};

impl<T> Arg for *const T {
    #[inline]
    fn store(&self, class: Class, slot: &mut Slot, ctx: &mut Ctx<'_>) -> Stored {
        store_ptr(self.cast(), true, None, class, slot, ctx)
    }
    fn variadic_class(&self) -> Class {
        PTR_VARIADIC
    }
    fn describe(&self) -> String {
        format!(
            "a raw pointer ({:p}, {})",
            *self,
            std::any::type_name::<Self>()
        )
    }
}

impl<T> Arg for *mut T {
    #[inline]
    fn store(&self, class: Class, slot: &mut Slot, ctx: &mut Ctx<'_>) -> Stored {
        store_ptr(self.cast_const().cast(), false, None, class, slot, ctx)
    }
    fn variadic_class(&self) -> Class {
        PTR_VARIADIC
    }
    fn describe(&self) -> String {
        format!(
            "a raw pointer ({:p}, {})",
            *self,
            std::any::type_name::<Self>()
        )
    }
}

/// `&mut x` passes a pointer to `x`: an out-parameter (`long *`, `char **`).
impl<T: Pointee> sealed::Sealed for &mut T {}
impl<T: Pointee> Arg for &mut T {
    #[inline]
    fn store(&self, class: Class, slot: &mut Slot, ctx: &mut Ctx<'_>) -> Stored {
        let p: *const T = &raw const **self;
        store_ptr(p.cast(), false, Some(T::TARGET), class, slot, ctx)
    }
    fn variadic_class(&self) -> Class {
        PTR_VARIADIC
    }
    fn describe(&self) -> String {
        format!("a mutable reference ({})", std::any::type_name::<Self>())
    }
}

/// A slice passes a pointer to its first element (`const int *values`); its length is yours to
/// pass. `[u8]` is the exception: it is a byte string (see [`Arg`]).
macro_rules! slice_arg {
    ($($t:ty),*) => {$(
        impl sealed::Sealed for [$t] {}
        impl Arg for [$t] {
            #[inline]
            fn store(&self, class: Class, slot: &mut Slot, ctx: &mut Ctx<'_>) -> Stored {
                store_ptr(self.as_ptr().cast(), true, Some(<$t as Pointee>::TARGET), class, slot, ctx)
            }
            fn variadic_class(&self) -> Class {
                PTR_VARIADIC
            }
            fn describe(&self) -> String {
                format!("a slice (&[{}; {}])", stringify!($t), self.len())
            }
        }
    )*};
}

slice_arg!(i8, i16, i32, i64, isize, u16, u32, u64, usize, f32, f64);

impl<T: Pointee> sealed::Sealed for &mut [T] {}
impl<T: Pointee> Arg for &mut [T] {
    #[inline]
    fn store(&self, class: Class, slot: &mut Slot, ctx: &mut Ctx<'_>) -> Stored {
        store_ptr(
            self.as_ptr().cast(),
            false,
            Some(T::TARGET),
            class,
            slot,
            ctx,
        )
    }
    fn variadic_class(&self) -> Class {
        PTR_VARIADIC
    }
    fn describe(&self) -> String {
        format!(
            "a mutable slice (&mut [{}; {}])",
            std::any::type_name::<T>(),
            self.len()
        )
    }
}

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
    /// Stores every argument into `frame`; on failure, the index and the fault.
    fn store_all(&self, frame: &mut crate::call::Frame<'_, '_>) -> Result<(), (usize, Fault)>;
    #[doc(hidden)]
    /// How errors show argument `index`.
    fn describe(&self, index: usize) -> String;
}

/// Arguments every one of which is a [`SafeArg`] (or a [`Value`](crate::Value), checked when
/// the call is made).
///
/// # Safety
/// Implemented only where every argument stored is safe in the sense of [`SafeArg`], or is
/// refused at run time when the call is safe.
pub unsafe trait SafeArgs: Args {}

impl Args for () {
    fn count(&self) -> usize {
        0
    }
    #[inline(always)]
    fn store_exact_all(&self, classes: &[Class], _slots: &mut crate::call::InlineSlots) -> bool {
        classes.is_empty()
    }
    fn store_all(&self, _frame: &mut crate::call::Frame<'_, '_>) -> Result<(), (usize, Fault)> {
        Ok(())
    }
    fn describe(&self, _index: usize) -> String {
        String::new()
    }
}
// SAFETY: no arguments.
unsafe impl SafeArgs for () {}

impl<T: Arg> Args for T {
    #[inline]
    fn count(&self) -> usize {
        1
    }
    #[inline(always)]
    fn store_exact_all(&self, classes: &[Class], slots: &mut crate::call::InlineSlots) -> bool {
        // SAFETY: slot 0 of `INLINE >= 1` slots; a `Slot` is valid uninitialized.
        let slot = unsafe { &mut *slots.as_mut_ptr().cast::<Slot>() };
        classes.len() == 1 && self.store_exact(classes[0], slot)
    }
    #[inline]
    fn store_all(&self, frame: &mut crate::call::Frame<'_, '_>) -> Result<(), (usize, Fault)> {
        frame.push(0, self)
    }
    fn describe(&self, _index: usize) -> String {
        Arg::describe(self)
    }
}
// SAFETY: one safe argument.
unsafe impl<T: SafeArg> SafeArgs for T {}

macro_rules! tuple_args {
    ($n:expr; $($idx:tt $t:ident),+) => {
        impl<$($t: Arg),+> Args for ($($t,)+) {
            #[inline]
            fn count(&self) -> usize {
                $n
            }
            #[inline(always)]
            fn store_exact_all(&self, classes: &[Class], slots: &mut crate::call::InlineSlots) -> bool {
                let base = slots.as_mut_ptr().cast::<Slot>();
                classes.len() == $n $(&& self.$idx.store_exact(classes[$idx], {
                    // SAFETY: tuples have at most 16 = INLINE elements, so the slot is in
                    // bounds; a `Slot` is `MaybeUninit` bytes, valid uninitialized.
                    unsafe { &mut *base.add($idx) }
                }))+
            }
            #[inline]
            fn store_all(&self, frame: &mut crate::call::Frame<'_, '_>) -> Result<(), (usize, Fault)> {
                $(frame.push($idx, &self.$idx)?;)+
                Ok(())
            }
            fn describe(&self, index: usize) -> String {
                match index {
                    $($idx => Arg::describe(&self.$idx),)+
                    _ => String::new(),
                }
            }
        }
        // SAFETY: every element is a safe argument.
        unsafe impl<$($t: SafeArg),+> SafeArgs for ($($t,)+) {}
    };
}

tuple_args!(1; 0 A);
tuple_args!(2; 0 A, 1 B);
tuple_args!(3; 0 A, 1 B, 2 C);
tuple_args!(4; 0 A, 1 B, 2 C, 3 D);
tuple_args!(5; 0 A, 1 B, 2 C, 3 D, 4 E);
tuple_args!(6; 0 A, 1 B, 2 C, 3 D, 4 E, 5 F);
tuple_args!(7; 0 A, 1 B, 2 C, 3 D, 4 E, 5 F, 6 G);
tuple_args!(8; 0 A, 1 B, 2 C, 3 D, 4 E, 5 F, 6 G, 7 H);
tuple_args!(9; 0 A, 1 B, 2 C, 3 D, 4 E, 5 F, 6 G, 7 H, 8 I);
tuple_args!(10; 0 A, 1 B, 2 C, 3 D, 4 E, 5 F, 6 G, 7 H, 8 I, 9 J);
tuple_args!(11; 0 A, 1 B, 2 C, 3 D, 4 E, 5 F, 6 G, 7 H, 8 I, 9 J, 10 K);
tuple_args!(12; 0 A, 1 B, 2 C, 3 D, 4 E, 5 F, 6 G, 7 H, 8 I, 9 J, 10 K, 11 L);
tuple_args!(13; 0 A, 1 B, 2 C, 3 D, 4 E, 5 F, 6 G, 7 H, 8 I, 9 J, 10 K, 11 L, 12 M);
tuple_args!(14; 0 A, 1 B, 2 C, 3 D, 4 E, 5 F, 6 G, 7 H, 8 I, 9 J, 10 K, 11 L, 12 M, 13 N);
tuple_args!(15; 0 A, 1 B, 2 C, 3 D, 4 E, 5 F, 6 G, 7 H, 8 I, 9 J, 10 K, 11 L, 12 M, 13 N, 14 O);
tuple_args!(16; 0 A, 1 B, 2 C, 3 D, 4 E, 5 F, 6 G, 7 H, 8 I, 9 J, 10 K, 11 L, 12 M, 13 N, 14 O, 15 P);
