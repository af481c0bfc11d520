//! Calls by name (the original's `ffi-call`): the first call finds the signature and the
//! symbol and prepares a [`Function`]; later calls cost one hash lookup in a per-thread cache.

use std::cell::RefCell;
use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{LazyLock, PoisonError, RwLock};

use hashbrown::Equivalent;
use rustc_hash::FxBuildHasher;

use crate::arg::{Args, SafeArgs};
use crate::error::Result;
use crate::function::Function;
use crate::library::find_symbol;
use crate::resolve::find_signature;
use crate::ret::FromRet;
use crate::value::Value;

/// What to call: a function name, and optionally the library that defines it.
///
/// `"strlen"` searches the default libraries (the program, libc, libm, ...); `("sin", "m")`
/// looks in libm only.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Target<'a> {
    /// The function's name.
    pub name: &'a str,
    /// The library, when named.
    pub library: Option<&'a str>,
}

impl<'a> From<&'a str> for Target<'a> {
    fn from(name: &'a str) -> Self {
        Target {
            name,
            library: None,
        }
    }
}

impl<'a> From<&'a String> for Target<'a> {
    fn from(name: &'a String) -> Self {
        Target {
            name,
            library: None,
        }
    }
}

impl<'a> From<(&'a str, &'a str)> for Target<'a> {
    fn from((name, library): (&'a str, &'a str)) -> Self {
        Target {
            name,
            library: Some(library),
        }
    }
}

/// Bumped whenever signatures or the search order change: every cached handle is then stale.
static GENERATION: AtomicU64 = AtomicU64::new(0);

/// Prepared handles shared by all threads.
static SHARED: LazyLock<RwLock<HashMap<Key, Function, FxBuildHasher>>> =
    LazyLock::new(RwLock::default);

thread_local! {
    /// Each thread's own copy of the handles it used, so a cached call takes no lock.
    static LOCAL: RefCell<(u64, hashbrown::HashMap<Key, Function, FxBuildHasher>)> =
        RefCell::new((0, hashbrown::HashMap::default()));
}

#[derive(PartialEq, Eq)]
struct Key {
    name: Box<str>,
    library: Box<str>,
}

impl Hash for Key {
    fn hash<H: Hasher>(&self, state: &mut H) {
        BorrowedKey {
            name: &self.name,
            library: &self.library,
        }
        .hash(state);
    }
}

struct BorrowedKey<'a> {
    name: &'a str,
    library: &'a str,
}

impl Hash for BorrowedKey<'_> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.name.hash(state);
        self.library.hash(state);
    }
}

impl Equivalent<Key> for BorrowedKey<'_> {
    fn equivalent(&self, key: &Key) -> bool {
        *key.name == *self.name && *key.library == *self.library
    }
}

/// Drops every cached handle (signatures or the search order changed).
pub(crate) fn invalidate() {
    GENERATION.fetch_add(1, Ordering::AcqRel);
    SHARED
        .write()
        .unwrap_or_else(PoisonError::into_inner)
        .clear();
}

/// Runs `f` on the prepared handle for `target`, preparing it on first use.
#[inline]
fn with_function<T>(target: Target<'_>, f: impl FnOnce(&Function) -> Result<T>) -> Result<T> {
    let generation = GENERATION.load(Ordering::Acquire);
    let key = BorrowedKey {
        name: target.name,
        library: target.library.unwrap_or(""),
    };
    LOCAL.with(|cell| {
        // A callback may call by name while an outer call holds this borrow: shared borrows
        // nest, and a busy cache is simply bypassed.
        if let Ok(local) = cell.try_borrow() {
            if local.0 == generation {
                if let Some(func) = local.1.get(&key) {
                    return f(func);
                }
            }
        }
        let func = shared_or_prepare(target, &key)?;
        if let Ok(mut local) = cell.try_borrow_mut() {
            if local.0 != generation {
                local.1.clear();
                local.0 = generation;
            }
            local.1.insert(
                Key {
                    name: key.name.into(),
                    library: key.library.into(),
                },
                func.clone(),
            );
        }
        f(&func)
    })
}

#[cold]
fn shared_or_prepare(target: Target<'_>, key: &BorrowedKey<'_>) -> Result<Function> {
    let owned = Key {
        name: key.name.into(),
        library: key.library.into(),
    };
    if let Some(f) = SHARED
        .read()
        .unwrap_or_else(PoisonError::into_inner)
        .get(&owned)
    {
        return Ok(f.clone());
    }
    let func = prepare_uncached(target)?;
    // Two threads may prepare the same function at once; both handles are valid, and the
    // first one stored is the one everybody shares from then on.
    Ok(SHARED
        .write()
        .unwrap_or_else(PoisonError::into_inner)
        .entry(owned)
        .or_insert(func)
        .clone())
}

fn prepare_uncached(target: Target<'_>) -> Result<Function> {
    let found = find_signature(target.name, target.library)?;
    let library = target.library.or(found.library.as_deref());
    let link_name = found.link_name.as_deref().unwrap_or(target.name);
    let symbol = find_symbol(link_name, library)?;
    // SAFETY: a symbol address is non-null; the signature comes from a trusted source (see
    // `add_signature_source` and `Registry::register`), and `symbol` keeps the library loaded.
    let code = unsafe {
        std::mem::transmute::<*const std::ffi::c_void, unsafe extern "C" fn()>(symbol.addr())
    };
    Function::build(
        code,
        Some(symbol),
        target.name,
        found.signature,
        found.origin,
    )
}

/// The prepared handle for `target`: signature found through the source chain, symbol through
/// the library search, call interface prepared, all once (the original's `ffi-call-cached`).
///
/// ```
/// use ffi_auto_runtime::{prepare, registry};
/// // SAFETY: `int getpid(void)`-compatible: pid_t is int on this platform.
/// unsafe { registry().register("getpid", None, "int (void)".parse().unwrap()) };
/// let getpid = prepare("getpid").unwrap();
/// assert_eq!(getpid.call::<u32>(()).unwrap(), std::process::id());
/// ```
///
/// # Errors
/// [`Error::NoSignature`](crate::Error::NoSignature),
/// [`Error::SymbolNotFound`](crate::Error::SymbolNotFound),
/// [`Error::LibraryNotFound`](crate::Error::LibraryNotFound), or a preparation error.
pub fn prepare<'a>(target: impl Into<Target<'a>>) -> Result<Function> {
    with_function(target.into(), |f| Ok(f.clone()))
}

/// Calls a C function by name with safe arguments (the original's `ffi-call`).
///
/// ```
/// use ffi_auto_runtime::{ffi_call, registry};
/// // SAFETY: these are the declarations in <string.h> and <math.h>.
/// unsafe {
///     registry().register("strlen", None, "size_t (const char *)".parse().unwrap());
///     registry().register("sin", Some("m"), "double (double)".parse().unwrap());
/// }
/// let n: usize = ffi_call("strlen", "hello").unwrap();
/// assert_eq!(n, 5);
/// let s: f64 = ffi_call(("sin", "m"), 1.0).unwrap();
/// assert_eq!(s, 1.0f64.sin());
/// ```
///
/// # Errors
/// As [`prepare`] on first use, then as [`Function::call`].
#[inline]
pub fn ffi_call<'a, R: FromRet>(target: impl Into<Target<'a>>, args: impl SafeArgs) -> Result<R> {
    with_function(target.into(), |f| f.call(args))
}

/// Calls a C function by name with any arguments, raw pointers included.
///
/// # Safety
/// As [`Function::call_raw`].
///
/// # Errors
/// As [`ffi_call`].
#[inline]
pub unsafe fn ffi_call_raw<'a, R: FromRet>(
    target: impl Into<Target<'a>>,
    args: impl Args,
) -> Result<R> {
    // SAFETY: the caller vouches for the pointer arguments.
    with_function(target.into(), |f| unsafe { f.call_raw(args) })
}

/// Calls a C function by name with dynamic values.
///
/// # Errors
/// As [`ffi_call`].
pub fn ffi_call_values<'a>(
    target: impl Into<Target<'a>>,
    args: &[Value<'_>],
) -> Result<Value<'static>> {
    with_function(target.into(), |f| f.call_values(args))
}
