//! zlib: a deflate / inflate round trip through `z_stream`, with zlib's allocator hooks
//! (`alloc_func`: `voidpf (*)(voidpf opaque, uInt items, uInt size)`, `free_func`) written as
//! Rust closures, and the library linked by `pkg_config = "zlib"`.

use std::ffi::{c_int, c_uint, c_void};
use std::sync::atomic::{AtomicUsize, Ordering};

use ffi_auto::{Callback, defcfuns};

defcfuns! {
    #![ffi_auto(header = "zlib.h", pkg_config = "zlib")]
    struct z_stream;
    const Z_OK;
    const Z_STREAM_END;
    const Z_NO_FLUSH;
    const Z_FINISH;
    const Z_BEST_COMPRESSION;
    const ZLIB_VERSION;
    unsafe fn deflateInit_;
    unsafe fn deflate;
    unsafe fn deflateEnd;
    unsafe fn inflateInit_;
    unsafe fn inflate;
    unsafe fn inflateEnd;
    unsafe fn adler32;
}

/// What the allocator hooks saw.
#[derive(Default)]
struct Counts {
    allocs: AtomicUsize,
    frees: AtomicUsize,
    bytes: AtomicUsize,
}

#[test]
fn deflate_and_inflate_with_rust_allocator_hooks() {
    let input = super::sample_text();
    let counts = Counts::default();
    // zlib hands `opaque` back to the hooks: check it does.
    let tag = 0x5a5a_usize;
    let zalloc = Callback::new(
        |opaque: *mut c_void, items: c_uint, size: c_uint| -> *mut c_void {
            assert_eq!(opaque as usize, tag);
            counts.allocs.fetch_add(1, Ordering::Relaxed);
            counts
                .bytes
                .fetch_add(items as usize * size as usize, Ordering::Relaxed);
            // SAFETY: plain allocation, released by `zfree` below.
            unsafe { libc::calloc(items as usize, size as usize) }
        },
    )
    .unwrap();
    let zfree = Callback::new(|opaque: *mut c_void, address: *mut c_void| {
        assert_eq!(opaque as usize, tag);
        counts.frees.fetch_add(1, Ordering::Relaxed);
        // SAFETY: `address` came from `zalloc` (calloc).
        unsafe { libc::free(address) }
    })
    .unwrap();
    let version = ZLIB_VERSION;
    let stream_size = size_of::<z_stream>() as c_int;

    // Deflate, 4 KiB of output at a time.
    let mut compressed = Vec::new();
    let mut strm = z_stream {
        zalloc: Some(zalloc.code()),
        zfree: Some(zfree.code()),
        opaque: tag as *mut c_void,
        ..z_stream::default()
    };
    // SAFETY: `strm` is a zeroed z_stream with valid hooks; next_in / next_out point into live
    // buffers of the lengths given in avail_in / avail_out; deflateEnd frees the state.
    unsafe {
        let rc = deflateInit_(
            &raw mut strm,
            Z_BEST_COMPRESSION,
            version.as_ptr(),
            stream_size,
        );
        assert_eq!(rc, Z_OK);
        strm.next_in = input.as_ptr().cast_mut();
        strm.avail_in = input.len() as c_uint;
        let mut chunk = [0u8; 4096];
        loop {
            strm.next_out = chunk.as_mut_ptr();
            strm.avail_out = chunk.len() as c_uint;
            let rc = deflate(&raw mut strm, Z_FINISH);
            let produced = chunk.len() - strm.avail_out as usize;
            compressed.extend_from_slice(&chunk[..produced]);
            if rc == Z_STREAM_END {
                break;
            }
            assert_eq!(rc, Z_OK);
        }
        assert_eq!(strm.total_in as usize, input.len());
        assert_eq!(strm.total_out as usize, compressed.len());
        assert_eq!(deflateEnd(&raw mut strm), Z_OK);
    }
    assert!(
        compressed.len() < input.len() / 4,
        "{} bytes compressed to {}",
        input.len(),
        compressed.len()
    );
    // The zlib format: a header, then deflate data, then the Adler-32 of the input.
    assert_eq!(compressed[0], 0x78);

    // Inflate, 1000 bytes of output at a time, feeding 512 bytes of input at a time.
    let mut output = Vec::new();
    let mut strm = z_stream {
        zalloc: Some(zalloc.code()),
        zfree: Some(zfree.code()),
        opaque: tag as *mut c_void,
        ..z_stream::default()
    };
    // SAFETY: as above.
    unsafe {
        assert_eq!(
            inflateInit_(&raw mut strm, version.as_ptr(), stream_size),
            Z_OK
        );
        let mut fed = 0;
        let mut chunk = [0u8; 1000];
        loop {
            if strm.avail_in == 0 && fed < compressed.len() {
                let n = (compressed.len() - fed).min(512);
                strm.next_in = compressed[fed..].as_ptr().cast_mut();
                strm.avail_in = n as c_uint;
                fed += n;
            }
            strm.next_out = chunk.as_mut_ptr();
            strm.avail_out = chunk.len() as c_uint;
            let rc = inflate(&raw mut strm, Z_NO_FLUSH);
            output.extend_from_slice(&chunk[..chunk.len() - strm.avail_out as usize]);
            if rc == Z_STREAM_END {
                break;
            }
            assert_eq!(rc, Z_OK, "inflate failed");
        }
        // After the stream, `adler` holds the checksum of what was inflated.
        let expected = adler32(
            adler32(0, std::ptr::null(), 0),
            input.as_ptr(),
            input.len() as c_uint,
        );
        assert_eq!(strm.adler, expected);
        assert_eq!(inflateEnd(&raw mut strm), Z_OK);
    }
    assert_eq!(output, input);
    let allocs = counts.allocs.load(Ordering::Relaxed);
    assert!(
        allocs >= 2,
        "deflate and inflate allocate their state through the hooks"
    );
    assert_eq!(counts.frees.load(Ordering::Relaxed), allocs);
    assert!(counts.bytes.load(Ordering::Relaxed) > 64 * 1024);
    assert_eq!(zalloc.calls(), allocs);
}
