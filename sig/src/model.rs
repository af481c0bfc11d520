//! Sizes of C's basic types on one target.

use core::ffi::{c_char, c_int, c_long, c_longlong, c_short, c_void};
use core::mem::{align_of, size_of};

/// Size and alignment of one C type, in bytes.
///
/// ```
/// use ffi_auto_sig::Scalar;
/// let s = Scalar::new(4, 4);
/// assert_eq!((s.size, s.align), (4, 4));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Scalar {
    /// `sizeof`.
    pub size: u8,
    /// `_Alignof`.
    pub align: u8,
}

impl Scalar {
    /// A size and an alignment.
    pub const fn new(size: u8, align: u8) -> Scalar {
        Scalar { size, align }
    }

    const fn of<T>() -> Scalar {
        Scalar {
            size: size_of::<T>() as u8,
            align: align_of::<T>() as u8,
        }
    }
}

/// The sizes, alignments and signedness of C's basic types on one target.
///
/// Nothing in ffi-auto assumes LP64: `long` is 32 bits on Windows, `char` is unsigned on
/// aarch64 Linux, and every size comes from a `DataModel`. [`DataModel::native`] describes the
/// target this crate was compiled for; the discovery engine builds one from what libclang reports
/// for the target it parses for.
///
/// ```
/// use ffi_auto_sig::DataModel;
/// let dm = DataModel::native();
/// assert_eq!(dm.long.size as usize, size_of::<core::ffi::c_long>());
/// assert_eq!(dm.char_signed, core::ffi::c_char::MIN != 0);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct DataModel {
    /// Whether plain `char` is signed.
    pub char_signed: bool,
    /// `_Bool`.
    pub bool_: Scalar,
    /// `short`.
    pub short: Scalar,
    /// `int`.
    pub int: Scalar,
    /// `long`.
    pub long: Scalar,
    /// `long long`.
    pub long_long: Scalar,
    /// Any data pointer, and `intptr_t`.
    pub pointer: Scalar,
    /// `size_t`, `ssize_t` and `ptrdiff_t`.
    pub size_t: Scalar,
    /// `float`.
    pub float: Scalar,
    /// `double`.
    pub double: Scalar,
    /// `long double`, when the target has one ffi-auto knows the layout of.
    pub long_double: Option<Scalar>,
    /// Alignment of `int64_t`/`uint64_t` (4 on 32-bit x86 Linux inside structs).
    pub int64_align: u8,
}

impl DataModel {
    /// The data model of the target this crate was compiled for.
    pub const fn native() -> DataModel {
        DataModel {
            char_signed: c_char::MIN != 0,
            bool_: Scalar::of::<bool>(),
            short: Scalar::of::<c_short>(),
            int: Scalar::of::<c_int>(),
            long: Scalar::of::<c_long>(),
            long_long: Scalar::of::<c_longlong>(),
            pointer: Scalar::of::<*const c_void>(),
            size_t: Scalar::of::<usize>(),
            float: Scalar::of::<f32>(),
            double: Scalar::of::<f64>(),
            long_double: native_long_double(),
            int64_align: align_of::<i64>() as u8,
        }
    }
}

impl Default for DataModel {
    fn default() -> Self {
        DataModel::native()
    }
}

/// Rust has no `long double`, so its layout comes from the platform ABI documents.
const fn native_long_double() -> Option<Scalar> {
    if cfg!(all(target_arch = "x86_64", not(windows))) {
        // x87 80-bit extended precision in a 16-byte slot (System V AMD64 ABI 3.1.2).
        Some(Scalar::new(16, 16))
    } else if cfg!(all(target_arch = "x86", not(windows))) {
        Some(Scalar::new(12, 4))
    } else if cfg!(any(windows, target_vendor = "apple")) {
        // Same as double.
        Some(Scalar::new(8, 8))
    } else if cfg!(any(
        target_arch = "aarch64",
        target_arch = "riscv64",
        target_arch = "powerpc64",
        target_arch = "s390x"
    )) {
        // IEEE binary128 (or double-double on PowerPC), 16 bytes.
        Some(Scalar::new(16, 16))
    } else {
        None
    }
}
