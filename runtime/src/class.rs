//! What the runtime needs to know about a C type to pass or read a value of it: computed once
//! per parameter when a function is prepared, then matched on every call.

use ffi_auto_sig::{CType, DataModel, FloatKind};

/// The data model of the target the runtime runs on.
pub(crate) const DM: DataModel = DataModel::native();

/// A C type, reduced to what marshalling needs. Flat, so that converting an argument is one
/// jump-table dispatch followed by constant range checks.
#[doc(hidden)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Class {
    /// `void` (returns only).
    Void,
    /// `_Bool`.
    Bool,
    /// A signed 8-bit integer.
    I8,
    /// An unsigned 8-bit integer.
    U8,
    /// A signed 16-bit integer.
    I16,
    /// An unsigned 16-bit integer.
    U16,
    /// A signed 32-bit integer.
    I32,
    /// An unsigned 32-bit integer.
    U32,
    /// A signed 64-bit integer.
    I64,
    /// An unsigned 64-bit integer.
    U64,
    /// `__int128` (x86-64 only).
    I128,
    /// `unsigned __int128` (x86-64 only).
    U128,
    /// `float`.
    F32,
    /// `double`.
    F64,
    /// `long double`, in the target's format (`longdouble::FORMAT`).
    LongDouble,
    /// A struct passed or returned by value: an index into the process's table of record
    /// layouts (`layout::record`).
    Record(u32),
    /// A data or function pointer.
    Ptr {
        /// What it points to.
        target: Target,
        /// Whether the pointee is const.
        is_const: bool,
        /// Whether the function takes a null pointer here.
        null: Null,
    },
}

/// Whether a pointer parameter takes null.
#[doc(hidden)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Null {
    /// The declaration says it must not be null (`nonnull`, `_Nonnull`): refused in every call.
    Refused,
    /// Nothing says: only an unsafe call (`call_raw`) may pass null, on the caller's word.
    Unknown,
    /// The function is known to accept null (`_Nullable`, the C standard, POSIX): a safe
    /// call may pass it.
    Accepted,
}

impl Null {
    /// A parameter's nullability as its declaration states it.
    pub(crate) fn of(p: &ffi_auto_sig::Param) -> Null {
        if p.nonnull {
            Null::Refused
        } else if p.nullable {
            Null::Accepted
        } else {
            Null::Unknown
        }
    }
}

/// What a pointer points to, as far as checking a Rust argument needs.
#[doc(hidden)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Target {
    /// A one-byte integer: `char`, `signed char`, `unsigned char`, `int8_t`, `uint8_t`.
    Byte,
    /// `void`.
    Void,
    /// A wider integer.
    Int {
        /// Size in bytes.
        size: u8,
        /// Signedness.
        signed: bool,
    },
    /// `float`.
    F32,
    /// `double`.
    F64,
    /// `_Bool`.
    Bool,
    /// Another pointer.
    Ptr,
    /// A function: the index of its ABI shape in the process's table of shapes (0 when the
    /// shape cannot be described), so that a callback is accepted only where C will call it
    /// with the arguments it expects.
    Fn(u32),
    /// A struct, union, opaque type or `long double`.
    Other,
}

/// The libffi type a class is passed as.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Abi {
    Void,
    I8,
    U8,
    I16,
    U16,
    I32,
    U32,
    I64,
    U64,
    /// `__int128` and `unsigned __int128` (`int128::ffi_type`).
    Int128,
    F32,
    F64,
    LongDouble,
    Ptr,
    /// A struct by value: index into the record table.
    Record(u32),
}

/// Why a C type cannot be passed or returned by the runtime.
pub(crate) struct NotSupported {
    pub what: String,
    pub hint: String,
}

impl Class {
    /// The class of a parameter or return of type `ty`.
    pub(crate) fn of(ty: &CType, null: Null) -> Result<Class, NotSupported> {
        let unsupported = |what: String, hint: &str| NotSupported {
            what,
            hint: hint.to_owned(),
        };
        Ok(match ty.canonical() {
            CType::Void => Class::Void,
            CType::Bool => Class::Bool,
            CType::Int(k) if k.size(&DM) > 8 && !crate::int128::SUPPORTED => {
                return Err(unsupported(
                    format!("`{}`", k.c_name()),
                    crate::int128::REFUSED,
                ));
            }
            CType::Int(k) => Class::int(k.size(&DM), k.is_signed(&DM)),
            CType::Float(FloatKind::Float) => Class::F32,
            CType::Float(FloatKind::Double) => Class::F64,
            CType::Float(FloatKind::LongDouble) if crate::longdouble::SUPPORTED => {
                Class::LongDouble
            }
            CType::Float(FloatKind::LongDouble) => {
                return Err(unsupported(
                    "`long double` on this target".to_owned(),
                    "ffi-auto knows `long double` as x87 (x86-64), IEEE binary128 (aarch64, riscv64, s390x) and `double` (Apple's aarch64, MSVC), not this target's format; call a `double` variant of the function (e.g. `sin` rather than `sinl`)",
                ));
            }
            CType::Pointer { pointee, is_const } => Class::Ptr {
                target: Target::of(pointee),
                is_const: *is_const,
                null,
            },
            // An array parameter is a pointer to its first element.
            CType::Array { elem, .. } => Class::Ptr {
                target: Target::of(elem),
                is_const: false,
                null,
            },
            CType::FnPtr(sig) => Class::Ptr {
                target: Target::Fn(crate::layout::fn_shape(sig)),
                is_const: true,
                null,
            },
            CType::Record(r) => match crate::layout::record_id(r) {
                Ok(id) => Class::Record(id),
                Err(why) => {
                    return Err(unsupported(
                        format!("`{ty}` by value ({why})"),
                        "pass a pointer to it, or wrap the function in C",
                    ));
                }
            },
            CType::Opaque(name) => {
                return Err(unsupported(
                    format!("`{name}` by value (its definition is not visible)"),
                    "incomplete types can only be used behind a pointer",
                ));
            }
            CType::Named { .. } => unreachable!("canonical() strips typedefs"),
        })
    }

    /// The integer class of `size` bytes and this signedness.
    pub(crate) const fn int(size: u8, signed: bool) -> Class {
        match (size, signed) {
            (1, true) => Class::I8,
            (1, false) => Class::U8,
            (2, true) => Class::I16,
            (2, false) => Class::U16,
            (4, true) => Class::I32,
            (4, false) => Class::U32,
            (16, true) => Class::I128,
            (16, false) => Class::U128,
            (_, true) => Class::I64,
            (_, false) => Class::U64,
        }
    }

    /// For an integer class, its size in bytes and signedness.
    pub(crate) const fn int_parts(self) -> Option<(u8, bool)> {
        Some(match self {
            Class::I8 => (1, true),
            Class::U8 => (1, false),
            Class::I16 => (2, true),
            Class::U16 => (2, false),
            Class::I32 => (4, true),
            Class::U32 => (4, false),
            Class::I64 => (8, true),
            Class::U64 => (8, false),
            _ => return None,
        })
    }

    /// The C type a variadic argument of this class is passed as, after the default argument
    /// promotions (`float` -> `double`, integers narrower than `int` -> `int`, `bool` -> `int`).
    pub(crate) const fn promote(self) -> Class {
        let int = DM.int.size;
        match self {
            Class::Bool => Class::int(int, true),
            Class::F32 => Class::F64,
            c => match c.int_parts() {
                Some((size, _)) if size < int => Class::int(int, true),
                _ => c,
            },
        }
    }

    pub(crate) fn abi(self) -> Abi {
        match self {
            Class::Void => Abi::Void,
            Class::Bool | Class::U8 => Abi::U8,
            Class::I8 => Abi::I8,
            Class::I16 => Abi::I16,
            Class::U16 => Abi::U16,
            Class::I32 => Abi::I32,
            Class::U32 => Abi::U32,
            Class::I64 => Abi::I64,
            Class::U64 => Abi::U64,
            Class::I128 | Class::U128 => Abi::Int128,
            Class::F32 => Abi::F32,
            Class::F64 => Abi::F64,
            Class::LongDouble => Abi::LongDouble,
            Class::Ptr { .. } => Abi::Ptr,
            Class::Record(id) => Abi::Record(id),
        }
    }

    /// How errors spell the class of a variadic argument (fixed ones use the declaration).
    pub(crate) fn c_spelling(self) -> String {
        match self {
            Class::Void => "void".to_owned(),
            Class::Bool => "bool".to_owned(),
            Class::I8
            | Class::U8
            | Class::I16
            | Class::U16
            | Class::I32
            | Class::U32
            | Class::I64
            | Class::U64 => {
                let (size, signed) = self.int_parts().unwrap_or((8, true));
                let u = if signed { "" } else { "u" };
                format!("{u}int{}_t", u32::from(size) * 8)
            }
            Class::I128 => "__int128".to_owned(),
            Class::U128 => "unsigned __int128".to_owned(),
            Class::F32 => "float".to_owned(),
            Class::F64 => "double".to_owned(),
            Class::LongDouble => "long double".to_owned(),
            Class::Record(id) => crate::layout::record(id).c_name(),
            Class::Ptr {
                target, is_const, ..
            } => {
                let c = if is_const { "const " } else { "" };
                let t = match target {
                    Target::Byte => "char",
                    Target::Void | Target::Other | Target::Fn(_) => "void",
                    Target::Int { .. } => "int",
                    Target::F32 => "float",
                    Target::F64 => "double",
                    Target::Bool => "bool",
                    Target::Ptr => "void *",
                };
                format!("{c}{t} *")
            }
        }
    }
}

impl Target {
    fn of(pointee: &CType) -> Target {
        match pointee.canonical() {
            t if t.is_byte() => Target::Byte,
            CType::Void => Target::Void,
            CType::Bool => Target::Bool,
            CType::Int(k) => Target::Int {
                size: k.size(&DM),
                signed: k.is_signed(&DM),
            },
            CType::Float(FloatKind::Float) => Target::F32,
            CType::Float(FloatKind::Double) => Target::F64,
            CType::Pointer { .. } | CType::FnPtr(_) => Target::Ptr,
            _ => Target::Other,
        }
    }
}
