//! Calls by name (the original's `ffi-call`): the first call finds the signature and the
//! symbol and prepares a [`Function`]; later calls cost one hash lookup in a per-thread cache.

use std::cell::{Cell, UnsafeCell};
use std::collections::HashMap;
use std::sync::{LazyLock, PoisonError, RwLock};

use hashbrown::HashTable;
use rustc_hash::FxBuildHasher;

use crate::arg::{Args, SafeArgs};
use crate::error::{Error, Result};
use crate::function::Function;
use crate::library::find_symbol;
use crate::resolve::find_with_provenance;
use crate::ret::FromRet;
use crate::track::Via;
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

/// Prepared handles shared by all threads, with the generation they were prepared in
/// (`crate::generation`): a table of an older generation is stale and cleared on next use.
static SHARED: LazyLock<RwLock<(u64, Shared)>> = LazyLock::new(RwLock::default);

/// (name, library or "") -> handle.
type Shared = HashMap<(Box<str>, Box<str>), Function, FxBuildHasher>;

/// Direct-mapped slots in front of each thread's table.
const WAYS: usize = 64;

thread_local! {
    /// Each thread's front of its cache: what a hit reads. No destructor, so reaching it is a
    /// plain thread-local access (a thread-local with one checks its state on every access).
    static LOCAL: Local = const { Local::new() };
    /// Each thread's own table of the handles it used, so a cached call takes no lock. Its
    /// destructor nulls `LOCAL`'s slots before the entries go.
    static TABLE: Table = const { Table(UnsafeCell::new(HashTable::new())) };
}

/// The table owning one thread's entries.
struct Table(UnsafeCell<HashTable<Box<Entry>>>);

impl Drop for Table {
    fn drop(&mut self) {
        // The entries are about to be freed: no slot may point to them any more. (`LOCAL` has
        // no destructor, so it is reachable while this one runs; a call through an entry
        // cannot be running, since thread-local destructors run after the thread's code.)
        let _ = LOCAL.try_with(|l| {
            for s in &l.slots {
                s.set(std::ptr::null());
            }
        });
    }
}

/// One thread's cache of prepared handles.
///
/// Entries are boxed and never removed one by one, so a `&Entry` stays valid while the table
/// grows; the whole table is cleared only when no call is using an entry (`busy == 0`). A
/// by-name call therefore finds its entry, marks it busy, and calls through it in the caller's
/// own frame, with no lock, no reference count and no closure in between; a callback that
/// calls by name meanwhile may add entries but never clears them.
struct Local {
    generation: Cell<u64>,
    /// Calls in progress through entries of this table.
    busy: Cell<usize>,
    /// A direct-mapped cache of the entries last found, indexed by hash: a hit costs one load
    /// and the key comparison. Every pointer is null or points into a box `TABLE` owns.
    slots: [Cell<*const Entry>; WAYS],
}

/// Runs `f` on this thread's table (`None` during thread teardown, once it is gone).
fn with_table<T>(f: impl FnOnce(&UnsafeCell<HashTable<Box<Entry>>>) -> T) -> Option<T> {
    TABLE.try_with(|t| f(&t.0)).ok()
}

impl Local {
    const fn new() -> Local {
        Local {
            generation: Cell::new(0),
            busy: Cell::new(0),
            slots: [const { Cell::new(std::ptr::null()) }; WAYS],
        }
    }

    /// The entry for a key, if this thread has it.
    #[inline(always)]
    fn find(&self, hash: u64, key: &Key, name: &str, library: &str) -> Option<&Entry> {
        let slot = &self.slots[(hash as usize) % WAYS];
        // SAFETY: a non-null slot points into a box owned by `self.table`; boxes are dropped
        // only by `clear`, which nulls every slot first.
        if let Some(e) = unsafe { slot.get().as_ref() }
            && key.matches(e, name, library)
        {
            return Some(e);
        }
        self.find_in_table(hash, key, name, library)
    }

    #[inline(never)]
    fn find_in_table(&self, hash: u64, key: &Key, name: &str, library: &str) -> Option<&Entry> {
        let e: *const Entry = with_table(|t| {
            // SAFETY: no exclusive borrow of the table is alive (they exist only inside
            // `insert` and `clear`, which call nothing that could reach here).
            let table = unsafe { &*t.get() };
            table
                .find(hash, |e| key.matches(e, name, library))
                .map(|e| std::ptr::from_ref::<Entry>(e))
        })??;
        self.slots[(hash as usize) % WAYS].set(e);
        // SAFETY: the entry lives in its own box, which outlives this borrow: it is dropped
        // only by `clear`, which requires `busy == 0` and `&self` callers to be done with it,
        // or with the table at thread exit, after the thread's code.
        Some(unsafe { &*e })
    }

    fn insert(&self, hash: u64, entry: Box<Entry>) {
        let p = std::ptr::from_ref::<Entry>(&entry);
        let stored = with_table(|t| {
            // SAFETY: no other borrow of the table itself is alive (see `Table`); entries
            // already handed out live in their own boxes, which growing the table does not
            // move.
            unsafe { &mut *t.get() }.insert_unique(hash, entry, |e| e.key.hash());
        });
        // Only an entry the table owns may be in a slot.
        if stored.is_some() {
            self.slots[(hash as usize) % WAYS].set(p);
        }
    }

    /// Drops every entry; only when no call is using one.
    fn clear(&self) -> bool {
        if self.busy.get() != 0 {
            return false;
        }
        for s in &self.slots {
            s.set(std::ptr::null());
        }
        // SAFETY: `busy == 0`, so no `&Entry` from this table is in use, and no other borrow
        // of the table itself is alive.
        with_table(|t| unsafe { &mut *t.get() }.clear());
        true
    }
}

struct Entry {
    key: Key,
    /// What the direct tier needs of `func`, kept here so that a direct call by name reads
    /// the entry only.
    direct: crate::direct::Direct,
    name: Box<str>,
    library: Box<str>,
    func: Function,
}

/// Marks a thread's cache busy for the duration of one call through one of its entries.
struct InUse<'a>(&'a Local);

impl<'a> InUse<'a> {
    #[inline(always)]
    fn new(local: &'a Local) -> InUse<'a> {
        local.busy.set(local.busy.get() + 1);
        InUse(local)
    }
}

impl Drop for InUse<'_> {
    #[inline(always)]
    fn drop(&mut self) {
        self.0.busy.set(self.0.busy.get() - 1);
    }
}

/// A string's length and bytes packed into three words. For strings of up to 16 bytes it is an
/// exact encoding (equal packs mean equal strings), so the common short names are compared with
/// three word comparisons and no call; longer strings also compare their bytes.
#[derive(Clone, Copy, PartialEq, Eq)]
struct Packed {
    len: usize,
    head: u64,
    tail: u64,
}

impl Packed {
    const EXACT: usize = 16;

    #[inline(always)]
    fn new(s: &str) -> Packed {
        let b = s.as_bytes();
        let len = b.len();
        let (head, tail) = match (b.first_chunk::<8>(), b.last_chunk::<8>()) {
            // 8 bytes or more: the first and the last eight (overlapping below 16).
            (Some(h), Some(t)) => (u64::from_le_bytes(*h), u64::from_le_bytes(*t)),
            _ => match (b.first_chunk::<4>(), b.last_chunk::<4>()) {
                // 4 to 7 bytes: the first and the last four cover them all.
                (Some(h), Some(t)) => (
                    u64::from(u32::from_le_bytes(*h)),
                    u64::from(u32::from_le_bytes(*t)),
                ),
                // 1 to 3 bytes: the first, middle and last cover them all.
                _ if len > 0 => (
                    u64::from(b[0]) | u64::from(b[len / 2]) << 8 | u64::from(b[len - 1]) << 16,
                    0,
                ),
                _ => (0, 0),
            },
        };
        Packed { len, head, tail }
    }
}

/// The lookup key: both strings packed.
#[derive(Clone, Copy, PartialEq, Eq)]
struct Key {
    name: Packed,
    library: Packed,
}

impl Key {
    #[inline(always)]
    fn new(name: &str, library: &str) -> Key {
        Key {
            name: Packed::new(name),
            library: Packed::new(library),
        }
    }

    #[inline(always)]
    fn hash(&self) -> u64 {
        // A hash of part of the key is enough: equality compares all of it. Two multiplies
        // (FxHash's constant), and a final fold so that the top bits hashbrown uses for its
        // control bytes depend on everything mixed in.
        const K: u64 = 0xf135_7aea_2e62_a9c5;
        let a = self.name.head ^ self.name.tail.rotate_left(32) ^ (self.name.len as u64);
        let b = self.library.head ^ self.library.tail.rotate_left(32) ^ (self.library.len as u64);
        let h = (a.wrapping_mul(K).rotate_left(26) ^ b).wrapping_mul(K);
        h ^ (h >> 29)
    }

    /// Whether `entry` is for these strings.
    #[inline(always)]
    fn matches(&self, entry: &Entry, name: &str, library: &str) -> bool {
        *self == entry.key
            && (self.name.len <= Packed::EXACT && self.library.len <= Packed::EXACT
                || long_match(entry, name, library))
    }
}

/// Whole-string comparison for keys longer than their packed form.
#[cold]
#[inline(never)]
fn long_match(entry: &Entry, name: &str, library: &str) -> bool {
    *entry.name == *name && *entry.library == *library
}

/// The direct tier by name (`crate::direct`): a hit in this thread's slots whose entry's code
/// is these types' calls the function right here, reading nothing but the entry. `None` for
/// anything else (a miss, another code, a stale table), which takes the ordinary path.
#[inline(always)]
fn by_name_direct<A: Args, R: FromRet>(
    target: Target<'_>,
    key: &Key,
    hash: u64,
    args: &A,
) -> Option<R> {
    if crate::direct::with_ret(A::DIRECT_CODE, R::DIRECT) == 0 {
        return None;
    }
    let l = this_thread()?;
    if l.generation.get() != crate::generation::current() {
        return None;
    }
    // SAFETY: a non-null slot points into a box the table owns (see `Local::find`).
    let e = unsafe { l.slots[(hash as usize) % WAYS].get().as_ref() }?;
    let (name, library) = (target.name, target.library.unwrap_or(""));
    if !key.matches(e, name, library) || !e.direct.takes::<A, R>() {
        return None;
    }
    let _in_use = InUse::new(l);
    // SAFETY: `takes` holds; the entry (and the library its `func` holds) stays alive while
    // `busy` is raised.
    Some(unsafe { e.direct.call(args) })
}

/// This thread's cache front. `LOCAL` has no destructor: `try_with` always succeeds, with no
/// state to check.
#[inline(always)]
fn this_thread() -> Option<&'static Local> {
    let local: *const Local = LOCAL.try_with(std::ptr::from_ref).ok()?;
    // SAFETY: a thread-local lives until its thread ends, which cannot happen while this
    // thread runs; `Local` is not `Sync`, so the reference cannot reach another thread.
    Some(unsafe { &*local })
}

/// The lookup key of a target, and its hash.
#[inline(always)]
fn key_of(target: Target<'_>) -> (Key, u64) {
    let key = Key::new(target.name, target.library.unwrap_or(""));
    let hash = key.hash();
    (key, hash)
}

/// Runs `f` on the prepared handle for `target`, preparing it on first use.
#[inline(always)]
fn with_function<T>(
    target: Target<'_>,
    f: impl FnOnce(&Function) -> Result<T, Box<Error>>,
) -> Result<T, Box<Error>> {
    let (key, hash) = key_of(target);
    with_key(target, key, hash, f)
}

/// [`with_function`] with the key already computed.
#[inline(always)]
fn with_key<T>(
    target: Target<'_>,
    key: Key,
    hash: u64,
    f: impl FnOnce(&Function) -> Result<T, Box<Error>>,
) -> Result<T, Box<Error>> {
    let (name, library) = (target.name, target.library.unwrap_or(""));
    let local = this_thread();
    if let Some(l) = local
        && l.generation.get() == crate::generation::current()
        && let Some(e) = l.find(hash, &key, name, library)
    {
        let _in_use = InUse::new(l);
        return f(&e.func);
    }
    let func = miss(local, target, key, hash)?;
    f(&func)
}

/// A handle not in this thread's table yet: from the shared table, or prepared; then added.
#[cold]
#[inline(never)]
fn miss(
    local: Option<&Local>,
    target: Target<'_>,
    key: Key,
    hash: u64,
) -> Result<Function, Box<Error>> {
    let generation = crate::generation::current();
    let func = shared_or_prepare(target, generation).map_err(Box::new)?;
    let Some(l) = local else {
        return Ok(func);
    };
    if l.generation.get() != generation {
        if !l.clear() {
            // A call through an older entry is still running (this is a callback inside
            // it): leave the table alone; this call goes uncached.
            return Ok(func);
        }
        l.generation.set(generation);
    }
    let (name, library) = (target.name, target.library.unwrap_or(""));
    if l.find(hash, &key, name, library).is_none() {
        l.insert(
            hash,
            Box::new(Entry {
                key,
                direct: func.direct(),
                name: name.into(),
                library: library.into(),
                func: func.clone(),
            }),
        );
    }
    Ok(func)
}

/// The shared handle for `target` in `generation`, prepared on first use.
#[cold]
fn shared_or_prepare(target: Target<'_>, generation: u64) -> Result<Function> {
    let owned: (Box<str>, Box<str>) = (target.name.into(), target.library.unwrap_or("").into());
    {
        let shared = SHARED.read().unwrap_or_else(PoisonError::into_inner);
        if shared.0 == generation
            && let Some(f) = shared.1.get(&owned)
        {
            return Ok(f.clone());
        }
    }
    let func = prepare_uncached(target)?;
    let mut shared = SHARED.write().unwrap_or_else(PoisonError::into_inner);
    if shared.0 != generation {
        if crate::generation::current() != generation {
            // The configuration changed while this one was prepared: use it, keep nothing.
            return Ok(func);
        }
        *shared = (generation, Shared::default());
    }
    // Two threads may prepare the same function at once; both handles are valid, and the
    // first one stored is the one everybody shares from then on.
    Ok(shared.1.entry(owned).or_insert(func).clone())
}

fn prepare_uncached(target: Target<'_>) -> Result<Function> {
    // Name rules first, before any signature or symbol is looked for. (A rule scoped by
    // library waits for the library; `Function::build` checks everything again.)
    let libs = target
        .library
        .map(|l| crate::policy::library_names(Some(l), None));
    let v = crate::policy::check_call(target.name, libs.as_deref(), None);
    if !v.allowed {
        let _ = crate::audit::emit(&crate::audit::Event::Refused {
            what: target.name,
            rule: &v.rule,
        });
        return Err(Error::Refused {
            what: target.name.to_owned(),
            rule: v.rule,
            hint: v.hint,
        });
    }
    let (found, provenance) = find_with_provenance(target.name, target.library)?;
    // The name the linker sees is a function too (`__isoc99_sscanf` for `sscanf`): a rule
    // naming it applies.
    if let Some(link) = found.link_name.as_deref().filter(|l| *l != target.name) {
        let v = crate::policy::check_call(link, libs.as_deref(), None);
        if !v.allowed {
            return Err(Error::Refused {
                what: format!("{} (linked as {link})", target.name),
                rule: v.rule,
                hint: v.hint,
            });
        }
    }
    if let (Some(addr), None) = (found.addr, target.library) {
        // A function the macros linked into the program: its address is known.
        // SAFETY: a linked function's address is valid for the program's life, and its
        // signature was checked against the header at compile time.
        let code = unsafe {
            std::mem::transmute::<*const std::ffi::c_void, unsafe extern "C" fn()>(
                addr as *const std::ffi::c_void,
            )
        };
        return Function::build(
            code,
            None,
            target.name,
            found.signature,
            found.origin,
            provenance,
        );
    }
    // Where the source says the function is wins: a `static inline` function named with its
    // library (`("io_uring_prep_read", "uring")`) is in the shim library, which links that one.
    let library = found.library.as_deref().or(target.library);
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
        provenance,
    )
}

/// The prepared handle for `target`: signature found through the source chain, symbol through
/// the library search, call interface prepared, all once (the original's `ffi-call-cached`).
///
/// ```
/// use ffi_auto_runtime::{prepare, config::registry};
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
    with_function(target.into(), |f| Ok(f.clone())).map_err(|e| *e)
}

/// Calls a C function by name with safe arguments (the original's `ffi-call`).
///
/// ```
/// use ffi_auto_runtime::{ffi_call, config::registry};
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
    let target = target.into();
    let (key, hash) = key_of(target);
    if let Some(r) = by_name_direct(target, &key, hash, &args) {
        return Ok(r);
    }
    with_key(
        target,
        key,
        hash,
        #[inline(always)]
        |f| f.call_boxed(args, Via::Name),
    )
    .map_err(|e| *e)
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
    with_function(target.into(), |f| unsafe {
        f.call_raw_boxed(args, Via::Name)
    })
    .map_err(|e| *e)
}

/// Calls a C function by name and returns `errno` with its value (see
/// [`Function::call_errno`]).
///
/// # Errors
/// As [`ffi_call`].
pub fn ffi_call_errno<'a, R: FromRet>(
    target: impl Into<Target<'a>>,
    args: impl SafeArgs,
) -> Result<(R, crate::Errno)> {
    with_function(target.into(), |f| f.call_errno_via(args, Via::Name)).map_err(|e| *e)
}

/// [`ffi_call_errno`] with any arguments.
///
/// # Safety
/// As [`Function::call_raw`].
///
/// # Errors
/// As [`ffi_call`].
pub unsafe fn ffi_call_raw_errno<'a, R: FromRet>(
    target: impl Into<Target<'a>>,
    args: impl Args,
) -> Result<(R, crate::Errno)> {
    with_function(target.into(), |f| {
        // SAFETY: the caller vouches for the pointer arguments.
        unsafe { f.call_raw_errno_via(args, Via::Name) }
    })
    .map_err(|e| *e)
}

/// Calls a C function by name with dynamic values.
///
/// # Errors
/// As [`ffi_call`].
pub fn ffi_call_values<'a>(
    target: impl Into<Target<'a>>,
    args: &[Value<'_>],
) -> Result<Value<'static>> {
    with_function(
        target.into(),
        #[inline(always)]
        |f| f.call_values_via(args, Via::Name),
    )
    .map_err(|e| *e)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A string of `len` bytes, all different from their neighbours (`a`, `b`, ... cycling).
    fn name(len: usize) -> String {
        (0..len)
            .map(|i| char::from(b'a' + (i % 26) as u8))
            .collect()
    }

    /// `s` with its byte `i` replaced by another letter.
    fn changed(s: &str, i: usize) -> String {
        let mut b = s.as_bytes().to_vec();
        b[i] = if b[i] == b'Z' { b'Y' } else { b'Z' };
        String::from_utf8(b).unwrap()
    }

    /// Whether a byte at `i` of a string of `len` bytes is inside its packed form.
    fn packed(len: usize, i: usize) -> bool {
        len <= Packed::EXACT || i < 8 || i >= len - 8
    }

    #[test]
    fn equal_strings_give_equal_keys_and_hashes() {
        for len in 0..=40 {
            // Two allocations of the same string.
            let (a, b) = (name(len), name(len));
            for lib in ["", "m", "libffiauto_fixture.so", a.as_str()] {
                let lib_copy = lib.to_owned();
                let (k1, k2) = (Key::new(&a, lib), Key::new(&b, &lib_copy));
                assert!(k1 == k2, "{a:?} in {lib:?}");
                assert_eq!(k1.hash(), k2.hash(), "{a:?} in {lib:?}");
            }
        }
    }

    #[test]
    fn every_byte_of_a_short_string_and_every_length_is_in_its_key() {
        for len in 0..=40 {
            let s = name(len);
            for lib in ["", "c", "/usr/lib/x86_64-linux-gnu/libz.so.1"] {
                let key = Key::new(&s, lib);
                // The length: a string one longer or shorter with the same first bytes.
                for other in [
                    name(len + 1),
                    s.chars().take(len.saturating_sub(1)).collect(),
                ] {
                    if other.len() != len {
                        assert!(Key::new(&other, lib) != key, "{s:?} / {other:?}");
                    }
                }
                // Each byte: exactly the bytes the packing holds change the key. Up to 16
                // bytes that is all of them; beyond, the middle ones are told apart by
                // `long_match`.
                for i in 0..len {
                    let other = changed(&s, i);
                    assert_eq!(
                        Key::new(&other, lib) != key,
                        packed(len, i),
                        "{s:?} / {other:?}"
                    );
                    // The same for the library name.
                    assert_eq!(
                        Key::new(lib, &other) != Key::new(lib, &s),
                        packed(len, i),
                        "library {s:?} / {other:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn name_and_library_are_packed_apart() {
        let keys = [
            Key::new("sin", ""),
            Key::new("sin", "m"),
            Key::new("sin", "c"),
            Key::new("m", "sin"),
            Key::new("si", "nm"),
            Key::new("sinm", ""),
            Key::new("", "sin"),
            Key::new("", ""),
        ];
        for (i, a) in keys.iter().enumerate() {
            for (j, b) in keys.iter().enumerate() {
                assert_eq!(a == b, i == j, "keys {i} and {j}");
            }
        }
        // For one name, the hash tells every library apart (it is injective in each half).
        let mut hashes: Vec<u64> = ["", "c", "m", "z", "libc.so.6", "libm.so.6", "pthread"]
            .iter()
            .map(|lib| Key::new("strlen", lib).hash())
            .collect();
        hashes.sort_unstable();
        hashes.dedup();
        assert_eq!(hashes.len(), 7);
    }

    #[test]
    fn short_keys_alone_decide_and_long_ones_compare_the_bytes() {
        extern "C" fn one() -> i32 {
            1
        }
        let func = {
            // Preparing it may add a call interface; the CIF cache's own test counts them.
            let _lock = crate::cif::TEST_LOCK
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            Function::from_fn("one", one as extern "C" fn() -> i32).unwrap()
        };
        let entry = |n: &str, l: &str| Entry {
            key: Key::new(n, l),
            direct: func.direct(),
            name: n.into(),
            library: l.into(),
            func: func.clone(),
        };
        for len in [0, 1, 15, 16, 17, 24, 40] {
            let s = name(len);
            for lib in ["", "m"] {
                let e = entry(&s, lib);
                assert!(Key::new(&s, lib).matches(&e, &s, lib), "{s:?}");
                assert!(!Key::new(&s, "z").matches(&e, &s, "z"), "{s:?}");
                // A byte the key does not hold: the same key, told apart by the bytes.
                if len > Packed::EXACT {
                    let other = changed(&s, 8);
                    let key = Key::new(&other, lib);
                    assert!(key == e.key, "{other:?}");
                    assert!(!key.matches(&e, &other, lib), "{other:?}");
                    let long_lib = entry("f", &s);
                    let key = Key::new("f", &other);
                    assert!(key == long_lib.key && !key.matches(&long_lib, "f", &other));
                }
            }
        }
    }
}
