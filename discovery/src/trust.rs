//! Which files ffi-auto reads from a cache: only the current user's, writable by nobody else.
//!
//! A signature database says which symbol a name calls and with what types, so a planted one
//! runs code (a forged `strlen` entry naming `system`). The rule is OpenSSH's and git's: a
//! cache directory and every database in it must be owned by the current user and not
//! writable by group or others, and the directories above must not let anyone else replace
//! them (owned by the user or root, not world-writable unless sticky, as `/tmp` is).
//! Anything else is ignored with a warning, and nothing from it is used.

use std::fs::{File, Metadata};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::{LazyLock, Mutex, PoisonError};

/// Why a path is not trusted.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{path} is not used: {why}")]
pub struct Untrusted {
    /// The file or directory.
    pub path: PathBuf,
    /// What is wrong with it, and what to do.
    pub why: String,
}

/// The directory databases go in, created private (mode 0700) if missing and checked:
/// `FFI_AUTO_CACHE_DIR`, else the user's cache directory (`~/.cache/ffi-auto` on Linux), else
/// a per-user directory under the system temp dir (`$TMPDIR/ffi-auto-<uid>`).
///
/// # Errors
/// [`Untrusted`] when the directory cannot be created, or is not private to this user.
pub fn cache_dir() -> Result<PathBuf, Untrusted> {
    let dir = choose_cache_dir(
        std::env::var_os("FFI_AUTO_CACHE_DIR").map(PathBuf::from),
        dirs::cache_dir(),
        &std::env::temp_dir(),
    );
    private_dir(&dir)?;
    Ok(dir)
}

/// Which directory [`cache_dir`] uses, given `FFI_AUTO_CACHE_DIR`, the user's cache
/// directory and the system temp dir: the fallback under the temp dir is per user, so that
/// one user's cannot be another's.
///
/// ```
/// use std::path::{Path, PathBuf};
/// use ffi_auto_discovery::trust::choose_cache_dir;
/// let tmp = Path::new("/tmp");
/// assert_eq!(choose_cache_dir(Some("/c".into()), Some("/h/.cache".into()), tmp), PathBuf::from("/c"));
/// assert_eq!(choose_cache_dir(None, Some("/h/.cache".into()), tmp), PathBuf::from("/h/.cache/ffi-auto"));
/// let fallback = choose_cache_dir(None, None, tmp);
/// assert!(fallback.starts_with("/tmp") && fallback != Path::new("/tmp/ffi-auto"), "{}", fallback.display());
/// ```
pub fn choose_cache_dir(explicit: Option<PathBuf>, user: Option<PathBuf>, temp: &Path) -> PathBuf {
    match (explicit, user) {
        (Some(d), _) => d,
        (None, Some(d)) => d.join("ffi-auto"),
        (None, None) => temp.join(format!("ffi-auto-{}", uid())),
    }
}

/// Creates `dir` private (mode 0700) if missing, and checks it ([`check_dir`]).
///
/// # Errors
/// As [`check_dir`], or when it cannot be created.
pub fn private_dir(dir: &Path) -> Result<(), Untrusted> {
    create_private_dir(dir)?;
    check_dir(dir)
}

/// Creates `dir` (and missing parents) with mode 0700, if it does not exist.
pub(crate) fn create_private_dir(dir: &Path) -> Result<(), Untrusted> {
    if dir.is_dir() {
        return Ok(());
    }
    let mut b = std::fs::DirBuilder::new();
    b.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut b, 0o700);
    b.create(dir).map_err(|e| Untrusted {
        path: dir.to_owned(),
        why: format!("it cannot be created ({e})"),
    })
}

/// Checks that `dir` is private to this user and that no one else can replace it.
///
/// # Errors
/// [`Untrusted`] saying which path fails and why.
pub fn check_dir(dir: &Path) -> Result<(), Untrusted> {
    let real = dir.canonicalize().map_err(|e| Untrusted {
        path: dir.to_owned(),
        why: format!("it cannot be resolved ({e})"),
    })?;
    let meta = std::fs::metadata(&real).map_err(|e| Untrusted {
        path: real.clone(),
        why: e.to_string(),
    })?;
    if !meta.is_dir() {
        return Err(Untrusted {
            path: real,
            why: "it is not a directory".to_owned(),
        });
    }
    private(&real, &meta)?;
    real.parent().map_or(Ok(()), guarded_up)
}

/// [`guarded`] for `dir` and every directory above it.
fn guarded_up(dir: &Path) -> Result<(), Untrusted> {
    for d in dir.ancestors() {
        if let Ok(m) = std::fs::metadata(d) {
            guarded(d, &m)?;
        }
    }
    Ok(())
}

/// Reads a database file from a cache: a regular file, owned by this user and writable by no
/// one else, in a directory that is [`check_dir`]-private, of at most `limit` bytes. Symlinks
/// are not followed and the file is opened without blocking (a FIFO planted in its place
/// cannot hang the reader).
///
/// # Errors
/// `Ok(None)` when it does not exist; [`Untrusted`] when it is not trusted or not readable.
pub fn read_cached(path: &Path, limit: u64) -> Result<Option<Vec<u8>>, Untrusted> {
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty());
    check_dir(dir.unwrap_or(Path::new(".")))?;
    read_regular(path, limit, true)
}

/// Reads a database a build script wrote into `OUT_DIR`: a regular file private to this user
/// (ffi-auto writes databases with mode 0600), of at most `limit` bytes, in directories that
/// no other user can replace. The directory itself may be group-writable (a build tree under
/// a umask of 002 is), unlike a cache directory.
///
/// # Errors
/// As [`read_cached`].
pub fn read_built(path: &Path, limit: u64) -> Result<Option<Vec<u8>>, Untrusted> {
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty());
    let real = dir
        .unwrap_or(Path::new("."))
        .canonicalize()
        .map_err(|e| Untrusted {
            path: path.to_owned(),
            why: format!("its directory cannot be resolved ({e})"),
        })?;
    guarded_up(&real)?;
    read_regular(path, limit, true)
}

/// Reads a file that must be a regular file of at most `limit` bytes (and, with `owned`,
/// private to this user), opened without following a symlink or blocking.
pub(crate) fn read_regular(
    path: &Path,
    limit: u64,
    owned: bool,
) -> Result<Option<Vec<u8>>, Untrusted> {
    let untrusted = |why: String| Untrusted {
        path: path.to_owned(),
        why,
    };
    let mut f = match open_nofollow(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(untrusted(format!("it cannot be opened ({e})"))),
    };
    let meta = f
        .metadata()
        .map_err(|e| untrusted(format!("it cannot be read ({e})")))?;
    if !meta.is_file() {
        return Err(untrusted("it is not a regular file".to_owned()));
    }
    if owned {
        private(path, &meta)?;
    }
    if meta.len() > limit {
        return Err(untrusted(format!(
            "it is {} bytes, more than the {limit} allowed",
            meta.len()
        )));
    }
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    f.by_ref()
        .take(limit + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| untrusted(format!("it cannot be read ({e})")))?;
    if bytes.len() as u64 > limit {
        return Err(untrusted(format!("it grew beyond {limit} bytes")));
    }
    Ok(Some(bytes))
}

fn open_nofollow(path: &Path) -> std::io::Result<File> {
    let mut o = std::fs::OpenOptions::new();
    o.read(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::custom_flags(&mut o, libc::O_NOFOLLOW | libc::O_NONBLOCK);
    o.open(path)
}

/// The current (effective) user id; 0 where there is none.
pub(crate) fn uid() -> u32 {
    #[cfg(unix)]
    {
        // SAFETY: geteuid has no preconditions and cannot fail.
        unsafe { libc::geteuid() }
    }
    #[cfg(not(unix))]
    {
        0
    }
}

/// Owned by this user and not writable by group or others.
fn private(path: &Path, meta: &Metadata) -> Result<(), Untrusted> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let me = uid();
        if meta.uid() != me {
            return Err(Untrusted {
                path: path.to_owned(),
                why: format!(
                    "it is owned by uid {}, not by you (uid {me}); remove it, or point FFI_AUTO_CACHE_DIR at a directory of your own",
                    meta.uid()
                ),
            });
        }
        if meta.mode() & 0o022 != 0 {
            return Err(Untrusted {
                path: path.to_owned(),
                why: format!(
                    "group or others may write it (mode {:o}); run `chmod go-w {}`",
                    meta.mode() & 0o7777,
                    path.display()
                ),
            });
        }
    }
    #[cfg(not(unix))]
    let _ = (path, meta);
    Ok(())
}

/// A directory above the cache: owned by this user or root, and not writable by others
/// unless sticky (then others cannot rename what is inside). Group-writable directories
/// above are accepted: systems with a private group per user make home directories so.
fn guarded(path: &Path, meta: &Metadata) -> Result<(), Untrusted> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let me = uid();
        if meta.uid() != me && meta.uid() != 0 {
            return Err(Untrusted {
                path: path.to_owned(),
                why: format!(
                    "a directory above the cache is owned by uid {}, who could replace it; point FFI_AUTO_CACHE_DIR at a directory of your own",
                    meta.uid()
                ),
            });
        }
        let sticky = meta.mode() & 0o1000 != 0;
        if meta.mode() & 0o002 != 0 && !sticky {
            return Err(Untrusted {
                path: path.to_owned(),
                why: "a directory above the cache is writable by anyone and not sticky; point FFI_AUTO_CACHE_DIR at a directory of your own".to_owned(),
            });
        }
    }
    #[cfg(not(unix))]
    let _ = (path, meta);
    Ok(())
}

/// Reports an untrusted path once per process: on stderr (a planted file is worth seeing
/// wherever ffi-auto runs: a build, a macro expansion, the command) and through `tracing`.
pub fn warn(u: &Untrusted) {
    static SEEN: LazyLock<Mutex<Vec<Untrusted>>> = LazyLock::new(Mutex::default);
    let mut seen = SEEN.lock().unwrap_or_else(PoisonError::into_inner);
    if seen.contains(u) {
        return;
    }
    seen.push(u.clone());
    tracing::warn!("{u}");
    eprintln!("ffi-auto: warning: {u}");
}
