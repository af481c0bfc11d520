//! Call tracking (the original's performance tracking and `with-ffi-debugging`): per function,
//! how many dynamic calls ran, their total and mean time, and which path served them; a
//! report that names the hot ones and writes the `defcfuns!` block that makes them
//! compile-time calls.
//!
//! Off by default. Off, it costs the call path nothing beyond the one relaxed load of the
//! switch word every call makes anyway (`crate::tiers`); on, every dynamic call takes the
//! general path, is timed, and is counted under a lock (README: "Policy and tracking").
//! Compile-time wrappers are the program's own code and are not tracked.
//!
//! `FFI_AUTO_TRACE=1` (read at first use) logs every dynamic call, with its arguments and
//! result, through `tracing` (target `ffi_auto::call`, level `DEBUG`).
//!
//! ```
//! use ffi_auto_runtime::{ffi_call, track};
//! let ((), report) = track::scope(|| {
//!     for _ in 0..3 {
//!         let _: usize = ffi_call("strlen", "abc").unwrap();
//!     }
//! });
//! assert_eq!(report.calls("strlen"), 3);
//! println!("{report}");
//! ```

use std::collections::HashMap;
use std::fmt::{self, Write as _};
use std::sync::{LazyLock, Mutex, PoisonError};
use std::time::Duration;

use crate::function::Function;
use crate::policy::Provenance;
use crate::tiers;

/// How a dynamic call reached the function.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Via {
    /// A prepared handle ([`Function`]).
    Handle,
    /// A by-name call (`ffi_call` and its relatives).
    Name,
    /// A compile-time wrapper (`#[ffi_auto]`, `defcfuns!`), counted with the `ffi-auto`
    /// crate's feature `track-wrappers` only.
    Wrapper,
}

/// Which tier made the call (ARCHITECTURE: "Call tiers").
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Tier {
    /// A plain `extern "C"` call: the Rust types were the signature's.
    Direct,
    /// The register thunk (`call_values` with exact values).
    Registers,
    /// libffi.
    Libffi,
}

impl fmt::Display for Via {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Via::Handle => "handle",
            Via::Name => "by name",
            Via::Wrapper => "wrapper",
        })
    }
}

impl fmt::Display for Tier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Tier::Direct => "direct",
            Tier::Registers => "registers",
            Tier::Libffi => "libffi",
        })
    }
}

/// Counts per handle, path and tier.
#[derive(Clone)]
struct Counts {
    func: Function,
    calls: u64,
    nanos: u128,
}

type Key = (usize, Via, Tier);

static COUNTS: LazyLock<Mutex<HashMap<Key, Counts>>> = LazyLock::new(Mutex::default);
/// `start` calls and open scopes: tracking is on while this is above zero. The count and
/// the switch change together, under this lock.
static USERS: Mutex<usize> = Mutex::new(0);

/// Turns tracking on (until as many [`stop`]s).
pub fn start() {
    let mut n = USERS.lock().unwrap_or_else(PoisonError::into_inner);
    *n += 1;
    if *n == 1 {
        tiers::set(tiers::TRACK, true);
    }
}

/// Undoes one [`start`].
pub fn stop() {
    let mut n = USERS.lock().unwrap_or_else(PoisonError::into_inner);
    if *n == 1 {
        tiers::set(tiers::TRACK, false);
    }
    *n = n.saturating_sub(1);
}

/// Whether calls are being tracked.
pub fn is_on() -> bool {
    tiers::word() & tiers::TRACK != 0
}

/// Runs `f` with tracking on and returns what ran inside it, on every thread, as a report.
pub fn scope<T>(f: impl FnOnce() -> T) -> (T, Report) {
    let before = snapshot();
    start();
    // Stops tracking on the way out, also when `f` panics.
    struct Stop;
    impl Drop for Stop {
        fn drop(&mut self) {
            stop();
        }
    }
    let guard = Stop;
    let t = f();
    drop(guard);
    let (after, after_wrappers) = snapshot();
    let (before, before_wrappers) = before;
    let rows = after
        .into_iter()
        .filter_map(|(k, mut c)| {
            if let Some(b) = before.get(&k) {
                c.calls -= b.calls;
                c.nanos -= b.nanos;
            }
            (c.calls > 0).then_some((k, c))
        })
        .collect();
    let wrappers = after_wrappers
        .into_iter()
        .filter_map(|(k, (mut n, mut ns))| {
            if let Some((bn, bns)) = before_wrappers.get(k) {
                n -= bn;
                ns -= bns;
            }
            (n > 0).then_some((k, (n, ns)))
        })
        .collect();
    (t, Report::from_counts(rows, wrappers))
}

/// Everything tracked since the process started tracking.
pub fn report() -> Report {
    let (counts, wrappers) = snapshot();
    Report::from_counts(counts, wrappers)
}

/// What was counted: by handle, path and tier; and compile-time wrappers by name.
type Snapshot = (HashMap<Key, Counts>, HashMap<&'static str, (u64, u128)>);

fn snapshot() -> Snapshot {
    (
        COUNTS
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone(),
        WRAPPERS
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone(),
    )
}

/// Calls of compile-time wrappers, by C name: calls and nanoseconds.
static WRAPPERS: LazyLock<Mutex<HashMap<&'static str, (u64, u128)>>> =
    LazyLock::new(Mutex::default);

/// Runs a compile-time wrapper's call `f` (feature `track-wrappers`), counting it when
/// tracking is on: one relaxed load when it is off.
#[doc(hidden)]
#[inline(always)]
pub fn track_wrapper<R>(name: &'static str, f: impl FnOnce() -> R) -> R {
    if tiers::word() & tiers::TRACK == 0 {
        return f();
    }
    let start = std::time::Instant::now();
    let r = f();
    let elapsed = start.elapsed().as_nanos();
    let mut w = WRAPPERS.lock().unwrap_or_else(PoisonError::into_inner);
    let e = w.entry(name).or_insert((0, 0));
    e.0 += 1;
    e.1 += elapsed;
    r
}

/// Records one call (tracking on).
pub(crate) fn record(func: &Function, via: Via, tier: Tier, elapsed: Duration) {
    let mut c = COUNTS.lock().unwrap_or_else(PoisonError::into_inner);
    let e = c
        .entry((func.identity(), via, tier))
        .or_insert_with(|| Counts {
            func: func.clone(),
            calls: 0,
            nanos: 0,
        });
    e.calls += 1;
    e.nanos += elapsed.as_nanos();
}

/// Logs one call (`FFI_AUTO_TRACE=1`).
pub(crate) fn trace(func: &Function, via: Via, tier: Tier, args: &str, result: &str) {
    tracing::debug!(
        target: "ffi_auto::call",
        function = func.name(),
        via = %via,
        tier = %tier,
        args,
        result,
        "{}({args}) = {result}",
        func.name()
    );
}

/// One function's calls through one path.
#[derive(Clone, Debug)]
pub struct Row {
    /// The function.
    pub function: String,
    /// Its C declaration.
    pub declaration: String,
    /// The library file that defines it, when known.
    pub library: Option<String>,
    /// Where its signature came from.
    pub origin: String,
    /// How the calls reached it.
    pub via: Via,
    /// Which tier made them.
    pub tier: Tier,
    /// How many.
    pub calls: u64,
    /// Their total time, the C function's included.
    pub total: Duration,
    /// The kind of source its signature came from.
    pub provenance: Provenance,
    /// The handle, in a report of this process (`None` in one read from a file).
    func: Option<Function>,
}

impl Row {
    /// One line of a saved report (`Report::save`), checked field by field.
    fn parse(line: &str) -> Result<Row, &'static str> {
        let f: Vec<&str> = line.split('\t').collect();
        let [
            function,
            library,
            via,
            tier,
            calls,
            nanos,
            provenance,
            origin,
            declaration,
        ] = f[..]
        else {
            return Err("expected 9 tab-separated fields");
        };
        let ident = !function.is_empty()
            && !function.starts_with(|c: char| c.is_ascii_digit())
            && function
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !ident {
            return Err("the function is not a C identifier");
        }
        let printable = |s: &str| !s.chars().any(char::is_control);
        if !printable(library) || !printable(origin) || !printable(declaration) {
            return Err("a field holds control characters");
        }
        let via = match via {
            "handle" => Via::Handle,
            "by name" => Via::Name,
            "wrapper" => Via::Wrapper,
            _ => return Err("unknown path"),
        };
        let tier = match tier {
            "direct" => Tier::Direct,
            "registers" => Tier::Registers,
            "libffi" => Tier::Libffi,
            _ => return Err("unknown tier"),
        };
        let provenance = match provenance {
            "Header" => Provenance::Header,
            "Compiled" => Provenance::Compiled,
            "Explicit" => Provenance::Explicit,
            "Custom" => Provenance::Custom,
            _ => return Err("unknown signature source"),
        };
        Ok(Row {
            function: function.to_owned(),
            declaration: declaration.to_owned(),
            library: (library != "-").then(|| library.to_owned()),
            origin: origin.to_owned(),
            via,
            tier,
            calls: calls
                .parse()
                .map_err(|_| "the call count is not a number")?,
            total: Duration::from_nanos(
                nanos
                    .parse()
                    .map_err(|_| "the total time is not a number")?,
            ),
            provenance,
            func: None,
        })
    }

    /// What the policy in force says about calling this function now.
    pub fn verdict(&self) -> crate::policy::Verdict {
        let libs =
            crate::policy::library_names(None, self.library.as_deref().map(std::path::Path::new));
        crate::policy::check_call(&self.function, Some(&libs), Some(self.provenance))
    }

    /// The mean time per call.
    pub fn mean(&self) -> Duration {
        let n = u32::try_from(self.calls.max(1)).unwrap_or(u32::MAX);
        self.total / n
    }
}

/// What ran: rows sorted by calls, most first.
#[derive(Clone, Debug, Default)]
pub struct Report {
    /// The rows.
    pub rows: Vec<Row>,
}

/// Calls from which a function is hot: worth a compile-time wrapper.
pub const HOT_CALLS: u64 = 1000;

impl Report {
    fn from_counts(
        counts: HashMap<Key, Counts>,
        wrappers: HashMap<&'static str, (u64, u128)>,
    ) -> Report {
        // Rows of one function, path and tier from different handles are one row.
        let mut merged: HashMap<(String, Via, Tier), Row> = HashMap::new();
        for ((_, via, tier), c) in counts {
            let name = c.func.name().to_owned();
            let row = merged
                .entry((name.clone(), via, tier))
                .or_insert_with(|| Row {
                    function: name,
                    declaration: c.func.declaration(),
                    library: c.func.defined_in(),
                    origin: c.func.origin().to_owned(),
                    via,
                    tier,
                    calls: 0,
                    total: Duration::ZERO,
                    provenance: c.func.provenance(),
                    func: Some(c.func.clone()),
                });
            row.calls += c.calls;
            row.total += Duration::from_nanos(u64::try_from(c.nanos).unwrap_or(u64::MAX));
        }
        let mut rows: Vec<Row> = merged.into_values().collect();
        for (name, (calls, nanos)) in wrappers {
            rows.push(Row {
                function: name.to_owned(),
                declaration: String::new(),
                library: None,
                origin: "a compile-time wrapper".to_owned(),
                via: Via::Wrapper,
                tier: Tier::Direct,
                calls,
                total: Duration::from_nanos(u64::try_from(nanos).unwrap_or(u64::MAX)),
                provenance: Provenance::Compiled,
                func: None,
            });
        }
        rows.sort_by(|a, b| {
            b.calls
                .cmp(&a.calls)
                .then_with(|| a.function.cmp(&b.function))
                .then_with(|| a.via.cmp(&b.via))
        });
        Report { rows }
    }

    /// The width of the widest function name (at least 8), for tables of the rows.
    pub fn name_width(&self) -> usize {
        self.rows
            .iter()
            .map(|r| r.function.len())
            .max()
            .unwrap_or(8)
            .max(8)
    }

    /// Calls of `function`, through every path.
    pub fn calls(&self, function: &str) -> u64 {
        self.rows
            .iter()
            .filter(|r| r.function == function)
            .fold(0u64, |n, r| n.saturating_add(r.calls))
    }

    /// The hot functions (at least [`HOT_CALLS`] calls in all), most called first.
    pub fn hot(&self) -> Vec<&str> {
        let mut names: Vec<&str> = Vec::new();
        for r in &self.rows {
            if !names.contains(&r.function.as_str()) && self.calls(&r.function) >= HOT_CALLS {
                names.push(&r.function);
            }
        }
        names
    }

    /// A `defcfuns!` block declaring `functions` (the hot ones, from [`Report::hot`], or any
    /// others that ran) as compile-time wrappers, ready to paste; `None` when none of them
    /// came from a header (only those can be checked at compile time).
    pub fn advice_for(&self, functions: &[&str]) -> Option<String> {
        advice(
            functions
                .iter()
                .filter_map(|f| self.rows.iter().find(|r| r.function == *f))
                .filter_map(|r| r.func.as_ref()),
        )
    }

    /// [`Report::advice_for`] the hot functions.
    pub fn advice(&self) -> Option<String> {
        self.advice_for(&self.hot())
    }
}

/// The first line of a saved report.
const REPORT_HEADER: &str = "ffi-auto tracking report 1";
/// The most a report file may hold.
const REPORT_MAX: u64 = 16 << 20;

/// A report file that could not be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReportError {
    /// The file could not be read.
    #[error("cannot read the report {0}: {1}")]
    Io(String, std::io::Error),
    /// It is not a report, or a line of it is malformed.
    #[error(
        "{0} is not an ffi-auto tracking report: line {1}: {2}\nhint: write one with `track::report().save(path)` or by running the program with FFI_AUTO_TRACK=path"
    )]
    Format(String, usize, String),
}

impl Report {
    /// Writes the report (tab-separated, one row per line) for `ffi-auto audit`.
    ///
    /// # Errors
    /// When the file cannot be written.
    pub fn save(&self, path: impl AsRef<std::path::Path>) -> std::io::Result<()> {
        let mut out = format!("{REPORT_HEADER}\n");
        for r in &self.rows {
            let _ = writeln!(
                out,
                "{}\t{}\t{}\t{}\t{}\t{}\t{:?}\t{}\t{}",
                r.function.replace(['\t', '\n'], " "),
                r.library
                    .as_deref()
                    .unwrap_or("-")
                    .replace(['\t', '\n'], " "),
                r.via,
                r.tier,
                r.calls,
                r.total.as_nanos(),
                r.provenance,
                r.origin.replace(['\t', '\n'], " "),
                r.declaration.replace(['\t', '\n'], " "),
            );
        }
        std::fs::write(path, out)
    }

    /// Reads a report [`Report::save`] wrote. The file is data, checked line by line: a
    /// function name must be a C identifier, counts numbers; anything else is an error.
    ///
    /// # Errors
    /// [`ReportError`].
    pub fn load(path: impl AsRef<std::path::Path>) -> Result<Report, ReportError> {
        use std::io::Read;
        let path = path.as_ref();
        let shown = path.display().to_string();
        let io = |e| ReportError::Io(shown.clone(), e);
        let mut text = String::new();
        std::fs::File::open(path)
            .map_err(io)?
            .take(REPORT_MAX + 1)
            .read_to_string(&mut text)
            .map_err(io)?;
        if text.len() as u64 > REPORT_MAX {
            return Err(ReportError::Format(
                shown.clone(),
                0,
                format!("larger than {} MiB", REPORT_MAX >> 20),
            ));
        }
        let bad = |line: usize, why: &str| ReportError::Format(shown.clone(), line, why.to_owned());
        let mut lines = text.lines();
        if lines.next() != Some(REPORT_HEADER) {
            return Err(bad(1, "the first line is not the report header"));
        }
        let rows = lines
            .enumerate()
            .map(|(i, line)| Row::parse(line).map_err(|why| bad(i + 2, why)))
            .collect::<Result<Vec<Row>, ReportError>>()?;
        Ok(Report { rows })
    }
}

/// Writes the report to `FFI_AUTO_TRACK`'s path when the process exits (registered at first
/// use when the variable is set).
pub(crate) extern "C" fn save_at_exit() {
    // Nothing may unwind out of an `atexit` handler.
    let _ = std::panic::catch_unwind(|| {
        if let Some(path) = std::env::var_os("FFI_AUTO_TRACK")
            && let Err(e) = report().save(&path)
        {
            eprintln!(
                "ffi-auto: could not write the tracking report {}: {e}",
                std::path::Path::new(&path).display()
            );
        }
    });
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.rows.is_empty() {
            return writeln!(f, "no dynamic calls tracked");
        }
        let w = self.name_width();
        writeln!(
            f,
            "{:<w$}  {:<8}  {:<9}  {:>10}  {:>12}  {:>10}",
            "function", "via", "tier", "calls", "total", "mean"
        )?;
        for r in &self.rows {
            writeln!(
                f,
                "{:<w$}  {:<8}  {:<9}  {:>10}  {:>12}  {:>10}",
                r.function,
                r.via.to_string(),
                r.tier.to_string(),
                r.calls,
                format!("{:.1?}", r.total),
                format!("{:.1?}", r.mean())
            )?;
        }
        let hot = self.hot();
        if !hot.is_empty() {
            writeln!(
                f,
                "\nhot (at least {HOT_CALLS} calls): {}; as compile-time calls (paste into the program):\n",
                hot.join(", ")
            )?;
            if let Some(a) = self.advice() {
                f.write_str(&a)?;
            }
        }
        Ok(())
    }
}

/// The block for `funcs`: entries grouped by library, each name-only (the macro reads the
/// declaration from the header and checks it again), `unsafe fn` where the wrapper must be.
fn advice<'a>(funcs: impl Iterator<Item = &'a Function>) -> Option<String> {
    let mut groups: Vec<(Option<String>, Vec<String>)> = Vec::new();
    let mut skipped = Vec::new();
    for func in funcs {
        if !func.has_header_signature() {
            skipped.push(format!(
                "    // {}: its signature comes from {}; name its header to declare it here\n",
                func.name(),
                func.origin()
            ));
            continue;
        }
        let exe = std::env::current_exe().ok();
        let lib = func
            .defined_in()
            .filter(|f| exe.as_deref() != Some(std::path::Path::new(f)))
            .as_deref()
            .map(crate::policy::short_library_name)
            .filter(|l| *l != "c")
            .map(str::to_owned);
        let entry = format!(
            "    pub {}fn {};{}\n",
            if func.safe_wrapper() { "" } else { "unsafe " },
            func.name(),
            format_args!("  // {}", func.declaration())
        );
        match groups.iter_mut().find(|(l, _)| *l == lib) {
            Some((_, e)) => e.push(entry),
            None => groups.push((lib, vec![entry])),
        }
    }
    if groups.is_empty() {
        return None;
    }
    // The headers the run-time calls read beyond the default set, for the macros to read too.
    let headers = header_options();
    let mut out = String::new();
    for (i, (lib, entries)) in groups.iter().enumerate() {
        out.push_str("ffi_auto::defcfuns! {\n");
        let mut options: Vec<String> = lib.iter().map(|l| format!("lib = {l:?}")).collect();
        options.extend(headers.iter().cloned());
        if !options.is_empty() {
            let _ = writeln!(out, "    #![ffi_auto({})]", options.join(", "));
        }
        for e in entries {
            out.push_str(e);
        }
        if i == 0 {
            for s in &skipped {
                out.push_str(s);
            }
        }
        out.push_str("}\n");
    }
    Some(out)
}

/// The run-time header set's additions to the default set, as `defcfuns!` options.
fn header_options() -> Vec<String> {
    #[cfg(feature = "discovery")]
    {
        let set = crate::discovery::header_set();
        let mut o: Vec<String> = set
            .headers
            .iter()
            .map(|h| format!("header = {h:?}"))
            .collect();
        o.extend(
            set.include_dirs
                .iter()
                .map(|d| format!("include = {:?}", d.display().to_string())),
        );
        o.extend(set.pkg_config.iter().map(|p| format!("pkg_config = {p:?}")));
        o
    }
    #[cfg(not(feature = "discovery"))]
    Vec::new()
}
