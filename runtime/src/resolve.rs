//! Where signatures come from: a chain of sources consulted in order.
//!
//! The chain holds, in order: the functions the macros compiled in (registered at link time),
//! the in-process [`Registry`] of explicitly registered signatures, then (feature `discovery`,
//! on by default) the C headers, read through the on-disk signature database or libclang.
//! Each is a [`SignatureSource`]; the first that knows a name wins.

use std::collections::HashMap;
use std::sync::{Arc, LazyLock, PoisonError, RwLock};

use ffi_auto_sig::Signature;

use crate::error::{Error, Result};

/// A signature found for a name, and where it was found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Found {
    /// The signature.
    pub signature: Signature,
    /// The library that defines the function, when the source knows it (`"m"` for `sin`).
    pub library: Option<String>,
    /// The name the linker sees, when it differs from the C name (`__REDIRECT`, asm labels).
    pub link_name: Option<String>,
    /// Where the signature came from: `registry`, or a header and line.
    pub origin: String,
    /// The function's address, when the source knows it (functions the macros linked in).
    pub addr: Option<usize>,
}

/// A source of signatures for by-name calls.
///
/// Signatures from a source are trusted: a by-name call whose arguments are all safe is a safe
/// call. Adding a source is therefore `unsafe` ([`add_signature_source`]).
pub trait SignatureSource: Send + Sync {
    /// How error messages name this source: `the registry (3 signatures)`.
    fn describe(&self) -> String;

    /// The signature of `name` (in `library`, when the caller named one), or `None` if this
    /// source does not know it.
    ///
    /// # Errors
    /// When the source itself fails (a corrupt database, a header that does not parse).
    fn lookup(&self, name: &str, library: Option<&str>) -> Result<Option<Found>>;

    /// Names this source knows, for "did you mean" suggestions.
    fn names(&self) -> Vec<String> {
        Vec::new()
    }
}

/// Signatures registered explicitly in this process.
///
/// ```
/// use ffi_auto_runtime::{ffi_call, config::registry};
/// // SAFETY: `double hypot(double, double)` in <math.h>, defined in libm.
/// unsafe { registry().register("hypot", Some("m"), "double (double, double)".parse().unwrap()) };
/// let x: f64 = ffi_call("hypot", (3.0, 4.0)).unwrap();
/// assert_eq!(x, 5.0);
/// ```
#[derive(Default)]
pub struct Registry {
    entries: RwLock<HashMap<String, Vec<Registered>>>,
}

/// One registration: the library it applies to (any, when `None`) and the signature.
type Registered = (Option<String>, Signature);

impl Registry {
    /// Registers `name`'s signature, optionally with the library that defines it; replaces an
    /// earlier registration for the same name and library.
    ///
    /// # Safety
    /// `sig` must be the C signature of `name` (in `library`, or wherever the default search
    /// finds it): by-name calls trust it.
    pub unsafe fn register(&self, name: &str, library: Option<&str>, sig: Signature) {
        let mut e = self.entries.write().unwrap_or_else(PoisonError::into_inner);
        let list = e.entry(name.to_owned()).or_default();
        let lib = library.map(str::to_owned);
        list.retain(|(l, _)| *l != lib);
        list.push((lib, sig));
        drop(e);
        crate::generation::invalidate();
    }

    /// Removes every registration of `name`; returns whether there was one.
    pub fn unregister(&self, name: &str) -> bool {
        let removed = self
            .entries
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(name)
            .is_some();
        if removed {
            crate::generation::invalidate();
        }
        removed
    }

    /// The number of registered signatures.
    pub fn len(&self) -> usize {
        self.entries
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .values()
            .map(Vec::len)
            .sum()
    }

    /// Whether nothing is registered.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl SignatureSource for Registry {
    fn describe(&self) -> String {
        format!("the registry ({} signatures)", self.len())
    }

    fn lookup(&self, name: &str, library: Option<&str>) -> Result<Option<Found>> {
        let e = self.entries.read().unwrap_or_else(PoisonError::into_inner);
        let Some(list) = e.get(name) else {
            return Ok(None);
        };
        // An entry for the library asked for wins; an entry without a library fits any.
        let hit = list
            .iter()
            .find(|(l, _)| l.as_deref() == library && library.is_some())
            .or_else(|| list.iter().find(|(l, _)| l.is_none()))
            .or_else(|| library.is_none().then(|| list.first()).flatten());
        Ok(hit.map(|(l, sig)| Found {
            signature: sig.clone(),
            library: library.map(str::to_owned).or_else(|| l.clone()),
            link_name: None,
            origin: "registry".to_owned(),
            addr: None,
        }))
    }

    fn names(&self) -> Vec<String> {
        self.entries
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .keys()
            .cloned()
            .collect()
    }
}

static REGISTRY: LazyLock<Arc<Registry>> = LazyLock::new(Arc::default);

static SOURCES: LazyLock<RwLock<Vec<Arc<dyn SignatureSource>>>> = LazyLock::new(|| {
    #[allow(unused_mut)]
    let mut chain = vec![
        crate::compiled::SOURCE.clone() as Arc<dyn SignatureSource>,
        REGISTRY.clone() as Arc<dyn SignatureSource>,
    ];
    #[cfg(feature = "discovery")]
    chain.push(crate::discovery::SOURCE.clone());
    RwLock::new(chain)
});

/// The process-wide registry of explicit signatures (the first source consulted).
pub fn registry() -> &'static Registry {
    &REGISTRY
}

/// Appends a source to the chain consulted by by-name calls.
///
/// # Safety
/// Every signature the source returns must be the true C signature of the function it names:
/// by-name calls with safe arguments are safe calls on the strength of it.
pub unsafe fn add_signature_source(source: Arc<dyn SignatureSource>) {
    SOURCES
        .write()
        .unwrap_or_else(PoisonError::into_inner)
        .push(source);
    crate::generation::invalidate();
}

/// How error messages name each source of the chain, in order.
pub fn signature_sources() -> Vec<String> {
    SOURCES
        .read()
        .unwrap_or_else(PoisonError::into_inner)
        .iter()
        .map(|s| s.describe())
        .collect()
}

/// Consults the chain for `name`.
///
/// # Errors
/// [`Error::NoSignature`] naming every source consulted, or a source's own error.
pub fn find_signature(name: &str, library: Option<&str>) -> Result<Found> {
    find_with_provenance(name, library).map(|(found, _)| found)
}

/// [`find_signature`], with the kind of source that answered (for the policy).
pub(crate) fn find_with_provenance(
    name: &str,
    library: Option<&str>,
) -> Result<(Found, crate::policy::Provenance)> {
    use crate::policy::Provenance;
    let sources = SOURCES
        .read()
        .unwrap_or_else(PoisonError::into_inner)
        .clone();
    for (i, s) in sources.iter().enumerate() {
        if let Some(found) = s.lookup(name, library)? {
            // The chain starts with the built-in sources, in `SOURCES`' order; the program's
            // own come after them.
            let provenance = match i {
                0 => Provenance::Compiled,
                1 => Provenance::Explicit,
                2 if cfg!(feature = "discovery") => Provenance::Header,
                _ => Provenance::Custom,
            };
            return Ok((found, provenance));
        }
    }
    // A name several sources know (compiled in and in the headers) is suggested once.
    let known: std::collections::BTreeSet<String> =
        sources.iter().flat_map(|s| s.names()).collect();
    Err(Error::NoSignature {
        name: name.to_owned(),
        consulted: sources.iter().map(|s| s.describe()).collect(),
        closest: ffi_auto_sig::closest(name, known.iter().map(String::as_str)),
    })
}
