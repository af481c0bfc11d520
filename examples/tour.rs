//! A tour of ffi-auto: real calls into libc and libm, and what bad input gets.
//!
//! Run with `make demo` (or `cargo run --example tour`).

use std::ffi::{CStr, c_char, c_int, c_void};

use ffi_auto::{
    Callback, Error, Function, Library, Struct, Value, constant, defcfuns, ffi_auto, ffi_call,
    ffi_call_errno, ffi_call_raw, prepare, sig::Signature,
};

// Compile time: the macros read the declarations in <string.h>, <stdlib.h> and <math.h>, check
// these signatures against them (a wrong one does not compile), and expand to plain `extern`
// declarations: calls cost what hand-written bindings cost.
#[ffi_auto]
fn strlen(s: &CStr) -> usize;

#[ffi_auto]
fn abs(x: c_int) -> c_int;

defcfuns! {
    #![ffi_auto(lib = "m")]
    fn cbrt;                    // name only: `fn cbrt(__x: f64) -> f64`, written from the header
    fn hypotenuse = hypot;      // a Rust name for a C name
    fn getpid;                  // `__pid_t getpid(void)`: returns c_int
}

// Structs, constants and errno from the same headers.
defcfuns! {
    struct div_t;               // `typedef struct { int quot; int rem; } div_t;`, generated
    fn div;                     // returns it by value
    unsafe fn qsort;            // takes a comparator: `Option<unsafe extern "C" fn(..)>`
    const O_RDONLY;             // `pub const O_RDONLY: c_int = 0;`
    unsafe fn open(path: &CStr, flags: c_int) -> std::io::Result<c_int>; // variadic: unsafe
}

fn main() -> Result<(), Error> {
    println!("== ffi-auto tour: calling C without writing bindings ==\n");

    println!("-- compile time: #[ffi_auto] and defcfuns!, checked against the headers --");
    println!("strlen(c\"hello\")         = {}", strlen(c"hello"));
    println!("abs(-7)                  = {}", abs(-7));
    println!("cbrt(64.0)               = {}", cbrt(64.0));
    println!("hypotenuse(3.0, 4.0)     = {}", hypotenuse(3.0, 4.0));
    println!(
        "getpid()                 = {}   (std says {})",
        getpid(),
        std::process::id()
    );
    // By-name calls find the functions the macros compiled in first: no libclang, no database.
    println!(
        "prepare(\"cbrt\") found in : {}\n",
        prepare("cbrt")?.origin()
    );

    // No setup: signatures come from the system headers (libclang on the first run, the
    // signature database in ~/.cache/ffi-auto after that).
    println!("-- run time, by name, signatures from the headers (the original's ffi-call) --");
    let n: usize = ffi_call("strlen", "hello")?;
    println!("strlen(\"hello\")          = {n}");
    let s: f64 = ffi_call(("sin", "m"), 1.0)?;
    println!(
        "sin(1.0)                 = {s}   (Rust says {})",
        1.0f64.sin()
    );
    let p: f64 = ffi_call("pow", (2.0, 10.0))?;
    println!("pow(2, 10)               = {p:?}");
    let a: i32 = ffi_call("abs", -42)?;
    println!("abs(-42)                 = {a}");
    let pid: u32 = ffi_call("getpid", ())?;
    println!(
        "getpid()                 = {pid}   (std says {})",
        std::process::id()
    );

    println!("\n-- prepared handles (the original's ffi-call-cached) --");
    let libm = Library::open("m")?;
    println!(
        "opened libm              : {}",
        libm.path()
            .map_or_else(|| "?".into(), |p| p.display().to_string())
    );
    let sig: Signature = "double (double)".parse()?;
    // SAFETY: `double cos(double)` in <math.h>.
    let cos = unsafe { Function::new(libm.symbol("cos")?, "cos", sig) }?;
    for x in [0.0, 0.5, 1.0] {
        println!(
            "cos({x:?}){:pad$}= {:?}",
            "",
            cos.call::<f64>(x)?,
            pad = 20 - format!("{x:?}").len()
        );
    }
    let strlen = prepare("strlen")?;
    println!("declaration              : {}", strlen.declaration());
    println!("found in                 : {}", strlen.origin());
    let sscanf = prepare("sscanf")?;
    let mut n = 0i32;
    // SAFETY: "%d" writes one int into `n`.
    unsafe { sscanf.call_raw::<i32>((c"1234", c"%d", &mut n)) }?;
    println!("sscanf(\"1234\", \"%d\")    = {n}   (glibc links it as __isoc99_sscanf)");
    let v = strlen.call_values(&[Value::Str("dynamic values")])?;
    println!("strlen as Value          = {v}");

    println!("\n-- variadics and out-parameters --");
    let snprintf: Signature = "int (char *, size_t, const char *, ...)".parse()?;
    // SAFETY: the declaration in <stdio.h>.
    let snprintf = unsafe {
        Function::new(
            ffi_auto::find_symbol("snprintf", None)?,
            "snprintf",
            snprintf,
        )
    }?;
    let mut buf = [0u8; 64];
    let len = buf.len();
    // SAFETY: snprintf writes at most `len` bytes into `buf`.
    let written: i32 = unsafe {
        snprintf.call_raw((
            &mut buf[..],
            len,
            "%s has %d legs and weighs %.1f kg",
            "a cat",
            4,
            4.5f32,
        ))
    }?;
    let text = CStr::from_bytes_until_nul(&buf).unwrap_or_default();
    println!(
        "snprintf                 = {:?} ({written} bytes)",
        text.to_string_lossy()
    );

    // A safe variadic call: dprintf's format says what follows it, and each argument is
    // checked against its conversion (here `%ld` gets a `long` from an `i32`).
    let n: i32 = ffi_call(
        "dprintf",
        (
            1,
            "dprintf (safe)          = %s, %ld, %.2f\n",
            "checked",
            7,
            0.5,
        ),
    )?;
    println!("  ({n} bytes written by dprintf)");

    let strtol: Signature = "long (const char *, char **, int)".parse()?;
    // SAFETY: the declaration in <stdlib.h>.
    let strtol =
        unsafe { Function::new(ffi_auto::find_symbol("strtol", None)?, "strtol", strtol) }?;
    let input = c"0x2a and the rest";
    let mut end: *mut c_char = std::ptr::null_mut();
    // SAFETY: strtol writes one pointer into `end`, pointing inside `input`.
    let value: i64 = unsafe { strtol.call_raw((input, &mut end, 16)) }?;
    // SAFETY: `end` points inside `input`, which is alive.
    let rest = unsafe { CStr::from_ptr(end) };
    println!("strtol(\"0x2a and ...\") = {value}, rest {rest:?}");

    println!("\n-- callbacks, structs, constants, errno --");
    let mut calls = 0;
    let cmp = Callback::new(|a: *const c_void, b: *const c_void| -> c_int {
        calls += 1;
        // SAFETY: qsort passes pointers to two elements of `v`.
        unsafe { (*a.cast::<i32>()).cmp(&*b.cast::<i32>()) as c_int }
    })?;
    let mut v = [42, 7, 19, 3, 25];
    // SAFETY: `v` holds 5 elements of 4 bytes; the comparator matches `__compar_fn_t`.
    unsafe { qsort(v.as_mut_ptr().cast(), v.len(), 4, Some(cmp.code())) };
    drop(cmp);
    println!("qsort with a closure     = {v:?} ({calls} comparisons counted by the closure)");
    let d = div(17, 5);
    println!("div(17, 5)               = {d:?}   (a div_t by value)");
    let d: Struct = ffi_call("div", (17, 5))?;
    println!("div(17, 5) by name       = {d:?}");
    let mut tv = Struct::new("timeval")?;
    // SAFETY: `tv` is a `struct timeval` to fill; the time zone is null.
    unsafe { ffi_call_raw::<i32>("gettimeofday", (&mut tv, Value::Null)) }?;
    println!("gettimeofday             = {tv:?}");
    println!(
        "O_RDONLY, ENOENT         = {O_RDONLY}, {}   (constants from the headers)",
        constant("ENOENT")?.value
    );
    // SAFETY: without O_CREAT, open reads nothing after its flags.
    match unsafe { open(c"/no/such/file", O_RDONLY) } {
        Ok(fd) => println!("open                     = {fd}?"),
        Err(e) => println!("open(\"/no/such/file\")   = {e}"),
    }
    let (v, errno): (i64, _) =
        ffi_call_errno("strtol", ("99999999999999999999", None::<&str>, 10))?;
    println!("strtol(\"9999...\")        = {v}, errno: {errno}");

    println!("\n-- bad input is an error, before any C code runs --");
    let id_uchar: Signature = "unsigned char (unsigned char)".parse()?;
    // SAFETY: `int toupper(int)` takes any unsigned char value; declared narrower here to
    // show the range check.
    let narrow =
        unsafe { Function::new(ffi_auto::find_symbol("toupper", None)?, "toupper", id_uchar) }?;
    show(narrow.call::<u8>(300));
    show(ffi_call::<usize>("strlen", "nul\0inside"));
    show(ffi_call::<usize>("strlen", 42));
    show(ffi_call::<i32>("abs", (1, 2)));
    show(libm.symbol("sinn").map(|_| ()));
    show(Library::open("no-such-library").map(|_| ()));
    show(ffi_call::<usize>("strlne", "typo"));
    show(ffi_call::<i32>("WEXITSTATUS", 0));
    show(ffi_call::<usize>("strlen", Value::Null));
    show(ffi_call::<i32>("puts", Value::Null));
    show(ffi_call::<i32>("printf", ("%s\n", 5)));
    show(ffi_call::<i32>("printf", "%n"));
    show(ffi_call::<i32>("fcntl", (0, 5)));
    let wrong = Callback::new(|x: f64| x * 2.0)?;
    let mut w = [2, 1];
    // SAFETY: refused before the call: the closure does not have the comparator's type.
    show(unsafe { ffi_call_raw::<()>("qsort", (w.as_mut_ptr(), 2usize, 4usize, &wrong)) });
    show(Struct::new("timeval")?.set("tv_sec", 1.5));
    Ok(())
}

fn show<T: std::fmt::Debug>(r: Result<T, Error>) {
    match r {
        Ok(v) => println!("  unexpectedly ok: {v:?}"),
        Err(e) => println!("  error: {e}"),
    }
}
