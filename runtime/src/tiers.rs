//! The policy switch over the call tiers: every call through libffi, for comparison or to
//! rule the faster tiers out while investigating a problem.

use std::sync::atomic::{AtomicBool, Ordering};

static LIBFFI_ONLY: AtomicBool = AtomicBool::new(false);

/// Makes every dynamic call go through libffi (`true`), or lets the direct and register tiers
/// take the calls they cover again (`false`, the default). The faster tiers give the same
/// results bit for bit (`tests/tiers.rs`); this is for measuring them against libffi, and for
/// ruling them out.
///
/// ```
/// use ffi_auto_runtime::{Function, find_symbol, sig::Signature, config::force_libffi};
/// let sig: Signature = "int (int)".parse().unwrap();
/// // SAFETY: `int abs(int)` in <stdlib.h>.
/// let abs = unsafe { Function::new(find_symbol("abs", None).unwrap(), "abs", sig) }.unwrap();
/// force_libffi(true);
/// assert!(!abs.is_direct::<i32, i32>());
/// assert_eq!(abs.call::<i32>(-3).unwrap(), 3);
/// force_libffi(false);
/// ```
pub fn force_libffi(on: bool) {
    LIBFFI_ONLY.store(on, Ordering::Relaxed);
}

/// Whether every call goes through libffi (one relaxed load on the call path).
#[inline(always)]
pub(crate) fn libffi_only() -> bool {
    LIBFFI_ONLY.load(Ordering::Relaxed)
}
