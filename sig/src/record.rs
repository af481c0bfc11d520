//! Struct and union layouts.

use crate::model::DataModel;
use crate::types::CType;

/// `struct` or `union`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum RecordKind {
    /// `struct`: fields one after another.
    Struct,
    /// `union`: every field at offset 0.
    Union,
}

impl RecordKind {
    /// The C keyword: `struct` or `union`.
    ///
    /// ```
    /// assert_eq!(ffi_auto_sig::RecordKind::Union.keyword(), "union");
    /// ```
    pub fn keyword(self) -> &'static str {
        match self {
            RecordKind::Struct => "struct",
            RecordKind::Union => "union",
        }
    }
}

/// One field of a [`Record`].
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Field {
    /// The field's name (empty for an anonymous member).
    pub name: String,
    /// The field's type.
    pub ty: CType,
    /// Offset from the start of the record, in bytes.
    pub offset: u64,
    /// For a bitfield, its width in bits (its bit offset is `bit_offset`).
    pub bit_width: Option<u32>,
    /// For a bitfield, the bit offset from the start of the record.
    pub bit_offset: u64,
}

/// A complete struct or union: its fields at their offsets, its size and its alignment.
///
/// Layouts read from headers carry the offsets the compiler chose; [`Record::with_c_layout`]
/// computes them with the C rules (each field at the next multiple of its alignment, the size
/// rounded up to the largest alignment) for records built by hand.
///
/// ```
/// use ffi_auto_sig::{CType, DataModel, Record, RecordKind};
/// let dm = DataModel::native();
/// let r = Record::with_c_layout(
///     RecordKind::Struct,
///     Some("point"),
///     vec![("x".into(), CType::INT), ("y".into(), CType::DOUBLE)],
///     &dm,
/// )
/// .unwrap();
/// assert_eq!(r.fields[1].offset, align_of::<f64>() as u64);
/// assert_eq!(r.size, 2 * align_of::<f64>() as u64);
/// assert_eq!(CType::Record(r.into()).to_string(), "struct point");
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Record {
    /// The tag (`point` in `struct point`), or the typedef name of an anonymous record.
    pub name: Option<String>,
    /// Struct or union.
    pub kind: RecordKind,
    /// Fields in declaration order.
    pub fields: Vec<Field>,
    /// `sizeof`.
    pub size: u64,
    /// `_Alignof`.
    pub align: u64,
}

/// Why a layout could not be computed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum LayoutError {
    /// A field's type has no size (void, an opaque type, an unknown `long double`).
    #[error("field `{field}` has type `{ty}`, which has no known size on this target")]
    Incomplete {
        /// The field.
        field: String,
        /// Its type, spelled in C.
        ty: String,
    },
    /// The record is empty (C forbids it).
    #[error("a record needs at least one field")]
    Empty,
    /// The layout is not one a C compiler could produce: a field beyond the size, an
    /// alignment that is not a power of two, a size beyond [`Record::MAX_SIZE`].
    #[error("`{record}` has an impossible layout: {what}")]
    Invalid {
        /// `struct name`.
        record: String,
        /// What is wrong.
        what: String,
    },
}

impl Record {
    /// The largest record size ffi-auto accepts (1 GiB): no C struct is near it, and a bigger
    /// one would be a layout built by mistake.
    pub const MAX_SIZE: u64 = 1 << 30;
    /// The largest alignment accepted: clang's limit, 2^28 bytes.
    pub const MAX_ALIGN: u64 = 1 << 28;
    /// How deep records may nest in one another.
    pub const MAX_DEPTH: usize = 64;

    /// Checks that this is a layout a C compiler could have produced: alignments are powers
    /// of two up to [`Record::MAX_ALIGN`], the size is a multiple of the alignment and at
    /// most [`Record::MAX_SIZE`], every field (and bitfield) lies inside the record and has a
    /// size, and nested records are valid too. The fields are public, so a layout can be
    /// built by hand; everything that reads bytes at field offsets checks this first.
    ///
    /// ```
    /// use ffi_auto_sig::{CType, DataModel, Record, RecordKind};
    /// let dm = DataModel::native();
    /// let mut r = Record::with_c_layout(RecordKind::Struct, Some("p"),
    ///     vec![("x".into(), CType::INT)], &dm).unwrap();
    /// assert!(r.validate(&dm).is_ok());
    /// r.fields[0].offset = 64; // past the end
    /// assert!(r.validate(&dm).unwrap_err().to_string().contains("beyond"));
    /// ```
    ///
    /// # Errors
    /// [`LayoutError::Invalid`] saying what is wrong, or [`LayoutError::Incomplete`] for a
    /// field without a size.
    pub fn validate(&self, dm: &DataModel) -> Result<(), LayoutError> {
        self.validate_at(dm, 0)
    }

    fn validate_at(&self, dm: &DataModel, depth: usize) -> Result<(), LayoutError> {
        let bad = |what: String| LayoutError::Invalid {
            record: self.c_name(),
            what,
        };
        if depth > Record::MAX_DEPTH {
            return Err(bad(format!(
                "records nest more than {} deep",
                Record::MAX_DEPTH
            )));
        }
        if !self.align.is_power_of_two() || self.align > Record::MAX_ALIGN {
            return Err(bad(format!(
                "alignment {} is not a power of two up to {}",
                self.align,
                Record::MAX_ALIGN
            )));
        }
        if self.size > Record::MAX_SIZE || !self.size.is_multiple_of(self.align) {
            return Err(bad(format!(
                "size {} is not a multiple of its alignment {} up to {}",
                self.size,
                self.align,
                Record::MAX_SIZE
            )));
        }
        for f in &self.fields {
            validate_type(&f.ty, dm, depth + 1)?;
            let Some(l) = f.ty.layout(dm) else {
                return Err(LayoutError::Incomplete {
                    field: f.name.clone(),
                    ty: f.ty.to_string(),
                });
            };
            match f.bit_width {
                None => {
                    let end = f.offset.checked_add(l.size);
                    if end.is_none_or(|e| e > self.size) {
                        return Err(bad(format!(
                            "field `{}` ({} bytes at offset {}) lies beyond its {} bytes",
                            f.name, l.size, f.offset, self.size
                        )));
                    }
                }
                Some(w) => {
                    let end = f.bit_offset.checked_add(u64::from(w));
                    if u64::from(w) > l.size.saturating_mul(8)
                        || end.is_none_or(|e| e > self.size.saturating_mul(8))
                    {
                        return Err(bad(format!(
                            "bitfield `{}` ({w} bits at bit {}) lies beyond its {} bytes or its type",
                            f.name, f.bit_offset, self.size
                        )));
                    }
                }
            }
        }
        Ok(())
    }

    ///
    /// # Errors
    /// [`LayoutError`] when a field has no size, or there are no fields.
    pub fn with_c_layout(
        kind: RecordKind,
        name: Option<&str>,
        fields: Vec<(String, CType)>,
        dm: &DataModel,
    ) -> Result<Record, LayoutError> {
        if fields.is_empty() {
            return Err(LayoutError::Empty);
        }
        let mut out = Vec::with_capacity(fields.len());
        let (mut end, mut align) = (0u64, 1u64);
        let record = || format!("{} {}", kind.keyword(), name.unwrap_or("<anonymous>"));
        for (fname, ty) in fields {
            validate_type(&ty, dm, 1)?;
            let Some(l) = ty.layout(dm) else {
                return Err(LayoutError::Incomplete {
                    field: fname,
                    ty: ty.to_string(),
                });
            };
            // Valid types (above) have power-of-two alignments; sizes are bounded, so only
            // many huge fields could overflow.
            let offset = match kind {
                RecordKind::Struct => end.next_multiple_of(l.align.max(1)),
                RecordKind::Union => 0,
            };
            end = end.max(
                offset
                    .checked_add(l.size)
                    .ok_or_else(|| LayoutError::Invalid {
                        record: record(),
                        what: "its size overflows".to_owned(),
                    })?,
            );
            align = align.max(l.align);
            out.push(Field {
                name: fname,
                ty,
                offset,
                bit_width: None,
                bit_offset: offset * 8,
            });
        }
        let r = Record {
            name: name.map(str::to_owned),
            kind,
            fields: out,
            size: end.next_multiple_of(align),
            align,
        };
        r.validate(dm)?;
        Ok(r)
    }

    /// The layout the C rules give these fields (no `packed`, no `aligned` attribute), for
    /// comparison with the layout a header gave: libffi and `#[repr(C)]` reproduce only that.
    ///
    /// ```
    /// use ffi_auto_sig::{CType, DataModel, Record, RecordKind};
    /// let dm = DataModel::native();
    /// let mut r = Record::with_c_layout(RecordKind::Struct, Some("p"),
    ///     vec![("c".into(), CType::Int(ffi_auto_sig::IntKind::Char)), ("i".into(), CType::INT)], &dm).unwrap();
    /// assert!(r.is_natural(&dm).unwrap());
    /// // `__attribute__((packed))`: `i` at offset 1.
    /// r.fields[1].offset = 1;
    /// r.size = 5;
    /// r.align = 1;
    /// assert!(!r.is_natural(&dm).unwrap());
    /// ```
    ///
    /// # Errors
    /// As [`Record::with_c_layout`].
    pub fn natural_layout(&self, dm: &DataModel) -> Result<Record, LayoutError> {
        Record::with_c_layout(
            self.kind,
            self.name.as_deref(),
            self.fields
                .iter()
                .map(|f| (f.name.clone(), f.ty.clone()))
                .collect(),
            dm,
        )
    }

    /// Whether the record has the layout the C rules give its fields (see
    /// [`Record::natural_layout`]).
    ///
    /// # Errors
    /// As [`Record::with_c_layout`].
    pub fn is_natural(&self, dm: &DataModel) -> Result<bool, LayoutError> {
        let n = self.natural_layout(dm)?;
        Ok(n.size == self.size
            && n.align == self.align
            && n.fields
                .iter()
                .zip(&self.fields)
                .all(|(a, b)| a.offset == b.offset))
    }

    /// `struct name` / `union name`, or `struct <anonymous>`.
    pub fn c_name(&self) -> String {
        format!(
            "{} {}",
            self.kind.keyword(),
            self.name.as_deref().unwrap_or("<anonymous>")
        )
    }

    /// Whether any field is a bitfield.
    pub fn has_bitfields(&self) -> bool {
        self.fields.iter().any(|f| f.bit_width.is_some())
    }

    /// A field by the name C code uses to reach it, with its offset from the start of this
    /// record: the members of an anonymous struct or union are reached by their own names
    /// (`ru_maxrss` in `struct rusage`, as in C), and a nested record's fields by a dotted
    /// path (`stats.count`).
    ///
    /// ```
    /// use ffi_auto_sig::{CType, DataModel, Record, RecordKind};
    /// let dm = DataModel::native();
    /// let inner = Record::with_c_layout(RecordKind::Union, None,
    ///     vec![("key".into(), CType::INT), ("code".into(), CType::LONG)], &dm).unwrap();
    /// let outer = Record::with_c_layout(RecordKind::Struct, Some("event"),
    ///     vec![("kind".into(), CType::INT), (String::new(), CType::Record(inner.into()))],
    ///     &dm).unwrap();
    /// assert_eq!(outer.lookup("code").unwrap().offset, 8);
    /// assert!(outer.lookup("nothing").is_none());
    /// assert_eq!(outer.field_names(), ["kind", "key", "code"]);
    /// ```
    pub fn lookup(&self, path: &str) -> Option<Field> {
        let (first, rest) = match path.split_once('.') {
            Some((a, b)) => (a, Some(b)),
            None => (path, None),
        };
        let found = self.member(first, 0)?;
        let Some(rest) = rest else { return Some(found) };
        let CType::Record(inner) = found.ty.canonical() else {
            return None;
        };
        let mut f = inner.lookup(rest)?;
        f.offset = f.offset.checked_add(found.offset)?;
        f.bit_offset = f.bit_offset.checked_add(found.offset.checked_mul(8)?)?;
        Some(f)
    }

    /// A direct member, or one of an anonymous member's (depth-limited).
    fn member(&self, name: &str, depth: usize) -> Option<Field> {
        if name.is_empty() || depth > Record::MAX_DEPTH {
            return None;
        }
        if let Some(f) = self.fields.iter().find(|f| f.name == name) {
            return Some(f.clone());
        }
        self.fields
            .iter()
            .filter(|f| f.name.is_empty())
            .find_map(|anon| {
                let CType::Record(inner) = anon.ty.canonical() else {
                    return None;
                };
                let mut f = inner.member(name, depth + 1)?;
                f.offset = f.offset.checked_add(anon.offset)?;
                f.bit_offset = f.bit_offset.checked_add(anon.offset.checked_mul(8)?)?;
                Some(f)
            })
    }

    /// The names [`Record::lookup`] finds at the top level: the named fields, with the
    /// members of anonymous members in their place.
    pub fn field_names(&self) -> Vec<String> {
        fn walk(r: &Record, out: &mut Vec<String>, depth: usize) {
            for f in &r.fields {
                match f.ty.canonical() {
                    CType::Record(inner) if f.name.is_empty() && depth < Record::MAX_DEPTH => {
                        walk(inner, out, depth + 1);
                    }
                    _ if f.name.is_empty() => {}
                    _ => out.push(f.name.clone()),
                }
            }
        }
        let mut out = Vec::new();
        walk(self, &mut out, 0);
        out
    }
}

/// Checks the records a type holds (directly, or as array elements) and that its size is
/// computable; pointers are not followed (what they point to is not laid out here).
fn validate_type(ty: &CType, dm: &DataModel, depth: usize) -> Result<(), LayoutError> {
    if depth > Record::MAX_DEPTH {
        return Err(LayoutError::Invalid {
            record: ty.to_string(),
            what: format!("types nest more than {} deep", Record::MAX_DEPTH),
        });
    }
    match ty.canonical() {
        CType::Record(r) => r.validate_at(dm, depth),
        CType::Array { elem, .. } => validate_type(elem, dm, depth + 1),
        _ => Ok(()),
    }
}

impl Record {
    /// The run of consecutive bitfields that starts at field `start` (a bitfield): the index
    /// just past it, and the bytes its bits occupy (`first..end`), or `None` when it has only
    /// zero-width bitfields (which start a new unit and hold no bits).
    ///
    /// ```
    /// use ffi_auto_sig::{CType, Field, Record, RecordKind};
    /// let bit = |name: &str, bit_offset, w| Field {
    ///     name: name.into(), ty: CType::UINT, offset: 0, bit_width: Some(w), bit_offset,
    /// };
    /// let r = Record {
    ///     name: None, kind: RecordKind::Struct, size: 4, align: 4,
    ///     fields: vec![bit("a", 0, 4), bit("b", 4, 6)],
    /// };
    /// assert_eq!(r.bitfield_run(0), (2, Some((0, 2))));
    /// ```
    pub fn bitfield_run(&self, start: usize) -> (usize, Option<(u64, u64)>) {
        let mut end_index = start;
        while end_index < self.fields.len() && self.fields[end_index].bit_width.is_some() {
            end_index += 1;
        }
        let bits = self.fields[start..end_index]
            .iter()
            .filter(|b| b.bit_width.is_some_and(|w| w > 0));
        let first = bits.clone().map(|b| b.bit_offset / 8).min();
        let span = first.map(|first| {
            let end = bits
                .map(|b| (b.bit_offset + u64::from(b.bit_width.unwrap_or(0))).div_ceil(8))
                .max()
                .unwrap_or(first)
                .max(first + 1);
            (first, end)
        });
        (end_index, span)
    }
}

/// The bits `bit..bit + width` of `bytes` (little-endian bit order, as x86-64 and aarch64
/// lay out bitfields), sign-extended when `signed`; 0 for bits outside `bytes`.
///
/// ```
/// use ffi_auto_sig::{bits_get, bits_set};
/// let mut b = [0u8; 4];
/// bits_set(&mut b, 3, 5, -1i128);
/// assert_eq!(b, [0b1111_1000, 0, 0, 0]);
/// assert_eq!(bits_get(&b, 3, 5, true), -1);
/// assert_eq!(bits_get(&b, 3, 5, false), 31);
/// ```
pub fn bits_get(bytes: &[u8], bit: u64, width: u32, signed: bool) -> i128 {
    let mut v: u128 = 0;
    for i in 0..u64::from(width.min(64)) {
        let at = bit + i;
        let byte = usize::try_from(at / 8)
            .ok()
            .and_then(|b| bytes.get(b))
            .copied()
            .unwrap_or(0);
        if byte >> (at % 8) & 1 == 1 {
            v |= 1 << i;
        }
    }
    let w = width.min(64);
    if signed && w > 0 && v >> (w - 1) & 1 == 1 {
        (v as i128) - (1i128 << w)
    } else {
        v as i128
    }
}

/// Writes the low `width` bits of `value` to bits `bit..bit + width` of `bytes` (the other
/// bits unchanged; bits outside `bytes` are not written).
pub fn bits_set(bytes: &mut [u8], bit: u64, width: u32, value: i128) {
    for i in 0..u64::from(width.min(64)) {
        let at = bit + i;
        let Some(byte) = usize::try_from(at / 8).ok().and_then(|b| bytes.get_mut(b)) else {
            continue;
        };
        let mask = 1u8 << (at % 8);
        if value >> i & 1 == 1 {
            *byte |= mask;
        } else {
            *byte &= !mask;
        }
    }
}

/// The values a bitfield of `width` bits holds: `(min, max)`.
pub fn bits_range(width: u32, signed: bool) -> (i128, i128) {
    let w = width.min(64);
    if w == 0 {
        (0, 0)
    } else if signed {
        (-(1i128 << (w - 1)), (1i128 << (w - 1)) - 1)
    } else {
        (0, (1i128 << w) - 1)
    }
}

/// A value that does not fit a bitfield (what a generated `set_` accessor returns).
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{value} does not fit bitfield `{field}` ({width} bits: {min}..={max})")]
pub struct BitfieldRange {
    /// The field.
    pub field: &'static str,
    /// The value given.
    pub value: i128,
    /// Its width.
    pub width: u32,
    /// The smallest value it holds.
    pub min: i128,
    /// The largest.
    pub max: i128,
}

impl BitfieldRange {
    /// `Ok` when `value` fits a bitfield `field` of `width` bits, else the error.
    ///
    /// # Errors
    /// When it does not fit.
    pub fn check(
        field: &'static str,
        value: i128,
        width: u32,
        signed: bool,
    ) -> Result<(), BitfieldRange> {
        let (min, max) = bits_range(width, signed);
        if (min..=max).contains(&value) {
            Ok(())
        } else {
            Err(BitfieldRange {
                field,
                value,
                width,
                min,
                max,
            })
        }
    }
}
