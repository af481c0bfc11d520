//! Process-wide tables that keep [`Class`](crate::class::Class) small and `Copy`: struct layouts
//! passed by value, and the ABI shapes of function pointer types (what a callback must match).

use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex, PoisonError};

use ffi_auto_sig::{CType, FloatKind, Record, RecordKind, Signature};
use libffi::middle::Type;

use crate::class::{Abi, Class, DM, Null, Target};

#[derive(Default)]
struct Records {
    list: Vec<Arc<Record>>,
    ids: HashMap<Arc<Record>, u32>,
}

/// One parameter or return of a function type, as a callback must match it: the ABI type,
/// except that `_Bool` is not `unsigned char` (not every byte is a valid Rust `bool`) and a
/// function pointer carries its own shape.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum ShapeElem {
    Abi(Abi),
    Bool,
    Fn(u32),
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct ShapeKey {
    ret: ShapeElem,
    args: Box<[ShapeElem]>,
    fixed: Option<usize>,
}

static RECORDS: LazyLock<Mutex<Records>> = LazyLock::new(Mutex::default);
static SHAPES: LazyLock<Mutex<HashMap<ShapeKey, u32>>> = LazyLock::new(Mutex::default);

/// The id of a record passed by value, after checking that libffi can describe it.
///
/// libffi lays a struct out by the C rules from its fields' types, so a record is accepted
/// only when that reproduces the header's layout: no unions (libffi has no union type), no
/// bitfields, no packed or over-aligned fields, and only fields of types it can describe.
pub(crate) fn record_id(r: &Arc<Record>) -> Result<u32, String> {
    {
        let t = RECORDS.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(&id) = t.ids.get(r) {
            return Ok(id);
        }
    }
    check_record(r)?;
    let mut t = RECORDS.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some(&id) = t.ids.get(r) {
        return Ok(id);
    }
    let id = u32::try_from(t.list.len()).map_err(|_| "too many struct types".to_owned())?;
    t.list.push(r.clone());
    t.ids.insert(r.clone(), id);
    Ok(id)
}

/// The record with this id.
pub(crate) fn record(id: u32) -> Arc<Record> {
    RECORDS.lock().unwrap_or_else(PoisonError::into_inner).list[id as usize].clone()
}

/// What passing a struct value needs to know, worked out once per value or type so that a
/// call takes no lock: its record id, and whether it holds a pointer (or function pointer)
/// anywhere, which hands C pointers only `call_raw` may pass.
#[doc(hidden)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RecordRef {
    pub(crate) id: u32,
    pub(crate) has_pointers: bool,
}

/// The [`RecordRef`] of a layout libffi can pass.
pub(crate) fn record_ref(r: &Arc<Record>) -> Result<RecordRef, String> {
    Ok(RecordRef {
        id: record_id(r)?,
        has_pointers: has_pointers(r),
    })
}

pub(crate) fn has_pointers(r: &Record) -> bool {
    fn ty(t: &CType) -> bool {
        match t.canonical() {
            CType::Pointer { .. } | CType::FnPtr(_) => true,
            CType::Array { elem, .. } => ty(elem),
            CType::Record(r) => has_pointers(r),
            _ => false,
        }
    }
    r.fields.iter().any(|f| ty(&f.ty))
}

/// The most scalar elements (arrays expanded) a struct passed by value may have: libffi gets
/// one element type per scalar, and C passes only small structs by value.
const MAX_FFI_ELEMENTS: u64 = 4096;

fn check_record(r: &Record) -> Result<(), String> {
    r.validate(&DM).map_err(|e| e.to_string())?;
    let elements = scalar_count(r);
    if elements > MAX_FFI_ELEMENTS {
        return Err(format!(
            "it has {elements} scalar elements, more than the {MAX_FFI_ELEMENTS} ffi-auto passes by value"
        ));
    }
    check_shape(r)
}

/// Scalars in a (validated) record, arrays expanded, saturating.
fn scalar_count(r: &Record) -> u64 {
    fn ty(t: &CType) -> u64 {
        match t.canonical() {
            CType::Array { elem, len } => ty(elem).saturating_mul(*len),
            CType::Record(r) => scalar_count(r),
            _ => 1,
        }
    }
    r.fields
        .iter()
        .fold(0u64, |n, f| n.saturating_add(ty(&f.ty)))
}

fn check_shape(r: &Record) -> Result<(), String> {
    if r.kind == RecordKind::Union {
        return Err("libffi cannot pass unions by value".to_owned());
    }
    if r.has_bitfields() {
        // Described by its bytes: each run of bitfields as the bytes it occupies (`u8`s,
        // integer-class data wherever C's storage units are), where that view lays the
        // other fields out exactly as C does.
        let view = storage_view(r)
            .ok_or_else(|| "its bitfields' storage cannot be described to libffi".to_owned())?;
        return check_shape(&view);
    }
    for f in &r.fields {
        check_field(&f.ty).map_err(|e| format!("field `{}`: {e}", f.name))?;
    }
    if r.is_natural(&DM).map_err(|e| e.to_string())? {
        Ok(())
    } else {
        Err("it is packed or over-aligned, which libffi cannot describe".to_owned())
    }
}

/// `r` with each run of bitfields replaced by the bytes it occupies (`unsigned char` arrays,
/// and padding bytes where C leaves a gap before a run), when that view has `r`'s size,
/// alignment and other fields' offsets; `None` otherwise.
fn storage_view(r: &Record) -> Option<Record> {
    let mut fields: Vec<(String, CType)> = Vec::new();
    let mut cursor = 0u64;
    let bytes = |n: u64| CType::Array {
        elem: Box::new(CType::Int(ffi_auto_sig::IntKind::UChar)),
        len: n,
    };
    let mut i = 0;
    while i < r.fields.len() {
        let f = &r.fields[i];
        if f.bit_width.is_none() {
            cursor = f.offset + f.ty.layout(&DM)?.size;
            fields.push((f.name.clone(), f.ty.clone()));
            i += 1;
            continue;
        }
        let (next, span) = r.bitfield_run(i);
        i = next;
        let Some((first, end)) = span else {
            continue;
        };
        if first < cursor {
            return None;
        }
        if first > cursor {
            fields.push((String::new(), bytes(first - cursor)));
        }
        fields.push((String::new(), bytes(end - first)));
        cursor = end;
    }
    if r.size > cursor.next_multiple_of(r.align.max(1)) {
        fields.push((String::new(), bytes(r.size - cursor)));
    }
    let view = Record::with_c_layout(r.kind, r.name.as_deref(), fields, &DM).ok()?;
    let offsets_agree = r.fields.iter().filter(|f| f.bit_width.is_none()).all(|f| {
        view.fields
            .iter()
            .any(|v| v.name == f.name && v.offset == f.offset)
    });
    (view.size == r.size && view.align == r.align && offsets_agree).then_some(view)
}

fn check_field(ty: &CType) -> Result<(), String> {
    match ty.canonical() {
        CType::Float(FloatKind::LongDouble) if !crate::longdouble::SUPPORTED => Err(
            "`long double` in a format ffi-auto does not know on this target (see `LongDouble`)"
                .to_owned(),
        ),
        CType::Int(k) if k.size(&DM) > 8 && !crate::int128::SUPPORTED => {
            Err(format!("`{}`: {}", k.c_name(), crate::int128::REFUSED))
        }
        CType::Array { elem, .. } => check_field(elem),
        CType::Record(r) => check_shape(r),
        CType::Void | CType::Opaque(_) => Err(format!("`{ty}` has no size")),
        _ => Ok(()),
    }
}

/// The libffi type of record `id`.
pub(crate) fn ffi_record(id: u32) -> Type {
    record_type(&record(id))
}

fn record_type(r: &Record) -> Type {
    if r.has_bitfields()
        && let Some(view) = storage_view(r)
    {
        return record_type(&view);
    }
    let mut elems = Vec::new();
    for f in &r.fields {
        push_field(&f.ty, &mut elems);
    }
    Type::structure(elems)
}

fn push_field(ty: &CType, out: &mut Vec<Type>) {
    match ty.canonical() {
        CType::Array { elem, len } => {
            for _ in 0..*len {
                push_field(elem, out);
            }
        }
        CType::Record(r) => out.push(record_type(r)),
        CType::Bool => out.push(Type::u8()),
        // The integer class of its size and sign, as a parameter of the type gets.
        CType::Int(k) => out.push(crate::cif::ffi_type(
            Class::int(k.size(&DM), k.is_signed(&DM)).abi(),
        )),
        CType::Float(FloatKind::Float) => out.push(Type::f32()),
        CType::Float(FloatKind::LongDouble) => out.push(Type::longdouble()),
        CType::Float(_) => out.push(Type::f64()),
        // Pointers; `check_field` refused everything else.
        _ => out.push(Type::pointer()),
    }
}

/// The id of a function type's ABI shape, or 0 when ffi-auto cannot describe it (a callback
/// then matches no such parameter; raw pointers still pass).
pub(crate) fn fn_shape(sig: &Signature) -> u32 {
    let classes = sig
        .params
        .iter()
        .map(|p| Class::of(&p.ty, Null::Unknown).ok())
        .collect::<Option<Vec<_>>>();
    match (classes, Class::of(&sig.ret, Null::Unknown)) {
        (Some(classes), Ok(ret)) => shape_of(&classes, ret, sig.variadic),
        _ => 0,
    }
}

/// The shape id of a function type already classified (every fixed parameter, the return).
pub(crate) fn shape_of(params: &[Class], ret: Class, variadic: bool) -> u32 {
    let elem = |c: Class| match c {
        Class::Bool => ShapeElem::Bool,
        Class::Ptr {
            target: Target::Fn(inner),
            ..
        } => ShapeElem::Fn(inner),
        c => ShapeElem::Abi(c.abi()),
    };
    let key = ShapeKey {
        ret: elem(ret),
        args: params.iter().copied().map(elem).collect(),
        fixed: variadic.then_some(params.len()),
    };
    let mut t = SHAPES.lock().unwrap_or_else(PoisonError::into_inner);
    let next = t.len() as u32 + 1;
    *t.entry(key).or_insert(next)
}
