//! Signatures from Rust types: `Signature::of::<unsafe extern "C" fn(*const c_char) -> usize>()`.

use core::ffi::c_void;

use crate::signature::Signature;
use crate::types::{CType, IntKind};

/// A Rust type with a C counterpart.
///
/// Rust's `core::ffi::c_long` is an alias of `i64` or `i32`, so the C type of an alias is the
/// fixed-width type of the same size (`int64_t`), which has the same ABI.
///
/// ```
/// use ffi_auto_sig::{CType, IntKind, RustType};
/// assert_eq!(<usize as RustType>::c_type(), CType::SIZE_T);
/// assert_eq!(<*const u8 as RustType>::c_type().to_string(), "const uint8_t *");
/// ```
///
/// # Safety
/// `c_type` is the C type whose ABI and valid values this Rust type has: ffi-auto lets C
/// pass values of that C type to Rust functions taking this type (callbacks), and reads C
/// returns as it.
pub unsafe trait RustType {
    /// The C type.
    fn c_type() -> CType;
}

macro_rules! rust_type {
    ($($t:ty => $c:expr),* $(,)?) => {$(
        // SAFETY: each Rust type is its C counterpart's ABI; `bool` is C's `_Bool`.
        unsafe impl RustType for $t {
            fn c_type() -> CType {
                $c
            }
        }
    )*};
}

rust_type! {
    () => CType::Void,
    c_void => CType::Void,
    bool => CType::Bool,
    i8 => CType::Int(IntKind::I8),
    i16 => CType::Int(IntKind::I16),
    i32 => CType::Int(IntKind::I32),
    i64 => CType::Int(IntKind::I64),
    u8 => CType::Int(IntKind::U8),
    u16 => CType::Int(IntKind::U16),
    u32 => CType::Int(IntKind::U32),
    u64 => CType::Int(IntKind::U64),
    usize => CType::SIZE_T,
    isize => CType::SSIZE_T,
    f32 => CType::FLOAT,
    f64 => CType::DOUBLE,
}

// SAFETY: a raw pointer is any C pointer; every address is a valid raw pointer.
unsafe impl<T: RustType> RustType for *const T {
    fn c_type() -> CType {
        CType::const_ptr(T::c_type())
    }
}

// SAFETY: as above.
unsafe impl<T: RustType> RustType for *mut T {
    fn c_type() -> CType {
        CType::mut_ptr(T::c_type())
    }
}

/// A Rust `extern "C"` function pointer type, whose signature is known from the type alone.
///
/// # Safety
/// Implemented only for function pointer types: [`FnPointer::addr`] must return the address of
/// a function whose C signature is [`FnPointer::signature`].
///
/// ```
/// use core::ffi::{c_char, c_int};
/// use ffi_auto_sig::Signature;
/// let s = Signature::of::<unsafe extern "C" fn(*const c_char, ...) -> c_int>();
/// assert_eq!(s.to_string(), "int32_t (const int8_t *, ...)");
/// assert!(s.variadic);
/// ```
pub unsafe trait FnPointer: Copy {
    /// The signature of the pointed-to function.
    fn signature() -> Signature;
    /// The address of the pointed-to function.
    fn addr(self) -> *const c_void;
}

impl Signature {
    /// The signature of a Rust `extern "C" fn` pointer type.
    pub fn of<F: FnPointer>() -> Signature {
        F::signature()
    }
}

macro_rules! fn_pointer {
    ($($a:ident),*) => {
        // SAFETY: a function pointer type; its address is the function's.
        unsafe impl<R: RustType $(, $a: RustType)*> FnPointer for extern "C" fn($($a),*) -> R {
            fn signature() -> Signature {
                Signature::new(R::c_type())$(.param($a::c_type()))*
            }
            fn addr(self) -> *const c_void {
                self as *const c_void
            }
        }
        // SAFETY: as above.
        unsafe impl<R: RustType $(, $a: RustType)*> FnPointer for unsafe extern "C" fn($($a),*) -> R {
            fn signature() -> Signature {
                Signature::new(R::c_type())$(.param($a::c_type()))*
            }
            fn addr(self) -> *const c_void {
                self as *const c_void
            }
        }
        // SAFETY: `Option<fn>` is a nullable function pointer of exactly this signature.
        unsafe impl<R: RustType $(, $a: RustType)*> RustType for Option<extern "C" fn($($a),*) -> R> {
            fn c_type() -> CType {
                CType::FnPtr(<extern "C" fn($($a),*) -> R as FnPointer>::signature().into())
            }
        }
        // SAFETY: as above.
        unsafe impl<R: RustType $(, $a: RustType)*> RustType for Option<unsafe extern "C" fn($($a),*) -> R> {
            fn c_type() -> CType {
                CType::FnPtr(<unsafe extern "C" fn($($a),*) -> R as FnPointer>::signature().into())
            }
        }
    };
}

macro_rules! fn_pointer_variadic {
    ($($a:ident),+) => {
        // SAFETY: a function pointer type; its address is the function's.
        unsafe impl<R: RustType $(, $a: RustType)+> FnPointer for unsafe extern "C" fn($($a),+ , ...) -> R {
            fn signature() -> Signature {
                Signature::new(R::c_type())$(.param($a::c_type()))+.variadic()
            }
            fn addr(self) -> *const c_void {
                self as *const c_void
            }
        }
    };
}

fn_pointer!();
fn_pointer!(A1);
fn_pointer!(A1, A2);
fn_pointer!(A1, A2, A3);
fn_pointer!(A1, A2, A3, A4);
fn_pointer!(A1, A2, A3, A4, A5);
fn_pointer!(A1, A2, A3, A4, A5, A6);
fn_pointer!(A1, A2, A3, A4, A5, A6, A7);
fn_pointer!(A1, A2, A3, A4, A5, A6, A7, A8);
fn_pointer!(A1, A2, A3, A4, A5, A6, A7, A8, A9);
fn_pointer!(A1, A2, A3, A4, A5, A6, A7, A8, A9, A10);
fn_pointer!(A1, A2, A3, A4, A5, A6, A7, A8, A9, A10, A11);
fn_pointer!(A1, A2, A3, A4, A5, A6, A7, A8, A9, A10, A11, A12);
fn_pointer!(A1, A2, A3, A4, A5, A6, A7, A8, A9, A10, A11, A12, A13);
fn_pointer!(A1, A2, A3, A4, A5, A6, A7, A8, A9, A10, A11, A12, A13, A14);
fn_pointer_variadic!(A1);
fn_pointer_variadic!(A1, A2);
fn_pointer_variadic!(A1, A2, A3);
fn_pointer_variadic!(A1, A2, A3, A4);
fn_pointer_variadic!(A1, A2, A3, A4, A5);
fn_pointer_variadic!(A1, A2, A3, A4, A5, A6);
