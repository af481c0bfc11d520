//! Shared libraries and the symbols in them.
//!
//! A [`Library`] is a reference-counted handle: every [`Symbol`] and every prepared function keeps
//! its library loaded for as long as it lives, so a function pointer never dangles.

use std::collections::HashMap;
use std::ffi::{CStr, CString, c_void};
use std::fmt;
use std::path::{Path, PathBuf};
use std::ptr::NonNull;
use std::sync::{Arc, LazyLock, Mutex, OnceLock, RwLock, Weak};

use libloading::os::unix as dl;

use crate::error::{Attempt, Error, Result};

#[cfg(not(unix))]
compile_error!("ffi-auto-runtime loads libraries with dlopen and supports Unix-like systems only");

/// A loaded shared library, or the running program.
///
/// Cloning is cheap and shares the same loaded library; it is unloaded when the last clone and
/// the last [`Symbol`] or [`Function`](crate::Function) from it are gone.
///
/// ```
/// use ffi_auto_runtime::Library;
/// let libm = Library::open("m").unwrap();
/// let sin = libm.symbol("sin").unwrap();
/// assert!(!sin.addr().is_null());
/// assert!(Library::open("no-such-library-xyz").is_err());
/// ```
#[derive(Clone)]
pub struct Library {
    inner: Arc<LibInner>,
}

struct LibInner {
    handle: dl::Library,
    /// The name the user asked for (`"m"`), or `"the running program"`.
    requested: String,
    /// The file the loader chose, when it can be found.
    file: Option<PathBuf>,
    program: bool,
}

impl fmt::Debug for Library {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Library")
            .field("name", &self.inner.requested)
            .field("file", &self.inner.file)
            .finish()
    }
}

/// Libraries opened by name, so that opening `"m"` twice shares one handle.
static OPEN: LazyLock<Mutex<HashMap<String, Weak<LibInner>>>> = LazyLock::new(Mutex::default);

/// Libraries searched for a symbol when no library is named, after the running program.
static SEARCH: LazyLock<RwLock<Vec<String>>> =
    LazyLock::new(|| RwLock::new(vec!["c".to_owned(), "m".to_owned()]));

impl Library {
    /// Opens a library by name or path.
    ///
    /// `"c"`, `"libc"`, `"m"`, `"libm"` and other bare names are resolved the way the C
    /// toolchain would: the platform's name for the C library and libm, then `lib<name>.so`, then
    /// the loader's cache (`ldconfig -p`). A name with a `/` or a `.so` suffix is handed to the
    /// loader unchanged.
    ///
    /// # Why this is a safe `fn`
    /// Opening a library runs its initializers. libloading makes `Library::new` `unsafe` for
    /// that reason; ffi-auto decides otherwise, for the reason Rust does not make linking
    /// `unsafe`: an initializer that breaks memory safety breaks it just as much when the
    /// program links the library, and a program that links `libz` trusts `libz`'s
    /// constructors. What ffi-auto adds is where it looks, and that stays within what the
    /// dynamic linker would load for a program: bare names go through the loader's own
    /// search (`LD_LIBRARY_PATH`, its cache, the system directories; never the current
    /// directory), and a path is the caller's choice, as a path given to
    /// `std::process::Command` is. Libraries are opened `RTLD_LOCAL`, so loading one never
    /// changes which symbol another name resolves to. The soundness of what is then called
    /// rests on the signature, which is where ffi-auto asks for `unsafe` (or a header).
    ///
    /// # Errors
    /// [`Error::LibraryNotFound`] with every candidate tried and the loader's message for each.
    pub fn open(name: &str) -> Result<Library> {
        #[cfg(feature = "dynamic")]
        {
            // Decided before anything is loaded (a library's initializers run at load), by the
            // name it is requested by and the files the loader would be asked for.
            let mut names = crate::policy::library_names(Some(name), None);
            for c in candidates(name) {
                for n in crate::policy::library_names(None, Some(Path::new(&c))) {
                    if !names.contains(&n) {
                        names.push(n);
                    }
                }
            }
            let v = crate::policy::check_load(&names);
            if !v.allowed {
                let _ = crate::audit::emit(&crate::audit::Event::Refused {
                    what: name,
                    rule: &v.rule,
                });
                return Err(Error::Refused {
                    what: format!("loading library {name}"),
                    rule: v.rule,
                    hint: v.hint,
                });
            }
        }
        #[cfg(feature = "dynamic")]
        if !Library::is_open(name) {
            // A first load: the audit hooks see it, and may veto it (with no lock held, so a
            // hook may itself use ffi-auto).
            crate::audit::emit(&crate::audit::Event::Load {
                library: name,
                path: None,
            })
            .map_err(|reason| Error::Refused {
                what: format!("loading library {name}"),
                rule: format!("the audit hook ({reason})"),
                hint: String::new(),
            })?;
        }
        Library::open_trusted(name)
    }

    /// Whether `name` was opened and is still held.
    #[cfg(feature = "dynamic")]
    fn is_open(name: &str) -> bool {
        OPEN.lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(name)
            .is_some_and(|w| w.strong_count() > 0)
    }

    /// [`Library::open`] without the policy: for the libraries compile-time wrappers name
    /// (the program's own code, which the policy does not cover).
    pub(crate) fn open_trusted(name: &str) -> Result<Library> {
        if name.is_empty() || name.contains('\0') {
            return Err(Error::InvalidName {
                name: name.to_owned(),
                reason: "a library name must be non-empty and contain no NUL byte".to_owned(),
            });
        }
        let mut open = OPEN
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(inner) = open.get(name).and_then(Weak::upgrade) {
            return Ok(Library { inner });
        }
        let _span = tracing_span(name);
        let mut tried = Vec::new();
        for candidate in candidates(name) {
            match load(&candidate) {
                Ok((handle, file)) => {
                    let file = file.or_else(|| {
                        let p = PathBuf::from(&candidate);
                        p.is_absolute().then_some(p)
                    });
                    let inner = Arc::new(LibInner {
                        handle,
                        requested: name.to_owned(),
                        file,
                        program: false,
                    });
                    open.insert(name.to_owned(), Arc::downgrade(&inner));
                    return Ok(Library { inner });
                }
                Err(error) => tried.push(Attempt { candidate, error }),
            }
        }
        Err(Error::LibraryNotFound {
            name: name.to_owned(),
            tried,
        })
    }

    /// The running program and every library loaded into its global scope (libc among them).
    pub fn program() -> Library {
        static PROGRAM: OnceLock<Library> = OnceLock::new();
        PROGRAM
            .get_or_init(|| Library {
                inner: Arc::new(LibInner {
                    handle: dl::Library::this(),
                    requested: "the running program".to_owned(),
                    file: std::env::current_exe().ok(),
                    program: true,
                }),
            })
            .clone()
    }

    /// The name this library was opened with.
    pub fn name(&self) -> &str {
        &self.inner.requested
    }

    /// The file the loader chose, when known.
    pub fn path(&self) -> Option<&Path> {
        self.inner.file.as_deref()
    }

    /// Whether this is [`Library::program`].
    pub fn is_program(&self) -> bool {
        self.inner.program
    }

    /// How errors name this library: `m (/lib/x86_64-linux-gnu/libm.so.6)`.
    pub fn label(&self) -> String {
        match (&self.inner.file, self.inner.program) {
            (_, true) => "the running program".to_owned(),
            (Some(f), false) => format!("{} ({})", self.inner.requested, f.display()),
            (None, false) => self.inner.requested.clone(),
        }
    }

    /// Looks a symbol up in this library.
    ///
    /// # Errors
    /// [`Error::SymbolNotFound`] with the closest exported names.
    pub fn symbol(&self, name: &str) -> Result<Symbol> {
        self.try_symbol(name)?.ok_or_else(|| Error::SymbolNotFound {
            name: name.to_owned(),
            searched: vec![self.label()],
            closest: closest_names(name, std::slice::from_ref(self)),
        })
    }

    fn try_symbol(&self, name: &str) -> Result<Option<Symbol>> {
        let cname = symbol_name(name)?;
        // SAFETY: the symbol is read as an address (`*mut c_void`) and never called or
        // dereferenced here; it stays valid while `self` keeps the library loaded, which every
        // `Symbol` ensures by holding a clone of `self`.
        let addr = unsafe {
            self.inner
                .handle
                .get::<*mut c_void>(cname.as_bytes_with_nul())
        };
        Ok(addr.ok().and_then(|s| NonNull::new(*s)).map(|addr| Symbol {
            addr,
            library: self.clone(),
        }))
    }

    /// Names of the functions this library exports (for the program: every loaded object),
    /// read from the ELF dynamic symbol table. Empty where the file cannot be read.
    pub fn exported_functions(&self) -> Vec<String> {
        let files: Vec<PathBuf> = if self.inner.program {
            loaded_objects()
        } else {
            self.inner.file.iter().cloned().collect()
        };
        let mut names: Vec<String> = files
            .iter()
            .flat_map(|f| exports_of(f).iter().cloned().collect::<Vec<_>>())
            .collect();
        names.sort_unstable();
        names.dedup();
        names
    }
}

/// An exported symbol: its address and the library that keeps it valid.
///
/// ```
/// use ffi_auto_runtime::{Library, find_symbol};
/// let strlen = find_symbol("strlen", None).unwrap();
/// assert!(!strlen.addr().is_null());
/// ```
#[derive(Clone, Debug)]
pub struct Symbol {
    addr: NonNull<c_void>,
    library: Library,
}

// SAFETY: a symbol is an address inside a loaded library plus a handle that keeps the library
// loaded; both may be shared and sent between threads (the loader is thread-safe, and the
// address is only read).
unsafe impl Send for Symbol {}
// SAFETY: as above; `Symbol` has no interior mutability.
unsafe impl Sync for Symbol {}

impl Symbol {
    /// The symbol's address.
    pub fn addr(&self) -> *const c_void {
        self.addr.as_ptr()
    }

    /// The library it was looked up in (for the running program, everything in its scope).
    pub fn library(&self) -> &Library {
        &self.library
    }

    /// The file that defines it, as the loader reports (`dladdr`): for a symbol found through
    /// the running program, the library it really lives in.
    pub fn defined_in(&self) -> Option<PathBuf> {
        let path = PathBuf::from(object_of(self.addr.as_ptr())?);
        // The main program is reported under the name it was started with.
        Some(if path.is_absolute() {
            path
        } else {
            std::env::current_exe().unwrap_or(path)
        })
    }
}

/// The file of the loaded object holding `addr`, as the loader names it (`dladdr`).
pub(crate) fn object_of(addr: *const c_void) -> Option<String> {
    let mut info = std::mem::MaybeUninit::<libc::Dl_info>::zeroed();
    // SAFETY: dladdr only reads the address (it need not be mapped) and fills `info`.
    let ok = unsafe { libc::dladdr(addr, info.as_mut_ptr()) };
    if ok == 0 {
        return None;
    }
    // SAFETY: dladdr returned non-zero, so it initialized `info`.
    let info = unsafe { info.assume_init() };
    if info.dli_fname.is_null() {
        return None;
    }
    // SAFETY: dli_fname is a NUL-terminated path owned by the loader.
    Some(
        unsafe { CStr::from_ptr(info.dli_fname) }
            .to_string_lossy()
            .into_owned(),
    )
}

/// Looks a symbol up in `library`, or, when `None`, in the default search order: the running
/// program (and everything in its global scope), then libc, libm and the libraries added with
/// [`add_search_library`].
///
/// # Errors
/// [`Error::SymbolNotFound`] listing the libraries searched and the closest exported names, or
/// [`Error::LibraryNotFound`] when `library` cannot be loaded.
pub fn find_symbol(name: &str, library: Option<&str>) -> Result<Symbol> {
    if let Some(lib) = library {
        return Library::open(lib)?.symbol(name);
    }
    let mut searched = Vec::new();
    let mut libs = vec![Library::program()];
    if let Some(s) = libs[0].try_symbol(name)? {
        return Ok(s);
    }
    let names = SEARCH
        .read()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .clone();
    for lib in names {
        match Library::open(&lib) {
            Ok(l) => {
                if let Some(s) = l.try_symbol(name)? {
                    return Ok(s);
                }
                libs.push(l);
            }
            Err(e) => searched.push(format!("{lib} (not loadable: {e})")),
        }
    }
    let mut labels: Vec<String> = libs.iter().map(Library::label).collect();
    labels.append(&mut searched);
    Err(Error::SymbolNotFound {
        name: name.to_owned(),
        searched: labels,
        closest: closest_names(name, &libs),
    })
}

/// Adds a library to the default search order used when no library is named.
///
/// # Errors
/// [`Error::LibraryNotFound`] when it cannot be loaded; the search order is unchanged then.
pub fn add_search_library(name: &str) -> Result<()> {
    Library::open(name)?;
    let mut s = SEARCH
        .write()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if !s.iter().any(|n| n == name) {
        s.push(name.to_owned());
    }
    drop(s);
    crate::generation::invalidate();
    Ok(())
}

/// The default search order, after the running program.
pub fn search_libraries() -> Vec<String> {
    SEARCH
        .read()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .clone()
}

fn symbol_name(name: &str) -> Result<CString> {
    CString::new(name).map_err(|_| Error::InvalidName {
        name: name.escape_debug().to_string(),
        reason: "a symbol name cannot contain a NUL byte".to_owned(),
    })
}

fn load(candidate: &str) -> Result<(dl::Library, Option<PathBuf>), String> {
    // SAFETY: loading a library runs its initializers. ffi-auto's contract (README, "Safety")
    // is that libraries on the machine are trusted the way the linker trusts them; RTLD_NOW
    // makes missing dependencies fail here rather than at a later call.
    let lib = unsafe { dl::Library::open(Some(candidate), dl::RTLD_NOW | dl::RTLD_LOCAL) }
        .map_err(|e| loader_message(&e))?;
    let raw = lib.into_raw();
    let file = loaded_file(raw);
    // SAFETY: `raw` came from `into_raw` just above and is turned back into the one owner.
    let lib = unsafe { dl::Library::from_raw(raw) };
    Ok((lib, file))
}

fn loader_message(e: &libloading::Error) -> String {
    // libloading wraps dlerror's text; keep only the loader's words.
    let s = e.to_string();
    match std::error::Error::source(e) {
        Some(src) => src.to_string(),
        None => s,
    }
}

/// What to hand the loader for a library name, in order.
fn candidates(name: &str) -> Vec<String> {
    if name.contains('/') || is_file_name(name) {
        return vec![name.to_owned()];
    }
    let stem = name
        .strip_prefix("lib")
        .filter(|s| !s.is_empty())
        .unwrap_or(name);
    let mut out: Vec<String> = platform_names(stem)
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
    out.push(format!("lib{stem}.{}", std::env::consts::DLL_EXTENSION));
    for found in loader_cache(stem) {
        if !out.contains(&found) {
            out.push(found);
        }
    }
    out
}

fn is_file_name(name: &str) -> bool {
    let ext = std::env::consts::DLL_EXTENSION;
    name.ends_with(&format!(".{ext}")) || name.contains(&format!(".{ext}."))
}

/// The platform's own names for its system libraries (glibc's `<gnu/lib-names.h>`).
fn platform_names(stem: &str) -> &'static [&'static str] {
    if cfg!(all(target_os = "linux", target_env = "gnu")) {
        match stem {
            "c" => &["libc.so.6"],
            "m" => &["libm.so.6"],
            "dl" => &["libdl.so.2"],
            "pthread" => &["libpthread.so.0"],
            "rt" => &["librt.so.1"],
            _ => &[],
        }
    } else if cfg!(all(target_os = "linux", target_env = "musl")) {
        match stem {
            "c" | "m" | "dl" | "pthread" | "rt" => &["libc.so"],
            _ => &[],
        }
    } else if cfg!(target_vendor = "apple") {
        match stem {
            "c" | "m" | "dl" | "pthread" => &["libSystem.B.dylib"],
            _ => &[],
        }
    } else {
        &[]
    }
}

/// Versioned names for `lib<stem>.so.N` from the loader's cache, the way the toolchain's
/// `find_library` does: needed where only the runtime package is installed (no `libz.so`).
fn loader_cache(stem: &str) -> Vec<String> {
    static CACHE: OnceLock<Vec<(String, String)>> = OnceLock::new();
    let entries = CACHE.get_or_init(|| {
        let run = |prog: &str| std::process::Command::new(prog).arg("-p").output().ok();
        let Some(out) = run("ldconfig").or_else(|| run("/sbin/ldconfig")) else {
            return Vec::new();
        };
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter_map(|line| {
                let (lhs, path) = line.split_once("=>")?;
                let soname = lhs.split_whitespace().next()?;
                Some((soname.to_owned(), path.trim().to_owned()))
            })
            .collect()
    });
    let prefix = format!("lib{stem}.so.");
    entries
        .iter()
        .filter(|(so, _)| so.starts_with(&prefix))
        .map(|(_, path)| path.clone())
        .collect()
}

/// The file the loader mapped for a raw `dlopen` handle.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn loaded_file(raw: *mut c_void) -> Option<PathBuf> {
    /// The public head of glibc's `struct link_map` (`<link.h>`).
    #[repr(C)]
    struct LinkMap {
        l_addr: usize,
        l_name: *const std::ffi::c_char,
    }
    let mut map: *const LinkMap = std::ptr::null();
    // SAFETY: `raw` is a live handle from dlopen; with RTLD_DI_LINKMAP, dlinfo writes a
    // `struct link_map *` into `map`, whose public head glibc documents in <link.h>.
    let rc = unsafe { libc::dlinfo(raw, libc::RTLD_DI_LINKMAP, (&raw mut map).cast()) };
    if rc != 0 || map.is_null() {
        return None;
    }
    // SAFETY: `map` is the loader's link map of a library that stays loaded while its handle
    // lives; `l_name` is a NUL-terminated path owned by the loader.
    let name = unsafe { (*map).l_name };
    if name.is_null() {
        return None;
    }
    // SAFETY: as above.
    let s = unsafe { CStr::from_ptr(name) }
        .to_string_lossy()
        .into_owned();
    (!s.is_empty()).then(|| PathBuf::from(s))
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn loaded_file(_raw: *mut c_void) -> Option<PathBuf> {
    None
}

/// Every object mapped into the process (the program, its libraries, those loaded later).
#[cfg(target_os = "linux")]
fn loaded_objects() -> Vec<PathBuf> {
    unsafe extern "C" fn each(
        info: *mut libc::dl_phdr_info,
        _size: usize,
        data: *mut c_void,
    ) -> libc::c_int {
        // SAFETY: dl_iterate_phdr passes a valid info struct and our `data` pointer, which is
        // the `Vec` below, borrowed mutably for the duration of the iteration.
        let (info, out) = unsafe { (&*info, &mut *data.cast::<Vec<PathBuf>>()) };
        if !info.dlpi_name.is_null() {
            // SAFETY: dlpi_name is a NUL-terminated string owned by the loader.
            let name = unsafe { CStr::from_ptr(info.dlpi_name) };
            let name = name.to_string_lossy();
            if name.is_empty() {
                if let Ok(exe) = std::env::current_exe() {
                    out.push(exe);
                }
            } else {
                out.push(PathBuf::from(name.as_ref()));
            }
        }
        0
    }
    let mut out: Vec<PathBuf> = Vec::new();
    // SAFETY: the callback only reads `info` and pushes to `out`, and cannot unwind (no
    // operation in it panics except on allocation failure, which aborts).
    unsafe { libc::dl_iterate_phdr(Some(each), (&raw mut out).cast()) };
    out.retain(|p| p.is_file());
    out
}

#[cfg(not(target_os = "linux"))]
fn loaded_objects() -> Vec<PathBuf> {
    std::env::current_exe().into_iter().collect()
}

/// Exported function names of an ELF file, cached per path.
fn exports_of(file: &Path) -> Arc<Vec<String>> {
    static CACHE: LazyLock<Mutex<HashMap<PathBuf, Arc<Vec<String>>>>> =
        LazyLock::new(Mutex::default);
    let mut cache = CACHE
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if let Some(v) = cache.get(file) {
        return v.clone();
    }
    let names = Arc::new(read_exports(file).unwrap_or_default());
    cache.insert(file.to_owned(), names.clone());
    names
}

fn read_exports(file: &Path) -> Option<Vec<String>> {
    use object::{Object, ObjectSymbol, SymbolKind};
    let data = std::fs::read(file).ok()?;
    let obj = object::File::parse(&*data).ok()?;
    Some(
        obj.dynamic_symbols()
            // Not `is_definition()`: it leaves out IFUNC symbols, which is how glibc exports strlen.
            .filter(|s| !s.is_undefined() && s.kind() == SymbolKind::Text && s.is_global())
            .filter_map(|s| s.name().ok())
            .filter(|n| !n.starts_with('_'))
            .map(|n| n.split('@').next().unwrap_or(n).to_owned())
            .collect(),
    )
}

/// Up to three exported names closest to `name` (edit distance), nearest first.
pub(crate) fn closest_names(name: &str, libs: &[Library]) -> Vec<String> {
    let mut all: Vec<String> = libs.iter().flat_map(Library::exported_functions).collect();
    all.sort_unstable();
    all.dedup();
    ffi_auto_sig::closest(name, all.iter().map(String::as_str))
}

/// Whether `addr` lies in the C library (glibc's `libc.so.6`, musl's loader): the functions
/// whose format strings the host dialect describes.
#[cfg(feature = "dynamic")]
pub(crate) fn in_c_library(addr: *const c_void) -> bool {
    object_of(addr).is_some_and(|path| {
        let file = path.rsplit('/').next().unwrap_or("");
        file.starts_with("libc.so") || file.starts_with("libc-") || file.starts_with("ld-musl")
    })
}

/// The span a load runs in (`ffi_auto::load`), with the `dynamic` feature's `tracing`.
#[cfg(feature = "dynamic")]
fn tracing_span(name: &str) -> tracing::span::EnteredSpan {
    tracing::debug_span!(target: "ffi_auto::load", "load", library = name).entered()
}

/// Without `tracing` (the macros-only build), nothing.
#[cfg(not(feature = "dynamic"))]
struct NoSpan;

#[cfg(not(feature = "dynamic"))]
fn tracing_span(_name: &str) -> NoSpan {
    NoSpan
}
