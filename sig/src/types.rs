//! C types as C sees them: `long` stays `long` and `char` keeps its own signedness until a
//! [`DataModel`] says what they are on a target.

use std::fmt;
use std::sync::Arc;

use crate::model::{DataModel, Scalar};
use crate::record::Record;
use crate::signature::Signature;

/// C's integer types, each kept under its own name.
///
/// `long` and `long long` are different kinds even where both are 64 bits, and `size_t` is not
/// `unsigned long`: the name is what the user wrote and what errors show; the size and sign come
/// from a [`DataModel`].
///
/// ```
/// use ffi_auto_sig::{DataModel, IntKind};
/// let dm = DataModel::native();
/// assert_eq!(IntKind::Long.size(&dm) as usize, size_of::<core::ffi::c_long>());
/// assert!(!IntKind::Size.is_signed(&dm));
/// assert_eq!(IntKind::UChar.c_name(), "unsigned char");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum IntKind {
    /// `char` (its sign depends on the target).
    Char,
    /// `signed char`.
    SChar,
    /// `unsigned char`.
    UChar,
    /// `short`.
    Short,
    /// `unsigned short`.
    UShort,
    /// `int`.
    Int,
    /// `unsigned int`.
    UInt,
    /// `long`.
    Long,
    /// `unsigned long`.
    ULong,
    /// `long long`.
    LongLong,
    /// `unsigned long long`.
    ULongLong,
    /// `int8_t`.
    I8,
    /// `int16_t`.
    I16,
    /// `int32_t`.
    I32,
    /// `int64_t`.
    I64,
    /// `uint8_t`.
    U8,
    /// `uint16_t`.
    U16,
    /// `uint32_t`.
    U32,
    /// `uint64_t`.
    U64,
    /// `size_t`.
    Size,
    /// `ssize_t`.
    SSize,
    /// `ptrdiff_t`.
    PtrDiff,
    /// `intptr_t`.
    IntPtr,
    /// `uintptr_t`.
    UIntPtr,
    /// `__int128` (GCC and clang; Rust's `i128` has its ABI on x86-64 and aarch64).
    I128,
    /// `unsigned __int128`.
    U128,
}

impl IntKind {
    /// Every integer kind, for tests and tables.
    pub const ALL: [IntKind; 26] = [
        IntKind::Char,
        IntKind::SChar,
        IntKind::UChar,
        IntKind::Short,
        IntKind::UShort,
        IntKind::Int,
        IntKind::UInt,
        IntKind::Long,
        IntKind::ULong,
        IntKind::LongLong,
        IntKind::ULongLong,
        IntKind::I8,
        IntKind::I16,
        IntKind::I32,
        IntKind::I64,
        IntKind::U8,
        IntKind::U16,
        IntKind::U32,
        IntKind::U64,
        IntKind::Size,
        IntKind::SSize,
        IntKind::PtrDiff,
        IntKind::IntPtr,
        IntKind::UIntPtr,
        IntKind::I128,
        IntKind::U128,
    ];

    /// Size and alignment on a target.
    pub fn scalar(self, dm: &DataModel) -> Scalar {
        match self {
            IntKind::Char | IntKind::SChar | IntKind::UChar | IntKind::I8 | IntKind::U8 => {
                Scalar::new(1, 1)
            }
            IntKind::Short | IntKind::UShort => dm.short,
            IntKind::Int | IntKind::UInt => dm.int,
            IntKind::Long | IntKind::ULong => dm.long,
            IntKind::LongLong | IntKind::ULongLong => dm.long_long,
            IntKind::I16 | IntKind::U16 => Scalar::new(2, 2),
            IntKind::I32 | IntKind::U32 => Scalar::new(4, 4),
            IntKind::I64 | IntKind::U64 => Scalar::new(8, dm.int64_align),
            IntKind::Size | IntKind::SSize | IntKind::PtrDiff => dm.size_t,
            IntKind::IntPtr | IntKind::UIntPtr => dm.pointer,
            IntKind::I128 | IntKind::U128 => Scalar::new(16, 16),
        }
    }

    /// Size in bytes on a target.
    pub fn size(self, dm: &DataModel) -> u8 {
        self.scalar(dm).size
    }

    /// Whether the type is signed on a target.
    pub fn is_signed(self, dm: &DataModel) -> bool {
        match self {
            IntKind::Char => dm.char_signed,
            IntKind::SChar
            | IntKind::Short
            | IntKind::Int
            | IntKind::Long
            | IntKind::LongLong
            | IntKind::I8
            | IntKind::I16
            | IntKind::I32
            | IntKind::I64
            | IntKind::SSize
            | IntKind::PtrDiff
            | IntKind::IntPtr
            | IntKind::I128 => true,
            IntKind::UChar
            | IntKind::UShort
            | IntKind::UInt
            | IntKind::ULong
            | IntKind::ULongLong
            | IntKind::U8
            | IntKind::U16
            | IntKind::U32
            | IntKind::U64
            | IntKind::Size
            | IntKind::UIntPtr
            | IntKind::U128 => false,
        }
    }

    /// The smallest and largest value, as `i128`, on a target.
    ///
    /// ```
    /// use ffi_auto_sig::{DataModel, IntKind};
    /// let dm = DataModel::native();
    /// assert_eq!(IntKind::UChar.range(&dm), (0, 255));
    /// assert_eq!(IntKind::I16.range(&dm), (-32768, 32767));
    /// ```
    pub fn range(self, dm: &DataModel) -> (i128, i128) {
        let bits = u32::from(self.size(dm)) * 8;
        if bits >= 128 {
            // The largest `unsigned __int128` does not fit an `i128`: its range is cut there.
            return if self.is_signed(dm) {
                (i128::MIN, i128::MAX)
            } else {
                (0, i128::MAX)
            };
        }
        if self.is_signed(dm) {
            (-(1i128 << (bits - 1)), (1i128 << (bits - 1)) - 1)
        } else {
            (0, (1i128 << bits) - 1)
        }
    }

    /// The name C code uses.
    pub fn c_name(self) -> &'static str {
        match self {
            IntKind::Char => "char",
            IntKind::SChar => "signed char",
            IntKind::UChar => "unsigned char",
            IntKind::Short => "short",
            IntKind::UShort => "unsigned short",
            IntKind::Int => "int",
            IntKind::UInt => "unsigned int",
            IntKind::Long => "long",
            IntKind::ULong => "unsigned long",
            IntKind::LongLong => "long long",
            IntKind::ULongLong => "unsigned long long",
            IntKind::I8 => "int8_t",
            IntKind::I16 => "int16_t",
            IntKind::I32 => "int32_t",
            IntKind::I64 => "int64_t",
            IntKind::U8 => "uint8_t",
            IntKind::U16 => "uint16_t",
            IntKind::U32 => "uint32_t",
            IntKind::U64 => "uint64_t",
            IntKind::Size => "size_t",
            IntKind::SSize => "ssize_t",
            IntKind::PtrDiff => "ptrdiff_t",
            IntKind::IntPtr => "intptr_t",
            IntKind::UIntPtr => "uintptr_t",
            IntKind::I128 => "__int128",
            IntKind::U128 => "unsigned __int128",
        }
    }

    /// The Rust type generated code uses for it: `c_long` for `long` (whatever its size),
    /// `usize` for `size_t`, `i32` for `int32_t`.
    pub fn rust_name(self) -> &'static str {
        match self {
            IntKind::Char => "c_char",
            IntKind::SChar => "c_schar",
            IntKind::UChar => "c_uchar",
            IntKind::Short => "c_short",
            IntKind::UShort => "c_ushort",
            IntKind::Int => "c_int",
            IntKind::UInt => "c_uint",
            IntKind::Long => "c_long",
            IntKind::ULong => "c_ulong",
            IntKind::LongLong => "c_longlong",
            IntKind::ULongLong => "c_ulonglong",
            IntKind::I8 => "i8",
            IntKind::I16 => "i16",
            IntKind::I32 => "i32",
            IntKind::I64 => "i64",
            IntKind::U8 => "u8",
            IntKind::U16 => "u16",
            IntKind::U32 => "u32",
            IntKind::U64 => "u64",
            IntKind::Size | IntKind::UIntPtr => "usize",
            IntKind::SSize | IntKind::PtrDiff | IntKind::IntPtr => "isize",
            IntKind::I128 => "i128",
            IntKind::U128 => "u128",
        }
    }
}

/// C's floating-point types.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum FloatKind {
    /// `float`.
    Float,
    /// `double`.
    Double,
    /// `long double`: Rust has no such type; only the runtime can pass it, through libffi.
    LongDouble,
}

impl FloatKind {
    /// The name C code uses.
    pub fn c_name(self) -> &'static str {
        match self {
            FloatKind::Float => "float",
            FloatKind::Double => "double",
            FloatKind::LongDouble => "long double",
        }
    }
}

/// A C type.
///
/// Typedef names are kept ([`CType::Named`]) so that errors and generated code say `pid_t`, not
/// `int`; [`CType::canonical`] looks through them.
///
/// ```
/// use ffi_auto_sig::{CType, IntKind};
/// let s = CType::const_ptr(CType::CHAR);
/// assert_eq!(s.to_string(), "const char *");
/// assert_eq!(s.rust_type().unwrap(), "*const c_char");
/// let pid: CType = "int".parse::<CType>().unwrap().named("pid_t");
/// assert_eq!(pid.to_string(), "pid_t");
/// assert_eq!(pid.canonical(), &CType::INT);
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum CType {
    /// `void`.
    Void,
    /// `_Bool` / `bool`.
    Bool,
    /// An integer type.
    Int(IntKind),
    /// A floating-point type.
    Float(FloatKind),
    /// A data pointer. `is_const` qualifies the pointee: `const char *` is
    /// `Pointer { pointee: char, is_const: true }`.
    Pointer {
        /// What it points to.
        pointee: Box<CType>,
        /// Whether the pointee is `const`.
        is_const: bool,
    },
    /// A pointer to a function with this signature.
    FnPtr(Arc<Signature>),
    /// A complete struct or union, with its layout.
    Record(Arc<Record>),
    /// A type whose definition is not visible (`FILE`, `sqlite3`): usable only behind a pointer.
    Opaque(Arc<str>),
    /// A fixed-length array (struct fields; as a parameter an array decays to a pointer).
    Array {
        /// The element type.
        elem: Box<CType>,
        /// The number of elements.
        len: u64,
    },
    /// A typedef name and what it stands for (`pid_t` -> `int`).
    Named {
        /// The typedef's name.
        name: Arc<str>,
        /// The type it names.
        ty: Box<CType>,
    },
}

impl CType {
    /// `char`.
    pub const CHAR: CType = CType::Int(IntKind::Char);
    /// `int`.
    pub const INT: CType = CType::Int(IntKind::Int);
    /// `unsigned int`.
    pub const UINT: CType = CType::Int(IntKind::UInt);
    /// `long`.
    pub const LONG: CType = CType::Int(IntKind::Long);
    /// `unsigned long`.
    pub const ULONG: CType = CType::Int(IntKind::ULong);
    /// `long long`.
    pub const LONG_LONG: CType = CType::Int(IntKind::LongLong);
    /// `size_t`.
    pub const SIZE_T: CType = CType::Int(IntKind::Size);
    /// `ssize_t`.
    pub const SSIZE_T: CType = CType::Int(IntKind::SSize);
    /// `float`.
    pub const FLOAT: CType = CType::Float(FloatKind::Float);
    /// `double`.
    pub const DOUBLE: CType = CType::Float(FloatKind::Double);

    /// `const T *`.
    pub fn const_ptr(pointee: CType) -> CType {
        CType::Pointer {
            pointee: Box::new(pointee),
            is_const: true,
        }
    }

    /// `T *`.
    pub fn mut_ptr(pointee: CType) -> CType {
        CType::Pointer {
            pointee: Box::new(pointee),
            is_const: false,
        }
    }

    /// `void *`, the original's `:pointer`.
    pub fn void_ptr() -> CType {
        CType::mut_ptr(CType::Void)
    }

    /// `const char *`, the original's `:string`.
    pub fn string() -> CType {
        CType::const_ptr(CType::CHAR)
    }

    /// This type under a typedef name.
    pub fn named(self, name: &str) -> CType {
        CType::Named {
            name: Arc::from(name),
            ty: Box::new(self),
        }
    }

    /// The type with typedef names looked through.
    pub fn canonical(&self) -> &CType {
        let mut t = self;
        while let CType::Named { ty, .. } = t {
            t = ty;
        }
        t
    }

    /// Whether this is `void` (through typedefs).
    pub fn is_void(&self) -> bool {
        matches!(self.canonical(), CType::Void)
    }

    /// Whether this is a data or function pointer (through typedefs).
    pub fn is_pointer(&self) -> bool {
        matches!(self.canonical(), CType::Pointer { .. } | CType::FnPtr(_))
    }

    /// For a pointer, its pointee and whether the pointee is const.
    pub fn pointee(&self) -> Option<(&CType, bool)> {
        match self.canonical() {
            CType::Pointer { pointee, is_const } => Some((pointee, *is_const)),
            _ => None,
        }
    }

    /// Whether a value of this type is a C string when const-qualified behind a pointer:
    /// a one-byte integer (`char`, `signed char`, `unsigned char`, `int8_t`, `uint8_t`).
    pub fn is_byte(&self) -> bool {
        matches!(
            self.canonical(),
            CType::Int(IntKind::Char | IntKind::SChar | IntKind::UChar | IntKind::I8 | IntKind::U8)
        )
    }

    /// Size and alignment on a target; `None` for `void`, functions, opaque types, and
    /// `long double` where the target's layout is unknown.
    pub fn layout(&self, dm: &DataModel) -> Option<Layout> {
        Some(match self.canonical() {
            CType::Void | CType::Opaque(_) => return None,
            CType::Bool => dm.bool_.into(),
            CType::Int(k) => k.scalar(dm).into(),
            CType::Float(FloatKind::Float) => dm.float.into(),
            CType::Float(FloatKind::Double) => dm.double.into(),
            CType::Float(FloatKind::LongDouble) => dm.long_double?.into(),
            CType::Pointer { .. } | CType::FnPtr(_) => dm.pointer.into(),
            CType::Record(r) => Layout {
                size: r.size,
                align: r.align,
            },
            CType::Array { elem, len } => {
                let e = elem.layout(dm)?;
                Layout {
                    size: e.size.checked_mul(*len)?,
                    align: e.align,
                }
            }
            CType::Named { .. } => unreachable!("canonical() strips typedefs"),
        })
    }

    /// The Rust type generated code uses for this C type where every struct, union and
    /// opaque type it names is declared beside it under its C name (a `defcfuns!` block with
    /// `struct timeval;`): `c_int`, `usize`, `*const c_char`, `*mut timeval`, `div_t`,
    /// `Option<unsafe extern "C" fn(c_int) -> c_int>`. [`CType::to_rust`] is the mapping,
    /// with the scope given.
    ///
    /// `None` for a type Rust cannot spell: `long double`, arrays outside pointers, and a
    /// `void` that is not a return type.
    pub fn rust_type(&self) -> Option<String> {
        let all = |n: &str| Some(n.to_owned());
        self.to_rust(&all).ok().map(|t| t.to_string())
    }

    /// The C declaration of `name` with this type: `const char *s`, `int (*cmp)(const void *,
    /// const void *)`, `char buf[16]`. An empty `name` gives an abstract declarator.
    pub fn declare(&self, name: &str) -> String {
        self.declare_with(name, &|n| n.to_owned())
    }

    /// [`CType::declare`], with `opaque` spelling each struct referred to by name
    /// ([`CType::Opaque`]): a C compiler needs `struct timeval`, where the model keeps the tag.
    ///
    /// ```
    /// use ffi_auto_sig::CType;
    /// let tv = CType::mut_ptr(CType::Opaque("timeval".into()));
    /// assert_eq!(tv.declare("tv"), "timeval *tv");
    /// assert_eq!(tv.declare_with("tv", &|n| format!("struct {n}")), "struct timeval *tv");
    /// ```
    pub fn declare_with(&self, name: &str, opaque: &dyn Fn(&str) -> String) -> String {
        self.declarator(name, false, opaque)
    }

    /// The declaration of `name` (a declarator built so far) with this type, itself `const`
    /// where `is_const`: a pointer's `const` follows its star (`char *const *`), a base type's
    /// precedes it (`const char *`).
    fn declarator(&self, name: &str, is_const: bool, opaque: &dyn Fn(&str) -> String) -> String {
        // A pointer's own star, with its `const`.
        let star = || match (is_const, name.is_empty()) {
            (false, _) => format!("*{name}"),
            (true, true) => "*const".to_owned(),
            (true, false) => format!("*const {name}"),
        };
        match self {
            CType::Pointer {
                pointee,
                is_const: pointee_const,
            } => {
                let inner = if matches!(**pointee, CType::Array { .. }) {
                    format!("({})", star())
                } else {
                    star()
                };
                pointee.declarator(&inner, *pointee_const, opaque)
            }
            CType::FnPtr(sig) => {
                let params = sig.param_list_with(opaque);
                sig.ret
                    .declarator(&format!("({})({params})", star()), false, opaque)
            }
            CType::Array { elem, len } => {
                elem.declarator(&format!("{name}[{len}]"), is_const, opaque)
            }
            _ => {
                let base = match self {
                    CType::Void => "void".to_owned(),
                    CType::Bool => "bool".to_owned(),
                    CType::Int(k) => k.c_name().to_owned(),
                    CType::Float(k) => k.c_name().to_owned(),
                    CType::Record(r) => r.c_name(),
                    CType::Opaque(n) => opaque(n),
                    CType::Named { name: n, .. } => n.to_string(),
                    CType::Pointer { .. } | CType::FnPtr(_) | CType::Array { .. } => {
                        unreachable!("handled above")
                    }
                };
                let c = if is_const { "const " } else { "" };
                if name.is_empty() {
                    format!("{c}{base}")
                } else {
                    format!("{c}{base} {name}")
                }
            }
        }
    }
}

impl fmt::Display for CType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.declare(""))
    }
}

/// Size and alignment of a complete type, in bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Layout {
    /// `sizeof`.
    pub size: u64,
    /// `_Alignof`.
    pub align: u64,
}

impl From<Scalar> for Layout {
    fn from(s: Scalar) -> Layout {
        Layout {
            size: u64::from(s.size),
            align: u64::from(s.align),
        }
    }
}
