//! A header set's declarations as lookups see them: parsed in this process, or stored in the
//! database and decoded one entry at a time.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use ffi_auto_sig::{CType, Record};
use serde::{Deserialize, Serialize};

use crate::db::LibclangFile;
use crate::decl::{Constant, Decl, Declarations, Dep, Global, NotCallable, OpaqueDecl};
use crate::error::DiscoveryError;
use crate::headers::HeaderSet;

/// What an index entry holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
#[repr(u8)]
pub(crate) enum Kind {
    Function = 0,
    NotCallable = 1,
    Record = 2,
    Constant = 3,
    Opaque = 4,
    Global = 5,
    Typedef = 6,
}

impl Kind {
    pub(crate) fn from_u8(k: u8) -> Option<Kind> {
        Some(match k {
            0 => Kind::Function,
            1 => Kind::NotCallable,
            2 => Kind::Record,
            3 => Kind::Constant,
            4 => Kind::Opaque,
            5 => Kind::Global,
            6 => Kind::Typedef,
            _ => return None,
        })
    }
}

/// One encoded entry of the database.
#[derive(Serialize, Deserialize)]
pub(crate) enum Entry {
    Function(Decl),
    NotCallable(NotCallable),
    Record(Record),
    Constant(Constant),
    Opaque(OpaqueDecl),
    Global(Global),
    Typedef(CType),
}

/// Where a name and its entry sit in the file's bytes.
pub(crate) struct Index {
    pub kind: Kind,
    pub name: (usize, usize),
    pub entry: (usize, usize),
}

/// A database file held in memory, decoded on demand.
pub struct Stored {
    bytes: Vec<u8>,
    index: Vec<Index>,
    deps: Vec<Dep>,
    headers: Vec<PathBuf>,
    api: Vec<PathBuf>,
    target: String,
    libclang: LibclangFile,
    decoded: Mutex<HashMap<usize, Arc<Decl>>>,
}

impl Stored {
    pub(crate) fn new(
        bytes: Vec<u8>,
        index: Vec<Index>,
        deps: Vec<Dep>,
        (headers, api): (Vec<PathBuf>, Vec<PathBuf>),
        target: String,
        libclang: LibclangFile,
    ) -> Result<Stored, String> {
        let s = Stored {
            bytes,
            index,
            deps,
            headers,
            api,
            target,
            libclang,
            decoded: Mutex::default(),
        };
        let sorted = s
            .index
            .windows(2)
            .all(|w| (w[0].kind, s.name_bytes(&w[0])) < (w[1].kind, s.name_bytes(&w[1])));
        if !sorted {
            return Err("the index is not sorted".to_owned());
        }
        Ok(s)
    }

    /// A name's bytes (UTF-8, checked when the index was decoded; `str` orders as its bytes).
    fn name_bytes(&self, i: &Index) -> &[u8] {
        &self.bytes[i.name.0..i.name.0 + i.name.1]
    }

    fn name(&self, i: &Index) -> &str {
        std::str::from_utf8(self.name_bytes(i)).unwrap_or("")
    }

    fn find(&self, kind: Kind, name: &str) -> Option<usize> {
        self.index
            .binary_search_by(|i| (i.kind, self.name_bytes(i)).cmp(&(kind, name.as_bytes())))
            .ok()
    }

    /// Entry `at`, decoded; `None` when its bytes do not decode (or decode to a layout no
    /// compiler produces): the file is damaged, whatever its checksum says.
    fn entry(&self, at: usize) -> Option<Entry> {
        let (off, len) = self.index[at].entry;
        let e: Entry = postcard::from_bytes(self.bytes.get(off..off.checked_add(len)?)?).ok()?;
        let dm = ffi_auto_sig::DataModel::native();
        let valid = match &e {
            Entry::Record(r) => r.validate(&dm).is_ok(),
            _ => true,
        };
        valid.then_some(e)
    }

    /// The libclang that wrote the database.
    pub fn libclang(&self) -> &LibclangFile {
        &self.libclang
    }
}

impl From<Stored> for Catalog {
    fn from(s: Stored) -> Catalog {
        Catalog::stored(s)
    }
}

/// A header set's declarations, wherever they came from.
pub struct Catalog {
    inner: Inner,
    all: OnceLock<Arc<Declarations>>,
    /// For a database: what to do when one of its entries turns out not to decode.
    rebuild: Option<Rebuild>,
    /// Set once an entry did not decode: the declarations parsed instead, or why not.
    damaged: OnceLock<Result<Arc<Declarations>, String>>,
}

/// Parses the headers again (and rewrites the database) when the stored copy is damaged.
pub(crate) type Rebuild = Box<dyn Fn() -> Result<Arc<Declarations>, DiscoveryError> + Send + Sync>;

enum Inner {
    Parsed(Arc<Declarations>),
    Stored(Box<Stored>),
}

impl Catalog {
    pub(crate) fn parsed(decls: Arc<Declarations>) -> Catalog {
        Catalog {
            all: OnceLock::from(decls.clone()),
            inner: Inner::Parsed(decls),
            rebuild: None,
            damaged: OnceLock::new(),
        }
    }

    pub(crate) fn stored(s: Stored) -> Catalog {
        Catalog {
            inner: Inner::Stored(Box::new(s)),
            all: OnceLock::new(),
            rebuild: None,
            damaged: OnceLock::new(),
        }
    }

    /// A database's catalog that, if an entry turns out not to decode, answers from `rebuild`
    /// instead (a fresh parse, which also rewrites the file).
    pub(crate) fn stored_with_rebuild(s: Stored, rebuild: Rebuild) -> Catalog {
        Catalog {
            rebuild: Some(rebuild),
            ..Catalog::stored(s)
        }
    }

    /// What answers once the stored copy is known to be damaged: the rebuilt declarations,
    /// or none (lookups then fail with [`DiscoveryError::Internal`] saying why).
    #[cold]
    fn on_damage(&self, what: &str) -> Option<&Arc<Declarations>> {
        self.damaged
            .get_or_init(|| {
                let why = format!("its entry for `{what}` does not decode");
                match &self.rebuild {
                    Some(r) => {
                        tracing::warn!(
                            "signature database damaged ({why}); parsing the headers again"
                        );
                        r().map_err(|e| format!("{why}, and parsing the headers again failed: {e}"))
                    }
                    None => Err(why),
                }
            })
            .as_ref()
            .ok()
    }

    /// The declarations to answer from after damage was found, if any.
    fn replacement(&self) -> Option<&Arc<Declarations>> {
        self.damaged.get().and_then(|r| r.as_ref().ok())
    }

    /// The callable function `name`, if the headers declare one.
    pub fn function(&self, name: &str) -> Option<Arc<Decl>> {
        if let Some(d) = self.replacement() {
            return d.functions.get(name).cloned();
        }
        match &self.inner {
            Inner::Parsed(d) => d.functions.get(name).cloned(),
            Inner::Stored(s) => {
                let at = s.find(Kind::Function, name)?;
                let mut cache = s.decoded.lock().unwrap_or_else(PoisonError::into_inner);
                if let Some(d) = cache.get(&at) {
                    return Some(d.clone());
                }
                let Some(Entry::Function(d)) = s.entry(at) else {
                    drop(cache);
                    return self.on_damage(name)?.functions.get(name).cloned();
                };
                let d = Arc::new(d);
                cache.insert(at, d.clone());
                Some(d)
            }
        }
    }

    /// One entry of `kind`: from the parsed declarations, or decoded from the file.
    fn entry_of<T>(
        &self,
        kind: Kind,
        name: &str,
        parsed: impl Fn(&Declarations) -> Option<&T>,
        stored: impl FnOnce(Entry) -> Option<T>,
    ) -> Option<T>
    where
        T: Clone,
    {
        if let Some(d) = self.replacement() {
            return parsed(d).cloned();
        }
        match &self.inner {
            Inner::Parsed(d) => parsed(d).cloned(),
            Inner::Stored(s) => {
                let at = s.find(kind, name)?;
                match s.entry(at).and_then(stored) {
                    Some(v) => Some(v),
                    None => parsed(self.on_damage(name)?).cloned(),
                }
            }
        }
    }

    /// Why `name` cannot be called, if the headers define it as something uncallable.
    pub fn not_callable(&self, name: &str) -> Option<NotCallable> {
        self.entry_of(
            Kind::NotCallable,
            name,
            |d| d.not_callable.get(name),
            |e| match e {
                Entry::NotCallable(n) => Some(n),
                _ => None,
            },
        )
    }

    /// The layout of struct or union `name`, when the headers complete it.
    pub fn record(&self, name: &str) -> Option<Record> {
        self.entry_of(
            Kind::Record,
            name,
            |d| d.records.get(name),
            |e| match e {
                Entry::Record(r) => Some(r),
                _ => None,
            },
        )
    }

    /// A constant (macro or enumerator).
    pub fn constant(&self, name: &str) -> Option<Constant> {
        self.entry_of(
            Kind::Constant,
            name,
            |d| d.constants.get(name),
            |e| match e {
                Entry::Constant(c) => Some(c),
                _ => None,
            },
        )
    }

    /// A global variable.
    pub fn global(&self, name: &str) -> Option<Global> {
        self.entry_of(
            Kind::Global,
            name,
            |d| d.globals.get(name),
            |e| match e {
                Entry::Global(g) => Some(g),
                _ => None,
            },
        )
    }

    /// The type a typedef name stands for.
    pub fn typedef(&self, name: &str) -> Option<CType> {
        self.entry_of(
            Kind::Typedef,
            name,
            |d| d.typedefs.get(name),
            |e| match e {
                Entry::Typedef(t) => Some(t),
                _ => None,
            },
        )
    }

    /// The type a written signature names that is not C's own (see
    /// [`sig::Signature::parse_with`](ffi_auto_sig::Signature::parse_with)): `struct msghdr`
    /// or `union sigval` by its tag, `fd_set` or `pid_t` by its typedef. A struct by value
    /// is laid out; `None` for a name the set does not declare.
    pub fn resolve_type(&self, spelled: &str) -> Option<CType> {
        crate::decl::resolve_type(spelled, &|n| self.record(n), &|n| self.opaque(n), &|n| {
            self.typedef(n)
        })
    }

    /// The names of every global variable.
    pub fn global_names(&self) -> Vec<String> {
        self.kind_names(Kind::Global)
    }

    /// A struct declared but not defined.
    pub fn opaque(&self, name: &str) -> Option<OpaqueDecl> {
        self.entry_of(
            Kind::Opaque,
            name,
            |d| d.opaque.get(name),
            |e| match e {
                Entry::Opaque(o) => Some(o),
                _ => None,
            },
        )
    }

    /// Whether `tag` names a union (complete or not) of the set: what a C compiler must be
    /// told where the tag is spelled.
    pub fn is_union(&self, tag: &str) -> bool {
        self.resolve_type(&format!("union {tag}")).is_some()
    }

    /// The names of every complete struct and union.
    pub fn record_names(&self) -> Vec<String> {
        self.kind_names(Kind::Record)
    }

    /// The names of every opaque (declared, never defined) struct.
    pub fn opaque_names(&self) -> Vec<String> {
        self.kind_names(Kind::Opaque)
    }

    /// The names of every constant.
    pub fn constant_names(&self) -> Vec<String> {
        self.kind_names(Kind::Constant)
    }

    fn kind_names(&self, kind: Kind) -> Vec<String> {
        match &self.inner {
            Inner::Parsed(d) => match kind {
                Kind::Record => d.records.keys().cloned().collect(),
                Kind::Constant => d.constants.keys().cloned().collect(),
                Kind::Opaque => d.opaque.keys().cloned().collect(),
                Kind::Function => d.functions.keys().cloned().collect(),
                Kind::NotCallable => d.not_callable.keys().cloned().collect(),
                Kind::Global => d.globals.keys().cloned().collect(),
                Kind::Typedef => d.typedefs.keys().cloned().collect(),
            },
            Inner::Stored(s) => s
                .index
                .iter()
                .filter(|i| i.kind == kind)
                .map(|i| s.name(i).to_owned())
                .collect(),
        }
    }

    /// Every callable and uncallable name.
    pub fn names(&self) -> Vec<String> {
        match &self.inner {
            Inner::Parsed(d) => d
                .functions
                .keys()
                .chain(d.not_callable.keys())
                .cloned()
                .collect(),
            Inner::Stored(s) => s
                .index
                .iter()
                .filter(|i| matches!(i.kind, Kind::Function | Kind::NotCallable))
                .map(|i| s.name(i).to_owned())
                .collect(),
        }
    }

    /// The top-level headers of the set, as found.
    pub fn headers(&self) -> &[PathBuf] {
        match &self.inner {
            Inner::Parsed(d) => &d.headers,
            Inner::Stored(s) => &s.headers,
        }
    }

    /// Every file read.
    pub fn deps(&self) -> &[Dep] {
        match &self.inner {
            Inner::Parsed(d) => &d.deps,
            Inner::Stored(s) => &s.deps,
        }
    }

    /// Everything, decoded (once).
    pub fn all(&self) -> Arc<Declarations> {
        if let Some(d) = self.replacement() {
            return d.clone();
        }
        self.all
            .get_or_init(|| match &self.inner {
                Inner::Parsed(d) => d.clone(),
                Inner::Stored(s) => {
                    let mut out = Declarations {
                        headers: s.headers.clone(),
                        api: s.api.clone(),
                        deps: s.deps.clone(),
                        target: s.target.clone(),
                        ..Declarations::default()
                    };
                    for (at, i) in s.index.iter().enumerate() {
                        let name = s.name(i).to_owned();
                        match s.entry(at) {
                            Some(Entry::Function(d)) => {
                                out.functions.insert(name, Arc::new(d));
                            }
                            Some(Entry::NotCallable(n)) => {
                                out.not_callable.insert(name, n);
                            }
                            Some(Entry::Record(r)) => {
                                out.records.insert(name, r);
                            }
                            Some(Entry::Constant(c)) => {
                                out.constants.insert(name, c);
                            }
                            Some(Entry::Opaque(o)) => {
                                out.opaque.insert(name, o);
                            }
                            Some(Entry::Global(g)) => {
                                out.globals.insert(name, g);
                            }
                            Some(Entry::Typedef(t)) => {
                                out.typedefs.insert(name, t);
                            }
                            None => {
                                if let Some(d) = self.on_damage(&name) {
                                    return d.clone();
                                }
                            }
                        }
                    }
                    Arc::new(out)
                }
            })
            .clone()
    }

    /// `name`, or why not.
    ///
    /// # Errors
    /// [`DiscoveryError::NotFound`] naming `set` and the closest names, or
    /// [`DiscoveryError::NotCallable`].
    pub fn lookup(&self, set: &HeaderSet, name: &str) -> Result<Arc<Decl>, DiscoveryError> {
        if let Some(d) = self.function(name) {
            return Ok(d);
        }
        if let Some(Err(why)) = self.damaged.get() {
            return Err(DiscoveryError::Internal(format!(
                "the signature database for {} is damaged ({why}); delete it, or regenerate a committed one with `ffi-auto prepare`",
                set.describe()
            )));
        }
        if let Some(n) = self.not_callable(name) {
            return Err(DiscoveryError::NotCallable {
                name: n.name,
                reason: n.reason,
                header: n.header,
                line: n.line,
            });
        }
        Err(DiscoveryError::NotFound {
            name: name.to_owned(),
            set: set.describe(),
            closest: crate::decl::closest(name, self.names().iter().map(String::as_str)),
        })
    }
}
