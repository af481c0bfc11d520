//! What the C standard and POSIX say about functions whose headers do not say it: the format
//! contract of `printf` and `scanf` (glibc declares them without the attribute, since
//! compilers know them as builtins), the parameters that accept a null pointer (no glibc
//! header says so), and `open`'s variadic mode.

use crate::signature::{FormatAttr, Signature};

/// `(name, archetype, string_index, first_to_check, nonnull)`: the format functions, and
/// which of their parameters must not be null (a stream or buffer they write, the string
/// `sscanf` reads; glibc marks none of them).
const FORMATS: &[(&str, &str, u32, u32, &[u32])] = &[
    ("printf", "printf", 1, 2, &[1]),
    ("fprintf", "printf", 2, 3, &[1, 2]),
    ("sprintf", "printf", 2, 3, &[1, 2]),
    // `snprintf(NULL, 0, ...)` is valid C; a safe call cannot pass a buffer anyway, so the
    // size-0 form goes through `call_raw`.
    ("snprintf", "printf", 3, 4, &[1, 3]),
    ("dprintf", "printf", 2, 3, &[2]),
    ("asprintf", "printf", 2, 3, &[1, 2]),
    ("scanf", "scanf", 1, 2, &[1]),
    ("fscanf", "scanf", 2, 3, &[1, 2]),
    ("sscanf", "scanf", 2, 3, &[1, 2]),
];

/// Parameters (1-based) the C standard or POSIX documents as accepting a null pointer.
const NULLABLE: &[(&str, &[u32])] = &[
    // C
    ("strtol", &[2]),
    ("strtoll", &[2]),
    ("strtoul", &[2]),
    ("strtoull", &[2]),
    ("strtod", &[2]),
    ("strtof", &[2]),
    ("strtold", &[2]),
    ("strtoimax", &[2]),
    ("strtoumax", &[2]),
    ("time", &[1]),
    ("setlocale", &[2]),
    ("fflush", &[1]),
    ("free", &[1]),
    ("realloc", &[1]),
    ("setbuf", &[2]),
    ("setvbuf", &[2]),
    ("tmpnam", &[1]),
    ("mblen", &[1]),
    ("mbtowc", &[1, 2]),
    ("wctomb", &[1]),
    ("mbrtowc", &[1, 2, 4]),
    ("mbrlen", &[3]),
    ("wcrtomb", &[1, 3]),
    ("mbstowcs", &[1]),
    ("wcstombs", &[1]),
    ("freopen", &[1]),
    // POSIX
    ("getcwd", &[1]),
    ("realpath", &[2]),
    ("ctermid", &[1]),
    ("gettimeofday", &[2]),
    ("wait", &[1]),
    ("waitpid", &[2]),
    ("nanosleep", &[2]),
    ("clock_nanosleep", &[4]),
    ("clock_getres", &[2]),
    ("sigaction", &[2, 3]),
    ("sigprocmask", &[2, 3]),
    ("pthread_sigmask", &[2, 3]),
    ("pthread_create", &[2, 4]),
    ("pthread_join", &[2]),
    ("pthread_mutex_init", &[2]),
    ("pthread_cond_init", &[2]),
    ("select", &[2, 3, 4, 5]),
    ("pselect", &[2, 3, 4, 5, 6]),
    ("accept", &[2, 3]),
    ("getaddrinfo", &[1, 2, 3]),
    ("dlopen", &[1]),
    ("utime", &[2]),
    ("utimes", &[2]),
    ("futimens", &[2]),
    ("utimensat", &[3]),
    ("timer_create", &[2]),
    ("setitimer", &[3]),
    ("signal", &[2]),
];

/// Functions no safe call may make, whatever their arguments, and why.
const RAW_ONLY: &[(&[&str], &str)] = &[
    (
        &[
            "vfork",
            "setjmp",
            "_setjmp",
            "sigsetjmp",
            "savectx",
            "getcontext",
        ],
        "it returns twice, which Rust code cannot survive",
    ),
    (
        &[
            "longjmp",
            "_longjmp",
            "siglongjmp",
            "setcontext",
            "swapcontext",
        ],
        "it jumps across Rust frames without unwinding them",
    ),
    (
        &["fork"],
        "in a multi-threaded program the child may call only async-signal-safe functions, and Rust code is not",
    ),
    (
        &["pthread_exit", "thrd_exit"],
        "it ends the thread without running Rust destructors",
    ),
    (
        &["sbrk", "brk"],
        "it moves the end of the heap under the allocator",
    ),
    (
        &[
            "signal",
            "sigset",
            "bsd_signal",
            "sysv_signal",
            "pthread_atfork",
        ],
        "the handler it installs runs in signal (or fork) context, where Rust code may not",
    ),
    (
        &["close", "dup2", "dup3", "close_range", "closefrom"],
        "it may close a descriptor a Rust object owns (Rust's I/O safety)",
    ),
    (
        &["setenv", "unsetenv", "putenv", "clearenv", "setlocale"],
        "it changes process-wide state other threads read without a lock (Rust makes `set_var` unsafe for this)",
    ),
    (
        &["openlog"],
        "it keeps its `ident` string after the call, and a safe call's string copy dies with the call",
    ),
];

/// Typedefs that are integers in C but handles to memory: an integer that is not a live
/// handle crashes (`pthread_kill(1, 0)`).
const HANDLES: &[&str] = &["pthread_t", "thrd_t"];

/// Functions whose string parameters are read up to their NUL even when a length follows.
const STOPS_AT_NUL: &[&str] = &[
    "strnlen",
    "strncmp",
    "strncasecmp",
    "strndup",
    "strncat",
    "strncpy",
    "stpncpy",
    "strxfrm",
    "snprintf",
    "vsnprintf",
    "strftime",
    "strfmon",
    "mblen",
    "mbtowc",
    "mbrtowc",
    "mbrlen",
    "mbstowcs",
];

/// `open`-like functions: the 1-based index of the flags parameter.
const OPEN_MODE: &[(&str, u32)] = &[("open", 2), ("open64", 2), ("openat", 3), ("openat64", 3)];

impl FormatAttr {
    /// The format contract of the standard C function `name` when `sig` has the standard
    /// shape (variadic, its format a `char` pointer where the standard puts it): for headers
    /// that declare `printf`, `scanf` and their relatives without the attribute.
    ///
    /// ```
    /// use ffi_auto_sig::{FormatAttr, Signature};
    /// let printf: Signature = "int (const char *, ...)".parse().unwrap();
    /// let f = FormatAttr::standard("printf", &printf).unwrap();
    /// assert_eq!((f.archetype.as_str(), f.string_index, f.first_to_check), ("printf", 1, 2));
    /// // Not the standard shape: no contract.
    /// assert!(FormatAttr::standard("printf", &"int (int, ...)".parse().unwrap()).is_none());
    /// assert!(FormatAttr::standard("open", &"int (const char *, int, ...)".parse().unwrap()).is_none());
    /// ```
    pub fn standard(name: &str, sig: &Signature) -> Option<FormatAttr> {
        let &(_, archetype, string_index, first_to_check, _) =
            FORMATS.iter().find(|(n, ..)| *n == name)?;
        let format = sig.params.get(string_index as usize - 1)?;
        let shape = sig.variadic
            && sig.params.len() + 1 == first_to_check as usize
            && format.ty.pointee().is_some_and(|(t, _)| t.is_byte());
        shape.then(|| FormatAttr {
            archetype: archetype.to_owned(),
            string_index,
            first_to_check,
        })
    }
}

impl Signature {
    /// Adds what the C standard and POSIX say about function `name` and its header may not:
    /// the `printf`/`scanf` format contract and the parameters those functions must not get
    /// null; the parameters documented to accept null (`strtol`'s `endptr`, `time`'s
    /// argument); `open`'s variadic mode; the functions no safe call may make (see
    /// [`FnAttrs::raw_only`](crate::FnAttrs::raw_only)); the functions that read a string to
    /// its NUL whatever length they are given. Only where the declaration has the standard shape,
    /// and never against what the header itself says (`nonnull` wins over nullable).
    ///
    /// ```
    /// use ffi_auto_sig::Signature;
    /// let mut strtol: Signature = "long (const char *, char **, int)".parse().unwrap();
    /// strtol.apply_standard("strtol");
    /// assert!(strtol.params[1].nullable && !strtol.params[0].nullable);
    /// let mut fprintf: Signature = "int (void *, const char *, ...)".parse().unwrap();
    /// fprintf.apply_standard("fprintf");
    /// assert!(fprintf.attrs.format.is_some() && fprintf.params[0].nonnull);
    /// let mut open: Signature = "int (const char *, int, ...)".parse().unwrap();
    /// open.apply_standard("open");
    /// assert_eq!(open.attrs.open_mode, Some(2));
    /// let mut vfork: Signature = "int (void)".parse().unwrap();
    /// vfork.apply_standard("vfork");
    /// assert!(vfork.attrs.raw_only.unwrap().contains("returns twice"));
    /// ```
    pub fn apply_standard(&mut self, name: &str) {
        if self.attrs.format.is_none() {
            self.attrs.format = FormatAttr::standard(name, self);
        }
        if self.attrs.format.is_some()
            && let Some((.., nonnull)) = FORMATS.iter().find(|(n, ..)| *n == name)
        {
            for &i in *nonnull {
                if let Some(p) = self.params.get_mut(i as usize - 1)
                    && p.ty.is_pointer()
                {
                    p.nonnull = true;
                }
            }
        }
        if let Some((_, params)) = NULLABLE.iter().find(|(n, _)| *n == name) {
            for &i in *params {
                if let Some(p) = self.params.get_mut(i as usize - 1)
                    && p.ty.is_pointer()
                    && !p.nonnull
                {
                    p.nullable = true;
                }
            }
        }
        if self.attrs.raw_only.is_none() {
            if let Some((_, why)) = RAW_ONLY.iter().find(|(names, _)| names.contains(&name)) {
                self.attrs.raw_only = Some((*why).to_owned());
            } else if let Some(h) = self.params.iter().find_map(|p| match &p.ty {
                crate::CType::Named { name, .. } if HANDLES.contains(&&**name) => Some(name),
                _ => None,
            }) {
                self.attrs.raw_only = Some(format!(
                    "it takes a `{h}`, a handle C declares as an integer: one that is not a live handle crashes"
                ));
            }
        }
        if STOPS_AT_NUL.contains(&name) {
            self.attrs.stops_at_nul = true;
        }
        if let Some(&(_, flags)) = OPEN_MODE.iter().find(|(n, _)| *n == name) {
            let is_int = self
                .params
                .get(flags as usize - 1)
                .is_some_and(|p| matches!(p.ty.canonical(), crate::CType::Int(_)));
            if self.variadic && self.params.len() == flags as usize && is_int {
                self.attrs.open_mode = Some(flags);
            }
        }
    }
}

/// Whether a parameter name reads as a length (`len`, `n`, `size`, `count`, `nbyte`,
/// `maxlen`, `msg_len`, `sourceLen`...), ignoring leading underscores and case.
///
/// ```
/// use ffi_auto_sig::looks_like_length;
/// for n in ["len", "__n", "sourceLen", "__msg_len", "nByte", "size", "count", "maxlen"] {
///     assert!(looks_like_length(n), "{n}");
/// }
/// for n in ["__oflag", "flags", "mode", "base", "fd", "replace", "c"] {
///     assert!(!looks_like_length(n), "{n}");
/// }
/// ```
pub fn looks_like_length(name: &str) -> bool {
    let n = name.trim_start_matches('_').to_ascii_lowercase();
    matches!(
        n.as_str(),
        "n" | "len" | "length" | "size" | "count" | "cnt" | "nbyte" | "nbytes" | "nchars"
    ) || n.ends_with("len")
        || n.ends_with("length")
        || n.ends_with("size")
        || n.ends_with("_n")
        || n.ends_with("count")
        || n.ends_with("bytes")
}

impl Signature {
    /// The string parameters a length follows, as `(string, length)` indexes (0-based): a
    /// `const` byte pointer whose next parameter is an integer named like a length
    /// ([`looks_like_length`]), unless the function reads its strings to their NUL anyway
    /// ([`FnAttrs::stops_at_nul`](crate::FnAttrs::stops_at_nul)). C reads that many bytes,
    /// so a string passed there must be at least that long.
    ///
    /// ```
    /// use ffi_auto_sig::Signature;
    /// let crc32 = "unsigned long (unsigned long, const unsigned char *, unsigned int)"
    ///     .parse::<Signature>()
    ///     .unwrap();
    /// let mut named = crc32.clone();
    /// named.params[2].name = Some("len".into());
    /// assert_eq!(named.string_lengths(), [(1, 2)]);
    /// assert!(crc32.string_lengths().is_empty(), "unnamed: not known to be a length");
    /// ```
    pub fn string_lengths(&self) -> Vec<(usize, usize)> {
        if self.attrs.stops_at_nul {
            return Vec::new();
        }
        self.params
            .windows(2)
            .enumerate()
            .filter(|(_, w)| {
                w[0].ty.pointee().is_some_and(|(t, c)| c && t.is_byte())
                    && matches!(w[1].ty.canonical(), crate::CType::Int(_))
                    && w[1].name.as_deref().is_some_and(looks_like_length)
            })
            .map(|(i, _)| (i, i + 1))
            .collect()
    }
}
