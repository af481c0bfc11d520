//! liblzma: an xz round trip through `lzma_stream`, named through the umbrella header `lzma.h`
//! (every declaration is in `lzma/*.h`), with a custom `lzma_allocator` whose hooks have `size_t`
//! parameters (`void *(*alloc)(void *opaque, size_t nmemb, size_t size)`), and the library's
//! enumerators (`LZMA_CHECK_CRC64`, `LZMA_RUN`, `LZMA_OK`) as arguments and results.

use std::ffi::c_void;
use std::sync::atomic::{AtomicUsize, Ordering};

use ffi_auto::{Callback, defcfuns};

defcfuns! {
    #![ffi_auto(header = "lzma.h", pkg_config = "liblzma")]
    struct lzma_stream;
    struct lzma_allocator;
    const LZMA_OK;
    const LZMA_STREAM_END;
    const LZMA_RUN;
    const LZMA_FINISH;
    const LZMA_CHECK_CRC64;
    const LZMA_PRESET_DEFAULT;
    const LZMA_CONCATENATED;
    unsafe fn lzma_version_string;
    fn lzma_stream_buffer_bound;
    unsafe fn lzma_easy_encoder;
    unsafe fn lzma_stream_decoder;
    unsafe fn lzma_code;
    unsafe fn lzma_end;
}

#[test]
fn xz_round_trip_with_a_rust_allocator() {
    // SAFETY: the version string is static.
    let version = unsafe { super::c_string(lzma_version_string()) }.unwrap();
    assert!(version.starts_with("5."), "{version}");
    let input = super::sample_text();
    let live = AtomicUsize::new(0);
    let alloc = Callback::new(
        |_opaque: *mut c_void, nmemb: usize, size: usize| -> *mut c_void {
            live.fetch_add(1, Ordering::Relaxed);
            // SAFETY: plain allocation, released through `free`.
            unsafe { libc::malloc(nmemb * size) }
        },
    )
    .unwrap();
    let free = Callback::new(|_opaque: *mut c_void, p: *mut c_void| {
        if !p.is_null() {
            live.fetch_sub(1, Ordering::Relaxed);
        }
        // SAFETY: `p` came from `alloc`, or is null.
        unsafe { libc::free(p) }
    })
    .unwrap();
    let allocator = lzma_allocator {
        alloc: Some(alloc.code()),
        free: Some(free.code()),
        opaque: std::ptr::null_mut(),
    };

    let mut compressed = vec![0u8; lzma_stream_buffer_bound(input.len())];
    let mut strm = lzma_stream {
        allocator: &raw const allocator,
        ..lzma_stream::default()
    };
    // SAFETY: `strm` is LZMA_STREAM_INIT (all zero) with an allocator that outlives it;
    // next_in / next_out point into live buffers of the lengths given; lzma_end frees it.
    let written = unsafe {
        assert_eq!(
            lzma_easy_encoder(&raw mut strm, LZMA_PRESET_DEFAULT, LZMA_CHECK_CRC64),
            LZMA_OK
        );
        strm.next_in = input.as_ptr();
        strm.avail_in = input.len();
        strm.next_out = compressed.as_mut_ptr();
        strm.avail_out = compressed.len();
        assert_eq!(lzma_code(&raw mut strm, LZMA_RUN), LZMA_OK);
        assert_eq!(strm.avail_in, 0);
        assert_eq!(lzma_code(&raw mut strm, LZMA_FINISH), LZMA_STREAM_END);
        lzma_end(&raw mut strm);
        strm.total_out as usize
    };
    compressed.truncate(written);
    // The xz magic bytes, and far smaller than the input.
    assert!(compressed.starts_with(&[0xfd, b'7', b'z', b'X', b'Z', 0]));
    assert!(compressed.len() < input.len() / 4);

    // Decode two concatenated copies, 3000 bytes of output at a time.
    let twice = [compressed.as_slice(), compressed.as_slice()].concat();
    let mut output = Vec::new();
    let mut strm = lzma_stream {
        allocator: &raw const allocator,
        ..lzma_stream::default()
    };
    // SAFETY: as above.
    unsafe {
        assert_eq!(
            lzma_stream_decoder(&raw mut strm, u64::MAX, LZMA_CONCATENATED),
            LZMA_OK
        );
        strm.next_in = twice.as_ptr();
        strm.avail_in = twice.len();
        let mut chunk = [0u8; 3000];
        loop {
            strm.next_out = chunk.as_mut_ptr();
            strm.avail_out = chunk.len();
            let rc = lzma_code(&raw mut strm, LZMA_FINISH);
            output.extend_from_slice(&chunk[..chunk.len() - strm.avail_out]);
            if rc == LZMA_STREAM_END {
                break;
            }
            assert_eq!(rc, LZMA_OK);
        }
        lzma_end(&raw mut strm);
    }
    assert_eq!(output, [input.as_slice(), input.as_slice()].concat());
    assert!(alloc.calls() >= 2);
    assert_eq!(live.load(Ordering::Relaxed), 0, "every allocation freed");
}
