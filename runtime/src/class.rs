//! What the runtime needs to know about a C type to pass or read a value of it: computed once
//! per parameter when a function is prepared, then matched on every call.

use ffi_auto_sig::{CType, DataModel, FloatKind};

/// The data model of the target the runtime runs on.
pub(crate) const DM: DataModel = DataModel::native();

/// A C type, reduced to what marshalling needs.
#[doc(hidden)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Class {
    /// `void` (returns only).
    Void,
    /// `_Bool`.
    Bool,
    /// An integer of `size` bytes.
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
    /// A data or function pointer.
    Ptr {
        /// What it points to.
        target: Target,
        /// Whether the pointee is const.
        is_const: bool,
        /// Whether null is refused.
        nonnull: bool,
    },
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
    /// A struct, union, function, opaque type or `long double`.
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
    F32,
    F64,
    Ptr,
}

/// Why a C type cannot be passed or returned by the runtime.
pub(crate) struct NotSupported {
    pub what: String,
    pub hint: String,
}

impl Class {
    /// The class of a parameter or return of type `ty`.
    pub(crate) fn of(ty: &CType, nonnull: bool) -> Result<Class, NotSupported> {
        let unsupported = |what: String, hint: &str| NotSupported {
            what,
            hint: hint.to_owned(),
        };
        Ok(match ty.canonical() {
            CType::Void => Class::Void,
            CType::Bool => Class::Bool,
            CType::Int(k) => Class::Int {
                size: k.size(&DM),
                signed: k.is_signed(&DM),
            },
            CType::Float(FloatKind::Float) => Class::F32,
            CType::Float(FloatKind::Double) => Class::F64,
            CType::Float(FloatKind::LongDouble) => {
                return Err(unsupported(
                    "`long double`".to_owned(),
                    "Rust has no `long double`; call a `double` variant of the function (e.g. `sin` rather than `sinl`)",
                ));
            }
            CType::Pointer { pointee, is_const } => Class::Ptr {
                target: Target::of(pointee),
                is_const: *is_const,
                nonnull,
            },
            // An array parameter is a pointer to its first element.
            CType::Array { elem, .. } => Class::Ptr {
                target: Target::of(elem),
                is_const: false,
                nonnull,
            },
            CType::FnPtr(_) => Class::Ptr {
                target: Target::Other,
                is_const: true,
                nonnull,
            },
            CType::Record(_) => {
                return Err(unsupported(
                    format!("passing `{ty}` by value"),
                    "pass a pointer to it, or wait for structs by value (planned)",
                ));
            }
            CType::Opaque(name) => {
                return Err(unsupported(
                    format!("`{name}` by value (its definition is not visible)"),
                    "incomplete types can only be used behind a pointer",
                ));
            }
            CType::Named { .. } => unreachable!("canonical() strips typedefs"),
        })
    }

    /// The C type a variadic argument of this class is passed as, after the default argument
    /// promotions (`float` -> `double`, integers narrower than `int` -> `int`, `bool` -> `int`).
    pub(crate) fn promote(self) -> Class {
        let int = DM.int.size;
        match self {
            Class::Bool => Class::Int {
                size: int,
                signed: true,
            },
            Class::Int { size, .. } if size < int => Class::Int {
                size: int,
                signed: true,
            },
            Class::F32 => Class::F64,
            c => c,
        }
    }

    pub(crate) fn abi(self) -> Abi {
        match self {
            Class::Void => Abi::Void,
            Class::Bool => Abi::U8,
            Class::Int { size, signed } => match (size, signed) {
                (1, true) => Abi::I8,
                (1, false) => Abi::U8,
                (2, true) => Abi::I16,
                (2, false) => Abi::U16,
                (4, true) => Abi::I32,
                (4, false) => Abi::U32,
                (_, true) => Abi::I64,
                (_, false) => Abi::U64,
            },
            Class::F32 => Abi::F32,
            Class::F64 => Abi::F64,
            Class::Ptr { .. } => Abi::Ptr,
        }
    }

    /// How errors spell the class of a variadic argument (fixed ones use the declaration).
    pub(crate) fn c_spelling(self) -> String {
        match self {
            Class::Void => "void".to_owned(),
            Class::Bool => "bool".to_owned(),
            Class::Int { size, signed } => {
                let u = if signed { "" } else { "u" };
                format!("{u}int{}_t", u32::from(size) * 8)
            }
            Class::F32 => "float".to_owned(),
            Class::F64 => "double".to_owned(),
            Class::Ptr {
                target, is_const, ..
            } => {
                let c = if is_const { "const " } else { "" };
                let t = match target {
                    Target::Byte => "char",
                    Target::Void | Target::Other => "void",
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
