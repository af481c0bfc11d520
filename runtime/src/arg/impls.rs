//! [`Arg`] for Rust's own types: integers, floats, `bool`, strings, `Option` of a reference
//! (null for `None`), raw pointers, `&mut` out-parameters and slices. Each stores exactly on
//! the fast path where its type is the parameter's C representation, and otherwise goes
//! through `convert`.

use std::ffi::{CStr, CString, c_char};

use super::convert::{
    Int, store_bool, store_cstr, store_f64, store_int, store_null, store_ptr, store_str,
};
use super::{Arg, Ctx, Pointee, SafeArg, Slot, Stored, sealed};
use crate::class::{Class, Null, Target};

/// The direct-tier items of a type that passes as itself (a number, `bool`) with `$kind`.
macro_rules! direct_itself {
    ($kind:expr) => {
        const DIRECT: u8 = $kind;
        type Direct = Self;
        #[inline(always)]
        fn direct(&self) -> Self {
            *self
        }
    };
}

impl<T: Arg + ?Sized> sealed::Sealed for &T {}
impl<T: Arg + ?Sized> Arg for &T {
    const DIRECT: u8 = T::DIRECT;
    type Direct = T::Direct;
    #[inline(always)]
    fn direct(&self) -> T::Direct {
        (**self).direct()
    }
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

/// Integers: exact where the parameter is the same size and signedness, else range-checked
/// (`store_int` takes every Rust integer widened to 64 bits, with its signedness).
macro_rules! int_arg {
    ($signed:expr, $int:ident, $wide:ty; $($t:ty),*) => {$(
        impl sealed::Sealed for $t {}
        impl Arg for $t {
            direct_itself!(crate::direct::kind(Class::int(size_of::<$t>() as u8, $signed)));
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
                store_int(Int::$int(*self as $wide), class, slot)
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

int_arg!(true, Signed, i64; i8, i16, i32, i64, isize);
int_arg!(false, Unsigned, u64; u8, u16, u32, u64, usize);

impl sealed::Sealed for f64 {}
impl Arg for f64 {
    direct_itself!(crate::direct::F64);
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
    direct_itself!(crate::direct::F32);
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
    direct_itself!(crate::direct::BOOL);
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
    /// `direct::CSTR` for the NUL-terminated types, which pass as themselves.
    const DIRECT: u8 = crate::direct::NONE;
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
    const DIRECT: u8 = crate::direct::CSTR;
    fn bytes(&self) -> &[u8] {
        self.to_bytes()
    }
    #[inline(always)]
    fn c_ptr(&self) -> Option<*const c_char> {
        Some(self.as_ptr())
    }
}
impl StrBytes for CString {
    const DIRECT: u8 = crate::direct::CSTR;
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
            const DIRECT: u8 = <$t as StrBytes>::DIRECT;
            type Direct = *const c_char;
            #[inline(always)]
            fn direct(&self) -> *const c_char {
                StrBytes::c_ptr(self).unwrap_or(std::ptr::null())
            }
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
    super::not_direct!();
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
    super::not_direct!();
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
    super::not_direct!();
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
    super::not_direct!();
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
    super::not_direct!();
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
    super::not_direct!();
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
