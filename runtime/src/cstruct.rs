//! What the `#[ffi_auto] struct` expansion needs from the runtime, with or without the dynamic
//! engine: the [`CStruct`] trait and the macro that implements the traits a generated struct
//! has (`RustType` always; `Arg` and `FromRet`, for passing it through the dynamic engine,
//! with the `dynamic` feature).

use std::sync::Arc;

use ffi_auto_sig::Record;

/// Implemented by the `#[repr(C)]` structs `#[ffi_auto] struct name;` generates: the layout
/// the type was checked against, so that it passes by value where the header says so.
///
/// # Safety
/// The type is `#[repr(C)]` and its layout is exactly [`CStruct::record`]'s.
pub unsafe trait CStruct: Copy + 'static {
    /// The layout, as the header gives it.
    fn record() -> Arc<Record>;
}

/// Implements [`Arg`](crate::Arg), [`FromRet`](crate::FromRet) and `RustType` for a `CStruct` type (used by
/// the `#[ffi_auto] struct` expansion).
#[cfg(feature = "dynamic")]
#[doc(hidden)]
#[macro_export]
macro_rules! __c_struct_impls {
    ($t:ty) => {
        impl $crate::__private::ArgSealed for $t {}
        impl $crate::Arg for $t {
            type Direct = $crate::__private::NotDirect;
            fn direct(&self) -> $crate::__private::NotDirect {
                $crate::__private::NotDirect::VALUE
            }
            fn store(
                &self,
                class: $crate::__private::Class,
                slot: &mut $crate::__private::Slot,
                ctx: &mut $crate::__private::Ctx<'_>,
            ) -> ::core::result::Result<(), $crate::__private::Fault> {
                static REC: ::std::sync::OnceLock<Option<$crate::__private::RecordRef>> =
                    ::std::sync::OnceLock::new();
                let rec = *REC.get_or_init($crate::__private::record_ref_of::<$t>);
                $crate::__private::store_record(
                    ::core::ptr::from_ref(self).cast(),
                    rec,
                    class,
                    slot,
                    ctx,
                )
            }
            fn variadic_class(&self) -> $crate::__private::Class {
                // Not passed in a variadic tail: `store_record` refuses it.
                $crate::__private::Class::Void
            }
            fn describe(&self) -> ::std::string::String {
                ::std::format!("a `{}`", ::core::any::type_name::<$t>())
            }
        }
        // SAFETY: a struct by value is a copy of the caller's value, alive for the call; one
        // that holds pointers is refused by `store_record` in a safe call.
        unsafe impl $crate::SafeArg for $t {}
        impl $crate::__private::RetSealed for $t {}
        impl $crate::FromRet for $t {
            type Wide = $crate::__private::NotDirect;
            fn from_wide(w: $crate::__private::NotDirect) -> Self {
                let _ = w;
                ::core::unreachable!("ffi-auto: a struct return took the direct tier")
            }
            const NAME: &'static str = ::core::stringify!($t);
            fn from_ret(
                class: $crate::__private::Class,
                ret: &$crate::__private::RetBuf,
            ) -> ::core::result::Result<Self, $crate::__private::Fault> {
                static REC: ::std::sync::OnceLock<Option<$crate::__private::RecordRef>> =
                    ::std::sync::OnceLock::new();
                let rec = *REC.get_or_init($crate::__private::record_ref_of::<$t>);
                $crate::__private::read_record::<$t>(rec, class, ret)
            }
        }
        // SAFETY: the `CStruct` contract: `#[repr(C)]` with exactly this record's layout.
        unsafe impl $crate::sig::RustType for $t {
            fn c_type() -> $crate::sig::CType {
                $crate::sig::CType::Record(<$t as $crate::CStruct>::record())
            }
        }
    };
}

/// Implements `RustType` for a `CStruct` type (used by the `#[ffi_auto] struct` expansion;
/// without the `dynamic` feature there is no engine to pass it through).
#[cfg(not(feature = "dynamic"))]
#[doc(hidden)]
#[macro_export]
macro_rules! __c_struct_impls {
    ($t:ty) => {
        // SAFETY: the `CStruct` contract: `#[repr(C)]` with exactly this record's layout.
        unsafe impl $crate::sig::RustType for $t {
            fn c_type() -> $crate::sig::CType {
                $crate::sig::CType::Record(<$t as $crate::CStruct>::record())
            }
        }
    };
}

/// An item of generated code that needs the dynamic engine (a `dynamic` entry of the macros):
/// the item itself with the `dynamic` feature.
#[cfg(feature = "dynamic")]
#[doc(hidden)]
#[macro_export]
macro_rules! __dynamic_item {
    ($($item:tt)*) => { $($item)* };
}

/// An item of generated code that needs the dynamic engine, without the `dynamic` feature: a
/// compile error that says so.
#[cfg(not(feature = "dynamic"))]
#[doc(hidden)]
#[macro_export]
macro_rules! __dynamic_item {
    ($($item:tt)*) => {
        ::core::compile_error!(
            "this entry calls through ffi-auto's dynamic engine (`dynamic`: by name, through libffi), which is not enabled\nhint: enable the `dynamic` feature of ffi-auto (on by default), or declare the function from a header so that it is called directly"
        );
    };
}
