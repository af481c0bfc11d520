//! zlib's one-shot compression, with the declarations taken from zlib.h by the build script:
//! name-only entries, so the signatures are written by the macro, not by hand.
//!
//! ```
//! let data = b"hello hello hello hello hello".repeat(10);
//! let packed = ffi_auto_example_zlib::compress(&data).unwrap();
//! assert!(packed.len() < data.len());
//! assert_eq!(ffi_auto_example_zlib::uncompress(&packed, data.len()).unwrap(), data);
//! ```

use std::ffi::{CStr, c_ulong};

mod z {
    ffi_auto::defcfuns! {
        pub fn compressBound;
        pub fn compress;
        pub fn uncompress;
        pub fn zlibVersion;
        // Constants from the same declarations: `c_int`s and a `&CStr`.
        pub const Z_OK;
        pub const Z_BUF_ERROR;
        pub const ZLIB_VERSION;
        // A function-like macro and a `static inline` function (glibc's), through the C
        // shims the build script compiles.
        pub unsafe fn deflateInit;
        pub unsafe fn deflateEnd;
        pub fn __bswap_32;
    }
}

/// Starts and ends a deflate stream with the `deflateInit` macro: zlib's status for each.
pub fn deflate_init_and_end(level: i32) -> (i32, i32) {
    // A zeroed `z_stream` (zlib's defaults for the allocator), larger than the struct.
    let mut stream = [0u64; 64];
    let p = stream.as_mut_ptr().cast::<std::ffi::c_void>();
    // SAFETY: `p` points to a zeroed buffer larger than `z_stream`, which zlib initializes
    // and `deflateEnd` frees what it allocated for.
    unsafe { (z::deflateInit(p, level), z::deflateEnd(p.cast())) }
}

/// glibc's `static inline` `__bswap_32`, called through its shim.
pub fn bswap32(x: u32) -> u32 {
    z::__bswap_32(x)
}

pub use z::{Z_BUF_ERROR, Z_OK, ZLIB_VERSION};

/// A zlib status other than `Z_OK`.
#[derive(Debug, PartialEq, Eq)]
pub struct ZError(pub i32);

/// The version of the zlib linked in.
pub fn version() -> String {
    // SAFETY: zlibVersion returns a pointer to a static NUL-terminated string.
    unsafe { CStr::from_ptr(z::zlibVersion()) }
        .to_string_lossy()
        .into_owned()
}

/// Compresses `data` with zlib's `compress`.
///
/// # Errors
/// zlib's status when it is not `Z_OK`.
pub fn compress(data: &[u8]) -> Result<Vec<u8>, ZError> {
    let bound = z::compressBound(data.len() as c_ulong);
    let mut out = vec![0u8; bound as usize];
    let mut len: c_ulong = bound;
    // SAFETY: `out` holds `len` bytes for zlib to write, `data` holds `data.len()` to read, and
    // zlib writes the compressed size into `len`.
    let status = unsafe {
        z::compress(
            out.as_mut_ptr(),
            &raw mut len,
            data.as_ptr(),
            data.len() as c_ulong,
        )
    };
    if status != Z_OK {
        return Err(ZError(status));
    }
    out.truncate(len as usize);
    Ok(out)
}

/// Decompresses `data`, whose original length is `size`.
///
/// # Errors
/// zlib's status when it is not `Z_OK` (`Z_BUF_ERROR` if `size` is too small).
pub fn uncompress(data: &[u8], size: usize) -> Result<Vec<u8>, ZError> {
    let mut out = vec![0u8; size];
    let mut len = size as c_ulong;
    // SAFETY: as in `compress`, with the roles swapped.
    let status = unsafe {
        z::uncompress(
            out.as_mut_ptr(),
            &raw mut len,
            data.as_ptr(),
            data.len() as c_ulong,
        )
    };
    if status != Z_OK {
        return Err(ZError(status));
    }
    out.truncate(len as usize);
    Ok(out)
}
