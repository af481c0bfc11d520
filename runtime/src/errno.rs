//! C's `errno`: cleared before a call that reports errors through it, read right after.

use std::ffi::c_int;
use std::fmt;

/// The thread's `errno` location.
fn location() -> *mut c_int {
    #[cfg(any(target_os = "linux", target_os = "emscripten", target_os = "hurd"))]
    // SAFETY: glibc and musl return the calling thread's errno, always valid.
    let p = unsafe { libc::__errno_location() };
    #[cfg(any(
        target_vendor = "apple",
        target_os = "freebsd",
        target_os = "dragonfly"
    ))]
    // SAFETY: as above, for the BSD libcs.
    let p = unsafe { libc::__error() };
    #[cfg(any(target_os = "android", target_os = "netbsd", target_os = "openbsd"))]
    // SAFETY: as above.
    let p = unsafe { libc::__errno() };
    #[cfg(any(target_os = "solaris", target_os = "illumos"))]
    // SAFETY: as above.
    let p = unsafe { libc::___errno() };
    #[cfg(target_os = "haiku")]
    // SAFETY: as above.
    let p = unsafe { libc::_errnop() };
    p
}

/// Sets the calling thread's `errno`.
#[doc(hidden)]
pub fn set_errno(v: i32) {
    // SAFETY: `location` is the calling thread's errno, writable.
    unsafe { location().write(v) }
}

/// The calling thread's `errno`.
#[doc(hidden)]
pub fn errno() -> i32 {
    // SAFETY: as in `set_errno`.
    unsafe { location().read() }
}

/// The value of `errno` right after a call (which ffi-auto cleared to 0 right before it):
/// 0 when the function did not set it.
///
/// ```
/// use ffi_auto_runtime::{Errno, ffi_call_errno, config::registry};
/// // SAFETY: `long strtol(const char *, char **, int)` in <stdlib.h>.
/// unsafe { registry().register("strtol", None, "long (const char *, char ** _Nullable, int)".parse().unwrap()) };
/// let (v, e): (i64, Errno) = ffi_call_errno("strtol", ("99999999999999999999", None::<&str>, 10)).unwrap();
/// assert_eq!(v, i64::MAX);
/// assert_eq!(e.code(), libc::ERANGE);
/// assert!(e.to_string().contains("out of range"));
/// let (v, e): (i64, Errno) = ffi_call_errno("strtol", ("42", None::<&str>, 10)).unwrap();
/// assert_eq!((v, e.is_set()), (42, false));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Errno(pub i32);

impl Errno {
    /// The number (`libc::ENOENT`...).
    pub fn code(self) -> i32 {
        self.0
    }

    /// Whether the call set it.
    pub fn is_set(self) -> bool {
        self.0 != 0
    }

    /// As an `io::Error`, when set.
    pub fn to_io_error(self) -> Option<std::io::Error> {
        self.is_set()
            .then(|| std::io::Error::from_raw_os_error(self.0))
    }
}

impl fmt::Display for Errno {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_set() {
            write!(f, "{}", std::io::Error::from_raw_os_error(self.0))
        } else {
            f.write_str("errno not set")
        }
    }
}
