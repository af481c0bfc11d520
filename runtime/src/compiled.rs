//! Functions the macros compiled in: a registry filled at link time (linkme), consulted first by
//! by-name calls, with no libclang and no database.

use std::collections::HashMap;
use std::ffi::c_void;
use std::sync::atomic::{AtomicPtr, Ordering};
use std::sync::{LazyLock, OnceLock};

use ffi_auto_sig::Signature;

use crate::error::Result;
use crate::library::Library;
use crate::resolve::{Found, SignatureSource};

/// One function a macro wrapped, as registered at link time.
#[doc(hidden)]
pub struct Compiled {
    /// The C name.
    pub name: &'static str,
    /// The symbol.
    pub link_name: &'static str,
    /// The library it is loaded from at run time (lazy wrappers); `None` when linked.
    pub library: Option<&'static str>,
    /// Builds the C signature.
    pub signature: fn() -> Signature,
    /// The linked function's address, when linked.
    pub addr: Option<fn() -> *const c_void>,
    /// `header.h:line`.
    pub origin: &'static str,
}

/// Every function the macros compiled into this program.
#[doc(hidden)]
#[linkme::distributed_slice]
pub static COMPILED: [Compiled];

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

impl SignatureSource for CompiledSource {
    fn describe(&self) -> String {
        format!(
            "the functions compiled in by the macros ({})",
            self.by_name.len()
        )
    }

    fn lookup(&self, name: &str, _library: Option<&str>) -> Result<Option<Found>> {
        Ok(self.by_name.get(name).map(|c| Found {
            signature: (c.signature)(),
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
                let l = Library::open(self.library)?;
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
