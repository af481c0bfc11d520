//! The AST walk: one pass over a translation unit's top-level entities, collecting the
//! functions (with their attributes and redeclarations merged), the declarations that cannot
//! be called and why, records and opaque types, macros and `#include`s. The C types the
//! entities use are read by [`super::types`]; macro values are evaluated afterwards
//! ([`super::constants`]); [`Walker::finish`] resolves what needs the whole unit (macros
//! that rename functions, the named headers' API).

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::sync::Arc;

use clang::{Entity, EntityKind, StorageClass, Type, TypeKind};
use ffi_auto_sig::{CType, FnAttrs, Param, Record, Signature};

use super::attributes::{Attributes, parse_attributes};
use super::dep;
use super::types::tag_of;
use crate::api::{Inclusion, api_files};
use crate::decl::{Constant, Decl, Declarations, Dep, Global, NotCallable, OpaqueDecl};

/// What the walk has found so far, by name.
#[derive(Default)]
pub(super) struct Walker {
    pub(super) functions: HashMap<String, Decl>,
    pub(super) not_callable: HashMap<String, NotCallable>,
    pub(super) macros: Vec<Macro>,
    /// Every file included: the dependencies.
    pub(super) includes: HashSet<PathBuf>,
    /// The headers the unit includes at top level, in order.
    pub(super) headers: Vec<PathBuf>,
    /// Complete structs and unions, laid out, by name.
    pub(super) records: HashMap<String, Arc<Record>>,
    /// Records being laid out: reaching one again (through a pointer) refers to it by name.
    pub(super) in_progress: HashSet<String>,
    pub(super) opaque: HashMap<String, OpaqueDecl>,
    pub(super) constants: HashMap<String, Constant>,
    /// Global variables (`extern` declarations).
    pub(super) globals: HashMap<String, Global>,
    /// Typedef names and what they name.
    pub(super) typedefs: HashMap<String, CType>,
    /// Every `#include`, for the named headers' API (`api::api_files`).
    pub(super) inclusions: Vec<Inclusion>,
    /// Anonymous structs, unions and enums named by a typedef (`typedef struct {...} foo;`),
    /// by the declaration's USR: the record takes the typedef's name wherever it is reached
    /// (through an array typedef, inside a function pointer, as a field), as bindgen does.
    pub(super) anon_names: HashMap<String, String>,
}

/// An object- or function-like macro: its body's tokens, and where it is defined.
pub(super) struct Macro {
    pub(super) name: String,
    pub(super) function_like: bool,
    pub(super) body: Vec<String>,
    pub(super) header: PathBuf,
    pub(super) line: u32,
}

/// The name an `__asm__` label gives a declaration for the linker, when it differs from
/// `name` (glibc's `__REDIRECT`).
fn asm_label(e: &Entity<'_>, name: &str) -> Option<String> {
    e.get_children()
        .into_iter()
        .find(|c| c.get_kind() == EntityKind::AsmLabelAttr)
        .and_then(|c| c.get_name())
        .filter(|l| l != name)
}

/// Where an entity is written: its file and line.
pub(super) fn location(e: &Entity<'_>) -> (PathBuf, u32) {
    e.get_location()
        .map(|l| l.get_file_location())
        .map_or((PathBuf::new(), 0), |l| {
            (l.file.map(|f| f.get_path()).unwrap_or_default(), l.line)
        })
}

impl Walker {
    /// One top-level entity, by kind.
    pub(super) fn visit(&mut self, e: Entity<'_>) {
        match e.get_kind() {
            EntityKind::FunctionDecl => self.function(&e),
            EntityKind::VarDecl => self.global(&e),
            EntityKind::MacroDefinition if !e.is_builtin_macro() => self.macro_definition(&e),
            EntityKind::StructDecl | EntityKind::UnionDecl => self.record_decl(&e, None),
            EntityKind::TypedefDecl => self.typedef_decl(&e),
            EntityKind::EnumDecl => self.enum_constants(&e),
            EntityKind::InclusionDirective => self.inclusion(&e),
            _ => {}
        }
    }

    /// An `extern` variable declaration: a global the program can read (and write, unless
    /// `const`). Types ffi-auto cannot represent are left out.
    fn global(&mut self, e: &Entity<'_>) {
        let Some(name) = e.get_name() else { return };
        // A thread-local variable has one address per thread: no handle can hold it.
        if e.get_storage_class() != Some(StorageClass::Extern)
            || e.get_tls_kind().is_some()
            || self.globals.contains_key(&name)
        {
            return;
        }
        let Some(ty) = e.get_type() else { return };
        let Ok(cty) = self.conv(&ty, 0, None) else {
            return;
        };
        let (header, line) = location(e);
        let link_name = asm_label(e, &name);
        self.globals.insert(
            name.clone(),
            Global {
                name,
                is_const: ty.is_const_qualified(),
                ty: cty,
                link_name,
                header,
                line,
            },
        );
    }

    /// A macro, kept with its body's tokens: constants, function-like macros (not callable)
    /// and renamed functions are told apart once the walk is done.
    fn macro_definition(&mut self, e: &Entity<'_>) {
        let (header, line) = location(e);
        let (Some(name), false) = (e.get_name(), header.as_os_str().is_empty()) else {
            return;
        };
        let body = e
            .get_range()
            .map(|r| {
                r.tokenize()
                    .iter()
                    .skip(1)
                    .map(clang::token::Token::get_spelling)
                    .collect()
            })
            .unwrap_or_default();
        self.macros.push(Macro {
            name,
            function_like: e.is_function_like_macro(),
            body,
            header,
            line,
        });
    }

    /// A typedef: the first one of an anonymous struct, union or enum names it, and one of a
    /// record declares that record under its name.
    fn typedef_decl(&mut self, e: &Entity<'_>) {
        let (Some(name), Some(under)) = (e.get_name(), e.get_typedef_underlying_type()) else {
            return;
        };
        // What the name stands for, records by name (their layouts are in `records`).
        if let Some(t) = e.get_type()
            && let Ok(c) = self.conv(&t, 1, None)
        {
            self.typedefs.entry(name.clone()).or_insert(c);
        }
        let canon = under.get_canonical_type();
        let Some(decl) = canon.get_declaration() else {
            return;
        };
        if matches!(canon.get_kind(), TypeKind::Record | TypeKind::Enum)
            && tag_of(&decl).is_none()
            && let Some(usr) = decl.get_usr()
        {
            // The first typedef of an anonymous type names it.
            self.anon_names.entry(usr.0).or_insert_with(|| name.clone());
        }
        if canon.get_kind() == TypeKind::Record {
            self.record_decl(&decl, Some((name, e)));
        }
    }

    /// An `#include`: the headers the unit names (top level), and every inclusion for the
    /// API and the dependencies.
    fn inclusion(&mut self, e: &Entity<'_>) {
        if let Some(f) = e.get_file() {
            let path = f.get_path();
            let top_level = e.is_in_main_file();
            if top_level && !self.headers.contains(&path) {
                self.headers.push(path.clone());
            }
            self.inclusions.push(Inclusion {
                from: location(e).0,
                spelled: e.get_name().unwrap_or_default(),
                file: path.clone(),
                top_level,
            });
            self.includes.insert(path);
        }
    }

    /// A struct or union declaration (or a typedef naming one, `alias`): its layout by name
    /// when complete, else an opaque type.
    fn record_decl(&mut self, decl: &Entity<'_>, alias: Option<(String, &Entity<'_>)>) {
        let tag = decl
            .get_name()
            .filter(|n| !n.is_empty() && !decl.is_anonymous());
        let Some(name) = alias.as_ref().map(|(a, _)| a.clone()).or(tag) else {
            return;
        };
        if name.starts_with("__") && alias.is_none() {
            return;
        }
        let Some(ty) = decl.get_type() else { return };
        let complete = ty.get_sizeof().is_ok();
        let at = alias.as_ref().map_or(decl, |(_, e)| *e);
        if !complete {
            if !self.records.contains_key(&name) {
                let (header, line) = location(at);
                let kind = super::types::record_kind(decl);
                let tag = alias.as_ref().and(tag_of(decl));
                self.opaque.entry(name.clone()).or_insert(OpaqueDecl {
                    name,
                    header,
                    line,
                    kind,
                    tag,
                });
            }
            return;
        }
        if self.records.contains_key(&name) {
            return;
        }
        self.in_progress.insert(name.clone());
        let r = self.layout(&ty, decl, Some(name.clone()));
        self.in_progress.remove(&name);
        if let Ok(mut r) = r {
            // A typedef may align (and so size) the record otherwise than its definition
            // does: the typedef's own size and alignment are what C uses under that name.
            if let Some((_, e)) = &alias
                && let Some(t) = e.get_type()
                && let (Ok(size), Ok(align)) = (t.get_sizeof(), t.get_alignof())
                && (align as u64 != r.align || size as u64 != r.size)
                // gcc and clang keep the struct's size under a typedef that raises its
                // alignment (glibc's `__pthread_unwind_buf_t`: 104 bytes aligned to 16): no
                // record has such a layout (an array of them is not possible), so the
                // struct's own is kept; the compiler check reports it as not compared.
                && align > 0 && size.is_multiple_of(align)
            {
                let m = Arc::make_mut(&mut r);
                m.align = align as u64;
                m.size = size as u64;
            }
            // A typedef of a tagged struct keeps the tag as the record's name.
            if let Some(tag) = decl
                .get_name()
                .filter(|n| !n.is_empty() && !decl.is_anonymous())
            {
                Arc::make_mut(&mut r).name = Some(tag);
            }
            self.opaque.remove(&name);
            self.records.insert(name, r);
        }
    }

    fn function(&mut self, e: &Entity<'_>) {
        let Some(name) = e.get_name() else { return };
        let (header, line) = location(e);
        let not_callable = |reason: String| NotCallable {
            name: name.clone(),
            reason,
            header: header.clone(),
            line,
            shim: None,
        };
        let Some(ty) = e.get_type() else { return };
        if e.get_storage_class() == Some(StorageClass::Static) {
            if !self.functions.contains_key(&name) {
                // Its signature, when ffi-auto can pass its types: a C shim then calls it.
                let shim = (ty.get_kind() == TypeKind::FunctionPrototype)
                    .then(|| {
                        let pretty = e.get_pretty_printer().print();
                        let attrs = parse_attributes(&pretty);
                        let arguments = e.get_arguments().unwrap_or_default();
                        self.signature(&ty, &arguments, &attrs).ok()
                    })
                    .flatten();
                let mut n = not_callable(if shim.is_some() {
                    "it is `static` (inline) in the header, so no library exports a symbol for it; a C shim makes it callable: for the macros, add a build script with `ffi_auto_discovery::Builder` (it compiles the shims); by-name calls compile one on first use (a C compiler is needed)".to_owned()
                } else {
                    "it is `static` (inline) in the header, so no library exports a symbol for it, and it uses types ffi-auto cannot pass, so no C shim is made for it; call the library function it wraps".to_owned()
                });
                n.shim = shim;
                self.not_callable.insert(name.clone(), n);
            }
            return;
        }
        if ty.get_kind() == TypeKind::FunctionNoPrototype {
            self.not_callable.insert(
                name.clone(),
                not_callable(
                    "it is declared without a prototype (`f()`), so its parameters are unknown; declare it with one in your own header".to_owned(),
                ),
            );
            return;
        }
        let pretty = e.get_pretty_printer().print();
        let mut attrs = parse_attributes(&pretty);
        if ty.get_display_name().contains("noreturn") {
            attrs.noreturn = true;
        }
        let link_name = asm_label(e, &name);
        let arguments = e.get_arguments().unwrap_or_default();
        let sig = match self.signature(&ty, &arguments, &attrs) {
            Ok(sig) => sig,
            Err(what) => {
                self.not_callable.insert(
                    name.clone(),
                    not_callable(format!(
                        "it uses {what}, which ffi-auto cannot pass; wrap it in a C function that takes supported types"
                    )),
                );
                return;
            }
        };
        self.add_function(Decl {
            name,
            link_name,
            signature: sig,
            header,
            line,
        });
    }

    /// Records a declaration, or merges a redeclaration into the first: attributes and asm
    /// labels accumulate (glibc redeclares `sscanf` with `__asm__("__isoc99_sscanf")` after
    /// the plain declaration). Then adds what the C standard and POSIX say and glibc's
    /// headers do not (`Signature::apply_standard`).
    fn add_function(&mut self, decl: Decl) {
        let name = decl.name.clone();
        let d = match self.functions.entry(name.clone()) {
            std::collections::hash_map::Entry::Occupied(o) => {
                let d = o.into_mut();
                if decl.link_name.is_some() {
                    d.link_name = decl.link_name;
                }
                merge(&mut d.signature, &decl.signature);
                d
            }
            std::collections::hash_map::Entry::Vacant(v) => {
                self.not_callable.remove(&name);
                v.insert(decl)
            }
        };
        d.signature.apply_standard(&name);
    }

    fn signature(
        &mut self,
        ty: &Type<'_>,
        arguments: &[Entity<'_>],
        attrs: &Attributes,
    ) -> Result<Signature, String> {
        let ret = self.conv(
            &ty.get_result_type().ok_or("an unknown return type")?,
            0,
            None,
        )?;
        let mut sig = Signature::new(ret);
        for (i, a) in ty
            .get_argument_types()
            .unwrap_or_default()
            .iter()
            .enumerate()
        {
            let pty = self.param(a)?;
            // `_Nonnull` / `_Nullable` on the parameter's type, where a header uses them.
            let arg = arguments.get(i);
            // `_Nonnull` / `_Nullable` survive on the parameter declarations' types (the
            // function type's argument types lose them).
            let marked = arg.and_then(|a| a.get_type()?.get_nullability());
            let nonnull = pty.is_pointer()
                && (attrs.nonnull_all
                    || attrs.nonnull.contains(&(i + 1))
                    || marked == Some(clang::Nullability::NonNull));
            let nullable =
                pty.is_pointer() && !nonnull && marked == Some(clang::Nullability::Nullable);
            sig.params.push(Param {
                name: arg.and_then(Entity::get_name).filter(|n| !n.is_empty()),
                ty: pty,
                nonnull,
                nullable,
            });
        }
        sig.variadic = ty.is_variadic();
        sig.attrs = FnAttrs {
            warn_unused_result: attrs.warn_unused_result,
            deprecated: attrs.deprecated.clone(),
            format: attrs.format.clone(),
            noreturn: attrs.noreturn,
            open_mode: None,
            raw_only: attrs.returns_twice.then(|| {
                "it returns twice (`returns_twice`), which Rust code cannot survive".to_owned()
            }),
            stops_at_nul: false,
        };
        Ok(sig)
    }

    /// The declarations found: macros that rename a function (`#define f f64`) become
    /// functions, function-like ones not callable; dependencies are identified.
    pub(super) fn finish(self, target: String) -> Declarations {
        let api = api_files(&self.inclusions);
        let Walker {
            mut functions,
            mut not_callable,
            macros,
            includes,
            headers,
            records,
            mut opaque,
            constants,
            globals,
            typedefs,
            ..
        } = self;
        opaque.retain(|n, _| !records.contains_key(n));
        for m in macros {
            if functions.contains_key(&m.name) {
                continue;
            }
            if m.function_like {
                if !m.name.starts_with('_') {
                    not_callable.entry(m.name.clone()).or_insert(NotCallable {
                        reason: format!(
                            "it is a function-like macro (expanding to `{}`), so no library exports a symbol for it; give the signature to call it with and a C shim is compiled (`Builder::shim` in a build script, `shim_function` at run time, `ffi-auto call NAME --sig ...`), or call what it expands to",
                            m.body.join(" ").trim_start_matches(|c| c != ')').trim_start_matches(')').trim()
                        ),
                        name: m.name,
                        header: m.header,
                        line: m.line,
                        shim: None,
                    });
                }
            } else if let [target] = m.body.as_slice() {
                // `#define f f64`: `f` is the function the linker knows as `f64`.
                if let Some(t) = functions.get(target).cloned() {
                    functions.insert(
                        m.name.clone(),
                        Decl {
                            link_name: Some(t.symbol().to_owned()),
                            name: m.name,
                            signature: t.signature,
                            header: m.header,
                            line: m.line,
                        },
                    );
                }
            }
        }
        let mut deps: Vec<Dep> = includes.iter().filter_map(|p| dep(p)).collect();
        deps.sort_by(|a, b| a.path.cmp(&b.path));
        Declarations {
            functions: functions
                .into_iter()
                .map(|(k, v)| (k, Arc::new(v)))
                .collect(),
            not_callable,
            records: records
                .into_iter()
                .map(|(k, v)| (k, Arc::unwrap_or_clone(v)))
                .collect(),
            opaque,
            constants,
            globals,
            typedefs,
            headers,
            api,
            deps,
            target,
        }
    }
}

/// Merges what a redeclaration adds.
fn merge(into: &mut Signature, other: &Signature) {
    for (a, b) in into.params.iter_mut().zip(&other.params) {
        a.nonnull |= b.nonnull;
        a.nullable = (a.nullable || b.nullable) && !a.nonnull;
        if a.name.is_none() {
            a.name.clone_from(&b.name);
        }
    }
    let (x, y) = (&mut into.attrs, &other.attrs);
    x.warn_unused_result |= y.warn_unused_result;
    x.noreturn |= y.noreturn;
    if x.raw_only.is_none() {
        x.raw_only.clone_from(&y.raw_only);
    }
    if x.deprecated.is_none() {
        x.deprecated.clone_from(&y.deprecated);
    }
    if x.format.is_none() {
        x.format.clone_from(&y.format);
    }
}
