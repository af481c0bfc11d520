//! Real programs against real libraries (issue 10): each module is a small program written as
//! a user would write it with `defcfuns!`, doing real work and checking real results, and
//! together they use every shape of C the issue lists:
//!
//! | module | library | shapes |
//! | --- | --- | --- |
//! | `zlib` | zlib | allocator hooks in a struct (`alloc_func`: `voidpf (*)(voidpf, uInt, uInt)`), `pkg_config` linking |
//! | `sqlite` | sqlite3 | callbacks typed with generated opaque types (`sqlite3_context *`), `sqlite3_exec`'s callback, `SQLITE_TRANSIENT` / `SQLITE_STATIC` pointer constants, a `sqlite3_int64` inside a function pointer |
//! | `openssl` | libcrypto | umbrella header (`openssl/ssl.h` brings `evp.h`, `hmac.h`, ...), a callback typed with `*const EVP_MD`, a `size_t` inside a callback |
//! | `gmp` | gmp | one-element array handles (`mpz_t`), `#define mpz_init __gmpz_init` aliases, `size_t` inside allocator hooks |
//! | `bzip2` | libbz2 | an anonymous struct behind a typedef (`bz_stream`), allocator hooks |
//! | `lzma` | liblzma | umbrella header (`lzma.h`), `size_t` in a struct's function pointers (`lzma_allocator`), enumerators |
//! | `libxml2` | libxml2 | a tree of self-referential structs (`xmlNode`), a callback typed with `xmlError *`, enumerators passed to `int` |
//! | `expat` | expat | typed element handlers, a callback typed with the opaque `XML_Parser` |
//! | `yaml` | libyaml | a read handler with `size_t` parameters, members of anonymous type (`event.data.scalar`) |
//! | `glibc` | glibc | anonymous members (`struct rusage`) at compile and run time, `#[cfg]` entries |

mod bzip2;
mod expat;
mod glibc;
mod gmp;
mod libxml2;
mod lzma;
mod openssl;
mod sqlite;
mod yaml;
mod zlib;

use std::ffi::{CStr, c_char};

/// Copies a NUL-terminated C string, or `None` for null.
///
/// # Safety
/// `p` is null or points at a NUL-terminated string alive for the call.
unsafe fn c_string(p: *const c_char) -> Option<String> {
    if p.is_null() {
        return None;
    }
    // SAFETY: the caller's contract.
    Some(unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned())
}

/// The lowercase hexadecimal spelling of `bytes`.
fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes.iter().fold(String::new(), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

/// Some text that compresses well and is not trivial: 64 KiB of numbered lines.
fn sample_text() -> Vec<u8> {
    let mut text = String::new();
    let mut i = 0u32;
    while text.len() < 64 * 1024 {
        use std::fmt::Write;
        let _ = writeln!(
            text,
            "line {i}: the quick brown fox jumps over the lazy dog {}",
            i.wrapping_mul(2_654_435_761) % 1000
        );
        i += 1;
    }
    text.into_bytes()
}
