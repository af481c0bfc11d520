//! bzip2: a compress / decompress round trip through `bz_stream`, an anonymous struct behind a
//! typedef (`typedef struct {...} bz_stream;`), with its allocator hooks
//! (`void *(*bzalloc)(void *, int, int)`) written as Rust closures.

use std::ffi::{c_char, c_int, c_uint, c_void};
use std::sync::atomic::{AtomicUsize, Ordering};

use ffi_auto::{Callback, defcfuns};

defcfuns! {
    #![ffi_auto(header = "bzlib.h", lib = "bz2")]
    struct bz_stream;
    const BZ_RUN;
    const BZ_FINISH;
    const BZ_OK;
    const BZ_RUN_OK;
    const BZ_FINISH_OK;
    const BZ_STREAM_END;
    unsafe fn BZ2_bzlibVersion;
    unsafe fn BZ2_bzCompressInit;
    unsafe fn BZ2_bzCompress;
    unsafe fn BZ2_bzCompressEnd;
    unsafe fn BZ2_bzDecompressInit;
    unsafe fn BZ2_bzDecompress;
    unsafe fn BZ2_bzDecompressEnd;
}

#[test]
fn compress_and_decompress_with_rust_allocator_hooks() {
    // SAFETY: the library's version string is static.
    let version = unsafe { super::c_string(BZ2_bzlibVersion()) }.unwrap();
    assert!(version.starts_with("1."), "{version}");
    let input = super::sample_text();
    let live = AtomicUsize::new(0);
    let bzalloc = Callback::new(|_opaque: *mut c_void, n: c_int, m: c_int| -> *mut c_void {
        live.fetch_add(1, Ordering::Relaxed);
        // SAFETY: plain allocation, released by `bzfree`.
        unsafe { libc::malloc(n as usize * m as usize) }
    })
    .unwrap();
    let bzfree = Callback::new(|_opaque: *mut c_void, p: *mut c_void| {
        if !p.is_null() {
            live.fetch_sub(1, Ordering::Relaxed);
        }
        // SAFETY: `p` came from `bzalloc`, or is null.
        unsafe { libc::free(p) }
    })
    .unwrap();
    let new_stream = || bz_stream {
        bzalloc: Some(bzalloc.code()),
        bzfree: Some(bzfree.code()),
        ..bz_stream::default()
    };

    // Compress: feed 10 KiB at a time with BZ_RUN, then finish.
    let mut compressed = Vec::new();
    let mut strm = new_stream();
    // SAFETY: `strm` is zeroed with valid hooks; next_in / next_out point into live buffers of
    // the lengths in avail_in / avail_out; the End call frees the state.
    unsafe {
        assert_eq!(BZ2_bzCompressInit(&raw mut strm, 9, 0, 0), BZ_OK);
        let mut out = [0u8; 8192];
        for piece in input.chunks(10 * 1024) {
            strm.next_in = piece.as_ptr().cast::<c_char>().cast_mut();
            strm.avail_in = piece.len() as c_uint;
            while strm.avail_in > 0 {
                strm.next_out = out.as_mut_ptr().cast();
                strm.avail_out = out.len() as c_uint;
                assert_eq!(BZ2_bzCompress(&raw mut strm, BZ_RUN), BZ_RUN_OK);
                compressed.extend_from_slice(&out[..out.len() - strm.avail_out as usize]);
            }
        }
        loop {
            strm.next_out = out.as_mut_ptr().cast();
            strm.avail_out = out.len() as c_uint;
            let rc = BZ2_bzCompress(&raw mut strm, BZ_FINISH);
            compressed.extend_from_slice(&out[..out.len() - strm.avail_out as usize]);
            if rc == BZ_STREAM_END {
                break;
            }
            assert_eq!(rc, BZ_FINISH_OK);
        }
        assert_eq!(strm.total_in_lo32 as usize, input.len());
        assert_eq!(BZ2_bzCompressEnd(&raw mut strm), BZ_OK);
    }
    assert!(compressed.starts_with(b"BZh9"));
    assert!(compressed.len() < input.len() / 4);

    // Decompress in one go into a buffer of the right size.
    let mut output = vec![0u8; input.len() + 1];
    let mut strm = new_stream();
    // SAFETY: as above.
    unsafe {
        assert_eq!(BZ2_bzDecompressInit(&raw mut strm, 0, 0), BZ_OK);
        strm.next_in = compressed.as_ptr().cast::<c_char>().cast_mut();
        strm.avail_in = compressed.len() as c_uint;
        strm.next_out = output.as_mut_ptr().cast();
        strm.avail_out = output.len() as c_uint;
        assert_eq!(BZ2_bzDecompress(&raw mut strm), BZ_STREAM_END);
        output.truncate(strm.total_out_lo32 as usize);
        assert_eq!(BZ2_bzDecompressEnd(&raw mut strm), BZ_OK);
    }
    assert_eq!(output, input);
    assert!(bzalloc.calls() >= 2);
    assert_eq!(live.load(Ordering::Relaxed), 0, "every allocation freed");
}
