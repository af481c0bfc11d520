//! Ground truth from the C compiler (as the `ctest` crate does for hand-written bindings):
//! a probe program, compiled against a header set with the system compiler, prints what the
//! compiler believes (sizes, alignments, field and bitfield offsets, constant and enumerator
//! values, linker names), and [`check`] compares it with what discovery found.
//!
//! ```no_run
//! let r = ffi_auto_discovery::check::check(&ffi_auto_discovery::HeaderSet::system()).unwrap();
//! assert!(r.differences.is_empty(), "{r}");
//! ```

use std::collections::HashMap;
use std::fmt::{self, Write as _};
use std::process::Command;

use ffi_auto_sig::{Record, RecordKind};

use crate::decl::{ConstValue, Declarations};
use crate::{Discovery, DiscoveryError, HeaderSet};

/// One fact on which discovery and the compiler disagree.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Difference {
    /// What: `sizeof(struct timeval)`, `offsetof(div_t, rem)`, `O_CREAT`.
    pub what: String,
    /// What discovery found.
    pub ours: String,
    /// What the compiler says.
    pub compiler: String,
}

/// What [`check`] compared.
#[derive(Clone, Debug, Default)]
pub struct Report {
    /// Facts compared.
    pub checked: usize,
    /// Where they differ.
    pub differences: Vec<Difference>,
    /// What was not compared, and why (a record C cannot name, an anonymous member).
    pub skipped: Vec<String>,
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{} facts compared with the C compiler: {} differences, {} not compared",
            self.checked,
            self.differences.len(),
            self.skipped.len()
        )?;
        for d in &self.differences {
            writeln!(
                f,
                "  {}: ffi-auto {}, the compiler {}",
                d.what, d.ours, d.compiler
            )?;
        }
        Ok(())
    }
}

/// One printed fact: its key and what discovery found.
struct Probe {
    key: String,
    ours: String,
    /// The C statement printing the compiler's value as `key value`.
    code: String,
    /// The record it is about, when it is one's.
    record: Option<String>,
    /// Compared as floating-point numbers.
    float: bool,
}

impl Probe {
    fn new(key: String, ours: String, code: String) -> Probe {
        Probe {
            key,
            ours,
            code,
            record: None,
            float: false,
        }
    }
}

/// How C names a record that discovery keys by `key`: the tag (`struct timeval`) or the
/// typedef (`div_t`).
fn spellings(key: &str, r: &Record) -> [String; 2] {
    let kw = match r.kind {
        RecordKind::Struct => "struct",
        RecordKind::Union => "union",
    };
    [format!("{kw} {key}"), key.to_owned()]
}

fn probes(
    decls: &Declarations,
    typedef: &HashMap<String, bool>,
    skipped: &mut Vec<String>,
) -> Vec<Probe> {
    let mut out = Vec::new();
    let mut keys: Vec<&String> = decls.records.keys().collect();
    keys.sort();
    for key in keys {
        let r = &decls.records[key];
        if key.starts_with("__bindgen") || key.contains(' ') || key.contains('(') {
            skipped.push(format!("{key}: not a C name"));
            continue;
        }
        let ty = &spellings(key, r)[usize::from(typedef.get(key).copied().unwrap_or(false))];
        out.extend(record_probes(key, r, ty, skipped));
    }
    let mut names: Vec<&String> = decls.constants.keys().collect();
    names.sort();
    out.extend(
        names
            .into_iter()
            .map(|n| constant_probe(n, &decls.constants[n].value)),
    );
    // Linker names: a function the header renames (`__asm__("__isoc99_sscanf")`).
    let mut fns: Vec<_> = decls
        .functions
        .values()
        .filter(|d| d.link_name.is_some() && d.name != d.symbol())
        .collect();
    fns.sort_by(|a, b| a.name.cmp(&b.name));
    for d in fns {
        let name = &d.name;
        out.push(Probe::new(
            format!("symbol({name})"),
            d.symbol().to_owned(),
            // The linker name that has the address C gives the function.
            format!(
                "printf(\"symbol({name}) %s\\n\", self && dlsym(self, \"{sym}\") == (void *)&{name} ? \"{sym}\" : \"another symbol\");",
                sym = d.symbol()
            ),
        ));
    }
    out
}

/// The size, alignment and field (and bitfield) offsets of record `key`, spelled `ty` in C.
fn record_probes(key: &str, r: &Record, ty: &str, skipped: &mut Vec<String>) -> Vec<Probe> {
    let of = |p: Probe| Probe {
        record: Some(key.to_owned()),
        ..p
    };
    let mut out = vec![
        of(Probe::new(
            format!("sizeof({ty})"),
            r.size.to_string(),
            format!("printf(\"sizeof({ty}) %zu\\n\", sizeof({ty}));"),
        )),
        of(Probe::new(
            format!("_Alignof({ty})"),
            r.align.to_string(),
            format!("printf(\"_Alignof({ty}) %zu\\n\", _Alignof({ty}));"),
        )),
    ];
    for field in &r.fields {
        if field.name.is_empty() {
            skipped.push(format!("{ty}: an anonymous member"));
            continue;
        }
        let f = &field.name;
        match field.bit_width {
            None => out.push(of(Probe::new(
                format!("offsetof({ty}, {f})"),
                field.offset.to_string(),
                format!("printf(\"offsetof({ty}, {f}) %zu\\n\", offsetof({ty}, {f}));"),
            ))),
            Some(0) => {}
            Some(w) => out.push(of(Probe::new(
                // Every bit of the field set in a zeroed record: its first set bit is its
                // offset, the count of set bits its width.
                format!("bits({ty}, {f})"),
                format!("{}+{w}", field.bit_offset),
                format!(
                    "{{ {ty} v; memset(&v, 0, sizeof v); v.{f} = ~0; unsigned char *b = (unsigned char *)&v; size_t first = (size_t)-1, n = 0; for (size_t i = 0; i < sizeof v * 8; i++) if (b[i / 8] >> (i % 8) & 1) {{ if (first == (size_t)-1) first = i; n++; }} printf(\"bits({ty}, {f}) %zu+%zu\\n\", first, n); }}"
                ),
            ))),
        }
    }
    out
}

/// The value of constant `name` (a string's length).
fn constant_probe(name: &str, value: &ConstValue) -> Probe {
    let (ours, code) = match value {
        ConstValue::Int(v) => (
            v.to_string(),
            format!("printf(\"{name} %lld\\n\", (long long)({name}));"),
        ),
        ConstValue::UInt(v) => (
            v.to_string(),
            format!("printf(\"{name} %llu\\n\", (unsigned long long)({name}));"),
        ),
        ConstValue::Float(v) => (
            format!("{v:e}"),
            format!("printf(\"{name} %.17e\\n\", (double)({name}));"),
        ),
        ConstValue::Str(s) => (
            s.len().to_string(),
            format!("printf(\"{name} %zu\\n\", sizeof({name}) - 1);"),
        ),
        ConstValue::Ptr(v) => (
            v.to_string(),
            format!("printf(\"{name} %llu\\n\", (unsigned long long)(__UINTPTR_TYPE__)({name}));"),
        ),
    };
    let mut p = Probe::new(name.to_owned(), ours, code);
    p.float = matches!(value, ConstValue::Float(_));
    p
}

fn program(set: &HeaderSet, probes: &[Probe]) -> String {
    // The headers exactly as discovery reads them (no feature macros of the probe's own: with
    // `_GNU_SOURCE`, glibc's `SIGSTKSZ` is not a constant and `strerror_r` another function).
    let mut s = set.source();
    s.push_str(
        "#include <stddef.h>\n#include <stdio.h>\n#include <string.h>\n#include <dlfcn.h>\n",
    );
    s.push_str("int main(void) {\nvoid *self = dlopen(0, RTLD_NOW);\n");
    for (i, p) in probes.iter().enumerate() {
        let _ = writeln!(s, "#line {}\n{}", 100_000 + i, p.code);
    }
    s.push_str("return 0;\n}\n");
    s
}

/// Compiles the probe and runs it; `Err(lines)` with the probe indices the compiler refused.
fn run(
    set: &HeaderSet,
    probes: &[Probe],
    libs: &[String],
) -> Result<Result<String, Vec<usize>>, DiscoveryError> {
    let dir = tempdir()?;
    let src = dir.join("probe.c");
    let exe = dir.join("probe");
    std::fs::write(&src, program(set, probes)).map_err(|e| DiscoveryError::Shim(e.to_string()))?;
    let (cc, mut args) = crate::shim::compiler()?;
    args.extend(set.arguments()?);
    let out = Command::new(&cc)
        .args(&args)
        .arg("-w")
        .arg("-o")
        .arg(&exe)
        .arg(&src)
        .args(libs)
        .args(["-lm", "-ldl"])
        .output()
        .map_err(|e| crate::shim::no_compiler(&cc, &e))?;
    if !out.status.success() {
        let stderr = String::from_utf8_lossy(&out.stderr);
        // Every probe line the compiler mentions (an error there, or a macro expanded there).
        let mut bad: Vec<usize> = stderr
            .lines()
            .flat_map(|l| {
                l.match_indices("probe.c:")
                    .map(move |(i, m)| &l[i + m.len()..])
            })
            .filter_map(|rest| {
                let line: usize = rest.split(':').next()?.parse().ok()?;
                line.checked_sub(100_000)
            })
            .collect();
        bad.sort_unstable();
        bad.dedup();
        let _ = std::fs::remove_dir_all(&dir);
        if bad.is_empty() {
            return Err(DiscoveryError::Shim(format!(
                "the probe did not compile:\n{}",
                stderr.lines().take(20).collect::<Vec<_>>().join("\n")
            )));
        }
        return Ok(Err(bad));
    }
    let run = Command::new(&exe)
        .output()
        .map_err(|e| DiscoveryError::Shim(format!("could not run the probe: {e}")));
    let _ = std::fs::remove_dir_all(&dir);
    let run = run?;
    Ok(Ok(String::from_utf8_lossy(&run.stdout).into_owned()))
}

fn tempdir() -> Result<std::path::PathBuf, DiscoveryError> {
    let d = std::env::temp_dir().join(format!(
        "ffi-auto-check-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos())
    ));
    std::fs::create_dir(&d).map_err(|e| DiscoveryError::Shim(format!("{}: {e}", d.display())))?;
    Ok(d)
}

/// Compares what discovery found in `set` with what the C compiler says.
///
/// # Errors
/// A discovery error, no C compiler, or a probe that does not compile for another reason
/// than a record's spelling.
pub fn check(set: &HeaderSet) -> Result<Report, DiscoveryError> {
    let decls = Discovery::new().declarations(set)?;
    let mut libs = Vec::new();
    for p in &set.pkg_config {
        for l in crate::headers::pkg_config(p)?.libs {
            libs.push(format!("-l{l}"));
        }
    }
    check_declarations(set, &decls, &libs)
}

/// [`check`] of declarations already found, linking the probe with `libs` (`-lz`).
///
/// # Errors
/// As [`check`].
pub fn check_declarations(
    set: &HeaderSet,
    decls: &Declarations,
    libs: &[String],
) -> Result<Report, DiscoveryError> {
    let mut refused = Refused::default();
    for _ in 0..6 {
        let mut skipped = Vec::new();
        let probes: Vec<Probe> = probes(decls, &refused.typedef, &mut skipped)
            .into_iter()
            .filter(|p| !refused.dropped.contains(&p.key))
            .filter(|p| {
                p.record
                    .as_ref()
                    .is_none_or(|r| !refused.unnamed.contains(r))
            })
            .collect();
        match run(set, &probes, libs)? {
            Ok(out) => {
                let mut report = compare(&probes, &out);
                skipped.dedup();
                report.skipped.extend(skipped);
                report.skipped.extend(refused.explained());
                return Ok(report);
            }
            Err(bad) => refused.learn(&probes, &bad),
        }
    }
    Err(DiscoveryError::Shim(
        "the probe did not compile after six rounds of dropping what the compiler refused"
            .to_owned(),
    ))
}

/// What the compiler refused in the probe so far: records C names by typedef rather than
/// tag, records it names neither way, and other probes it does not take as written.
#[derive(Default)]
struct Refused {
    typedef: HashMap<String, bool>,
    dropped: Vec<String>,
    unnamed: Vec<String>,
}

impl Refused {
    /// Learns from the probes the compiler refused (`bad`, indices into `probes`): a record
    /// C does not name as a tag is tried by its typedef, then given up; its other probes
    /// failed with it and are tried again with the new spelling. Others are dropped.
    fn learn(&mut self, probes: &[Probe], bad: &[usize]) {
        let mut renamed: Vec<String> = bad
            .iter()
            .filter_map(|&i| probes.get(i))
            .filter(|p| p.key.starts_with("sizeof(") || p.key.starts_with("_Alignof("))
            .filter_map(|p| p.record.clone())
            .collect();
        renamed.sort();
        renamed.dedup();
        for k in &renamed {
            if self.typedef.get(k).copied().unwrap_or(false) {
                if !self.unnamed.contains(k) {
                    self.unnamed.push(k.clone());
                }
            } else {
                self.typedef.insert(k.clone(), true);
            }
        }
        for p in bad.iter().filter_map(|&i| probes.get(i)) {
            if p.record.as_ref().is_none_or(|r| !renamed.contains(r)) {
                self.dropped.push(p.key.clone());
            }
        }
    }

    /// Why what was left out was left out.
    fn explained(&self) -> impl Iterator<Item = String> + '_ {
        let dropped = self
            .dropped
            .iter()
            .map(|k| format!("{k}: C does not take it as written"));
        let unnamed = self
            .unnamed
            .iter()
            .map(|k| format!("{k}: C names it neither as a tag nor as a typedef"));
        dropped.chain(unnamed)
    }
}

/// Each probe's value against what the probe program printed (`out`).
fn compare(probes: &[Probe], out: &str) -> Report {
    let mut report = Report::default();
    let said: HashMap<&str, &str> = out.lines().filter_map(|l| l.rsplit_once(' ')).collect();
    // Records the compiler gives a size that is not a multiple of their alignment (a
    // typedef raising a struct's alignment keeps its size): no layout ffi-auto can hold,
    // so compared on their fields only.
    let odd: Vec<&str> = probes
        .iter()
        .filter(|p| p.key.starts_with("sizeof("))
        .filter_map(|p| {
            let ty = &p.key["sizeof(".len()..p.key.len() - 1];
            let size: u64 = said.get(p.key.as_str())?.parse().ok()?;
            let align: u64 = said.get(format!("_Alignof({ty})").as_str())?.parse().ok()?;
            (align != 0 && !size.is_multiple_of(align)).then_some(ty)
        })
        .collect();
    for p in probes {
        let Some(theirs) = said.get(p.key.as_str()) else {
            report
                .skipped
                .push(format!("{}: the probe printed nothing", p.key));
            continue;
        };
        if odd
            .iter()
            .any(|ty| p.key == format!("sizeof({ty})") || p.key == format!("_Alignof({ty})"))
        {
            report.skipped.push(format!(
                "{}: the compiler's size is not a multiple of its alignment (a typedef's `aligned` attribute); ffi-auto keeps the struct's own layout",
                p.key
            ));
            continue;
        }
        report.checked += 1;
        let same = if p.float {
            match (p.ours.parse::<f64>(), theirs.parse::<f64>()) {
                (Ok(a), Ok(b)) => a == b || (a.is_nan() && b.is_nan()),
                _ => false,
            }
        } else {
            p.ours == *theirs
        };
        if !same {
            report.differences.push(Difference {
                what: p.key.clone(),
                ours: p.ours.clone(),
                compiler: (*theirs).to_owned(),
            });
        }
    }
    report
}
