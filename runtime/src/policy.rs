//! Policy over dynamic calls and library loads: which functions a by-name call, a prepared
//! handle or the `ffi-auto call` command may call, and which libraries they may load.
//!
//! Compile-time wrappers (`#[ffi_auto]`, `defcfuns!`) are the program's own code and are not
//! subject to it.
//!
//! # Two layers, and why a policy is never loosened behind the user's back
//!
//! A call must pass two layers, each a [`Preset`] plus allow, deny and allow-only rules:
//!
//! - the **environment's**, read once at first use from `FFI_AUTO_POLICY`
//!   (`permissive`, `conservative` or `disabled`), `FFI_AUTO_ALLOW`, `FFI_AUTO_DENY` and
//!   `FFI_AUTO_ONLY` (comma-separated rules): the person running the program decides it, and
//!   nothing in the process changes it;
//! - the **program's**, set with [`set_preset`], [`allow`], [`deny`] and [`only`].
//!
//! Since both must agree, the program cannot loosen what the environment imposes (its
//! `allow("system")` does not lift the environment's `conservative` preset). The program may
//! tighten its own layer at any time ([`deny`], a stricter [`set_preset`]); it may loosen it
//! ([`allow`], [`only`], a looser preset) only until it calls [`lock`], after which those return
//! [`PolicyError::Locked`]. Every change applies to the next call, prepared handles and
//! handles cached by name included.
//!
//! # Rules
//!
//! - `name` (or a glob: `exec*`, `str?cmp`): the function in any library;
//! - `library:name` (`m:sin`, `crypto:EVP_*`): the function found in that library;
//! - `library:` (`crypto:`): loading the library itself. Loading and calling are decided
//!   separately: `crypto:*` denies every call into libcrypto but not loading it.
//!
//! A library matches by the name it was requested with (`m`), its file name (`libm.so.6`) or
//! that file's short name (`m`); a function found through the default search matches by the
//! library that defines it (`c:system` for libc's `system`).
//!
//! In each layer the first of these that applies decides: a deny rule refuses; an allow rule
//! permits; an allow-only list that does not name the function refuses; the preset decides
//! the rest: `permissive` permits, `disabled` refuses (only compile-time wrappers run),
//! `conservative` refuses the process-control and privilege functions of [`BUILT_IN_DENY`]
//! and signatures from sources other than headers, the macros and explicit registration.
//!
//! ```
//! use ffi_auto_runtime::{ffi_call, policy, Error};
//! policy::deny("system").unwrap();
//! let e = ffi_call::<i32>("system", "true").unwrap_err();
//! assert!(matches!(e, Error::Refused { .. }));
//! assert!(e.to_string().contains("deny rule `system`"), "{e}");
//! ```

use std::fmt::{self, Write as _};
use std::str::FromStr;
use std::sync::{LazyLock, PoisonError, RwLock};

use wildmatch::WildMatch;

/// A starting point for a layer of policy.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Preset {
    /// Everything (the default).
    #[default]
    Permissive,
    /// Only signatures from headers, the macros or explicit registration, and none of the
    /// process-control and privilege functions of [`BUILT_IN_DENY`] unless allowed by name.
    Conservative,
    /// No dynamic call and no library load at all: only compile-time wrappers run.
    Disabled,
}

impl Preset {
    /// Its name, as `FFI_AUTO_POLICY` spells it.
    pub fn name(self) -> &'static str {
        match self {
            Preset::Permissive => "permissive",
            Preset::Conservative => "conservative",
            Preset::Disabled => "disabled",
        }
    }
}

impl fmt::Display for Preset {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Preset {
    type Err = PolicyError;

    fn from_str(s: &str) -> Result<Preset, PolicyError> {
        match s.trim().to_ascii_lowercase().as_str() {
            "permissive" => Ok(Preset::Permissive),
            "conservative" => Ok(Preset::Conservative),
            "disabled" => Ok(Preset::Disabled),
            _ => Err(PolicyError::BadPreset(s.to_owned())),
        }
    }
}

/// Functions the `conservative` preset refuses unless allowed by name: they start programs,
/// replace or fork the process, load code, signal or trace other processes, or change the
/// process's privileges.
pub const BUILT_IN_DENY: &[&str] = &[
    // Programs and processes.
    "system",
    "popen",
    "exec*",
    "fexecve",
    "posix_spawn",
    "posix_spawnp",
    "fork",
    "vfork",
    "_Fork",
    "clone",
    "clone3",
    "daemon",
    // Code loading.
    "dlopen",
    "dlmopen",
    "dlsym",
    "dlvsym",
    // Other processes.
    "kill",
    "killpg",
    "tgkill",
    "tkill",
    "sigqueue",
    "ptrace",
    "process_vm_readv",
    "process_vm_writev",
    "syscall",
    // Privileges and the process's view of the system.
    "setuid",
    "setgid",
    "seteuid",
    "setegid",
    "setreuid",
    "setregid",
    "setresuid",
    "setresgid",
    "setfsuid",
    "setfsgid",
    "setgroups",
    "initgroups",
    "capset",
    "prctl",
    "chroot",
    "pivot_root",
    "unshare",
    "setns",
    "mount",
    "umount",
    "umount2",
    "reboot",
];

/// A policy setting that could not be made.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PolicyError {
    /// `policy::lock` was called: the program's layer may only be tightened.
    #[error(
        "the policy is locked: `{0}` would loosen it\nhint: set allow rules and looser presets before `policy::lock()`, or in the environment (FFI_AUTO_ALLOW, FFI_AUTO_POLICY)"
    )]
    Locked(String),
    /// Not a preset name.
    #[error("unknown policy preset `{0}`\nhint: use permissive, conservative or disabled")]
    BadPreset(String),
    /// A rule that does not parse.
    #[error("bad policy rule `{0}`: {1}")]
    BadRule(String, &'static str),
}

/// Where a signature came from, for the `conservative` preset.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Provenance {
    /// A C header (read through the signature database or libclang).
    Header,
    /// A function the macros compiled in.
    Compiled,
    /// The registry of explicit signatures, or an explicit signature given to `Function`.
    Explicit,
    /// A signature source the program added (`config::add_signature_source`).
    Custom,
}

/// One rule as written, parsed.
#[derive(Clone, Debug)]
struct Rule {
    text: String,
    library: Option<WildMatch>,
    /// `None`: the library itself (a rule `library:`).
    function: Option<WildMatch>,
}

impl Rule {
    fn parse(text: &str) -> Result<Rule, PolicyError> {
        let text = text.trim();
        let bad = |why| Err(PolicyError::BadRule(text.to_owned(), why));
        if text.is_empty() {
            return bad("it is empty");
        }
        if text.contains(char::is_whitespace) || text.contains('\0') {
            return bad("a rule holds no spaces or NUL bytes");
        }
        let (library, function) = match text.split_once(':') {
            Some(("", _)) => return bad("the library before `:` is empty"),
            Some((lib, "")) => (Some(WildMatch::new(lib)), None),
            Some((lib, f)) => (Some(WildMatch::new(lib)), Some(WildMatch::new(f))),
            None => (None, Some(WildMatch::new(text))),
        };
        Ok(Rule {
            text: text.to_owned(),
            library,
            function,
        })
    }

    fn parse_list(list: &str) -> Result<Vec<Rule>, PolicyError> {
        list.split(',')
            .filter(|r| !r.trim().is_empty())
            .map(Rule::parse)
            .collect()
    }

    /// Whether it applies to calling `name` in a library known by `libs` (`None`: not known
    /// yet, so a library-scoped rule cannot apply).
    fn matches_call(&self, name: &str, libs: Option<&[String]>) -> Match {
        let Some(f) = &self.function else {
            return Match::No;
        };
        if !f.matches(name) {
            return Match::No;
        }
        match (&self.library, libs) {
            (None, _) => Match::Yes,
            (Some(l), Some(libs)) => {
                if libs.iter().any(|n| l.matches(n)) {
                    Match::Yes
                } else {
                    Match::No
                }
            }
            (Some(_), None) => Match::Maybe,
        }
    }

    fn matches_load(&self, libs: &[String]) -> bool {
        self.function.is_none()
            && self
                .library
                .as_ref()
                .is_some_and(|l| libs.iter().any(|n| l.matches(n)))
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Match {
    Yes,
    No,
    /// A library-scoped rule whose function matches, before the library is known.
    Maybe,
}

/// One layer: a preset and its rules.
#[derive(Clone, Debug, Default)]
struct Layer {
    preset: Preset,
    allow: Vec<Rule>,
    deny: Vec<Rule>,
    only: Option<Vec<Rule>>,
    /// Settings that did not parse (the layer is then `disabled`, the strictest reading).
    problems: Vec<String>,
}

/// Who set a layer, for messages.
#[derive(Clone, Copy)]
enum Who {
    Env,
    Program,
}

impl Who {
    fn rule_source(self, list: &str) -> String {
        match self {
            Who::Env => format!("FFI_AUTO_{}", list.to_ascii_uppercase()),
            Who::Program => format!("policy::{list}"),
        }
    }

    fn preset_source(self) -> &'static str {
        match self {
            Who::Env => "FFI_AUTO_POLICY",
            Who::Program => "policy::set_preset",
        }
    }
}

/// A layer's answer.
enum Decision {
    Permit,
    Refuse {
        rule: String,
        hint: String,
    },
    /// Cannot decide before the library is known.
    Defer,
}

impl Layer {
    fn from_env() -> Layer {
        let mut layer = Layer::default();
        let mut problems = Vec::new();
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
        if let Some(p) = var("FFI_AUTO_POLICY") {
            match p.parse() {
                Ok(p) => layer.preset = p,
                // A preset nobody can read is the strictest, not the loosest.
                Err(e) => {
                    layer.preset = Preset::Disabled;
                    problems.push(format!("FFI_AUTO_POLICY: {e}"));
                }
            }
        }
        for (name, list) in [
            ("FFI_AUTO_ALLOW", &mut layer.allow),
            ("FFI_AUTO_DENY", &mut layer.deny),
        ] {
            if let Some(v) = var(name) {
                match Rule::parse_list(&v) {
                    Ok(r) => *list = r,
                    Err(e) => {
                        layer.preset = Preset::Disabled;
                        problems.push(format!("{name}: {e}"));
                    }
                }
            }
        }
        if let Some(v) = var("FFI_AUTO_ONLY") {
            match Rule::parse_list(&v) {
                Ok(r) => layer.only = Some(r),
                Err(e) => {
                    layer.preset = Preset::Disabled;
                    problems.push(format!("FFI_AUTO_ONLY: {e}"));
                }
            }
        }
        layer.problems = problems;
        layer
    }

    fn decide_call(
        &self,
        who: Who,
        name: &str,
        libs: Option<&[String]>,
        provenance: Option<Provenance>,
    ) -> Decision {
        if let Some(d) = self.unreadable() {
            return d;
        }
        let mut deferred = false;
        for r in &self.deny {
            match r.matches_call(name, libs) {
                Match::Yes => {
                    return Decision::Refuse {
                        rule: format!("deny rule `{}` ({})", r.text, who.rule_source("deny")),
                        hint: "the rule names this function; remove it to call it".to_owned(),
                    };
                }
                Match::Maybe => deferred = true,
                Match::No => {}
            }
        }
        for r in &self.allow {
            match r.matches_call(name, libs) {
                Match::Yes if !deferred => return Decision::Permit,
                Match::Yes | Match::Maybe => deferred = true,
                Match::No => {}
            }
        }
        if deferred {
            return Decision::Defer;
        }
        if let Some(only) = &self.only {
            let mut maybe = false;
            for r in only {
                match r.matches_call(name, libs) {
                    // Listed is not allowed by name: the preset's built-in list still applies.
                    Match::Yes => return self.decide_preset(who, name, provenance),
                    Match::Maybe => maybe = true,
                    Match::No => {}
                }
            }
            if maybe {
                return Decision::Defer;
            }
            return Decision::Refuse {
                rule: format!("not in the allow-only list ({})", who.rule_source("only")),
                hint: format!("add `{name}` to the list to call it"),
            };
        }
        self.decide_preset(who, name, provenance)
    }

    fn decide_preset(&self, who: Who, name: &str, provenance: Option<Provenance>) -> Decision {
        match self.preset {
            Preset::Permissive => Decision::Permit,
            Preset::Disabled => Decision::Refuse {
                rule: format!("preset `disabled` ({}): the dynamic engine is off", who.preset_source()),
                hint: "only compile-time wrappers (`#[ffi_auto]`, `defcfuns!`) run; declare the function there, or choose another preset".to_owned(),
            },
            Preset::Conservative => {
                if let Some(p) = BUILT_IN_DENY.iter().find(|p| WildMatch::new(p).matches(name)) {
                    return Decision::Refuse {
                        rule: format!(
                            "preset `conservative` ({}): `{name}` is a process-control or privilege function (built-in rule `{p}`)",
                            who.preset_source()
                        ),
                        hint: format!(
                            "allow it by name: FFI_AUTO_ALLOW={name}, or policy::allow(\"{name}\") in the program"
                        ),
                    };
                }
                if provenance == Some(Provenance::Custom) {
                    return Decision::Refuse {
                        rule: format!(
                            "preset `conservative` ({}): its signature comes from a source the program added, not a header, the macros or explicit registration",
                            who.preset_source()
                        ),
                        hint: format!("register the signature explicitly (config::registry) or allow `{name}` by name"),
                    };
                }
                Decision::Permit
            }
        }
    }

    /// A layer with a setting that does not parse refuses everything: the strictest reading,
    /// whatever its other settings say.
    fn unreadable(&self) -> Option<Decision> {
        (!self.problems.is_empty()).then(|| Decision::Refuse {
            rule: format!(
                "the environment's policy, `disabled` because a setting does not parse ({})",
                self.problems.join("; ")
            ),
            hint: "fix the variable, or unset it".to_owned(),
        })
    }

    fn decide_load(&self, who: Who, libs: &[String]) -> Decision {
        if let Some(d) = self.unreadable() {
            return d;
        }
        if let Some(r) = self.deny.iter().find(|r| r.matches_load(libs)) {
            return Decision::Refuse {
                rule: format!("deny rule `{}` ({})", r.text, who.rule_source("deny")),
                hint: "the rule names this library; remove it to load it".to_owned(),
            };
        }
        if self.allow.iter().any(|r| r.matches_load(libs)) {
            return Decision::Permit;
        }
        if self.preset == Preset::Disabled {
            return Decision::Refuse {
                rule: format!(
                    "preset `disabled` ({}): the dynamic engine is off",
                    who.preset_source()
                ),
                hint: "only compile-time wrappers run; choose another preset to load libraries"
                    .to_owned(),
            };
        }
        Decision::Permit
    }

    /// The rules, for `status`.
    fn describe(&self) -> String {
        let list = |rules: &[Rule]| {
            if rules.is_empty() {
                "-".to_owned()
            } else {
                rules
                    .iter()
                    .map(|r| r.text.as_str())
                    .collect::<Vec<_>>()
                    .join(",")
            }
        };
        let mut s = format!(
            "preset {}; allow {}; deny {}",
            self.preset,
            list(&self.allow),
            list(&self.deny)
        );
        if let Some(only) = &self.only {
            let _ = write!(s, "; only {}", list(only));
        }
        s
    }
}

struct State {
    env: Layer,
    /// Settings in the environment that did not parse (the environment's layer is then
    /// `disabled`, the strictest reading).
    env_problems: Vec<String>,
    program: Layer,
    locked: bool,
}

static STATE: LazyLock<RwLock<State>> = LazyLock::new(|| {
    let env = Layer::from_env();
    let env_problems = env.problems.clone();
    // Read at first use too: whether every dynamic call is logged.
    if std::env::var("FFI_AUTO_TRACE").is_ok_and(|v| matches!(v.trim(), "1" | "true" | "yes")) {
        crate::tiers::set(crate::tiers::TRACE, true);
    }
    // FFI_AUTO_TRACK=path: track from the start, and write the report at exit.
    if std::env::var_os("FFI_AUTO_TRACK").is_some_and(|p| !p.is_empty()) {
        crate::track::start();
        // SAFETY: registering a handler that takes no arguments and catches every panic.
        unsafe { libc::atexit(crate::track::save_at_exit) };
    }
    for p in &env_problems {
        tracing::warn!(target: "ffi_auto::policy", "{p}; the environment's policy layer is `disabled`");
    }
    RwLock::new(State {
        env,
        env_problems,
        program: Layer::default(),
        locked: false,
    })
});

fn read() -> std::sync::RwLockReadGuard<'static, State> {
    STATE.read().unwrap_or_else(PoisonError::into_inner)
}

fn change(f: impl FnOnce(&mut State) -> Result<(), PolicyError>) -> Result<(), PolicyError> {
    let mut s = STATE.write().unwrap_or_else(PoisonError::into_inner);
    f(&mut s)?;
    drop(s);
    crate::generation::invalidate();
    crate::tiers::policy_changed();
    tracing::info!(target: "ffi_auto::policy", policy = %describe(), "policy changed");
    Ok(())
}

/// Sets the program's preset. Tightening is always allowed; loosening only before [`lock`].
///
/// # Errors
/// [`PolicyError::Locked`] for a looser preset after [`lock`].
pub fn set_preset(preset: Preset) -> Result<(), PolicyError> {
    change(|s| {
        if s.locked && preset < s.program.preset {
            return Err(PolicyError::Locked(format!("set_preset({preset})")));
        }
        s.program.preset = preset;
        Ok(())
    })
}

/// Adds allow rules (comma-separated) to the program's layer: they permit what its preset or
/// allow-only list would refuse (never what a deny rule or the environment refuses).
///
/// # Errors
/// [`PolicyError::BadRule`]; [`PolicyError::Locked`] after [`lock`].
pub fn allow(rules: &str) -> Result<(), PolicyError> {
    let parsed = Rule::parse_list(rules)?;
    change(|s| {
        if s.locked {
            return Err(PolicyError::Locked(format!("allow({rules:?})")));
        }
        s.program.allow.extend(parsed);
        Ok(())
    })
}

/// Adds deny rules (comma-separated) to the program's layer. Always allowed.
///
/// # Errors
/// [`PolicyError::BadRule`].
pub fn deny(rules: &str) -> Result<(), PolicyError> {
    let parsed = Rule::parse_list(rules)?;
    change(|s| {
        s.program.deny.extend(parsed);
        Ok(())
    })
}

/// Makes the program's layer an allow-only list: only functions the rules name may be
/// called (still subject to deny rules and the preset's built-in list: a glob in the list does
/// not allow `system` by name; an [`allow`] rule does). Replaces an earlier list.
///
/// # Errors
/// [`PolicyError::BadRule`]; [`PolicyError::Locked`] after [`lock`].
pub fn only(rules: &str) -> Result<(), PolicyError> {
    let parsed = Rule::parse_list(rules)?;
    change(|s| {
        if s.locked {
            return Err(PolicyError::Locked(format!("only({rules:?})")));
        }
        s.program.only = Some(parsed);
        Ok(())
    })
}

/// From now on the program's layer can only be tightened.
pub fn lock() {
    let _ = change(|s| {
        s.locked = true;
        Ok(())
    });
}

/// The preset in force: the stricter of the environment's and the program's.
pub fn preset() -> Preset {
    let s = read();
    s.env.preset.max(s.program.preset)
}

/// The policy in force, in one line per layer (what `ffi-auto status` prints).
pub fn describe() -> String {
    let s = read();
    let mut out = format!(
        "environment: {}\nprogram: {}{}",
        s.env.describe(),
        s.program.describe(),
        if s.locked { " (locked)" } else { "" }
    );
    for p in &s.env_problems {
        let _ = write!(out, "\nunreadable setting, so `disabled`: {p}");
    }
    out
}

/// What the policy says about one call or load.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verdict {
    /// Whether it may go ahead.
    pub allowed: bool,
    /// The rule that refused it, or why it is permitted.
    pub rule: String,
    /// What to do when refused.
    pub hint: String,
}

fn verdict(decisions: [(Who, Decision); 2], deferred_ok: bool) -> Verdict {
    for (_, d) in decisions {
        match d {
            Decision::Refuse { rule, hint } => {
                return Verdict {
                    allowed: false,
                    rule,
                    hint,
                };
            }
            Decision::Defer if !deferred_ok => {
                return Verdict {
                    allowed: false,
                    rule: "a library-scoped rule applies, and the library is not known yet"
                        .to_owned(),
                    hint: String::new(),
                };
            }
            _ => {}
        }
    }
    Verdict {
        allowed: true,
        rule: "permitted".to_owned(),
        hint: String::new(),
    }
}

/// The verdict on calling `name`, found in a library known by `libs` (`None` before the
/// library is known: a library-scoped rule then leaves the call permitted, to be decided
/// once it is), with a signature of `provenance` (`None` before it is known).
pub fn check_call(name: &str, libs: Option<&[String]>, provenance: Option<Provenance>) -> Verdict {
    let s = read();
    verdict(
        [
            (
                Who::Env,
                s.env.decide_call(Who::Env, name, libs, provenance),
            ),
            (
                Who::Program,
                s.program.decide_call(Who::Program, name, libs, provenance),
            ),
        ],
        libs.is_none(),
    )
}

/// The verdict on loading a library known by `libs`.
pub fn check_load(libs: &[String]) -> Verdict {
    let s = read();
    verdict(
        [
            (Who::Env, s.env.decide_load(Who::Env, libs)),
            (Who::Program, s.program.decide_load(Who::Program, libs)),
        ],
        true,
    )
}

/// The names a library matches rules by: as requested, its file name, and that file's short
/// name (`libm.so.6` -> `m`).
pub(crate) fn library_names(
    requested: Option<&str>,
    file: Option<&std::path::Path>,
) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    let mut add = |s: &str| {
        if !s.is_empty() && !names.iter().any(|n| n == s) {
            names.push(s.to_owned());
        }
    };
    if let Some(r) = requested {
        add(r);
        if let Some(base) = std::path::Path::new(r).file_name().and_then(|b| b.to_str()) {
            add(base);
            add(short_name(base));
        }
    }
    if let Some(base) = file.and_then(|f| f.file_name()).and_then(|b| b.to_str()) {
        add(base);
        add(short_name(base));
    }
    names
}

/// The short name of a library file (`/lib/x86_64-linux-gnu/libm.so.6` -> `m`).
pub(crate) fn short_library_name(path: &str) -> &str {
    short_name(path.rsplit('/').next().unwrap_or(path))
}

/// `libm.so.6` -> `m`; `libcrypto.so.3` -> `crypto`; anything else unchanged.
fn short_name(file: &str) -> &str {
    let stem = file.split(".so").next().unwrap_or(file);
    stem.strip_prefix("lib").unwrap_or(stem)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn layer(preset: Preset, allow: &str, deny: &str) -> Layer {
        Layer {
            preset,
            allow: Rule::parse_list(allow).unwrap(),
            deny: Rule::parse_list(deny).unwrap(),
            only: None,
            problems: Vec::new(),
        }
    }

    fn permits(l: &Layer, name: &str, libs: Option<&[&str]>) -> bool {
        let libs: Option<Vec<String>> = libs.map(|l| l.iter().map(|s| (*s).to_owned()).collect());
        match l.decide_call(
            Who::Program,
            name,
            libs.as_deref(),
            Some(Provenance::Header),
        ) {
            Decision::Permit => true,
            Decision::Refuse { .. } => false,
            Decision::Defer => panic!("deferred"),
        }
    }

    #[test]
    fn rules_match_names_globs_and_libraries() {
        let l = layer(Preset::Permissive, "", "system,exec*,crypto:EVP_*");
        assert!(!permits(&l, "system", Some(&["c"])));
        assert!(!permits(&l, "execve", Some(&["c"])));
        assert!(permits(&l, "strlen", Some(&["c"])));
        assert!(!permits(
            &l,
            "EVP_sha256",
            Some(&["crypto", "libcrypto.so.3"])
        ));
        assert!(permits(&l, "EVP_sha256", Some(&["other"])));
        // Before the library is known, a library-scoped rule defers the decision.
        assert!(matches!(
            l.decide_call(Who::Program, "EVP_sha256", None, None),
            Decision::Defer
        ));
    }

    #[test]
    fn conservative_refuses_its_list_and_custom_sources_unless_allowed() {
        let l = layer(Preset::Conservative, "popen", "");
        assert!(!permits(&l, "system", None));
        assert!(!permits(&l, "execvp", None));
        assert!(permits(&l, "popen", None));
        assert!(permits(&l, "strlen", None));
        assert!(matches!(
            l.decide_call(Who::Program, "strlen", None, Some(Provenance::Custom)),
            Decision::Refuse { .. }
        ));
        let d = layer(Preset::Disabled, "", "");
        assert!(!permits(&d, "strlen", None));
    }

    #[test]
    fn an_allow_only_glob_does_not_allow_the_built_in_list_by_name() {
        let mut l = layer(Preset::Conservative, "", "");
        l.only = Some(Rule::parse_list("s*,strlen").unwrap());
        assert!(!permits(&l, "system", None));
        assert!(permits(&l, "strlen", None));
        assert!(!permits(&l, "abs", None));
    }

    #[test]
    fn a_layer_with_an_unreadable_setting_refuses_everything() {
        let mut l = layer(Preset::Permissive, "str*", "");
        l.problems = vec!["FFI_AUTO_DENY: bad policy rule `a b`".to_owned()];
        assert!(!permits(&l, "strcpy", None));
        assert!(matches!(
            l.decide_load(Who::Env, &["m".to_owned()]),
            Decision::Refuse { .. }
        ));
    }

    #[test]
    fn loading_and_calling_are_separate() {
        let l = layer(Preset::Permissive, "", "crypto:*,z:");
        let names = library_names(Some("crypto"), None);
        assert!(matches!(
            l.decide_load(Who::Program, &names),
            Decision::Permit
        ));
        let z = library_names(Some("z"), Some(std::path::Path::new("/usr/lib/libz.so.1")));
        assert_eq!(z, ["z", "libz.so.1"]);
        assert!(matches!(
            l.decide_load(Who::Program, &z),
            Decision::Refuse { .. }
        ));
    }

    #[test]
    fn rules_that_do_not_parse_say_why() {
        assert!(Rule::parse("").is_err());
        assert!(Rule::parse(":x").is_err());
        assert!(Rule::parse("a b").is_err());
        assert_eq!(short_name("libm.so.6"), "m");
        assert_eq!(short_name("libcrypto.so.3"), "crypto");
        assert!("bogus".parse::<Preset>().is_err());
        assert_eq!(
            "Conservative".parse::<Preset>().unwrap(),
            Preset::Conservative
        );
    }
}
