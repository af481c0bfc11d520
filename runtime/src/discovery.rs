//! Signatures from the C headers: the runtime's end of discovery.
//!
//! The header source is in the chain after the registry. It reads the declarations of a header
//! set (by default the C standard library and POSIX headers on the machine) from the on-disk
//! signature database, or parses them with libclang and writes the database, once per process;
//! after that a lookup is a hash lookup.

use std::sync::{Arc, LazyLock, PoisonError, RwLock};

use ffi_auto_discovery::{Catalog, Discovery, DiscoveryError, HeaderSet};
use ffi_auto_sig::Signature;

use crate::error::{Error, Result};
use crate::resolve::{Found, SignatureSource};

/// The headers by-name calls consult, and what was read from them.
pub struct HeaderSource {
    discovery: Discovery,
    state: RwLock<State>,
}

struct State {
    set: Arc<HeaderSet>,
    loaded: Option<Arc<Catalog>>,
}

pub(crate) static SOURCE: LazyLock<Arc<HeaderSource>> = LazyLock::new(|| {
    Arc::new(HeaderSource {
        discovery: Discovery::new(),
        state: RwLock::new(State {
            set: Arc::new(HeaderSet::system()),
            loaded: None,
        }),
    })
});

impl HeaderSource {
    /// The loaded catalog and the set it is for (shared: a lookup clones neither).
    fn catalog(&self) -> Result<(Arc<Catalog>, Arc<HeaderSet>)> {
        {
            let st = self.state.read().unwrap_or_else(PoisonError::into_inner);
            if let Some(d) = &st.loaded {
                return Ok((d.clone(), st.set.clone()));
            }
        }
        let mut st = self.state.write().unwrap_or_else(PoisonError::into_inner);
        if let Some(d) = &st.loaded {
            return Ok((d.clone(), st.set.clone()));
        }
        let _span = tracing::debug_span!(target: "ffi_auto::discovery", "discovery", headers = %st.set.describe()).entered();
        let d = self
            .discovery
            .catalog(&st.set)
            .map_err(|e| Error::Discovery(Box::new(e)))?;
        tracing::debug!(target: "ffi_auto::discovery", functions = d.names().len(), "catalog loaded");
        st.loaded = Some(d.clone());
        Ok((d, st.set.clone()))
    }

    fn change(&self, f: impl FnOnce(&mut HeaderSet)) {
        let mut st = self.state.write().unwrap_or_else(PoisonError::into_inner);
        f(Arc::make_mut(&mut st.set));
        st.loaded = None;
        drop(st);
        crate::generation::invalidate();
    }
}

/// The layout of struct `name` (tag or typedef name) from the header source's headers.
pub(crate) fn record(name: &str) -> Result<Arc<ffi_auto_sig::Record>> {
    let (catalog, set) = SOURCE.catalog()?;
    let key = ffi_auto_discovery::tag_name(name);
    catalog
        .record(key)
        .map(Arc::new)
        .ok_or_else(|| Error::UnknownStruct {
            name: name.to_owned(),
            searched: format!("the headers ({})", set.describe()),
            closest: ffi_auto_discovery::closest(
                key,
                catalog.record_names().iter().map(String::as_str),
            ),
        })
}

/// A constant the header source's headers define: an object-like macro that evaluates to a
/// number or string, or an enumerator, with its C type.
///
/// ```
/// let o_creat = ffi_auto_runtime::constant("O_CREAT").unwrap();
/// assert_eq!(o_creat.value.as_i64(), Some(i64::from(libc::O_CREAT)));
/// assert_eq!(o_creat.ty.to_string(), "int");
/// ```
///
/// # Errors
/// [`Error::UnknownConstant`] with similar names; [`Error::Discovery`] when the headers
/// cannot be read.
pub fn constant(name: &str) -> Result<ffi_auto_discovery::Constant> {
    let (catalog, set) = SOURCE.catalog()?;
    catalog
        .constant(name)
        .ok_or_else(|| Error::UnknownConstant {
            name: name.to_owned(),
            searched: format!("the headers ({})", set.describe()),
            closest: ffi_auto_discovery::closest(
                name,
                catalog.constant_names().iter().map(String::as_str),
            ),
        })
}

impl SignatureSource for HeaderSource {
    fn describe(&self) -> String {
        let st = self.state.read().unwrap_or_else(PoisonError::into_inner);
        format!("the headers ({})", st.set.describe())
    }

    fn lookup(&self, name: &str, _library: Option<&str>) -> Result<Option<Found>> {
        let (catalog, set) = self.catalog()?;
        match catalog.lookup(&set, name) {
            Ok(d) => Ok(Some(Found {
                signature: d.signature.clone(),
                library: None,
                link_name: d.link_name.clone(),
                origin: d.location(),
                addr: None,
            })),
            Err(DiscoveryError::NotFound { .. }) => Ok(None),
            Err(DiscoveryError::NotCallable {
                name,
                reason,
                header,
                line,
            }) => {
                // A `static inline` function of types ffi-auto passes: through a C shim.
                if let Some(n) = catalog.not_callable(&name)
                    && let Some(sig) = n.shim
                {
                    let stamp = ffi_auto_discovery::shim::stamp(catalog.deps());
                    let shim = ffi_auto_discovery::shim::Shim::new(&name, sig)
                        .with_unions(|t| catalog.is_union(t));
                    return shim_found(&set, shim, &format!("{}:{line}", header.display()), &stamp)
                        .map(Some);
                }
                Err(Error::NotCallable {
                    name,
                    reason,
                    location: format!("{}:{line}", header.display()),
                })
            }
            Err(e) => Err(Error::Discovery(Box::new(e))),
        }
    }

    fn names(&self) -> Vec<String> {
        self.catalog().map(|(c, _)| c.names()).unwrap_or_default()
    }
}

/// The declaration of global variable `name` in the header source's headers.
pub(crate) fn global_decl(name: &str) -> Result<ffi_auto_discovery::Global> {
    let (catalog, set) = SOURCE.catalog()?;
    catalog.global(name).ok_or_else(|| {
        let maybe =
            ffi_auto_discovery::closest(name, catalog.global_names().iter().map(String::as_str));
        Error::Global {
            name: name.to_owned(),
            reason: format!(
                "no header declares it as a variable (read {}){}",
                set.describe(),
                if maybe.is_empty() {
                    String::new()
                } else {
                    let names: Vec<String> = maybe.iter().map(|m| format!("`{m}`")).collect();
                    format!("; did you mean {}?", names.join(", "))
                }
            ),
            hint: "name its header with config::add_header".to_owned(),
        }
    })
}

/// The shim library of `name` (compiled on first use, then cached), as a signature source's
/// answer: its library is the shim library, its linker name the shim's.
fn shim_found(
    set: &HeaderSet,
    shim: ffi_auto_discovery::shim::Shim,
    location: &str,
    stamp: &str,
) -> Result<Found> {
    use ffi_auto_discovery::shim as s;
    let lib = s::compile(set, std::slice::from_ref(&shim), stamp)
        .map_err(|e| Error::Discovery(Box::new(e)))?;
    Ok(Found {
        signature: shim.signature,
        library: Some(lib.display().to_string()),
        link_name: Some(s::symbol(&shim.name)),
        origin: format!("{location} (static inline, through a C shim)"),
        addr: None,
    })
}

/// Reads a written signature whose types may be the header source's own: typedefs
/// (`fd_set`, `pid_t`, `socklen_t`) and structs or unions by tag (`struct msghdr`), as well
/// as C's (`int`, `const char *`, function pointers). What [`shim_function`] takes for a
/// macro over such types.
///
/// ```
/// use ffi_auto_runtime::signature;
/// let s = signature("int (int, const fd_set *)").unwrap();
/// assert_eq!(s.to_string(), "int (int, const fd_set *)");
/// assert!(signature("void (struct msghdr *)").is_ok());
/// let e = signature("int (no_such_t)").unwrap_err();
/// assert!(e.to_string().contains("nor one the headers declare"), "{e}");
/// ```
///
/// # Errors
/// [`Error::BadSignature`] saying what is wrong; [`Error::Discovery`] when the header source
/// cannot be read (only asked for names that are not C's own).
pub fn signature(s: &str) -> Result<Signature> {
    if let Ok(sig) = s.parse() {
        return Ok(sig);
    }
    let (catalog, _) = SOURCE.catalog()?;
    Ok(Signature::parse_with(
        s,
        Some(&|n| catalog.resolve_type(n)),
    )?)
}

/// Prepares a function-like macro (or a `static inline` function) as a function of
/// signature `sig`, through a C shim compiled against the header source's headers: the C
/// compiler checks that `name(args...)` compiles with these types and converts to the
/// return type as C does.
///
/// ```no_run
/// use ffi_auto_runtime::shim_function;
/// // SAFETY: WEXITSTATUS reads its `int` argument's bits and nothing else.
/// let f = unsafe { shim_function("WEXITSTATUS", "int (int)".parse().unwrap()) }.unwrap();
/// assert_eq!(f.call::<i32>(256).unwrap(), 1);
/// ```
///
/// # Safety
/// What the macro does with arguments of these types must be memory-safe: ffi-auto checks
/// the types, not what the expansion does with them (a macro may cast an integer to a
/// pointer).
///
/// # Errors
/// [`Error::Discovery`] with the compiler's message when the shim does not compile, or when
/// there is no C compiler.
pub unsafe fn shim_function(name: &str, sig: Signature) -> Result<crate::Function> {
    let (catalog, set) = SOURCE.catalog()?;
    let stamp = ffi_auto_discovery::shim::stamp(catalog.deps());
    let shim = ffi_auto_discovery::shim::Shim::new(name, sig).with_unions(|t| catalog.is_union(t));
    let found = shim_found(&set, shim, "a function-like macro", &stamp)?;
    let lib = found.library.as_deref().unwrap_or_default();
    let symbol = crate::library::find_symbol(&ffi_auto_discovery::shim::symbol(name), Some(lib))?;
    // SAFETY: the shim was compiled with exactly this signature; the caller vouches for what
    // the macro does with its arguments.
    let code = unsafe {
        std::mem::transmute::<*const std::ffi::c_void, unsafe extern "C" fn()>(symbol.addr())
    };
    crate::Function::build(
        code,
        Some(symbol),
        name,
        found.signature,
        format!("{} (through a C shim)", found.origin),
        crate::policy::Provenance::Explicit,
    )
}

/// Adds a header to those by-name calls consult: a name searched in the include paths
/// (`"zlib.h"`) or a path.
///
/// ```no_run
/// use ffi_auto_runtime::{ffi_call, config::add_header};
/// add_header("zlib.h");
/// let v: *const std::ffi::c_char = ffi_call(("zlibVersion", "z"), ()).unwrap();
/// ```
pub fn add_header(header: &str) {
    SOURCE.change(|s| *s = std::mem::take(s).header(header));
}

/// Adds an include directory for the headers by-name calls consult.
pub fn add_include_dir(dir: impl Into<std::path::PathBuf>) {
    let dir = dir.into();
    SOURCE.change(|s| *s = std::mem::take(s).include(dir));
}

/// Adds a pkg-config package: its include flags for the headers, and its libraries (`-lz`) to
/// the default search order.
///
/// # Errors
/// When pkg-config does not know the package, or one of its libraries cannot be loaded.
pub fn add_pkg_config(package: &str) -> Result<()> {
    let p = ffi_auto_discovery::pkg_config(package).map_err(|e| Error::Discovery(e.into()))?;
    for lib in &p.libs {
        crate::library::add_search_library(lib)?;
    }
    SOURCE.change(|s| *s = std::mem::take(s).pkg_config(package));
    Ok(())
}

/// The header source in the chain (for diagnostics and benchmarks).
pub fn header_source() -> Arc<HeaderSource> {
    SOURCE.clone()
}

/// The header set by-name calls consult.
pub fn header_set() -> HeaderSet {
    HeaderSet::clone(
        &SOURCE
            .state
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .set,
    )
}
