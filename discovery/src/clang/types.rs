//! The C type of a clang type ([`Walker::conv`]): the one place libclang's types become
//! [`CType`]s, keeping what the header wrote (typedef names, `const`, `enum` tags) and laying
//! out the records reached (kept once, by name, in the walk's records table).

use std::sync::Arc;

use clang::{Entity, EntityKind, Type, TypeKind};
use ffi_auto_sig::{CType, Field, FloatKind, IntKind, Param, Record, RecordKind, Signature};

use super::walk::Walker;
use crate::decl::OpaqueDecl;

impl Walker {
    /// A clang type as a [`CType`]. `depth` counts pointers followed from a parameter: records
    /// are laid out at depths 0 and 1 and referred to by name beyond, which also stops
    /// self-referential structs. `anon` names an anonymous record or enum after its typedef.
    pub(super) fn conv(
        &mut self,
        ty: &Type<'_>,
        depth: u8,
        anon: Option<&str>,
    ) -> Result<CType, String> {
        use TypeKind as K;
        Ok(match ty.get_kind() {
            K::Void => CType::Void,
            K::Bool => CType::Bool,
            K::CharS | K::CharU => CType::Int(IntKind::Char),
            K::SChar => CType::Int(IntKind::SChar),
            K::UChar => CType::Int(IntKind::UChar),
            K::Short => CType::Int(IntKind::Short),
            K::UShort => CType::Int(IntKind::UShort),
            K::Int => CType::Int(IntKind::Int),
            K::UInt => CType::Int(IntKind::UInt),
            K::Long => CType::Int(IntKind::Long),
            K::ULong => CType::Int(IntKind::ULong),
            K::LongLong => CType::Int(IntKind::LongLong),
            K::ULongLong => CType::Int(IntKind::ULongLong),
            K::Int128 => CType::Int(IntKind::I128),
            K::UInt128 => CType::Int(IntKind::U128),
            K::Float => CType::Float(FloatKind::Float),
            K::Double => CType::Float(FloatKind::Double),
            K::LongDouble => CType::Float(FloatKind::LongDouble),
            K::Pointer => self.pointer(ty, depth)?,
            K::ConstantArray => CType::Array {
                elem: Box::new(self.conv(
                    &ty.get_element_type().ok_or("an array of unknown type")?,
                    depth,
                    None,
                )?),
                len: ty.get_size().unwrap_or(0) as u64,
            },
            K::IncompleteArray | K::VariableArray => CType::Pointer {
                is_const: false,
                pointee: Box::new(self.conv(
                    &ty.get_element_type().ok_or("an array of unknown type")?,
                    depth.saturating_add(1),
                    None,
                )?),
            },
            K::Typedef => self.typedef(ty, depth)?,
            K::Elaborated => self.conv(
                &ty.get_elaborated_type()
                    .ok_or("an unknown elaborated type")?,
                depth,
                anon,
            )?,
            K::Record => self.record(ty, depth, anon)?,
            K::Enum => self.enum_type(ty, depth, anon)?,
            K::Attributed => self.conv(
                &ty.get_modified_type().ok_or("an unknown attributed type")?,
                depth,
                anon,
            )?,
            K::FunctionPrototype | K::FunctionNoPrototype => {
                CType::FnPtr(Arc::new(self.fn_type(ty)?))
            }
            K::Unexposed => {
                let canon = ty.get_canonical_type();
                if canon.get_kind() == K::Unexposed {
                    return Err(format!("`{}`", ty.get_display_name()));
                }
                self.conv(&canon, depth, anon)?
            }
            K::Float128 => return Err("`_Float128`".to_owned()),
            K::Half | K::Float16 => return Err("`_Float16`".to_owned()),
            K::Complex => return Err(format!("`{}` (complex)", ty.get_display_name())),
            K::Vector => return Err(format!("`{}` (a vector type)", ty.get_display_name())),
            _ => return Err(format!("`{}`", ty.get_display_name())),
        })
    }

    /// A pointer: to a function (its prototype as written), or to data one level deeper.
    fn pointer(&mut self, ty: &Type<'_>, depth: u8) -> Result<CType, String> {
        let pointee = ty
            .get_pointee_type()
            .ok_or("a pointer to an unknown type")?;
        let canon = pointee.get_canonical_type();
        Ok(
            if matches!(
                canon.get_kind(),
                TypeKind::FunctionPrototype | TypeKind::FunctionNoPrototype
            ) {
                // The function type as written, so that its parameters keep their typedef
                // names (`size_t`, not `unsigned long`).
                CType::FnPtr(Arc::new(self.fn_type(&as_written_function(pointee))?))
            } else {
                CType::Pointer {
                    is_const: pointee.is_const_qualified(),
                    pointee: Box::new(self.conv(&pointee, depth.saturating_add(1), None)?),
                }
            },
        )
    }

    /// An enum: its integer type, named `enum NAME`.
    fn enum_type(&mut self, ty: &Type<'_>, depth: u8, anon: Option<&str>) -> Result<CType, String> {
        let decl = ty.get_declaration().ok_or("an unknown enum")?;
        // Always `enum NAME`, so that an enum is known as one (the typedef naming an
        // anonymous one wraps it under its own name).
        let tag = tag_of(&decl)
            .or_else(|| self.anon_name(&decl))
            .or_else(|| anon.map(str::to_owned))
            .map_or_else(|| "enum <anonymous>".to_owned(), |t| format!("enum {t}"));
        let under = decl
            .get_enum_underlying_type()
            .ok_or("an enum of unknown representation")?;
        let under = self.conv(&under, depth, None)?;
        // Enumerators are `int`s; clang gives an enum with no negative value the compatible
        // type `unsigned int` (implementation-defined, same size and passing). Where every
        // value fits `int`, the enum is `int`, so that an enumerator passes to, and compares
        // with, the enum's parameters, returns and fields without a cast, as in C.
        let fits_int = decl
            .get_children()
            .iter()
            .filter(|c| c.get_kind() == EntityKind::EnumConstantDecl)
            .all(|c| {
                c.get_enum_constant_value()
                    .is_some_and(|(_, u)| i32::try_from(u).is_ok())
            });
        Ok(if under == CType::UINT && fits_int {
            CType::INT.named(&tag)
        } else {
            under.named(&tag)
        })
    }

    /// A parameter's type. An array parameter is a pointer to its first element (C adjusts
    /// `int fd[2]`, `char *const argv[]`, `jmp_buf`, `va_list` so), keeping the element's
    /// `const`; libclang reports the type as declared.
    pub(super) fn param(&mut self, ty: &Type<'_>) -> Result<CType, String> {
        let canon = ty.get_canonical_type();
        if matches!(
            canon.get_kind(),
            TypeKind::ConstantArray | TypeKind::IncompleteArray | TypeKind::VariableArray
        ) {
            // The element as written keeps its typedef name (`regmatch_t`); through a typedef
            // of the array (`jmp_buf`), the canonical array has the element.
            let elem = ty
                .get_element_type()
                .or_else(|| canon.get_element_type())
                .ok_or("an array of unknown type")?;
            // libclang reports `const T[2]` as a const-qualified array of plain `T`.
            return Ok(CType::Pointer {
                is_const: elem.is_const_qualified() || canon.is_const_qualified(),
                pointee: Box::new(self.conv(&elem, 1, None)?),
            });
        }
        self.conv(ty, 0, None)
    }

    /// The typedef name given to an anonymous struct, union or enum, if any.
    fn anon_name(&self, decl: &Entity<'_>) -> Option<String> {
        self.anon_names.get(&decl.get_usr()?.0).cloned()
    }

    fn fn_type(&mut self, ty: &Type<'_>) -> Result<Signature, String> {
        if ty.get_kind() == TypeKind::FunctionNoPrototype {
            return Err("a function pointer without a prototype".to_owned());
        }
        let mut sig = Signature::new(self.conv(
            &ty.get_result_type().ok_or("an unknown return type")?,
            1,
            None,
        )?);
        for a in ty.get_argument_types().unwrap_or_default() {
            sig.params.push(Param::new(self.param(&a)?));
        }
        sig.variadic = ty.is_variadic();
        Ok(sig)
    }

    fn typedef(&mut self, ty: &Type<'_>, depth: u8) -> Result<CType, String> {
        let decl = ty.get_declaration().ok_or("an unknown typedef")?;
        let name = decl.get_name().unwrap_or_default();
        let under = decl
            .get_typedef_underlying_type()
            .ok_or("a typedef of unknown type")?;
        if let Some(k) = fixed_int(&name)
            && under.get_canonical_type().is_integer()
        {
            return Ok(CType::Int(k));
        }
        let inner = self.conv(&under, depth, Some(&name))?;
        Ok(inner.named(&name))
    }

    /// A struct or union. By value it is laid out in place; behind a pointer it is referred
    /// to by name (`CType::Opaque`), its layout (when complete) kept once in the records table,
    /// which keeps signatures small and stops self-referential structs.
    fn record(&mut self, ty: &Type<'_>, depth: u8, anon: Option<&str>) -> Result<CType, String> {
        let decl = ty.get_declaration().ok_or("an unknown struct")?;
        let name = tag_of(&decl)
            .or_else(|| self.anon_name(&decl))
            .or_else(|| anon.map(str::to_owned));
        let complete = ty.get_sizeof().is_ok() && ty.get_alignof().is_ok();
        match (&name, complete, depth) {
            (Some(n), false, _) => {
                // A tag met only in a prototype (`union u *`) is known as opaque too, with
                // its keyword, which a shim spelling it needs.
                if !self.records.contains_key(n) {
                    let (header, line) = super::walk::location(&decl);
                    let kind = record_kind(&decl);
                    self.opaque.entry(n.clone()).or_insert(OpaqueDecl {
                        name: n.clone(),
                        header,
                        line,
                        kind,
                        tag: None,
                    });
                }
                Ok(CType::Opaque(n.as_str().into()))
            }
            (None, false, _) => Ok(CType::Opaque("<anonymous>".into())),
            (Some(n), true, 1..) => {
                if !self.records.contains_key(n) && self.in_progress.insert(n.clone()) {
                    let r = self.layout(ty, &decl, name.clone())?;
                    self.records.insert(n.clone(), r);
                    self.in_progress.remove(n);
                }
                Ok(CType::Opaque(n.as_str().into()))
            }
            (Some(n), true, 0) => {
                if let Some(r) = self.records.get(n) {
                    return Ok(CType::Record(r.clone()));
                }
                self.in_progress.insert(n.clone());
                let r = self.layout(ty, &decl, name.clone());
                self.in_progress.remove(n);
                let r = r?;
                self.records.insert(n.clone(), r.clone());
                Ok(CType::Record(r))
            }
            (None, true, _) => Ok(CType::Record(self.layout(ty, &decl, None)?)),
        }
    }

    pub(super) fn layout(
        &mut self,
        ty: &Type<'_>,
        decl: &Entity<'_>,
        name: Option<String>,
    ) -> Result<Arc<Record>, String> {
        let kind = if decl.get_kind() == EntityKind::UnionDecl {
            RecordKind::Union
        } else {
            RecordKind::Struct
        };
        let size = ty
            .get_sizeof()
            .map_err(|e| format!("a struct size ({e:?})"))?;
        let align = ty
            .get_alignof()
            .map_err(|e| format!("a struct alignment ({e:?})"))?;
        let mut fields = Vec::new();
        for f in ty.get_fields().unwrap_or_default() {
            let fty = f.get_type().ok_or("a field of unknown type")?;
            let bits = f
                .get_offset_of_field()
                .map_err(|e| format!("a field offset ({e:?})"))?;
            // A flexible array member (`unsigned char data[];`) is an array of no elements
            // at its offset, not a pointer (which it is as a parameter).
            let ty = match fty.get_canonical_type().get_kind() {
                TypeKind::IncompleteArray => CType::Array {
                    elem: Box::new(self.conv(
                        &fty.get_element_type().ok_or("an array of unknown type")?,
                        0,
                        None,
                    )?),
                    len: 0,
                },
                _ => self.conv(&fty, 0, None)?,
            };
            fields.push(Field {
                name: f.get_name().unwrap_or_default(),
                ty,
                offset: (bits / 8) as u64,
                bit_width: f.get_bit_field_width().map(|w| w as u32),
                bit_offset: bits as u64,
            });
        }
        Ok(Arc::new(Record {
            name,
            kind,
            fields,
            size: size as u64,
            align: align as u64,
        }))
    }
}

/// `union` for a union's declaration, else `struct`.
pub(super) fn record_kind(decl: &Entity<'_>) -> RecordKind {
    if decl.get_kind() == EntityKind::UnionDecl {
        RecordKind::Union
    } else {
        RecordKind::Struct
    }
}

/// A struct's, union's or enum's tag, if it has one.
pub(super) fn tag_of(decl: &Entity<'_>) -> Option<String> {
    decl.get_name()
        .filter(|n| !n.is_empty() && !decl.is_anonymous() && !n.contains(' '))
}

/// A function type with its sugar kept: through typedefs (`typedef void *alloc_fn(size_t)`),
/// elaborations and attributes down to the prototype as written, whose parameter types still
/// name their typedefs. Falls back to the canonical type for anything else.
fn as_written_function(ty: Type<'_>) -> Type<'_> {
    let mut t = ty;
    for _ in 0..64 {
        let next = match t.get_kind() {
            TypeKind::FunctionPrototype | TypeKind::FunctionNoPrototype => return t,
            TypeKind::Typedef => t
                .get_declaration()
                .and_then(|d| d.get_typedef_underlying_type()),
            TypeKind::Elaborated => t.get_elaborated_type(),
            TypeKind::Attributed => t.get_modified_type(),
            _ => None,
        };
        match next {
            Some(n) => t = n,
            None => break,
        }
    }
    ty.get_canonical_type()
}

/// Typedef names that are integer kinds of their own in the model.
fn fixed_int(name: &str) -> Option<IntKind> {
    Some(match name {
        "size_t" => IntKind::Size,
        "ssize_t" => IntKind::SSize,
        "ptrdiff_t" => IntKind::PtrDiff,
        "intptr_t" => IntKind::IntPtr,
        "uintptr_t" => IntKind::UIntPtr,
        "int8_t" => IntKind::I8,
        "int16_t" => IntKind::I16,
        "int32_t" => IntKind::I32,
        "int64_t" => IntKind::I64,
        "uint8_t" => IntKind::U8,
        "uint16_t" => IntKind::U16,
        "uint32_t" => IntKind::U32,
        "uint64_t" => IntKind::U64,
        _ => return None,
    })
}
