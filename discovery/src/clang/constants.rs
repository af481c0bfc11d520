//! Constants: enumerators, and the object-like macros that evaluate to a number, a string or
//! a pointer.
//!
//! Enumerators carry their values in the AST. Macros do not: string literals are read from
//! their tokens, and everything else is left to clang, through one more parse of the same
//! translation unit with a variable per macro appended (`__auto_type __ffi_auto_c_NAME =
//! (NAME);`), so that the value and its C type are the compiler's (`ULONG_MAX` is `unsigned
//! long`, `O_RDONLY | O_CLOEXEC` is folded). Macros that are not constant expressions (types,
//! statements, `errno`) fail to compile there and are left out.

use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;
use std::path::PathBuf;

use clang::{Entity, EntityKind, EvaluationResult, Index, TranslationUnit, Unsaved};
use ffi_auto_sig::{CType, FloatKind, IntKind};

use super::ParseInput;
use super::walk::{Macro, Walker, location};
use crate::decl::{ConstValue, Constant};

/// The prefix of the variables the constant-evaluation parse declares.
const CONST_PREFIX: &str = "__ffi_auto_c_";
/// The prefix of the variables holding the address of a pointer constant.
const ADDR_PREFIX: &str = "__ffi_auto_a_";

/// Where each macro left to clang is defined, by name.
type Pending = HashMap<String, (PathBuf, u32)>;

impl Walker {
    /// The enumerators of an `enum` declaration, each with the type C gives it.
    pub(super) fn enum_constants(&mut self, e: &Entity<'_>) {
        let Some(ty) = e.get_type() else { return };
        let Ok(enum_ty) = self.conv(&ty, 0, None) else {
            return;
        };
        for c in e.get_children() {
            if c.get_kind() != EntityKind::EnumConstantDecl {
                continue;
            }
            let (Some(name), Some((v, u))) = (c.get_name(), c.get_enum_constant_value()) else {
                continue;
            };
            if name.starts_with('_') {
                continue;
            }
            let (header, line) = location(&c);
            // C gives an enumerator the type `int` (C23 and GNU C: the enum's type when the
            // value does not fit), whatever the enum's own type: clang records it on the
            // constant.
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

    /// Evaluates the object-like macros that look like constants (see the module's
    /// documentation): string literals here, the rest in one more parse of `input`.
    pub(super) fn evaluate_macros(&mut self, index: &Index<'_>, input: &ParseInput) {
        let mut source = input.source.clone();
        let pending = self.string_macros_and_probes(&mut source);
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
        self.read_probes(&tu, pending);
    }

    /// Records the macros whose body is string literals, and appends to `source` the
    /// variables that have clang evaluate the other candidates; returns those.
    fn string_macros_and_probes(&mut self, source: &mut String) -> Pending {
        let mut pending = HashMap::new();
        let facts = compiler_facts(&self.macros);
        for m in &self.macros {
            if m.function_like
                || m.name.starts_with('_')
                || m.body.is_empty()
                || self.functions.contains_key(&m.name)
                || m.body.contains(&m.name)
                || facts.contains(m.name.as_str())
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
        pending
    }

    /// Records the constants whose variables compiled in the evaluation parse `tu`.
    fn read_probes(&mut self, tu: &TranslationUnit<'_>, mut pending: Pending) {
        let addresses = addresses(tu);
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
            let Some(value) = probed_value(&e, &cty, addresses.get(name).copied()) else {
                continue;
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

/// The addresses of the pointer constants, by macro name, from their `ADDR_PREFIX` variables.
fn addresses(tu: &TranslationUnit<'_>) -> HashMap<String, u64> {
    tu.get_entity()
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
        .collect()
}

/// The value of the `CONST_PREFIX` variable `var`, of C type `cty`: a pointer's from its
/// `address`, a number's as clang evaluates it; `None` for anything else.
fn probed_value(var: &Entity<'_>, cty: &CType, address: Option<u64>) -> Option<ConstValue> {
    let result = match (cty.is_pointer(), address) {
        (true, Some(a)) => Ok(a),
        (true, None) => return None,
        (false, _) => Err(var.evaluate()?),
    };
    Some(match (cty.canonical(), result) {
        (_, Ok(address)) => ConstValue::Ptr(address),
        (CType::Int(_) | CType::Bool, Err(EvaluationResult::SignedInteger(v))) => {
            ConstValue::Int(v)
        }
        (CType::Int(_) | CType::Bool, Err(EvaluationResult::UnsignedInteger(v))) => {
            match i64::try_from(v) {
                Ok(v) if is_signed(cty) => ConstValue::Int(v),
                _ => ConstValue::UInt(v),
            }
        }
        (CType::Float(FloatKind::Float | FloatKind::Double), Err(EvaluationResult::Float(v))) => {
            ConstValue::Float(v)
        }
        _ => return None,
    })
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

/// Tokens whose value differs wherever they are used (`#define OPENSSL_LINE __LINE__`) or is a
/// fact about the compiler reading the header rather than about the library
/// (`(__GNUC__ * 100 + __GNUC_MINOR__)`, which libclang answers as GCC 4.2).
const FACTS: &[&str] = &[
    "__LINE__",
    "__COUNTER__",
    "__FILE__",
    "__DATE__",
    "__TIME__",
    "__TIMESTAMP__",
    "__GNUC__",
    "__GNUC_MINOR__",
    "__GNUC_PATCHLEVEL__",
    "__clang_major__",
    "__clang_minor__",
    "__clang_patchlevel__",
    "__VERSION__",
];

/// The macros whose value depends on a [`FACTS`] token, directly or through other macros
/// (`#define HAVE_X CC_AT_LEAST(4, 2)` where `CC_AT_LEAST` reads `__GNUC__`): not constants of
/// the library (the compiler check, `check.rs`, finds what slips through).
fn compiler_facts(macros: &[Macro]) -> HashSet<&str> {
    let mut facts: HashSet<&str> = FACTS.iter().copied().collect();
    // Each pass adds the macros that use one found before: as many passes as the longest
    // chain, and at most one per macro.
    loop {
        let before = facts.len();
        for m in macros {
            if !facts.contains(m.name.as_str()) && m.body.iter().any(|t| facts.contains(t.as_str()))
            {
                facts.insert(&m.name);
            }
        }
        if facts.len() == before {
            return facts;
        }
    }
}
