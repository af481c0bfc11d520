//! Prepared libffi call interfaces (CIFs), shared by every function with the same ABI shape.

use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex, PoisonError};

use libffi::middle::{Cif, Type};

use crate::class::Abi;

/// The ABI shape of a call: what the CIF cache is keyed on.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) struct CifKey {
    pub ret: Abi,
    pub args: Box<[Abi]>,
    /// For a variadic function, the number of fixed arguments.
    pub fixed: Option<usize>,
}

/// A prepared `ffi_cif` together with the type storage it points into.
#[derive(Debug)]
pub(crate) struct PreparedCif {
    cif: Cif,
}

// SAFETY: after `ffi_prep_cif` returns, libffi only reads a CIF (`ffi_call` takes it by pointer
// but does not write it), and the `Cif` owns the type arrays it points into, which are never
// mutated. Sharing it between threads is therefore sound.
unsafe impl Send for PreparedCif {}
// SAFETY: as above.
unsafe impl Sync for PreparedCif {}

impl PreparedCif {
    fn new(key: &CifKey) -> Result<PreparedCif, String> {
        let _span = tracing::debug_span!(target: "ffi_auto::cif", "prepare_cif", args = key.args.len(), variadic = key.fixed.is_some()).entered();
        let args = key.args.iter().map(|a| ffi_type(*a)).collect::<Vec<_>>();
        let ret = ffi_type(key.ret);
        let cif = match key.fixed {
            None => Cif::try_new(args, ret),
            Some(fixed) => Cif::try_new_variadic(args, fixed, ret),
        };
        cif.map(|cif| PreparedCif { cif })
            .map_err(|e| format!("{e:?}"))
    }

    /// The raw CIF, for `ffi_call`.
    pub(crate) fn raw(&self) -> *mut libffi::low::ffi_cif {
        self.cif.as_raw_ptr()
    }
}

/// The libffi type of an ABI class (the one place classes become libffi types).
pub(crate) fn ffi_type(a: Abi) -> Type {
    match a {
        Abi::Void => Type::void(),
        Abi::I8 => Type::i8(),
        Abi::U8 => Type::u8(),
        Abi::I16 => Type::i16(),
        Abi::U16 => Type::u16(),
        Abi::I32 => Type::i32(),
        Abi::U32 => Type::u32(),
        Abi::I64 => Type::i64(),
        Abi::U64 => Type::u64(),
        Abi::F32 => Type::f32(),
        Abi::F64 => Type::f64(),
        Abi::Int128 => crate::int128::ffi_type(),
        Abi::LongDouble => Type::longdouble(),
        Abi::Ptr => Type::pointer(),
        Abi::Record(id) => crate::layout::ffi_record(id),
    }
}

static CACHE: LazyLock<Mutex<HashMap<CifKey, Arc<PreparedCif>>>> = LazyLock::new(Mutex::default);

/// The shared CIF for `key`, prepared on first use.
pub(crate) fn get(key: CifKey) -> Result<Arc<PreparedCif>, String> {
    let mut cache = CACHE.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some(c) = cache.get(&key) {
        return Ok(c.clone());
    }
    let cif = Arc::new(PreparedCif::new(&key)?);
    cache.insert(key, cif.clone());
    Ok(cif)
}

/// How many distinct CIFs have been prepared in this process.
///
/// Every function with the same ABI shape (return and argument types after classification)
/// shares one CIF, so this stays small however many functions are prepared.
///
/// ```
/// use ffi_auto_runtime::{find_symbol, Function, sig::Signature, introspect::cif_cache_len};
/// let sig: Signature = "double (double)".parse().unwrap();
/// // SAFETY: `sin` and `cos` are `double (double)` in <math.h>.
/// let sin = unsafe { Function::new(find_symbol("sin", Some("m")).unwrap(), "sin", sig.clone()) }.unwrap();
/// let before = cif_cache_len();
/// let cos = unsafe { Function::new(find_symbol("cos", Some("m")).unwrap(), "cos", sig) }.unwrap();
/// assert_eq!(cif_cache_len(), before);
/// ```
pub fn cif_cache_len() -> usize {
    CACHE.lock().unwrap_or_else(PoisonError::into_inner).len()
}

/// Held by unit tests that prepare call interfaces, so that the cache's length moves only with
/// the test that watches it.
#[cfg(test)]
pub(crate) static TEST_LOCK: Mutex<()> = Mutex::new(());

#[cfg(test)]
mod tests {
    use ffi_auto_sig::Signature;

    use super::*;
    use crate::call::Plan;

    /// The shared CIF of `sig`'s plan.
    fn cif_of(sig: &str) -> Arc<PreparedCif> {
        let sig: Signature = sig.parse().unwrap();
        let Ok(plan) = Plan::new(&sig) else {
            panic!("`{sig}` cannot be prepared");
        };
        plan.cif
    }

    #[test]
    fn signatures_of_one_shape_share_a_cif_and_others_do_not() {
        let _lock = TEST_LOCK.lock().unwrap_or_else(PoisonError::into_inner);
        // Shapes no other test prepares, so each first use is a new entry.
        let first =
            "unsigned short (unsigned char, float, short, double, unsigned char, float, short)";
        let before = cif_cache_len();
        let a = cif_of(first);
        assert_eq!(cif_cache_len(), before + 1);

        // The same classes spelled otherwise: `_Bool` is passed as an `unsigned char`,
        // `int16_t` is a `short`, typedefs are what they name.
        let same = [
            first,
            "uint16_t (_Bool, float, int16_t, double, uint8_t, float, short)",
            "unsigned short (bool, float, signed short, double, unsigned char, float, int16_t)",
        ];
        for sig in same {
            assert!(Arc::ptr_eq(&a, &cif_of(sig)), "{sig}");
        }
        assert_eq!(cif_cache_len(), before + 1);

        // One ABI type changed anywhere, or the fixed count of a variadic function: another
        // shape, each prepared once.
        let others = [
            // A parameter's signedness.
            "unsigned short (unsigned char, float, unsigned short, double, unsigned char, float, short)",
            // A parameter's width.
            "unsigned short (unsigned char, float, short, double, unsigned char, double, short)",
            // The return.
            "short (unsigned char, float, short, double, unsigned char, float, short)",
            // One parameter fewer.
            "unsigned short (unsigned char, float, short, double, unsigned char, float)",
            // Variadic after the same fixed parameters.
            "unsigned short (unsigned char, float, short, double, unsigned char, float, short, ...)",
            // A pointer where an integer was.
            "unsigned short (unsigned char, float, short, double, const char *, float, short)",
        ];
        let mut cifs = vec![a];
        for (i, sig) in others.iter().enumerate() {
            let c = cif_of(sig);
            assert!(cifs.iter().all(|o| !Arc::ptr_eq(o, &c)), "{sig}");
            assert_eq!(cif_cache_len(), before + 2 + i, "{sig}");
            cifs.push(c);
        }
        // Asked again, each is found, not prepared.
        for (sig, c) in std::iter::once(&first).chain(&others).zip(&cifs) {
            assert!(Arc::ptr_eq(c, &cif_of(sig)), "{sig}");
        }
        // Any pointer is one pointer: `void *`, `int *` and `char **` share.
        let p =
            cif_of("unsigned short (unsigned char, float, short, double, void *, float, short)");
        for sig in [
            "unsigned short (unsigned char, float, short, double, int *, float, short)",
            "unsigned short (unsigned char, float, short, double, char **, float, short)",
        ] {
            assert!(Arc::ptr_eq(&p, &cif_of(sig)), "{sig}");
        }
        assert!(Arc::ptr_eq(&p, &cifs[6]));
        assert_eq!(cif_cache_len(), before + 1 + others.len());
    }
}
