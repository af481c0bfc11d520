//! zlib through macro-generated wrappers.

#[test]
fn compress_then_uncompress_gives_the_input_back() {
    let data: Vec<u8> = (0..10_000u32).map(|i| (i % 251) as u8).collect();
    let packed = ffi_auto_example_zlib::compress(&data).unwrap();
    assert!(packed.len() < data.len() / 4, "{} bytes", packed.len());
    let unpacked = ffi_auto_example_zlib::uncompress(&packed, data.len()).unwrap();
    assert_eq!(unpacked, data);
    // Too small a buffer is zlib's Z_BUF_ERROR (-5), not a crash.
    assert_eq!(ffi_auto_example_zlib::Z_BUF_ERROR, -5);
    assert_eq!(
        ffi_auto_example_zlib::uncompress(&packed, 10),
        Err(ffi_auto_example_zlib::ZError(
            ffi_auto_example_zlib::Z_BUF_ERROR
        ))
    );
    // The header's version (a string constant) and the library's agree on major.minor.
    let header = ffi_auto_example_zlib::ZLIB_VERSION.to_str().unwrap();
    let linked = ffi_auto_example_zlib::version();
    let major_minor = |v: &str| v.split('.').take(2).collect::<Vec<_>>().join(".");
    assert_eq!(major_minor(header), major_minor(&linked));
}

#[test]
fn a_macro_and_a_static_inline_function_are_called_through_the_build_script_s_shims() {
    use ffi_auto_example_zlib::{Z_OK, bswap32, deflate_init_and_end};
    assert_eq!(deflate_init_and_end(6), (Z_OK, Z_OK));
    // An invalid level: the macro passes it on, and zlib refuses it (Z_STREAM_ERROR).
    assert_eq!(deflate_init_and_end(42).0, -2);
    assert_eq!(bswap32(0x1234_5678), 0x7856_3412);
}
