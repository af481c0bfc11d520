//! Structs by value: [`Struct`] for layouts known at run time, and the hooks the
//! `#[ffi_auto] struct` expansion uses for `#[repr(C)]` types checked at compile time.

use std::cell::Cell;
use std::ffi::c_void;
use std::fmt;
use std::sync::Arc;

use ffi_auto_sig::{CType, FloatKind, Record};

use crate::arg::{self, Arg, Ctx, Fault, Slot};
use crate::call::RetBuf;
use crate::class::{Class, DM, Null, Target};
use crate::cstruct::CStruct;
use crate::error::{Error, Result};
use crate::layout::RecordRef;
use crate::ret::{self, FromRet};
use crate::value::Value;

/// A C struct whose layout is known at run time (from a header, or built with
/// [`Record::with_c_layout`]): its bytes and fields by name.
///
/// Passed by value to a function that takes the struct, read from one that returns it, and
/// passed as `&mut s` where a function takes a pointer to it (through `call_raw`).
///
/// ```
/// use ffi_auto_runtime::{Function, Struct, sig::{CType, DataModel, Record, RecordKind, Signature}};
/// // `div_t div(int, int)`: a struct of two `int`s, returned by value.
/// let div_t = Record::with_c_layout(RecordKind::Struct, Some("div_t"),
///     vec![("quot".into(), CType::INT), ("rem".into(), CType::INT)], &DataModel::native()).unwrap();
/// let sig = Signature::new(CType::Record(div_t.into())).param(CType::INT).param(CType::INT);
/// // SAFETY: that is `div`'s declaration in <stdlib.h>.
/// let div = unsafe { Function::new(ffi_auto_runtime::find_symbol("div", None).unwrap(), "div", sig) }.unwrap();
/// let r: Struct = div.call((17, 5)).unwrap();
/// assert_eq!((r.get("quot").unwrap().as_i64(), r.get("rem").unwrap().as_i64()), (Some(3), Some(2)));
/// ```
#[derive(Clone)]
pub struct Struct {
    record: Arc<Record>,
    /// The bytes, in 16-byte units so that any field is aligned; in cells, because C writes
    /// them through the pointer a shared borrow of the `Struct` hands out (`&mut s` as an
    /// argument is stored through `&self`).
    data: Box<[Cell<u128>]>,
    /// How it passes by value, worked out once (`None`: libffi cannot pass the layout).
    by_value: Option<RecordRef>,
}

impl Struct {
    /// A zeroed struct of this layout.
    ///
    /// ```
    /// use ffi_auto_runtime::{Struct, sig::{CType, DataModel, Record, RecordKind}};
    /// let mut r = Record::with_c_layout(RecordKind::Struct, Some("p"),
    ///     vec![("x".into(), CType::INT)], &DataModel::native()).unwrap();
    /// assert!(Struct::zeroed(r.clone().into()).is_ok());
    /// // A layout built by hand is checked: no field may lie outside the struct.
    /// r.fields[0].offset = 1000;
    /// assert!(Struct::zeroed(r.into()).is_err());
    /// ```
    ///
    /// # Errors
    /// [`Error::InvalidLayout`] for a layout no C compiler produces ([`Record::validate`]),
    /// or one too large to allocate.
    pub fn zeroed(record: Arc<Record>) -> Result<Struct> {
        record.validate(&DM).map_err(|e| Error::InvalidLayout {
            reason: e.to_string(),
        })?;
        let by_value = crate::layout::record_ref(&record).ok();
        Struct::zeroed_as(record, by_value)
    }

    /// A zeroed struct of a validated layout.
    fn zeroed_as(record: Arc<Record>, by_value: Option<RecordRef>) -> Result<Struct> {
        let cells = (record.size as usize).div_ceil(16);
        let mut data = Vec::new();
        data.try_reserve_exact(cells)
            .map_err(|e| Error::InvalidLayout {
                reason: format!("{} bytes cannot be allocated ({e})", record.size),
            })?;
        data.resize_with(cells, || Cell::new(0u128));
        Ok(Struct {
            record,
            data: data.into_boxed_slice(),
            by_value,
        })
    }

    /// A zeroed struct of the layout a header gives `name` (`"timeval"`, `"div_t"`), found by
    /// the header source (feature `discovery`).
    ///
    /// # Errors
    /// [`Error::UnknownStruct`] when no header of the search path defines it completely.
    #[cfg(feature = "discovery")]
    pub fn new(name: &str) -> Result<Struct> {
        Struct::zeroed(crate::discovery::record(name)?)
    }

    /// The layout.
    pub fn record(&self) -> &Arc<Record> {
        &self.record
    }

    /// The bytes.
    pub fn as_bytes(&self) -> &[u8] {
        // SAFETY: `data` holds at least `size` initialized bytes, and `Struct` is not `Sync`:
        // nothing writes them while this borrow lives (C writes only during a call that took
        // `&mut Struct`).
        unsafe { std::slice::from_raw_parts(self.ptr().cast(), self.record.size as usize) }
    }

    /// A pointer to the bytes (for a `struct x *` parameter).
    pub fn as_mut_ptr(&mut self) -> *mut c_void {
        self.ptr().cast()
    }

    /// The bytes' address, with the cells' write permission (`UnsafeCell` inside).
    fn ptr(&self) -> *mut u8 {
        self.data.as_ptr().cast::<u8>().cast_mut()
    }

    /// A field by the name C uses (members of anonymous members by their own names, nested
    /// fields by a dotted path: `Record::lookup`), at its offset in this record.
    fn field(&self, name: &str) -> Result<(ffi_auto_sig::Field, Class)> {
        let f = self
            .record
            .lookup(name)
            .ok_or_else(|| Error::UnknownField {
                record: self.record.c_name(),
                field: name.to_owned(),
                fields: self.record.field_names(),
            })?;
        let class = scalar_class(&f.ty).filter(|_| f.bit_width.is_none());
        let class = class.ok_or_else(|| Error::Unsupported {
            function: self.record.c_name(),
            what: format!("reading field `{name}` of type `{}`", f.ty),
            hint: "read it from `as_bytes()` at its offset".to_owned(),
        })?;
        Ok((f, class))
    }

    /// The bitfield `name`, with its class and width; `None` for another field.
    fn bitfield(&self, name: &str) -> Result<Option<(ffi_auto_sig::Field, Class, u32)>> {
        let Some(f) = self.record.lookup(name) else {
            return Ok(None);
        };
        let Some(width) = f.bit_width.filter(|w| *w > 0) else {
            return Ok(None);
        };
        if width > 64 {
            return Err(Error::Unsupported {
                function: self.record.c_name(),
                what: format!("bitfield `{name}` of {width} bits (more than 64)"),
                hint: "read it from `as_bytes()`".to_owned(),
            });
        }
        if cfg!(target_endian = "big") {
            return Err(Error::Unsupported {
                function: self.record.c_name(),
                what: format!("bitfield `{name}` on a big-endian target"),
                hint: "read it from `as_bytes()`".to_owned(),
            });
        }
        let class = scalar_class(&f.ty)
            .filter(|c| {
                !matches!(
                    c,
                    Class::F32 | Class::F64 | Class::LongDouble | Class::Ptr { .. }
                )
            })
            .ok_or_else(|| Error::Unsupported {
                function: self.record.c_name(),
                what: format!("bitfield `{name}` of type `{}`", f.ty),
                hint: "read it from `as_bytes()`".to_owned(),
            })?;
        Ok(Some((f, class, width)))
    }

    /// A scalar field's value.
    ///
    /// # Errors
    /// [`Error::UnknownField`] (with the fields it has), or [`Error::Unsupported`] for an
    /// array, nested struct or bitfield.
    pub fn get(&self, name: &str) -> Result<Value<'static>> {
        if let Some((f, class, width)) = self.bitfield(name)? {
            let raw = ffi_auto_sig::bits_get(self.as_bytes(), f.bit_offset, width, signed(class));
            // The value fits its class (its width is at most the type's).
            let mut ret = [0u8; 16];
            ret.copy_from_slice(&raw.to_le_bytes());
            return Ok(crate::callback::read_bytes(class, &ret));
        }
        let (f, class) = self.field(name)?;
        let mut ret = [0u8; 16];
        let size = class_size(class);
        // Inside the record for every validated layout; checked anyway, never a panic.
        let src = field_bytes(self.as_bytes(), f.offset, size)
            .ok_or_else(|| outside(&self.record, name))?;
        ret[..size].copy_from_slice(src);
        Ok(crate::callback::read_bytes(class, &ret))
    }

    /// Sets a scalar field, with the checks of an argument (range, type).
    ///
    /// # Errors
    /// As [`Struct::get`], and [`Error::ArgType`] / [`Error::OutOfRange`] for a value that
    /// does not fit the field.
    pub fn set<'v>(&mut self, name: &str, v: impl Into<Value<'v>>) -> Result<()> {
        let v = v.into();
        if let Some((f, class, width)) = self.bitfield(name)? {
            return self.set_bitfield(name, &f, class, width, &v);
        }
        let (f, class) = self.field(name)?;
        let (at, size) = (f.offset, class_size(class));
        if matches!(class, Class::Ptr { .. }) && !matches!(v, Value::Null | Value::Ptr(_)) {
            return Err(field_error(
                &self.record,
                name,
                &v,
                "set a pointer field to a raw pointer or null",
            ));
        }
        let mut slot = Slot::UNINIT;
        let mut scratch = std::mem::MaybeUninit::uninit();
        let mut spill = None;
        let mut ctx = Ctx::new(&mut scratch, &mut spill, false);
        v.store(class, &mut slot, &mut ctx)
            .map_err(|fault| match fault {
                Fault::Range(_) => {
                    field_error(&self.record, name, &v, "it is out of the field's range")
                }
                Fault::Type { hint } => field_error(&self.record, name, &v, hint),
                _ => field_error(&self.record, name, &v, "pass a number"),
            })?;
        // SAFETY: `store` wrote `size` bytes of the field's class at the slot's start.
        let src = unsafe { std::slice::from_raw_parts(slot.as_mut_ptr().cast::<u8>(), size) };
        // SAFETY: `data` holds at least `record.size` bytes; the field lies inside it.
        let dst = unsafe {
            std::slice::from_raw_parts_mut(
                self.data.as_mut_ptr().cast::<u8>(),
                self.record.size as usize,
            )
        };
        let record = self.record.clone();
        let dst = field_bytes_mut(dst, at, size).ok_or_else(|| outside(&record, name))?;
        dst.copy_from_slice(src);
        Ok(())
    }

    /// [`Struct::set`] for a bitfield: an integer (or bool) in its range, written to its bits.
    fn set_bitfield(
        &mut self,
        name: &str,
        f: &ffi_auto_sig::Field,
        class: Class,
        width: u32,
        v: &Value<'_>,
    ) -> Result<()> {
        let Some(n) = v.as_i128() else {
            let why = if matches!(v, Value::U128(_)) {
                "it is out of the bitfield's range"
            } else {
                "set a bitfield to an integer"
            };
            return Err(field_error(&self.record, name, v, why));
        };
        let (min, max) = ffi_auto_sig::bits_range(width, signed(class));
        if !(min..=max).contains(&n) {
            return Err(field_error(
                &self.record,
                name,
                v,
                &format!("it is out of the bitfield's range ({width} bits: {min}..={max})"),
            ));
        }
        // SAFETY: `data` holds at least `record.size` bytes.
        let dst = unsafe {
            std::slice::from_raw_parts_mut(
                self.data.as_mut_ptr().cast::<u8>(),
                self.record.size as usize,
            )
        };
        ffi_auto_sig::bits_set(dst, f.bit_offset, width, n);
        Ok(())
    }
}

/// The `size` bytes at `offset`, if they lie inside `bytes`.
fn field_bytes(bytes: &[u8], offset: u64, size: usize) -> Option<&[u8]> {
    let at = usize::try_from(offset).ok()?;
    bytes.get(at..at.checked_add(size)?)
}

fn field_bytes_mut(bytes: &mut [u8], offset: u64, size: usize) -> Option<&mut [u8]> {
    let at = usize::try_from(offset).ok()?;
    bytes.get_mut(at..at.checked_add(size)?)
}

fn outside(r: &Record, field: &str) -> Error {
    Error::InvalidLayout {
        reason: format!(
            "field `{field}` of `{}` lies outside its {} bytes",
            r.c_name(),
            r.size
        ),
    }
}

fn field_error(r: &Record, name: &str, v: &Value<'_>, hint: &str) -> Error {
    Error::FieldValue {
        record: r.c_name(),
        field: name.to_owned(),
        given: v.describe(),
        c_type: r.lookup(name).map(|f| f.ty.to_string()).unwrap_or_default(),
        hint: hint.to_owned(),
    }
}

fn scalar_class(ty: &CType) -> Option<Class> {
    match ty.canonical() {
        CType::Array { .. } | CType::Record(_) | CType::Opaque(_) | CType::Void => None,
        CType::Float(FloatKind::LongDouble) if !crate::longdouble::SUPPORTED => None,
        CType::Float(FloatKind::LongDouble) => Some(Class::LongDouble),
        CType::Int(k) => Some(Class::int(k.size(&DM), k.is_signed(&DM))),
        CType::Bool => Some(Class::Bool),
        CType::Float(FloatKind::Float) => Some(Class::F32),
        CType::Float(_) => Some(Class::F64),
        _ => Some(Class::Ptr {
            target: Target::Void,
            is_const: false,
            null: Null::Unknown,
        }),
    }
}

fn class_size(c: Class) -> usize {
    match c {
        Class::Bool => 1,
        Class::F32 => 4,
        Class::F64 => 8,
        Class::I128 | Class::U128 => 16,
        // Its value's bytes: x87's 10 of 16 (the padding is left as it is).
        Class::LongDouble => crate::longdouble::WIDTH,
        Class::Ptr { .. } => size_of::<*const c_void>(),
        c => c.int_parts().map_or(0, |(s, _)| usize::from(s)),
    }
}

/// Same layout, same bytes.
impl PartialEq for Struct {
    fn eq(&self, other: &Struct) -> bool {
        self.record == other.record && self.as_bytes() == other.as_bytes()
    }
}

/// Shows the struct's name and every field's value.
#[allow(clippy::missing_fields_in_debug)]
impl fmt::Debug for Struct {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct(&self.record.c_name());
        for field in &self.record.fields {
            match self.get(&field.name) {
                Ok(v) => d.field(&field.name, &format_args!("{v}")),
                Err(_) => d.field(&field.name, &format_args!("<{}>", field.ty)),
            };
        }
        d.finish()
    }
}

/// Stores a pointer to a struct's bytes for a by-value parameter of record `id`. A struct
/// holding pointers hands C those pointers: only an unsafe call may.
#[doc(hidden)]
pub fn store_record(
    bytes: *const c_void,
    rec: Option<RecordRef>,
    class: Class,
    slot: &mut Slot,
    ctx: &Ctx<'_>,
) -> std::result::Result<(), Fault> {
    match (class, rec) {
        (Class::Record(want), Some(rec)) if want == rec.id => {
            if ctx.safe && rec.has_pointers {
                return Err(Fault::Raw);
            }
            slot.put(bytes);
            Ok(())
        }
        (Class::Record(_), _) => Err(Fault::Type {
            hint: "this struct's layout is not the parameter's: pass the struct type the declaration names",
        }),
        _ => Err(Fault::Type {
            hint: "a struct is passed by value only to a parameter of that struct type",
        }),
    }
}

impl arg::sealed::Sealed for Struct {}
/// By value: the struct's bytes, for a parameter of the same layout.
impl Arg for Struct {
    crate::arg::not_direct!();
    fn store(
        &self,
        class: Class,
        slot: &mut Slot,
        ctx: &mut Ctx<'_>,
    ) -> std::result::Result<(), Fault> {
        store_record(
            self.ptr().cast_const().cast(),
            self.by_value,
            class,
            slot,
            ctx,
        )
    }
    fn variadic_class(&self) -> Class {
        // Not passed in a variadic tail: `store_record` refuses a class that is not a record.
        Class::Void
    }
    fn describe(&self) -> String {
        format!("a `{}`", self.record.c_name())
    }
}
// SAFETY: a struct by value is a copy of bytes the `Struct` owns for the whole call; one that
// holds pointers is refused by `store_record` in a safe call.
unsafe impl arg::SafeArg for Struct {}

impl arg::sealed::Sealed for &mut Struct {}
/// `&mut s` passes a pointer to the struct: an out-parameter (`struct timeval *`).
impl Arg for &mut Struct {
    crate::arg::not_direct!();
    fn store(
        &self,
        class: Class,
        slot: &mut Slot,
        ctx: &mut Ctx<'_>,
    ) -> std::result::Result<(), Fault> {
        arg::store_ptr(self.data.as_ptr().cast(), false, None, class, slot, ctx)
    }
    fn variadic_class(&self) -> Class {
        Class::Ptr {
            target: Target::Void,
            is_const: false,
            null: Null::Unknown,
        }
    }
    fn describe(&self) -> String {
        format!("a pointer to a `{}`", self.record.c_name())
    }
}

impl ret::sealed::Sealed for Struct {}
impl FromRet for Struct {
    type Wide = crate::direct::NotDirect;
    fn from_wide(w: crate::direct::NotDirect) -> Self {
        let _ = w;
        unreachable!("ffi-auto: a return without a direct kind took the direct tier")
    }
    const NAME: &'static str = "Struct";
    fn from_ret(class: Class, ret: &RetBuf) -> std::result::Result<Self, Fault> {
        let Class::Record(id) = class else {
            return Err(Fault::Type {
                hint: "it does not return a struct",
            });
        };
        let record = crate::layout::record(id);
        let by_value = RecordRef {
            id,
            has_pointers: crate::layout::has_pointers(&record),
        };
        // Records in the table were validated when they entered it (`layout::record_id`).
        let s = Struct::zeroed_as(record, Some(by_value)).map_err(|_| Fault::Type {
            hint: "the struct is too large to allocate",
        })?;
        let size = s.record.size as usize;
        // SAFETY: `class` is this record's (matched above), so the call returned a record of
        // `size` bytes into `ret`, read here before the frame is gone.
        let bytes = unsafe { ret.bytes(size) };
        // SAFETY: `data` holds at least `size` bytes, not borrowed elsewhere.
        unsafe { std::ptr::copy_nonoverlapping(bytes.as_ptr(), s.ptr(), size) };
        Ok(s)
    }
}

/// How a compile-time struct passes by value (cached by the caller), when its Rust size and
/// alignment are the record's (the generated code asserts so; this does not trust it).
#[doc(hidden)]
pub fn record_ref_of<T: CStruct>() -> Option<RecordRef> {
    let r = T::record();
    let fits = size_of::<T>() as u64 == r.size && align_of::<T>() as u64 == r.align;
    fits.then(|| crate::layout::record_ref(&r).ok()).flatten()
}

/// Reads a struct return into a `CStruct` type.
#[doc(hidden)]
pub fn read_record<T: CStruct>(
    rec: Option<RecordRef>,
    class: Class,
    ret: &RetBuf,
) -> std::result::Result<T, Fault> {
    match (class, rec) {
        (Class::Record(want), Some(rec)) if want == rec.id => {
            // SAFETY: the call's return class is record `id`, whose size is `T`'s (the
            // `CStruct` contract; `record_ref_of` checked size and alignment), read here
            // before the frame is gone.
            let bytes = unsafe { ret.bytes(size_of::<T>()) };
            // SAFETY: `T` is `#[repr(C)]` with the layout of record `id` (the `CStruct`
            // contract), and `bytes` holds a value of that record written by the C function.
            Ok(unsafe { bytes.as_ptr().cast::<T>().read_unaligned() })
        }
        _ => Err(Fault::Type {
            hint: "read it as the struct type its declaration names",
        }),
    }
}

/// Whether an integer class is signed.
fn signed(class: Class) -> bool {
    matches!(
        class,
        Class::I8 | Class::I16 | Class::I32 | Class::I64 | Class::I128
    )
}
