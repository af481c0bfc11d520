//! bindgen as an oracle: for every function of the default header set and of ten real
//! libraries' headers (`zlib.h`, `openssl/ssl.h` and `openssl/evp.h`, `gmp.h`, `sqlite3.h`,
//! `bzlib.h`, `lzma.h`, `png.h`, `libxml/parser.h` and `libxml/tree.h`, `yaml.h`, `expat.h`),
//! the signature discovery finds, mapped to Rust types, equals the one bindgen generates from
//! the same header text with the same clang arguments; and every struct and union these
//! headers declare (and those of the default set) has bindgen's size, alignment, field offsets
//! and field types.
//!
//! Types are compared at the level the ABI sees: `c_long` and `i64` are the same type on this
//! target, and so are `__pid_t` and `c_int` (bindgen keeps typedef aliases; both sides are
//! resolved to what they name). Names of structs, pointer constness, function pointer
//! signatures, variadics and link names (asm labels) are compared as they are. So are the
//! pointer-sized typedefs, at every depth: bindgen makes `size_t` and `uintptr_t` `usize`,
//! `ssize_t`, `intptr_t` and `ptrdiff_t` `isize`, as `CType::rust_type` does, so a `size_t`
//! that lost its name (a `u64` in a callback's parameters) is a mismatch although the ABI is
//! the same.
//!
//! A library's header set is compared on what it brings in from outside the default set: the
//! functions, structs and unions declared in files the default set's headers do not include
//! (the C library's own are `default_header_set_matches_bindgen`'s). An umbrella header
//! (`openssl/ssl.h`, `lzma.h`) is thereby compared on every header it includes.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

use ffi_auto_discovery::sig::{CType, DataModel, Field, FloatKind, IntKind, Record, Signature};
use ffi_auto_discovery::{Declarations, Discovery, HeaderSet};

/// Functions where bindgen, not discovery, is wrong, each with the reason. Nothing else is
/// excused: every other difference fails the test.
const BINDGEN_IS_WRONG: &[(&str, &str)] = &[];

/// bindgen spells C's `long double` `u128`, which is not its ABI (x87 80-bit on x86-64,
/// passed in memory, not in two integer registers); glibc has ~150 such functions (`sinl`,
/// `strtold`, `printf`'s `long double` relatives). Discovery keeps them as `long double`
/// (the runtime passes it as `LongDouble`, through libffi's `long double`). The rule: they
/// are compared like every other function, with bindgen's `u128` read as `long double`.
fn uses_long_double(sig: &Signature) -> bool {
    let ld = |t: &CType| matches!(t.canonical(), CType::Float(FloatKind::LongDouble));
    ld(&sig.ret) || sig.params.iter().any(|p| ld(&p.ty))
}

fn int_name(size: u8, signed: bool) -> String {
    format!("{}{}", if signed { "i" } else { "u" }, u32::from(size) * 8)
}

/// Our side: a C type, canonical, as the ABI-level string both sides are compared by.
/// A C enum of 32 bits, on both sides. clang gives an enum with no negative value the
/// compatible type `unsigned int` (bindgen's `c_uint`); discovery makes an enum whose values all
/// fit `int` an `int`, so that its enumerators (which are `int`s in C) pass to and compare with
/// it without casts. The two have the same size and are passed alike (a 32-bit integer class,
/// upper register bits unspecified on x86-64 and aarch64), so an enum compares by its size.
const ENUM32: &str = "enum32";

fn ours(t: &CType, dm: &DataModel) -> String {
    let mut n = t;
    while let CType::Named { name, ty } = n {
        if name.starts_with("enum ") && matches!(ty.canonical(), CType::Int(k) if k.size(dm) == 4) {
            return ENUM32.to_owned();
        }
        n = ty;
    }
    match t.canonical() {
        CType::Void => "()".to_owned(),
        CType::Bool => "bool".to_owned(),
        CType::Int(IntKind::Size | IntKind::UIntPtr) => "usize".to_owned(),
        CType::Int(IntKind::SSize | IntKind::PtrDiff | IntKind::IntPtr) => "isize".to_owned(),
        CType::Int(k) => int_name(k.size(dm), k.is_signed(dm)),
        CType::Float(FloatKind::Float) => "f32".to_owned(),
        CType::Float(FloatKind::Double) => "f64".to_owned(),
        CType::Float(FloatKind::LongDouble) => "long double".to_owned(),
        CType::Pointer { pointee, is_const } => {
            // A pointer to an array stays one (`jmp_buf *` is `*mut [__jmp_buf_tag; 1]`, as
            // bindgen has it); array parameters are pointers to their element already.
            let inner = match pointee.canonical() {
                CType::Void => "c_void".to_owned(),
                _ => ours(pointee, dm),
            };
            format!("*{} {inner}", if *is_const { "const" } else { "mut" })
        }
        CType::FnPtr(sig) => fn_string(
            sig.params.iter().map(|p| ours(&p.ty, dm)).collect(),
            sig.variadic,
            ours(&sig.ret, dm),
        ),
        // Both sides name a record by its tag or its typedef's name. A record discovery has
        // no name for is spelled so: in a signature, bindgen always has a name for it (the
        // typedef's), so that is discovery's to fix; in a field's type it may be one nested
        // without a name, which `nested` matches with bindgen's `parent__bindgen_ty_N`.
        CType::Record(r) => r
            .name
            .clone()
            .unwrap_or_else(|| "<anonymous record>".to_owned()),
        CType::Opaque(n) => n.to_string(),
        CType::Array { elem, len } => format!("[{}; {len}]", ours(elem, dm)),
        CType::Named { .. } => unreachable!("canonical"),
    }
}

fn fn_string(params: Vec<String>, variadic: bool, ret: String) -> String {
    let mut p = params.join(", ");
    if variadic {
        p.push_str(if p.is_empty() { "..." } else { ", ..." });
    }
    format!("fn({p}) -> {ret}")
}

/// bindgen's side: type aliases, the functions of its `extern "C"` blocks, the fields of its
/// structs and unions, its layout assertions, and the file each item was declared in.
#[derive(Default)]
struct Bindgen {
    aliases: HashMap<String, syn::Type>,
    /// The aliases bindgen writes for C enums: those its enumerator constants are typed with
    /// (`pub const lzma_action_LZMA_RUN: lzma_action = 0;`).
    enums: HashSet<String>,
    functions: BTreeMap<String, (Vec<syn::Type>, bool, syn::ReturnType, Option<String>)>,
    /// Structs and unions as generated.
    records: HashMap<String, BgRecord>,
    layouts: Layouts,
    /// Where each function, struct and union was declared, as bindgen reports it (`None`
    /// when clang knows no file).
    function_files: HashMap<String, Option<PathBuf>>,
    record_files: HashMap<String, Option<PathBuf>>,
    /// A struct's or union's C tag where bindgen's name differs: a struct declared inside
    /// another (`struct sqlite3_index_info { struct sqlite3_index_constraint {...} *aConstraint;
    /// }`) is bindgen's `sqlite3_index_info_sqlite3_index_constraint`, C++'s scoping; in C
    /// the tag is at file scope, and discovery keys it so.
    record_tags: HashMap<String, String>,
}

/// Collects the file of every function, struct and union bindgen generates.
#[derive(Debug, Default)]
struct Locations {
    functions: Mutex<HashMap<String, Option<PathBuf>>>,
    records: Mutex<HashMap<String, Option<PathBuf>>>,
    tags: Mutex<HashMap<String, String>>,
}

#[derive(Debug)]
struct LocationCallbacks(Arc<Locations>);

impl bindgen::callbacks::ParseCallbacks for LocationCallbacks {
    fn new_item_found(
        &self,
        _id: bindgen::callbacks::DiscoveredItemId,
        item: bindgen::callbacks::DiscoveredItem,
        at: Option<&bindgen::callbacks::SourceLocation>,
    ) {
        use bindgen::callbacks::DiscoveredItem as I;
        let file = at.and_then(|l| l.file_name.as_ref()).map(PathBuf::from);
        match item {
            I::Function { final_name } => {
                self.0.functions.lock().unwrap().insert(final_name, file);
            }
            I::Struct {
                final_name,
                original_name,
            }
            | I::Union {
                final_name,
                original_name,
            } => {
                if let Some(tag) = original_name.filter(|t| *t != final_name) {
                    self.0.tags.lock().unwrap().insert(final_name.clone(), tag);
                }
                self.0.records.lock().unwrap().insert(final_name, file);
            }
            _ => {}
        }
    }
}

fn bindgen(set: &HeaderSet) -> Bindgen {
    let locations = Arc::new(Locations::default());
    let text = bindgen::Builder::default()
        .header_contents("ffi-auto-oracle.h", &set.source())
        .clang_args(set.arguments().unwrap())
        .layout_tests(true)
        .generate_comments(false)
        // A function defined `inline` in a header with external linkage (GMP's
        // `extern __inline__ __attribute__((__gnu_inline__))` `mpz_abs`, `mpn_add`) is a
        // symbol the library exports, and discovery lists it; bindgen leaves it out unless
        // asked. (`static inline` ones have internal linkage: neither side lists them.)
        .generate_inline_functions(true)
        .parse_callbacks(Box::new(LocationCallbacks(locations.clone())))
        .generate()
        .expect("bindgen parses the same headers")
        .to_string();
    let file: syn::File = syn::parse_str(&text).unwrap();
    let mut out = Bindgen {
        layouts: layouts_of(&text),
        function_files: std::mem::take(&mut *locations.functions.lock().unwrap()),
        record_files: std::mem::take(&mut *locations.records.lock().unwrap()),
        record_tags: std::mem::take(&mut *locations.tags.lock().unwrap()),
        ..Bindgen::default()
    };
    for item in file.items {
        match item {
            syn::Item::Type(t) => {
                out.aliases.insert(t.ident.to_string(), *t.ty);
            }
            syn::Item::Const(c) => {
                if let syn::Type::Path(p) = &*c.ty
                    && let Some(id) = p.path.get_ident()
                {
                    out.enums.insert(id.to_string());
                }
            }
            // `typedef enum yaml_encoding_e {...} yaml_encoding_t;` is bindgen's
            // `pub use self::yaml_encoding_e as yaml_encoding_t;`: an alias too.
            syn::Item::Use(u) => {
                if let syn::UseTree::Path(p) = &u.tree
                    && p.ident == "self"
                    && let syn::UseTree::Rename(r) = &*p.tree
                {
                    let target: syn::Type = syn::parse_str(&r.ident.to_string()).unwrap();
                    out.aliases.insert(r.rename.to_string(), target);
                }
            }
            syn::Item::Struct(st) => {
                out.records.insert(
                    st.ident.to_string(),
                    BgRecord::new(st.fields.iter(), &st.attrs, false),
                );
            }
            syn::Item::Union(u) => {
                out.records.insert(
                    u.ident.to_string(),
                    BgRecord::new(u.fields.named.iter(), &u.attrs, true),
                );
            }
            syn::Item::ForeignMod(m) => {
                for f in m.items {
                    let syn::ForeignItem::Fn(f) = f else { continue };
                    let link = f.attrs.iter().find_map(|a| {
                        let syn::Meta::NameValue(nv) = &a.meta else {
                            return None;
                        };
                        if !nv.path.is_ident("link_name") {
                            return None;
                        }
                        let syn::Expr::Lit(syn::ExprLit {
                            lit: syn::Lit::Str(s),
                            ..
                        }) = &nv.value
                        else {
                            return None;
                        };
                        Some(s.value().trim_start_matches('\u{1}').to_owned())
                    });
                    let params = f
                        .sig
                        .inputs
                        .iter()
                        .filter_map(|i| match i {
                            syn::FnArg::Typed(p) => Some((*p.ty).clone()),
                            syn::FnArg::Receiver(_) => None,
                        })
                        .collect();
                    out.functions.insert(
                        f.sig.ident.to_string(),
                        (params, f.sig.variadic.is_some(), f.sig.output, link),
                    );
                }
            }
            _ => {}
        }
    }
    out
}

/// A struct or union as bindgen generates it: its fields (Rust name, Rust type) in order,
/// and `#[repr(packed(N))]` (`packed` is `packed(1)`).
struct BgRecord {
    fields: Vec<(String, syn::Type)>,
    union: bool,
    packed: Option<u64>,
}

impl BgRecord {
    fn new<'a>(
        fields: impl Iterator<Item = &'a syn::Field>,
        attrs: &[syn::Attribute],
        union: bool,
    ) -> BgRecord {
        let packed = attrs.iter().find_map(|a| {
            let syn::Meta::List(l) = &a.meta else {
                return None;
            };
            if !l.path.is_ident("repr") {
                return None;
            }
            let repr: String = l.tokens.to_string().split_whitespace().collect();
            let at = repr.find("packed")? + "packed".len();
            Some(
                repr[at..]
                    .strip_prefix('(')
                    .and_then(|r| r.split(')').next())
                    .and_then(|n| n.parse().ok())
                    .unwrap_or(1),
            )
        });
        BgRecord {
            fields: fields
                .filter_map(|f| Some((f.ident.as_ref()?.to_string(), f.ty.clone())))
                .collect(),
            union,
            packed,
        }
    }
}

impl Bindgen {
    /// For bindgen's renamed redeclaration `name1` (see `compare`), `name`.
    fn redeclaration_of<'a>(&self, name: &'a str) -> Option<&'a str> {
        let base = name.strip_suffix('1')?;
        let (_, _, _, link) = self.functions.get(name)?;
        (link.is_some() && self.functions.contains_key(base)).then_some(base)
    }

    /// A bindgen type, aliases resolved, as the same ABI-level string.
    fn canon(&self, t: &syn::Type, dm: &DataModel, depth: u32) -> String {
        assert!(depth < 64, "alias cycle at {}", quote_type(t));
        match t {
            syn::Type::Ptr(p) => {
                let inner = self.canon(&p.elem, dm, depth + 1);
                let inner = if inner == "()" {
                    "c_void".to_owned()
                } else {
                    inner
                };
                let c = matches!(p.mutability, syn::PointerMutability::Const(_));
                format!("*{} {inner}", if c { "const" } else { "mut" })
            }
            syn::Type::FnPtr(f) => {
                let params = f
                    .inputs
                    .iter()
                    .map(|a| self.canon(&a.ty, dm, depth + 1))
                    .collect();
                let ret = match &f.output {
                    syn::ReturnType::Default => "()".to_owned(),
                    syn::ReturnType::Type(_, t) => self.canon(t, dm, depth + 1),
                };
                fn_string(params, f.variadic.is_some(), ret)
            }
            syn::Type::Never(_) => "()".to_owned(),
            syn::Type::Tuple(t) if t.elems.is_empty() => "()".to_owned(),
            syn::Type::Array(a) => {
                let syn::Expr::Lit(syn::ExprLit {
                    lit: syn::Lit::Int(n),
                    ..
                }) = &a.len
                else {
                    return quote_type(t);
                };
                format!(
                    "[{}; {}]",
                    self.canon(&a.elem, dm, depth + 1),
                    n.base10_digits()
                )
            }
            syn::Type::Path(p) => {
                let seg = p.path.segments.last().unwrap();
                let name = seg.ident.to_string();
                if let syn::PathArguments::AngleBracketed(a) = &seg.arguments
                    && let Some(syn::GenericArgument::Type(inner)) = a.args.first()
                {
                    match name.as_str() {
                        "Option" => return self.canon(inner, dm, depth + 1),
                        // A flexible array member (`unsigned char data[];`): an array of
                        // no elements in the struct, not a pointer.
                        "__IncompleteArrayField" => {
                            return format!("[{}; 0]", self.canon(inner, dm, depth + 1));
                        }
                        _ => {}
                    }
                }
                let c = |size: u8, signed| int_name(size, signed);
                match name.as_str() {
                    "c_void" => "()".to_owned(),
                    "c_char" => c(1, dm.char_signed),
                    "c_schar" | "i8" => c(1, true),
                    "c_uchar" | "u8" => c(1, false),
                    "c_short" | "i16" => c(dm.short.size, true),
                    "c_ushort" | "u16" => c(dm.short.size, false),
                    "c_int" | "i32" => c(dm.int.size, true),
                    "c_uint" | "u32" => c(dm.int.size, false),
                    "c_long" => c(dm.long.size, true),
                    "c_ulong" => c(dm.long.size, false),
                    "c_longlong" | "i64" => c(8, true),
                    "c_ulonglong" | "u64" => c(8, false),
                    // bindgen's `size_t`, `uintptr_t`; `ssize_t`, `intptr_t`, `ptrdiff_t`.
                    "isize" | "usize" => name.clone(),
                    "c_float" | "f32" => "f32".to_owned(),
                    "c_double" | "f64" => "f64".to_owned(),
                    "bool" => "bool".to_owned(),
                    other => match self.aliases.get(other) {
                        // See `ENUM32` (bindgen's `c_uint` for a C enum of 32 bits).
                        Some(target)
                            if self.enums.contains(other)
                                && matches!(
                                    self.canon(target, dm, depth + 1).as_str(),
                                    "i32" | "u32"
                                ) =>
                        {
                            ENUM32.to_owned()
                        }
                        Some(target) => self.canon(target, dm, depth + 1),
                        // A struct declared inside another, by its C tag (`record_tags`).
                        None => self
                            .record_tags
                            .get(other)
                            .map_or(other, String::as_str)
                            .to_owned(),
                    },
                }
            }
            other => quote_type(other),
        }
    }
}

impl Bindgen {
    /// The size and alignment of a type bindgen generated, from the sizes its layout tests
    /// assert (structs and unions) and Rust's own (everything else); `None` for a type this
    /// does not know.
    fn size_align(&self, t: &syn::Type, dm: &DataModel, depth: u32) -> Option<(u64, u64)> {
        if depth > 64 {
            return None;
        }
        let ptr = (u64::from(dm.pointer.size), u64::from(dm.pointer.align));
        match t {
            syn::Type::Ptr(_) | syn::Type::FnPtr(_) => Some(ptr),
            syn::Type::Array(a) => {
                let syn::Expr::Lit(syn::ExprLit {
                    lit: syn::Lit::Int(n),
                    ..
                }) = &a.len
                else {
                    return None;
                };
                let (size, align) = self.size_align(&a.elem, dm, depth + 1)?;
                Some((size * n.base10_parse::<u64>().ok()?, align))
            }
            syn::Type::Path(p) => {
                let seg = p.path.segments.last()?;
                let name = seg.ident.to_string();
                let arg = match &seg.arguments {
                    syn::PathArguments::AngleBracketed(a) => match a.args.first() {
                        Some(syn::GenericArgument::Type(t)) => Some(t),
                        _ => None,
                    },
                    _ => None,
                };
                match name.as_str() {
                    // `Option<fn>`: a nullable function pointer.
                    "Option" => Some(ptr),
                    // Bitfield storage: `[u8; N]` (its alignment comes from a separate
                    // zero-sized `[uN; 0]` field).
                    "__BindgenBitfieldUnit" => Some((self.size_align(arg?, dm, depth + 1)?.0, 1)),
                    // A flexible array member: no size, the element's alignment.
                    "__IncompleteArrayField" => Some((0, self.size_align(arg?, dm, depth + 1)?.1)),
                    "PhantomData" => Some((0, 1)),
                    _ => {
                        if let Some(&l) = self.layouts.types.get(&name) {
                            return Some(l);
                        }
                        if let Some(target) = self.aliases.get(&name) {
                            return self.size_align(target, dm, depth + 1);
                        }
                        let s = self.canon(t, dm, 0);
                        let size: u64 = match s.as_str() {
                            "bool" => 1,
                            "f32" => 4,
                            "f64" => return Some((8, u64::from(dm.double.align))),
                            "usize" | "isize" => return Some(ptr),
                            _ => {
                                s.strip_prefix('i')
                                    .or_else(|| s.strip_prefix('u'))?
                                    .parse::<u64>()
                                    .ok()?
                                    / 8
                            }
                        };
                        let align = if size == 8 {
                            u64::from(dm.int64_align)
                        } else {
                            size
                        };
                        Some((size, align))
                    }
                }
            }
            _ => None,
        }
    }

    /// The offset of every field of bindgen's struct or union `name`, laid out the way
    /// `#[repr(C)]` lays it out (which bindgen makes C's, adding padding fields where the two
    /// would differ). bindgen asserts no offset for an anonymous member (`__bindgen_anon_1`);
    /// this is where its offset comes from. `Err` names a field type this cannot size.
    fn repr_c_offsets(&self, name: &str, dm: &DataModel) -> Result<Vec<(String, u64)>, String> {
        let r = self.records.get(name).ok_or("no such struct")?;
        let mut out = Vec::new();
        let mut end: u64 = 0;
        for (field, ty) in &r.fields {
            let (size, align) = self
                .size_align(ty, dm, 0)
                .ok_or_else(|| format!("the type of `{field}`, {}", quote_type(ty)))?;
            let align = r.packed.map_or(align, |p| align.min(p)).max(1);
            let offset = if r.union {
                0
            } else {
                end.div_ceil(align) * align
            };
            end = end.max(offset + size);
            out.push((field.clone(), offset));
        }
        Ok(out)
    }
}

fn quote_type(t: &syn::Type) -> String {
    use std::fmt::Write as _;
    let mut s = String::new();
    let _ = write!(s, "{t:?}");
    s
}

/// Which declarations a comparison covers.
#[derive(Clone, Copy)]
enum Scope<'a> {
    /// Everything the set declares.
    All,
    /// What a library's headers bring in from outside the default set: declarations in files
    /// that are not among these (the default set's files, canonical paths).
    OutsideOf(&'a HashSet<PathBuf>),
}

impl Scope<'_> {
    /// Whether a declaration in `file` is compared. A declaration clang knows no file for
    /// (one whose name a macro pasted together, spelled in clang's scratch space) is.
    fn covers(self, file: Option<&Path>) -> bool {
        match self {
            Scope::All => true,
            Scope::OutsideOf(default) => file.is_none_or(|f| !default.contains(&canonical(f))),
        }
    }
}

fn canonical(p: &Path) -> PathBuf {
    std::fs::canonicalize(p).unwrap_or_else(|_| p.to_owned())
}

/// Every file the default set's headers read, canonical: what a library's header set is
/// compared without.
fn default_set_files() -> &'static HashSet<PathBuf> {
    static FILES: OnceLock<HashSet<PathBuf>> = OnceLock::new();
    FILES.get_or_init(|| {
        let decls = Discovery::without_database()
            .declarations(&HeaderSet::system())
            .unwrap();
        let mut files: HashSet<PathBuf> = decls.deps.iter().map(|d| canonical(&d.path)).collect();
        // A function's file is where it is declared; the headers' own paths are deps too.
        files.extend(decls.functions.values().map(|d| canonical(&d.header)));
        files
    })
}

/// Compares every function in scope (declared in scope on either side); returns how many
/// were compared and the mismatches, one line each.
fn compare(decls: &Declarations, bg: &Bindgen, scope: Scope<'_>) -> (usize, Vec<String>) {
    let dm = DataModel::native();
    let excused: HashMap<&str, &str> = BINDGEN_IS_WRONG.iter().copied().collect();
    let mut mismatches = Vec::new();
    let mut compared = 0;
    let mut names: BTreeSet<&str> = bg
        .functions
        .keys()
        .filter(|n| scope.covers(bg.function_files.get(*n).and_then(Option::as_deref)))
        .map(String::as_str)
        .collect();
    names.extend(
        decls
            .functions
            .iter()
            .filter(|(_, d)| scope.covers(Some(&d.header)))
            .map(|(n, _)| n.as_str()),
    );
    for name in names {
        if excused.contains_key(name) || bg.redeclaration_of(name).is_some() {
            continue;
        }
        let Some((params, variadic, output, link)) = bg.functions.get(name) else {
            // A `#define f g` alias is ours alone: bindgen does not follow macros.
            if decls.functions[name].link_name.as_deref() != Some(name)
                && is_macro_alias(decls, name)
            {
                continue;
            }
            mismatches.push(format!(
                "{name} ({}): discovery has it, bindgen does not",
                decls.functions[name].location()
            ));
            continue;
        };
        // bindgen turns an asm-labelled redeclaration (glibc's `__REDIRECT`) into a second
        // function, `name1`, with the label as its link name, and leaves `name` linking the
        // plain symbol; C links every call to the label, as discovery does. So the link
        // name to compare with is the redeclaration's.
        let link = bg
            .functions
            .get(&format!("{name}1"))
            .and_then(|f| f.3.clone())
            .or_else(|| link.clone());
        let Some(d) = decls.functions.get(name) else {
            let why = decls
                .not_callable
                .get(name)
                .map_or("not found".to_owned(), |n| n.reason.clone());
            mismatches.push(format!(
                "{name}: bindgen has it, discovery does not ({why})"
            ));
            continue;
        };
        let theirs_params: Vec<String> = params.iter().map(|t| bg.canon(t, &dm, 0)).collect();
        let theirs_ret = match output {
            syn::ReturnType::Default => "()".to_owned(),
            syn::ReturnType::Type(_, t) => bg.canon(t, &dm, 0),
        };
        let theirs = fn_string(theirs_params, *variadic, theirs_ret);
        let mine = fn_string(
            d.signature
                .params
                .iter()
                .map(|p| ours(&p.ty, &dm))
                .collect(),
            d.signature.variadic,
            ours(&d.signature.ret, &dm),
        );
        // bindgen's `u128` is its spelling of `long double` (`uses_long_double`).
        let mine = if uses_long_double(&d.signature) {
            mine.replace("long double", "u128")
        } else {
            mine
        };
        compared += 1;
        if mine != theirs {
            mismatches.push(format!(
                "{name} ({}): discovery `{mine}`, bindgen `{theirs}`",
                d.location()
            ));
        }
        let their_link = link.as_deref().unwrap_or(name);
        if d.symbol() != their_link {
            mismatches.push(format!(
                "{name}: discovery links `{}`, bindgen `{their_link}`",
                d.symbol()
            ));
        }
    }
    (compared, mismatches)
}

fn is_macro_alias(decls: &Declarations, name: &str) -> bool {
    let d = &decls.functions[name];
    d.link_name
        .as_ref()
        .is_some_and(|l| decls.functions.contains_key(l) && l != name)
}

fn report(what: &str, set: &HeaderSet, counts: &str, mismatches: &[String]) {
    println!(
        "{} ({what}): {counts}, {} mismatches",
        set.describe(),
        mismatches.len()
    );
    for m in mismatches {
        println!("  {m}");
    }
}

fn check(set: &HeaderSet, min: usize) {
    let decls = Discovery::without_database().declarations(set).unwrap();
    let bg = bindgen(set);
    let (compared, mismatches) = compare(&decls, &bg, Scope::All);
    let wide = decls
        .functions
        .values()
        .filter(|d| uses_long_double(&d.signature))
        .count();
    report(
        "functions",
        set,
        &format!("{compared} compared, {wide} of them with long double"),
        &mismatches,
    );
    assert!(compared >= min, "only {compared} functions compared");
    assert!(
        mismatches.is_empty(),
        "{} mismatches:\n{}",
        mismatches.len(),
        mismatches.join("\n")
    );
}

/// A library's header set against bindgen: every function and every struct and union it
/// brings in from outside the default set, at least `min_functions` and `min_layouts` of
/// them.
fn check_library(set: &HeaderSet, min_functions: usize, min_layouts: usize) {
    let decls = Discovery::without_database().declarations(set).unwrap();
    let bg = bindgen(set);
    let scope = Scope::OutsideOf(default_set_files());
    let (functions, mut mismatches) = compare(&decls, &bg, scope);
    let (layouts, fields, layout_mismatches) = compare_layouts(&decls, &bg, scope);
    mismatches.extend(layout_mismatches);
    report(
        "library",
        set,
        &format!("{functions} functions, {layouts} structs and unions, {fields} fields compared"),
        &mismatches,
    );
    assert!(
        functions >= min_functions,
        "only {functions} functions compared"
    );
    assert!(layouts >= min_layouts, "only {layouts} layouts compared");
    assert!(
        mismatches.is_empty(),
        "{} mismatches:\n{}",
        mismatches.len(),
        mismatches.join("\n")
    );
}

#[test]
fn default_header_set_matches_bindgen() {
    check(&HeaderSet::system(), 800);
}

// One test per library (they run in parallel). The minimums are a little under what each
// header set declares today (Debian 12's packages), so that a header set quietly shrinking (a
// header no longer found, a scope rule that drops an umbrella header's includes) fails.

#[test]
fn zlib_matches_bindgen() {
    check_library(&HeaderSet::new().header("zlib.h").pkg_config("zlib"), 80, 3);
}

/// An umbrella header: `ssl.h` includes most of `openssl/*.h`; `evp.h` is named too.
#[test]
fn openssl_matches_bindgen() {
    check_library(
        &HeaderSet::new()
            .header("openssl/ssl.h")
            .header("openssl/evp.h")
            .pkg_config("openssl"),
        3800,
        50,
    );
}

/// `typedef struct {...} __mpz_struct; typedef __mpz_struct mpz_t[1];`: anonymous structs
/// behind typedefs, handles passed as one-element arrays.
#[test]
fn gmp_matches_bindgen() {
    check_library(&HeaderSet::new().header("gmp.h").pkg_config("gmp"), 340, 5);
}

#[test]
fn sqlite3_matches_bindgen() {
    check_library(
        &HeaderSet::new().header("sqlite3.h").pkg_config("sqlite3"),
        280,
        20,
    );
}

/// bzip2 ships no pkg-config file; its header is in the default include path.
#[test]
fn bzip2_matches_bindgen() {
    check_library(&HeaderSet::new().header("bzlib.h"), 24, 1);
}

/// An umbrella header: `lzma.h` is nothing but includes of `lzma/*.h`.
#[test]
fn xz_matches_bindgen() {
    check_library(
        &HeaderSet::new().header("lzma.h").pkg_config("liblzma"),
        100,
        12,
    );
}

#[test]
fn libpng_matches_bindgen() {
    check_library(
        &HeaderSet::new().header("png.h").pkg_config("libpng"),
        240,
        10,
    );
}

/// Headers under a pkg-config include directory (`-I/usr/include/libxml2`): self-referential
/// trees (`xmlNode`), and, through `libxml/encoding.h`, ICU's `unicode/ucnv.h` (callbacks whose
/// parameters point to anonymous structs behind typedefs).
#[test]
fn libxml2_matches_bindgen() {
    check_library(
        &HeaderSet::new()
            .header("libxml/parser.h")
            .header("libxml/tree.h")
            .pkg_config("libxml-2.0"),
        700,
        30,
    );
}

/// Tagged unions of event, token and node types: `union { struct {...} scalar; ... } data;`,
/// structs and unions nested without names of their own (bindgen's `parent__bindgen_ty_N`).
#[test]
fn yaml_matches_bindgen() {
    check_library(
        &HeaderSet::new().header("yaml.h").pkg_config("yaml-0.1"),
        45,
        55,
    );
}

#[test]
fn expat_matches_bindgen() {
    check_library(
        &HeaderSet::new().header("expat.h").pkg_config("expat"),
        60,
        5,
    );
}

/// bindgen's layout tests, read back: `(size, align)` per type and offset per field.
#[derive(Default)]
struct Layouts {
    types: HashMap<String, (u64, u64)>,
    offsets: HashMap<(String, String), u64>,
}

/// The number after `- ` that ends one of bindgen's layout assertions (`... - 16usize]`).
fn assertion_value(rest: &str) -> Option<u64> {
    let at = rest.find("- ")? + 2;
    let digits: String = rest[at..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    digits.parse().ok()
}

fn layouts_of(text: &str) -> Layouts {
    let mut out = Layouts::default();
    let mut sizes: HashMap<String, u64> = HashMap::new();
    for (label, rest) in text.split("[\"").skip(1).filter_map(|s| s.split_once('"')) {
        let Some(v) = assertion_value(rest) else {
            continue;
        };
        if let Some(t) = label.strip_prefix("Size of ") {
            sizes.insert(t.to_owned(), v);
        } else if let Some(t) = label.strip_prefix("Alignment of ") {
            if let Some(&s) = sizes.get(t) {
                out.types.insert(t.to_owned(), (s, v));
            }
        } else if let Some(f) = label.strip_prefix("Offset of field: ")
            && let Some((t, field)) = f.split_once("::")
        {
            out.offsets.insert((t.to_owned(), field.to_owned()), v);
        }
    }
    out
}

/// Every struct and union of `set` in `scope` that bindgen lays out, against discovery's
/// layout of it (`compare_layouts`).
fn check_layouts(set: &HeaderSet, scope: Scope<'_>, min: usize) {
    let decls = Discovery::without_database().declarations(set).unwrap();
    let bg = bindgen(set);
    let (compared, fields, mismatches) = compare_layouts(&decls, &bg, scope);
    report(
        "layouts",
        set,
        &format!("{compared} structs and unions, {fields} fields compared"),
        &mismatches,
    );
    assert!(compared >= min, "only {compared} layouts compared");
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
}

/// Field types where bindgen, not discovery, is wrong (`struct.field`), each with the reason.
/// Their offsets are compared all the same.
const BINDGEN_FIELD_IS_WRONG: &[(&str, &str)] = &[(
    "sqlite3_vfs.xDlSym",
    "`void (*(*xDlSym)(sqlite3_vfs*, void*, const char*))(void)` returns a `void (*)(void)`; \
     bindgen gives the returned function pointer the outer one's parameters \
     (rust-lang/rust-bindgen#2713, open). Discovery: `fn(*mut sqlite3_vfs, *mut c_void, \
     *const i8) -> fn() -> ()`",
)];

/// Structs and unions bindgen lays out and discovery, by its rule, does not, each with the
/// reason. Discovery keeps no layout for a struct whose tag is a reserved name (`__` prefix)
/// that no typedef names and no signature uses: an implementation detail of the C library,
/// not part of its API (`record_decl` in `clang/walk.rs`).
const NOT_LAID_OUT: &[(&str, &str)] = &[(
    "__pthread_cleanup_frame",
    "glibc's `struct __pthread_cleanup_frame` is the storage of the `pthread_cleanup_push` \
     macro's block (with `__cleanup__`); no function takes one and no typedef names it",
)];

/// bindgen's name for the `k`th anonymous member of a struct or union (1-based, counting
/// anonymous members only: unnamed bitfields are padding, not members, and bindgen does not
/// count them either).
const ANON_FIELD: &str = "__bindgen_anon_";

/// A discovery record's fields under bindgen's names: `type` is `type_` (a Rust keyword gets
/// a `_` appended), and the `k`th anonymous member is `__bindgen_anon_k`. Bitfields have no
/// offset assertion in bindgen (they share storage units) and are left out.
fn fields_by_bindgen_name(r: &Record) -> Vec<(String, &Field)> {
    let mut anon = 0;
    r.fields
        .iter()
        .filter(|f| f.bit_width.is_none())
        .map(|f| {
            let name = if f.name.is_empty() {
                anon += 1;
                format!("{ANON_FIELD}{anon}")
            } else if RUST_KEYWORDS.contains(&f.name.as_str()) {
                format!("{}_", f.name)
            } else {
                f.name.clone()
            };
            (name, f)
        })
        .collect()
}

/// The names bindgen appends `_` to when a C field has them.
const RUST_KEYWORDS: &[&str] = &[
    "abstract", "as", "async", "await", "become", "box", "break", "const", "continue", "crate",
    "do", "dyn", "else", "enum", "extern", "false", "final", "fn", "for", "gen", "if", "impl",
    "in", "let", "loop", "macro", "match", "mod", "move", "mut", "override", "priv", "pub", "ref",
    "return", "static", "struct", "super", "trait", "true", "try", "type", "typeof", "unsafe",
    "unsized", "use", "virtual", "where", "while", "yield",
];

/// Discovery's layout of the struct or union bindgen calls `name`: a record of that name, or,
/// for a type bindgen names after its place (`parent__bindgen_ty_N`, an anonymous struct or
/// union nested in `parent`), the record of the field of `parent` whose type it is: the
/// named field `f` of `struct { ... } f;`, or the anonymous member `__bindgen_anon_k`.
fn discovery_record(decls: &Declarations, bg: &Bindgen, name: &str, depth: u32) -> Option<Record> {
    if let Some(r) = decls.records.get(name) {
        return Some(r.clone());
    }
    if let Some(r) = bg.record_tags.get(name).and_then(|t| decls.records.get(t)) {
        return Some(r.clone());
    }
    if depth > 16 || !name.contains("__bindgen_ty_") {
        return None;
    }
    // The parent is the record one of whose fields has this type (by value or as an array
    // element; bindgen makes a fresh nested type per declaration, so there is one).
    let (parent, field) = bg.records.iter().find_map(|(parent, r)| {
        r.fields
            .iter()
            .find(|(_, t)| names_record(t, name))
            .map(|(f, _)| (parent.as_str(), f.as_str()))
    })?;
    let parent = discovery_record(decls, bg, parent, depth + 1)?;
    let (_, f) = fields_by_bindgen_name(&parent)
        .into_iter()
        .find(|(n, _)| n == field)?;
    let mut ty = f.ty.canonical();
    while let CType::Array { elem, .. } = ty {
        ty = elem.canonical();
    }
    match ty {
        CType::Record(r) => Some((**r).clone()),
        _ => None,
    }
}

/// A field type with a struct or union nested without a name of its own (bindgen's
/// `parent__bindgen_ty_N`) spelled `<anonymous record>`, as discovery spells a record without
/// a name (or spelled under bindgen's name, should discovery adopt it): its layout is compared
/// under its own name, and the numbering is bindgen's. (A record an enclosing typedef names
/// is not nested: bindgen calls it by the typedef's name, and discovery must too.)
fn nested(ty: &str) -> String {
    let mut out = String::new();
    let mut rest = ty;
    while let Some(at) = rest.find("__bindgen_ty_") {
        let start = rest[..at]
            .rfind(|c: char| !(c.is_alphanumeric() || c == '_'))
            .map_or(0, |i| i + 1);
        let end = at
            + rest[at..]
                .find(|c: char| !(c.is_alphanumeric() || c == '_'))
                .unwrap_or(rest.len() - at);
        out.push_str(&rest[..start]);
        out.push_str("<anonymous record>");
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

/// Whether a bindgen field type is the record `name`, or an array of it.
fn names_record(t: &syn::Type, name: &str) -> bool {
    match t {
        syn::Type::Path(p) => p.path.segments.last().is_some_and(|s| s.ident == name),
        syn::Type::Array(a) => names_record(&a.elem, name),
        _ => false,
    }
}

/// Every struct and union in scope that bindgen lays out (complete ones: bindgen asserts no
/// layout for an opaque type), against discovery's layout of the same type: size, alignment,
/// and the offset of every non-bitfield field on either side, a field one side lacks being a
/// mismatch. Nested types are found under bindgen's names (`discovery_record`), anonymous
/// members as `__bindgen_anon_k` (`fields_by_bindgen_name`). Returns the layouts and fields
/// compared and the mismatches.
fn compare_layouts(
    decls: &Declarations,
    bg: &Bindgen,
    scope: Scope<'_>,
) -> (usize, usize, Vec<String>) {
    let (mut compared, mut fields) = (0, 0);
    let mut mismatches = Vec::new();
    let dm = DataModel::native();
    let mut bg_offsets: HashMap<&str, BTreeMap<&str, u64>> = HashMap::new();
    for ((t, f), off) in &bg.layouts.offsets {
        bg_offsets.entry(t).or_default().insert(f, *off);
    }
    let names: BTreeSet<&String> = bg
        .record_files
        .iter()
        .filter(|(_, file)| scope.covers(file.as_deref()))
        .map(|(n, _)| n)
        .collect();
    let excused: HashMap<&str, &str> = NOT_LAID_OUT.iter().copied().collect();
    let excused_fields: HashMap<&str, &str> = BINDGEN_FIELD_IS_WRONG.iter().copied().collect();
    for name in names {
        // bindgen asserts no layout for an incomplete (opaque) struct.
        let Some(&(size, align)) = bg.layouts.types.get(name) else {
            continue;
        };
        let Some(r) = discovery_record(decls, bg, name, 0) else {
            if excused.contains_key(name.as_str()) {
                continue;
            }
            mismatches.push(format!(
                "{name}: bindgen lays it out ({size} bytes aligned to {align}), discovery has no layout{}",
                decls
                    .opaque
                    .get(name)
                    .map_or(String::new(), |o| format!(" (opaque at {}:{})", o.header.display(), o.line))
            ));
            continue;
        };
        compared += 1;
        if (r.size, r.align) != (size, align) {
            mismatches.push(format!(
                "{name}: discovery {} bytes aligned to {}, bindgen {size} aligned to {align}",
                r.size, r.align
            ));
        }
        let our_offsets: BTreeMap<String, u64> = fields_by_bindgen_name(&r)
            .into_iter()
            .map(|(n, f)| (n, f.offset))
            .collect();
        let empty = BTreeMap::new();
        let mut theirs: BTreeMap<&str, u64> =
            bg_offsets.get(name.as_str()).unwrap_or(&empty).clone();
        // Anonymous members: bindgen asserts no offset for them; their offset in bindgen's
        // `#[repr(C)]` struct is the C offset.
        if bg
            .records
            .get(name.as_str())
            .is_some_and(|r| r.fields.iter().any(|(f, _)| f.starts_with(ANON_FIELD)))
        {
            match bg.repr_c_offsets(name, &dm) {
                Ok(offsets) => {
                    for ((f, _), (_, off)) in bg.records[name.as_str()].fields.iter().zip(offsets) {
                        if f.starts_with(ANON_FIELD) {
                            theirs.insert(f.as_str(), off);
                        } else if theirs.get(f.as_str()).is_some_and(|&o| o != off) {
                            // The computation checked against bindgen's own assertions.
                            mismatches.push(format!(
                                "{name}.{f}: the oracle's repr(C) layout of bindgen's struct puts it at {off}, bindgen asserts {}",
                                theirs[f.as_str()]
                            ));
                        }
                    }
                }
                Err(why) => mismatches.push(format!(
                    "{name}: the oracle cannot lay out bindgen's struct to find its anonymous members' offsets: {why}"
                )),
            }
        }
        for (&field, &off) in &theirs {
            fields += 1;
            match our_offsets.get(field) {
                Some(&o) if o == off => {}
                Some(&o) => mismatches.push(format!(
                    "{name}.{field}: discovery offset {o}, bindgen {off}"
                )),
                None => mismatches.push(format!(
                    "{name}.{field}: bindgen has it at offset {off}, discovery has no such field (discovery's: {})",
                    our_offsets.keys().cloned().collect::<Vec<_>>().join(", ")
                )),
            }
        }
        for (field, o) in &our_offsets {
            if !theirs.contains_key(field.as_str()) {
                mismatches.push(format!(
                    "{name}.{field}: discovery has it at offset {o}, bindgen has no such field"
                ));
            }
        }
        // Field types, as function types are compared.
        let types: HashMap<String, String> = fields_by_bindgen_name(&r)
            .into_iter()
            .map(|(n, f)| (n, nested(&ours(&f.ty, &dm))))
            .collect();
        for (field, ty) in bg.records.get(name.as_str()).map_or(&[][..], |r| &r.fields) {
            let Some(mine) = types.get(field) else {
                continue;
            };
            let theirs = nested(&bg.canon(ty, &dm, 0));
            let qualified = format!("{name}.{field}");
            // `long double` is bindgen's `u128` (see `uses_long_double`): the field's offset
            // and the struct's size are compared all the same.
            if excused_fields.contains_key(qualified.as_str())
                || mine.replace("long double", "u128") == theirs
            {
                continue;
            }
            if *mine != theirs {
                mismatches.push(format!(
                    "{name}.{field}: discovery `{mine}`, bindgen `{theirs}`"
                ));
            }
        }
    }
    (compared, fields, mismatches)
}

#[test]
fn struct_layouts_match_bindgen() {
    check_layouts(&HeaderSet::system(), Scope::All, 120);
    check_layouts(
        &HeaderSet::new()
            .header(ffi_auto_fixture::header().display().to_string())
            .include(ffi_auto_fixture::INCLUDE_DIR),
        Scope::OutsideOf(default_set_files()),
        5,
    );
}
