//! Helpers shared by the runtime's integration tests.
#![allow(dead_code)]

use ffi_auto_runtime::{Function, Library, sig::Signature};

/// The fixture library, opened by path.
pub fn fixture() -> Library {
    Library::open(ffi_auto_fixture::LIB).expect("the fixture library is built by its crate")
}

/// A fixture function with the signature from `fixture.h`, written out by hand.
pub fn fx(name: &str, sig: &str) -> Function {
    let sig: Signature = sig.parse().expect("test signatures parse");
    let symbol = fixture().symbol(name).expect("fixture exports it");
    // SAFETY: every caller passes the declaration from tests/fixture/c/fixture.h.
    unsafe { Function::new(symbol, name, sig) }.expect("prepares")
}

/// A libc or libm function with its declaration.
pub fn sys(name: &str, lib: Option<&str>, sig: &str) -> Function {
    let sig: Signature = sig.parse().expect("test signatures parse");
    let symbol = ffi_auto_runtime::find_symbol(name, lib).expect("the C library exports it");
    // SAFETY: every caller passes the declaration from the C library's header.
    unsafe { Function::new(symbol, name, sig) }.expect("prepares")
}

/// Makes the header source read `fixture.h` (once per process) and returns the library to
/// name in by-name calls, so that fixture functions are called with their discovered
/// declarations.
#[cfg(feature = "discovery")]
pub fn discover_fixture() -> &'static str {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        ffi_auto_runtime::config::add_include_dir(ffi_auto_fixture::INCLUDE_DIR);
        ffi_auto_runtime::config::add_header(&ffi_auto_fixture::header().display().to_string());
    });
    ffi_auto_fixture::LIB
}
