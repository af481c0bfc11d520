//! Every libclang call ffi-auto makes.
//!
//! libclang is loaded at run time (clang-sys's `runtime` feature), and clang-sys keeps the
//! loaded library in a thread-local, while the `clang` crate allows one `Clang` per process.
//! So one worker thread loads libclang on first use, owns it for the life of the process, and
//! runs every parse; callers send it jobs and wait for the answer. Parallel tests, build
//! scripts and macro expansions are therefore serialized through it.

use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{Sender, channel, sync_channel};
use std::sync::{Arc, OnceLock};

use clang::diagnostic::Severity;
use clang::{
    Clang, Entity, EntityKind, EvaluationResult, Index, StorageClass, Type, TypeKind, Unsaved,
};
use ffi_auto_sig::{
    CType, Field, FloatKind, FnAttrs, FormatAttr, IntKind, Param, Record, RecordKind, Signature,
};

use crate::api::{Inclusion, api_files};
use crate::decl::{ConstValue, Constant, Decl, Declarations, Dep, NotCallable, OpaqueDecl};
use crate::error::DiscoveryError;

type Job = Box<dyn FnOnce(&Clang) + Send>;

static WORKER: OnceLock<Result<Sender<Job>, String>> = OnceLock::new();

fn worker() -> Result<&'static Sender<Job>, DiscoveryError> {
    if offline() {
        return Err(DiscoveryError::LibclangMissing {
            reason: "FFI_AUTO_OFFLINE is set, so libclang is not loaded".to_owned(),
        });
    }
    WORKER
        .get_or_init(|| {
            let (jobs, inbox) = channel::<Job>();
            let (ready, started) = sync_channel::<Result<(), String>>(1);
            std::thread::Builder::new()
                .name("ffi-auto-libclang".to_owned())
                .spawn(move || match Clang::new() {
                    Ok(clang) => {
                        let _ = ready.send(Ok(()));
                        for job in inbox {
                            // A panic in one job (a libclang surprise) must not take the
                            // worker, and every later discovery, down with it; the job's
                            // caller sees its reply channel close instead.
                            let _ = catch_unwind(AssertUnwindSafe(|| job(&clang)));
                        }
                    }
                    Err(e) => {
                        let _ = ready.send(Err(e));
                    }
                })
                .map_err(|e| format!("could not start the libclang thread: {e}"))?;
            started
                .recv()
                .map_err(|_| "the libclang thread stopped while loading libclang".to_owned())?
                .map(|()| jobs)
        })
        .as_ref()
        .map_err(|reason| DiscoveryError::LibclangMissing {
            reason: reason.clone(),
        })
}

/// Runs `f` on the libclang thread and waits for its result.
fn run<R: Send + 'static>(
    f: impl FnOnce(&Clang) -> R + Send + 'static,
) -> Result<R, DiscoveryError> {
    let (reply, answer) = sync_channel(1);
    worker()?
        .send(Box::new(move |clang| {
            let _ = reply.send(f(clang));
        }))
        .map_err(|_| DiscoveryError::Internal("the libclang thread has stopped".to_owned()))?;
    answer
        .recv()
        .map_err(|_| DiscoveryError::Internal("a libclang job panicked".to_owned()))
}

/// Whether `FFI_AUTO_OFFLINE` forbids loading libclang (builds must use committed databases).
pub fn offline() -> bool {
    std::env::var_os("FFI_AUTO_OFFLINE").is_some_and(|v| !v.is_empty() && v != "0")
}

/// The libclang in use, if this process has loaded it already (never loads it).
pub(crate) fn libclang_if_loaded() -> Option<Libclang> {
    match WORKER.get() {
        Some(Ok(_)) => libclang().ok(),
        _ => None,
    }
}

/// Identifies the libclang in use: where it was loaded from, and its version.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Libclang {
    /// The shared library file.
    pub path: PathBuf,
    /// `clang version 14.0.6`.
    pub version: String,
}

/// Loads libclang (once per process) and says which one.
///
/// # Errors
/// [`DiscoveryError::LibclangMissing`] with the paths clang-sys searched and how to install it.
pub fn libclang() -> Result<Libclang, DiscoveryError> {
    run(|_| Libclang {
        path: clang_sys::get_library()
            .map(|l| l.path().to_owned())
            .unwrap_or_default(),
        version: clang::get_version(),
    })
}

/// One parse: a translation unit given as source text, and its arguments.
pub(crate) struct ParseInput {
    pub file: PathBuf,
    pub source: String,
    pub args: Vec<String>,
    pub describe: String,
}

/// Parses `input` on the libclang thread.
pub(crate) fn parse(input: ParseInput) -> Result<Declarations, DiscoveryError> {
    run(move |clang| parse_on_worker(clang, &input))?
}

fn parse_on_worker(clang: &Clang, input: &ParseInput) -> Result<Declarations, DiscoveryError> {
    let index = Index::new(clang, false, false);
    let mut parser = index.parser(&input.file);
    parser
        .arguments(&input.args)
        .skip_function_bodies(true)
        .detailed_preprocessing_record(true)
        // Keeps `_Nullable` / `_Nonnull` on parameter types (libclang desugars them away
        // otherwise).
        .include_attributed_types(true)
        .unsaved(&[Unsaved::new(&input.file, &input.source)]);
    let tu = parser.parse().map_err(|e| DiscoveryError::Parse {
        set: input.describe.clone(),
        errors: vec![e.to_string()],
        args: input.args.clone(),
    })?;
    // Every error is fatal: a header clang cannot find or parse would otherwise leave its
    // declarations out, or type them `int`, without a word.
    let errors: Vec<String> = tu
        .get_diagnostics()
        .iter()
        .filter(|d| d.get_severity() >= Severity::Error)
        .map(|d| {
            let loc = d.get_location().get_file_location();
            let file = loc.file.map_or_else(
                || "<command line>".to_owned(),
                |f| f.get_path().display().to_string(),
            );
            format!("{file}:{}:{}: {}", loc.line, loc.column, d.get_text())
        })
        .collect();
    if !errors.is_empty() {
        return Err(DiscoveryError::Parse {
            set: input.describe.clone(),
            errors,
            args: input.args.clone(),
        });
    }
    let mut walker = Walker::default();
    for e in tu.get_entity().get_children() {
        walker.visit(e);
    }
    let target = tu.get_target().triple;
    drop(tu);
    walker.evaluate_macros(&index, input);
    Ok(walker.finish(target))
}

/// The prefix of the variables the constant-evaluation parse declares.
const CONST_PREFIX: &str = "__ffi_auto_c_";
/// The prefix of the variables holding the address of a pointer constant.
const ADDR_PREFIX: &str = "__ffi_auto_a_";

impl Walker {
    /// Evaluates the object-like macros that look like constants. String literals are read
    /// from their tokens; everything else is left to clang: one more parse of the same
    /// translation unit with `__auto_type __ffi_auto_c_NAME = (NAME);` appended for each, so
    /// that the value and its C type are the compiler's (`ULONG_MAX` is `unsigned long`,
    /// `O_RDONLY | O_CLOEXEC` is folded). Macros that are not constant expressions (types,
    /// statements, `errno`) fail to compile there and are left out.
    // Long (90 lines): named for splitting in issue 11's restructuring of `clang.rs` into
    // modules (constants among them); left as it was here.
    fn evaluate_macros(&mut self, index: &Index<'_>, input: &ParseInput) {
        let mut source = input.source.clone();
        let mut pending = HashMap::new();
        for m in &self.macros {
            if m.function_like
                || m.name.starts_with('_')
                || m.body.is_empty()
                || self.functions.contains_key(&m.name)
                || m.body.contains(&m.name)
            {
                continue;
            }
            if m.body.iter().all(|t| t.starts_with('"')) {
                let bytes: Vec<u8> = m.body.iter().flat_map(|t| unescape(t)).collect();
                self.constants.insert(
                    m.name.clone(),
                    Constant {
                        name: m.name.clone(),
                        ty: CType::const_ptr(CType::Int(IntKind::Char)),
                        value: ConstValue::Str(bytes),
                        header: m.header.clone(),
                        line: m.line,
                    },
                );
                continue;
            }
            // The address too, for a pointer constant (`((x_destructor)-1)`): clang
            // evaluates integers, not pointers. (For other types the cast may not compile;
            // that variable is then left out, alone.)
            let _ = write!(
                source,
                "\nstatic __auto_type {CONST_PREFIX}{0} = ({0});\nstatic __UINTPTR_TYPE__ {ADDR_PREFIX}{0} = (__UINTPTR_TYPE__)({0});",
                m.name
            );
            pending.insert(m.name.clone(), (m.header.clone(), m.line));
        }
        if pending.is_empty() {
            return;
        }
        let mut args = input.args.clone();
        args.extend(["-ferror-limit=0".to_owned(), "-w".to_owned()]);
        let mut parser = index.parser(&input.file);
        parser
            .arguments(&args)
            .skip_function_bodies(true)
            .unsaved(&[Unsaved::new(&input.file, &source)]);
        let Ok(tu) = parser.parse() else { return };
        let addresses: HashMap<String, u64> = tu
            .get_entity()
            .get_children()
            .into_iter()
            .filter(|e| e.get_kind() == EntityKind::VarDecl && e.is_in_main_file())
            .filter_map(|e| {
                let name = e.get_name()?.strip_prefix(ADDR_PREFIX)?.to_owned();
                match e.evaluate()? {
                    EvaluationResult::UnsignedInteger(v) => Some((name, v)),
                    EvaluationResult::SignedInteger(v) => Some((name, v as u64)),
                    _ => None,
                }
            })
            .collect();
        for e in tu.get_entity().get_children() {
            if e.get_kind() != EntityKind::VarDecl || !e.is_in_main_file() {
                continue;
            }
            let Some(var) = e.get_name() else { continue };
            let Some(name) = var.strip_prefix(CONST_PREFIX) else {
                continue;
            };
            let Some((header, line)) = pending.remove(name) else {
                continue;
            };
            let Some(ty) = e.get_type() else { continue };
            // `__auto_type` is the deduced type's sugar: its canonical type is the C type.
            let Ok(cty) = self.conv(&ty.get_canonical_type(), 0, None) else {
                continue;
            };
            let address = addresses.get(name).copied();
            let result = match (cty.is_pointer(), address) {
                (true, Some(a)) => Ok(a),
                (true, None) => continue,
                (false, _) => match e.evaluate() {
                    Some(r) => Err(r),
                    None => continue,
                },
            };
            let value = match (cty.canonical(), result) {
                (_, Ok(address)) => ConstValue::Ptr(address),
                (CType::Int(_) | CType::Bool, Err(EvaluationResult::SignedInteger(v))) => {
                    ConstValue::Int(v)
                }
                (CType::Int(_) | CType::Bool, Err(EvaluationResult::UnsignedInteger(v))) => {
                    match i64::try_from(v) {
                        Ok(v) if is_signed(&cty) => ConstValue::Int(v),
                        _ => ConstValue::UInt(v),
                    }
                }
                (
                    CType::Float(FloatKind::Float | FloatKind::Double),
                    Err(EvaluationResult::Float(v)),
                ) => ConstValue::Float(v),
                _ => continue,
            };
            self.constants.insert(
                name.to_owned(),
                Constant {
                    name: name.to_owned(),
                    ty: cty,
                    value,
                    header,
                    line,
                },
            );
        }
    }
}

/// Whether an integer type is signed on the host (which clang parsed for).
fn is_signed(ty: &CType) -> bool {
    match ty.canonical() {
        CType::Int(k) => k.is_signed(&ffi_auto_sig::DataModel::native()),
        _ => false,
    }
}

/// The bytes of one C string literal token (`"a\n"`), escapes decoded.
fn unescape(tok: &str) -> Vec<u8> {
    let inner = tok
        .strip_prefix('"')
        .and_then(|t| t.strip_suffix('"'))
        .unwrap_or("");
    let b = inner.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] != b'\\' || i + 1 == b.len() {
            out.push(b[i]);
            i += 1;
            continue;
        }
        i += 1;
        let c = b[i];
        i += 1;
        out.push(match c {
            b'n' => b'\n',
            b't' => b'\t',
            b'r' => b'\r',
            b'0'..=b'7' => {
                let mut v = u32::from(c - b'0');
                let mut n = 1;
                while n < 3 && i < b.len() && (b'0'..=b'7').contains(&b[i]) {
                    v = v * 8 + u32::from(b[i] - b'0');
                    i += 1;
                    n += 1;
                }
                v as u8
            }
            b'x' => {
                let mut v = 0u32;
                while i < b.len() && b[i].is_ascii_hexdigit() {
                    v = v * 16 + (b[i] as char).to_digit(16).unwrap_or(0);
                    i += 1;
                }
                v as u8
            }
            b'a' => 7,
            b'b' => 8,
            b'f' => 12,
            b'v' => 11,
            other => other,
        });
    }
    out
}

#[derive(Default)]
struct Walker {
    functions: HashMap<String, Decl>,
    not_callable: HashMap<String, NotCallable>,
    macros: Vec<Macro>,
    includes: HashSet<PathBuf>,
    headers: Vec<PathBuf>,
    records: HashMap<String, Arc<Record>>,
    in_progress: HashSet<String>,
    opaque: HashMap<String, OpaqueDecl>,
    constants: HashMap<String, Constant>,
    /// Every `#include`, for the named headers' API (`api::api_files`).
    inclusions: Vec<Inclusion>,
    /// Anonymous structs, unions and enums named by a typedef (`typedef struct {...} foo;`),
    /// by the declaration's USR: the record takes the typedef's name wherever it is reached
    /// (through an array typedef, inside a function pointer, as a field), as bindgen does.
    anon_names: HashMap<String, String>,
}

struct Macro {
    name: String,
    function_like: bool,
    body: Vec<String>,
    header: PathBuf,
    line: u32,
}

fn location(e: &Entity<'_>) -> (PathBuf, u32) {
    e.get_location()
        .map(|l| l.get_file_location())
        .map_or((PathBuf::new(), 0), |l| {
            (l.file.map(|f| f.get_path()).unwrap_or_default(), l.line)
        })
}

impl Walker {
    // Long: one arm per entity kind, a dispatch table that reads best whole.
    fn visit(&mut self, e: Entity<'_>) {
        match e.get_kind() {
            EntityKind::FunctionDecl => self.function(&e),
            EntityKind::MacroDefinition if !e.is_builtin_macro() => {
                let (header, line) = location(&e);
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
            EntityKind::StructDecl | EntityKind::UnionDecl => self.record_decl(&e, None),
            EntityKind::TypedefDecl => {
                let (Some(name), Some(under)) = (e.get_name(), e.get_typedef_underlying_type())
                else {
                    return;
                };
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
                    self.record_decl(&decl, Some((name, &e)));
                }
            }
            EntityKind::EnumDecl => {
                let Some(ty) = e.get_type() else { return };
                let Ok(enum_ty) = self.conv(&ty, 0, None) else {
                    return;
                };
                for c in e.get_children() {
                    if c.get_kind() != EntityKind::EnumConstantDecl {
                        continue;
                    }
                    let (Some(name), Some((v, u))) = (c.get_name(), c.get_enum_constant_value())
                    else {
                        continue;
                    };
                    if name.starts_with('_') {
                        continue;
                    }
                    let (header, line) = location(&c);
                    // C gives an enumerator the type `int` (C23 and GNU C: the enum's type
                    // when the value does not fit), whatever the enum's own type: clang
                    // records it on the constant.
                    let cty = c
                        .get_type()
                        .and_then(|t| self.conv(&t, 0, None).ok())
                        .unwrap_or_else(|| enum_ty.clone());
                    let value = if is_signed(&cty) {
                        ConstValue::Int(v)
                    } else {
                        ConstValue::UInt(u)
                    };
                    self.constants.insert(
                        name.clone(),
                        Constant {
                            name,
                            ty: cty,
                            value,
                            header,
                            line,
                        },
                    );
                }
            }
            EntityKind::InclusionDirective => {
                if let Some(f) = e.get_file() {
                    let path = f.get_path();
                    let top_level = e.is_in_main_file();
                    if top_level && !self.headers.contains(&path) {
                        self.headers.push(path.clone());
                    }
                    self.inclusions.push(Inclusion {
                        from: location(&e).0,
                        spelled: e.get_name().unwrap_or_default(),
                        file: path.clone(),
                        top_level,
                    });
                    self.includes.insert(path);
                }
            }
            _ => {}
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
                self.opaque
                    .entry(name.clone())
                    .or_insert(OpaqueDecl { name, header, line });
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
        };
        if e.get_storage_class() == Some(StorageClass::Static) {
            if !self.functions.contains_key(&name) {
                self.not_callable.insert(
                    name.clone(),
                    not_callable(
                        "it is `static` (inline) in the header, so no library exports a symbol for it; call the library function it wraps, or write the equivalent in Rust".to_owned(),
                    ),
                );
            }
            return;
        }
        let Some(ty) = e.get_type() else { return };
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
        let link_name = e
            .get_children()
            .into_iter()
            .find(|c| c.get_kind() == EntityKind::AsmLabelAttr)
            .and_then(|c| c.get_name())
            .filter(|l| *l != name);
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

    /// A clang type as a [`CType`]. `depth` counts pointers followed from a parameter: records
    /// are laid out at depths 0 and 1 and referred to by name beyond, which also stops
    /// self-referential structs. `anon` names an anonymous record or enum after its typedef.
    // Long: one arm per clang type kind, a dispatch table that reads best whole.
    fn conv(&mut self, ty: &Type<'_>, depth: u8, anon: Option<&str>) -> Result<CType, String> {
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
            K::Float => CType::Float(FloatKind::Float),
            K::Double => CType::Float(FloatKind::Double),
            K::LongDouble => CType::Float(FloatKind::LongDouble),
            K::Pointer => {
                let pointee = ty
                    .get_pointee_type()
                    .ok_or("a pointer to an unknown type")?;
                let canon = pointee.get_canonical_type();
                if matches!(
                    canon.get_kind(),
                    K::FunctionPrototype | K::FunctionNoPrototype
                ) {
                    // The function type as written, so that its parameters keep their
                    // typedef names (`size_t`, not `unsigned long`).
                    CType::FnPtr(Arc::new(self.fn_type(&as_written_function(pointee))?))
                } else {
                    CType::Pointer {
                        is_const: pointee.is_const_qualified(),
                        pointee: Box::new(self.conv(&pointee, depth.saturating_add(1), None)?),
                    }
                }
            }
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
            K::Enum => {
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
                // Enumerators are `int`s; clang gives an enum with no negative value the
                // compatible type `unsigned int` (implementation-defined, same size and
                // passing). Where every value fits `int`, the enum is `int`, so that an
                // enumerator passes to, and compares with, the enum's parameters, returns
                // and fields without a cast, as in C.
                let fits_int = decl
                    .get_children()
                    .iter()
                    .filter(|c| c.get_kind() == EntityKind::EnumConstantDecl)
                    .all(|c| {
                        c.get_enum_constant_value()
                            .is_some_and(|(_, u)| i32::try_from(u).is_ok())
                    });
                if under == CType::UINT && fits_int {
                    CType::INT.named(&tag)
                } else {
                    under.named(&tag)
                }
            }
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
            K::Int128 | K::UInt128 => return Err("`__int128`".to_owned()),
            K::Float128 => return Err("`_Float128`".to_owned()),
            K::Half | K::Float16 => return Err("`_Float16`".to_owned()),
            K::Complex => return Err(format!("`{}` (complex)", ty.get_display_name())),
            K::Vector => return Err(format!("`{}` (a vector type)", ty.get_display_name())),
            _ => return Err(format!("`{}`", ty.get_display_name())),
        })
    }

    /// A parameter's type. An array parameter is a pointer to its first element (C adjusts
    /// `int fd[2]`, `char *const argv[]`, `jmp_buf`, `va_list` so), keeping the element's
    /// `const`; libclang reports the type as declared.
    fn param(&mut self, ty: &Type<'_>) -> Result<CType, String> {
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
            (Some(n), false, _) => Ok(CType::Opaque(n.as_str().into())),
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

    fn layout(
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

    fn finish(self, target: String) -> Declarations {
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
                            "it is a function-like macro (expanding to `{}`), so no library exports a symbol for it; call what it expands to",
                            m.body.join(" ").trim_start_matches(|c| c != ')').trim_start_matches(')').trim()
                        ),
                        name: m.name,
                        header: m.header,
                        line: m.line,
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
            headers,
            api,
            deps,
            target,
        }
    }
}

/// A struct's, union's or enum's tag, if it has one.
fn tag_of(decl: &Entity<'_>) -> Option<String> {
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

/// A file's identity for staleness checks.
pub(crate) fn dep(path: &Path) -> Option<Dep> {
    let meta = std::fs::metadata(path).ok()?;
    let contents = std::fs::read(path).ok()?;
    Some(Dep {
        path: path.to_owned(),
        size: meta.len(),
        mtime_ns: mtime_ns(&meta),
        ctime_ns: ctime_ns(&meta),
        crc: crc32fast::hash(&contents),
    })
}

/// The inode change time, in nanoseconds since the epoch (0 where the platform has none):
/// set by the kernel on every write, rename or permission change, and by no `utime` call.
pub(crate) fn ctime_ns(meta: &std::fs::Metadata) -> u128 {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let s = u128::try_from(meta.ctime()).unwrap_or(0);
        let ns = u128::try_from(meta.ctime_nsec()).unwrap_or(0);
        s * 1_000_000_000 + ns
    }
    #[cfg(not(unix))]
    {
        let _ = meta;
        0
    }
}

pub(crate) fn mtime_ns(meta: &std::fs::Metadata) -> u128 {
    meta.modified()
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_nanos())
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

/// The attributes clang prints for a declaration (one flag per attribute, as written).
#[allow(clippy::struct_excessive_bools)]
#[derive(Debug, Default, PartialEq, Eq)]
struct Attributes {
    nonnull: Vec<usize>,
    nonnull_all: bool,
    warn_unused_result: bool,
    deprecated: Option<String>,
    format: Option<FormatAttr>,
    noreturn: bool,
    returns_twice: bool,
}

/// Reads the attributes of a declaration from clang's pretty-printed form, which spells them
/// canonically whatever macros the header used: `__attribute__((nonnull(1, 2)))`.
fn parse_attributes(pretty: &str) -> Attributes {
    let mut out = Attributes::default();
    let mut rest = pretty;
    while let Some(start) = rest.find("__attribute__((") {
        let body_start = start + "__attribute__((".len();
        let mut depth = 2usize;
        let mut end = body_start;
        for (i, c) in rest[body_start..].char_indices() {
            match c {
                '(' => depth += 1,
                ')' => {
                    depth -= 1;
                    if depth == 0 {
                        end = body_start + i;
                        break;
                    }
                }
                _ => {}
            }
        }
        // `body` is `name(args), name2` without the outer double parentheses.
        let body = rest[body_start..end.saturating_sub(1).max(body_start)].trim();
        for item in split_top(body) {
            let (name, args) = match item.find('(') {
                Some(i) => (&item[..i], item[i + 1..].trim_end_matches(')')),
                None => (item, ""),
            };
            let name = name.trim().trim_matches('_');
            let args: Vec<&str> = split_top(args);
            match name {
                "nonnull" if args.is_empty() => out.nonnull_all = true,
                "nonnull" => out
                    .nonnull
                    .extend(args.iter().filter_map(|a| a.trim().parse::<usize>().ok())),
                "warn_unused_result" => out.warn_unused_result = true,
                "noreturn" => out.noreturn = true,
                "returns_twice" => out.returns_twice = true,
                "deprecated" => {
                    out.deprecated = Some(
                        args.first()
                            .map(|m| m.trim().trim_matches('"').to_owned())
                            .unwrap_or_default(),
                    );
                }
                "format" => {
                    if let [arch, s, f] = args.as_slice()
                        && let (Ok(s), Ok(f)) = (s.trim().parse(), f.trim().parse())
                    {
                        out.format = Some(FormatAttr {
                            archetype: arch.trim().trim_matches('_').to_owned(),
                            string_index: s,
                            first_to_check: f,
                        });
                    }
                }
                _ => {}
            }
        }
        rest = &rest[end.min(rest.len())..];
    }
    if pretty.contains("_Noreturn") {
        out.noreturn = true;
    }
    out
}

/// Splits at commas outside parentheses and quotes.
fn split_top(s: &str) -> Vec<&str> {
    let (mut out, mut depth, mut quoted, mut start) = (Vec::new(), 0i32, false, 0);
    for (i, c) in s.char_indices() {
        match c {
            '"' => quoted = !quoted,
            '(' if !quoted => depth += 1,
            ')' if !quoted => depth -= 1,
            ',' if !quoted && depth == 0 => {
                out.push(s[start..i].trim());
                start = i + 1;
            }
            _ => {}
        }
    }
    let last = s[start..].trim();
    if !last.is_empty() {
        out.push(last);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_attributes_as_clang_prints_them() {
        let a = parse_attributes(
            "extern void *memcpy(void *restrict __dest, const void *restrict __src, size_t __n) __attribute__((nothrow)) __attribute__((nonnull(1, 2)))",
        );
        assert_eq!(a.nonnull, vec![1, 2]);
        let b = parse_attributes(
            "int f(const char *, ...) __attribute__((format(printf, 1, 2))) __attribute__((warn_unused_result)) __attribute__((deprecated(\"use g, not f\")))",
        );
        assert_eq!(
            b.format,
            Some(FormatAttr {
                archetype: "printf".into(),
                string_index: 1,
                first_to_check: 2
            })
        );
        assert!(b.warn_unused_result);
        assert_eq!(b.deprecated.as_deref(), Some("use g, not f"));
        let c =
            parse_attributes("void f(int *) __attribute__((nonnull)) __attribute__((noreturn))");
        assert!(c.nonnull_all && c.noreturn);
        assert_eq!(parse_attributes("int abs(int)"), Attributes::default());
    }
}
