//! Finds zlib.h's declarations once per build (libclang, or the user's signature database),
//! links zlib, and hands the declarations to the macros. Where libclang is not installed, the
//! committed `ffi-auto.db` is used instead (written by `ffi-auto prepare`). A C compiler
//! builds the shims of macros and `static inline` functions.

fn main() {
    let built = ffi_auto_discovery::Builder::new()
        .header("zlib.h")
        .pkg_config("zlib")
        .database("ffi-auto.db")
        // `deflateInit` is a function-like macro: a C shim makes it callable (the C compiler
        // checks it takes these types, which may be zlib.h's own: `z_streamp` is its
        // typedef). `static inline` functions get shims without asking.
        .shim("deflateInit", "int (z_streamp, int)")
        .generate();
    if let Err(e) = built {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}
