//! Diagnostics (the original's `ffi-system-status`, `diagnose-ffi-call`,
//! `benchmark-ffi-approach` and `ffi-help`): what the engine has to work with, what a call
//! would do without making it, and what each call path costs. `ffi-auto status`, `diagnose`
//! and `bench` print these.
//!
//! ```
//! use ffi_auto_runtime::{diagnostics, Value};
//! let d = diagnostics::diagnose("strlen", &[Value::Str("hello")]);
//! assert!(d.would_call(), "{d}");
//! assert!(d.to_string().contains("size_t strlen(const char *"), "{d}");
//! let d = diagnostics::diagnose("abs", &[Value::I64(1 << 40)]);
//! assert!(!d.would_call());
//! assert!(d.to_string().contains("out of range"), "{d}");
//! ```

use std::fmt;
use std::time::Instant;

use crate::value::Value;
use crate::{Target, policy};

/// What the engine has to work with.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct Status {
    /// ffi-auto's version.
    pub version: &'static str,
    /// libffi's version, and whether it is the bundled copy.
    pub libffi: String,
    /// The call paths on this machine, each with whether it is available and a note.
    pub tiers: Vec<(&'static str, bool, String)>,
    /// libclang: its version and file, or why it is missing (`None` without the `discovery`
    /// feature).
    pub libclang: Option<Result<String, String>>,
    /// The header set by-name calls read, described.
    pub headers: Option<String>,
    /// The signature database of that set: path, size and what it holds, or why there is none.
    pub database: Option<Result<String, String>>,
    /// The policy in force (`policy::describe`).
    pub policy: String,
    /// Whether calls are tracked (`track`).
    pub tracking: bool,
    /// Whether `FFI_AUTO_TRACE` logs calls.
    pub tracing: bool,
    /// Functions the macros compiled into this program.
    pub compiled_in: usize,
    /// Call interfaces prepared (one per ABI shape).
    pub cifs: usize,
}

/// What the engine has to work with: libffi, the call tiers, libclang, the header set and its
/// database, the policy, tracking.
///
/// ```
/// let s = ffi_auto_runtime::diagnostics::status();
/// assert!(s.libffi.starts_with('3'), "{}", s.libffi);
/// assert!(s.to_string().contains("policy"));
/// ```
pub fn status() -> Status {
    let word = crate::tiers::word();
    let direct = crate::direct::ENABLED;
    let regs = cfg!(any(target_arch = "x86_64", target_arch = "aarch64"));
    let forced = word & crate::tiers::LIBFFI_ONLY != 0;
    let tiers = vec![
        (
            "direct",
            direct && !forced,
            if direct {
                format!(
                    "typed calls of exactly the C types ({})",
                    std::env::consts::ARCH
                )
            } else {
                "not on this architecture".to_owned()
            },
        ),
        (
            "registers",
            regs && !forced,
            if regs {
                "`Value` calls whose arguments all travel in registers".to_owned()
            } else {
                "not on this architecture".to_owned()
            },
        ),
        (
            "libffi",
            true,
            if forced {
                "every call (config::force_libffi)".to_owned()
            } else {
                "everything else".to_owned()
            },
        ),
    ];
    #[cfg(feature = "discovery")]
    let (libclang, headers, database) = discovery_status();
    #[cfg(not(feature = "discovery"))]
    let (libclang, headers, database) = (None, None, None);
    let compiled = crate::compiled::compiled_source();
    Status {
        version: env!("CARGO_PKG_VERSION"),
        libffi: libffi_version(),
        tiers,
        libclang,
        headers,
        database,
        policy: policy::describe(),
        tracking: word & crate::tiers::TRACK != 0,
        tracing: word & crate::tiers::TRACE != 0,
        compiled_in: crate::resolve::SignatureSource::names(&*compiled).len(),
        cifs: crate::cif::cif_cache_len(),
    }
}

#[cfg(feature = "discovery")]
#[allow(clippy::type_complexity)]
fn discovery_status() -> (
    Option<Result<String, String>>,
    Option<String>,
    Option<Result<String, String>>,
) {
    use ffi_auto_discovery::Discovery;
    let libclang = Some(
        ffi_auto_discovery::libclang()
            .map(|l| format!("{} ({})", l.version, l.path.display()))
            .map_err(|e| e.to_string()),
    );
    let set = crate::discovery::header_set();
    let headers = Some(set.describe());
    let d = Discovery::new();
    let database = Some(match d.database_path(&set) {
        Ok(Some(path)) => match d.catalog_with_origin(&set) {
            Ok((catalog, _)) => {
                let bytes = std::fs::metadata(&path).map_or(0, |m| m.len());
                Ok(format!(
                    "{} ({} KiB): {} functions, {} structs and unions, {} constants, {} headers read",
                    path.display(),
                    bytes / 1024,
                    catalog.names().len(),
                    catalog.record_names().len(),
                    catalog.constant_names().len(),
                    catalog.deps().len()
                ))
            }
            Err(e) => Err(format!("{} (not readable: {e})", path.display())),
        },
        Ok(None) => Err("none: the cache directory is not private to this user".to_owned()),
        Err(e) => Err(e.to_string()),
    });
    (libclang, headers, database)
}

/// libffi's version as it reports it (`ffi_get_version`, libffi 3.5 and later).
fn libffi_version() -> String {
    #[cfg(not(feature = "system-libffi"))]
    {
        unsafe extern "C" {
            fn ffi_get_version() -> *const std::ffi::c_char;
        }
        // SAFETY: the bundled libffi (3.5 or later) defines it; it returns a static
        // NUL-terminated string.
        let v = unsafe { std::ffi::CStr::from_ptr(ffi_get_version()) };
        format!("{} (bundled with the libffi crate)", v.to_string_lossy())
    }
    #[cfg(feature = "system-libffi")]
    {
        match crate::library::find_symbol("ffi_get_version", None) {
            Ok(s) => {
                // SAFETY: `const char *ffi_get_version(void)` in libffi 3.5 and later, which
                // returns a static NUL-terminated string.
                let f: unsafe extern "C" fn() -> *const std::ffi::c_char =
                    unsafe { std::mem::transmute(s.addr()) };
                // SAFETY: as above.
                let v = unsafe { std::ffi::CStr::from_ptr(f()) };
                format!("{} (the system's)", v.to_string_lossy())
            }
            Err(_) => "the system's, older than 3.5 (it does not report its version)".to_owned(),
        }
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let row = |f: &mut fmt::Formatter<'_>, k: &str, v: &str| {
            let mut lines = v.lines();
            writeln!(f, "{k:<12} {}", lines.next().unwrap_or(""))?;
            for l in lines {
                writeln!(f, "{:<12} {l}", "")?;
            }
            Ok(())
        };
        row(f, "ffi-auto", self.version)?;
        row(f, "libffi", &self.libffi)?;
        let tiers: Vec<String> = self
            .tiers
            .iter()
            .map(|(n, on, note)| format!("{n}: {} ({note})", if *on { "yes" } else { "no" }))
            .collect();
        row(f, "call tiers", &tiers.join("\n"))?;
        let either = |r: &Result<String, String>| match r {
            Ok(s) => s.clone(),
            Err(e) => format!("missing: {e}"),
        };
        if let Some(l) = &self.libclang {
            row(f, "libclang", &either(l))?;
        }
        if let Some(h) = &self.headers {
            row(f, "headers", h)?;
        }
        if let Some(d) = &self.database {
            row(f, "database", &either(d))?;
        }
        row(f, "policy", &self.policy)?;
        row(
            f,
            "tracking",
            &format!(
                "{}; tracing {} (FFI_AUTO_TRACE)",
                if self.tracking { "on" } else { "off" },
                if self.tracing { "on" } else { "off" }
            ),
        )?;
        row(
            f,
            "compiled in",
            &format!("{} functions (the macros)", self.compiled_in),
        )?;
        row(
            f,
            "CIFs",
            &format!("{} call interfaces prepared", self.cifs),
        )
    }
}

/// One step of a diagnosis.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Step {
    /// What was checked.
    pub what: String,
    /// Whether it passed.
    pub ok: bool,
    /// What was found.
    pub detail: String,
}

/// What a call would do, found without making it.
#[derive(Clone, Debug)]
pub struct Diagnosis {
    /// The function.
    pub function: String,
    /// The steps, in order; the first failure ends them.
    pub steps: Vec<Step>,
}

impl Diagnosis {
    /// Whether the call would be made (every step passed).
    pub fn would_call(&self) -> bool {
        self.steps.iter().all(|s| s.ok)
    }
}

impl fmt::Display for Diagnosis {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let w = self.steps.iter().map(|s| s.what.len()).max().unwrap_or(0);
        for s in &self.steps {
            let mark = if s.ok { "ok  " } else { "FAIL" };
            let mut lines = s.detail.lines();
            writeln!(f, "{mark} {:<w$}  {}", s.what, lines.next().unwrap_or(""))?;
            for l in lines {
                writeln!(f, "     {:<w$}  {l}", "")?;
            }
        }
        writeln!(
            f,
            "{}",
            if self.would_call() {
                format!("=> `{}` would be called", self.function)
            } else {
                format!("=> `{}` would not be called", self.function)
            }
        )
    }
}

/// Resolves `target` and checks `args` against it as a safe call would, without calling:
/// the policy, the signature and where it came from, the symbol and its library, the tiers
/// that would take the call, and each argument's conversion.
pub fn diagnose<'a>(target: impl Into<Target<'a>>, args: &[Value<'_>]) -> Diagnosis {
    let target = target.into();
    let mut d = Diagnosis {
        function: target.name.to_owned(),
        steps: Vec::new(),
    };
    let libs = target.library.map(|l| policy::library_names(Some(l), None));
    let v = policy::check_call(target.name, libs.as_deref(), None);
    let detail = if v.allowed {
        "permitted by the policy in force (`ffi-auto status` shows it)".to_owned()
    } else {
        format!("{}\nhint: {}", v.rule, v.hint)
    };
    if !d.step("policy (name)", v.allowed, detail) {
        return d;
    }
    match crate::dynamic::prepare(target) {
        Ok(func) => {
            d.resolved(&func);
            d.arguments(&func, args);
        }
        // Refused once the library or the signature's source was known.
        Err(e @ crate::Error::Refused { .. }) => {
            d.step("policy", false, e.to_string());
        }
        Err(e) => {
            d.step("resolution", false, e.to_string());
        }
    }
    d
}

impl Diagnosis {
    /// Adds a step; returns whether it passed.
    fn step(&mut self, what: &str, ok: bool, detail: String) -> bool {
        self.steps.push(Step {
            what: what.to_owned(),
            ok,
            detail,
        });
        ok
    }

    /// What resolution found: the signature and its source, the symbol, the policy's full
    /// verdict, the tiers that would take a call.
    fn resolved(&mut self, func: &crate::Function) {
        let signature = format!(
            "{}\nfrom {} ({:?})",
            func.declaration(),
            func.origin(),
            func.provenance()
        );
        self.step("signature", true, signature);
        let object = func
            .defined_in()
            .unwrap_or_else(|| "an unknown object".to_owned());
        self.step("symbol", true, format!("{:p} in {object}", func.addr()));
        let permitted = "permitted (name, library and signature source)".to_owned();
        self.step("policy", true, permitted);
        let (direct, regs) = func.tiers();
        let tiers: Vec<&str> = [
            direct.then_some("direct (a typed call of exactly the C types)"),
            regs.then_some("registers (`Value`s of exactly the C types)"),
            Some("libffi (anything else)"),
        ]
        .into_iter()
        .flatten()
        .collect();
        self.step("tiers", true, tiers.join("; "));
    }

    /// Each argument's conversion, up to the first that fails; then the call as a whole.
    fn arguments(&mut self, func: &crate::Function, args: &[Value<'_>]) {
        let (each, whole) = func.check_values(args);
        let params = &func.signature().params;
        for (i, (r, v)) in each.iter().zip(args).enumerate() {
            let c = params
                .get(i)
                .map_or_else(|| "variadic".to_owned(), |p| p.ty.to_string());
            let what = format!("argument {} ({c})", i + 1);
            match r {
                Ok(()) => self.step(&what, true, format!("{v:?}: converts")),
                Err(e) => self.step(&what, false, e.to_string()),
            };
        }
        if each.len() < args.len() {
            let more = args.len() - each.len();
            let detail = format!("{more} more not checked past the first that fails");
            self.step("arguments", false, detail);
        }
        if let Some(e) = whole {
            self.step("call", false, e.to_string());
        }
    }
}

/// One path's cost in [`bench`].
#[derive(Clone, Debug)]
pub struct BenchRow {
    /// The path.
    pub path: &'static str,
    /// Median nanoseconds per call.
    pub ns: f64,
}

/// Calls `target` with `args` through each dynamic path, `iterations` times per round, and
/// returns the median time per call of each: a prepared handle with `Value`s (the register
/// tier where it applies), by name, and through libffi alone. The C function really runs
/// (`diagnose` first for one that must not). While libffi alone is measured, every dynamic
/// call in the process goes through libffi.
///
/// # Errors
/// As the call itself: an unknown name, a refused call, a bad argument.
pub fn bench<'a>(
    target: impl Into<Target<'a>>,
    args: &[Value<'_>],
    iterations: u32,
) -> crate::Result<Vec<BenchRow>> {
    let target = target.into();
    let func = crate::dynamic::prepare(target)?;
    func.call_values(args)?;
    let time = |f: &dyn Fn()| median_ns(iterations, f);
    let handle = time(&|| {
        let _ = std::hint::black_box(func.call_values(std::hint::black_box(args)));
    });
    let by_name = time(&|| {
        let _ = std::hint::black_box(crate::dynamic::ffi_call_values(
            target,
            std::hint::black_box(args),
        ));
    });
    let libffi = {
        // Restores the switch on the way out, also if the function panics (a Rust callee).
        struct Restore(bool);
        impl Drop for Restore {
            fn drop(&mut self) {
                crate::tiers::force_libffi(self.0);
            }
        }
        let _restore = Restore(crate::tiers::libffi_only());
        crate::tiers::force_libffi(true);
        time(&|| {
            let _ = std::hint::black_box(func.call_values(std::hint::black_box(args)));
        })
    };
    Ok(vec![
        BenchRow {
            path: if func.takes_registers() && func.call_values_exact(args) {
                "handle, Values (registers)"
            } else {
                "handle, Values (libffi)"
            },
            ns: handle,
        },
        BenchRow {
            path: "by name, Values",
            ns: by_name,
        },
        BenchRow {
            path: "handle, libffi only",
            ns: libffi,
        },
    ])
}

/// The median nanoseconds per call of `f` over 7 rounds of `iterations` calls (what
/// [`bench`] and `ffi-auto bench` report).
///
/// ```
/// let ns = ffi_auto_runtime::diagnostics::median_ns(100, &|| {
///     std::hint::black_box(21 * 2);
/// });
/// assert!(ns.is_finite() && ns >= 0.0);
/// ```
pub fn median_ns(iterations: u32, f: &dyn Fn()) -> f64 {
    let n = iterations.max(1);
    let mut rounds: Vec<f64> = (0..7)
        .map(|_| {
            let start = Instant::now();
            for _ in 0..n {
                f();
            }
            start.elapsed().as_secs_f64() * 1e9 / f64::from(n)
        })
        .collect();
    rounds.sort_by(f64::total_cmp);
    rounds[rounds.len() / 2]
}

/// The original's API and ffi-auto's, side by side (the README's mapping, short).
pub fn help() -> &'static str {
    HELP
}

const HELP: &str = "\
epsilon.foreign                      ffi-auto
(defshared strlen \"strlen\" ...)      #[ffi_auto] fn strlen(s: &CStr) -> usize;
(defcfuns \"libc\" ...)                 defcfuns! { #![ffi_auto(lib = \"m\")] fn cbrt; }
(ffi-call \"strlen\" \"hello\")          ffi_call::<usize>(\"strlen\", \"hello\")
(ffi-call '(\"sin\" \"libm\") 1.0)       ffi_call::<f64>((\"sin\", \"m\"), 1.0)
(ffi-call-cached \"getpid\")           prepare(\"getpid\")?.call::<i32>(())
shared-call-unified                  Function::new(symbol, \"name\", \"int (int)\".parse()?)
*use-libffi-calls*                   config::force_libffi(true)
enable-conservative-libffi           policy::set_preset(Preset::Conservative), FFI_AUTO_POLICY
disable-libffi                       policy::set_preset(Preset::Disabled)
function whitelist / blacklist       policy::allow / deny / only, FFI_AUTO_ALLOW / DENY / ONLY
with-ffi-debugging                   track::scope(|| ...) -> (T, Report); FFI_AUTO_TRACE=1
performance tracking, hot functions  track::start / report; Report::hot, Report::advice
ffi-system-status                    diagnostics::status(), `ffi-auto status`
diagnose-ffi-call                    diagnostics::diagnose(name, args), `ffi-auto diagnose`
benchmark-ffi-approach               diagnostics::bench(name, args, n), `ffi-auto bench`
audit-ffi-usage                      audit::add_hook, `ffi-auto audit REPORT`
ffi-help                             diagnostics::help()
";
