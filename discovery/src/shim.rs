//! C shims: what makes a `static inline` function or a function-like macro callable. A shim is
//! an exported C function with the signature given, whose body calls the name; the system C
//! compiler (found the way build scripts find it, through the `cc` crate) compiles it against
//! the header set, and so checks that the call type-checks.
//!
//! At run time the shims go to a shared library cached beside the signature database (keyed
//! by the source, the compiler and its arguments; the source is kept next to the library and
//! compared on every reuse), so a process pays the compiler once per function and machine.
//!
//! ```no_run
//! use ffi_auto_discovery::{HeaderSet, shim};
//! let sig = "uint32_t (uint32_t)".parse().unwrap();
//! let lib = shim::compile(&HeaderSet::system(), &[shim::Shim::new("__bswap_32", sig)], "").unwrap();
//! assert!(lib.exists());
//! assert_eq!(shim::symbol("__bswap_32"), "ffi_auto_shim___bswap_32");
//! ```

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use ffi_auto_sig::{CType, Signature};

use crate::{DiscoveryError, HeaderSet};

/// One function to shim: the name to call and the signature its shim has.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Shim {
    /// The function or function-like macro.
    pub name: String,
    /// The shim's signature (for a macro, what the caller asked for; the compiler checks it).
    pub signature: Signature,
    /// The tags the signature refers to (`CType::Opaque`) that name unions: spelled
    /// `union tag`, every other tag `struct tag`.
    pub unions: Vec<String>,
}

impl Shim {
    /// A shim calling `name` with `signature`, every tag in it a struct's.
    pub fn new(name: impl Into<String>, signature: Signature) -> Shim {
        Shim {
            name: name.into(),
            signature,
            unions: Vec::new(),
        }
    }

    /// `self`, the tags of its signature for which `is_union` holds spelled `union tag`
    /// (the model keeps a tag's name; the header set's records and opaque types its keyword).
    ///
    /// ```
    /// use ffi_auto_discovery::{HeaderSet, shim::{self, Shim}, sig::{CType, Signature}};
    /// let sig = Signature::new(CType::INT).param(CType::mut_ptr(CType::Opaque("u".into())));
    /// let s = Shim::new("f", sig).with_unions(|tag| tag == "u");
    /// assert_eq!(s.unions, ["u"]);
    /// assert!(shim::source(&HeaderSet::new(), &[s]).unwrap().contains("union u *"));
    /// ```
    pub fn with_unions(mut self, is_union: impl Fn(&str) -> bool) -> Shim {
        self.unions = crate::records_named(&self.signature)
            .into_iter()
            .filter(|t| is_union(t))
            .collect();
        self
    }
}

/// The exported name of `name`'s shim, at run time.
pub fn symbol(name: &str) -> String {
    symbol_in("", name)
}

/// The exported name of `name`'s shim in the shims of `scope` (a build script's crate, so
/// that two crates' static libraries of shims never define one symbol twice).
pub fn symbol_in(scope: &str, name: &str) -> String {
    if scope.is_empty() {
        format!("ffi_auto_shim_{name}")
    } else {
        format!("ffi_auto_shim_{}_{name}", c_ident(scope))
    }
}

/// `s` with every character a C identifier cannot hold replaced by `_` (a crate name's `-`).
pub fn c_ident(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect()
}

/// A type as a C type name usable before a declarator: `__typeof__(T)` works for every type,
/// function pointers and arrays included. A struct the model refers to by its tag
/// (`CType::Opaque`) is spelled `struct tag`, as the header declares it (a typedef name is a
/// `CType::Named`, spelled as it is), or `union tag` for the tags in `unions`.
fn type_name(t: &CType, unions: &[String]) -> String {
    let tag = |n: &str| {
        let keyword = if unions.iter().any(|u| u == n) {
            "union"
        } else {
            "struct"
        };
        format!("{keyword} {n}")
    };
    format!("__typeof__({})", t.declare_with("", &tag))
}

/// The C source of the shims of `shims` against `set`'s headers.
///
/// # Errors
/// [`DiscoveryError::Shim`] for a variadic function (a shim cannot forward `...`) or a name
/// that is not a C identifier.
pub fn source(set: &HeaderSet, shims: &[Shim]) -> Result<String, DiscoveryError> {
    source_in(set, shims, "")
}

/// [`source`], the shims named for `scope` ([`symbol_in`]).
///
/// # Errors
/// As [`source`].
pub fn source_in(set: &HeaderSet, shims: &[Shim], scope: &str) -> Result<String, DiscoveryError> {
    let mut s = set.source();
    s.push_str("\n/* shims: each calls the function or macro it is named after */\n");
    for shim in shims {
        let name = &shim.name;
        let ident = !name.is_empty()
            && !name.starts_with(|c: char| c.is_ascii_digit())
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !ident {
            return Err(DiscoveryError::Shim(format!(
                "`{name}` is not a C identifier"
            )));
        }
        let sig = &shim.signature;
        if sig.variadic {
            return Err(DiscoveryError::Shim(format!(
                "`{name}` is variadic: a shim cannot forward `...`"
            )));
        }
        let params: Vec<String> = sig
            .params
            .iter()
            .enumerate()
            .map(|(i, p)| format!("{} a{i}", type_name(&p.ty, &shim.unions)))
            .collect();
        let args: Vec<String> = (0..sig.params.len()).map(|i| format!("a{i}")).collect();
        let params = if params.is_empty() {
            "void".to_owned()
        } else {
            params.join(", ")
        };
        let call = format!("{name}({})", args.join(", "));
        let body = if sig.ret.is_void() {
            format!("{call};")
        } else {
            format!("return {call};")
        };
        let _ = writeln!(
            s,
            "__attribute__((visibility(\"default\"))) {} {}({params}) {{ {body} }}",
            if sig.ret.is_void() {
                "void".to_owned()
            } else {
                type_name(&sig.ret, &shim.unions)
            },
            symbol_in(scope, name)
        );
    }
    Ok(s)
}

/// The C compiler, found as build scripts find it (`CC`, then `cc`), with its arguments.
pub(crate) fn compiler() -> Result<(PathBuf, Vec<String>), DiscoveryError> {
    let target = format!(
        "{}-{}",
        std::env::consts::ARCH,
        match (std::env::consts::OS, cfg!(target_env = "musl")) {
            ("linux", false) => "unknown-linux-gnu",
            ("linux", true) => "unknown-linux-musl",
            ("macos", _) => "apple-darwin",
            (os, _) => os,
        }
    );
    let tool = cc::Build::new()
        .target(&target)
        .host(&target)
        .opt_level(2)
        .debug(false)
        .cargo_metadata(false)
        .cargo_warnings(false)
        .try_get_compiler()
        .map_err(|e| {
            DiscoveryError::Shim(format!(
                "no C compiler found ({e}); install one (Debian/Ubuntu: `sudo apt-get install gcc`) or set CC"
            ))
        })?;
    let args = tool
        .args()
        .iter()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    Ok((tool.path().to_path_buf(), args))
}

/// Compiles the shims of `shims` into a shared library in the cache directory (or finds the
/// one compiled before from the same source, compiler and arguments) and returns its path.
///
/// # Errors
/// [`DiscoveryError::Shim`]: no C compiler, no private cache directory, or the compiler's
/// own message when the source does not compile (a macro that does not take the types
/// given, say).
pub fn compile(set: &HeaderSet, shims: &[Shim], stamp: &str) -> Result<PathBuf, DiscoveryError> {
    let dir = crate::db::default_dir()
        .ok_or_else(|| {
            DiscoveryError::Shim(
                "no private cache directory to keep the shim library in (see the warning above)"
                    .to_owned(),
            )
        })?
        .join("shims");
    compile_in(&dir, set, shims, stamp)
}

/// [`compile`] into `dir` (created private if missing). `stamp` identifies the headers'
/// contents (the database's dependency checksums): a header that changes compiles anew.
///
/// # Errors
/// As [`compile`].
pub fn compile_in(
    dir: &Path,
    set: &HeaderSet,
    shims: &[Shim],
    stamp: &str,
) -> Result<PathBuf, DiscoveryError> {
    let src = source(set, shims)?;
    let (cc, cc_args) = compiler()?;
    let mut args = cc_args;
    args.extend(set.arguments()?);
    args.extend(["-shared", "-fPIC"].map(str::to_owned));
    args.extend(strict_flags(&cc));
    // What the shims call is linked in, and nothing is left undefined.
    for p in &set.pkg_config {
        for l in crate::headers::pkg_config(p)?.libs {
            args.push(format!("-l{l}"));
        }
    }
    args.extend(["-lm", "-Wl,--no-undefined"].map(str::to_owned));
    let key = cache_key(&cc, &args, stamp, &src);
    let hash = crc32fast::hash(key.as_bytes());
    let len = key.len();
    let stem = format!("shim-{hash:08x}-{len:x}");
    let lib = dir.join(format!("{stem}.so"));
    let keyfile = dir.join(format!("{stem}.key"));
    // Reused only when the kept key is exactly this one (a hash collision compiles anew).
    if lib.is_file() && std::fs::read_to_string(&keyfile).is_ok_and(|k| k == key) {
        return Ok(lib);
    }
    std::fs::create_dir_all(dir).map_err(|e| io(dir, &e))?;
    {
        use std::os::unix::fs::PermissionsExt;
        let _ = std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700));
    }
    let tmp = dir.join(format!("{stem}.{}.tmp", std::process::id()));
    let c_file = tmp.with_extension("c");
    std::fs::write(&c_file, &src).map_err(|e| io(&c_file, &e))?;
    let _span =
        tracing::debug_span!(target: "ffi_auto::shim", "compile_shim", functions = shims.len())
            .entered();
    let out = Command::new(&cc)
        .args(&args)
        .arg("-o")
        .arg(&tmp)
        .arg(&c_file)
        .output()
        .map_err(|e| no_compiler(&cc, &e));
    let _ = std::fs::remove_file(&c_file);
    let out = out?;
    if !out.status.success() {
        let _ = std::fs::remove_file(&tmp);
        let names: Vec<&str> = shims.iter().map(|s| s.name.as_str()).collect();
        return Err(DiscoveryError::Shim(format!(
            "the C compiler refused the shim of {}:\n{}",
            names.join(", "),
            String::from_utf8_lossy(&out.stderr).trim_end()
        )));
    }
    std::fs::write(&keyfile, &key).map_err(|e| io(&keyfile, &e))?;
    std::fs::rename(&tmp, &lib).map_err(|e| io(&lib, &e))?;
    Ok(lib)
}

/// Which of `shims` the C compiler refuses, found without building anything
/// (`-fsyntax-only`): `Ok` when it takes them all; else the names it names in its errors,
/// and its message.
///
/// # Errors
/// As [`compile`]; `Err(Ok((names, message)))` when it refuses some shims (names empty when
/// its message names none).
#[allow(clippy::type_complexity)]
pub fn check(
    set: &HeaderSet,
    shims: &[Shim],
) -> Result<(), Result<(Vec<String>, String), DiscoveryError>> {
    let src = source(set, shims).map_err(Err)?;
    let (cc, mut args) = compiler().map_err(Err)?;
    args.extend(set.arguments().map_err(Err)?);
    args.extend(
        [
            "-fsyntax-only",
            "-Werror=implicit-function-declaration",
            "-Werror=int-conversion",
            "-Werror=incompatible-pointer-types",
            "-Werror=return-type",
        ]
        .map(str::to_owned),
    );
    let mut child = Command::new(&cc)
        .args(&args)
        .arg("-")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .map_err(|e| Err(no_compiler(&cc, &e)))?;
    if let Some(mut stdin) = child.stdin.take() {
        use std::io::Write as _;
        let _ = stdin.write_all(src.as_bytes());
    }
    let out = child
        .wait_with_output()
        .map_err(|e| Err(DiscoveryError::Shim(format!("the C compiler: {e}"))))?;
    if out.status.success() {
        return Ok(());
    }
    let message = String::from_utf8_lossy(&out.stderr).into_owned();
    let mut names: Vec<String> = Vec::new();
    for (i, _) in message.match_indices("ffi_auto_shim_") {
        let rest = &message[i + "ffi_auto_shim_".len()..];
        let name: String = rest
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        if shims.iter().any(|s| s.name == name) && !names.contains(&name) {
            names.push(name);
        }
    }
    Err(Ok((names, message)))
}

/// The warnings that are errors in a shim: a call that does not type-check exactly (an
/// implicit declaration, a pointer for an integer, a pointer of another type, a `const`
/// pointer where the macro writes through it, a missing return).
fn strict_flags(cc: &Path) -> Vec<String> {
    let mut f: Vec<String> = [
        "-Werror=implicit-function-declaration",
        "-Werror=int-conversion",
        "-Werror=incompatible-pointer-types",
        "-Werror=return-type",
    ]
    .map(str::to_owned)
    .to_vec();
    let clang = cc
        .file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| n.contains("clang"));
    f.push(if clang {
        "-Werror=incompatible-pointer-types-discards-qualifiers".to_owned()
    } else {
        "-Werror=discarded-qualifiers".to_owned()
    });
    f
}

/// The cache key of a shim library: the compiler (path, size, modification time), its
/// arguments, the working directory (relative include paths), the headers' `stamp` and the
/// source.
fn cache_key(cc: &Path, args: &[String], stamp: &str, src: &str) -> String {
    let compiler_stamp = std::fs::metadata(cc)
        .ok()
        .or_else(|| which(cc).and_then(|p| std::fs::metadata(p).ok()))
        .map(|m| (m.len(), m.modified().ok()));
    let cwd = std::env::current_dir().unwrap_or_default();
    format!(
        "{}\n{:?}\n{}\n{}\n{stamp}\n{src}",
        cc.display(),
        compiler_stamp,
        args.join("\u{1f}"),
        cwd.display()
    )
}

/// The error for a C compiler that could not be run.
pub(crate) fn no_compiler(cc: &Path, e: &std::io::Error) -> DiscoveryError {
    DiscoveryError::Shim(format!(
        "could not run the C compiler {}: {e}\nhint: install one (Debian/Ubuntu: `sudo apt-get install gcc`) or set CC to it",
        cc.display()
    ))
}

fn io(path: &Path, e: &std::io::Error) -> DiscoveryError {
    DiscoveryError::Shim(format!("{}: {e}", path.display()))
}

/// `name` looked up in `PATH`.
fn which(name: &Path) -> Option<PathBuf> {
    if name.components().count() > 1 {
        return None;
    }
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|d| d.join(name))
            .find(|p| p.is_file())
    })
}

/// A stamp of the headers `deps` lists (paths and contents' checksums), for [`compile`]'s key.
pub fn stamp(deps: &[crate::Dep]) -> String {
    let mut s = String::new();
    for d in deps {
        let _ = writeln!(s, "{} {} {:08x}", d.path.display(), d.size, d.crc);
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_shim_calls_its_name_with_every_parameter() {
        let sig: Signature = "int (int, const char *, double)".parse().unwrap();
        let s = source(&HeaderSet::new(), &[Shim::new("f", sig)]).unwrap();
        assert!(
            s.contains(
                "__typeof__(int) ffi_auto_shim_f(__typeof__(int) a0, __typeof__(const char *) a1, __typeof__(double) a2) { return f(a0, a1, a2); }"
            ),
            "{s}"
        );
        let v: Signature = "void (void)".parse().unwrap();
        let s = source(&HeaderSet::new(), &[Shim::new("g", v)]).unwrap();
        assert!(s.contains("void ffi_auto_shim_g(void) { g(); }"), "{s}");
        let var: Signature = "int (const char *, ...)".parse().unwrap();
        assert!(source(&HeaderSet::new(), &[Shim::new("h", var)]).is_err());
        let int: Signature = "int (int)".parse().unwrap();
        assert!(source(&HeaderSet::new(), &[Shim::new("a b", int)]).is_err());
    }
}
