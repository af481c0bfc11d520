//! The switches every dynamic call reads, in one word: one relaxed load on the call path
//! covers forcing libffi, tracking, tracing and the policy's epoch (a handle approved under
//! an older policy is checked again before its next call).
//!
//! A handle (and a by-name cache entry) keeps the word it was approved under, flags clear;
//! a fast tier takes a call only when the word is still exactly that. Any flag set, or a
//! policy change, sends calls to the general path, which checks the policy again, records,
//! traces or forces libffi as the flags say.

use std::sync::atomic::{AtomicU64, Ordering};

static SWITCHES: AtomicU64 = AtomicU64::new(0);

/// Every call through libffi.
pub(crate) const LIBFFI_ONLY: u64 = 1;
/// Calls are counted and timed (`track`).
pub(crate) const TRACK: u64 = 2;
/// Calls are logged through `tracing` (`FFI_AUTO_TRACE=1`).
pub(crate) const TRACE: u64 = 4;
/// The flag bits; the policy epoch counts above them.
pub(crate) const FLAGS: u64 = 0xff;
const EPOCH_ONE: u64 = 0x100;

/// The switches (one relaxed load on the call path).
#[inline(always)]
pub(crate) fn word() -> u64 {
    SWITCHES.load(Ordering::Relaxed)
}

pub(crate) fn set(flag: u64, on: bool) {
    if on {
        SWITCHES.fetch_or(flag, Ordering::AcqRel);
    } else {
        SWITCHES.fetch_and(!flag, Ordering::AcqRel);
    }
}

/// The policy changed: every approval is stale.
pub(crate) fn policy_changed() {
    SWITCHES.fetch_add(EPOCH_ONE, Ordering::AcqRel);
}

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
    set(LIBFFI_ONLY, on);
}

/// Whether every call goes through libffi.
#[inline(always)]
pub(crate) fn libffi_only() -> bool {
    word() & LIBFFI_ONLY != 0
}
