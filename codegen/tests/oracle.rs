//! bindgen as an oracle: for every function of the default header set and of zlib.h, the
//! signature discovery finds, mapped to Rust types, equals the one bindgen generates from the
//! same header text with the same clang arguments.
//!
//! Types are compared at the level the ABI sees: `c_long` and `i64` are the same type on this
//! target, and so are `__pid_t` and `c_int` (bindgen keeps typedef aliases; both sides are
//! resolved to what they name). Names of structs, pointer constness, function pointer
//! signatures, variadics and link names (asm labels) are compared as they are.

use std::collections::{BTreeMap, HashMap};

use ffi_auto_codegen::sig::{CType, DataModel, FloatKind, Signature};
use ffi_auto_codegen::{Declarations, Discovery, HeaderSet};

/// Functions where bindgen, not discovery, is wrong, each with the reason. Nothing else is
/// excused: every other difference fails the test.
const BINDGEN_IS_WRONG: &[(&str, &str)] = &[];

/// bindgen maps C's `long double` to `u128`, which is not its ABI (x87 80-bit on x86-64,
/// passed in memory, not in two integer registers); glibc has ~150 such functions (`sinl`,
/// `strtold`, `printf`'s `long double` relatives). Discovery keeps them as `long double`,
/// which the macros refuse and the runtime reports as unsupported.
fn uses_long_double(sig: &Signature) -> bool {
    let ld = |t: &CType| matches!(t.canonical(), CType::Float(FloatKind::LongDouble));
    ld(&sig.ret) || sig.params.iter().any(|p| ld(&p.ty))
}

fn int_name(size: u8, signed: bool) -> String {
    format!("{}{}", if signed { "i" } else { "u" }, u32::from(size) * 8)
}

/// Our side: a C type, canonical, as the ABI-level string both sides are compared by.
fn ours(t: &CType, dm: &DataModel) -> String {
    match t.canonical() {
        CType::Void => "()".to_owned(),
        CType::Bool => "bool".to_owned(),
        CType::Int(k) => int_name(k.size(dm), k.is_signed(dm)),
        CType::Float(FloatKind::Float) => "f32".to_owned(),
        CType::Float(FloatKind::Double) => "f64".to_owned(),
        CType::Float(FloatKind::LongDouble) => "long double".to_owned(),
        CType::Pointer { pointee, is_const } => {
            let inner = match pointee.canonical() {
                CType::Void => "c_void".to_owned(),
                CType::Array { elem, .. } => ours(elem, dm),
                p => ours(p, dm),
            };
            format!("*{} {inner}", if *is_const { "const" } else { "mut" })
        }
        CType::FnPtr(sig) => fn_string(
            sig.params.iter().map(|p| ours(&p.ty, dm)).collect(),
            sig.variadic,
            ours(&sig.ret, dm),
        ),
        CType::Record(r) => r.name.clone().unwrap_or_default(),
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

/// bindgen's side: type aliases, and the functions of its `extern "C"` blocks.
struct Bindgen {
    aliases: HashMap<String, syn::Type>,
    functions: BTreeMap<String, (Vec<syn::Type>, bool, syn::ReturnType, Option<String>)>,
}

fn bindgen(set: &HeaderSet) -> Bindgen {
    let bindings = bindgen::Builder::default()
        .header_contents("ffi-auto-oracle.h", &set.source())
        .clang_args(set.arguments().unwrap())
        .layout_tests(false)
        .generate_comments(false)
        .generate()
        .expect("bindgen parses the same headers");
    let file: syn::File = syn::parse_str(&bindings.to_string()).unwrap();
    let mut out = Bindgen {
        aliases: HashMap::new(),
        functions: BTreeMap::new(),
    };
    for item in file.items {
        match item {
            syn::Item::Type(t) => {
                out.aliases.insert(t.ident.to_string(), *t.ty);
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
                if name == "Option"
                    && let syn::PathArguments::AngleBracketed(a) = &seg.arguments
                    && let Some(syn::GenericArgument::Type(inner)) = a.args.first()
                {
                    return self.canon(inner, dm, depth + 1);
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
                    "isize" => c(dm.pointer.size, true),
                    "usize" => c(dm.pointer.size, false),
                    "c_float" | "f32" => "f32".to_owned(),
                    "c_double" | "f64" => "f64".to_owned(),
                    "bool" => "bool".to_owned(),
                    other => match self.aliases.get(other) {
                        Some(target) => self.canon(target, dm, depth + 1),
                        None => other.to_owned(),
                    },
                }
            }
            other => quote_type(other),
        }
    }
}

fn quote_type(t: &syn::Type) -> String {
    use std::fmt::Write as _;
    let mut s = String::new();
    let _ = write!(s, "{t:?}");
    s
}

/// Compares every function; returns the mismatches, one line each.
fn compare(decls: &Declarations, bg: &Bindgen) -> (usize, Vec<String>) {
    let dm = DataModel::native();
    let excused: HashMap<&str, &str> = BINDGEN_IS_WRONG.iter().copied().collect();
    let mut mismatches = Vec::new();
    let mut compared = 0;
    for (name, (params, variadic, output, link)) in &bg.functions {
        if excused.contains_key(name.as_str()) || bg.redeclaration_of(name).is_some() {
            continue;
        }
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
        if uses_long_double(&d.signature) {
            // Left out of the comparison, but only where bindgen's sole difference is
            // `u128` in place of `long double`.
            if mine.replace("long double", "u128") != theirs {
                mismatches.push(format!(
                    "{name} ({}): discovery `{mine}`, bindgen `{theirs}`",
                    d.location()
                ));
            }
            continue;
        }
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
    for name in decls.functions.keys() {
        if !bg.functions.contains_key(name) && !excused.contains_key(name.as_str()) {
            // A `#define f g` alias is ours alone: bindgen does not follow macros.
            if decls.functions[name].link_name.as_deref() != Some(name)
                && is_macro_alias(decls, name)
            {
                continue;
            }
            mismatches.push(format!("{name}: discovery has it, bindgen does not"));
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

fn check(set: &HeaderSet, min: usize) {
    let decls = Discovery::without_database().declarations(set).unwrap();
    let bg = bindgen(set);
    let (compared, mismatches) = compare(&decls, &bg);
    let skipped = decls
        .functions
        .values()
        .filter(|d| uses_long_double(&d.signature))
        .count();
    println!(
        "{}: {compared} functions compared, {skipped} with long double left out, {} mismatches",
        set.describe(),
        mismatches.len()
    );
    for m in &mismatches {
        println!("  {m}");
    }
    assert!(compared >= min, "only {compared} functions compared");
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

#[test]
fn zlib_matches_bindgen() {
    check(&HeaderSet::new().header("zlib.h"), 80);
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

fn bindgen_layouts(set: &HeaderSet) -> Layouts {
    let text = bindgen::Builder::default()
        .header_contents("ffi-auto-oracle.h", &set.source())
        .clang_args(set.arguments().unwrap())
        .layout_tests(true)
        .generate_comments(false)
        .generate()
        .expect("bindgen parses the same headers")
        .to_string();
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

/// Every struct and union discovery lays out, against bindgen's layout for the same name:
/// size, alignment and the offset of every named, non-bitfield field.
fn check_layouts(set: &HeaderSet, min: usize) {
    let decls = Discovery::without_database().declarations(set).unwrap();
    let bg = bindgen_layouts(set);
    let (mut compared, mut fields) = (0, 0);
    let mut mismatches = Vec::new();
    for (name, r) in &decls.records {
        let Some(&(size, align)) = bg.types.get(name) else {
            continue;
        };
        compared += 1;
        if (r.size, r.align) != (size, align) {
            mismatches.push(format!(
                "{name}: discovery {} bytes aligned to {}, bindgen {size} aligned to {align}",
                r.size, r.align
            ));
        }
        for f in r
            .fields
            .iter()
            .filter(|f| f.bit_width.is_none() && !f.name.is_empty())
        {
            let Some(&off) = bg.offsets.get(&(name.clone(), f.name.clone())) else {
                continue;
            };
            fields += 1;
            if off != f.offset {
                mismatches.push(format!(
                    "{name}.{}: discovery offset {}, bindgen {off}",
                    f.name, f.offset
                ));
            }
        }
    }
    println!(
        "{}: {compared} structs and unions, {fields} fields compared, {} mismatches",
        set.describe(),
        mismatches.len()
    );
    assert!(compared >= min, "only {compared} layouts compared");
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
}

#[test]
fn struct_layouts_match_bindgen() {
    check_layouts(&HeaderSet::system(), 50);
    check_layouts(
        &HeaderSet::new()
            .header(ffi_auto_fixture::header().display().to_string())
            .include(ffi_auto_fixture::INCLUDE_DIR),
        5,
    );
}
