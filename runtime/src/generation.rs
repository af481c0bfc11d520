//! The generation of what by-name calls resolve against: signature sources, the header set and
//! the library search order. A leaf module: configuration (`library`, `resolve`, `discovery`)
//! bumps it and the by-name cache (`dynamic`) compares against it, so neither side depends on
//! the other.

use std::sync::atomic::{AtomicU64, Ordering};

static GENERATION: AtomicU64 = AtomicU64::new(0);

/// Makes every handle cached by name stale (signatures or the search order changed).
pub(crate) fn invalidate() {
    GENERATION.fetch_add(1, Ordering::AcqRel);
}

/// The current generation.
#[cfg(feature = "dynamic")]
pub(crate) fn current() -> u64 {
    GENERATION.load(Ordering::Acquire)
}
