//! What safe calls refuse beyond argument types: variadic arguments pass only where a format
//! says what they are (each checked against it before C reads them), functions no safe call
//! may make, lengths that would read past a string, and function items as data.
#![cfg(feature = "discovery")]

mod common;

use std::ffi::{CStr, c_char, c_int};

use ffi_auto_runtime::format::Family;
use ffi_auto_runtime::{
    Error, Function, LongDouble, Value, ffi_call, ffi_call_raw, ffi_call_values, prepare,
};

/// What `dprintf` writes with these arguments after the descriptor: through a pipe.
fn dprintf_text(args: &[Value<'_>]) -> Result<String, Error> {
    let mut fds = [0; 2];
    // SAFETY: `fds` has room for the two descriptors pipe() returns.
    assert_eq!(unsafe { libc::pipe(fds.as_mut_ptr()) }, 0);
    let mut all = vec![Value::I32(fds[1])];
    all.extend_from_slice(args);
    let r = ffi_call::<c_int>("dprintf", &all[..]);
    // SAFETY: both descriptors were opened above and are closed once.
    unsafe { libc::close(fds[1]) };
    let mut buf = vec![0u8; 4096];
    // SAFETY: `buf` has room for 4096 bytes; the read end is open.
    let n = unsafe { libc::read(fds[0], buf.as_mut_ptr().cast(), buf.len()) };
    // SAFETY: as above.
    unsafe { libc::close(fds[0]) };
    let written = r?;
    buf.truncate(usize::try_from(n).unwrap());
    assert_eq!(written as usize, buf.len());
    Ok(String::from_utf8(buf).unwrap())
}

#[test]
fn printf_family_calls_are_checked_and_formatted_by_their_conversions() {
    let s = |args: &[Value<'_>]| dprintf_text(args).unwrap();
    assert_eq!(
        s(&[
            Value::Str("%d-%s-%.2f|"),
            Value::I32(42),
            Value::Str("ab"),
            Value::F64(1.5)
        ]),
        "42-ab-1.50|"
    );
    // Each argument is passed as its conversion says, not as its Rust width: `%ld` gets a
    // `long` from an i32, `%hhd` an int that printf narrows (as C would), `%f` an exact float
    // from an integer, `%c` an int.
    assert_eq!(
        s(&[
            Value::Str("%ld %hhd %f %c %llu"),
            Value::I32(-7),
            Value::I32(300),
            Value::I32(2),
            Value::U8(b'A'),
            Value::U64(u64::MAX)
        ]),
        format!("-7 44 2.000000 A {}", u64::MAX)
    );
    // `%Lf` takes a `long double`: a `LongDouble` with its extra bits, or a double widened.
    let third = LongDouble::from_f64(1.0 / 3.0);
    assert_eq!(
        s(&[
            Value::Str("%.3Lf %.2Le %Lg"),
            Value::LongDouble(third),
            Value::F64(2.5),
            Value::I32(7)
        ]),
        "0.333 2.50e+00 7"
    );
    // `*` widths and precisions take an `int` each; `%%` and `%m` take nothing.
    assert_eq!(
        s(&[
            Value::Str("[%*d|%-*.*s|%%]"),
            Value::I32(5),
            Value::I32(42),
            Value::I32(4),
            Value::I32(2),
            Value::Str("xyz")
        ]),
        "[   42|xy  |%]"
    );
    // Positional arguments.
    assert_eq!(
        s(&[Value::Str("%2$s %1$d %2$s"), Value::I32(7), Value::Str("x")]),
        "x 7 x"
    );
    // `%p` takes null.
    assert_eq!(s(&[Value::Str("%p"), Value::Null]), "(nil)");
}

#[test]
fn a_wrong_argument_for_a_conversion_is_refused_before_the_call() {
    // What segfaulted: a number where `%s` reads a string.
    let err = ffi_call::<i32>("printf", ("%s\n", 5)).unwrap_err();
    let Error::ArgType {
        pos,
        expected,
        hint,
        ..
    } = &err
    else {
        panic!("{err}");
    };
    assert_eq!(pos.index, 2);
    assert_eq!(expected, "const char *");
    assert!(hint.contains("`%s` in the format"), "{err}");
    // A string where a number is read, a float for an integer, null for `%s`.
    for args in [
        vec![Value::Str("%d"), Value::Str("5")],
        vec![Value::Str("%d"), Value::F64(1.5)],
        vec![Value::Str("%s"), Value::Null],
        vec![Value::Str("%x"), Value::I32(-1)],
        vec![Value::Str("%hhd"), Value::I64(1 << 40)],
    ] {
        let err = ffi_call::<i32>("printf", &args[..]).unwrap_err();
        assert!(
            matches!(
                err,
                Error::ArgType { .. } | Error::NullPointer { .. } | Error::OutOfRange { .. }
            ),
            "{args:?}: {err}"
        );
    }
}

#[test]
fn the_count_must_match_the_format() {
    for (format, given) in [("%s", 0), ("%d %d", 1), ("%d", 2), ("%*d", 1), ("plain", 1)] {
        let mut args = vec![Value::Str(format)];
        args.extend(std::iter::repeat_n(Value::I32(1), given));
        let err = ffi_call::<i32>("printf", &args[..]).unwrap_err();
        let Error::Format { reason, .. } = &err else {
            panic!("{format}: {err}");
        };
        assert!(reason.contains(&format!("{given} ")), "{format}: {err}");
    }
}

#[test]
fn percent_n_and_bad_formats_are_refused_in_safe_calls() {
    // `%n` with no argument (what crashed), and with one.
    let err = ffi_call::<i32>("printf", "%n").unwrap_err();
    assert!(matches!(err, Error::Format { .. }), "{err}");
    let err = ffi_call::<i32>("printf", ("abc%n", Value::Null)).unwrap_err();
    let Error::Format { reason, hint, .. } = &err else {
        panic!("{err}");
    };
    assert!(
        reason.contains("`%n`") && hint.contains("call_raw"),
        "{err}"
    );
    // Formats C does not define, a gap in positions.
    for bad in ["%y", "%1$d %3$d", "%1$d %d", "100%"] {
        let err = ffi_call::<i32>("printf", (bad, 1)).unwrap_err();
        assert!(matches!(err, Error::Format { .. }), "{bad}: {err}");
    }
    // A null format.
    let err = ffi_call::<i32>("printf", (Option::<&str>::None, 1)).unwrap_err();
    assert!(matches!(err, Error::NullPointer { .. }), "{err}");
}

#[test]
fn scanf_writes_through_pointers_so_only_call_raw_passes_them() {
    // A safe call may scan only what it does not store.
    assert_eq!(ffi_call::<i32>("sscanf", ("12 ab", "%*d %*s")).unwrap(), 0);
    let err = ffi_call::<i32>("sscanf", ("12", "%d", Value::Null)).unwrap_err();
    let Error::Format { reason, hint, .. } = &err else {
        panic!("{err}");
    };
    assert!(
        reason.contains("`%d`") && hint.contains("call_raw"),
        "{err}"
    );

    let mut n = 0i32;
    let mut word = [0u8; 8];
    let mut x = 0f64;
    // SAFETY: `%d` stores an int in `n`, `%7s` at most 8 bytes in `word`, `%lf` a double in `x`.
    let matched: i32 = unsafe {
        ffi_call_raw(
            "sscanf",
            (c"12 abc 2.5", c"%d %7s %lf", &mut n, &mut word[..], &mut x),
        )
    }
    .unwrap();
    assert_eq!((matched, n, x), (3, 12, 2.5));
    assert_eq!(CStr::from_bytes_until_nul(&word).unwrap(), c"abc");
    // The pointers are still checked against the conversions: `%d` does not store a double.
    // SAFETY: refused before the call.
    let err = unsafe { ffi_call_raw::<i32>("sscanf", (c"1", c"%d", &mut x)) }.unwrap_err();
    assert!(matches!(err, Error::ArgType { .. }), "{err}");
    // SAFETY: refused before the call (one argument short).
    let err = unsafe { ffi_call_raw::<i32>("sscanf", (c"1 2", c"%d %d", &mut n)) }.unwrap_err();
    assert!(matches!(err, Error::Format { .. }), "{err}");
}

#[test]
fn the_contract_comes_from_the_header_or_the_standard() {
    // snprintf is annotated in glibc's header; printf and sscanf are not, and get the
    // standard's contract.
    assert_eq!(
        prepare("snprintf").unwrap().format_parameter(),
        Some((Family::Printf, 2))
    );
    assert_eq!(
        prepare("printf").unwrap().format_parameter(),
        Some((Family::Printf, 0))
    );
    assert_eq!(
        prepare("sscanf").unwrap().format_parameter(),
        Some((Family::Scanf, 1))
    );
    // The buffers and streams they write must not be null: a safe call can pass nothing else,
    // so it cannot call them.
    for (name, args) in [
        ("sprintf", vec![Value::Null, Value::Str("x")]),
        ("fprintf", vec![Value::Null, Value::Str("x")]),
        ("sscanf", vec![Value::Null, Value::Str("")]),
    ] {
        let err = ffi_call::<i32>(name, &args[..]).unwrap_err();
        assert!(matches!(err, Error::NullPointer { .. }), "{name}: {err}");
    }
    // Variadic, and no rule at all: no safe call, even with only the fixed arguments
    // (`fcntl(fd, F_GETLK)` has the kernel write through a pointer it was not given).
    let err = ffi_call::<i32>("fcntl", (0, libc::F_GETLK)).unwrap_err();
    assert!(matches!(err, Error::VariadicUnchecked { .. }), "{err}");
}

#[test]
fn open_takes_its_mode_exactly_when_its_flags_create() {
    let dir = std::env::temp_dir().join(format!("ffi-auto-open-mode-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("new");
    let p = path.to_str().unwrap();
    let flags = libc::O_CREAT | libc::O_WRONLY | libc::O_EXCL;
    // O_CREAT with no mode: open would read one that is not there.
    let err = ffi_call::<i32>("open", (p, flags)).unwrap_err();
    assert!(matches!(&err, Error::VariadicContract { .. }), "{err}");
    assert!(err.to_string().contains("mode_t"), "{err}");
    // Two after the flags: refused.
    let err = ffi_call::<i32>("open", (p, flags, 0o600, 1)).unwrap_err();
    assert!(matches!(err, Error::VariadicContract { .. }), "{err}");
    // With it, a file with that mode (an `int` literal passed as `mode_t`).
    let fd = ffi_call::<i32>("open", (p, flags, 0o600)).unwrap();
    assert!(fd >= 0);
    // SAFETY: `fd` was opened above and nothing else owns it.
    assert_eq!(unsafe { libc::close(fd) }, 0);
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode & 0o600, 0o600);
    assert_eq!(mode & 0o077, 0);
    // Without O_CREAT, nothing follows the flags (or an ignored mode).
    let fd = ffi_call::<i32>("open", (p, libc::O_RDONLY)).unwrap();
    assert!(fd >= 0);
    // SAFETY: `fd` was opened above and nothing else owns it.
    assert_eq!(unsafe { libc::close(fd) }, 0);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn an_explicit_signature_without_a_format_is_unchecked_and_raw_only() {
    let sig = "int (const char *, ...)".parse().unwrap();
    let symbol = ffi_auto_runtime::find_symbol("printf", None).unwrap();
    // SAFETY: printf's declaration in <stdio.h>.
    let printf = unsafe { Function::new(symbol, "printf", sig) }.unwrap();
    assert_eq!(printf.format_parameter(), None);
    let err = printf.call::<i32>(("%d", 5)).unwrap_err();
    assert!(matches!(err, Error::VariadicUnchecked { .. }), "{err}");
    let err = printf.call::<i32>("no conversions").unwrap_err();
    assert!(matches!(err, Error::VariadicUnchecked { .. }), "{err}");
    let sig = "int (char *, size_t, const char *, ...)".parse().unwrap();
    let symbol = ffi_auto_runtime::find_symbol("snprintf", None).unwrap();
    // SAFETY: snprintf's declaration in <stdio.h>.
    let snprintf = unsafe { Function::new(symbol, "snprintf", sig) }.unwrap();
    let mut buf = [0u8; 16];
    // SAFETY: at most 16 bytes into `buf`; `%d` reads the one int given.
    let n: i32 =
        unsafe { snprintf.call_raw((buf.as_mut_ptr().cast::<c_char>(), buf.len(), c"%d!", 5)) }
            .unwrap();
    assert_eq!(n, 2);
    assert_eq!(CStr::from_bytes_until_nul(&buf).unwrap(), c"5!");
}

#[test]
fn null_passes_only_where_the_function_is_known_to_take_it() {
    // glibc's `puts` and `fclose` crash on null, and their headers do not say so.
    for name in ["puts", "fclose"] {
        let err = ffi_call::<i32>(name, Value::Null).unwrap_err();
        assert!(matches!(err, Error::NullUnchecked { .. }), "{name}: {err}");
    }
    // POSIX and C say these take null.
    assert_eq!(
        ffi_call::<i64>("strtol", ("42", Value::Null, 10)).unwrap(),
        42
    );
    let now: i64 = ffi_call("time", Value::Null).unwrap();
    assert!(now > 1_700_000_000);
    assert_eq!(ffi_call::<i32>("fflush", Value::Null).unwrap(), 0);
    // A header's own `_Nullable` (the fixture's), found by discovery.
    let lib = common::discover_fixture();
    assert_eq!(
        ffi_call::<usize>(("fx_len_or_zero", lib), Value::Null).unwrap(),
        0
    );
    assert_eq!(
        ffi_call::<usize>(("fx_len_or_zero", lib), "abc").unwrap(),
        3
    );
    let err = ffi_call::<usize>(("fx_len_nonnull", lib), Value::Null).unwrap_err();
    assert!(matches!(err, Error::NullPointer { .. }), "{err}");
    // An unsafe call may pass null where nothing forbids it, on the caller's word.
    // SAFETY: fx_is_null only compares its argument with null.
    let r: i32 = unsafe { ffi_call_raw(("fx_is_null", lib), Value::Null) }.unwrap();
    assert_eq!(r, 1);
}

#[test]
fn functions_no_safe_call_may_make_are_refused_whatever_the_arguments() {
    for (name, args) in [
        ("close", vec![Value::I32(1000)]),
        (
            "setenv",
            vec![Value::Str("X"), Value::Str("y"), Value::I32(1)],
        ),
        ("sbrk", vec![Value::I64(0)]),
        // A `pthread_t` is a pointer in an integer's clothes: 1 is no thread.
        ("pthread_detach", vec![Value::U64(1)]),
        ("pthread_kill", vec![Value::U64(1), Value::I32(0)]),
    ] {
        let err = ffi_call_values(name, &args).unwrap_err();
        assert!(matches!(err, Error::RawOnly { .. }), "{name}: {err}");
        assert!(err.to_string().contains("call_raw"), "{err}");
    }
    // vfork returns twice: not even prepared for a safe call (and not called here at all).
    let err = ffi_call::<i32>("vfork", ()).unwrap_err();
    assert!(err.to_string().contains("returns twice"), "{err}");
    // A header's own `returns_twice`.
    let lib = common::discover_fixture();
    let err = ffi_call::<i32>(("fx_twice", lib), ()).unwrap_err();
    assert!(matches!(err, Error::RawOnly { .. }), "{err}");
}

#[test]
fn a_length_after_a_string_cannot_make_c_read_past_it() {
    let lib = common::discover_fixture();
    let sum = |args: (&str, usize)| ffi_call::<u32>(("fx_sum_bytes", lib), args);
    assert_eq!(
        sum(("abc", 3)).unwrap(),
        u32::from(b'a') + u32::from(b'b') + u32::from(b'c')
    );
    // The NUL is part of the string C was given.
    assert_eq!(
        sum(("abc", 4)).unwrap(),
        u32::from(b'a') + u32::from(b'b') + u32::from(b'c')
    );
    let err = sum(("abc", 1_000_000)).unwrap_err();
    let Error::StringLength { value, bytes, .. } = &err else {
        panic!("{err}");
    };
    assert_eq!((value.as_str(), *bytes), ("1000000", 3));
    // Functions that stop at the NUL whatever the length are not held to it.
    assert_eq!(ffi_call::<usize>("strnlen", ("abc", 100usize)).unwrap(), 3);
    // An unsafe call is on the caller's word.
    let buf = [1u8; 8];
    // SAFETY: `buf` holds the 8 bytes C reads.
    let r: u32 = unsafe { ffi_call_raw(("fx_sum_bytes", lib), (&buf[..], 8usize)) }.unwrap();
    assert_eq!(r, 8);
}

#[test]
fn a_plain_extern_fn_is_code_not_data_in_a_safe_call() {
    extern "C" fn nothing() {}
    // `free` would take the function's address as a heap block.
    let err = ffi_call::<()>("free", nothing as extern "C" fn()).unwrap_err();
    assert!(matches!(err, Error::RawPointer { .. }), "{err}");
}

#[test]
fn a_format_function_outside_the_c_library_is_read_as_c_and_posix_say() {
    let lib = common::discover_fixture();
    let len = |args: &[Value<'_>]| ffi_call_values(("fx_format_len", lib), args);
    assert_eq!(
        len(&[Value::Str("%s=%d"), Value::Str("ab"), Value::I32(7)]).unwrap(),
        Value::I32(4)
    );
    // glibc's own printf knows `%m`; a library's printf-like function may not. (Through a
    // pipe: glibc's vdprintf leaks its buffer when the descriptor is bad, which valgrind
    // rightly reports.)
    assert!(!dprintf_text(&[Value::Str("%m")]).unwrap().is_empty());
    let err = len(&[Value::Str("%m")]).unwrap_err();
    assert!(matches!(err, Error::Format { .. }), "{err}");
}
