//! Structs, unions, opaque types and constants from the headers: generated, or checked when
//! the user wrote them.

use std::collections::{BTreeSet, HashMap};
use std::path::PathBuf;

use ffi_auto_sig::{CType, DataModel, Field, FloatKind, Record, RecordKind};
use proc_macro2::{Literal, Span, TokenStream};
use quote::{format_ident, quote};
use syn::spanned::Spanned;
use syn::{Ident, Type};

use super::check::{Ty, classify, field_mismatch, names_of, spell};
use super::emit::rust_type_with;
use super::item::{ConstItem, StructItem};
use ffi_auto_discovery::Catalog;
use ffi_auto_discovery::HeaderSet;
use ffi_auto_discovery::{ConstValue, tag_name};
use ffi_auto_sig::did_you_mean;

/// Rust names of the structs declared in one macro invocation, by C name: generated code
/// refers to them instead of `c_void`.
pub type Types = HashMap<String, Ident>;

fn error(span: Span, msg: impl std::fmt::Display) -> TokenStream {
    syn::Error::new(span, msg.to_string()).into_compile_error()
}

/// `struct name;` or a user-written struct.
pub fn expand_struct(
    item: &StructItem,
    catalog: &Catalog,
    set: &HeaderSet,
    types: &Types,
    dm: &DataModel,
    krate: &syn::Path,
    headers: &mut BTreeSet<PathBuf>,
) -> TokenStream {
    let (c_name, span) = &item.c_name;
    let key = tag_name(c_name);
    headers.extend(catalog.headers().iter().cloned());
    if let Some(r) = catalog.record(key) {
        let found = Found {
            item,
            r: &r,
            key,
            types,
            dm,
            krate,
        };
        return if item.has_fields() {
            check_struct(&found)
        } else {
            generate_struct(&found)
        };
    }
    if let Some(o) = catalog.opaque(key) {
        let at = format!("{}:{}", o.header.display(), o.line);
        headers.insert(o.header.clone());
        if item.has_fields() {
            return error(
                item.ident.span(),
                format!(
                    "`{key}` has no definition in the headers ({at} only declares it), so its fields cannot be checked\nhint: declare it as `struct {key};`: an opaque type used behind pointers"
                ),
            );
        }
        let StructItem { ident, item, .. } = item;
        let (attrs, vis) = (&item.attrs, &item.vis);
        let doc = format!(
            "`{key}`, an opaque C type ({at}): only ever used behind a pointer (`*mut {ident}`)."
        );
        return quote! {
            #[doc = #doc]
            #(#attrs)*
            #[repr(C)]
            #vis struct #ident {
                _opaque: [u8; 0],
                _not_send_sync_or_unpin: ::core::marker::PhantomData<(*mut u8, ::core::marker::PhantomPinned)>,
            }
            // SAFETY: an opaque type has no values of its own; only pointers to it cross the
            // boundary, and any address is a valid raw pointer.
            unsafe impl #krate::sig::RustType for #ident {
                fn c_type() -> #krate::sig::CType {
                    #krate::sig::CType::Opaque(::core::convert::From::from(#key))
                }
            }
        };
    }
    let mut names = catalog.record_names();
    names.extend(catalog.opaque_names());
    let maybe = did_you_mean(&ffi_auto_sig::closest(
        key,
        names.iter().map(String::as_str),
    ));
    error(
        *span,
        format!(
            "no struct or union `{key}` in {}{maybe}\nhint: name the header that defines it, `#[ffi_auto(header = \"foo.h\")]`",
            set.describe()
        ),
    )
}

fn field_ident(name: &str) -> Option<Ident> {
    if name.is_empty() {
        return None;
    }
    let p = ffi_auto_discovery::param_name(Some(name), 0);
    syn::parse_str::<Ident>(&p).ok()
}

/// The `#[repr]` that reproduces the header's layout, or why none does.
fn repr(r: &Record, dm: &DataModel) -> Result<TokenStream, String> {
    let natural = r.natural_layout(dm).map_err(|e| e.to_string())?;
    if r.is_natural(dm).map_err(|e| e.to_string())? {
        return Ok(quote!(#[repr(C)]));
    }
    if r.align == 1 {
        return Ok(quote!(#[repr(C, packed)]));
    }
    if r.align > natural.align && natural.size.next_multiple_of(r.align) == r.size {
        let a = Literal::u64_unsuffixed(r.align);
        return Ok(quote!(#[repr(C, align(#a))]));
    }
    Err(format!(
        "its layout ({} bytes, aligned to {}) is not what `#[repr(C)]` gives ({} bytes, aligned to {}), and no other `repr` reproduces it",
        r.size, r.align, natural.size, natural.align
    ))
}

/// The type of a field in generated code.
fn field_type(ty: &CType, types: &Types, krate: &syn::Path) -> Result<TokenStream, String> {
    match ty.canonical() {
        // C's size and alignment in memory; by value, Rust has no type with its ABI.
        CType::Float(ffi_auto_sig::FloatKind::LongDouble) => Ok(quote!(#krate::CLongDouble)),
        CType::Array { elem, len } => {
            let e = field_type(elem, types, krate)?;
            let n = Literal::u64_unsuffixed(*len);
            Ok(quote!([#e; #n]))
        }
        CType::Record(r) => {
            let name = r.name.clone().unwrap_or_default();
            // The name the header uses for the field's type: its typedef (`yaml_mark_t`) when
            // it has one, else the tag (a struct and its typedef are one type).
            let written = match ty {
                CType::Named { name, .. } => name.to_string(),
                _ => name.clone(),
            };
            types
                .get(&written)
                .or_else(|| types.get(&name))
                .map(|i| quote!(#i))
                .ok_or_else(|| {
                    if name.is_empty() {
                        format!("an anonymous `{}` member, which ffi-auto does not generate", r.c_name())
                    } else {
                        format!("`{}` by value: declare `struct {written};` in the same macro call so that ffi-auto generates it too", r.c_name())
                    }
                })
        }
        _ => rust_type_with(ty, false, types),
    }
}

/// `Default` as all fields zero, for a generated record.
fn zeroed_default(ident: &Ident) -> TokenStream {
    quote! {
        impl ::core::default::Default for #ident {
            /// All fields zero (null pointers, `None` function pointers).
            fn default() -> Self {
                // SAFETY: every field of a generated record is an integer, float, raw pointer,
                // `Option` of a function pointer, byte array, `CLongDouble` (bytes), or an
                // array or record of those: all-zero bytes are a valid value of each.
                unsafe { ::core::mem::zeroed() }
            }
        }
    }
}

/// Compile-time assertions that the Rust type has the header's layout.
fn layout_asserts(ident: &Ident, r: &Record, key: &str, fields: &[Ident]) -> TokenStream {
    let at: Vec<(Ident, u64)> = r
        .fields
        .iter()
        .zip(fields)
        .map(|(f, id)| (id.clone(), f.offset))
        .collect();
    layout_asserts_at(ident, r, key, &at)
}

/// [`layout_asserts`] with each Rust field's offset given (a bitfield run's storage sits
/// where its first byte is).
fn layout_asserts_at(ident: &Ident, r: &Record, key: &str, fields: &[(Ident, u64)]) -> TokenStream {
    let size = Literal::u64_unsuffixed(r.size);
    let align = Literal::u64_unsuffixed(r.align);
    let size_msg = format!(
        "ffi-auto: `{ident}` does not have the size of C's `{key}` ({} bytes)",
        r.size
    );
    let align_msg = format!(
        "ffi-auto: `{ident}` does not have the alignment of C's `{key}` ({})",
        r.align
    );
    let offsets = (r.kind == RecordKind::Struct).then(|| {
        let checks = fields.iter().map(|(id, offset)| {
            let off = Literal::u64_unsuffixed(*offset);
            let msg = format!(
                "ffi-auto: field `{id}` of `{ident}` is not at the offset C's `{key}` has it ({offset})"
            );
            quote!(::core::assert!(::core::mem::offset_of!(#ident, #id) as u64 == #off, #msg);)
        });
        quote!(#(#checks)*)
    });
    quote! {
        const _: () = {
            ::core::assert!(::core::mem::size_of::<#ident>() as u64 == #size, #size_msg);
            ::core::assert!(::core::mem::align_of::<#ident>() as u64 == #align, #align_msg);
            #offsets
        };
    }
}

/// `CStruct` (the layout compiled in as bytes) and the runtime's argument and return impls.
fn runtime_impls(ident: &Ident, r: &Record, krate: &syn::Path) -> TokenStream {
    let bytes = syn::LitByteStr::new(&ffi_auto_sig::encoding::encode_record(r), Span::call_site());
    quote! {
        // SAFETY: the type is `#[repr(C)]` and the assertions above check its size, alignment
        // and field offsets against this very layout.
        unsafe impl #krate::CStruct for #ident {
            fn record() -> ::std::sync::Arc<#krate::sig::Record> {
                static RECORD: ::std::sync::OnceLock<::std::sync::Arc<#krate::sig::Record>> =
                    ::std::sync::OnceLock::new();
                RECORD
                    .get_or_init(|| {
                        ::std::sync::Arc::new(
                            #krate::__private::sig::encoding::decode_record(#bytes)
                                .expect("ffi-auto: the macros and the runtime come from different ffi-auto versions; depend on one `ffi-auto` and rebuild"),
                        )
                    })
                    .clone()
            }
        }
        // `Arg`, `FromRet` and `RustType` (typed callbacks take `*mut #ident`).
        #krate::__c_struct_impls!(#ident);
    }
}

/// A struct item whose record the headers define, and what expanding it needs.
struct Found<'a> {
    item: &'a StructItem,
    r: &'a Record,
    /// The C name, without `struct `/`union `.
    key: &'a str,
    types: &'a Types,
    dm: &'a DataModel,
    krate: &'a syn::Path,
}

fn generate_struct(found: &Found<'_>) -> TokenStream {
    let StructItem {
        ident,
        item,
        c_name,
        ..
    } = found.item;
    let generator = Generator {
        types: found.types,
        dm: found.dm,
        krate: found.krate,
        vis: &item.vis,
    };
    generator
        .record(ident, found.r, found.key, &item.attrs)
        .unwrap_or_else(|why| error(c_name.1, why))
}

/// Generates a record's Rust type, and one for each of its anonymous members.
struct Generator<'a> {
    types: &'a Types,
    dm: &'a DataModel,
    krate: &'a syn::Path,
    vis: &'a syn::Visibility,
}

/// A bitfield struct's Rust fields as they are laid out: each with its offset (for the
/// layout assertions), and where `repr(C)` has placed them so far (`cursor`).
#[derive(Default)]
struct BitLayout {
    fields: Vec<TokenStream>,
    at: Vec<(Ident, u64)>,
    cursor: u64,
    pads: usize,
    runs: usize,
}

impl BitLayout {
    /// Padding bytes `from..to`, where C leaves a gap.
    fn pad(&mut self, from: u64, to: u64) {
        if to > from {
            self.pads += 1;
            let id = format_ident!("_pad_{}", self.pads);
            let n = Literal::u64_unsuffixed(to - from);
            self.fields
                .push(quote!(#[doc = "Padding, as C lays it out."] pub #id: [u8; #n]));
            self.at.push((id, from));
        }
    }

    /// The byte array of a run of bitfields occupying bytes `first..end`; its name.
    fn run(&mut self, key: &str, bits: &[Field], first: u64, end: u64) -> Ident {
        self.pad(self.cursor, first);
        self.cursor = end;
        self.runs += 1;
        let storage = format_ident!("_bitfield_{}", self.runs);
        let len = Literal::u64_unsuffixed(end - first);
        let names: Vec<String> = bits
            .iter()
            .filter(|b| !b.name.is_empty())
            .map(|b| format!("`{}`", b.name))
            .collect();
        let doc = format!(
            "The bytes {first}..{end} of C's `{key}`, holding its bitfields {}: read and write them with the accessors.",
            names.join(", ")
        );
        self.fields
            .push(quote!(#[doc = #doc] pub #storage: [u8; #len]));
        self.at.push((storage.clone(), first));
        storage
    }
}

impl Generator<'_> {
    /// The Rust type `ident` for `r` (C name `key`, for messages), with its layout asserted,
    /// preceded by the types of its anonymous members, as bindgen does: an anonymous struct
    /// or union member becomes the type `{ident}_anon_{n}` in the field `anon_{n}`, and a
    /// member of anonymous type (`struct { int n; } stats;`) the type `{ident}_{field}`.
    fn record(
        &self,
        ident: &Ident,
        r: &Record,
        key: &str,
        attrs: &[syn::Attribute],
    ) -> Result<TokenStream, String> {
        if r.has_bitfields() && r.kind == RecordKind::Union {
            return Err(format!(
                "`{}` is a union with bitfields, which ffi-auto does not generate\nhint: use it behind a pointer (`*mut c_void`) with the C library's accessors",
                r.c_name()
            ));
        }
        if r.has_bitfields() {
            return self.bitfield_record(ident, r, key, attrs);
        }
        let repr = repr(r, self.dm).map_err(|why| format!("`{key}` cannot be generated: {why}"))?;
        let (nested, idents, fields) = self.fields(ident, r, key)?;
        let vis = self.vis;
        let doc = format!(
            "`{key}`, laid out as the header does ({} bytes, aligned to {}).",
            r.size, r.align
        );
        // A union has no `Debug` (which field to show?), so neither has a struct holding one.
        let debug = (!r.fields.iter().any(|f| holds_union(&f.ty))).then(|| quote!(Debug));
        let def = match r.kind {
            RecordKind::Struct => quote! {
                #[doc = #doc]
                #(#attrs)*
                #repr
                #[derive(Clone, Copy, #debug)]
                #vis struct #ident { #(#fields),* }
            },
            RecordKind::Union => quote! {
                #[doc = #doc]
                #(#attrs)*
                #repr
                #[derive(Clone, Copy)]
                #vis union #ident { #(#fields),* }
            },
        };
        let asserts = layout_asserts(ident, r, key, &idents);
        let impls = runtime_impls(ident, r, self.krate);
        let default = zeroed_default(ident);
        Ok(quote! {
            #nested
            #def
            #default
            #asserts
            #impls
        })
    }

    /// A struct with bitfields: each run of consecutive bitfields is one byte array
    /// (`_bitfield_N`) over the bytes its bits occupy, with an accessor pair per named
    /// bitfield (`ip_v()`, `set_ip_v(v)`, range-checked); the other fields as usual. The
    /// struct keeps C's layout (its alignment given explicitly where the arrays would lower
    /// it), asserted at compile time.
    fn bitfield_record(
        &self,
        ident: &Ident,
        r: &Record,
        key: &str,
        attrs: &[syn::Attribute],
    ) -> Result<TokenStream, String> {
        if cfg!(target_endian = "big") {
            return Err(format!(
                "`{key}` has bitfields, laid out here only for little-endian targets"
            ));
        }
        let (krate, vis) = (self.krate, self.vis);
        let mut out = BitLayout::default();
        let mut accessors = Vec::new();
        let mut natural_align = 1u64;
        let mut i = 0;
        while i < r.fields.len() {
            let f = &r.fields[i];
            if f.bit_width.is_none() {
                natural_align = natural_align.max(self.plain_field(f, key, &mut out)?);
                i += 1;
                continue;
            }
            let (next, span) = r.bitfield_run(i);
            let bits = &r.fields[i..next];
            i = next;
            let Some((first, end)) = span else { continue };
            if first < out.cursor {
                return Err(format!(
                    "`{key}` has bitfields sharing bytes with the field before them, which ffi-auto does not generate"
                ));
            }
            let storage = out.run(key, bits, first, end);
            for b in bits
                .iter()
                .filter(|b| !b.name.is_empty() && b.bit_width != Some(0))
            {
                accessors.push(self.bitfield_accessors(b, &storage, first, key)?);
            }
        }
        if r.align < natural_align {
            return Err(format!(
                "`{key}` is packed, with bitfields, which ffi-auto does not generate"
            ));
        }
        // Bytes C has after the last field beyond what alignment adds.
        if r.size > out.cursor.next_multiple_of(r.align.max(1)) {
            out.pad(out.cursor, r.size);
        }
        // Byte arrays align to 1: the struct's own alignment is given where they lower it.
        let repr = if r.align > natural_align {
            let a = Literal::u64_unsuffixed(r.align);
            quote!(#[repr(C, align(#a))])
        } else {
            quote!(#[repr(C)])
        };
        let doc = format!("`{key}`, laid out as the header does; its bitfields through accessors.");
        let asserts = layout_asserts_at(ident, r, key, &out.at);
        let impls = runtime_impls(ident, r, krate);
        let default = zeroed_default(ident);
        let fields = &out.fields;
        Ok(quote! {
            #[doc = #doc]
            #(#attrs)*
            #repr
            #[derive(Clone, Copy, Debug)]
            #vis struct #ident { #(#fields),* }
            impl #ident {
                #(#accessors)*
            }
            #default
            #asserts
            #impls
        })
    }

    /// An ordinary field beside bitfields, where `repr(C)` places it as C does; its
    /// alignment.
    fn plain_field(&self, f: &Field, key: &str, out: &mut BitLayout) -> Result<u64, String> {
        let Some(id) = field_ident(&f.name) else {
            return Err(format!(
                "`{key}` has an anonymous member beside its bitfields, which ffi-auto does not generate"
            ));
        };
        if anonymous_record(&f.ty).is_some() {
            return Err(format!(
                "`{key}` has a member of anonymous type beside its bitfields, which ffi-auto does not generate"
            ));
        }
        let ty = field_type(&f.ty, self.types, self.krate)
            .map_err(|why| format!("field `{}` of `{key}` is {why}", f.name))?;
        let layout =
            f.ty.layout(self.dm)
                .ok_or_else(|| format!("field `{}` of `{key}` has no size", f.name))?;
        if out.cursor.next_multiple_of(layout.align.max(1)) != f.offset {
            return Err(format!(
                "`{key}` is packed or laid out in a way `repr(C)` does not reproduce beside its bitfields (field `{}` at {})",
                f.name, f.offset
            ));
        }
        out.cursor = f.offset + layout.size;
        let doc = format!("`{}` in C.", f.ty.declare(&f.name));
        out.fields.push(quote!(#[doc = #doc] pub #id: #ty));
        out.at.push((id, f.offset));
        Ok(layout.align)
    }

    /// The getter and range-checked setter of bitfield `b`, whose run is stored in the byte
    /// array `storage` starting at byte `first` of the struct.
    fn bitfield_accessors(
        &self,
        b: &Field,
        storage: &Ident,
        first: u64,
        key: &str,
    ) -> Result<TokenStream, String> {
        let (krate, vis) = (self.krate, self.vis);
        let width = b.bit_width.unwrap_or(0);
        let getter = field_ident(&b.name)
            .ok_or_else(|| format!("bitfield `{}` of `{key}` has no Rust name", b.name))?;
        let setter = format_ident!("set_{}", b.name);
        let (rust, signed, is_bool) = match b.ty.canonical() {
            CType::Bool => (quote!(bool), false, true),
            CType::Int(k) => (
                rust_type_with(&b.ty, false, self.types)?,
                k.is_signed(self.dm),
                false,
            ),
            other => {
                return Err(format!(
                    "bitfield `{}` of `{key}` has type `{other}`, which ffi-auto does not generate",
                    b.name
                ));
            }
        };
        let rel = Literal::u64_unsuffixed(b.bit_offset - first * 8);
        let w = Literal::u32_unsuffixed(width);
        let name = &b.name;
        let get_doc = format!(
            "Bitfield `{}` ({width} bits at bit {} of the struct).",
            b.ty.declare(&b.name),
            b.bit_offset
        );
        let set_doc = format!(
            "Sets bitfield `{name}`; a value outside its {width} bits is an error, not a wrap."
        );
        let (from_raw, to_raw) = if is_bool {
            (quote!(raw != 0), quote!(i128::from(v)))
        } else {
            (quote!(raw as #rust), quote!(v as i128))
        };
        Ok(quote! {
            #[doc = #get_doc]
            #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
            #vis fn #getter(&self) -> #rust {
                let raw = #krate::__private::sig::bits_get(&self.#storage, #rel, #w, #signed);
                #from_raw
            }
            #[doc = #set_doc]
            ///
            /// # Errors
            /// When the value does not fit.
            #[allow(clippy::cast_lossless)]
            #vis fn #setter(&mut self, v: #rust) -> ::core::result::Result<(), #krate::__private::sig::BitfieldRange> {
                #krate::__private::sig::BitfieldRange::check(#name, #to_raw, #w, #signed)?;
                #krate::__private::sig::bits_set(&mut self.#storage, #rel, #w, #to_raw);
                ::core::result::Result::Ok(())
            }
        })
    }

    /// The fields of `r` (the Rust type `ident`) in generated code, with their names; and
    /// before them, the types generated for its anonymous members.
    fn fields(
        &self,
        ident: &Ident,
        r: &Record,
        key: &str,
    ) -> Result<(TokenStream, Vec<Ident>, Vec<TokenStream>), String> {
        let mut nested = TokenStream::new();
        let mut idents = Vec::new();
        let mut fields = Vec::new();
        let mut anon = 0;
        for f in &r.fields {
            let (id, ty) = match (field_ident(&f.name), anonymous_record(&f.ty)) {
                (id, Some((inner, len))) => {
                    let (id, nested_ident) = match id {
                        Some(id) => (id, format_ident!("{}_{}", ident, f.name)),
                        None => {
                            anon += 1;
                            (
                                format_ident!("anon_{anon}"),
                                format_ident!("{ident}_anon_{anon}"),
                            )
                        }
                    };
                    let nested_key = format!("{key}.{id}");
                    nested.extend(self.record(&nested_ident, inner, &nested_key, &[])?);
                    let ty = match len {
                        Some(n) => {
                            let n = Literal::u64_unsuffixed(n);
                            quote!([#nested_ident; #n])
                        }
                        None => quote!(#nested_ident),
                    };
                    (id, ty)
                }
                (Some(id), None) => {
                    let ty = field_type(&f.ty, self.types, self.krate)
                        .map_err(|why| format!("field `{}` of `{key}` is {why}", f.name))?;
                    (id, ty)
                }
                (None, None) => {
                    return Err(format!(
                        "`{key}` has an unnamed member of type `{}`, which ffi-auto does not generate\nhint: use it behind a pointer, or generate this type with bindgen",
                        f.ty
                    ));
                }
            };
            let doc = if f.name.is_empty() {
                format!(
                    "An anonymous `{}` member in C: its fields are `{key}`'s.",
                    f.ty
                )
            } else {
                format!("`{}` in C.", f.ty.declare(&f.name))
            };
            fields.push(quote!(#[doc = #doc] pub #id: #ty));
            idents.push(id);
        }
        Ok((nested, idents, fields))
    }
}

/// A record without a name (an anonymous member, or a member of anonymous type), directly or
/// as an array's element (with the array's length).
fn anonymous_record(ty: &CType) -> Option<(&Record, Option<u64>)> {
    match ty.canonical() {
        CType::Record(r) if r.name.is_none() => Some((r, None)),
        CType::Array { elem, len } => match elem.canonical() {
            CType::Record(r) if r.name.is_none() => Some((r, Some(*len))),
            _ => None,
        },
        _ => None,
    }
}

/// A user-written struct checked against the header's record: `#[repr(C)]`, the fields'
/// names and types in order; then its layout asserted.
fn check_struct(found: &Found<'_>) -> TokenStream {
    let Found { item, r, .. } = *found;
    let s = &item.item;
    let ident = &s.ident;
    let mut errors: Vec<syn::Error> = Vec::new();
    let has_repr_c = s
        .attrs
        .iter()
        .any(|a| a.path().is_ident("repr") && a.meta.to_token_stream_string().contains('C'));
    if !has_repr_c {
        errors.push(syn::Error::new(
            ident.span(),
            format!(
                "`{ident}` must be `#[repr(C)]` to have C's layout of `{}`\nhint: add `#[repr(C)]`",
                r.c_name()
            ),
        ));
    }
    let c_fields: Vec<String> = r.fields.iter().map(|f| f.ty.declare(&f.name)).collect();
    let declared = format!("C declares `{} {{ {}; }}`", r.c_name(), c_fields.join("; "));
    let syn::Fields::Named(named) = &s.fields else {
        errors.push(syn::Error::new(
            s.fields.span(),
            format!("C's `{}` has named fields\nhint: {declared}", r.c_name()),
        ));
        return combine(errors);
    };
    if named.named.len() != r.fields.len() {
        errors.push(syn::Error::new(
            named.span(),
            format!(
                "C's `{}` has {} fields, `{ident}` has {}\nhint: {declared}",
                r.c_name(),
                r.fields.len(),
                named.named.len()
            ),
        ));
    }
    let (idents, nested_asserts) = check_fields(found, named, &declared, &mut errors);
    if !errors.is_empty() {
        return combine(errors);
    }
    let asserts = layout_asserts(ident, r, found.key, &idents);
    let impls = runtime_impls(ident, r, found.krate);
    let s = quote!(#s);
    quote! {
        #s
        #asserts
        #(#nested_asserts)*
        #impls
    }
}

/// Checks the user's fields against C's, pairwise (`declared` spells C's, for hints).
/// Returns the fields' names, and the assertions for anonymous members.
fn check_fields(
    found: &Found<'_>,
    named: &syn::FieldsNamed,
    declared: &str,
    errors: &mut Vec<syn::Error>,
) -> (Vec<Ident>, Vec<TokenStream>) {
    let r = found.r;
    let ident = &found.item.item.ident;
    let mut idents = Vec::new();
    let mut anon = 0;
    // Anonymous members and members of anonymous type have no C type name to check a Rust
    // type against: their size and alignment are asserted instead (and the offsets of their
    // fields by the nested type's own check, when it is written with `#[ffi_auto]`).
    let mut nested_asserts = Vec::new();
    for (i, (uf, cf)) in named.named.iter().zip(&r.fields).enumerate() {
        let Some(uid) = &uf.ident else { continue };
        idents.push(uid.clone());
        // An anonymous member is `anon_{n}` in Rust, as generated.
        let c_field = if cf.name.is_empty() {
            anon += 1;
            format!("anon_{anon}")
        } else {
            cf.name.clone()
        };
        if *uid != c_field && uid.to_string().trim_start_matches("r#") != c_field {
            errors.push(syn::Error::new(
                uid.span(),
                format!(
                    "field {} of C's `{}` is `{}`, not `{uid}`\nhint: {declared}",
                    i + 1,
                    r.c_name(),
                    if cf.name.is_empty() {
                        format!("an anonymous `{}` (`{c_field}` in Rust)", cf.ty)
                    } else {
                        c_field
                    }
                ),
            ));
        }
        if let Some((inner, len)) = anonymous_record(&cf.ty) {
            nested_asserts.push(anonymous_member_assert(ident, uid, &uf.ty, cf, inner, len));
        } else if let Some(e) = field_type_error(found, &uf.ty, cf, declared) {
            errors.push(e);
        }
    }
    (idents, nested_asserts)
}

/// The size and alignment of a user's field `uid` of type `ty` (in `ident`), asserted to be
/// those of the anonymous record `inner` (or an array of `len` of them) C has there.
fn anonymous_member_assert(
    ident: &Ident,
    uid: &Ident,
    ty: &Type,
    cf: &Field,
    inner: &Record,
    len: Option<u64>,
) -> TokenStream {
    let (size, align) = (
        Literal::u64_unsuffixed(inner.size * len.unwrap_or(1)),
        Literal::u64_unsuffixed(inner.align),
    );
    let msg = format!(
        "ffi-auto: field `{uid}` of `{ident}` does not have the size and alignment of C's anonymous `{}` ({} bytes, aligned to {})",
        cf.ty, inner.size, inner.align
    );
    quote! {
        const _: () = ::core::assert!(
            ::core::mem::size_of::<#ty>() as u64 == #size
                && ::core::mem::align_of::<#ty>() as u64 == #align,
            #msg
        );
    }
}

/// Why the user's field type `ty` cannot hold C's field `cf`: a bitfield, or a type that
/// does not fit.
fn field_type_error(
    found: &Found<'_>,
    ty: &Type,
    cf: &Field,
    declared: &str,
) -> Option<syn::Error> {
    if cf.bit_width.is_some() {
        return Some(syn::Error::new(
            ty.span(),
            format!(
                "`{}` is a bitfield (`{}`), which a hand-written struct cannot declare field by field\nhint: write `struct {};` without fields: ffi-auto generates the type, with an accessor pair per bitfield",
                cf.name,
                cf.ty.declare(&cf.name),
                found.key
            ),
        ));
    }
    let why = struct_field_mismatch(ty, &cf.ty, found.types, found.dm)?;
    Some(syn::Error::new(
        ty.span(),
        format!(
            "field `{}` of `{}` is `{}` in C{why}\nhint: {declared}",
            cf.name,
            found.r.c_name(),
            cf.ty
        ),
    ))
}

fn holds_union(ty: &CType) -> bool {
    match ty.canonical() {
        CType::Array { elem, .. } => holds_union(elem),
        CType::Record(r) => {
            r.kind == RecordKind::Union || r.fields.iter().any(|f| holds_union(&f.ty))
        }
        _ => false,
    }
}

/// Why a user's field type does not fit the C field (empty `Some` for a plain mismatch).
fn struct_field_mismatch(ty: &Type, c: &CType, types: &Types, dm: &DataModel) -> Option<String> {
    // A `long double` field is its bytes, with C's size and alignment.
    if matches!(
        c.canonical(),
        CType::Float(ffi_auto_sig::FloatKind::LongDouble)
    ) {
        let rust = spell(ty);
        return (rust != "CLongDouble" && !rust.ends_with("::CLongDouble")).then(|| {
            format!(
                ", not `{rust}`: Rust has no `long double`; write `ffi_auto::CLongDouble` (its bytes, with C's size and alignment)"
            )
        });
    }
    // Types where some bit patterns are invalid cannot hold what C may store: a null or
    // dangling pointer in a reference, null in a bare function pointer, any integer in an
    // enum.
    match classify(ty, dm) {
        Ty::Ref { .. } | Ty::CStr { .. } => {
            return Some(format!(
                ", not `{}`: C may leave a pointer field null or dangling, which a reference cannot be; write a raw pointer (`{}`)",
                spell(ty),
                c.rust_type().unwrap_or_else(|| "*mut c_void".to_owned())
            ));
        }
        Ty::FnPtr { .. } if matches!(ty, Type::FnPtr(_)) => {
            return Some(format!(
                ", not `{}`: C may leave a function pointer field null; write `Option<{}>`",
                spell(ty),
                spell(ty)
            ));
        }
        Ty::Named(n) if !types.values().any(|i| *i == n) => {
            return Some(format!(
                ", not `{n}`: ffi-auto cannot see what `{n}` is (an enum or a reference would be invalid for some values C stores); write {}",
                match c.canonical() {
                    CType::Record(r) => format!(
                        "a struct declared in the same macro call (`struct {};`)",
                        r.name.clone().unwrap_or_default()
                    ),
                    _ => format!(
                        "`{}`",
                        c.rust_type().unwrap_or_else(|| "the C type".to_owned())
                    ),
                }
            ));
        }
        _ => {}
    }
    match (ty, c.canonical()) {
        (Type::Array(a), CType::Array { elem, len }) => {
            let n = match &a.len {
                syn::Expr::Lit(syn::ExprLit {
                    lit: syn::Lit::Int(i),
                    ..
                }) => i.base10_parse::<u64>().ok(),
                _ => None,
            };
            if n.is_some_and(|n| n != *len) {
                return Some(format!(", an array of {len}"));
            }
            struct_field_mismatch(&a.elem, elem, types, dm)
        }
        (_, CType::Record(_)) => match classify(ty, dm) {
            Ty::Named(n)
                if names_of(c)
                    .iter()
                    .any(|cn| *cn == n || types.get(cn).is_some_and(|i| *i == n)) =>
            {
                None
            }
            _ => Some(format!(", not `{}`", spell(ty))),
        },
        _ => field_mismatch(ty, c, dm, types),
    }
}

fn combine(errors: Vec<syn::Error>) -> TokenStream {
    let mut it = errors.into_iter();
    let Some(mut first) = it.next() else {
        return TokenStream::new();
    };
    for e in it {
        first.combine(e);
    }
    first.into_compile_error()
}

trait MetaString {
    fn to_token_stream_string(&self) -> String;
}

impl MetaString for syn::Meta {
    fn to_token_stream_string(&self) -> String {
        quote!(#self).to_string()
    }
}

/// `const NAME;` or `const NAME: Type;`.
pub fn expand_const(
    item: &ConstItem,
    catalog: &Catalog,
    set: &HeaderSet,
    dm: &DataModel,
    headers: &mut BTreeSet<PathBuf>,
) -> TokenStream {
    let (c_name, span) = &item.c_name;
    let Some(c) = catalog.constant(c_name) else {
        let maybe = did_you_mean(&ffi_auto_sig::closest(
            c_name,
            catalog.constant_names().iter().map(String::as_str),
        ));
        let also = if catalog.function(c_name).is_some() {
            format!("\nhint: `{c_name}` is a function: declare it with `fn`")
        } else {
            "\nhint: a constant is an object-like macro that evaluates to a number or a string, or an enumerator; name the header that defines it with `header = \"...\"`".to_owned()
        };
        return error(
            *span,
            format!("no constant `{c_name}` in {}{maybe}{also}", set.describe()),
        );
    };
    headers.insert(c.header.clone());
    let at = format!("{}:{}", c.header.display(), c.line);
    let (ty, value) = match &item.ty {
        None => match generated_const(&c.ty, &c.value) {
            Ok(t) => t,
            Err(why) => return error(*span, format!("`{c_name}` ({at}) {why}")),
        },
        Some(t) => match checked_const(t, &c.ty, &c.value, dm) {
            Ok(v) => (quote!(#t), v),
            Err(why) => {
                return error(
                    t.span(),
                    format!(
                        "`{c_name}` is `{}` of type `{}` in C ({at}){why}",
                        c.value, c.ty
                    ),
                );
            }
        },
    };
    let ConstItem {
        attrs, vis, ident, ..
    } = item;
    let doc = format!("`{c_name}` = `{}` (`{}`, {at}).", c.value, c.ty);
    quote! {
        #[doc = #doc]
        #(#attrs)*
        #vis const #ident: #ty = #value;
    }
}

fn int_lit(v: &ConstValue) -> TokenStream {
    match *v {
        ConstValue::Int(i) if i < 0 => {
            let l = Literal::u64_unsuffixed(i.unsigned_abs());
            quote!(-#l)
        }
        ConstValue::Int(i) => {
            let l = Literal::i64_unsuffixed(i);
            quote!(#l)
        }
        ConstValue::UInt(u) => {
            let l = Literal::u64_unsuffixed(u);
            quote!(#l)
        }
        _ => quote!(0),
    }
}

fn str_value(bytes: &[u8]) -> (TokenStream, TokenStream) {
    match std::ffi::CString::new(bytes.to_vec()) {
        Ok(cs) => {
            let l = Literal::c_string(&cs);
            (quote!(&::core::ffi::CStr), quote!(#l))
        }
        Err(_) => {
            let l = Literal::byte_string(bytes);
            (quote!(&[u8]), quote!(#l))
        }
    }
}

fn generated_const(ty: &CType, v: &ConstValue) -> Result<(TokenStream, TokenStream), String> {
    Ok(match v {
        ConstValue::Int(_) | ConstValue::UInt(_) => {
            (rust_type_with(ty, false, &Types::new())?, int_lit(v))
        }
        ConstValue::Float(f) if f.is_finite() => {
            let t = if matches!(ty.canonical(), CType::Float(FloatKind::Float)) {
                quote!(f32)
            } else {
                quote!(f64)
            };
            let l = Literal::f64_unsuffixed(*f);
            (t, quote!(#l))
        }
        ConstValue::Float(f) => {
            let v = if f.is_nan() {
                quote!(f64::NAN)
            } else if *f > 0.0 {
                quote!(f64::INFINITY)
            } else {
                quote!(f64::NEG_INFINITY)
            };
            (quote!(f64), v)
        }
        ConstValue::Str(b) => str_value(b),
        ConstValue::Ptr(a) => {
            let t = rust_type_with(ty, false, &Types::new())?;
            (t.clone(), pointer_value(ty, *a, &t)?)
        }
    })
}

/// A pointer constant's value as a Rust constant expression of type `t`: a data pointer from
/// its address, a null function pointer as `None`. A function pointer that is not null
/// (`((sqlite3_destructor_type)-1)`) points to no function, which a Rust `const` cannot hold
/// (const evaluation requires a function pointer to point to a function).
fn pointer_value(c: &CType, address: u64, t: &TokenStream) -> Result<TokenStream, String> {
    let l = Literal::u64_unsuffixed(address);
    match c.canonical() {
        CType::FnPtr(_) if address == 0 => Ok(quote!(::core::option::Option::None)),
        CType::FnPtr(_) => Err(format!(
            "is a function pointer with the address {address:#x}, which points to no function: a Rust `const` cannot hold it\nhint: declare it as an integer (`usize`, or `isize` for {}) and convert where it is passed: `core::mem::transmute::<isize, {}>(NAME)`",
            address as i64,
            c.rust_type().unwrap_or_else(|| t.to_string())
        )),
        _ => Ok(quote!(#l as #t)),
    }
}

/// A constant's value (`v`, of C type `c`) written as the user's type `t`, or why it cannot
/// be one (the message's tail).
fn checked_const(
    t: &Type,
    c: &CType,
    v: &ConstValue,
    dm: &DataModel,
) -> Result<TokenStream, String> {
    let spelled = spell(t);
    if let ConstValue::Ptr(a) = *v {
        return checked_pointer_const(t, c, a, dm);
    }
    match (classify(t, dm), v) {
        (Ty::Int { size, signed }, ConstValue::Int(_) | ConstValue::UInt(_)) => {
            checked_int_const(&spelled, size, signed, c, v)
        }
        (Ty::F64, ConstValue::Float(f)) => {
            let l = Literal::f64_unsuffixed(*f);
            Ok(quote!(#l))
        }
        (Ty::F32, ConstValue::Float(f)) => {
            let l = Literal::f32_unsuffixed(*f as f32);
            Ok(quote!(#l))
        }
        (Ty::CStr { optional: false }, ConstValue::Str(b)) => {
            match std::ffi::CString::new(b.clone()) {
                Ok(cs) => {
                    let l = Literal::c_string(&cs);
                    Ok(quote!(#l))
                }
                Err(_) => Err(", which holds a NUL byte\nhint: write `&[u8]`".to_owned()),
            }
        }
        (_, ConstValue::Str(b)) if spelled == "&str" || spelled == "&'static str" => {
            match std::str::from_utf8(b) {
                Ok(s) => Ok(quote!(#s)),
                Err(_) => Err(", which is not UTF-8\nhint: write `&CStr` or `&[u8]`".to_owned()),
            }
        }
        (_, ConstValue::Str(b)) if spelled == "&[u8]" || spelled == "&'static [u8]" => {
            let l = Literal::byte_string(b);
            Ok(quote!(#l))
        }
        (_, ConstValue::Str(_)) => Err(format!(
            ", not `{spelled}`\nhint: write `&CStr`, `&str` or `&[u8]`"
        )),
        (_, ConstValue::Float(_)) => Err(format!(", not `{spelled}`\nhint: write `f64`")),
        _ => Err(format!(
            ", not `{spelled}`\nhint: write `{}`",
            c.rust_type()
                .unwrap_or_else(|| "an integer type".to_owned())
        )),
    }
}

/// A pointer constant (address `a`, C type `c`) as the user's type `t`: a pointer of the
/// C type, or its address as a pointer-sized integer.
fn checked_pointer_const(
    t: &Type,
    c: &CType,
    a: u64,
    dm: &DataModel,
) -> Result<TokenStream, String> {
    match classify(t, dm) {
        // The address, as a pointer-sized integer (`-1` for `isize`).
        Ty::Int { size, signed } if u64::from(size) == u64::from(dm.pointer.size) => {
            let int = if signed {
                ConstValue::Int(a as i64)
            } else {
                ConstValue::UInt(a)
            };
            Ok(int_lit(&int))
        }
        Ty::Ptr { .. } | Ty::FnPtr { .. } | Ty::Named(_) if c.is_pointer() => {
            pointer_value(c, a, &quote!(#t)).map_err(|e| format!(" and {e}"))
        }
        _ => Err(format!(
            ", a pointer, not `{}`\nhint: write `{}`, or `usize` for its address",
            spell(t),
            c.rust_type().unwrap_or_else(|| "a pointer type".to_owned())
        )),
    }
}

/// An integer constant `v` (C type `c`) as the user's integer type (`spelled`, of `size`
/// bytes): its literal, if the value fits.
fn checked_int_const(
    spelled: &str,
    size: u8,
    signed: bool,
    c: &CType,
    v: &ConstValue,
) -> Result<TokenStream, String> {
    let x: i128 = match *v {
        ConstValue::Int(i) => i128::from(i),
        ConstValue::UInt(u) => i128::from(u),
        _ => 0,
    };
    let bits = u32::from(size) * 8;
    let (min, max) = if signed {
        (-(1i128 << (bits - 1)), (1i128 << (bits - 1)) - 1)
    } else {
        (0, (1i128 << bits) - 1)
    };
    if (min..=max).contains(&x) {
        Ok(int_lit(v))
    } else {
        Err(format!(
            ", which does not fit `{spelled}` ({min}..={max})\nhint: write `{}`",
            c.rust_type()
                .unwrap_or_else(|| "a wider integer".to_owned())
        ))
    }
}
