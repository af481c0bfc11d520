//! openssl (libcrypto) through its umbrella header: `openssl/ssl.h` declares little itself, and
//! the functions used here come from the headers it includes (`evp.h`, `hmac.h`, `crypto.h`,
//! `sha.h`, `opensslv.h`). SHA-256 through EVP and HMAC-SHA-256 compared with the published
//! digests, `EVP_MD_do_all` with a callback typed with the generated `EVP_MD`, and
//! `ERR_print_errors_cb` (from `err.h`, which `ssl.h` does not include) whose callback takes a
//! `size_t`.

use std::ffi::{c_char, c_int, c_uint, c_ulong, c_void};
use std::ptr::{null, null_mut};

use ffi_auto::{Callback, defcfuns};

use super::{c_string, hex};

defcfuns! {
    #![ffi_auto(header = "openssl/ssl.h", header = "openssl/err.h", pkg_config = "openssl")]
    struct EVP_MD;
    struct EVP_MD_CTX;
    struct ENGINE;
    struct OSSL_LIB_CTX;
    const SHA256_DIGEST_LENGTH;
    const EVP_MAX_MD_SIZE;
    const OPENSSL_VERSION_NUMBER;
    fn OpenSSL_version_num;
    unsafe fn EVP_sha256;
    unsafe fn EVP_MD_CTX_new;
    unsafe fn EVP_MD_CTX_free;
    unsafe fn EVP_DigestInit_ex;
    unsafe fn EVP_DigestUpdate;
    unsafe fn EVP_DigestFinal_ex;
    unsafe fn EVP_MD_get_size;
    unsafe fn EVP_MD_get0_name;
    unsafe fn EVP_MD_do_all;
    unsafe fn EVP_MD_fetch;
    unsafe fn HMAC;
    unsafe fn ERR_print_errors_cb;
    fn ERR_clear_error;
}

#[test]
fn sha256_and_hmac_through_the_umbrella_header() {
    // The header's version (a `long` macro) is the library's, to the minor version.
    assert_eq!(
        OpenSSL_version_num() >> 20,
        OPENSSL_VERSION_NUMBER as c_ulong >> 20
    );
    let mut md = [0u8; EVP_MAX_MD_SIZE as usize];
    let mut len: c_uint = 0;
    // SAFETY: the context is created, used and freed here; `md` holds EVP_MAX_MD_SIZE bytes;
    // the input pointers and lengths describe live buffers.
    unsafe {
        let sha256 = EVP_sha256();
        assert_eq!(EVP_MD_get_size(sha256), SHA256_DIGEST_LENGTH);
        let ctx = EVP_MD_CTX_new();
        assert!(!ctx.is_null());
        assert_eq!(EVP_DigestInit_ex(ctx, sha256, null_mut()), 1);
        // "abc" in two updates.
        assert_eq!(EVP_DigestUpdate(ctx, b"a".as_ptr().cast(), 1), 1);
        assert_eq!(EVP_DigestUpdate(ctx, b"bc".as_ptr().cast(), 2), 1);
        assert_eq!(EVP_DigestFinal_ex(ctx, md.as_mut_ptr(), &raw mut len), 1);
        EVP_MD_CTX_free(ctx);
    }
    assert_eq!(len as c_int, SHA256_DIGEST_LENGTH);
    // FIPS 180-2, appendix B.1.
    assert_eq!(
        hex(&md[..len as usize]),
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    );

    // RFC 4231, test case 2.
    let (key, data) = (b"Jefe", b"what do ya want for nothing?");
    let mut len: c_uint = 0;
    // SAFETY: key and data are live buffers of the lengths given; `md` holds EVP_MAX_MD_SIZE.
    let out = unsafe {
        HMAC(
            EVP_sha256(),
            key.as_ptr().cast(),
            key.len() as c_int,
            data.as_ptr(),
            data.len(),
            md.as_mut_ptr(),
            &raw mut len,
        )
    };
    assert_eq!(out, md.as_mut_ptr());
    assert_eq!(
        hex(&md[..len as usize]),
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
    );
}

#[test]
fn a_callback_typed_with_the_generated_evp_md() {
    let mut names = Vec::new();
    let mut sizes = Vec::new();
    // `void (*)(const EVP_MD *, const char *from, const char *to, void *)`: `md` is null for
    // an alias (then `to` names what it stands for).
    let each = Callback::new(
        |md: *const EVP_MD, from: *const c_char, _to: *const c_char, _arg: *mut c_void| {
            // SAFETY: openssl passes NUL-terminated names and, when not null, a live EVP_MD.
            unsafe {
                let from = c_string(from).unwrap();
                if !md.is_null() {
                    sizes.push((from.to_ascii_uppercase(), EVP_MD_get_size(md)));
                    assert!(!EVP_MD_get0_name(md).is_null());
                }
                names.push(from);
            }
        },
    )
    .unwrap();
    // SAFETY: `each` has the declared callback type and outlives the call.
    unsafe { EVP_MD_do_all(Some(each.code()), null_mut()) };
    assert!(each.calls() >= 10, "{} digests", each.calls());
    drop(each);
    assert!(
        names.iter().any(|n| n.eq_ignore_ascii_case("SHA256")),
        "{names:?}"
    );
    assert!(sizes.contains(&("SHA256".to_owned(), 32)), "{sizes:?}");
    assert!(sizes.contains(&("SHA512".to_owned(), 64)), "{sizes:?}");
}

#[test]
fn the_error_queue_through_a_callback_with_a_size_t() {
    ERR_clear_error();
    // SAFETY: a null library context and properties are the defaults; the name is a literal.
    let md = unsafe { EVP_MD_fetch(null_mut(), c"no-such-digest".as_ptr(), null()) };
    assert!(md.is_null());
    let mut lines = Vec::new();
    // `int (*)(const char *str, size_t len, void *u)`: the length is a `usize`.
    let print = Callback::new(|s: *const c_char, len: usize, _u: *mut c_void| -> c_int {
        // SAFETY: openssl passes `len` bytes of text at `s`.
        let bytes = unsafe { std::slice::from_raw_parts(s.cast::<u8>(), len) };
        lines.push(String::from_utf8_lossy(bytes).into_owned());
        1
    })
    .unwrap();
    // SAFETY: `print` has the declared callback type and outlives the call.
    unsafe { ERR_print_errors_cb(Some(print.code()), null_mut()) };
    drop(print);
    assert!(!lines.is_empty());
    assert!(
        lines.iter().any(|l| l.contains("no-such-digest")),
        "{lines:?}"
    );
}
