//! Functions the macros compiled in: a registry filled at link time (linkme), consulted first by
//! by-name calls, with no libclang and no database.

use std::collections::HashMap;
use std::ffi::c_void;
use std::sync::atomic::{AtomicPtr, Ordering};
use std::sync::{LazyLock, OnceLock};

#[cfg(feature = "dynamic")]
use crate::error::Error;
use crate::error::Result;
use crate::library::Library;
#[cfg(feature = "dynamic")]
use crate::resolve::{Found, SignatureSource};

/// The registry's element type and the slice itself live in a module of their own, with no
/// code: linkme keeps the slice's section alive with `#[used]` statics, which makes the linker
/// load the object file that defines them into every program using ffi-auto. Next to other code,
/// that object's references would drag in most of the runtime (and, in debug builds, all its
/// debug info: 35 MB of a 39 MB binary that called nothing, measured 2026-11-23).
mod slice {
    use std::ffi::c_void;

    /// One function a macro wrapped, as registered at link time.
    #[doc(hidden)]
    pub struct Compiled {
        /// The C name.
        pub name: &'static str,
        /// The symbol.
        pub link_name: &'static str,
        /// The library it is loaded from at run time (lazy wrappers); `None` when linked.
        pub library: Option<&'static str>,
        /// The C signature, as [`ffi_auto_sig::encoding::encode`] wrote it.
        pub signature: &'static [u8],
        /// The linked function's address, when linked.
        pub addr: Option<fn() -> *const c_void>,
        /// `header.h:line`.
        pub origin: &'static str,
    }

    /// Every function the macros compiled into this program.
    #[doc(hidden)]
    #[linkme::distributed_slice]
    pub static COMPILED: [Compiled];
}

pub use slice::{COMPILED, Compiled};

/// The compile-time registry as a signature source (the first of the chain).
pub struct CompiledSource {
    by_name: LazyLock<HashMap<&'static str, &'static Compiled>>,
}

pub(crate) static SOURCE: LazyLock<std::sync::Arc<CompiledSource>> = LazyLock::new(|| {
    std::sync::Arc::new(CompiledSource {
        by_name: LazyLock::new(|| COMPILED.iter().map(|c| (c.name, c)).collect()),
    })
});

impl CompiledSource {
    /// The number of functions registered.
    pub fn len(&self) -> usize {
        self.by_name.len()
    }

    /// Whether none is.
    pub fn is_empty(&self) -> bool {
        self.by_name.is_empty()
    }
}

#[cfg(feature = "dynamic")]
impl SignatureSource for CompiledSource {
    fn describe(&self) -> String {
        format!(
            "the functions compiled in by the macros ({})",
            self.by_name.len()
        )
    }

    fn lookup(&self, name: &str, _library: Option<&str>) -> Result<Option<Found>> {
        let Some(c) = self.by_name.get(name) else {
            return Ok(None);
        };
        let signature =
            ffi_auto_sig::encoding::decode(c.signature).map_err(|e| Error::CompiledSignature {
                function: name.to_owned(),
                reason: e.to_string(),
            })?;
        Ok(Some(Found {
            signature,
            library: c.library.map(str::to_owned),
            link_name: (c.link_name != c.name).then(|| c.link_name.to_owned()),
            origin: format!("compiled in ({})", c.origin),
            addr: c.addr.map(|f| f() as usize),
        }))
    }

    fn names(&self) -> Vec<String> {
        self.by_name.keys().map(|k| (*k).to_owned()).collect()
    }
}

/// The compile-time registry (for diagnostics).
pub fn compiled_source() -> std::sync::Arc<CompiledSource> {
    SOURCE.clone()
}

/// A symbol of a library loaded on first use: after that, one atomic load.
#[doc(hidden)]
pub struct LazySymbol {
    library: &'static str,
    name: &'static str,
    addr: AtomicPtr<c_void>,
    keep: OnceLock<Library>,
}

impl LazySymbol {
    /// A symbol to resolve on first use.
    pub const fn new(library: &'static str, name: &'static str) -> LazySymbol {
        LazySymbol {
            library,
            name,
            addr: AtomicPtr::new(std::ptr::null_mut()),
            keep: OnceLock::new(),
        }
    }

    /// The symbol's address, loading the library on first use. The library stays loaded for
    /// the rest of the program, so the address never dangles.
    ///
    /// # Errors
    /// [`Error::LibraryNotFound`](crate::Error::LibraryNotFound) or
    /// [`Error::SymbolNotFound`](crate::Error::SymbolNotFound).
    #[inline]
    pub fn get(&self) -> Result<*const c_void> {
        let p = self.addr.load(Ordering::Acquire);
        if !p.is_null() {
            return Ok(p);
        }
        self.resolve()
    }

    #[cold]
    fn resolve(&self) -> Result<*const c_void> {
        let lib = match self.keep.get() {
            Some(l) => l.clone(),
            None => {
                let l = Library::open_trusted(self.library)?;
                self.keep.get_or_init(|| l).clone()
            }
        };
        let sym = lib.symbol(self.name)?;
        let p = sym.addr().cast_mut();
        // Racing threads store the same address.
        self.addr.store(p, Ordering::Release);
        Ok(p)
    }
}
