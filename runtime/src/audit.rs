//! Audit hooks (as Python's `sys.addaudithook` for ctypes): a callback the program installs
//! sees each library load, each first resolution of a function and each policy refusal, and
//! may veto a load or a resolution.
//!
//! Hooks run on the cold paths only (loading, first resolution, refusal): with none installed
//! those paths test one atomic flag, and calls never look. A hook cannot be removed (that
//! would loosen what it enforces); hooks run in the order added, and the first veto wins.
//!
//! ```
//! use std::sync::{Arc, Mutex};
//! use ffi_auto_runtime::{audit, ffi_call, Error};
//! let seen = Arc::new(Mutex::new(Vec::new()));
//! let log = seen.clone();
//! audit::add_hook(move |e: &audit::Event<'_>| {
//!     log.lock().unwrap().push(e.to_string());
//!     match e {
//!         audit::Event::Resolve { function: "getppid", .. } => Err("not in this program".into()),
//!         _ => Ok(()),
//!     }
//! });
//! let e = ffi_call::<i32>("getppid", ()).unwrap_err();
//! assert!(matches!(e, Error::Refused { .. }), "{e}");
//! assert!(seen.lock().unwrap().iter().any(|s| s.starts_with("resolve getppid")));
//! ```

use std::fmt;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, PoisonError, RwLock};

/// What a hook sees.
#[derive(Clone, Copy, Debug)]
#[non_exhaustive]
pub enum Event<'a> {
    /// A library is about to be used for the first time (opened by name or path).
    Load {
        /// The name it was requested by.
        library: &'a str,
        /// The file the loader chose, when known.
        path: Option<&'a Path>,
    },
    /// A function is resolved for the first time: its signature and address found, before
    /// anything calls it.
    Resolve {
        /// The function's name.
        function: &'a str,
        /// The library it was found in, when known.
        library: Option<&'a str>,
        /// Where its signature came from (`registry`, `compiled in`, a header and line).
        origin: &'a str,
    },
    /// The policy refused a call or a load (a hook cannot veto what is already refused).
    Refused {
        /// The function or library refused.
        what: &'a str,
        /// The rule that refused it.
        rule: &'a str,
    },
}

impl fmt::Display for Event<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Event::Load { library, path } => {
                write!(f, "load {library}")?;
                if let Some(p) = path {
                    write!(f, " ({})", p.display())?;
                }
                Ok(())
            }
            Event::Resolve {
                function,
                library,
                origin,
            } => write!(
                f,
                "resolve {function} in {} (signature: {origin})",
                library.unwrap_or("the default search")
            ),
            Event::Refused { what, rule } => write!(f, "refused {what}: {rule}"),
        }
    }
}

/// A hook: `Err(reason)` vetoes the load or resolution.
type Hook = Arc<dyn Fn(&Event<'_>) -> Result<(), String> + Send + Sync>;

static ANY: AtomicBool = AtomicBool::new(false);
static HOOKS: RwLock<Vec<Hook>> = RwLock::new(Vec::new());

/// Adds a hook. It runs on every later event, on whichever thread causes it, and must not
/// itself load libraries or resolve functions through ffi-auto (it would see its own
/// events). A panic in a hook is a veto.
pub fn add_hook(hook: impl Fn(&Event<'_>) -> Result<(), String> + Send + Sync + 'static) {
    HOOKS
        .write()
        .unwrap_or_else(PoisonError::into_inner)
        .push(Arc::new(hook));
    ANY.store(true, Ordering::Release);
    // Functions cached by name are resolved again, so the new hook sees them. (Handles the
    // program prepared and holds are its own; the hook sees what is prepared from now on.)
    crate::generation::invalidate();
}

/// Runs the hooks on `event`: `Err` with the first veto.
pub(crate) fn emit(event: &Event<'_>) -> Result<(), String> {
    if !ANY.load(Ordering::Acquire) {
        return Ok(());
    }
    let hooks: Vec<Hook> = HOOKS.read().unwrap_or_else(PoisonError::into_inner).clone();
    for h in hooks {
        match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| h(event))) {
            Ok(Ok(())) => {}
            Ok(Err(reason)) => return Err(reason),
            Err(_) => return Err("the audit hook panicked".to_owned()),
        }
    }
    Ok(())
}
